"""Tests of utils.exercises.ch08_lstm (check_lstm_step, the LSTM chapter): the reference passes,
the stub waits, typical mistakes fail with their hint (the tests every check gets, from
tests/helpers.py's exercise_tests).
"""

import numpy as np

from utils.numpy_rnn import sigmoid

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _lstm_order_ifoc(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_o, z_c = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t


def _lstm_no_tanh(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * c_t, c_t


def _lstm_candidate_sigmoid(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * sigmoid(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t


def _lstm_swapped_output(*args):
    h_t, c_t = lstm_step(*args)
    return c_t, h_t


def _lstm_gates_swapped(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_i) * c_prev + sigmoid(z_f) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_lstm_step": (lstm_step, [
        (_lstm_order_ifoc, "gate order"), (_lstm_no_tanh, "tanh of the cell"),
        (_lstm_candidate_sigmoid, "sigmoid where tanh"), (_lstm_swapped_output, "swapped"),
        (_lstm_gates_swapped, "forget gate multiplies")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="each")
