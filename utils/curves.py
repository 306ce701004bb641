"""Numbers read off a curve: the factor per step between two points, the first time a level is met.

Chapters 7 and 8 ask how fast a gradient norm shrinks with the lag (a constant factor per step,
the geometric mean of the step-to-step ratios); chapters 7 and 13 ask how soon a loss curve gets
down to a level. NumPy only.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["factor_per_step", "first_time_at_or_below"]


def factor_per_step(start: float, end: float, steps: int) -> float:
    """The constant factor per step that takes ``start`` to ``end`` in ``steps`` steps.

    ``(end / start) ** (1 / steps)``: the geometric mean of the ``steps`` step-to-step ratios
    between the two points, whatever they were one by one. Below 1 the curve shrinks, above 1
    it grows.

    Args:
        start: the curve's value at the first point, a finite number > 0 (a norm, a loss).
        end: its value ``steps`` steps later, a finite number > 0.
        steps: the number of steps between the two points, an integer >= 1.
    """
    for name, value in (("start", start), ("end", end)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"factor_per_step: {name} must be a finite number > 0, got "
                             f"{value!r}; a factor per step needs two positive values.")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"factor_per_step: steps must be an integer >= 1, got {steps!r}.")
    return float((end / start) ** (1 / steps))


def first_time_at_or_below(times, values, level: float) -> float:
    """The first of ``times`` at which ``values`` is at or below ``level``; ``inf`` if never.

    Infinity for "never" keeps the answer a number: it compares as later than any time and
    divides to infinity, so a claim such as ``time / budget <= 0.5`` simply fails.

    Args:
        times: 1-D array ``(N,)`` of increasing times (seconds, update numbers).
        values: 1-D array ``(N,)``: the curve's value at each time (a loss).
        level: the level to reach.
    """
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    if times.ndim != 1 or times.shape != values.shape:
        raise ValueError(f"first_time_at_or_below: times and values must be 1-D of equal "
                         f"length, got shapes {times.shape} and {values.shape}.")
    reached = np.flatnonzero(values <= level)
    return float(times[reached[0]]) if reached.size else math.inf
