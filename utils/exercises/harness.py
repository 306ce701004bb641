"""The harness of the exercise checks: cases, verdicts, messages and the comparisons of answers.

It knows nothing of any chapter: a chapter's module (``chNN_*.py``) writes its checks with
:func:`_checker`, :func:`_cases`, :func:`_call` and the ``_check_*`` comparisons, and raises
:class:`InputMisuse` from a callback it hands to the learner's function when that function breaks
the callback's conventions. This module imports NumPy only.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable
from typing import NoReturn

import numpy as np

CASES = 5  # cases per check
RTOL, ATOL = 1e-5, 1e-7  # "equal" for floating answers: float32 arithmetic passes, mistakes do not


class InputMisuse(AssertionError):
    """The learner's function used an input of the check against its conventions.

    A chapter's check raises it from inside a callback that it passes to the learner's function
    (a decoder's ``step_fn``, say); the message is reported as the failure of the case.
    """


class _NotDone(Exception):
    """The learner's function raised NotImplementedError: it is still the stub."""


class _Case:
    """One case of a check: its number, its seeded random generator and how to report a failure."""

    def __init__(self, check: str, number: int, total: int):
        self.check, self.number, self.total = check, number, total
        self.rng = np.random.default_rng([2026, number, sum(map(ord, check))])
        self.inputs = ""  # the inputs, described for the message (shapes, small values)

    def fail(self, problem: str, cause: str | None = None) -> NoReturn:
        """Raise the AssertionError a learner reads: where, what, and the likely cause."""
        where = f"{self.check}, case {self.number} of {self.total}"
        lines = [f"{where} ({self.inputs}):" if self.inputs else f"{where}:", *problem.split("\n")]
        if cause:
            lines.append(f"likely cause: {cause}")
        # lines of at most 78 characters, continued with an indent, so that they fit a notebook
        wrapped = [textwrap.fill(line, 78, subsequent_indent="    ", break_on_hyphens=False,
                                 break_long_words=False) for line in lines]
        raise AssertionError("\n".join(wrapped))


def _cases(check: str):
    """Yield the CASES cases of ``check``, numbered from 1."""
    for number in range(1, CASES + 1):
        yield _Case(check, number, CASES)


class Verdict:
    """What a check returns: true when every case passed, false for the stub.

    In Jupyter it displays nothing (the check has already printed its line), so a check cell shows
    one line, not a stray ``True`` or ``False`` below it.
    """

    def __init__(self, passed: bool):
        self.passed = passed

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"Verdict(passed={self.passed})"

    def _ipython_display_(self) -> None:
        pass


def _checker(body: Callable) -> Callable:
    """Turn ``body(fn)``, which raises at the first wrong case, into a check that prints the
    pass line and returns a true Verdict, or prints "not done yet" and returns a false one."""

    @functools.wraps(body)
    def check(fn) -> Verdict:
        name = body.__name__
        if not callable(fn):
            raise TypeError(
                f"{name}: pass your function itself, for example {name}(my_function), "
                f"not what it returns (got {type(fn).__name__})."
            )
        try:
            body(fn)
        except _NotDone:
            print(f"not done yet: write {getattr(fn, '__name__', 'your function')} "
                  "and run this cell again")
            return Verdict(False)
        print(f"correct: {CASES} of {CASES} cases")
        return Verdict(True)

    return check


def _call(case: _Case, fn, *args, on_error: Callable | None = None):
    """``fn(*args)``; NotImplementedError means "not done yet", any other error is reported."""
    try:
        result = fn(*args)
    except NotImplementedError:
        raise _NotDone from None
    except InputMisuse as misuse:
        case.fail(str(misuse))
    except Exception as error:
        cause = on_error(error) if on_error else None
        case.fail(f"your function raised {type(error).__name__}: {error}", cause)
    if result is None:
        case.fail("your function returned None.", "the return statement is missing.")
    return result


class _Summary(str):
    """A description shown as it is in a message (its repr has no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def _describe(**inputs) -> str:
    """'x_t (2, 3), width=4': arrays by their shape, small values as they are."""
    parts = []
    for name, value in inputs.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {value.shape}")
        elif isinstance(value, (list, tuple)) and len(value) > 16:
            parts.append(f"{name} ({type(value).__name__} of {len(value)})")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _short(value) -> str:
    """A value in a few characters: shape and first entries of an array, a rounded number."""
    if isinstance(value, np.ndarray):
        more = " ..." if value.size > 4 else ""
        if value.dtype.kind not in "fiu":  # strings, complex, objects: as Python values
            first = ", ".join(_brief(v) for v in value.ravel()[:4].tolist())
            return f"shape {value.shape}, first values [{first}{more}]"
        flat = np.array2string(np.asarray(value).ravel()[:4], precision=3, suppress_small=True)
        return f"shape {value.shape}, first values {flat[:-1]}{more}]"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = repr(value)
    return text if len(text) <= 160 else text[:150] + " ... (cut)"


def _brief(v) -> str:
    """One entry of an array that is not of numbers, in at most 24 characters."""
    text = f"{v.real:.3g}{v.imag:+.3g}j" if isinstance(v, complex) else repr(v)
    return text if len(text) <= 24 else text[:21] + "..."


def _close(a, b) -> bool:
    """Same shape and equal up to rounding (inf equals inf, NaN equals nothing)."""
    if isinstance(a, np.ma.MaskedArray) or isinstance(b, np.ma.MaskedArray):
        return False
    try:
        a, b = np.asarray(a), np.asarray(b)
    except (TypeError, ValueError):
        return False
    if a.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":  # no strings, complex, bool
        return False
    a, b = a.astype(float), b.astype(float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _recognise(received, mistakes) -> str | None:
    """The hints of the typical mistakes whose answer equals ``received`` (two at most), or None.

    ``mistakes`` is a list of ``(hint, wrong_answer)``; a wrong answer may also be a predicate
    ``wrong_answer(received) -> bool`` (for mistakes known by their shape, say).
    """
    hints = []
    for hint, wrong in mistakes:
        matches = wrong(received) if callable(wrong) else _close(received, wrong)
        if matches and hint not in hints:
            hints.append(hint)
    return " Or: ".join(hints[:2]) or None


def _generic_cause(received: np.ndarray, expected: np.ndarray) -> str | None:
    """Causes that any array can show: a flipped sign, a transpose."""
    if received.shape == expected.shape and np.any(expected) and _close(received, -expected):
        return "the sign is flipped: a minus sign is missing or one too many."
    if expected.ndim == 2 and received.shape == expected.shape[::-1] != expected.shape:
        return "this is the shape of the transpose: check which axis is which."
    if expected.ndim == 2 and received.shape == expected.shape and _close(received, expected.T):
        return "you returned the transpose: check the order of the matrix product."
    return None


def _real_array(case: _Case, what: str, received, shape: tuple) -> np.ndarray:
    """``received`` as a float array, or fail unless it holds real numbers (float or int).

    ``np.asarray(received, dtype=float)`` alone would accept what is not an answer: numeric
    strings ("0.5" becomes 0.5), complex numbers with a zero imaginary part, and masked arrays
    (whose masked entries it reads as if they were numbers). They are refused here, by name.
    """
    parts = received if isinstance(received, (list, tuple)) else [received]
    if any(isinstance(part, np.ma.MaskedArray) for part in parts):
        case.fail(f"{what} is a masked array (numpy.ma): a check cannot tell what a masked entry "
                  f"should be, so it refuses masked arrays. Return a plain array of shape "
                  f"{shape}.",
                  "np.ma.filled(a, value) or a.data gives a plain array, if every entry is "
                  "meant to count.")
    try:
        array = np.asarray(received)
    except (TypeError, ValueError):
        array = None
    if array is None or (array.dtype == object and not all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
                v, (bool, np.bool_)) for v in array.ravel())):
        case.fail(f"{what} should be an array of shape {shape}, got {type(received).__name__} "
                  f"that NumPy cannot turn into numbers: {_short(received)}.",
                  "rows of different lengths, or a tuple where one array belongs?")
    kinds = {"U": "strings", "S": "bytes", "c": "complex numbers", "b": "booleans",
             "M": "dates", "m": "time differences", "V": "records"}
    if array.dtype.kind in kinds:
        case.fail(f"{what} should hold real numbers (float or int), got an array of "
                  f"{kinds[array.dtype.kind]} (dtype {array.dtype}): {_short(array)}.",
                  {"U": "an .astype(str), or numbers read from text? Return the numbers.",
                   "S": "an .astype(bytes)? Return the numbers.",
                   "c": "a complex number somewhere (1j, np.fft, np.sqrt of a complex "
                        "array)? The answer is real: compute it with real arrays."
                   }.get(array.dtype.kind))
    return array.astype(float)


def _check_array(case: _Case, what: str, received, expected, mistakes=()) -> None:
    """Fail unless ``received`` is a real array of ``expected``'s shape and values."""
    expected = np.asarray(expected, dtype=float)
    array = _real_array(case, what, received, expected.shape)
    cause = _recognise(array, mistakes) or _generic_cause(array, expected)
    if array.shape != expected.shape:
        case.fail(f"wrong shape of {what}: {array.shape}, expected {expected.shape}.", cause)
    if not np.all(np.isfinite(array)) and np.all(np.isfinite(expected)):
        case.fail(f"NaN or inf in {what}: {_short(array)}.",
                  cause or "a division by zero, or exp of a large number?")
    if not _close(array, expected):
        worst = np.unravel_index(np.argmax(np.abs(array - expected)), expected.shape)
        case.fail(
            f"wrong values in {what} (the shape {expected.shape} is right; the largest "
            f"difference is at index {tuple(int(i) for i in worst)}).\n"
            f"  expected: {_short(expected)}\n  received: {_short(array)}",
            cause,
        )


def _check_float(case: _Case, what: str, received, expected: float, mistakes=()) -> None:
    """Fail unless ``received`` is one real number equal to ``expected`` (inf allowed)."""
    if isinstance(received, np.ma.MaskedArray):
        case.fail(f"{what} should be one number (a float), got a masked array (numpy.ma), "
                  f"which a check refuses: return a plain float.")
    if isinstance(received, np.ndarray) and received.shape == ():
        received = received.item()
    if isinstance(received, bool) or not isinstance(received, (int, float, np.integer,
                                                               np.floating)):
        case.fail(f"{what} should be one number (a float), got {type(received).__name__}: "
                  f"{_short(received)}.")
    value = float(received)
    cause = _recognise(value, mistakes)
    if math.isnan(value):
        case.fail(f"{what}: NaN, expected {_short(expected)}.",
                  cause or "0 * inf, inf - inf or 0 / 0 somewhere?")
    if not _close(value, expected):
        if cause is None and expected != 0 and _close(value, -expected):
            cause = "the sign is flipped: a minus sign is missing or one too many."
        case.fail(f"wrong {what}.\n  expected: {_short(float(expected))}\n"
                  f"  received: {_short(value)}", cause)


def _check_tokens(case: _Case, what: str, received, expected: list[int], mistakes=()) -> None:
    """Fail unless ``received`` is a list (or tuple / 1-D array) of ints equal to ``expected``."""
    if isinstance(received, np.ma.MaskedArray):
        case.fail(f"{what} should be a list of ints, got a masked array (numpy.ma), which a "
                  f"check refuses: return a list.")
    if isinstance(received, np.ndarray) and received.ndim == 1:
        received = received.tolist()
    if not isinstance(received, (list, tuple)) or not all(
        isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in received
    ):
        case.fail(f"{what} should be a list of ints, got {type(received).__name__}: "
                  f"{_short(received)}.")
    tokens = [int(t) for t in received]
    if tokens != expected:
        cause = _recognise(tokens, [(hint, lambda t, w=wrong: t == w) for hint, wrong in mistakes])
        case.fail(f"wrong {what}.\n  expected: {expected}\n  received: {tokens}", cause)


def _matmul_hint(error: Exception) -> str | None:
    """A hint for the error NumPy raises when a matrix product's shapes do not fit."""
    text = str(error)
    if isinstance(error, ValueError) and ("matmul" in text or "aligned" in text
                                          or "broadcast" in text):
        return ("Keras's layout needs no transpose: x_t @ kernel is (B, D) @ (D, ...) and "
                "h_prev @ recurrent_kernel is (B, H) @ (H, ...).")
    return None
