"""Tests of utils.exercises.ch09_gru (check_gru_step, the GRU chapter): the reference passes, the
stub waits, typical mistakes fail with their hint (the tests every check gets, from
tests/helpers.py's exercise_tests).
"""

import numpy as np

from utils.numpy_rnn import sigmoid

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    u_z, u_r, u_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    return z * h_prev + (1 - z) * np.tanh(x_h + r * u_h)


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _gru_z_swapped(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    u_z, u_r, u_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    return (1 - z) * h_prev + z * np.tanh(x_h + r * u_h)


def _gru_reset_before(x_t, h_prev, kernel, recurrent_kernel, bias):
    units = h_prev.shape[1]
    b = bias[0] + bias[1]
    x_z, x_r, x_h = np.split(x_t @ kernel + b, 3, axis=-1)
    u = recurrent_kernel
    z = sigmoid(x_z + h_prev @ u[:, :units])
    r = sigmoid(x_r + h_prev @ u[:, units:2 * units])
    return z * h_prev + (1 - z) * np.tanh(x_h + (r * h_prev) @ u[:, 2 * units:])


def _gru_bias_row_0(x_t, h_prev, kernel, recurrent_kernel, bias):
    return gru_step(x_t, h_prev, kernel, recurrent_kernel, np.stack([bias[0], 0 * bias[1]]))


def _gru_order_rz(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_r, x_z, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    u_r, u_z, u_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    return z * h_prev + (1 - z) * np.tanh(x_h + r * u_h)



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_gru_step": (gru_step, [
        (_gru_z_swapped, "roles of z"), (_gru_reset_before, "reset_after=True"),
        (_gru_bias_row_0, "two rows"), (_gru_order_rz, "swapped z and r")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="one")
