"""Tests of utils.claims: claims pass, fail with a readable sentence, and are recorded."""

import json

import numpy as np
import pytest

from utils.claims import LOG_VARIABLE, ClaimFailed, claim, claim_close, claim_true


@pytest.mark.parametrize(
    ("value", "relation", "bound"),
    [(0.95, ">", 0.9), (0.9, ">=", 0.9), (0.1, "<", 0.2), (0.2, "<=", 0.2), (3, "==", 3)],
)
def test_a_claim_that_holds_returns_nothing(value, relation, bound):
    assert claim("holds", value, relation, bound) is None  # no stray value on the page


@pytest.mark.parametrize(
    ("value", "relation", "bound"),
    [(0.85, ">", 0.9), (0.9, ">", 0.9), (0.3, "<", 0.2), (2, "==", 3), (np.nan, "<", 1.0),
     (np.inf, ">", 1.0)],
)
def test_a_claim_that_does_not_hold_says_what_was_expected_and_what_the_run_gave(
    value, relation, bound
):
    with pytest.raises(ClaimFailed, match=r"The text claims: the GRU solves lag 20\. It expects"):
        claim("the GRU solves lag 20", value, relation, bound)


def test_claim_failed_is_an_assertion_error():
    assert issubclass(ClaimFailed, AssertionError)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="relation"):
        claim("x", 1.0, "=>", 0.0)
    with pytest.raises(TypeError, match="one number"):
        claim("x", [1.0, 2.0], ">", 0.0)


def test_claim_close_measures_the_largest_gap():
    a = np.array([1.0, 2.0, 3.0])
    claim_close("equal", a, a + 1e-7, atol=1e-6)
    with pytest.raises(ClaimFailed, match="equal"):
        claim_close("equal", a, a + 1e-3, atol=1e-6)
    with pytest.raises(ClaimFailed, match="different shapes"):
        claim_close("same shape", a, a[:2], atol=1.0)


def test_claim_true():
    claim_true("yes", 1 < 2)
    with pytest.raises(ClaimFailed):
        claim_true("no", 2 < 1)


def test_claims_are_recorded_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    claim("first", 2.0, ">", 1.0)
    with pytest.raises(ClaimFailed):
        claim("second", 0.0, ">", 1.0)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["claim"] for e in entries] == ["first", "second"]
    assert [e["passed"] for e in entries] == [True, False]
    assert entries[0] == {"claim": "first", "value": 2.0, "relation": ">", "bound": 1.0,
                          "passed": True}


def test_nothing_is_recorded_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv(LOG_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    claim("quiet", 1.0, ">", 0.0)
    assert list(tmp_path.iterdir()) == []
