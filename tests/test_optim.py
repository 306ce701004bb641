import numpy as np
import pytest

from utils.optim import adam, glorot_uniform, init_params, orthogonal


def test_init_params_has_keras_shapes_and_ranges():
    p = init_params(5, 4, 3, np.random.default_rng(0))
    assert {k: v.shape for k, v in p.items()} == {
        "kernel": (5, 4), "recurrent_kernel": (4, 4), "bias": (4,),
        "dense_kernel": (4, 3), "dense_bias": (3,),
    }
    assert np.all(np.abs(p["kernel"]) <= np.sqrt(6 / 9))
    assert np.all(p["bias"] == 0) and np.all(p["dense_bias"] == 0)
    np.testing.assert_allclose(p["recurrent_kernel"].T @ p["recurrent_kernel"], np.eye(4),
                               atol=1e-12)


def test_init_params_is_repeatable_with_the_same_seed():
    a = init_params(3, 2, 3, np.random.default_rng(7))
    b = init_params(3, 2, 3, np.random.default_rng(7))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_glorot_uniform_fills_its_range():
    w = glorot_uniform(50, 50, np.random.default_rng(1))
    limit = np.sqrt(6 / 100)
    assert w.shape == (50, 50)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit


def test_orthogonal_is_orthogonal():
    q = orthogonal(6, np.random.default_rng(2))
    np.testing.assert_allclose(q @ q.T, np.eye(6), atol=1e-12)


def test_adam_first_step_has_length_lr_per_entry():
    p = {"w": np.array([1.0, -2.0])}
    adam(p, {"w": np.array([0.5, -3.0])}, {}, lr=0.1)
    # m_hat / sqrt(v_hat) = sign(g) at the first update
    np.testing.assert_allclose(p["w"], [0.9, -1.9], atol=1e-6)


def test_adam_minimises_a_quadratic():
    p, state = {"w": np.array([3.0, -4.0])}, {}
    for _ in range(500):
        adam(p, {"w": 2 * p["w"]}, state, lr=0.05)
    assert state["t"] == 500
    assert np.linalg.norm(p["w"]) < 1e-2


def test_adam_needs_every_gradient():
    with pytest.raises(KeyError):
        adam({"w": np.zeros(2), "b": np.zeros(1)}, {"w": np.ones(2)}, {})
