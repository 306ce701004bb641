"""Exercise checks of chapter 3: add-k and Kneser-Ney smoothing.

This module imports NumPy only.
"""

from __future__ import annotations

from collections import Counter

from utils.exercises.ch02_sequence_probability import WORDS
from utils.exercises.harness import _call, _cases, _check_float, _checker, _describe, _Summary

__all__ = ["check_add_k", "check_kneser_ney_bigram"]


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
        words = WORDS[:5]
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
        tokens = [str(w) for w in case.rng.choice(WORDS[:6], size=40)]
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
