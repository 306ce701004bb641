"""Claims a chapter makes about its own run: checked, explained when they fail, and recorded.

A chapter that says "the GRU solves lag 20" checks it with one readable line::

    claim("the GRU solves lag 20 (accuracy)", accuracy, ">", 0.9)

If the run disagrees, the notebook stops with a sentence that says what was expected and what this
run gave. When the environment variable ``SEQUENCE_MODELS_CLAIMS_LOG`` names a file, every claim
(passed or failed) is appended to it as one JSON line: the robustness sweep (``tools/sweep.py``)
collects them over runs with other seeds and other kernel paths, and reports each claim's smallest
and largest value beside its bound.

This module imports NumPy only.
"""

from __future__ import annotations

import json
import operator
import os
from pathlib import Path

import numpy as np

__all__ = ["ClaimFailed", "claim", "claim_close", "claim_true", "LOG_VARIABLE"]

LOG_VARIABLE = "SEQUENCE_MODELS_CLAIMS_LOG"

RELATIONS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


class ClaimFailed(AssertionError):
    """A claim of the text that this run of the notebook did not reproduce."""


def claim(statement: str, value, relation: str, bound) -> None:
    """Check that ``value relation bound`` holds, and record it.

    It returns nothing, so that a cell ending with a claim shows no stray value on the page.

    Args:
        statement: what the text claims, in words, unique within the chapter
            (for example ``"bidirectional beats unidirectional (accuracy)"``).
        value: the measured number (a Python or NumPy scalar).
        relation: one of ``">"``, ``">="``, ``"<"``, ``"<="``, ``"=="``.
        bound: the number it is compared with: a constant, or another measurement.

    Raises:
        ClaimFailed: the relation does not hold in this run (or the value is not finite).
    """
    if relation not in RELATIONS:
        raise ValueError(f"claim: relation must be one of {sorted(RELATIONS)}, got {relation!r}.")
    value, bound = _number("value", value, statement), _number("bound", bound, statement)
    passed = bool(np.isfinite(value) and RELATIONS[relation](value, bound))
    _record(statement, value, relation, bound, passed)
    if not passed:
        raise ClaimFailed(
            f"The text claims: {statement}. It expects a value {relation} {bound:.6g}; "
            f"this run gave {value:.6g}. Seeds and CPU kernels change trained results: "
            f"see the robustness sweep on the measured-results page."
        )


def claim_close(statement: str, actual, expected, atol: float = 0.0, rtol: float = 1e-7) -> None:
    """Check that two arrays are equal within ``atol + rtol * |expected|``.

    The recorded value is ``max |actual - expected| - rtol * |expected|`` (elementwise, then the
    largest), compared with ``atol``: the same test as ``numpy.testing.assert_allclose``.
    """
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        _record(statement, float("nan"), "<=", atol, False)
        raise ClaimFailed(
            f"The text claims: {statement}. The two arrays have different shapes: "
            f"{actual.shape} against {expected.shape}."
        )
    gap = float(np.max(np.abs(actual - expected) - rtol * np.abs(expected), initial=0.0))
    claim(statement, gap, "<=", atol)


def claim_true(statement: str, condition) -> None:
    """Check a yes-or-no claim (recorded as 1 or 0, expected 1)."""
    claim(statement, 1.0 if bool(condition) else 0.0, "==", 1.0)


def _number(name: str, x, statement: str) -> float:
    try:
        return float(np.asarray(x).item())
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"claim {statement!r}: {name} must be one number, got {type(x).__name__} ({error})."
        ) from None


def _record(statement: str, value: float, relation: str, bound: float, passed: bool) -> None:
    """Append one JSON line to the file named by ``SEQUENCE_MODELS_CLAIMS_LOG``, if it is set."""
    path = os.environ.get(LOG_VARIABLE)
    if not path:
        return
    entry = {"claim": statement, "value": value, "relation": relation, "bound": bound,
             "passed": passed}
    with Path(path).open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
