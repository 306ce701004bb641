"""Tests of utils.exercises.ch04_context_vectors (check_leaky_context, the context-vector chapter):
the reference passes, the stub waits, typical mistakes fail with their hint (the tests every
check gets, from tests/helpers.py's exercise_tests).
"""

import numpy as np
import pytest

from utils import exercises as ex

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def leaky_context(x, lam):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = lam * h + x_t
    return h


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _leaky_all_states(x, lam):
    h, states = np.zeros(x.shape[1]), []
    for x_t in x:
        h = lam * h + x_t
        states.append(h)
    return np.stack(states)


def _leaky_lam_on_input(x, lam):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = h + lam * x_t
    return h


def _leaky_one_minus(x, lam):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = lam * h + (1 - lam) * x_t
    return h


def _leaky_oldest_first(x, lam):
    return leaky_context(x[::-1], lam)



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_leaky_context": (leaky_context, [
        (_leaky_all_states, "last state"), (_leaky_lam_on_input, "previous state"),
        (_leaky_one_minus, "1 - lam"), (_leaky_oldest_first, "oldest")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="one")


def test_a_wrong_answer_without_a_known_cause_still_fails():
    with pytest.raises(AssertionError, match="wrong values") as failure:
        ex.check_leaky_context(lambda x, lam: leaky_context(x, lam) + 0.01)
    assert "likely cause" not in str(failure.value)
