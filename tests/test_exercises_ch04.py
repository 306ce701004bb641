"""Tests of utils.exercises.ch04_context_vectors (check_leaky_context, the context-vector chapter):
the reference passes, the stub waits, typical mistakes fail with their hint (the tests every
check gets, from tests/helpers.py's exercise_tests).
"""

import numpy as np
import pytest

from utils import exercises as ex

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def leaky_context(x, rho):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = rho * h + x_t
    return h


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _leaky_all_states(x, rho):
    h, states = np.zeros(x.shape[1]), []
    for x_t in x:
        h = rho * h + x_t
        states.append(h)
    return np.stack(states)


def _leaky_rho_on_input(x, rho):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = h + rho * x_t
    return h


def _leaky_one_minus(x, rho):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = rho * h + (1 - rho) * x_t
    return h


def _leaky_oldest_first(x, rho):
    return leaky_context(x[::-1], rho)



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_leaky_context": (leaky_context, [
        (_leaky_all_states, "last state"), (_leaky_rho_on_input, "previous state"),
        (_leaky_one_minus, "1 - rho"), (_leaky_oldest_first, "oldest")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="one")


def test_a_wrong_answer_without_a_known_cause_still_fails():
    with pytest.raises(AssertionError, match="wrong values") as failure:
        ex.check_leaky_context(lambda x, rho: leaky_context(x, rho) + 0.01)
    assert "likely cause" not in str(failure.value)
