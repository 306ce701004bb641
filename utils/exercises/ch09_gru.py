"""Exercise checks of chapter 9: one GRU step.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import _call, _cases, _check_array, _checker, _describe, _matmul_hint
from utils.numpy_rnn import gru_forward, sigmoid

__all__ = ["check_gru_step"]


def _gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, order="zr", keep="z",
              input_bias=0, recurrent_bias=1, candidate=np.tanh, gate=sigmoid,
              bias_in_reset=True):
    """One GRU step with reset_after=True (the reference), or one of its typical mistakes.

    ``order`` names the first two blocks; ``keep`` is the weight of h_prev ("z" or "1-z");
    ``input_bias`` and ``recurrent_bias`` are rows of ``bias`` (None: no bias);
    ``bias_in_reset`` puts the recurrent bias of the candidate inside r * (...).
    """
    units = h_prev.shape[1]
    b_in = bias[input_bias] if input_bias is not None else 0.0
    b_rec = bias[recurrent_bias] if recurrent_bias is not None else np.zeros(3 * units)
    x_parts = np.split(x_t @ kernel + b_in, 3, axis=-1)
    u_parts = np.split(h_prev @ recurrent_kernel, 3, axis=-1)
    b_parts = np.split(b_rec, 3)
    first, second = (0, 1) if order == "zr" else (1, 0)
    z = gate(x_parts[first] + u_parts[first] + b_parts[first])
    r = gate(x_parts[second] + u_parts[second] + b_parts[second])
    if bias_in_reset:
        h_tilde = candidate(x_parts[2] + r * (u_parts[2] + b_parts[2]))
    else:
        h_tilde = candidate(x_parts[2] + r * u_parts[2] + b_parts[2])
    return z * h_prev + (1 - z) * h_tilde if keep == "z" else (1 - z) * h_prev + z * h_tilde


@_checker
def check_gru_step(fn):
    """Check ``fn(x_t, h_prev, kernel, recurrent_kernel, bias) -> h_t`` (Keras, reset_after=True).

    Shapes: x_t (B, D), h_prev (B, H), kernel (D, 3H), recurrent_kernel (H, 3H), bias (2, 3H)
    (row 0 for the input part, row 1 for the recurrent part), blocks in the order z, r, candidate::

        x_z, x_r, x_h = split(x_t @ kernel + bias[0]);  u_z, u_r, u_h = split(h_prev @
        recurrent_kernel + bias[1]);  z = sigmoid(x_z + u_z);  r = sigmoid(x_r + u_r)
        h_tilde = tanh(x_h + r * u_h);  h_t = z * h_prev + (1 - z) * h_tilde
    """
    sizes = [(2, 3, 4), (1, 2, 3), (3, 4, 2), (2, 3, 3), (1, 5, 4)]
    for case, (batch, features, units) in zip(_cases("check_gru_step"), sizes,
                                              strict=True):
        rng = case.rng
        args = (rng.normal(size=(batch, features)), rng.uniform(-0.9, 0.9, (batch, units)),
                rng.normal(scale=0.7, size=(features, 3 * units)),
                rng.normal(scale=0.7, size=(units, 3 * units)),
                rng.normal(scale=0.6, size=(2, 3 * units)))
        x_t, h_prev, kernel, recurrent_kernel, bias = args
        case.inputs = _describe(x_t=x_t, h_prev=h_prev, kernel=kernel,
                                recurrent_kernel=recurrent_kernel, bias=bias)
        expected = gru_forward(x_t[:, None], kernel, recurrent_kernel, bias, h_prev)[0][:, 0]
        reset_before = ("reset_after=True (Keras's default): r multiplies the candidate's "
                        "part of h_prev @ recurrent_kernel + bias[1] (its last H columns), "
                        "after the matrix product; not h_prev before it.")
        bias_hint = ("bias has two rows: bias[0] goes with x_t @ kernel, bias[1] with "
                     "h_prev @ recurrent_kernel; you used only one of them.")
        mistakes = [
            ("the roles of z and 1 - z are swapped: Keras's GRU keeps z * h_prev and adds "
             "(1 - z) * h_tilde.", _gru_step(*args, keep="1-z")),
            (reset_before, gru_forward(x_t[:, None], kernel, recurrent_kernel, bias[0] + bias[1],
                                       h_prev, reset_after=False)[0][:, 0]),
            (reset_before, gru_forward(x_t[:, None], kernel, recurrent_kernel, bias[0], h_prev,
                                       reset_after=False)[0][:, 0]),
            (bias_hint, _gru_step(*args, recurrent_bias=None)),
            (bias_hint, _gru_step(*args, input_bias=None)),
            (bias_hint, _gru_step(*args, recurrent_bias=0)),
            ("Keras's order along the 3H axis is z, r, candidate: you swapped z and r.",
             _gru_step(*args, order="rz")),
            ("sigmoid where tanh belongs: the candidate is tanh(...), the gates z, r use "
             "sigmoid.", _gru_step(*args, candidate=sigmoid)),
            ("tanh where sigmoid belongs: the gates z and r use sigmoid, only the candidate "
             "uses tanh.", _gru_step(*args, gate=np.tanh)),
            ("with reset_after=True the candidate's recurrent bias bias[1, 2H:] is inside the "
             "reset: r * (h_prev @ U_h + bias[1, 2H:]).", _gru_step(*args, bias_in_reset=False)),
        ]
        received = _call(case, fn, *(a.copy() for a in args), on_error=_matmul_hint)
        _check_array(case, "h_t", received, expected, mistakes)
