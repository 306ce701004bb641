"""Tests of utils.exercises.ch06_bptt (check_rnn_backward, the backpropagation-through-time
chapter): the reference passes, the stub waits, typical mistakes fail with their hint (the tests
every check gets, from tests/helpers.py's exercise_tests).
"""

import numpy as np

from utils.exercises import ch06_bptt
from utils.numpy_rnn import simple_rnn_backward, simple_rnn_forward

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def rnn_backward(x, h0, kernel, recurrent_kernel, bias, dh):
    _, cache = simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)
    g = simple_rnn_backward(dh, cache)
    return g["kernel"], g["recurrent_kernel"], g["bias"], g["h0"]


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _bptt(x, h0, kernel, recurrent_kernel, bias, dh, mistake=None):
    """A hand-written BPTT with one optional typical mistake."""
    h, _ = simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)
    dk, dr, db = np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        dh_t = dh[:, t] if mistake == "no recurrent path" else dh[:, t] + dh_next
        da = dh_t if mistake == "no tanh'" else dh_t * (1 - h[:, t] ** 2)
        dk += x[:, t].T @ da
        dr += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ (recurrent_kernel if mistake == "no transpose" else recurrent_kernel.T)
    return dk, dr, db, dh_next


def _bptt_no_recurrent_path(*args):
    return _bptt(*args, mistake="no recurrent path")


def _bptt_no_tanh_derivative(*args):
    return _bptt(*args, mistake="no tanh'")


def _bptt_no_transpose(*args):
    return _bptt(*args, mistake="no transpose")


def _bptt_mean_over_batch(x, *args):
    return tuple(g / len(x) for g in rnn_backward(x, *args))


def _bptt_returns_dict(x, h0, kernel, recurrent_kernel, bias, dh):
    return simple_rnn_backward(dh, simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)[1])



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_rnn_backward": (rnn_backward, [
        (_bptt_no_recurrent_path, "recurrent weights"), (_bptt_no_tanh_derivative, "1 - h_t**2"),
        (_bptt_no_transpose, "recurrent_kernel.T"), (_bptt_mean_over_batch, "sum over the batch"),
        (_bptt_returns_dict, "tuple of 4")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="each")


def test_analytic_bptt_agrees_with_the_finite_differences_of_the_check():
    rng = np.random.default_rng(0)
    x, h0, dh = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3, 3))
    params = [rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=3), h0]
    numeric = ch06_bptt._finite_difference_gradients(x, dh, params)
    analytic = rnn_backward(x, h0, params[0], params[1], params[2], dh)
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-8)
