"""Exercise checks of chapter 10: joining the two directions of a bidirectional RNN.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import _call, _cases, _check_array, _checker, _describe

__all__ = ["check_bidirectional_concat"]


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
