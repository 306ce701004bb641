"""Tests of utils.exercises.ch01_sequential_data (check_sliding_windows, the sequential-data
chapter): the reference passes, the stub waits, typical mistakes fail with their hint (the tests
every check gets, from tests/helpers.py's exercise_tests).
"""

import numpy as np

from utils import exercises as ex

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def sliding_windows(sequence, width):
    return np.stack([sequence[i:i + width] for i in range(len(sequence) - width + 1)])


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _windows_short(sequence, width):
    return np.stack([sequence[i:i + width] for i in range(len(sequence) - width)])


def _windows_late(sequence, width):
    return np.stack([sequence[i + 1:i + 1 + width] for i in range(len(sequence) - width)])


def _windows_transposed(sequence, width):
    return sliding_windows(sequence, width).T



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_sliding_windows": (sliding_windows, [
        (_windows_short, "off by one"), (_windows_transposed, "transpose"),
        (_windows_late, "one step late")]),
}
(test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
 test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="one")


def test_other_correct_windows_pass(capsys):
    view = np.lib.stride_tricks.sliding_window_view
    assert ex.check_sliding_windows(lambda seq, width: view(seq, width))
