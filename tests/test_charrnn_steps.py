"""Tests of utils.charrnn.steps: the validation split."""

from __future__ import annotations

from utils import charrnn


def test_split_is_nanogpts():
    train, val = charrnn.split_for_validation("x" * 1_115_394, 0.1)
    assert (len(train), len(val)) == (1_003_854, 111_540)
