"""NumPy reference implementations of recurrent layers, in Keras's weight layout.

Shapes: ``x`` is (batch, time, features), hidden states ``h`` are (batch, time, units). The weights
are exactly what ``layer.get_weights()`` returns for the matching Keras layer, so that
``simple_rnn_forward(x, *layer.get_weights())[0]`` equals ``SimpleRNN(units,
return_sequences=True)(x)``.
"""

from __future__ import annotations

import numpy as np

# --- SimpleRNN forward and backward (BPTT) -------------------------------------------------------


def sigmoid(z):
    """The logistic sigmoid ``1 / (1 + exp(-z))``, element-wise and without overflow warnings.

    Args:
        z: array of any shape.

    Returns:
        Array of the same shape, values in [0, 1].
    """
    z = np.asarray(z)
    out = np.empty_like(z, dtype=np.result_type(z, np.float32))
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def softmax(z, axis=-1):
    """Numerically stable softmax along ``axis`` (the maximum is subtracted first).

    Args:
        z: array of logits, any shape.
        axis: the axis that holds the classes.

    Returns:
        Array of the same shape whose entries along ``axis`` are non-negative and sum to 1.
    """
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    exp_z = np.exp(shifted)
    return exp_z / exp_z.sum(axis=axis, keepdims=True)


_SHAPE_HINT = (
    "Pass the weights in Keras's layout and order (layer.get_weights()) and batch x as "
    "(batch, time, features)."
)


def _check_shape(
    func: str, name: str, array, expected: tuple, hint: str = _SHAPE_HINT
) -> np.ndarray:
    """Return ``array`` as a floating NumPy array after checking its shape.

    Args:
        func: the public function's name, for the error message.
        name: the argument's name, for the error message.
        array: what the caller passed.
        expected: the expected shape; an entry may be an int, or a string naming a free dimension
            (for example ``"batch"``), which matches any size.
        hint: what to do, appended to the error message.

    Raises:
        ValueError: naming the argument, the expected shape and the shape received.
    """
    arr = np.asarray(array)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float32 if np.issubdtype(arr.dtype, np.integer) else np.float64)
    ok = arr.ndim == len(expected) and all(
        isinstance(e, str) or int(e) == s for e, s in zip(expected, arr.shape, strict=False)
    )
    if not ok:
        wanted = ", ".join(str(e) for e in expected) + ("," if len(expected) == 1 else "")
        raise ValueError(
            f"{func}: {name} must have shape ({wanted}), got {tuple(arr.shape)}. {hint}".rstrip()
        )
    return arr


def simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0=None):
    """Forward pass of a simple (Elman) RNN, equal to ``keras.layers.SimpleRNN``.

    Computes ``h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`` for t = 1..T, the
    maths' :math:`h_t = \\tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h)` in Keras's row-major layout:
    ``kernel`` is :math:`W_{xh}^\\top` and ``recurrent_kernel`` is :math:`W_{hh}^\\top`.

    Args:
        x: inputs, shape (batch, time, features) = (B, T, D).
        kernel: input weights :math:`W_{xh}^\\top`, shape (D, H).
        recurrent_kernel: recurrent weights :math:`W_{hh}^\\top`, shape (H, H).
        bias: ``b_h``, shape (H,).
        h0: initial hidden state, shape (B, H); zeros when None.

    Returns:
        ``(h, cache)``: ``h`` of shape (B, T, H) holds every hidden state h_1..h_T, and ``cache`` is
        what :func:`simple_rnn_backward` needs.
    """
    func = "simple_rnn_forward"
    x = _check_shape(func, "x", x, ("batch", "time", "features"))
    batch, steps, features = x.shape
    kernel = _check_shape(func, "kernel", kernel, (features, "units"))
    units = kernel.shape[1]
    recurrent_kernel = _check_shape(func, "recurrent_kernel", recurrent_kernel, (units, units))
    bias = _check_shape(func, "bias", bias, (units,))
    dtype = np.result_type(x, kernel, recurrent_kernel, bias)
    if h0 is None:
        h0 = np.zeros((batch, units), dtype=dtype)
    h0 = _check_shape(func, "h0", h0, (batch, units))
    dtype = np.result_type(dtype, h0)

    # Keras's layout: kernel = W_xh^T, recurrent_kernel = W_hh^T (rows times weights)
    kernel, recurrent_kernel = kernel.astype(dtype), recurrent_kernel.astype(dtype)
    bias = bias.astype(dtype)
    h = np.empty((batch, steps, units), dtype=dtype)
    h_prev = h0.astype(dtype)
    for t in range(steps):
        h_prev = np.tanh(x[:, t] @ kernel + h_prev @ recurrent_kernel + bias)
        h[:, t] = h_prev
    x = x.astype(dtype, copy=False)
    cache = {"x": x, "kernel": kernel, "recurrent_kernel": recurrent_kernel,
             "h0": h0.astype(dtype), "h": h}
    return h, cache


def simple_rnn_backward(dh, cache):
    """Backpropagation through time for :func:`simple_rnn_forward`.

    Args:
        dh: dL/dh_t for every hidden state, shape (B, T, H): the gradient that arrives at each
            h_t from above (for example from an output layer), not yet counting the path through
            h_{t+1}. For a many-to-one model, only ``dh[:, -1]`` is non-zero.
        cache: the second value returned by :func:`simple_rnn_forward`.

    Returns:
        dict with the gradients of L, each of the same shape as the forward argument:
        ``"x"`` (B, T, D), ``"kernel"`` (D, H), ``"recurrent_kernel"`` (H, H), ``"bias"`` (H,)
        and ``"h0"`` (B, H).
    """
    if not isinstance(cache, dict) or not {"x", "kernel", "recurrent_kernel", "h0", "h"} <= set(
        cache
    ):
        raise TypeError(
            "simple_rnn_backward: cache must be the second value returned by simple_rnn_forward."
        )
    x, kernel, recurrent_kernel, h0, h = (
        cache[k] for k in ("x", "kernel", "recurrent_kernel", "h0", "h"))
    dh = _check_shape("simple_rnn_backward", "dh", dh, h.shape)
    steps = x.shape[1]

    grads = {
        "x": np.zeros_like(x),
        "kernel": np.zeros_like(kernel),
        "recurrent_kernel": np.zeros_like(recurrent_kernel),
        "bias": np.zeros(kernel.shape[1], dtype=h.dtype),
    }
    dh_next = np.zeros_like(h0)  # gradient reaching h_t through h_{t+1}
    for t in reversed(range(steps)):
        h_t = h[:, t]
        h_prev = h[:, t - 1] if t > 0 else h0
        dh_t = dh[:, t] + dh_next
        da = dh_t * (1.0 - h_t**2)  # through tanh, at a_t = x_t kernel + h_prev rec. kernel + b
        grads["kernel"] += x[:, t].T @ da
        grads["recurrent_kernel"] += h_prev.T @ da
        grads["bias"] += da.sum(axis=0)
        grads["x"][:, t] = da @ kernel.T
        dh_next = da @ recurrent_kernel.T
    grads["h0"] = dh_next
    return grads


# --- LSTM and GRU forward ------------------------------------------------------------------------


def _gated_as_array(name: str, func: str, value) -> np.ndarray:
    """``value`` as a floating NumPy array, or a ``TypeError`` naming the argument."""
    try:
        array = np.asarray(value)
    except Exception as err:  # pragma: no cover - exotic inputs
        raise TypeError(f"{func}: {name} must be array-like, got {type(value).__name__}.") from err
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{func}: {name} must hold real numbers, got dtype {array.dtype}.")
    return array


def _gated_check_shapes(
    func: str,
    n_gates: int,
    x,
    kernel,
    recurrent_kernel,
    bias,
    bias_shapes: list[tuple[int, ...]],
    states: dict,
) -> tuple[np.ndarray, ...]:
    """Check the shapes of a gated layer's inputs; return them as arrays of one float dtype.

    ``n_gates`` is 4 for the LSTM and 3 for the GRU; ``bias_shapes`` lists the accepted bias
    shapes (as functions of ``H`` already evaluated); ``states`` maps names (``"h0"``, ``"c0"``)
    to initial states or ``None``.
    """
    x = _gated_as_array("x", func, x)
    kernel = _gated_as_array("kernel", func, kernel)
    recurrent_kernel = _gated_as_array("recurrent_kernel", func, recurrent_kernel)
    bias = _gated_as_array("bias", func, bias)
    if x.ndim != 3:
        raise ValueError(
            f"{func}: x must have shape (batch, time, features), got shape {x.shape}. "
            "For one sequence use x[None]."
        )
    batch, _, features = x.shape
    if kernel.ndim != 2 or kernel.shape[1] % n_gates != 0:
        raise ValueError(
            f"{func}: kernel must have shape (features, {n_gates} * units), got {kernel.shape}. "
            "Pass layer.get_weights()[0] of the matching Keras layer."
        )
    units = kernel.shape[1] // n_gates
    if kernel.shape[0] != features:
        raise ValueError(
            f"{func}: kernel has {kernel.shape[0]} rows but x has {features} features "
            f"(x.shape = {x.shape}, kernel.shape = {kernel.shape})."
        )
    if recurrent_kernel.shape != (units, n_gates * units):
        raise ValueError(
            f"{func}: recurrent_kernel must have shape (units, {n_gates} * units) = "
            f"{(units, n_gates * units)} for units = {units}, got {recurrent_kernel.shape}."
        )
    if bias.shape not in bias_shapes:
        allowed = " or ".join(str(s) for s in bias_shapes)
        raise ValueError(f"{func}: bias must have shape {allowed}, got {bias.shape}.")
    dtype = np.result_type(x, kernel, recurrent_kernel, bias, np.float32)
    out = [a.astype(dtype, copy=False) for a in (x, kernel, recurrent_kernel, bias)]
    for name, state in states.items():
        if state is None:
            out.append(np.zeros((batch, units), dtype=dtype))
            continue
        state = _gated_as_array(name, func, state)
        if state.shape != (batch, units):
            raise ValueError(
                f"{func}: {name} must have shape (batch, units) = {(batch, units)}, "
                f"got {state.shape}."
            )
        out.append(state.astype(dtype, copy=False))
    return tuple(out)


def lstm_forward(x, kernel, recurrent_kernel, bias, h0=None, c0=None):
    """Forward pass of an LSTM layer, equal to ``keras.layers.LSTM(units, return_sequences=True)``.

    Keras's layout: the four gates are stacked along the last axis in the order input ``i``,
    forget ``f``, candidate ``c`` (written :math:`\\tilde c_t`) and output ``o``. For each step::

        z       = x_t @ kernel + h_prev @ recurrent_kernel + bias     # (batch, 4H)
        i, f    = sigmoid(z_i), sigmoid(z_f)
        c_tilde = tanh(z_c)
        o       = sigmoid(z_o)
        c_t     = f * c_prev + i * c_tilde
        h_t     = o * tanh(c_t)

    Args:
        x: inputs, shape (batch, T, D).
        kernel: the four input weight matrices :math:`W_{xi}, W_{xf}, W_{xc}, W_{xo}`, each
            transposed, side by side: shape (D, 4H).
        recurrent_kernel: the four recurrent ones :math:`W_{hi}, \\dots, W_{ho}`, transposed,
            shape (H, 4H).
        bias: shape (4H,).
        h0, c0: initial hidden and cell states, shape (batch, H); zeros if ``None``.

    Returns:
        ``(h, cache)``: ``h`` of shape (batch, T, H), and a dict ``cache`` with the inputs
        (``"x"``, ``"kernel"``, ``"recurrent_kernel"``, ``"bias"``, ``"h0"``, ``"c0"``) and, each of
        shape (batch, T, H), the gates ``"i"``, ``"f"``, ``"o"``, the candidate ``"c_tilde"``, the
        cell states ``"c"`` and the hidden states ``"h"``.
    """
    func = "lstm_forward"
    x, kernel, recurrent_kernel, bias, h0, c0 = _gated_check_shapes(
        func, 4, x, kernel, recurrent_kernel, bias,
        bias_shapes=[(np.shape(kernel)[-1] if np.ndim(kernel) else 0,)],
        states={"h0": h0, "c0": c0},
    )
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    names = ("i", "f", "c_tilde", "o", "c", "h")
    cache = {name: np.zeros((batch, steps, units), dtype=x.dtype) for name in names}
    h_prev, c_prev = h0, c0
    for t in range(steps):
        z = x[:, t] @ kernel + h_prev @ recurrent_kernel + bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
        i_t, f_t, o_t = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
        c_tilde = np.tanh(z_c)
        c_t = f_t * c_prev + i_t * c_tilde
        h_t = o_t * np.tanh(c_t)
        for name, value in zip(names, (i_t, f_t, c_tilde, o_t, c_t, h_t), strict=True):
            cache[name][:, t] = value
        h_prev, c_prev = h_t, c_t
    cache.update(x=x, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias, h0=h0, c0=c0)
    return cache["h"], cache


def gru_forward(x, kernel, recurrent_kernel, bias, h0=None, reset_after=True):
    """Forward pass of a GRU layer, equal to ``keras.layers.GRU(units, return_sequences=True,
    reset_after=reset_after)``.

    Keras's layout: the three blocks are stacked along the last axis in the order update ``z``,
    reset ``r``, candidate ``h`` (written :math:`\\tilde h_t`). For each step::

        reset_after=True  (Keras's default; bias has shape (2, 3H): input bias, recurrent bias)
            x_z, x_r, x_h = split(x_t @ kernel + bias[0])
            u_z, u_r, u_h = split(h_prev @ recurrent_kernel + bias[1])
            z, r    = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
            h_tilde = tanh(x_h + r * u_h)                       # reset applied after the matmul
        reset_after=False (the published form, Cho et al. 2014; bias shape (3H,))
            x_z, x_r, x_h = split(x_t @ kernel + bias)
            z, r    = sigmoid(x_z + h_prev @ U_z), sigmoid(x_r + h_prev @ U_r)
            h_tilde = tanh(x_h + (r * h_prev) @ U_h)            # reset applied before the matmul
        h_t = z * h_prev + (1 - z) * h_tilde

    Args:
        x: inputs, shape (batch, T, D).
        kernel: shape (D, 3H).
        recurrent_kernel: ``U = [U_z | U_r | U_h]``, shape (H, 3H).
        bias: shape (2, 3H) if ``reset_after`` else (3H,).
        h0: initial state, shape (batch, H); zeros if ``None``.
        reset_after: Keras's ``reset_after`` flag (must match the layer the weights come from).

    Returns:
        ``(h, cache)``: ``h`` of shape (batch, T, H), and a dict ``cache`` with the inputs
        (``"x"``, ``"kernel"``, ``"recurrent_kernel"``, ``"bias"``, ``"h0"``, ``"reset_after"``)
        and, each of shape (batch, T, H), the gates ``"z"``, ``"r"``, the candidate ``"h_tilde"``
        and the hidden states ``"h"``.
    """
    func = "gru_forward"
    if not isinstance(reset_after, (bool, np.bool_)):
        raise TypeError(f"{func}: reset_after must be True or False, got {reset_after!r}.")
    width = np.shape(kernel)[-1] if np.ndim(kernel) else 0
    bias_shape = (2, width) if reset_after else (width,)
    try:
        x, kernel, recurrent_kernel, bias, h0 = _gated_check_shapes(
            func, 3, x, kernel, recurrent_kernel, bias, bias_shapes=[bias_shape],
            states={"h0": h0},
        )
    except ValueError as err:
        if np.shape(bias) in {(2, width), (width,)} - {bias_shape}:
            raise ValueError(
                f"{err} The bias shape {np.shape(bias)} belongs to "
                f"reset_after={not reset_after}: pass the flag of the layer the weights come from."
            ) from None
        raise
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    U_z, U_r, U_h = np.split(recurrent_kernel, 3, axis=-1)
    names = ("z", "r", "h_tilde", "h")
    cache = {name: np.zeros((batch, steps, units), dtype=x.dtype) for name in names}
    input_bias = bias[0] if reset_after else bias
    h_prev = h0
    for t in range(steps):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + input_bias, 3, axis=-1)
        if reset_after:
            u_z, u_r, u_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
            z_t, r_t = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
            h_tilde = np.tanh(x_h + r_t * u_h)
        else:
            z_t, r_t = sigmoid(x_z + h_prev @ U_z), sigmoid(x_r + h_prev @ U_r)
            h_tilde = np.tanh(x_h + (r_t * h_prev) @ U_h)
        h_t = z_t * h_prev + (1.0 - z_t) * h_tilde
        for name, value in zip(names, (z_t, r_t, h_tilde, h_t), strict=True):
            cache[name][:, t] = value
        h_prev = h_t
    cache.update(
        x=x, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias, h0=h0,
        reset_after=bool(reset_after),
    )
    return cache["h"], cache
