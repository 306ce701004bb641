"""Tests of utils.exercises.ch05_rnn (check_rnn_step, the RNN chapter): the reference passes, the
stub waits, typical mistakes fail with their hint (the tests every check gets, from
tests/helpers.py's exercise_tests). The messages of a check are tried here: the case, the
shapes, what was expected and received, an exception or NaN in an answer.
"""

import numpy as np
import pytest

from utils import exercises as ex
from utils.numpy_rnn import sigmoid

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _rnn_transposed(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)


def _rnn_sigmoid(x_t, h_prev, kernel, recurrent_kernel, bias):
    return sigmoid(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def _rnn_no_bias(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)


def _rnn_returns_none(x_t, h_prev, kernel, recurrent_kernel, bias):
    np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def _rnn_no_tanh(x_t, h_prev, kernel, recurrent_kernel, bias):
    return x_t @ kernel + h_prev @ recurrent_kernel + bias



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_rnn_step": (rnn_step, [
        (_rnn_transposed, "without .T"), (_rnn_sigmoid, "sigmoid where tanh"),
        (_rnn_no_bias, "bias is missing"), (_rnn_returns_none, "return statement"),
        (_rnn_no_tanh, "activation is missing")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="one")


def test_message_names_case_shapes_expected_and_received():
    with pytest.raises(AssertionError) as failure:
        ex.check_rnn_step(_rnn_sigmoid)
    message = " ".join(str(failure.value).split())
    assert "case 1 of 5 (x_t (2, 3), h_prev (2, 4)" in message
    assert "expected:" in message and "received:" in message
    assert "likely cause: sigmoid where tanh belongs" in message


def test_an_exception_is_reported_with_its_case():
    def broken(x_t, h_prev, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel.T + h_prev @ recurrent_kernel + bias)

    with pytest.raises(AssertionError) as failure:
        ex.check_rnn_step(broken)
    message = " ".join(str(failure.value).split())
    assert "case 1 of 5 (x_t (2, 3)" in message and "your function raised ValueError" in message
    assert "needs no transpose" in message


def test_nan_is_reported():
    with pytest.raises(AssertionError, match="NaN or inf"), np.errstate(divide="ignore"):
        ex.check_rnn_step(lambda x_t, h_prev, *w: rnn_step(x_t, h_prev, *w) / 0.0)


def test_float32_arithmetic_passes(capsys):
    def rnn_step_float32(x_t, h_prev, kernel, recurrent_kernel, bias):
        args = (a.astype(np.float32) for a in (x_t, h_prev, kernel, recurrent_kernel, bias))
        return rnn_step(*args)

    assert ex.check_rnn_step(rnn_step_float32)
