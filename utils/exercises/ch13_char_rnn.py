"""Exercise checks of chapter 13: sampling with a temperature.

This module imports NumPy only.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from utils.exercises.harness import _call, _Case, _cases, _checker, _describe, _short
from utils.numpy_rnn import softmax

__all__ = ["check_sample_with_temperature"]


#: The cases of check_sample_with_temperature: (temperature, logits), chosen so that the typical
#: mistakes (temperature ignored, multiplied instead of divided, sign flipped, uniform, argmax)
#: draw from distributions far from the right one: with SAMPLES draws, none of them passed any
#: of 20,000 simulated checks (tests/test_exercises_ch13.py).
SAMPLER_CASES = (
    (1.0, (0.5, 2.0, -1.0, 0.0, -0.5)),
    (0.5, (-1.0, -0.5, -1.5, 0.5, -0.5)),
    (2.0, (-2.5, -2.5, 1.5, -1.5, -2.5)),
    (0.0, (1.1, 0.3, -1.2, 0.4, -0.2)),
    (1.5, (-2.5, -2.0, -2.5, -2.5, 1.0)),
)
SAMPLES = 200  # draws per temperature > 0
REPEATS = 50  # draws made twice with the same seed (case 1): the same tokens must come back
ARGMAX_DRAWS = 20  # draws at temperature 0: every one must be the argmax
ALPHA = 1e-8  # each token's count may fall below or above its range with this probability
SAMPLER_SEED = 100  # the rng of case i is numpy.random.default_rng(SAMPLER_SEED + i)
SLOW_CHECK_S = 10.0  # a check that will take longer says so after its first calls

#: Calls of the learner's sampler in one check that passes.
SAMPLER_CALLS = SAMPLES * sum(t > 0 for t, _ in SAMPLER_CASES) + REPEATS + ARGMAX_DRAWS


def _sampling_hint(error: Exception, temperature: float) -> str | None:
    """A hint for an error of the sampler: argmax at temperature 0, softmax otherwise."""
    if temperature == 0:
        return "temperature 0 means argmax: handle it before dividing by the temperature."
    if isinstance(error, ValueError) and "probabilit" in str(error).lower():
        return ("turn the logits into probabilities first: p = softmax(logits / temperature) "
                "(non-negative, summing to 1).")
    return None


@functools.lru_cache(maxsize=256)
def _count_range(n: int, p: float, alpha: float = ALPHA) -> tuple[int, int]:
    """The counts (lo, hi) of a Binomial(n, p) with P(X < lo) <= alpha and P(X > hi) <= alpha.

    Exact binomial tails (no normal approximation), so the bound holds for small p too.
    """
    if p <= 0.0 or p >= 1.0:
        return (0, 0) if p <= 0.0 else (n, n)
    k = np.arange(n + 1)
    log_pmf = (math.lgamma(n + 1) - np.array([math.lgamma(i + 1) + math.lgamma(n - i + 1)
                                              for i in k])
               + k * math.log(p) + (n - k) * math.log1p(-p))
    pmf = np.exp(log_pmf)
    below = np.cumsum(pmf)  # below[j] = P(X <= j)
    above = np.cumsum(pmf[::-1])[::-1]  # above[j] = P(X >= j)
    lo = int(np.argmax(below > alpha))  # P(X < lo) = below[lo - 1] <= alpha
    hi = int(n - np.argmax(above[::-1] > alpha))  # P(X > hi) = above[hi + 1] <= alpha
    return lo, hi


def _fits(counts: np.ndarray, p: np.ndarray) -> bool:
    """Do ``counts`` look like draws from ``p``? Each count within its exact binomial range.

    A right sampler falls outside with a probability below 2 * ALPHA per token (a union bound):
    below 1e-6 for a whole check.
    """
    n = int(np.sum(counts))
    return all(lo <= c <= hi for c, (lo, hi) in
               zip(counts, (_count_range(n, float(q)) for q in p), strict=True))


def _likeliest(counts: np.ndarray, candidates) -> str | None:
    """The hint of the candidate ``(hint, p)`` under which ``counts`` are the most likely."""
    if not candidates:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = [float(np.sum(np.where(counts > 0, counts * np.log(q), 0.0)))
                  for _, q in candidates]
    return candidates[int(np.argmax(scores))][0]


class _Clock:
    """Counts the calls of a sampler and says once, early, when the whole check will be slow."""

    def __init__(self, total_calls: int):
        import time

        self.time = time.perf_counter
        self.total, self.calls, self.start, self.said = total_calls, 0, self.time(), False

    def tick(self) -> None:
        """One more call made."""
        self.calls += 1
        if self.said or self.calls < 5:
            return
        per_call = (self.time() - self.start) / self.calls
        if per_call * self.total > SLOW_CHECK_S:
            self.said = True
            print(f"check_sample_with_temperature: your sampler takes {per_call * 1e3:.0f} ms "
                  f"a call and this check calls it {self.total:,} times: about "
                  f"{per_call * self.total:.0f} s in all (a sampler of a few lines of NumPy "
                  f"takes well under 1 ms a call).", flush=True)


def _draw(case: _Case, fn, logits: np.ndarray, temperature: float, seed: int, n: int,
          clock: _Clock) -> list[int]:
    """Call the sampler n times with the Generator ``default_rng(seed)``; return the tokens."""
    tokens, rng = [], np.random.default_rng(seed)
    for _ in range(n):
        token = _call(case, fn, logits.copy(), temperature, rng,
                      on_error=lambda error: _sampling_hint(error, temperature))
        clock.tick()
        if isinstance(token, np.ndarray) and token.shape == () and token.dtype.kind in "iu":
            token = token.item()
        if isinstance(token, bool) or not isinstance(token, (int, np.integer)):
            case.fail(f"return one int (a token id), got {type(token).__name__}: "
                      f"{_short(token)}.",
                      "rng.choice(V, p=p) without size= returns one id.")
        if not 0 <= token < len(logits):
            case.fail(f"returned token {token}, outside 0 ... {len(logits) - 1}.")
        tokens.append(int(token))
    return tokens


@_checker
def check_sample_with_temperature(fn):
    """Check ``fn(logits, temperature, rng) -> token`` (an int).

    ``logits`` has shape (V,), ``rng`` is a ``numpy.random.Generator``. The token is drawn from
    softmax(logits / temperature); temperature 0 means argmax, every time. The check draws
    ``SAMPLES`` tokens per temperature and compares each token's count with the range that
    softmax(logits / T) gives it (exact binomial tails of probability ALPHA): a correct sampler
    fails with a probability below 1e-6, the typical mistakes fail almost surely. It calls the
    sampler ``SAMPLER_CALLS`` (870) times in all, and says so first when that will be slow.
    """
    clock = _Clock(SAMPLER_CALLS)
    for case, (temperature, values) in zip(_cases("check_sample_with_temperature"),
                                           SAMPLER_CASES, strict=True):
        logits = np.array(values)
        case.inputs = _describe(logits=logits, temperature=temperature)
        seed = SAMPLER_SEED + case.number
        if temperature == 0:
            counts = np.bincount(_draw(case, fn, logits, 0.0, seed, ARGMAX_DRAWS, clock),
                                 minlength=len(logits))
            if counts[np.argmax(logits)] != ARGMAX_DRAWS:
                case.fail(f"with temperature 0 the token must be argmax(logits) = "
                          f"{np.argmax(logits)} every time; counts per token: {counts.tolist()}.",
                          "temperature 0 means argmax: return int(np.argmax(logits)) before "
                          "dividing by the temperature.")
            continue
        tokens = _draw(case, fn, logits, temperature, seed, SAMPLES, clock)
        if case.number == 1:  # the same seed must give the same draws
            again = _draw(case, fn, logits, temperature, seed, REPEATS, clock)
            if again != tokens[:REPEATS]:
                case.fail("two runs with the same seeded rng gave different tokens.",
                          "draw with the rng you are given (rng.choice, rng.random), not "
                          "np.random.")
        counts = np.bincount(tokens, minlength=len(logits))
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
            cause = _likeliest(counts, [(hint, q) for hint, q in wrong if _fits(counts, q)])
            case.fail(
                f"the frequencies of {SAMPLES} draws do not match softmax(logits / T).\n"
                f"  expected: {np.round(p, 3).tolist()}\n"
                f"  received: {np.round(counts / SAMPLES, 3).tolist()}",
                cause,
            )
