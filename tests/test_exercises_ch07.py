"""Tests of utils.exercises.ch07_vanishing_gradients (check_clip_by_norm, the vanishing-gradients
chapter): the reference passes, the stub waits, typical mistakes fail with their hint (the tests
every check gets, from tests/helpers.py's exercise_tests).
"""

import numpy as np

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def clip_by_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    if norm <= max_norm:
        return grads
    return [g * max_norm / norm for g in grads]


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _clip_per_tensor(grads, max_norm):
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]


def _clip_always(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * max_norm / norm for g in grads]


def _clip_by_value(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def _clip_without_max_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g / norm for g in grads] if norm > max_norm else grads



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_clip_by_norm": (clip_by_norm, [
        (_clip_per_tensor, "GLOBAL"), (_clip_always, "scaled them up"),
        (_clip_by_value, "not by value"), (_clip_without_max_norm, "multiply by max_norm")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="each")
