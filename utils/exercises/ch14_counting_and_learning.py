"""Exercise checks of chapter 14: the weight of a two-model mixture, fitted by EM.

This module imports NumPy only.
"""

from __future__ import annotations

import math

import numpy as np

from utils.exercises.harness import _call, _cases, _check_float, _checker, _describe

__all__ = ["check_mixture_weight"]

_LIKELIHOOD_TOL = 1e-7  # nats per character: a weight this close to the best one's likelihood


def _mean_log(beta: float, p_net: np.ndarray, p_count: np.ndarray) -> float:
    """Mean of ln(beta p_net + (1 - beta) p_count): the mixture's log-likelihood per character."""
    return float(np.mean(np.log(beta * p_net + (1 - beta) * p_count)))


def _best_weight(p_net: np.ndarray, p_count: np.ndarray) -> float:
    """The beta in [0, 1] of highest likelihood: the root of the (decreasing) derivative."""
    def slope(beta):
        return float(np.mean((p_net - p_count) / (beta * p_net + (1 - beta) * p_count)))

    if slope(0.0) <= 0:
        return 0.0
    if slope(1.0) >= 0:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if slope(middle) > 0 else (low, middle)
    return (low + high) / 2


def _one_round(p_net, p_count, beta=0.5):
    share = beta * p_net / (beta * p_net + (1 - beta) * p_count)
    return float(share.mean())


def _case_probabilities(rng, number: int):
    """(p_net, p_count) of case ``number``: inside, at an end, one character, equal models."""
    if number == 1:  # a short text, best weight inside (0, 1)
        p_net = np.array([0.9, 0.05, 0.6, 0.3, 0.01, 0.7])
        p_count = np.array([0.2, 0.5, 0.5, 0.05, 0.4, 0.6])
    elif number == 2:  # the network is worse everywhere: the best weight is 0
        p_count = rng.uniform(0.2, 0.9, size=40)
        p_net = p_count * rng.uniform(0.1, 0.6, size=40)
    elif number == 3:  # one character: the better model takes all the weight
        p_net, p_count = np.array([0.3]), np.array([0.1])
    elif number == 4:  # two equal models: every weight is as good
        p_net = rng.uniform(0.01, 1.0, size=25)
        p_count = p_net.copy()
    else:  # a long text of small probabilities, best weight inside (0, 1)
        p_net = np.exp(-rng.gamma(2.0, 1.2, size=3000))
        p_count = np.exp(-rng.gamma(2.0, 1.0, size=3000))
        p_count[rng.random(3000) < 0.05] = 1e-12  # where counting is badly wrong
    return p_net, p_count


def _good_enough(received, p_net, p_count, best) -> bool:
    if isinstance(received, np.ndarray) and received.shape == ():
        received = received.item()
    if isinstance(received, bool) or not isinstance(received, (int, float, np.integer,
                                                               np.floating)):
        return False
    value = float(received)
    if not (math.isfinite(value) and -1e-12 <= value <= 1.0 + 1e-12):
        return False
    value = min(max(value, 0.0), 1.0)  # rounding just outside [0, 1] is not a mistake
    return _mean_log(value, p_net, p_count) >= _mean_log(best, p_net, p_count) - _LIKELIHOOD_TOL


@_checker
def check_mixture_weight(fn):
    """Check ``fn(p_net, p_count) -> beta``: the EM fit of a two-model mixture's weight.

    ``p_net`` and ``p_count`` (shape (T,)) are the probabilities that two models gave to the
    characters of a text; the answer is the beta in [0, 1] that maximises the mean of
    ln(beta * p_net + (1 - beta) * p_count). Any beta whose likelihood is within 1e-7 nats per
    character of the best one passes (where the best beta is not unique, or EM has not quite
    converged at an end of [0, 1]).
    """
    for case in _cases("check_mixture_weight"):
        p_net, p_count = _case_probabilities(case.rng, case.number)
        case.inputs = _describe(p_net=p_net, p_count=p_count)
        best = _best_weight(p_net, p_count)
        received = _call(case, fn, p_net.copy(), p_count.copy())
        if _good_enough(received, p_net, p_count, best):
            continue
        mistakes = [
            ("beta must lie in [0, 1]: it is a probability, the share of the network.",
             lambda v: not 0.0 <= v <= 1.0),
            ("that is 1 - beta, the weight of p_count: beta is the weight of the first "
             "argument, p_net.", 1.0 - best),
            ("one round of EM from 0.5 is not the answer: repeat the rounds until beta stops "
             "changing.", _one_round(p_net, p_count)),
            ("the share of characters where p_net is higher ignores by how much: average the "
             "shares beta * p_net / p_mix instead.", float(np.mean(p_net > p_count))),
            ("the weight is not the ratio of the mean probabilities: use the EM rounds.",
             float(p_net.mean() / (p_net.mean() + p_count.mean()))),
        ]
        _check_float(case, "beta", received, best, mistakes)
        # close to the best weight by value but not by likelihood: report it plainly
        case.fail(f"beta = {float(received):.6g} gives a mean log-likelihood "
                  f"{_mean_log(float(received), p_net, p_count):.9f}, the best weight "
                  f"{best:.6g} gives {_mean_log(best, p_net, p_count):.9f}.",
                  "run more EM rounds.")
