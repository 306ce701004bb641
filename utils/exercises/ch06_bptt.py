"""Exercise checks of chapter 6: backpropagation through time.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

from utils.exercises.harness import (
    _call,
    _Case,
    _cases,
    _checker,
    _describe,
    _generic_cause,
    _matmul_hint,
    _real_array,
    _short,
)
from utils.gradcheck import numerical_gradient, relative_error
from utils.numpy_rnn import simple_rnn_forward

__all__ = ["check_rnn_backward"]


def _bptt(x, h0, kernel, recurrent_kernel, bias, dh, recurrent_path=True, tanh_grad=True,
          transpose=True, tanh_of_prev=False):
    """BPTT of the tanh RNN, or (with a flag set to its wrong value) one of its typical mistakes.

    Returns (d_kernel, d_recurrent_kernel, d_bias, d_h0).
    """
    h, _ = simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)
    d_kernel, d_recurrent = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    d_bias, dh_next = np.zeros_like(bias), np.zeros_like(h0)
    back = recurrent_kernel.T if transpose else recurrent_kernel
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        dh_t = dh[:, t] + (dh_next if recurrent_path else 0.0)
        slope = 1.0 - (h_prev if tanh_of_prev else h[:, t]) ** 2
        da = dh_t * slope if tanh_grad else dh_t
        d_kernel += x[:, t].T @ da
        d_recurrent += h_prev.T @ da
        d_bias += da.sum(axis=0)
        dh_next = da @ back
    return d_kernel, d_recurrent, d_bias, dh_next


def _finite_difference_gradients(x, dh, params) -> list[np.ndarray]:
    """dL/d(param) by central differences for L = sum(h * dh), params = [K, R, b, h0]."""
    def loss(kernel, recurrent_kernel, bias, h0):
        return float(np.sum(simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)[0] * dh))

    grads = []
    for i, param in enumerate(params):
        def loss_of(value, i=i):  # L as a function of parameter i alone
            return loss(*(value if j == i else q for j, q in enumerate(params)))
        grads.append(numerical_gradient(loss_of, param))
    return grads


_GRADIENT_NAMES = ("d_kernel", "d_recurrent_kernel", "d_bias", "d_h0")


@_checker
def check_rnn_backward(fn):
    """Check ``fn(x, h0, kernel, recurrent_kernel, bias, dh) -> (d_kernel, d_recurrent_kernel,
    d_bias, d_h0)`` against finite differences.

    The gradients are those of L = sum(h * dh), where h (B, T, H) are the states of the tanh RNN
    started at h0 (B, H) on x (B, T, D), and dh (B, T, H) is dL/dh_t arriving at every step.
    Each gradient has the shape of its parameter: (D, H), (H, H), (H,), (B, H).
    """
    sizes = [(2, 3, 3, 4), (1, 4, 2, 3), (3, 2, 4, 4), (2, 5, 3, 3), (1, 1, 2, 2)]  # B, T, D, H
    for case, (batch, steps, features, units) in zip(
        _cases("check_rnn_backward"), sizes, strict=True
    ):
        rng = case.rng
        x = rng.normal(size=(batch, steps, features))
        h0 = rng.uniform(-0.9, 0.9, size=(batch, units))
        kernel = rng.normal(scale=0.6, size=(features, units))
        recurrent_kernel = rng.normal(scale=0.6, size=(units, units))
        bias = rng.normal(scale=0.3, size=units)
        dh = rng.normal(size=(batch, steps, units))
        params = [kernel, recurrent_kernel, bias, h0]
        case.inputs = _describe(x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel,
                                bias=bias, dh=dh)

        expected = _finite_difference_gradients(x, dh, params)
        wrong = {
            "the path through the recurrent weights is missing: the gradient at h_t is "
            "dh[:, t] plus what comes back from step t + 1 (dh_next).":
                _bptt(x, h0, kernel, recurrent_kernel, bias, dh, recurrent_path=False),
            "the tanh' factor is missing: multiply the gradient at h_t by 1 - h_t**2 before "
            "the matrix products.": _bptt(x, h0, kernel, recurrent_kernel, bias, dh,
                                          tanh_grad=False),
            "a transpose is missing: the gradient sent back to h_{t-1} is "
            "da @ recurrent_kernel.T.": _bptt(x, h0, kernel, recurrent_kernel, bias, dh,
                                               transpose=False),
            "tanh'(a_t) = 1 - h_t**2 uses this step's state h_t, not h_{t-1}.":
                _bptt(x, h0, kernel, recurrent_kernel, bias, dh, tanh_of_prev=True),
        }
        reference = _bptt(x, h0, kernel, recurrent_kernel, bias, dh)
        wrong["L is a sum over the batch: do not divide by the batch size."] = tuple(
            g / batch for g in reference)
        received = _call(case, fn, x.copy(), h0.copy(), kernel.copy(), recurrent_kernel.copy(),
                         bias.copy(), dh.copy(), on_error=_matmul_hint)
        if isinstance(received, dict) or not isinstance(received, (tuple, list)) \
                or len(received) != 4:
            case.fail(f"return a tuple of 4 arrays (d_kernel, d_recurrent_kernel, d_bias, "
                      f"d_h0), got {type(received).__name__}: {_short(received)}.")
        for j, (name, grad, numeric) in enumerate(zip(_GRADIENT_NAMES, received, expected,
                                                      strict=True)):
            _check_gradient(case, name, grad, numeric, [(h, w[j]) for h, w in wrong.items()])


def _check_gradient(case: _Case, name: str, received, numeric: np.ndarray, mistakes) -> None:
    """Compare a gradient with its finite-difference estimate by relative error."""
    grad = _real_array(case, name, received, numeric.shape)
    if grad.shape != numeric.shape:
        case.fail(f"wrong shape of {name}: {grad.shape}, expected {numeric.shape} (the shape "
                  "of the parameter).", _generic_cause(grad, numeric))
    if not np.all(np.isfinite(grad)):
        case.fail(f"NaN or inf in {name}: {_short(grad)}.")
    error = relative_error(grad, numeric)
    if error > 1e-5:
        cause = next((hint for hint, w in mistakes if relative_error(grad, w) < 1e-6), None)
        case.fail(
            f"{name} disagrees with finite differences (relative error {error:.2g}; below 1e-5 "
            f"is right).\n  expected: {_short(numeric)}\n  received: {_short(grad)}",
            cause or _generic_cause(grad, numeric),
        )
