"""Exercise checks of chapter 5: one step of a simple RNN.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import (
    _call,
    _Case,
    _cases,
    _check_array,
    _checker,
    _describe,
    _matmul_hint,
)
from utils.numpy_rnn import sigmoid

__all__ = ["check_rnn_step"]


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
