"""Exercise checks of chapter 4: a leaky context vector.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import _call, _cases, _check_array, _checker, _describe

__all__ = ["check_leaky_context"]


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
