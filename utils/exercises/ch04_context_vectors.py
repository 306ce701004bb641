"""Exercise checks of chapter 4: a leaky context vector.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import _call, _cases, _check_array, _checker, _describe

__all__ = ["check_leaky_context"]


def _leaky(x: np.ndarray, rho: float, h0=None) -> np.ndarray:
    """The leaky state h_T of x (T, V): h_t = rho * h_{t-1} + x_t from h_0 (zeros by default)."""
    h = np.zeros(x.shape[1]) if h0 is None else h0.copy()
    for x_t in x:
        h = rho * h + x_t
    return h


@_checker
def check_leaky_context(fn):
    """Check ``fn(x, rho) -> h_T``.

    ``x`` has shape (T, V) (one-hot rows as floats); h_0 = 0, h_t = rho * h_{t-1} + x_t, and the
    function returns the last state h_T, shape (V,).
    """
    rhos = [0.5, 0.9, 0.3, 0.75, 1.0]
    for case, rho in zip(_cases("check_leaky_context"), rhos, strict=True):
        steps, vocab = int(case.rng.integers(4, 9)), 5
        x = np.eye(vocab)[case.rng.integers(0, vocab, size=steps)]
        case.inputs = _describe(x=x, rho=rho)
        expected = _leaky(x, rho)
        mistakes = [
            ("return only the last state h_T, shape (V,), not every state.",
             lambda a, s=(steps, vocab): a.shape in (s, s[::-1])),
            ("rho multiplies the previous state: h_t = rho * h_{t-1} + x_t, not "
             "h_{t-1} + rho * x_t.", rho * x.sum(axis=0)),
            ("h_t = rho * h_{t-1} + x_t adds the input with weight 1 (there is no 1 - rho).",
             (1 - rho) * expected),
            ("the newest input gets weight 1 and older ones rho, rho**2, ...: you weighted the "
             "oldest input most.", _leaky(x[::-1], rho)),
            ("off by one: the loop must include every step t = 1, ..., T (the last input too).",
             _leaky(x[:-1], rho)),
            ("h_0 is zeros: you counted the first input twice.", _leaky(x, rho, h0=x[0])),
        ]
        received = _call(case, fn, x.copy(), rho)
        _check_array(case, "h_T", received, expected, mistakes)
