"""Exercise checks of chapter 15: the linear recurrence in log space.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import _call, _cases, _check_array, _checker, _describe

__all__ = ["check_log_space_recurrence"]


def _log_space(log_a, log_b, log_h0, exclusive=False, with_h0=True, add_a_star=True):
    """log h_t of h_t = a_t h_{t-1} + b_t (t = 1..T), or one of its typical mistakes."""
    a_star = np.cumsum(log_a, axis=1)
    shift = a_star - log_a if exclusive else a_star
    first = log_h0[:, None] if with_h0 else np.full_like(log_h0[:, None], -np.inf)
    terms = np.concatenate([first, log_b - shift], axis=1)
    total = np.logaddexp.accumulate(terms, axis=1)[:, 1:]
    return a_star + total if add_a_star else total


@_checker
def check_log_space_recurrence(fn):
    """Check ``fn(log_a, log_b, log_h0) -> log_h``.

    Shapes: log_a, log_b (B, T, H), log_h0 (B, H); the function returns log h_t for t = 1..T,
    shape (B, T, H), of the linear recurrence h_t = a_t * h_{t-1} + b_t (a_t in (0, 1), b_t > 0,
    h_0 > 0)::

        a_star = cumsum(log_a, axis=1)
        log_h = a_star + logcumsumexp([log_h0, log_b - a_star], axis=1)[:, 1:]

    One case is 1,500 steps long with gates around 1/2: there the products a_1 * ... * a_t
    underflow, and only an answer that stays in log space is finite.
    """
    sizes = [(2, 6, 3), (1, 1, 2), (3, 12, 2), (2, 1500, 3), (1, 40, 4)]  # (B, T, H)
    for case, (batch, steps, units) in zip(_cases("check_log_space_recurrence"), sizes,
                                           strict=True):
        rng = case.rng
        pre_a = rng.normal(size=(batch, steps, units))
        log_a = -np.logaddexp(0.0, -pre_a)  # log sigmoid: gates around 1/2
        log_b = rng.normal(scale=0.5, size=(batch, steps, units)) - 1.0
        log_h0 = rng.normal(scale=0.5, size=(batch, units))
        args = (log_a, log_b, log_h0)
        case.inputs = _describe(log_a=log_a, log_b=log_b, log_h0=log_h0)
        expected = _log_space(*args)
        mistakes = [
            ("NaN or inf: the products a_1 * ... * a_t underflow to 0 (and 1 / A_t overflows) "
             "on long sequences; stay in log space: a_star = cumsum(log_a), then "
             "np.logaddexp.accumulate.", lambda a: not np.all(np.isfinite(a))),
            ("log h_0 is missing: make it the first term of the cumulative log-sum-exp, "
             "before log_b - a_star.", _log_space(*args, with_h0=False)),
            ("drop the first term (it is log h_0, not a state): return [:, 1:], T states.",
             lambda a, s=(batch, steps + 1, units): a.shape == s),
            ("subtract a*_t = log a_1 + ... + log a_t (inclusive cumsum) from log b_t, "
             "not a*_{t-1}.", _log_space(*args, exclusive=True)),
            ("add a_star back after the cumulative log-sum-exp: log h_t = a*_t + ...",
             _log_space(*args, add_a_star=False)),
            ("return log h_t, not h_t = exp(...).", np.exp(expected)),
            ("the arguments are (log_a, log_b, log_h0): you swapped log_a and log_b.",
             _log_space(log_b, log_a, log_h0)),
        ]
        received = _call(case, fn, *(a.copy() for a in args))
        _check_array(case, "log_h", received, expected, mistakes)
