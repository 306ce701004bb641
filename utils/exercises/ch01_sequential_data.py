"""Exercise checks of chapter 1: sliding windows.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import _call, _cases, _check_array, _checker, _describe

__all__ = ["check_sliding_windows"]


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
