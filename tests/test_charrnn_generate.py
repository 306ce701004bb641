"""Tests of utils.charrnn.generate: sampling: repeatable with a seed, unknown prime characters
named, a tiny temperature greedy. Tiny models (tests/helpers.py's TINY, 16 units), so that the
file runs in seconds."""

from __future__ import annotations

import numpy as np
import pytest

from utils import charrnn

from helpers import tiny_text


def test_sample_is_deterministic_with_a_seed(trained):
    a = charrnn.sample(trained, prime="the ", length=40, temperature=1.0, seed=3)
    b = charrnn.sample(trained, prime="the ", length=40, temperature=1.0, seed=3)
    assert a == b and len(a) == 40
    assert set(a) <= set(tiny_text())
    greedy = charrnn.sample(trained, prime="the ", length=20, temperature=0)
    assert greedy == charrnn.sample(trained, prime="the ", length=20, temperature=0, seed=9)
    # a temperature too small for float64 (logits / T overflows) is greedy, not NaN
    assert greedy == charrnn.sample(trained, prime="the ", length=20, temperature=1e-320)


def test_unknown_prime_characters_are_named(trained, capsys):
    with pytest.raises(ValueError, match=r"'QZ'"):
        charrnn.sample(trained, prime="the QZ", length=5)
    code = charrnn.main(["sample", "--model", str(trained), "--prime", "Xthe", "--length", "3"])
    assert code == 2 and "'X'" in capsys.readouterr().err


def test_a_tiny_temperature_is_greedy():
    logits = np.array([0.5, 2.0, 1.999, -3.0], np.float32)
    rng = np.random.default_rng(0)
    for temperature in (0, 1e-320, 5e-324, 1e-300, 1e-6):
        assert charrnn.generate.next_id(logits, temperature, rng) == 1, temperature
    assert {charrnn.generate.next_id(logits, 1.0, rng) for _ in range(200)} == {0, 1, 2, 3}
