"""Exercise checks of chapter 8: one LSTM step.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import (
    _call,
    _cases,
    _check_array,
    _checker,
    _close,
    _describe,
    _matmul_hint,
    _short,
)
from utils.numpy_rnn import lstm_forward, sigmoid

__all__ = ["check_lstm_step"]


def _lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, order="ifco",
               candidate=np.tanh, gate=sigmoid, output_tanh=True, cell="f*c+i*g"):
    """One LSTM step (the reference with the defaults), or one of its typical mistakes.

    ``order`` names the blocks along the 4H axis; ``cell`` is the update of c written with
    f, i, c (c_prev) and g (the candidate).
    """
    blocks = dict(zip(order, np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4,
                                      axis=-1), strict=True))
    i, f, o, g = gate(blocks["i"]), gate(blocks["f"]), gate(blocks["o"]), candidate(blocks["c"])
    c_t = {"f*c+i*g": f * c_prev + i * g, "f*c+g": f * c_prev + g,
           "i*c+f*g": i * c_prev + f * g, "(1-f)*c+i*g": (1 - f) * c_prev + i * g}[cell]
    return (o * np.tanh(c_t) if output_tanh else o * c_t), c_t


@_checker
def check_lstm_step(fn):
    """Check ``fn(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) -> (h_t, c_t)``.

    Shapes: x_t (B, D), h_prev and c_prev (B, H), kernel (D, 4H), recurrent_kernel (H, 4H),
    bias (4H,), in Keras's gate order i, f, c (the candidate), o; h_t and c_t are (B, H)::

        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  c_tilde = tanh(z_c)
        c_t = f * c_prev + i * c_tilde;  h_t = o * tanh(c_t)
    """
    sizes = [(2, 3, 4), (1, 2, 3), (3, 4, 2), (2, 3, 3), (1, 5, 4)]
    for case, (batch, features, units) in zip(_cases("check_lstm_step"), sizes,
                                              strict=True):
        rng = case.rng
        args = (rng.normal(size=(batch, features)), rng.uniform(-0.9, 0.9, (batch, units)),
                rng.normal(size=(batch, units)), rng.normal(scale=0.6, size=(features, 4 * units)),
                rng.normal(scale=0.6, size=(units, 4 * units)),
                rng.normal(scale=0.5, size=4 * units))
        x_t, h_prev, c_prev, kernel, recurrent_kernel, bias = args
        case.inputs = _describe(x_t=x_t, h_prev=h_prev, c_prev=c_prev, kernel=kernel,
                                recurrent_kernel=recurrent_kernel, bias=bias)
        h, cache = lstm_forward(x_t[:, None], kernel, recurrent_kernel, bias, h_prev, c_prev)
        expected = h[:, 0], cache["c"][:, 0]
        order_hint = "Keras's gate order along the 4H axis is i, f, c (the candidate), o."
        wrong = [
            (order_hint, _lstm_step(*args, order="ifoc")),
            (order_hint, _lstm_step(*args, order="fico")),
            (order_hint, _lstm_step(*args, order="icfo")),
            ("h_t = o * tanh(c_t): the tanh of the cell state is missing.",
             _lstm_step(*args, output_tanh=False)),
            ("sigmoid where tanh belongs: the candidate is tanh(z_c) (the gates use sigmoid).",
             _lstm_step(*args, candidate=sigmoid)),
            ("tanh where sigmoid belongs: the gates i, f, o use sigmoid, only the candidate "
             "uses tanh.", _lstm_step(*args, gate=np.tanh)),
            ("the input gate is missing: c_t = f * c_prev + i * c_tilde.",
             _lstm_step(*args, cell="f*c+g")),
            ("the forget gate multiplies the old cell state and the input gate the candidate: "
             "c_t = f * c_prev + i * c_tilde.", _lstm_step(*args, cell="i*c+f*g")),
            ("the forget gate keeps what it is high for: c_t = f * c_prev + ..., not "
             "(1 - f) * c_prev.", _lstm_step(*args, cell="(1-f)*c+i*g")),
        ]
        received = _call(case, fn, *(a.copy() for a in args), on_error=_matmul_hint)
        if not isinstance(received, (tuple, list)) or len(received) != 2:
            case.fail(f"return a pair (h_t, c_t), got {type(received).__name__}: "
                      f"{_short(received)}.")
        if _close(received[0], expected[1]) and _close(received[1], expected[0]):
            case.fail("h_t and c_t are swapped.", "return (h_t, c_t) in this order.")
        for j, name in enumerate(("h_t", "c_t")):
            _check_array(case, name, received[j], expected[j],
                         [(hint, w[j]) for hint, w in wrong])
