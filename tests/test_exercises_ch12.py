"""Tests of utils.exercises.ch12_crnn (check_ctc_collapse, the CRNN chapter): the reference passes,
the stub waits, typical mistakes fail with their hint (the tests every check gets, from
tests/helpers.py's exercise_tests).
"""

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def ctc_collapse(path, blank):
    merged = [t for i, t in enumerate(path) if i == 0 or t != path[i - 1]]
    return [t for t in merged if t != blank]


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _ctc_blanks_first(path, blank):
    no_blanks = [t for t in path if t != blank]
    return [t for i, t in enumerate(no_blanks) if i == 0 or t != no_blanks[i - 1]]


def _ctc_blank_zero(path, blank):
    return ctc_collapse(path, 0)


def _ctc_unique(path, blank):
    return list(dict.fromkeys(t for t in path if t != blank))


def _ctc_no_merge(path, blank):
    return [t for t in path if t != blank]


def _ctc_first_symbol(path, blank):
    return [t for i, t in enumerate(path) if t != path[i - 1] and t != blank]



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_ctc_collapse": (ctc_collapse, [
        (_ctc_blanks_first, "merge the repeats first"), (_ctc_blank_zero, "not 0"),
        (_ctc_unique, "neighbouring"), (_ctc_no_merge, "merge runs"),
        (_ctc_first_symbol, "no predecessor")]),
}
test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint = \
    exercise_tests(CHECKS)
