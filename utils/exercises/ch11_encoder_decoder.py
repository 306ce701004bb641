"""Exercise checks of chapter 11: greedy decoding and beam search.

This module imports NumPy only.
"""

from __future__ import annotations

import math

import numpy as np

from utils.exercises.harness import InputMisuse, _call, _cases, _check_tokens, _checker, _describe

__all__ = ["check_beam_search", "check_greedy_decode"]


class _StepFnMisuse(InputMisuse):
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


#: The problems of check_beam_search: (seed of _planted_decoder, the expected answer). They were
#: chosen, and tests/test_exercises_ch11.py checks it, so that the answer is well defined and
#: differs from the typical mistakes: the usual variants of beam search and an exhaustive search
#: agree on it with a clear margin (also when only finished hypotheses compete), and the
#: unnormalised score and greedy decoding give two other answers.
BEAM_CASES = ((3, (3, 2)), (11, (0, 0, 4)), (13, (4, 1)), (17, (0, 3, 5)), (21, (1, 3)))


@_checker
def check_beam_search(fn):
    """Check ``fn(step_fn, start, end, max_len, beam_width) -> tokens`` (a list of ints).

    Same conventions as :func:`check_greedy_decode`. The answer is the hypothesis with the best
    length-normalised log-probability: the sum of its tokens' log-probabilities divided by its
    length, the end token counted in the length (a hypothesis cut at max_len has length max_len).
    """
    for case, (seed, answer) in zip(_cases("check_beam_search"), BEAM_CASES, strict=True):
        step_fn, vocab, start, end, max_len, width = _planted_decoder(seed)
        expected = list(answer)
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
