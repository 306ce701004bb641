"""Initial weights and the Adam optimiser for the NumPy RNNs of chapters 6 and 7.

Weights are in Keras's layout (row vectors times weights), so that a NumPy model and a Keras
``SimpleRNN(H)`` followed by ``Dense(V)`` can hold the same arrays:

- ``kernel`` (D, H) is W_xh transposed, ``recurrent_kernel`` (H, H) is W_hh transposed,
  ``bias`` (H,) is b_h;
- ``dense_kernel`` (H, V) is W_hy transposed, ``dense_bias`` (V,) is b_y.

This module imports NumPy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adam", "glorot_uniform", "init_params", "orthogonal"]


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """A (fan_in, fan_out) matrix drawn uniformly from +-sqrt(6 / (fan_in + fan_out)).

    Keras's default ``kernel_initializer`` for ``SimpleRNN`` and ``Dense``.
    """
    limit = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random (n, n) orthogonal matrix: Keras's default ``recurrent_initializer``.

    The Q of the QR decomposition of a Gaussian matrix, with the signs of R's diagonal folded in
    so that Q is uniformly distributed over the orthogonal matrices.
    """
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def init_params(D: int, H: int, V: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Keras's default initial weights for ``SimpleRNN(H)`` followed by ``Dense(V)``.

    Args:
        D: input size; H: hidden units; V: output size (the vocabulary, for a language model).
        rng: a NumPy Generator (in the chapters: ``utils.model_rng(seed)``).

    Returns:
        dict with ``kernel`` (D, H), ``recurrent_kernel`` (H, H), ``bias`` (H,),
        ``dense_kernel`` (H, V) and ``dense_bias`` (V,): Glorot-uniform kernels, an orthogonal
        recurrent kernel, zero biases.
    """
    return {
        "kernel": glorot_uniform(D, H, rng),
        "recurrent_kernel": orthogonal(H, rng),
        "bias": np.zeros(H),
        "dense_kernel": glorot_uniform(H, V, rng),
        "dense_bias": np.zeros(V),
    }


def adam(params: dict, grads: dict, state: dict, lr: float = 1e-2, beta1: float = 0.9,
         beta2: float = 0.999, eps: float = 1e-7) -> None:
    """One Adam update of every array in ``params``, in place (Kingma and Ba, 2015).

    For each parameter with gradient g, at update number t:
    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g**2;
    param <- param - lr * m_hat / (sqrt(v_hat) + eps), where m_hat = m / (1 - beta1**t) and
    v_hat = v / (1 - beta2**t) undo the zero start of the averages.

    Args:
        params: name -> array, updated in place.
        grads: name -> gradient of the same shape (every name of ``params``).
        state: a dict, empty before the first update, that keeps t, m and v between calls.
        lr, beta1, beta2, eps: Keras's defaults except ``lr`` (Keras: 1e-3).
    """
    state["t"] = state.get("t", 0) + 1
    t = state["t"]
    for name in params:
        m = state.setdefault("m_" + name, np.zeros_like(params[name]))
        v = state.setdefault("v_" + name, np.zeros_like(params[name]))
        m[...] = beta1 * m + (1 - beta1) * grads[name]
        v[...] = beta2 * v + (1 - beta2) * grads[name] ** 2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
