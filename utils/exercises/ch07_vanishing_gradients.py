"""Exercise checks of chapter 7: gradient clipping by the global norm.

This module imports NumPy only.
"""

from __future__ import annotations

import math

import numpy as np

from utils.exercises.harness import (
    _call,
    _cases,
    _check_array,
    _checker,
    _describe,
    _short,
    _Summary,
)

__all__ = ["check_clip_by_norm"]


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
