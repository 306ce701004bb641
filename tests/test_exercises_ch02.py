"""Tests of utils.exercises.ch02_sequence_probability (check_unigram_log_prob, the sequence-
probability chapter): the reference passes, the stub waits, typical mistakes fail with their
hint (the tests every check gets, from tests/helpers.py's exercise_tests).
"""

import math

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def unigram_log_prob(sentence_words, counts):
    n = sum(counts.values())
    if any(w not in counts for w in sentence_words):
        return -math.inf
    return sum(math.log(counts[w] / n) for w in sentence_words)


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _unigram_log2(sentence_words, counts):
    n = sum(counts.values())
    if any(w not in counts for w in sentence_words):
        return -math.inf
    return sum(math.log2(counts[w] / n) for w in sentence_words)


def _unigram_minus(sentence_words, counts):
    return -unigram_log_prob(sentence_words, counts)


def _unigram_keyerror(sentence_words, counts):
    n = sum(counts.values())
    return sum(math.log(counts[w] / n) for w in sentence_words)


def _unigram_distinct(sentence_words, counts):
    if any(w not in counts for w in sentence_words):
        return -math.inf
    return sum(math.log(counts[w] / len(counts)) for w in sentence_words)


def _unigram_skips_unseen(sentence_words, counts):
    n = sum(counts.values())
    return sum(math.log(counts[w] / n) for w in sentence_words if w in counts)



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_unigram_log_prob": (unigram_log_prob, [
        (_unigram_log2, "log2"), (_unigram_minus, "sign"), (_unigram_keyerror, "-math.inf"),
        (_unigram_distinct, "distinct"), (_unigram_skips_unseen, "skipped")]),
}
test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint = \
    exercise_tests(CHECKS)
