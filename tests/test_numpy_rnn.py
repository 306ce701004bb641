"""Tests of utils.numpy_rnn: NumPy recurrent layers against Keras, and their backward passes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.gradcheck import check_gradients
from utils.numpy_rnn import sigmoid, simple_rnn_backward, simple_rnn_forward, softmax


def random_simple_rnn(rng, batch=2, steps=5, features=3, units=4, dtype=np.float64):
    return {
        "x": rng.normal(size=(batch, steps, features)).astype(dtype),
        "kernel": rng.normal(scale=0.5, size=(features, units)).astype(dtype),
        "recurrent_kernel": rng.normal(scale=0.5, size=(units, units)).astype(dtype),
        "bias": rng.normal(scale=0.1, size=units).astype(dtype),
        "h0": rng.normal(size=(batch, units)).astype(dtype),
    }


# --- helpers


def test_sigmoid_is_stable_and_symmetric():
    z = np.array([-1000.0, -3.0, 0.0, 3.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        s = sigmoid(z)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.exp(3)), 0.5, 1 / (1 + np.exp(-3)), 1.0])
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0)


def test_softmax_sums_to_one_without_overflow():
    p = softmax(np.array([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[1], 1 / 3)
    assert p[0].argmax() == 1


# --- SimpleRNN forward


def test_simple_rnn_forward_follows_the_recurrence_step_by_step():
    p = random_simple_rnn(np.random.default_rng(0))
    h, _ = simple_rnn_forward(**p)
    assert h.shape == (2, 5, 4)
    h_prev = p["h0"]
    for t in range(5):
        h_prev = np.tanh(p["x"][:, t] @ p["kernel"] + h_prev @ p["recurrent_kernel"] + p["bias"])
        np.testing.assert_allclose(h[:, t], h_prev)


def test_simple_rnn_forward_defaults_to_a_zero_initial_state():
    p = random_simple_rnn(np.random.default_rng(1))
    h_default, _ = simple_rnn_forward(p["x"], p["kernel"], p["recurrent_kernel"], p["bias"])
    h_zero, _ = simple_rnn_forward(
        p["x"], p["kernel"], p["recurrent_kernel"], p["bias"], np.zeros((2, 4))
    )
    np.testing.assert_array_equal(h_default, h_zero)


def test_simple_rnn_forward_keeps_float32_and_float64():
    for dtype in (np.float32, np.float64):
        p = random_simple_rnn(np.random.default_rng(2), dtype=dtype)
        h, _ = simple_rnn_forward(**p)
        assert h.dtype == dtype


@pytest.mark.parametrize(
    "name, shape",
    [
        ("x", (2, 5)),
        ("kernel", (4, 4)),
        ("recurrent_kernel", (4, 3)),
        ("bias", (5,)),
        ("h0", (3, 4)),
    ],
)
def test_simple_rnn_forward_names_the_argument_with_a_wrong_shape(name, shape):
    p = random_simple_rnn(np.random.default_rng(3))
    p[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=rf"simple_rnn_forward: {name} must have shape"):
        simple_rnn_forward(**p)


def test_simple_rnn_forward_equals_keras_simple_rnn():
    keras = pytest.importorskip("keras")
    import utils

    utils.set_seed(0)
    x = np.random.default_rng(4).normal(size=(3, 7, 5)).astype("float32")
    layer = keras.layers.SimpleRNN(6, return_sequences=True)
    h_keras = np.asarray(layer(x))
    h_numpy, _ = simple_rnn_forward(x, *layer.get_weights())
    np.testing.assert_allclose(h_numpy, h_keras, atol=1e-5)


# --- SimpleRNN backward (BPTT)


def test_simple_rnn_backward_passes_a_gradient_check():
    rng = np.random.default_rng(5)
    p = random_simple_rnn(rng)
    dh = rng.normal(size=(2, 5, 4))

    def loss(**q):
        return np.sum(simple_rnn_forward(**q)[0] * dh)

    grads = simple_rnn_backward(dh, simple_rnn_forward(**p)[1])
    assert set(grads) == {"x", "kernel", "recurrent_kernel", "bias", "h0"}
    for name, grad in grads.items():
        assert grad.shape == p[name].shape, name
    errors = check_gradients(loss, p, grads)
    assert max(errors.values()) < 1e-7, errors


@settings(max_examples=15, deadline=None)
@given(
    batch=st.integers(1, 3),
    steps=st.integers(1, 6),
    features=st.integers(1, 4),
    units=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_simple_rnn_backward_is_right_for_any_shape(batch, steps, features, units, seed):
    rng = np.random.default_rng(seed)
    p = random_simple_rnn(rng, batch, steps, features, units)
    dh = rng.normal(size=(batch, steps, units))
    grads = simple_rnn_backward(dh, simple_rnn_forward(**p)[1])
    errors = check_gradients(lambda **q: np.sum(simple_rnn_forward(**q)[0] * dh), p, grads)
    assert max(errors.values()) < 1e-6, errors


def test_simple_rnn_backward_of_the_last_step_only_reaches_every_input():
    rng = np.random.default_rng(6)
    p = random_simple_rnn(rng)
    dh = np.zeros((2, 5, 4))
    dh[:, -1] = 1.0  # many-to-one: the loss sees h_T only
    grads = simple_rnn_backward(dh, simple_rnn_forward(**p)[1])
    assert np.all(np.abs(grads["x"]).sum(axis=(0, 2)) > 0)


def test_simple_rnn_backward_checks_its_arguments():
    p = random_simple_rnn(np.random.default_rng(7))
    _, cache = simple_rnn_forward(**p)
    with pytest.raises(ValueError, match="simple_rnn_backward: dh must have shape"):
        simple_rnn_backward(np.zeros((2, 4, 4)), cache)
    with pytest.raises(TypeError, match="cache"):
        simple_rnn_backward(np.zeros((2, 5, 4)), {"x": p["x"]})


def test_simple_rnn_backward_equals_tensorflow_gradient_tape():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    import utils

    utils.set_seed(0)
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    dh = rng.normal(size=(2, 6, 4)).astype("float32")
    layer = keras.layers.SimpleRNN(4, return_sequences=True)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_sum(layer(x_tf) * dh)
    tape_grads = tape.gradient(loss, [x_tf, *layer.trainable_weights])
    grads = simple_rnn_backward(dh, simple_rnn_forward(x, *layer.get_weights())[1])
    for name, expected in zip(["x", "kernel", "recurrent_kernel", "bias"], tape_grads, strict=True):
        np.testing.assert_allclose(grads[name], np.asarray(expected), atol=1e-5, err_msg=name)


# --- LSTM and GRU
from utils.numpy_rnn import gru_forward, lstm_forward


def random_gated(rng, kind, batch=2, steps=5, features=3, units=4, reset_after=True):
    """Random weights in Keras's layout for an LSTM (4 blocks) or a GRU (3 blocks)."""
    blocks = 4 if kind == "lstm" else 3
    if kind == "lstm" or not reset_after:
        bias_shape = (blocks * units,)
    else:
        bias_shape = (2, blocks * units)
    return {
        "x": rng.normal(size=(batch, steps, features)),
        "kernel": rng.normal(scale=0.5, size=(features, blocks * units)),
        "recurrent_kernel": rng.normal(scale=0.5, size=(units, blocks * units)),
        "bias": rng.normal(scale=0.5, size=bias_shape),
        "h0": rng.normal(size=(batch, units)),
    }


def keras_gated_layer(kind, units, reset_after=True):
    keras = pytest.importorskip("keras")
    if kind == "lstm":
        return keras.layers.LSTM(units, return_sequences=True, dtype="float64")
    return keras.layers.GRU(units, return_sequences=True, reset_after=reset_after, dtype="float64")


@pytest.mark.parametrize(
    "kind, reset_after",
    [("lstm", True), ("gru", True), ("gru", False)],
    ids=["lstm", "gru", "gru-v1"],
)
def test_gated_forward_equals_keras_with_random_weights(kind, reset_after):
    rng = np.random.default_rng(10)
    p = random_gated(rng, kind, batch=3, steps=7, features=5, units=4, reset_after=reset_after)
    layer = keras_gated_layer(kind, 4, reset_after)
    layer.build((None, 7, 5))
    weights = [p["kernel"], p["recurrent_kernel"], p["bias"]]
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights]
    layer.set_weights(weights)
    if kind == "lstm":
        c0 = rng.normal(size=(3, 4))
        h_keras = np.asarray(layer(p["x"], initial_state=[p["h0"], c0]))
        h_numpy, _ = lstm_forward(p["x"], *weights, h0=p["h0"], c0=c0)
    else:
        h_keras = np.asarray(layer(p["x"], initial_state=[p["h0"]]))
        h_numpy, _ = gru_forward(p["x"], *weights, h0=p["h0"], reset_after=reset_after)
    assert h_numpy.dtype == np.float64 and h_numpy.shape == (3, 7, 4)
    np.testing.assert_allclose(h_numpy, h_keras, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind, reset_after", [("lstm", True), ("gru", True), ("gru", False)])
def test_gated_forward_equals_a_default_keras_layer_in_float32(kind, reset_after):
    keras = pytest.importorskip("keras")
    import utils

    utils.set_seed(0)
    x = np.random.default_rng(11).normal(size=(2, 6, 3)).astype("float32")
    if kind == "lstm":
        layer = keras.layers.LSTM(5, return_sequences=True)
        h_numpy, _ = lstm_forward(x, *layer_weights(layer, x))
    else:
        layer = keras.layers.GRU(5, return_sequences=True, reset_after=reset_after)
        h_numpy, _ = gru_forward(x, *layer_weights(layer, x), reset_after=reset_after)
    assert h_numpy.dtype == np.float32
    np.testing.assert_allclose(h_numpy, np.asarray(layer(x)), atol=1e-5)


def layer_weights(layer, x):
    layer.build(x.shape)
    return layer.get_weights()


def test_lstm_forward_follows_the_equations_and_fills_the_cache():
    p = random_gated(np.random.default_rng(12), "lstm")
    h, cache = lstm_forward(p["x"], p["kernel"], p["recurrent_kernel"], p["bias"], h0=p["h0"])
    units = 4
    W = {g: p["kernel"][:, k * units:(k + 1) * units] for k, g in enumerate("ifco")}
    U = {g: p["recurrent_kernel"][:, k * units:(k + 1) * units] for k, g in enumerate("ifco")}
    b = {g: p["bias"][k * units:(k + 1) * units] for k, g in enumerate("ifco")}
    h_prev, c_prev = p["h0"], np.zeros((2, units))
    for t in range(5):
        x_t = p["x"][:, t]
        gate = {g: x_t @ W[g] + h_prev @ U[g] + b[g] for g in "ifco"}
        i_t, f_t, o_t = (1 / (1 + np.exp(-gate[g])) for g in "ifo")
        c_tilde = np.tanh(gate["c"])
        c_prev = f_t * c_prev + i_t * c_tilde
        h_prev = o_t * np.tanh(c_prev)
        for name, value in [("i", i_t), ("f", f_t), ("o", o_t), ("c_tilde", c_tilde),
                            ("c", c_prev), ("h", h_prev)]:
            np.testing.assert_allclose(cache[name][:, t], value, err_msg=f"{name} at t={t}")
    np.testing.assert_allclose(h[:, -1], h_prev)
    for name in ("i", "f", "o"):
        assert np.all((cache[name] > 0) & (cache[name] < 1))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_forward_follows_the_keras_convention(reset_after):
    p = random_gated(np.random.default_rng(13), "gru", reset_after=reset_after)
    h, cache = gru_forward(**p, reset_after=reset_after)
    units, sig = 4, (lambda z: 1 / (1 + np.exp(-z)))
    U_z, U_r, U_h = np.split(p["recurrent_kernel"], 3, axis=1)
    b_in = p["bias"][0] if reset_after else p["bias"]
    b_rec = p["bias"][1] if reset_after else np.zeros(3 * units)
    h_prev = p["h0"]
    for t in range(5):
        x_z, x_r, x_h = np.split(p["x"][:, t] @ p["kernel"] + b_in, 3, axis=1)
        r_z, r_r, r_h = np.split(b_rec, 3)
        z_t = sig(x_z + h_prev @ U_z + r_z)
        r_t = sig(x_r + h_prev @ U_r + r_r)
        if reset_after:
            h_tilde = np.tanh(x_h + r_t * (h_prev @ U_h + r_h))
        else:
            h_tilde = np.tanh(x_h + (r_t * h_prev) @ U_h)
        h_prev = z_t * h_prev + (1 - z_t) * h_tilde
        np.testing.assert_allclose(cache["z"][:, t], z_t)
        np.testing.assert_allclose(cache["r"][:, t], r_t)
        np.testing.assert_allclose(cache["h_tilde"][:, t], h_tilde)
    np.testing.assert_allclose(h[:, -1], h_prev)
    assert cache["reset_after"] is reset_after


def test_reset_after_changes_the_gru_only_through_the_reset_gate():
    p = random_gated(np.random.default_rng(14), "gru", reset_after=False)
    x, kernel, recurrent_kernel, bias = p["x"], p["kernel"], p["recurrent_kernel"], p["bias"]
    both = np.stack([bias, np.zeros_like(bias)])
    # with the reset gate forced open (r = 1), the two conventions are the same function
    units = 4
    wide_open = bias.copy()
    wide_open[units:2 * units] = 50.0
    h_v1, _ = gru_forward(x, kernel, recurrent_kernel, wide_open, reset_after=False)
    h_v3, _ = gru_forward(x, kernel, recurrent_kernel, np.stack([wide_open, np.zeros_like(bias)]))
    np.testing.assert_allclose(h_v1, h_v3, atol=1e-12)
    # in general they differ
    h_v1, _ = gru_forward(x, kernel, recurrent_kernel, bias, reset_after=False)
    h_v3, _ = gru_forward(x, kernel, recurrent_kernel, both, reset_after=True)
    assert np.abs(h_v1 - h_v3).max() > 1e-3


def test_gated_forward_defaults_to_zero_states():
    rng = np.random.default_rng(15)
    p = random_gated(rng, "lstm")
    a, _ = lstm_forward(p["x"], p["kernel"], p["recurrent_kernel"], p["bias"])
    b, _ = lstm_forward(p["x"], p["kernel"], p["recurrent_kernel"], p["bias"],
                        h0=np.zeros((2, 4)), c0=np.zeros((2, 4)))
    np.testing.assert_array_equal(a, b)
    q = random_gated(rng, "gru")
    a, _ = gru_forward(q["x"], q["kernel"], q["recurrent_kernel"], q["bias"])
    b, _ = gru_forward(q["x"], q["kernel"], q["recurrent_kernel"], q["bias"], h0=np.zeros((2, 4)))
    np.testing.assert_array_equal(a, b)


def test_gated_forward_keeps_float32():
    p = {k: v.astype(np.float32) for k, v in random_gated(np.random.default_rng(16), "gru").items()}
    h, cache = gru_forward(**p)
    assert h.dtype == np.float32 and cache["z"].dtype == np.float32


@pytest.mark.parametrize(
    "name, shape, message",
    [
        ("x", (2, 5), "x must have shape"),
        ("kernel", (3, 15), "kernel must have shape"),
        ("kernel", (4, 16), "kernel has 4 rows but x has 3 features"),
        ("recurrent_kernel", (4, 12), "recurrent_kernel must have shape"),
        ("bias", (2, 16), "bias must have shape"),
        ("h0", (3, 4), "h0 must have shape"),
        ("c0", (2, 5), "c0 must have shape"),
    ],
)
def test_lstm_forward_names_the_argument_with_a_wrong_shape(name, shape, message):
    p = random_gated(np.random.default_rng(17), "lstm")
    p["c0"] = np.zeros((2, 4))
    p[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=f"lstm_forward: {message}"):
        lstm_forward(**p)


def test_gru_forward_explains_a_bias_of_the_other_reset_after():
    p = random_gated(np.random.default_rng(18), "gru", reset_after=True)
    with pytest.raises(ValueError, match="belongs to reset_after=True"):
        gru_forward(**p, reset_after=False)
    q = random_gated(np.random.default_rng(18), "gru", reset_after=False)
    with pytest.raises(ValueError, match="belongs to reset_after=False"):
        gru_forward(**q)
    with pytest.raises(TypeError, match="reset_after must be True or False"):
        gru_forward(**q, reset_after="no")
    with pytest.raises(TypeError, match="x must hold real numbers"):
        gru_forward(np.array([[["a"]]]), q["kernel"], q["recurrent_kernel"], q["bias"])
