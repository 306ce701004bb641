"""Tests of utils.exercises.ch10_bidirectional (check_bidirectional_concat, the bidirectional
chapter): the reference passes, the stub waits, typical mistakes fail with their hint (the tests
every check gets, from tests/helpers.py's exercise_tests).
"""

import numpy as np

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def bidirectional_concat(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed[:, ::-1]], axis=-1)


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _bi_not_reversed(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed], axis=-1)


def _bi_time_axis(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed[:, ::-1]], axis=1)


def _bi_batch_flipped(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed[::-1]], axis=-1)


def _bi_backward_first(forward, backward_reversed):
    return np.concatenate([backward_reversed[:, ::-1], forward], axis=-1)



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_bidirectional_concat": (bidirectional_concat, [
        (_bi_not_reversed, "flip it along time"), (_bi_time_axis, "last axis"),
        (_bi_batch_flipped, "not axis 0"), (_bi_backward_first, "forward first")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="one")
