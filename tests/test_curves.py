"""Tests of utils.curves: the factor per step between two points, the first time a level is met."""

import math

import numpy as np
import pytest

from utils.curves import factor_per_step, first_time_at_or_below


def test_the_factor_per_step_of_a_geometric_curve_is_its_ratio():
    curve = 3.0 * 0.8 ** np.arange(60)
    assert factor_per_step(curve[10], curve[50], 40) == pytest.approx(0.8, rel=1e-12)
    assert factor_per_step(curve[50], curve[10], 40) == pytest.approx(1.25, rel=1e-12)


def test_the_factor_per_step_is_the_geometric_mean_of_uneven_ratios():
    ratios = np.array([0.5, 2.0, 0.25, 1.0])
    curve = np.concatenate([[1.0], np.cumprod(ratios)])
    expected = float(np.prod(ratios) ** (1 / len(ratios)))
    assert factor_per_step(curve[0], curve[-1], len(ratios)) == pytest.approx(expected)


@pytest.mark.parametrize("start, end, steps, message", [
    (0.0, 1.0, 3, "start must be a finite number > 0"),
    (1.0, -2.0, 3, "end must be a finite number > 0"),
    (1.0, math.nan, 3, "end must be a finite number > 0"),
    (1.0, 2.0, 0, "steps must be an integer >= 1"),
    (1.0, 2.0, 2.5, "steps must be an integer >= 1"),
    (1.0, 2.0, True, "steps must be an integer >= 1"),
])
def test_the_factor_per_step_refuses_what_has_no_factor(start, end, steps, message):
    with pytest.raises(ValueError, match=message):
        factor_per_step(start, end, steps)


def test_the_first_time_at_or_below_a_level():
    times = np.array([0.0, 1.5, 3.0, 4.5, 6.0])
    losses = np.array([4.0, 3.0, 2.0, 2.5, 1.0])
    assert first_time_at_or_below(times, losses, 2.5) == 3.0
    assert first_time_at_or_below(times, losses, 2.0) == 3.0  # "at" counts
    assert first_time_at_or_below(times, losses, 5.0) == 0.0
    assert first_time_at_or_below(list(times), list(losses), 1.0) == 6.0


def test_never_reaching_the_level_is_infinitely_late():
    never = first_time_at_or_below([1, 2, 3], [0.5, 0.4, 0.3], 0.1)
    assert never == math.inf
    assert not never / 10 <= 0.5  # a claim on the share of the time fails


def test_the_first_time_needs_one_value_per_time():
    with pytest.raises(ValueError, match="1-D of equal length"):
        first_time_at_or_below([1, 2, 3], [0.5, 0.4], 0.1)
    with pytest.raises(ValueError, match="1-D of equal length"):
        first_time_at_or_below(np.zeros((2, 2)), np.zeros((2, 2)), 0.1)
