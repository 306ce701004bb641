"""Checks for the exercises where you write a function: run the check, get a verdict or a hint.

Every chapter has at least one exercise that asks for a small function (a window, a smoothed
probability, one RNN step, a decoder...). Write it in the notebook, then pass the function itself
(not its result) to the chapter's check::

    from utils.exercises import check_rnn_step

    def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)

    check_rnn_step(rnn_step)        # prints "correct: 5 of 5 cases" and returns True

A check calls your function on a few small cases (shapes and values chosen by the check, from
fixed seeds, so the cases are the same every time) and compares each answer with the course's
reference (the NumPy layers of :mod:`utils.numpy_rnn`, finite differences from
:mod:`utils.gradcheck`, or a few lines here). Three outcomes:

- every case is right: it prints ``correct: N of N cases`` and returns ``True``;
- a case is wrong: it raises ``AssertionError`` saying which case (and its inputs' shapes), which
  output, what was expected and what your function returned; when your answer equals the answer
  of a typical mistake (a transposed matrix, sigmoid for tanh, log2 for ln, an off-by-one...), the
  message ends with ``likely cause: ...``;
- your function still raises ``NotImplementedError`` (the stub): it prints ``not done yet: ...``
  and returns ``False``, so a notebook with the stub still runs to the end.

Arrays follow Keras: batch first, weights in the layout of ``layer.get_weights()``. A check passes
copies of its inputs, so a function that changes its arguments in place does no harm here.
This module imports NumPy only.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections import Counter
from collections.abc import Callable
from typing import NoReturn

import numpy as np

from utils.gradcheck import numerical_gradient, relative_error
from utils.numpy_rnn import (
    gru_forward,
    lstm_forward,
    sigmoid,
    simple_rnn_forward,
    softmax,
)

__all__ = [
    "check_add_k",
    "check_beam_search",
    "check_bidirectional_concat",
    "check_clip_by_norm",
    "check_ctc_collapse",
    "check_greedy_decode",
    "check_gru_step",
    "check_kneser_ney_bigram",
    "check_leaky_context",
    "check_lstm_step",
    "check_rnn_backward",
    "check_rnn_step",
    "check_sample_with_temperature",
    "check_sliding_windows",
    "check_unigram_log_prob",
]

# --- the machinery shared by every check ---------------------------------------------------------

CASES = 5  # cases per check
RTOL, ATOL = 1e-5, 1e-7  # "equal" for floating answers: float32 arithmetic passes, mistakes do not


class _NotDone(Exception):
    """The learner's function raised NotImplementedError: it is still the stub."""


class _Case:
    """One case of a check: its number, its seeded random generator and how to report a failure."""

    def __init__(self, check: str, number: int, total: int):
        self.check, self.number, self.total = check, number, total
        self.rng = np.random.default_rng([2026, number, sum(map(ord, check))])
        self.inputs = ""  # the inputs, described for the message (shapes, small values)

    def fail(self, problem: str, cause: str | None = None) -> NoReturn:
        """Raise the AssertionError a learner reads: where, what, and the likely cause."""
        where = f"{self.check}, case {self.number} of {self.total}"
        lines = [f"{where} ({self.inputs}):" if self.inputs else f"{where}:", *problem.split("\n")]
        if cause:
            lines.append(f"likely cause: {cause}")
        # lines of at most 78 characters, continued with an indent, so that they fit a notebook
        wrapped = [textwrap.fill(line, 78, subsequent_indent="    ", break_on_hyphens=False,
                                 break_long_words=False) for line in lines]
        raise AssertionError("\n".join(wrapped))


def _cases(check: str):
    """Yield the CASES cases of ``check``, numbered from 1."""
    for number in range(1, CASES + 1):
        yield _Case(check, number, CASES)


class Verdict:
    """What a check returns: true when every case passed, false for the stub.

    In Jupyter it displays nothing (the check has already printed its line), so a check cell shows
    one line, not a stray ``True`` or ``False`` below it.
    """

    def __init__(self, passed: bool):
        self.passed = passed

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"Verdict(passed={self.passed})"

    def _ipython_display_(self) -> None:
        pass


def _checker(body: Callable) -> Callable:
    """Turn ``body(fn)``, which raises at the first wrong case, into a check that prints the
    pass line and returns a true Verdict, or prints "not done yet" and returns a false one."""

    @functools.wraps(body)
    def check(fn) -> Verdict:
        name = body.__name__
        if not callable(fn):
            raise TypeError(
                f"{name}: pass your function itself, for example {name}(my_function), "
                f"not what it returns (got {type(fn).__name__})."
            )
        try:
            body(fn)
        except _NotDone:
            print(f"not done yet: write {getattr(fn, '__name__', 'your function')} "
                  "and run this cell again")
            return Verdict(False)
        print(f"correct: {CASES} of {CASES} cases")
        return Verdict(True)

    return check


def _call(case: _Case, fn, *args, on_error: Callable | None = None):
    """``fn(*args)``; NotImplementedError means "not done yet", any other error is reported."""
    try:
        result = fn(*args)
    except NotImplementedError:
        raise _NotDone from None
    except _StepFnMisuse as misuse:
        case.fail(str(misuse))
    except Exception as error:
        cause = on_error(error) if on_error else None
        case.fail(f"your function raised {type(error).__name__}: {error}", cause)
    if result is None:
        case.fail("your function returned None.", "the return statement is missing.")
    return result


class _Summary(str):
    """A description shown as it is in a message (its repr has no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def _describe(**inputs) -> str:
    """'x_t (2, 3), width=4': arrays by their shape, small values as they are."""
    parts = []
    for name, value in inputs.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {value.shape}")
        elif isinstance(value, (list, tuple)) and len(value) > 16:
            parts.append(f"{name} ({type(value).__name__} of {len(value)})")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _short(value) -> str:
    """A value in a few characters: shape and first entries of an array, a rounded number."""
    if isinstance(value, np.ndarray):
        flat = np.array2string(value.ravel()[:4], precision=3, suppress_small=True)
        more = " ..." if value.size > 4 else ""
        return f"shape {value.shape}, first values {flat[:-1]}{more}]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _close(a, b) -> bool:
    """Same shape and equal up to rounding (inf equals inf, NaN equals nothing)."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _recognise(received, mistakes) -> str | None:
    """The hints of the typical mistakes whose answer equals ``received`` (two at most), or None.

    ``mistakes`` is a list of ``(hint, wrong_answer)``; a wrong answer may also be a predicate
    ``wrong_answer(received) -> bool`` (for mistakes known by their shape, say).
    """
    hints = []
    for hint, wrong in mistakes:
        matches = wrong(received) if callable(wrong) else _close(received, wrong)
        if matches and hint not in hints:
            hints.append(hint)
    return " Or: ".join(hints[:2]) or None


def _generic_cause(received: np.ndarray, expected: np.ndarray) -> str | None:
    """Causes that any array can show: a flipped sign, a transpose."""
    if received.shape == expected.shape and np.any(expected) and _close(received, -expected):
        return "the sign is flipped: a minus sign is missing or one too many."
    if expected.ndim == 2 and received.shape == expected.shape[::-1] != expected.shape:
        return "this is the shape of the transpose: check which axis is which."
    if expected.ndim == 2 and received.shape == expected.shape and _close(received, expected.T):
        return "you returned the transpose: check the order of the matrix product."
    return None


def _check_array(case: _Case, what: str, received, expected, mistakes=()) -> None:
    """Fail unless ``received`` is an array of ``expected``'s shape and values."""
    expected = np.asarray(expected, dtype=float)
    try:
        array = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        case.fail(f"{what} should be an array of shape {expected.shape}, "
                  f"got {type(received).__name__} that NumPy cannot turn into numbers: "
                  f"{_short(received)}.",
                  "rows of different lengths, or a tuple where one array belongs?")
    cause = _recognise(array, mistakes) or _generic_cause(array, expected)
    if array.shape != expected.shape:
        case.fail(f"wrong shape of {what}: {array.shape}, expected {expected.shape}.", cause)
    if not np.all(np.isfinite(array)) and np.all(np.isfinite(expected)):
        case.fail(f"NaN or inf in {what}: {_short(array)}.",
                  cause or "a division by zero, or exp of a large number?")
    if not _close(array, expected):
        worst = np.unravel_index(np.argmax(np.abs(array - expected)), expected.shape)
        case.fail(
            f"wrong values in {what} (the shape {expected.shape} is right; the largest "
            f"difference is at index {tuple(int(i) for i in worst)}).\n"
            f"  expected: {_short(expected)}\n  received: {_short(array)}",
            cause,
        )


def _check_float(case: _Case, what: str, received, expected: float, mistakes=()) -> None:
    """Fail unless ``received`` is one real number equal to ``expected`` (inf allowed)."""
    if isinstance(received, np.ndarray) and received.shape == ():
        received = received.item()
    if isinstance(received, bool) or not isinstance(received, (int, float, np.integer,
                                                               np.floating)):
        case.fail(f"{what} should be one number (a float), got {type(received).__name__}: "
                  f"{_short(received)}.")
    value = float(received)
    cause = _recognise(value, mistakes)
    if math.isnan(value):
        case.fail(f"{what}: NaN, expected {_short(expected)}.",
                  cause or "0 * inf, inf - inf or 0 / 0 somewhere?")
    if not _close(value, expected):
        if cause is None and expected != 0 and _close(value, -expected):
            cause = "the sign is flipped: a minus sign is missing or one too many."
        case.fail(f"wrong {what}.\n  expected: {_short(float(expected))}\n"
                  f"  received: {_short(value)}", cause)


def _check_tokens(case: _Case, what: str, received, expected: list[int], mistakes=()) -> None:
    """Fail unless ``received`` is a list (or tuple / 1-D array) of ints equal to ``expected``."""
    if isinstance(received, np.ndarray) and received.ndim == 1:
        received = received.tolist()
    if not isinstance(received, (list, tuple)) or not all(
        isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in received
    ):
        case.fail(f"{what} should be a list of ints, got {type(received).__name__}: "
                  f"{_short(received)}.")
    tokens = [int(t) for t in received]
    if tokens != expected:
        cause = _recognise(tokens, [(hint, lambda t, w=wrong: t == w) for hint, wrong in mistakes])
        case.fail(f"wrong {what}.\n  expected: {expected}\n  received: {tokens}", cause)


def _matmul_hint(error: Exception) -> str | None:
    """A hint for the error NumPy raises when a matrix product's shapes do not fit."""
    text = str(error)
    if isinstance(error, ValueError) and ("matmul" in text or "aligned" in text
                                          or "broadcast" in text):
        return ("Keras's layout needs no transpose: x_t @ kernel is (B, D) @ (D, ...) and "
                "h_prev @ recurrent_kernel is (B, H) @ (H, ...).")
    return None


# --- ch1: sliding windows ------------------------------------------------------------------------


@_checker
def check_sliding_windows(fn):
    """Check ``fn(sequence, width) -> windows``.

    ``sequence`` has shape (T,); ``windows`` has shape (T - width + 1, width) and row i is
    ``sequence[i:i + width]``.
    """
    sizes = [(8, 3), (5, 1), (6, 6), (12, 4), (7, 2)]
    for case, (steps, width) in zip(_cases("check_sliding_windows"), sizes, strict=True):
        sequence = np.round(case.rng.normal(size=steps), 2)
        case.inputs = _describe(sequence=sequence, width=width)
        expected = np.stack([sequence[i:i + width] for i in range(steps - width + 1)])
        mistakes = [
            ("off by one: a sequence of length T has T - width + 1 windows (the last one starts "
             "at T - width), so loop over range(T - width + 1).",
             lambda a, n=steps - width: a.ndim >= 1 and a.shape[0] in (n, n + 2)),
            ("the windows start one step late: row i is sequence[i:i + width].",
             expected[1:] if len(expected) > 1 else lambda a: False),
        ]
        received = _call(case, fn, sequence.copy(), width)
        _check_array(case, "windows", received, expected, mistakes)


# --- ch2: the log-probability of a sentence under a unigram model --------------------------------

_WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away"]


@_checker
def check_unigram_log_prob(fn):
    """Check ``fn(sentence_words, counts) -> float``.

    The natural log of prod_w count(w) / N with N = sum of the counts: ``sum(log(count[w] / N))``,
    and ``-inf`` when a word of the sentence has no count.
    """
    for case in _cases("check_unigram_log_prob"):
        vocab = list(case.rng.choice(_WORDS, size=int(case.rng.integers(4, 9)), replace=False))
        counts = {str(w): int(case.rng.integers(1, 30)) for w in vocab}
        words = [str(w) for w in case.rng.choice(vocab, size=int(case.rng.integers(3, 7)))]
        if case.number == CASES:  # the last case has a word the counts never saw
            words.insert(len(words) // 2, "zebra")
        case.inputs = _describe(sentence_words=words, counts=counts)
        n = sum(counts.values())
        seen = all(w in counts for w in words)
        log_counts = sum(math.log(counts[w]) for w in words) if seen else -math.inf
        expected = log_counts - len(words) * math.log(n) if seen else -math.inf
        mistakes = [
            ("log2 instead of the natural log: use np.log (or math.log), not np.log2.",
             expected / math.log(2)),
            ("log10 instead of the natural log: use np.log (or math.log).",
             expected / math.log(10)),
            ("you returned the probability itself: take the log of each factor and add them.",
             math.exp(expected)),
            ("N is the total count sum(counts.values()), not the number of distinct words.",
             log_counts - len(words) * math.log(len(counts)) if seen else None),
            ("each count must be divided by N = sum(counts.values()) before the log.",
             log_counts),
            ("add the log-probabilities of the words; do not average them.",
             expected / len(words)),
            ("a word without a count has probability 0, so the sentence's log-probability is "
             "-inf: you skipped the unseen word.",
             sum(math.log(counts[w] / n) for w in words if w in counts)),
        ]
        mistakes = [(hint, wrong) for hint, wrong in mistakes if wrong is not None]

        def unseen_hint(error, seen=seen):
            """The hint for looking up an unseen word (math.log(0) raises ValueError)."""
            if not seen and isinstance(error, (KeyError, ValueError, ZeroDivisionError)):
                return ("a word that is not in counts has probability 0: return -math.inf "
                        "for it (test `word in counts` before looking it up).")
            return None

        received = _call(case, fn, list(words), dict(counts), on_error=unseen_hint)
        _check_float(case, "log-probability", received, expected, mistakes)


# --- ch3: add-k and Kneser-Ney smoothing --------------------------------------------------------


def _ngram_counts(tokens: list[str], max_order: int) -> dict[tuple[str, ...], int]:
    """Counts of every n-gram of orders 1..max_order as tuples; ``()`` counts the tokens."""
    counts = Counter({(): len(tokens)})
    for n in range(1, max_order + 1):
        counts.update(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return dict(counts)


def _add_k_hint(error: Exception) -> str | None:
    """The hint for an error of add-k: a missing n-gram, a zero denominator, str + tuple."""
    if isinstance(error, KeyError):
        return "an n-gram that never occurred is not in counts: use counts.get(ngram, 0)."
    if isinstance(error, ZeroDivisionError):
        return ("c(context) can be 0 (a context never seen): the k * V in the denominator "
                "keeps it positive.")
    if isinstance(error, TypeError) and "concatenate" in str(error):
        return "context + (word,) makes the n-gram's tuple (word alone is a str, not a tuple)."
    return None


@_checker
def check_add_k(fn):
    """Check ``fn(word, context, counts, vocab_size, k) -> float``.

    Add-k smoothing: ``(c(context + (word,)) + k) / (c(context) + k * vocab_size)``, where
    ``counts`` maps n-gram tuples (any length; ``()`` = the number of tokens) to counts and an
    n-gram missing from ``counts`` has count 0.
    """
    queries = [(0, 1.0, "seen"), (1, 0.5, "seen"), (1, 0.1, "unseen"), (2, 2.0, "seen"),
               (1, 0.5, "unseen context")]
    for case, (order, k, kind) in zip(_cases("check_add_k"), queries, strict=True):
        words = _WORDS[:5]
        tokens = [str(w) for w in case.rng.choice(words, size=30)]
        counts = _ngram_counts(tokens, 3)
        vocab_size = len(words) + 1  # the words and <unk>
        if kind == "seen":
            start = int(case.rng.integers(0, len(tokens) - order))
            context, word = tuple(tokens[start:start + order]), tokens[start + order]
        elif kind == "unseen":
            context = next(g for g in counts if len(g) == order and any(
                g + (w,) not in counts for w in words))
            word = next(w for w in words if context + (w,) not in counts)
        else:
            context, word = ("zebra",), tokens[0]
        case.inputs = _describe(word=word, context=context,
                                counts=_Summary(f"<{len(counts)} n-grams>"),
                                vocab_size=vocab_size, k=k)
        c_ngram, c_context = counts.get(context + (word,), 0), counts.get(context, 0)
        expected = (c_ngram + k) / (c_context + k * vocab_size)
        mistakes = [
            ("the denominator is c(context) + k * V: you added only k.",
             (c_ngram + k) / (c_context + k)),
            ("the denominator is c(context) + k * V: you added V without the factor k.",
             (c_ngram + k) / (c_context + vocab_size)),
            ("you added 1 (add-one): use the pseudo-count k you are given.",
             (c_ngram + 1) / (c_context + vocab_size)),
            ("the numerator counts the whole n-gram context + (word,), not the word alone.",
             (counts.get((word,), 0) + k) / (c_context + k * vocab_size)),
        ]
        if c_context > 0:
            mistakes.insert(0, ("add k * V to the denominator too, or the probabilities of all "
                                "V words sum to more than 1.", (c_ngram + k) / c_context))
        received = _call(case, fn, word, context, dict(counts), vocab_size, k,
                         on_error=_add_k_hint)
        _check_float(case, "probability", received, expected, mistakes)


def _kneser_ney_bigram(word, prev, counts, discount, continuation=None, first_term=None,
                       weight=None, types=None) -> float:
    """Interpolated Kneser-Ney with one discount (the reference), or one of its typical mistakes.

    The keyword arguments replace a piece by a wrong one: ``continuation`` the lower-order
    probability of ``word``, ``first_term`` the discounted bigram term, ``weight`` the
    interpolation weight, ``types`` the number N1+(. .) of bigram types.
    """
    c_prev = sum(c for (a, _), c in counts.items() if a == prev)
    c_bigram = counts.get((prev, word), 0)
    followers = sum(1 for (a, _), c in counts.items() if a == prev and c > 0)  # N1+(prev .)
    preceders = sum(1 for (_, b), c in counts.items() if b == word and c > 0)  # N1+(. word)
    n_types = types if types is not None else sum(1 for c in counts.values() if c > 0)
    p_cont = continuation if continuation is not None else preceders / n_types
    first = first_term if first_term is not None else max(c_bigram - discount, 0) / c_prev
    lam = weight if weight is not None else discount * followers / c_prev
    return first + lam * p_cont


def _bigram_hint(error: Exception) -> str | None:
    """The hint for looking up a bigram that never occurred."""
    if isinstance(error, KeyError):
        return "a bigram that never occurred is not in bigram_counts: use .get((prev, word), 0)."
    return None


@_checker
def check_kneser_ney_bigram(fn):
    """Check ``fn(word, prev, bigram_counts, discount) -> float``.

    Interpolated Kneser-Ney with one discount D::

        max(c(prev, word) - D, 0) / c(prev) + D * N1+(prev .) / c(prev) * N1+(. word) / N1+(. .)

    with c(prev) = sum_w c(prev, w), N1+(prev .) the number of distinct words after ``prev``,
    N1+(. word) the number of distinct words before ``word``, N1+(. .) the number of bigram types.
    """
    discounts = [0.75, 0.5, 0.9, 0.75, 0.3]
    for case, d in zip(_cases("check_kneser_ney_bigram"), discounts, strict=True):
        tokens = [str(w) for w in case.rng.choice(_WORDS[:6], size=40)]
        counts = dict(Counter(zip(tokens[:-1], tokens[1:], strict=True)))
        firsts = sorted({a for a, _ in counts})
        prev = str(case.rng.choice(firsts))
        seen = sorted(b for a, b in counts if a == prev)
        unseen = sorted({b for _, b in counts} - set(seen))
        word = str(case.rng.choice(unseen if case.number % 2 == 0 and unseen else seen))
        case.inputs = _describe(word=word, prev=prev,
                                bigram_counts=_Summary(f"<{len(counts)} bigrams>"), discount=d)
        expected = _kneser_ney_bigram(word, prev, counts, d)
        c_prev = sum(c for (a, _), c in counts.items() if a == prev)
        n_tokens = sum(counts.values())
        c_bigram = counts.get((prev, word), 0)
        hint_cont = ("the lower-order term is the continuation probability N1+(. word) / "
                     "N1+(. .) (how many distinct words come before word), not the raw "
                     "frequency of word.")
        mistakes = [
            (hint_cont, _kneser_ney_bigram(word, prev, counts, d, continuation=sum(
                c for (_, b), c in counts.items() if b == word) / n_tokens)),
            (hint_cont, _kneser_ney_bigram(word, prev, counts, d, continuation=sum(
                c for (a, _), c in counts.items() if a == word) / n_tokens)),
            ("subtract the discount from the bigram count: max(c(prev, word) - D, 0) / c(prev).",
             _kneser_ney_bigram(word, prev, counts, d, first_term=c_bigram / c_prev)),
            ("clip the discounted count at 0: max(c(prev, word) - D, 0), since an unseen bigram "
             "has count 0.",
             _kneser_ney_bigram(word, prev, counts, d, first_term=(c_bigram - d) / c_prev)),
            ("the interpolation weight is D * N1+(prev .) / c(prev): D times the number of "
             "distinct words that follow prev.",
             _kneser_ney_bigram(word, prev, counts, d, weight=d / c_prev)),
            ("N1+(. .) is the number of distinct bigram types (len of the counts with c > 0), "
             "not the number of bigram tokens.",
             _kneser_ney_bigram(word, prev, counts, d, types=n_tokens)),
        ]
        received = _call(case, fn, word, prev, dict(counts), d, on_error=_bigram_hint)
        _check_float(case, "probability", received, expected, mistakes)


# --- ch4: a leaky context vector -----------------------------------------------------------------


def _leaky(x: np.ndarray, lam: float, h0=None) -> np.ndarray:
    """The leaky state h_T of x (T, V): h_t = lam * h_{t-1} + x_t from h_0 (zeros by default)."""
    h = np.zeros(x.shape[1]) if h0 is None else h0.copy()
    for x_t in x:
        h = lam * h + x_t
    return h


@_checker
def check_leaky_context(fn):
    """Check ``fn(x, lam) -> h_T``.

    ``x`` has shape (T, V) (one-hot rows as floats); h_0 = 0, h_t = lam * h_{t-1} + x_t, and the
    function returns the last state h_T, shape (V,).
    """
    lams = [0.5, 0.9, 0.3, 0.75, 1.0]
    for case, lam in zip(_cases("check_leaky_context"), lams, strict=True):
        steps, vocab = int(case.rng.integers(4, 9)), 5
        x = np.eye(vocab)[case.rng.integers(0, vocab, size=steps)]
        case.inputs = _describe(x=x, lam=lam)
        expected = _leaky(x, lam)
        mistakes = [
            ("return only the last state h_T, shape (V,), not every state.",
             lambda a, s=(steps, vocab): a.shape in (s, s[::-1])),
            ("lam multiplies the previous state: h_t = lam * h_{t-1} + x_t, not "
             "h_{t-1} + lam * x_t.", lam * x.sum(axis=0)),
            ("h_t = lam * h_{t-1} + x_t adds the input with weight 1 (there is no 1 - lam).",
             (1 - lam) * expected),
            ("the newest input gets weight 1 and older ones lam, lam**2, ...: you weighted the "
             "oldest input most.", _leaky(x[::-1], lam)),
            ("off by one: the loop must include every step t = 1, ..., T (the last input too).",
             _leaky(x[:-1], lam)),
            ("h_0 is zeros: you counted the first input twice.", _leaky(x, lam, h0=x[0])),
        ]
        received = _call(case, fn, x.copy(), lam)
        _check_array(case, "h_T", received, expected, mistakes)


# --- ch5: one step of a simple RNN ---------------------------------------------------------------


def _rnn_inputs(case: _Case, batch: int, features: int, units: int) -> dict[str, np.ndarray]:
    """Random inputs of one RNN step, small enough that tanh is far from saturation."""
    rng = case.rng
    return {
        "x_t": rng.normal(size=(batch, features)),
        "h_prev": rng.uniform(-0.9, 0.9, size=(batch, units)),
        "kernel": rng.normal(scale=0.6, size=(features, units)),
        "recurrent_kernel": rng.normal(scale=0.6, size=(units, units)),
        "bias": rng.normal(scale=0.3, size=units),
    }


@_checker
def check_rnn_step(fn):
    """Check ``fn(x_t, h_prev, kernel, recurrent_kernel, bias) -> h_t``.

    Shapes: x_t (B, D), h_prev (B, H), kernel (D, H), recurrent_kernel (H, H), bias (H,);
    h_t = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias), shape (B, H).
    """
    sizes = [(2, 3, 4), (3, 4, 4), (1, 5, 3), (4, 2, 2), (2, 4, 5)]  # (B, D, H)
    for case, size in zip(_cases("check_rnn_step"), sizes, strict=True):
        a = _rnn_inputs(case, *size)
        case.inputs = _describe(**a)
        x_t, h_prev, kernel, recurrent_kernel, bias = a.values()
        pre = x_t @ kernel + h_prev @ recurrent_kernel + bias
        expected = np.tanh(pre)
        mistakes = [
            ("recurrent_kernel is already in Keras's layout: h_prev @ recurrent_kernel, "
             "without .T.", np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)),
            ("kernel is already in Keras's layout: x_t @ kernel, without .T.",
             np.tanh(x_t @ kernel.T + h_prev @ recurrent_kernel + bias)
             if kernel.shape[0] == kernel.shape[1] else None),
            ("sigmoid where tanh belongs: the simple RNN's activation is np.tanh.", sigmoid(pre)),
            ("the activation is missing: apply np.tanh to the sum.", pre),
            ("the bias is missing: add bias (shape (H,), broadcast over the batch).",
             np.tanh(pre - bias)),
            ("the recurrent term is missing: add h_prev @ recurrent_kernel.",
             np.tanh(x_t @ kernel + bias)),
        ]
        mistakes = [(h, w) for h, w in mistakes if w is not None]
        received = _call(case, fn, *(v.copy() for v in a.values()), on_error=_matmul_hint)
        _check_array(case, "h_t", received, expected, mistakes)


# --- ch6: backpropagation through time -----------------------------------------------------------


def _bptt(x, h0, kernel, recurrent_kernel, bias, dh, recurrent_path=True, tanh_grad=True,
          transpose=True, tanh_of_prev=False):
    """BPTT of the tanh RNN, or (with a flag set to its wrong value) one of its typical mistakes.

    Returns (d_kernel, d_recurrent_kernel, d_bias, d_h0).
    """
    h, _ = simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)
    d_kernel, d_recurrent = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    d_bias, dh_next = np.zeros_like(bias), np.zeros_like(h0)
    back = recurrent_kernel.T if transpose else recurrent_kernel
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        dh_t = dh[:, t] + (dh_next if recurrent_path else 0.0)
        slope = 1.0 - (h_prev if tanh_of_prev else h[:, t]) ** 2
        da = dh_t * slope if tanh_grad else dh_t
        d_kernel += x[:, t].T @ da
        d_recurrent += h_prev.T @ da
        d_bias += da.sum(axis=0)
        dh_next = da @ back
    return d_kernel, d_recurrent, d_bias, dh_next


def _finite_difference_gradients(x, dh, params) -> list[np.ndarray]:
    """dL/d(param) by central differences for L = sum(h * dh), params = [K, R, b, h0]."""
    def loss(kernel, recurrent_kernel, bias, h0):
        return float(np.sum(simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)[0] * dh))

    grads = []
    for i, param in enumerate(params):
        def loss_of(value, i=i):  # L as a function of parameter i alone
            return loss(*(value if j == i else q for j, q in enumerate(params)))
        grads.append(numerical_gradient(loss_of, param))
    return grads


_GRADIENT_NAMES = ("d_kernel", "d_recurrent_kernel", "d_bias", "d_h0")


@_checker
def check_rnn_backward(fn):
    """Check ``fn(x, h0, kernel, recurrent_kernel, bias, dh) -> (d_kernel, d_recurrent_kernel,
    d_bias, d_h0)`` against finite differences.

    The gradients are those of L = sum(h * dh), where h (B, T, H) are the states of the tanh RNN
    started at h0 (B, H) on x (B, T, D), and dh (B, T, H) is dL/dh_t arriving at every step.
    Each gradient has the shape of its parameter: (D, H), (H, H), (H,), (B, H).
    """
    sizes = [(2, 3, 3, 4), (1, 4, 2, 3), (3, 2, 4, 4), (2, 5, 3, 3), (1, 1, 2, 2)]  # B, T, D, H
    for case, (batch, steps, features, units) in zip(
        _cases("check_rnn_backward"), sizes, strict=True
    ):
        rng = case.rng
        x = rng.normal(size=(batch, steps, features))
        h0 = rng.uniform(-0.9, 0.9, size=(batch, units))
        kernel = rng.normal(scale=0.6, size=(features, units))
        recurrent_kernel = rng.normal(scale=0.6, size=(units, units))
        bias = rng.normal(scale=0.3, size=units)
        dh = rng.normal(size=(batch, steps, units))
        params = [kernel, recurrent_kernel, bias, h0]
        case.inputs = _describe(x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel,
                                bias=bias, dh=dh)

        expected = _finite_difference_gradients(x, dh, params)
        wrong = {
            "the path through the recurrent weights is missing: the gradient at h_t is "
            "dh[:, t] plus what comes back from step t + 1 (dh_next).":
                _bptt(x, h0, kernel, recurrent_kernel, bias, dh, recurrent_path=False),
            "the tanh' factor is missing: multiply the gradient at h_t by 1 - h_t**2 before "
            "the matrix products.": _bptt(x, h0, kernel, recurrent_kernel, bias, dh,
                                          tanh_grad=False),
            "a transpose is missing: the gradient sent back to h_{t-1} is "
            "da @ recurrent_kernel.T.": _bptt(x, h0, kernel, recurrent_kernel, bias, dh,
                                               transpose=False),
            "tanh'(a_t) = 1 - h_t**2 uses this step's state h_t, not h_{t-1}.":
                _bptt(x, h0, kernel, recurrent_kernel, bias, dh, tanh_of_prev=True),
        }
        reference = _bptt(x, h0, kernel, recurrent_kernel, bias, dh)
        wrong["L is a sum over the batch: do not divide by the batch size."] = tuple(
            g / batch for g in reference)
        received = _call(case, fn, x.copy(), h0.copy(), kernel.copy(), recurrent_kernel.copy(),
                         bias.copy(), dh.copy(), on_error=_matmul_hint)
        if isinstance(received, dict) or not isinstance(received, (tuple, list)) \
                or len(received) != 4:
            case.fail(f"return a tuple of 4 arrays (d_kernel, d_recurrent_kernel, d_bias, "
                      f"d_h0), got {type(received).__name__}: {_short(received)}.")
        for j, (name, grad, numeric) in enumerate(zip(_GRADIENT_NAMES, received, expected,
                                                      strict=True)):
            _check_gradient(case, name, grad, numeric, [(h, w[j]) for h, w in wrong.items()])


def _check_gradient(case: _Case, name: str, received, numeric: np.ndarray, mistakes) -> None:
    """Compare a gradient with its finite-difference estimate by relative error."""
    try:
        grad = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        case.fail(f"{name} should be an array of shape {numeric.shape}, "
                  f"got {type(received).__name__}.")
    if grad.shape != numeric.shape:
        case.fail(f"wrong shape of {name}: {grad.shape}, expected {numeric.shape} (the shape "
                  "of the parameter).", _generic_cause(grad, numeric))
    if not np.all(np.isfinite(grad)):
        case.fail(f"NaN or inf in {name}: {_short(grad)}.")
    error = relative_error(grad, numeric)
    if error > 1e-5:
        cause = next((hint for hint, w in mistakes if relative_error(grad, w) < 1e-6), None)
        case.fail(
            f"{name} disagrees with finite differences (relative error {error:.2g}; below 1e-5 "
            f"is right).\n  expected: {_short(numeric)}\n  received: {_short(grad)}",
            cause or _generic_cause(grad, numeric),
        )


# --- ch7: gradient clipping by the global norm ---------------------------------------------------


@_checker
def check_clip_by_norm(fn):
    """Check ``fn(grads, max_norm) -> clipped``, a list of arrays of the same shapes.

    The global norm is ||g|| = sqrt(sum of the squares of every entry of every array); if
    ||g|| > max_norm, every array is multiplied by max_norm / ||g||, otherwise all are unchanged.
    """
    layouts = [[(3, 4), (4,)], [(2, 2), (5,), (3, 1)], [(6,)], [(4, 3), (3,)], [(2, 3), (3,)]]
    ratios = [0.5, 2.0, 0.3, 1.5, 0.9]  # max_norm / ||g||: below 1 means clip
    for case, shapes, ratio in zip(_cases("check_clip_by_norm"), layouts, ratios,
                                   strict=True):
        grads = [case.rng.normal(scale=2.0, size=s) for s in shapes]
        norms = [float(np.linalg.norm(g)) for g in grads]
        global_norm = math.sqrt(sum(n * n for n in norms))
        max_norm = round(ratio * global_norm, 3)
        case.inputs = _describe(grads=_Summary(f"[{', '.join(str(s) for s in shapes)}]"),
                                max_norm=max_norm)
        scale = min(1.0, max_norm / global_norm)
        expected = [g * scale for g in grads]
        wrong = {
            "clip by the GLOBAL norm, sqrt of the sum of squares over all arrays together, "
            "not each array by its own norm.":
                [g * min(1.0, max_norm / n) for g, n in zip(grads, norms, strict=True)],
            "only clip when ||g|| > max_norm: leave smaller gradients unchanged (you scaled "
            "them up).": [g * max_norm / global_norm for g in grads],
            "multiply by max_norm / ||g||, not by 1 / ||g||.":
                [g / global_norm if global_norm > max_norm else g for g in grads],
            "clip by norm, not by value: np.clip(g, -C, C) changes the gradient's direction.":
                [np.clip(g, -max_norm, max_norm) for g in grads],
            "the global norm is sqrt(sum of squares of all entries), not the sum of the "
            "arrays' norms.": [g * min(1.0, max_norm / sum(norms)) for g in grads],
            "take the square root: the norm is sqrt(sum of squares).":
                [g * min(1.0, max_norm / global_norm**2) for g in grads],
        }
        received = _call(case, fn, [g.copy() for g in grads], max_norm)
        if isinstance(received, np.ndarray) or not isinstance(received, (list, tuple)):
            case.fail(f"return a list of {len(grads)} arrays (one per gradient), got "
                      f"{type(received).__name__}: {_short(received)}.")
        if len(received) != len(grads):
            case.fail(f"return one array per gradient: expected {len(grads)}, got "
                      f"{len(received)}.")
        for j, (got, want) in enumerate(zip(received, expected, strict=True)):
            mistakes = [(hint, w[j]) for hint, w in wrong.items()]
            _check_array(case, f"clipped grads[{j}]", got, want, mistakes)


# --- ch8: one LSTM step --------------------------------------------------------------------------


def _lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, order="ifco",
               candidate=np.tanh, gate=sigmoid, output_tanh=True, cell="f*c+i*g"):
    """One LSTM step (the reference with the defaults), or one of its typical mistakes.

    ``order`` names the blocks along the 4H axis; ``cell`` is the update of c written with
    f, i, c (c_prev) and g (the candidate).
    """
    blocks = dict(zip(order, np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4,
                                      axis=-1), strict=True))
    i, f, o, g = gate(blocks["i"]), gate(blocks["f"]), gate(blocks["o"]), candidate(blocks["c"])
    c_t = {"f*c+i*g": f * c_prev + i * g, "f*c+g": f * c_prev + g,
           "i*c+f*g": i * c_prev + f * g, "(1-f)*c+i*g": (1 - f) * c_prev + i * g}[cell]
    return (o * np.tanh(c_t) if output_tanh else o * c_t), c_t


@_checker
def check_lstm_step(fn):
    """Check ``fn(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) -> (h_t, c_t)``.

    Shapes: x_t (B, D), h_prev and c_prev (B, H), kernel (D, 4H), recurrent_kernel (H, 4H),
    bias (4H,), in Keras's gate order i, f, c (the candidate), o; h_t and c_t are (B, H)::

        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  c_tilde = tanh(z_c)
        c_t = f * c_prev + i * c_tilde;  h_t = o * tanh(c_t)
    """
    sizes = [(2, 3, 4), (1, 2, 3), (3, 4, 2), (2, 3, 3), (1, 5, 4)]
    for case, (batch, features, units) in zip(_cases("check_lstm_step"), sizes,
                                              strict=True):
        rng = case.rng
        args = (rng.normal(size=(batch, features)), rng.uniform(-0.9, 0.9, (batch, units)),
                rng.normal(size=(batch, units)), rng.normal(scale=0.6, size=(features, 4 * units)),
                rng.normal(scale=0.6, size=(units, 4 * units)),
                rng.normal(scale=0.5, size=4 * units))
        x_t, h_prev, c_prev, kernel, recurrent_kernel, bias = args
        case.inputs = _describe(x_t=x_t, h_prev=h_prev, c_prev=c_prev, kernel=kernel,
                                recurrent_kernel=recurrent_kernel, bias=bias)
        h, cache = lstm_forward(x_t[:, None], kernel, recurrent_kernel, bias, h_prev, c_prev)
        expected = h[:, 0], cache["c"][:, 0]
        order_hint = "Keras's gate order along the 4H axis is i, f, c (the candidate), o."
        wrong = [
            (order_hint, _lstm_step(*args, order="ifoc")),
            (order_hint, _lstm_step(*args, order="fico")),
            (order_hint, _lstm_step(*args, order="icfo")),
            ("h_t = o * tanh(c_t): the tanh of the cell state is missing.",
             _lstm_step(*args, output_tanh=False)),
            ("sigmoid where tanh belongs: the candidate is tanh(z_c) (the gates use sigmoid).",
             _lstm_step(*args, candidate=sigmoid)),
            ("tanh where sigmoid belongs: the gates i, f, o use sigmoid, only the candidate "
             "uses tanh.", _lstm_step(*args, gate=np.tanh)),
            ("the input gate is missing: c_t = f * c_prev + i * c_tilde.",
             _lstm_step(*args, cell="f*c+g")),
            ("the forget gate multiplies the old cell state and the input gate the candidate: "
             "c_t = f * c_prev + i * c_tilde.", _lstm_step(*args, cell="i*c+f*g")),
            ("the forget gate keeps what it is high for: c_t = f * c_prev + ..., not "
             "(1 - f) * c_prev.", _lstm_step(*args, cell="(1-f)*c+i*g")),
        ]
        received = _call(case, fn, *(a.copy() for a in args), on_error=_matmul_hint)
        if not isinstance(received, (tuple, list)) or len(received) != 2:
            case.fail(f"return a pair (h_t, c_t), got {type(received).__name__}: "
                      f"{_short(received)}.")
        if _close(received[0], expected[1]) and _close(received[1], expected[0]):
            case.fail("h_t and c_t are swapped.", "return (h_t, c_t) in this order.")
        for j, name in enumerate(("h_t", "c_t")):
            _check_array(case, name, received[j], expected[j],
                         [(hint, w[j]) for hint, w in wrong])


# --- ch9: one GRU step ---------------------------------------------------------------------------


def _gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, order="zr", keep="z",
              input_bias=0, recurrent_bias=1, candidate=np.tanh, gate=sigmoid,
              bias_in_reset=True):
    """One GRU step with reset_after=True (the reference), or one of its typical mistakes.

    ``order`` names the first two blocks; ``keep`` is the weight of h_prev ("z" or "1-z");
    ``input_bias`` and ``recurrent_bias`` are rows of ``bias`` (None: no bias);
    ``bias_in_reset`` puts the recurrent bias of the candidate inside r * (...).
    """
    units = h_prev.shape[1]
    b_in = bias[input_bias] if input_bias is not None else 0.0
    b_rec = bias[recurrent_bias] if recurrent_bias is not None else np.zeros(3 * units)
    x_parts = np.split(x_t @ kernel + b_in, 3, axis=-1)
    u_parts = np.split(h_prev @ recurrent_kernel, 3, axis=-1)
    b_parts = np.split(b_rec, 3)
    first, second = (0, 1) if order == "zr" else (1, 0)
    z = gate(x_parts[first] + u_parts[first] + b_parts[first])
    r = gate(x_parts[second] + u_parts[second] + b_parts[second])
    if bias_in_reset:
        h_tilde = candidate(x_parts[2] + r * (u_parts[2] + b_parts[2]))
    else:
        h_tilde = candidate(x_parts[2] + r * u_parts[2] + b_parts[2])
    return z * h_prev + (1 - z) * h_tilde if keep == "z" else (1 - z) * h_prev + z * h_tilde


@_checker
def check_gru_step(fn):
    """Check ``fn(x_t, h_prev, kernel, recurrent_kernel, bias) -> h_t`` (Keras, reset_after=True).

    Shapes: x_t (B, D), h_prev (B, H), kernel (D, 3H), recurrent_kernel (H, 3H), bias (2, 3H)
    (row 0 for the input part, row 1 for the recurrent part), blocks in the order z, r, candidate::

        x_z, x_r, x_h = split(x_t @ kernel + bias[0]);  u_z, u_r, u_h = split(h_prev @
        recurrent_kernel + bias[1]);  z = sigmoid(x_z + u_z);  r = sigmoid(x_r + u_r)
        h_tilde = tanh(x_h + r * u_h);  h_t = z * h_prev + (1 - z) * h_tilde
    """
    sizes = [(2, 3, 4), (1, 2, 3), (3, 4, 2), (2, 3, 3), (1, 5, 4)]
    for case, (batch, features, units) in zip(_cases("check_gru_step"), sizes,
                                              strict=True):
        rng = case.rng
        args = (rng.normal(size=(batch, features)), rng.uniform(-0.9, 0.9, (batch, units)),
                rng.normal(scale=0.7, size=(features, 3 * units)),
                rng.normal(scale=0.7, size=(units, 3 * units)),
                rng.normal(scale=0.6, size=(2, 3 * units)))
        x_t, h_prev, kernel, recurrent_kernel, bias = args
        case.inputs = _describe(x_t=x_t, h_prev=h_prev, kernel=kernel,
                                recurrent_kernel=recurrent_kernel, bias=bias)
        expected = gru_forward(x_t[:, None], kernel, recurrent_kernel, bias, h_prev)[0][:, 0]
        reset_before = ("reset_after=True (Keras's default): r multiplies the candidate's "
                        "part of h_prev @ recurrent_kernel + bias[1] (its last H columns), "
                        "after the matrix product; not h_prev before it.")
        bias_hint = ("bias has two rows: bias[0] goes with x_t @ kernel, bias[1] with "
                     "h_prev @ recurrent_kernel; you used only one of them.")
        mistakes = [
            ("the roles of z and 1 - z are swapped: Keras's GRU keeps z * h_prev and adds "
             "(1 - z) * h_tilde.", _gru_step(*args, keep="1-z")),
            (reset_before, gru_forward(x_t[:, None], kernel, recurrent_kernel, bias[0] + bias[1],
                                       h_prev, reset_after=False)[0][:, 0]),
            (reset_before, gru_forward(x_t[:, None], kernel, recurrent_kernel, bias[0], h_prev,
                                       reset_after=False)[0][:, 0]),
            (bias_hint, _gru_step(*args, recurrent_bias=None)),
            (bias_hint, _gru_step(*args, input_bias=None)),
            (bias_hint, _gru_step(*args, recurrent_bias=0)),
            ("Keras's order along the 3H axis is z, r, candidate: you swapped z and r.",
             _gru_step(*args, order="rz")),
            ("sigmoid where tanh belongs: the candidate is tanh(...), the gates z, r use "
             "sigmoid.", _gru_step(*args, candidate=sigmoid)),
            ("tanh where sigmoid belongs: the gates z and r use sigmoid, only the candidate "
             "uses tanh.", _gru_step(*args, gate=np.tanh)),
            ("with reset_after=True the candidate's recurrent bias bias[1, 2H:] is inside the "
             "reset: r * (h_prev @ U_h + bias[1, 2H:]).", _gru_step(*args, bias_in_reset=False)),
        ]
        received = _call(case, fn, *(a.copy() for a in args), on_error=_matmul_hint)
        _check_array(case, "h_t", received, expected, mistakes)


# --- ch10: joining the two directions of a bidirectional RNN -------------------------------------


@_checker
def check_bidirectional_concat(fn):
    """Check ``fn(forward, backward_reversed) -> out``.

    ``forward`` and ``backward_reversed`` have shape (B, T, H); ``backward_reversed[:, s]`` is the
    backward RNN's state after reading the reversed input up to step s, so it belongs to time
    T-1-s. ``out`` (B, T, 2H) has out[:, t] = concat(forward[:, t], backward_reversed[:, T-1-t]).
    """
    sizes = [(2, 5, 3), (3, 4, 2), (1, 6, 4), (2, 3, 3), (4, 2, 1)]
    for case, size in zip(_cases("check_bidirectional_concat"), sizes, strict=True):
        forward = np.round(case.rng.normal(size=size), 3)
        backward = np.round(case.rng.normal(size=size), 3)
        case.inputs = _describe(forward=forward, backward_reversed=backward)
        expected = np.concatenate([forward, backward[:, ::-1]], axis=-1)
        batch, steps, units = size
        mistakes = [
            ("backward_reversed[:, s] belongs to time T-1-s: flip it along time first "
             "(backward_reversed[:, ::-1]).", np.concatenate([forward, backward], axis=-1)),
            ("flip axis 1 (time), not axis 0 (the batch).",
             np.concatenate([forward, backward[::-1]], axis=-1)),
            ("flip axis 1 (time), not the last axis (the units).",
             np.concatenate([forward, backward[..., ::-1]], axis=-1)),
            ("forward first, then backward: out[:, t] = concat(forward[:, t], ...).",
             np.concatenate([backward[:, ::-1], forward], axis=-1)),
            ("only the backward states are reversed: forward[:, t] stays at time t.",
             np.concatenate([forward[:, ::-1], backward], axis=-1)),
            ("concatenate along the last axis (the units): np.concatenate([...], axis=-1).",
             lambda a, s=((batch, 2 * steps, units), (2 * batch, steps, units)): a.shape in s),
        ]
        received = _call(case, fn, forward.copy(), backward.copy())
        _check_array(case, "out", received, expected, mistakes)


# --- ch11: greedy decoding and beam search -------------------------------------------------------


class _StepFnMisuse(AssertionError):
    """The learner called the check's step_fn with a prefix that breaks the conventions."""


def _toy_decoder(rng: np.random.Generator, vocab: int, start: int, end: int, max_len: int,
                 end_boost: float = 0.0, planted=(), noise: float = 1.5):
    """A small random language model for decoding, and its step_fn.

    The next-token logits depend on the position and the last two tokens; the end token's grow
    with the position by up to ``end_boost``; ``planted`` lists (prefix, token, boost): after
    ``prefix`` (a tuple that starts with start), the logit of ``token`` is raised by ``boost``
    (``token`` None: all logits after ``prefix`` are set to 0).
    Returns ``step_fn(prefix) -> log_probs (V,)``; it checks that prefix is a list of token ids
    that starts with ``start``.
    """
    logits = rng.normal(scale=noise, size=(max_len + 1, vocab, vocab, vocab))
    logits[..., end] += end_boost * np.arange(max_len + 1)[:, None, None] / max_len
    logits[..., start] -= 3.0  # the start token is rarely predicted
    for prefix, token, boost in planted:
        prev2 = prefix[-2] if len(prefix) >= 2 else start
        row = logits[len(prefix) - 1, prev2, prefix[-1]]  # a view: changing it changes logits
        if token is None:
            row[:] = 0.0  # a flat distribution: nothing good comes after this prefix
        else:
            row[token] += boost
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))

    def step_fn(prefix):
        """Log-probabilities (V,) of the token after ``prefix`` (a list that starts with start)."""
        seq = list(prefix.tolist() if isinstance(prefix, np.ndarray) else prefix)
        if not seq or seq[0] != start:
            raise _StepFnMisuse(
                f"step_fn was called with prefix {seq}: a prefix starts with the start token "
                f"{start} (call step_fn([start]) first, then step_fn([start, t1]), ...).")
        if len(seq) > max_len + 1:
            raise _StepFnMisuse(
                f"step_fn was called with a prefix of {len(seq) - 1} tokens after start, more "
                f"than max_len = {max_len}: stop after max_len tokens.")
        prev2 = seq[-2] if len(seq) >= 2 else start
        return log_probs[len(seq) - 1, prev2, seq[-1]].copy()

    return step_fn


def _greedy(step_fn, start, end, max_len, pick=np.argmax):
    """Greedy decoding: the most likely next token each step, stopping before end."""
    prefix = [start]
    for _ in range(max_len):
        token = int(pick(step_fn(prefix)))
        if token == end:
            break
        prefix.append(token)
    return prefix[1:]


_DECODE_CASES = [  # (vocab, start, end, max_len, end_boost): the last two never reach end
    (6, 0, 1, 6, 4.0), (5, 4, 2, 5, 1.0), (7, 0, 6, 4, 6.0), (6, 5, 0, 7, -6.0), (5, 1, 3, 3, -6.0)]


@_checker
def check_greedy_decode(fn):
    """Check ``fn(step_fn, start, end, max_len) -> tokens`` (a list of ints).

    ``step_fn(prefix)`` gives the log-probabilities (V,) of the next token after ``prefix``, a list
    that starts with ``start``. Greedy decoding appends the most likely token each step and
    returns the tokens after ``start``: it stops before ``end`` (end is not returned) or after
    ``max_len`` tokens.
    """
    for case, (vocab, start, end, max_len, boost) in zip(
        _cases("check_greedy_decode"), _DECODE_CASES, strict=True
    ):
        step_fn = _toy_decoder(case.rng, vocab, start, end, max_len, boost)
        case.inputs = _describe(V=vocab, start=start, end=end, max_len=max_len)
        expected = _greedy(step_fn, start, end, max_len)
        stopped = len(expected) < max_len
        free = _greedy(step_fn, start, -1, max_len)  # never stops at end
        mistakes = [
            ("leave out the start token: return only the tokens after it.", [start] + expected),
            ("stop before the end token: do not append it.",
             expected + [end] if stopped else None),
            ("stop as soon as the end token is the most likely one.", free),
            ("stop as soon as the end token is the most likely one.",
             [t for t in free if t != end]),
            ("take the most likely token, np.argmax (not argmin).",
             _greedy(step_fn, start, end, max_len, pick=np.argmin)),
            ("return at most max_len tokens (off by one in the loop).",
             _greedy(step_fn, start, end, max_len - 1)),
        ]
        mistakes = [(h, w) for h, w in mistakes if w is not None and w != expected]
        received = _call(case, fn, step_fn, start, end, max_len)
        _check_tokens(case, "decoded tokens", received, expected, mistakes)


def _all_hypotheses(step_fn, start, end, max_len):
    """Every finished hypothesis: (tokens after start, sum of log-probs), by exhaustive search."""
    out, frontier = [], [([start], 0.0)]
    for _ in range(max_len):
        grown = []
        for prefix, score in frontier:
            for token, lp in enumerate(step_fn(prefix)):
                (out if token == end else grown).append((prefix + [token], score + lp))
        frontier = grown
    return [(p[1:], s) for p, s in out + frontier]


def _beam(step_fn, start, end, max_len, width, slots="shared", prune_by="sum"):
    """Beam search over ``step_fn``; returns every kept hypothesis as (tokens, sum of log-probs).

    The variants that people write: ``slots="shared"``, finished hypotheses keep their place in
    the beam; ``"alive"``, the beam holds ``width`` unfinished ones. ``prune_by`` ranks
    candidates by their "sum" or "mean" log-probability.
    """
    def rank(item):
        return item[1] / (len(item[0]) - 1) if prune_by == "mean" else item[1]

    beam, finished = [([start], 0.0)], []
    for _ in range(max_len):
        grown = [(p + [t], s + lp) for p, s in beam if p[-1] != end
                 for t, lp in enumerate(step_fn(p))]
        if slots == "shared":
            grown += [(p, s) for p, s in beam if p[-1] == end]
            beam = sorted(grown, key=rank, reverse=True)[:width]
        else:
            finished += [c for c in grown if c[0][-1] == end]
            beam = sorted([c for c in grown if c[0][-1] != end], key=rank,
                          reverse=True)[:width]
        if all(p[-1] == end for p, _ in beam):
            break
    return [(p[1:], s) for p, s in beam + finished]


def _best(hypotheses, end, normalise=True, count_end=True):
    """The tokens (end removed) of the hypothesis with the best score, and its margin."""
    def score(item):
        tokens, total = item
        length = len(tokens) - (0 if count_end or tokens[-1:] != [end] else 1)
        return total / max(length, 1) if normalise else total

    ranked = sorted(hypotheses, key=score, reverse=True)
    best = [t for t in ranked[0][0] if t != end]
    margin = score(ranked[0]) - score(ranked[1]) if len(ranked) > 1 else math.inf
    return best, margin


def _planted_decoder(seed: int):
    """A decoding problem with a likely path that greedy decoding misses.

    After start, a decoy token is the single most likely one, but nothing good follows it; the
    first token of the planted path is less likely, and the rest of the path is very likely.
    Returns (step_fn, V, start, end, max_len, beam_width).
    """
    rng = np.random.default_rng([11, seed])
    vocab, max_len = int(rng.integers(5, 7)), int(rng.integers(3, 6))
    start, end, decoy, first = (int(t) for t in rng.choice(vocab, size=4, replace=False))
    others = [t for t in range(vocab) if t not in (start, end)]
    path = [first] + [int(t) for t in rng.choice(others, size=int(rng.integers(1, max_len - 1)))]
    prefixes = [(start, *path[:k]) for k in range(len(path) + 1)]
    planted = [(p, t, 3.0) for p, t in zip(prefixes[1:], path[1:] + [end], strict=True)]
    planted += [((start,), first, 2.0), ((start,), decoy, 2.6), ((start,), end, 1.8),
                ((start, decoy), None, 0.0)]
    step_fn = _toy_decoder(rng, vocab, start, end, max_len, planted=planted, noise=0.5)
    return step_fn, vocab, start, end, max_len, 2 + seed % 2


def _beam_cases(total: int):
    """Decoding problems where beam search is well defined and differs from its mistakes.

    Drawn from seeds in order; a problem is kept when the usual variants of beam search and an
    exhaustive search agree with a clear margin (also when only finished hypotheses compete),
    and the unnormalised score and greedy decoding give two other answers (so the check can
    tell them apart).
    """
    seed, found = 0, []
    while len(found) < total:
        seed += 1
        step_fn, vocab, start, end, max_len, width = _planted_decoder(seed)
        searches = [_beam(step_fn, start, end, max_len, width, s, r)
                    for s in ("shared", "alive") for r in ("sum", "mean")]
        searches.append(_all_hypotheses(step_fn, start, end, max_len))
        finished = [[h for h in hyps if h[0][-1:] == [end]] for hyps in searches]
        answers = [_best(h, end) for h in searches + [f for f in finished if f]]
        best = answers[0][0]
        if any(a != best or m < 1e-3 for a, m in answers):
            continue
        raw = _best(searches[0], end, normalise=False)[0]
        greedy = _greedy(step_fn, start, end, max_len)
        if len({tuple(best), tuple(raw), tuple(greedy)}) == 3:
            found.append((step_fn, start, end, max_len, width, best, vocab))
    return found


@_checker
def check_beam_search(fn):
    """Check ``fn(step_fn, start, end, max_len, beam_width) -> tokens`` (a list of ints).

    Same conventions as :func:`check_greedy_decode`. The answer is the hypothesis with the best
    length-normalised log-probability: the sum of its tokens' log-probabilities divided by its
    length, the end token counted in the length (a hypothesis cut at max_len has length max_len).
    """
    problems = _beam_cases(CASES)
    for case, (step_fn, start, end, max_len, width, expected, vocab) in zip(
        _cases("check_beam_search"), problems, strict=True
    ):
        case.inputs = _describe(V=vocab, start=start, end=end, max_len=max_len,
                                beam_width=width)
        kept = _beam(step_fn, start, end, max_len, width)
        stopped = len(expected) < max_len
        mistakes = [
            ("divide each hypothesis's log-probability by its length before comparing: "
             "without it, short hypotheses always win.", _best(kept, end, normalise=False)[0]),
            ("count the end token in the length: a hypothesis [a, b, end] has length 3.",
             _best(kept, end, count_end=False)[0]),
            ("this is the greedy answer: keep beam_width hypotheses each step and expand every "
             "one of them.", _greedy(step_fn, start, end, max_len)),
            ("leave out the start token: return only the tokens after it.", [start] + expected),
            ("leave out the end token: return the tokens before it.",
             expected + [end] if stopped else None),
        ]
        mistakes = [(h, w) for h, w in mistakes if w is not None and w != expected]
        received = _call(case, fn, step_fn, start, end, max_len, width)
        _check_tokens(case, "best hypothesis", received, expected, mistakes)


# --- ch12: collapsing a CTC path -----------------------------------------------------------------


def _collapse(path, blank, merge=True, drop=True, drop_first=False):
    """Merge repeats, then drop blanks (the reference), or a mistake named by the flags."""
    path = list(path)
    if drop_first:
        path = [t for t in path if t != blank]
    if merge:
        path = [t for i, t in enumerate(path) if i == 0 or t != path[i - 1]]
    return [t for t in path if t != blank] if drop else path


@_checker
def check_ctc_collapse(fn):
    """Check ``fn(path, blank) -> labels`` (lists of ints).

    CTC's collapse: first merge runs of the same symbol into one, then drop the blanks, so
    ``[1, 1, 0, 1, 2, 2, 0]`` with blank 0 gives ``[1, 1, 2]``.
    """
    for case in _cases("check_ctc_collapse"):
        if case.number == 1:
            path, blank = [1, 1, 0, 1, 2, 2, 0, 0, 3, 3, 0, 2], 0
        elif case.number == 4:
            path, blank = [], 0
        else:  # random paths with repeats, blanks between equal labels, blank not always 0
            blank = [0, 0, 4, 0, 2][case.number - 1]
            labels = [t for t in range(5) if t != blank]
            path = []
            while len(path) < 14:
                label = int(case.rng.choice(labels))
                path += [label] * int(case.rng.integers(1, 3)) + [blank] * int(
                    case.rng.integers(0, 2)) + [label] * int(case.rng.integers(0, 2))
            path[-1] = path[0] = labels[1]  # first equals last: catches path[i - 1] at i = 0
        case.inputs = _describe(path=path, blank=blank)
        expected = _collapse(path, blank)
        mistakes = [
            ("merge the repeats first, then drop the blanks: a blank between two equal "
             "labels keeps both (1, 0, 1 -> 1, 1).", _collapse(path, blank, drop_first=True)),
            ("merge runs of the same symbol into one (1, 1 -> 1).",
             _collapse(path, blank, merge=False)),
            ("drop the blanks after merging.", _collapse(path, blank, drop=False)),
            ("merge only neighbouring repeats: the same label may come back later.",
             list(dict.fromkeys(t for t in path if t != blank))),
            ("use the blank you are given, not 0.", _collapse(path, 0)),
            ("the first symbol has no predecessor: compare path[i] with path[i - 1] only for "
             "i >= 1 (path[-1] is the last one).",
             [t for i, t in enumerate(path) if t != path[i - 1] and t != blank]),
        ]
        mistakes = [(h, w) for h, w in mistakes if w != expected]
        received = _call(case, fn, list(path), blank)
        _check_tokens(case, "labels", received, expected, mistakes)


# --- ch13: sampling with a temperature -----------------------------------------------------------

SAMPLES = 3000  # draws per temperature: a correct sampler passes, the typical mistakes fail


def _count_samples(case: _Case, fn, logits: np.ndarray, temperature: float, seed: int, n: int):
    """Call the sampler n times with one seeded Generator; return the counts (V,)."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(logits), dtype=int)
    for _ in range(n):
        token = _call(case, fn, logits.copy(), temperature, rng,
                      on_error=lambda error: _sampling_hint(error, temperature))
        if isinstance(token, np.ndarray) and token.shape == ():
            token = token.item()
        if isinstance(token, bool) or not isinstance(token, (int, np.integer)):
            case.fail(f"return one int (a token id), got {type(token).__name__}: "
                      f"{_short(token)}.",
                      "rng.choice(V, p=p) without size= returns one id.")
        if not 0 <= token < len(logits):
            case.fail(f"returned token {token}, outside 0 ... {len(logits) - 1}.")
        counts[int(token)] += 1
    return counts


def _sampling_hint(error: Exception, temperature: float) -> str | None:
    """A hint for an error of the sampler: argmax at temperature 0, softmax otherwise."""
    if temperature == 0:
        return "temperature 0 means argmax: handle it before dividing by the temperature."
    if isinstance(error, ValueError) and "probabilit" in str(error).lower():
        return ("turn the logits into probabilities first: p = softmax(logits / temperature) "
                "(non-negative, summing to 1).")
    return None


def _fits(counts: np.ndarray, p: np.ndarray) -> bool:
    """Do ``counts`` look like draws from ``p``? Each count within 5 standard deviations + 3."""
    n = counts.sum()
    return bool(np.all(np.abs(counts - n * p) <= 5 * np.sqrt(n * p * (1 - p)) + 3))


@_checker
def check_sample_with_temperature(fn):
    """Check ``fn(logits, temperature, rng) -> token`` (an int).

    ``logits`` has shape (V,), ``rng`` is a ``numpy.random.Generator``. The token is drawn from
    softmax(logits / temperature); temperature 0 means argmax, every time. The check draws
    ``SAMPLES`` tokens per temperature and compares the frequencies with softmax(logits / T),
    allowing five standard deviations (plus 3 draws) per token: a correct sampler fails with a
    probability below 1e-5, the typical mistakes miss by many standard deviations.
    """
    temperatures = [1.0, 0.5, 2.0, 0.0, 1.5]
    for case, temperature in zip(_cases("check_sample_with_temperature"), temperatures,
                                 strict=True):
        logits = np.round(case.rng.normal(scale=1.2, size=5), 2)
        case.inputs = _describe(logits=logits, temperature=temperature)
        seed = 100 + case.number
        if temperature == 0:
            counts = _count_samples(case, fn, logits, 0.0, seed, 50)
            if counts[np.argmax(logits)] != 50:
                case.fail(f"with temperature 0 the token must be argmax(logits) = "
                          f"{np.argmax(logits)} every time; counts per token: {counts.tolist()}.",
                          "temperature 0 means argmax: return int(np.argmax(logits)) before "
                          "dividing by the temperature.")
            continue
        if case.number == 1:  # the same seed must give the same draws
            first = _count_samples(case, fn, logits, temperature, seed, 200)
            if not np.array_equal(first, _count_samples(case, fn, logits, temperature, seed,
                                                        200)):
                case.fail("two runs with the same seeded rng gave different tokens.",
                          "draw with the rng you are given (rng.choice, rng.random), not "
                          "np.random.")
        counts = _count_samples(case, fn, logits, temperature, seed, SAMPLES)
        p = softmax(logits / temperature)
        if not _fits(counts, p):
            one_hot = np.eye(len(logits))[np.argmax(logits)]
            wrong = [
                ("divide the logits by the temperature (you multiplied).",
                 softmax(logits * temperature)),
                ("the temperature is missing: sample from softmax(logits / temperature).",
                 softmax(logits)),
                ("the sign is flipped: higher logits must be more likely.",
                 softmax(-logits / temperature)),
                ("you ignore the logits: sample from softmax(logits / temperature), not "
                 "uniformly.", np.full(len(logits), 1 / len(logits))),
                ("you always return the argmax: for temperature > 0, sample (rng.choice(V, "
                 "p=p)).", one_hot),
            ]
            cause = next((hint for hint, q in wrong if _fits(counts, q)), None)
            case.fail(
                f"the frequencies of {SAMPLES} draws do not match softmax(logits / T).\n"
                f"  expected: {np.round(p, 3).tolist()}\n"
                f"  received: {np.round(counts / SAMPLES, 3).tolist()}",
                cause,
            )

