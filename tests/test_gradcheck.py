"""Tests of utils.gradcheck: central differences and relative errors."""

import numpy as np
import pytest

from utils.gradcheck import check_gradients, numerical_gradient, relative_error


def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.5])
    grad = numerical_gradient(lambda v: 0.5 * v @ A @ v, x)
    np.testing.assert_allclose(grad, A @ x, rtol=1e-8)


def test_numerical_gradient_keeps_the_shape_and_does_not_modify_x():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    assert grad.shape == (2, 3)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, np.cos(x), atol=1e-8)


def test_numerical_gradient_checks_its_arguments():
    with pytest.raises(TypeError, match="floating"):
        numerical_gradient(np.sum, np.array([1, 2]))
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(np.sum, np.array([1.0]), eps=0)
    with pytest.raises(ValueError, match="scalar"):
        numerical_gradient(lambda v: v * 2, np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="callable"):
        numerical_gradient(3, np.array([1.0]))
    with pytest.warns(UserWarning, match="float64"):
        numerical_gradient(np.sum, np.array([1.0], dtype=np.float32), eps=1e-3)


def test_relative_error_is_scale_free_and_symmetric():
    a = np.array([1.0, 2.0, 3.0])
    b = a * (1 + 1e-6)
    assert relative_error(a, b) == pytest.approx(relative_error(1e6 * a, 1e6 * b))
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, -a) == 1.0


def test_relative_error_rejects_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(3), np.zeros(4))


def test_check_gradients_accepts_a_right_gradient_and_flags_a_wrong_one():
    rng = np.random.default_rng(0)
    W, x = rng.normal(size=(3, 4)), rng.normal(size=4)

    def loss(W, x):
        return np.sum(np.tanh(W @ x))

    d = 1 - np.tanh(W @ x) ** 2
    right = {"W": np.outer(d, x), "x": W.T @ d}
    errors = check_gradients(loss, {"W": W, "x": x}, right)
    assert list(errors) == ["W", "x"]
    assert max(errors.values()) < 1e-8
    wrong = {"W": np.outer(d, x).T.reshape(3, 4)}  # a transposition slip
    assert check_gradients(loss, {"W": W, "x": x}, wrong)["W"] > 1e-2


def test_check_gradients_checks_names_and_shapes():
    params = {"w": np.ones(2)}
    with pytest.raises(KeyError, match="lacks"):
        check_gradients(lambda w: w.sum(), params, {"v": np.ones(2)})
    with pytest.raises(ValueError, match="shape"):
        check_gradients(lambda w: w.sum(), params, {"w": np.ones(3)})
    with pytest.raises(TypeError, match="dicts"):
        check_gradients(lambda w: w.sum(), [np.ones(2)], {"w": np.ones(2)})


def test_gradcheck_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, utils.gradcheck, utils.numpy_rnn; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_non_finite_gradients_fail_the_check():
    W = np.array([[0.5, -1.0], [2.0, 0.3]])

    def loss(W):
        return np.sum(W ** 2)

    for bad in (np.nan, np.inf):
        analytic = 2 * W
        analytic[0, 1] = bad
        with pytest.warns(UserWarning, match="analytic gradient of 'W' has NaN or infinite"):
            errors = check_gradients(loss, {"W": W}, {"W": analytic})
        assert errors["W"] == np.inf and not max(errors.values()) < 1e-6
    # the numerical side: a loss that is NaN near the point
    with pytest.warns(UserWarning, match="numerical gradient"), np.errstate(invalid="ignore"):
        errors = check_gradients(lambda W: np.sum(np.log(W)), {"W": W}, {"W": 1 / W})
    assert errors["W"] == np.inf
    assert relative_error([1.0, np.nan], [1.0, 2.0]) == np.inf
    assert relative_error([1.0, 2.0], [np.inf, 2.0]) == np.inf


def test_float16_and_bad_steps_are_refused():
    with pytest.raises(TypeError, match=r"float16.*astype\(np.float64\)"):
        numerical_gradient(np.sum, np.array([1.0, 2.0], dtype=np.float16))
    for eps in (np.inf, np.nan, -1e-6, 0.0):
        with pytest.raises(ValueError, match="finite positive"):
            numerical_gradient(np.sum, np.array([1.0]), eps=eps)
        with pytest.raises(ValueError, match="finite positive"):
            check_gradients(lambda w: w.sum(), {"w": np.ones(2)}, {"w": np.ones(2)}, eps=eps)
