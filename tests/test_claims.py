"""Tests of utils.claims: claims pass, fail with a readable sentence, and are recorded."""

import json

import numpy as np
import pytest

from utils import claims
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


def test_a_passed_claim_prints_one_checked_line_with_its_evidence(capsys):
    claims.claim("the GRU solves lag 20 (accuracy)", 0.97341, ">", 0.9)
    claims.claim_true("both modes agree at step 1", True)
    claims.claim_close("NumPy equals Keras", [1.0, 2.0], [1.0, 2.0 + 3e-9], atol=1e-6, rtol=0)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["✓ the GRU solves lag 20 (accuracy): 0.9734 > 0.9",
                     "✓ both modes agree at step 1",
                     "✓ NumPy equals Keras: largest difference 3e-09 <= 1e-06"]


def test_a_long_checked_line_is_wrapped_to_the_page(capsys):
    claims.claim("a statement " * 10, 1.0, "<", 2.0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 1 and all(len(line) <= claims.PAGE_WIDTH for line in lines)


def test_a_wrapped_checked_line_keeps_its_comparison_on_one_line(capsys):
    statement = "sigma 1.2 stays under 1/1000 of its bound 1.2**50 (norm at lag 50)"
    claims.claim(statement, 0.963, "<", 9.1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].strip().endswith("0.963 < 9.1")
    assert all(len(line) <= claims.PAGE_WIDTH for line in lines)
    long_evidence = claims.checked_line("x", "a " * 45)  # longer than the page: split
    assert all(len(line) <= claims.PAGE_WIDTH for line in long_evidence.splitlines())


def test_a_failed_claim_prints_no_tick(capsys):
    with pytest.raises(claims.ClaimFailed):
        claims.claim("x", 1.0, ">", 2.0)
    assert "✓" not in capsys.readouterr().out


@pytest.mark.parametrize("condition", [np.array([True, False]), np.array([True, True]),
                                       np.ones((2, 2))])
def test_claim_true_of_an_array_asks_for_all_or_any(condition):
    with pytest.raises(TypeError, match=r"claim_true 'every run is finite': .*shape .*np\.all"):
        claim_true("every run is finite", condition)


@pytest.mark.parametrize("condition", ["no", "", None, [True], {"a": 1}, 1 + 0j])
def test_claim_true_refuses_what_is_not_one_yes_or_no_value(condition):
    with pytest.raises(TypeError, match=r"claim_true 'x': the condition must be one yes-or-no"):
        claim_true("x", condition)


def test_claim_true_of_nan_fails(tmp_path, monkeypatch, capsys):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    for nan in (float("nan"), np.float32("nan"), np.array(np.nan)):
        with pytest.raises(ClaimFailed, match="The text claims: x. The condition is NaN"):
            claim_true("x", nan)
    assert "✓" not in capsys.readouterr().out
    assert [json.loads(line)["passed"] for line in log.read_text().splitlines()] == [False] * 3


def test_claim_true_of_numbers_and_numpy_bools(capsys):
    claim_true("a", np.bool_(True))
    claim_true("b", np.array([True]))
    claim_true("c", np.int64(3))
    with pytest.raises(ClaimFailed):
        claim_true("d", 0.0)


@pytest.mark.parametrize(("actual", "expected", "what"), [
    (["1.0", "2.0"], [1.0, 2.0], "actual must hold real numbers"),
    ("abc", "abc", "actual must hold real numbers"),
    ([1.0, 2.0], np.array([1.0, 2.0]) + 0j, "expected must hold real numbers"),
    ([1.0, 2.0], [1.0, "x"], "expected must hold real numbers"),
    ([[1.0], [2.0, 3.0]], [1.0, 2.0], "actual is not an array of numbers"),
    (np.ma.masked_all(2), [1.0, 2.0], "actual is a masked array"),
])
def test_claim_close_of_what_is_not_numbers_names_the_claim(actual, expected, what):
    with pytest.raises(TypeError, match=f"claim_close 'NumPy equals Keras': {what}"):
        claim_close("NumPy equals Keras", actual, expected, atol=1e-6)


def test_claim_close_tolerances_and_infinities():
    with pytest.raises(TypeError, match="atol must be a number >= 0"):
        claim_close("x", [1.0], [1.0], atol="1e-6")
    with pytest.raises(TypeError, match="rtol must be a number >= 0"):
        claim_close("x", [1.0], [1.0], rtol=-1.0)
    claim_close("equal infinities", [np.inf, -np.inf, 1.0], [np.inf, -np.inf, 1.0])
    with pytest.raises(ClaimFailed):
        claim_close("inf is not a number", [np.inf, 1.0], [2.0, 1.0], atol=1.0)
    with pytest.raises(ClaimFailed):
        claim_close("nan is not a number", [np.nan], [np.nan], atol=1.0)


@pytest.mark.parametrize("value", ["0.9", b"1", 1 + 2j, np.ma.masked_array(1.0), [1.0, 2.0]])
def test_a_claim_value_must_be_one_real_number(value):
    with pytest.raises(TypeError, match=r"claim 'x': value must be one number, got"):
        claim("x", value, ">", 0.0)


def test_a_claim_value_may_be_a_fraction_or_a_one_element_array(capsys):
    from fractions import Fraction

    claim("x", Fraction(1, 3), "<", 0.5)
    claim("y", np.array([0.25]), "<", 0.5)


def test_an_unwritable_log_warns_once_and_passed_claims_still_pass(tmp_path, monkeypatch,
                                                                   capsys):
    log = tmp_path / "a-folder"
    log.mkdir()  # a folder cannot be opened for appending
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    monkeypatch.setattr(claims, "_UNWRITABLE_LOGS", set())
    with pytest.warns(claims.ClaimsLogWarning, match=f"{LOG_VARIABLE}=.*cannot be written"
                                                     r".*checked but not recorded") as record:
        claim("first", 2.0, ">", 1.0)
        claim_true("second", True)
        claim_close("third", [1.0], [1.0])
        with pytest.raises(ClaimFailed, match="fourth"):
            claim("fourth", 0.0, ">", 1.0)
    assert len(record) == 1
    assert capsys.readouterr().out.count("✓") == 3


def test_a_read_only_log_warns_instead_of_raising(tmp_path, monkeypatch):
    """Tests run as root, which may write anywhere: a read-only file is simulated."""
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    monkeypatch.setattr(claims, "_UNWRITABLE_LOGS", set())
    real_open = claims.Path.open

    def read_only(self, mode="r", *args, **kwargs):
        if self == log and "a" in mode:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(claims.Path, "open", read_only)
    with pytest.warns(claims.ClaimsLogWarning, match="Permission denied"):
        claim("passes", 1.0, ">", 0.0)


def test_a_checked_line_survives_an_ascii_only_output():
    import subprocess
    import sys

    code = "from utils.claims import claim; claim('holds', 2, '>', 1)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**__import__("os").environ, "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK holds: 2 > 1"


def test_claim_close_shows_its_largest_difference_and_tolerance(capsys):
    claims.claim_close("log space equals the loop", [1.0, 2.0], [1.0, 2.0 + 2e-12], rtol=1e-9)
    assert " ".join(capsys.readouterr().out.split()) == (  # wrapped at the page's 78 characters
        "✓ log space equals the loop: largest difference 2e-12; allowed 1e-09 × |expected value|")


def test_claim_close_names_both_tolerances_when_both_are_set(capsys):
    claims.claim_close("NumPy equals Keras", [1.0], [1.0 + 3e-9], atol=1e-6, rtol=1e-7)
    assert " ".join(capsys.readouterr().out.split()) == (
        "✓ NumPy equals Keras: largest difference 3e-09; allowed 1e-06 + 1e-07 × |expected value|")
