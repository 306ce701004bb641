"""Gradient checks by central differences, for any NumPy function.

A backward pass written by hand is checked against the definition of the derivative::

    df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

whose error is of order eps**2. In float64, with eps = 1e-6, a correct analytic gradient agrees
with it to a relative error of about 1e-8 or better; a wrong one is off by far more than 1e-6.
No TensorFlow here: NumPy only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["check_gradients", "numerical_gradient", "relative_error"]


def _check_eps(func: str, eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not eps > 0 \
            or not np.isfinite(eps):
        raise ValueError(f"{func}: eps must be a finite positive number (try 1e-6), got {eps!r}.")
    return float(eps)


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function.

    Args:
        f: function of one array returning a scalar (a Python or NumPy number, or a size-1 array).
        x: the point, a floating array of any shape. It is not modified: ``f`` receives a copy
            with one entry moved by +eps or -eps.
        eps: the step, a finite number > 0. 1e-6 suits float64; float32 would lose most digits
            (a warning says so); float16 is refused (a ``TypeError``).

    Returns:
        Array of the same shape and dtype as ``x``: the estimated df/dx.
    """
    eps = _check_eps("numerical_gradient", eps)
    if not callable(f):
        raise TypeError(f"numerical_gradient: f must be callable, got {type(f).__name__}.")
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"numerical_gradient: x must be a floating array, got dtype {x.dtype}; "
            "convert it with x.astype(np.float64)."
        )
    if np.finfo(x.dtype).bits < 32:
        raise TypeError(
            f"numerical_gradient: x is {x.dtype}: with about 3 significant digits, x + eps "
            f"rounds (for eps = {eps:g} and x near 1, back to x) and the differences are noise "
            f"or zero. Convert it with x.astype(np.float64)."
        )
    if x.dtype != np.float64:
        warnings.warn(
            f"numerical_gradient: x is {x.dtype}; central differences need float64 to be "
            "accurate (use x.astype(np.float64)).",
            stacklevel=2,
        )
    point = x.copy()
    grad = np.zeros_like(point)
    flat_point, flat_grad = point.reshape(-1), grad.reshape(-1)
    for i in range(flat_point.size):
        original = flat_point[i]
        flat_point[i] = original + eps
        f_plus = _scalar(f(point))
        flat_point[i] = original - eps
        f_minus = _scalar(f(point))
        flat_point[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _scalar(value) -> float:
    value = np.asarray(value)
    if value.size != 1:
        raise ValueError(
            f"numerical_gradient: f must return a scalar, got an array of shape {value.shape}; "
            "reduce it first (for example with .sum())."
        )
    return float(value.reshape(()))


def relative_error(a, b) -> float:
    """Relative error ``||a - b|| / (||a|| + ||b||)`` of two arrays of the same shape.

    Norm-based, so that entries near zero do not blow it up; 0.0 when both arrays are zero.
    Values near 1 mean unrelated arrays, 1e-7 or less in float64 means agreement. An array with a
    NaN or an infinite entry agrees with nothing: the error is ``inf`` (so that a check such as
    ``relative_error(a, b) < 1e-6`` fails; a NaN would make every comparison False, and
    ``max(errors) < 1e-6`` could then pass).

    Args:
        a, b: arrays (or numbers) of the same shape.

    Returns:
        A float in [0, 1], or ``inf`` when an entry is not finite.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"relative_error: a and b must have the same shape, got {a.shape} and {b.shape}."
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def check_gradients(
    f: Callable[..., float],
    params: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    eps: float = 1e-6,
) -> dict[str, float]:
    """Compare analytic gradients with central differences, parameter by parameter.

    Args:
        f: the loss, called as ``f(**params)`` and returning a scalar.
        params: name -> array (float64), the point at which to check.
        analytic: name -> dL/d(param) computed by hand, same shapes as ``params``. Only the names
            in ``analytic`` are checked; every one must also be in ``params``.
        eps: the central-difference step.

    Returns:
        dict name -> relative error (see :func:`relative_error`), in the order of ``analytic``;
        ``inf`` (with a warning that says which side) where the analytic or the numerical
        gradient has a NaN or infinite entry: such a gradient fails any check.

    Example::

        errors = check_gradients(loss, {"W": W}, {"W": dW})
        assert max(errors.values()) < 1e-6
    """
    if not isinstance(params, Mapping) or not isinstance(analytic, Mapping):
        raise TypeError("check_gradients: params and analytic must be dicts of name -> array.")
    missing = [name for name in analytic if name not in params]
    if missing:
        raise KeyError(
            f"check_gradients: analytic has {missing} which params lacks; "
            f"params has {list(params)}."
        )
    point = {name: np.asarray(value) for name, value in params.items()}
    errors = {}
    for name, grad in analytic.items():
        grad = np.asarray(grad)
        if grad.shape != point[name].shape:
            raise ValueError(
                f"check_gradients: analytic[{name!r}] has shape {grad.shape}, "
                f"params[{name!r}] has shape {point[name].shape}; they must match."
            )

        def f_of(value, name=name):
            return f(**{**point, name: value})

        numeric = numerical_gradient(f_of, point[name], eps=eps)
        bad = [side for side, g in (("analytic", grad), ("numerical", numeric))
               if not np.isfinite(np.asarray(g, dtype=np.float64)).all()]
        if bad:
            warnings.warn(
                f"check_gradients: the {' and the '.join(bad)} gradient of {name!r} has NaN or "
                f"infinite entries; its error is inf (the check fails).", stacklevel=2)
        errors[name] = relative_error(grad, numeric)
    return errors
