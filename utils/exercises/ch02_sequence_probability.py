"""Exercise checks of chapter 2: the log-probability of a sentence under a unigram model.

This module imports NumPy only.
"""

from __future__ import annotations

import math

from utils.exercises.harness import CASES, _call, _cases, _check_float, _checker, _describe

__all__ = ["check_unigram_log_prob"]


WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away"]


@_checker
def check_unigram_log_prob(fn):
    """Check ``fn(sentence_words, counts) -> float``.

    The natural log of prod_w count(w) / N with N = sum of the counts: ``sum(log(count[w] / N))``,
    and ``-inf`` when a word of the sentence has no count.
    """
    for case in _cases("check_unigram_log_prob"):
        vocab = list(case.rng.choice(WORDS, size=int(case.rng.integers(4, 9)), replace=False))
        counts = {str(w): int(case.rng.integers(1, 30)) for w in vocab}
        words = [str(w) for w in case.rng.choice(vocab, size=int(case.rng.integers(3, 7)))]
        if case.number == CASES:  # the last case has a word the counts never saw
            words.insert(len(words) // 2, "zebra")
        case.inputs = _describe(sentence_words=words, counts=counts)
        n = sum(counts.values())
        seen = all(w in counts for w in words)
        log_counts = sum(math.log(counts[w]) for w in words) if seen else -math.inf
        expected = log_counts - len(words) * math.log(n) if seen else -math.inf
        mistakes = [
            ("log2 instead of the natural log: use np.log (or math.log), not np.log2.",
             expected / math.log(2)),
            ("log10 instead of the natural log: use np.log (or math.log).",
             expected / math.log(10)),
            ("you returned the probability itself: take the log of each factor and add them.",
             math.exp(expected)),
            ("N is the total count sum(counts.values()), not the number of distinct words.",
             log_counts - len(words) * math.log(len(counts)) if seen else None),
            ("each count must be divided by N = sum(counts.values()) before the log.",
             log_counts),
            ("add the log-probabilities of the words; do not average them.",
             expected / len(words)),
            ("a word without a count has probability 0, so the sentence's log-probability is "
             "-inf: you skipped the unseen word.",
             sum(math.log(counts[w] / n) for w in words if w in counts)),
        ]
        mistakes = [(hint, wrong) for hint, wrong in mistakes if wrong is not None]

        def unseen_hint(error, seen=seen):
            """The hint for looking up an unseen word (math.log(0) raises ValueError)."""
            if not seen and isinstance(error, (KeyError, ValueError, ZeroDivisionError)):
                return ("a word that is not in counts has probability 0: return -math.inf "
                        "for it (test `word in counts` before looking it up).")
            return None

        received = _call(case, fn, list(words), dict(counts), on_error=unseen_hint)
        _check_float(case, "log-probability", received, expected, mistakes)
