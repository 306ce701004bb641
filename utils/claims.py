"""Claims a chapter makes about its own run: checked, explained when they fail, and recorded.

A chapter that says "the GRU solves lag 20" checks it with one readable line::

    claim("the GRU solves lag 20 (accuracy)", accuracy, ">", 0.9)

When the run agrees, the claim prints one short line on the page, ``✓ the GRU solves lag 20
(accuracy): 0.97 > 0.9``, so that a reader can tell a measured statement from a told one even where
the code that checks it is hidden. If the run disagrees, the notebook stops with a sentence that
says what was expected and what this run gave. When the environment variable
``SEQUENCE_MODELS_CLAIMS_LOG`` names a file, every claim (passed or failed) is appended to it as
one JSON line: the robustness sweep (``tools/sweep.py``) collects them over runs with other seeds
and other kernel paths, and reports each claim's smallest and largest value beside its bound. A
log that cannot be written does not stop the notebook: the claims are still checked, and one
:class:`ClaimsLogWarning` says why they are not recorded.

Arguments are checked: a value must be one real number (not a string, an array of several values
or a complex number), ``claim_close`` compares arrays of real numbers, and ``claim_true`` takes one
yes-or-no value (NaN fails it). Each refusal is a ``TypeError`` that names the claim.

This module imports NumPy only.
"""

from __future__ import annotations

import json
import math
import numbers
import operator
import os
import textwrap
import warnings
from pathlib import Path

import numpy as np

__all__ = ["ClaimFailed", "ClaimsLogWarning", "claim", "claim_close", "claim_true",
           "LOG_VARIABLE"]

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


class ClaimsLogWarning(UserWarning):
    """The claims log named by ``SEQUENCE_MODELS_CLAIMS_LOG`` cannot be written."""


#: The log files that could not be written, each warned about once.
_UNWRITABLE_LOGS: set[str] = set()


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
    _check(statement, value, relation, bound)


def _check(statement: str, value, relation: str, bound, evidence: str | None = None) -> None:
    """:func:`claim`, with the evidence printed when it passes (default: value relation bound)."""
    if relation not in RELATIONS:
        raise ValueError(f"claim: relation must be one of {sorted(RELATIONS)}, got {relation!r}.")
    value, bound = _number("value", value, statement), _number("bound", bound, statement)
    passed = bool(np.isfinite(value) and RELATIONS[relation](value, bound))
    _record(statement, value, relation, bound, passed)
    if passed:
        if evidence is None:
            evidence = f"{_short(value)} {relation} {_short(bound)}"
        _print_checked(checked_line(statement, evidence))
    if not passed:
        raise ClaimFailed(
            f"The text claims: {statement}. It expects a value {relation} {bound:.6g}; "
            f"this run gave {value:.6g}. Seeds and CPU kernels change trained results: "
            f"see the appendix 'Robustness of the claims'."
        )


def claim_close(statement: str, actual, expected, atol: float = 0.0, rtol: float = 1e-7) -> None:
    """Check that two arrays are equal within ``atol + rtol * |expected|``.

    The recorded value is ``max |actual - expected| - rtol * |expected|`` (elementwise, then the
    largest), compared with ``atol``: the same test as ``numpy.testing.assert_allclose``.

    Raises:
        TypeError: an array is not of real numbers (strings, complex numbers, objects), naming
            the claim.
        ClaimFailed: the shapes differ, or a gap is larger than the tolerance (or not finite).
    """
    actual = _real_array("claim_close", statement, "actual", actual)
    expected = _real_array("claim_close", statement, "expected", expected)
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if isinstance(tolerance, (bool, np.bool_)) or not isinstance(
                tolerance, (int, float, np.integer, np.floating)) or not tolerance >= 0:
            raise TypeError(f"claim_close {statement!r}: {name} must be a number >= 0, got "
                            f"{tolerance!r}.")
    if actual.shape != expected.shape:
        _record(statement, float("nan"), "<=", atol, False)
        raise ClaimFailed(
            f"The text claims: {statement}. The two arrays have different shapes: "
            f"{actual.shape} against {expected.shape}."
        )
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities are equal (gap 0)
        diff = np.where(actual == expected, 0.0, np.abs(actual - expected))
    gap = float(np.max(diff - rtol * np.abs(expected), initial=0.0))
    largest = float(np.max(diff, initial=0.0))
    if rtol:  # the test is elementwise: each difference within atol + rtol times its value's size
        allowed = (f"{_short(atol)} + " if atol else "") + f"{_short(rtol)} × |expected value|"
        evidence = f"largest difference {largest:.2g}; allowed {allowed}"
    else:
        evidence = f"largest difference {largest:.2g} <= {_short(atol)}"
    _check(statement, gap, "<=", atol, evidence=evidence)


def claim_true(statement: str, condition) -> None:
    """Check a yes-or-no claim (recorded as 1 or 0, expected 1).

    ``condition`` is one yes-or-no value: a ``bool``, a NumPy bool, or a number (0 is no, any
    other finite number yes). NaN is neither, so it fails the claim.

    Raises:
        TypeError: ``condition`` is an array of several values (use ``np.all`` or ``np.any``),
            a string, or anything else that is not one yes-or-no value.
        ClaimFailed: the condition is false, or NaN.
    """
    value = condition
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        value = value.reshape(()).item()
    if isinstance(value, np.ndarray):
        raise TypeError(
            f"claim_true {statement!r}: the condition must be one yes-or-no value, got an array "
            f"of shape {value.shape} (dtype {value.dtype}). Say which you mean: np.all(...) "
            f"(every entry) or np.any(...) (at least one)."
        )
    if not isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        raise TypeError(
            f"claim_true {statement!r}: the condition must be one yes-or-no value (a bool), got "
            f"{type(value).__name__} ({_brief(value)})."
        )
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        _record(statement, float("nan"), "==", 1.0, False)
        raise ClaimFailed(
            f"The text claims: {statement}. The condition is NaN, neither true nor false: "
            f"a NaN in the numbers it was computed from?"
        )
    _check(statement, 1.0 if bool(value) else 0.0, "==", 1.0, evidence="")


#: The width of the book's text column, in monospace characters.
PAGE_WIDTH = 78


def checked_line(statement: str, evidence: str) -> str:
    """The line a passed claim prints: a tick, the statement and its evidence, wrapped to the page.

    >>> checked_line("the GRU solves lag 20", "0.97 > 0.9")
    '✓ the GRU solves lag 20: 0.97 > 0.9'
    """
    keep = "\x00"  # the evidence is not split: a comparison stays on one line
    if len(evidence) > PAGE_WIDTH - 2:
        keep = " "
    glued = evidence.replace(" ", keep)
    text = f"✓ {statement}: {glued}" if evidence else f"✓ {statement}"
    lines = textwrap.fill(text, width=PAGE_WIDTH, subsequent_indent="  ",
                          break_on_hyphens=False)
    return lines.replace(keep, " ")


def _print_checked(line: str) -> None:
    """Print a checked line; an output that cannot show the tick (ASCII) gets "OK" instead."""
    try:
        print(line)
    except UnicodeEncodeError:
        print(line.replace("✓", "OK", 1).replace("×", "x"))


def _short(x: float) -> str:
    """A number in at most 4 significant digits: ``0.9734`` -> ``'0.9734'``, ``3e-12``."""
    if float(x).is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.4g}"


def _number(name: str, x, statement: str) -> float:
    """``x`` as a float, if it is one real number (not a string, not complex, not an array)."""
    array = None if isinstance(x, (str, bytes, np.ma.MaskedArray)) else np.asarray(x)
    if array is not None and array.size == 1 and array.dtype.kind == "O" and isinstance(
            array.reshape(()).item(), numbers.Real):  # a Fraction, a Decimal
        array = np.asarray(float(array.reshape(()).item()))
    if array is None or array.size != 1 or array.dtype.kind not in "biuf":
        what = (f"an array of shape {array.shape}" if array is not None and array.size != 1
                else f"{type(x).__name__} ({_brief(x)})")
        raise TypeError(f"claim {statement!r}: {name} must be one number, got {what}.")
    return float(array.reshape(()).item())


def _real_array(function: str, statement: str, name: str, x) -> np.ndarray:
    """``x`` as a float array, if it holds real numbers; a TypeError naming the claim if not."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{function} {statement!r}: {name} is a masked array; compare plain "
                        f"arrays (np.ma.filled, or select the entries you mean).")
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:  # ragged lists
        raise TypeError(f"{function} {statement!r}: {name} is not an array of numbers "
                        f"({error}).") from None
    if array.dtype.kind == "O":
        try:
            array = array.astype(float)
        except (TypeError, ValueError):
            pass
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{function} {statement!r}: {name} must hold real numbers, got dtype "
                        f"{array.dtype} ({_brief(x)}).")
    return array.astype(float)


def _brief(x) -> str:
    """``repr(x)`` in at most 40 characters."""
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _record(statement: str, value: float, relation: str, bound: float, passed: bool) -> None:
    """Append one JSON line to the file named by ``SEQUENCE_MODELS_CLAIMS_LOG``, if it is set."""
    path = os.environ.get(LOG_VARIABLE)
    if not path:
        return
    entry = {"claim": statement, "value": value, "relation": relation, "bound": bound,
             "passed": passed}
    try:
        with Path(path).expanduser().open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
    except OSError as error:
        if path not in _UNWRITABLE_LOGS:  # once per file: a chapter makes many claims
            _UNWRITABLE_LOGS.add(path)
            warnings.warn(
                f"{LOG_VARIABLE}={path!r} cannot be written ({type(error).__name__}: "
                f"{error.strerror or error}); claims are checked but not recorded there. Point "
                f"it at a writable file, or unset it.",
                ClaimsLogWarning, stacklevel=4,
            )
