"""Tests of utils.exercises.ch03_ngrams (check_add_k, check_kneser_ney_bigram, the n-gram chapter):
the reference passes, the stub waits, typical mistakes fail with their hint (the tests every
check gets, from tests/helpers.py's exercise_tests).
"""

from collections import Counter

import pytest

from utils.exercises import ch03_ngrams

from helpers import exercise_tests

# --- reference solutions, as a learner would write them ------------------------------------------


def add_k(word, context, counts, vocab_size, k):
    return (counts.get(context + (word,), 0) + k) / (counts.get(context, 0) + k * vocab_size)


def kneser_ney_bigram(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    followers = sum(1 for (a, _) in bigram_counts if a == prev)
    preceders = sum(1 for (_, b) in bigram_counts if b == word)
    p_cont = preceders / len(bigram_counts)
    first = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return first + discount * followers / c_prev * p_cont


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _add_k_no_kv(word, context, counts, vocab_size, k):
    return (counts.get(context + (word,), 0) + k) / (counts.get(context, 0) + k)


def _add_k_keyerror(word, context, counts, vocab_size, k):
    return (counts[context + (word,)] + k) / (counts[context] + k * vocab_size)


def _add_k_one(word, context, counts, vocab_size, k):
    return add_k(word, context, counts, vocab_size, 1)


def _kn_raw_unigram(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    followers = sum(1 for (a, _) in bigram_counts if a == prev)
    p_uni = sum(c for (_, b), c in bigram_counts.items() if b == word) / sum(
        bigram_counts.values())
    first = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return first + discount * followers / c_prev * p_uni


def _kn_no_discount(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    return kneser_ney_bigram(word, prev, bigram_counts, discount) + (
        min(bigram_counts.get((prev, word), 0), discount) / c_prev)


def _kn_no_max(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    c = bigram_counts.get((prev, word), 0)
    return kneser_ney_bigram(word, prev, bigram_counts, discount) + (
        (c - discount) - max(c - discount, 0)) / c_prev


def _add_k_unigram_numerator(word, context, counts, vocab_size, k):
    return (counts.get((word,), 0) + k) / (counts.get(context, 0) + k * vocab_size)


def _kn_weight_without_followers(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    p_cont = sum(1 for (_, b) in bigram_counts if b == word) / len(bigram_counts)
    first = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return first + discount / c_prev * p_cont



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_add_k": (add_k, [
        (_add_k_no_kv, "k * V"), (_add_k_keyerror, "counts.get"), (_add_k_one, "add-one"),
        (_add_k_unigram_numerator, "whole n-gram")]),
    "check_kneser_ney_bigram": (kneser_ney_bigram, [
        (_kn_raw_unigram, "continuation"), (_kn_no_discount, "subtract the discount"),
        (_kn_no_max, "clip"), (_kn_weight_without_followers, "distinct words that follow")]),
}
test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint = \
    exercise_tests(CHECKS)


def test_kneser_ney_reference_sums_to_one():
    tokens = "a b a c b a a c c b a b".split()
    counts = dict(Counter(zip(tokens[:-1], tokens[1:], strict=True)))
    total = sum(ch03_ngrams._kneser_ney_bigram(w, "a", counts, 0.75) for w in "abc")
    assert total == pytest.approx(1.0)
