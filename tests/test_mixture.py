"""Tests of utils.mixture: the fitted weight is the optimum, the bounds, never worse than the
better model, the n-gram's distribution in a network's order, and clear errors."""

import numpy as np
import pytest

from utils.mixture import fit_weight, mix, mixture_nats, ngram_distribution
from utils.ngram import NGramLM


def _two_models(seed: int, n: int = 2000):
    """Per-character probabilities of two imperfect models: each better on some characters."""
    rng = np.random.default_rng(seed)
    p_net = rng.uniform(0.01, 1.0, n)
    p_count = np.clip(p_net * rng.lognormal(0.0, 1.0, n), 1e-4, 1.0)
    return p_net, p_count


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_fitted_weight_is_the_optimum_of_a_fine_grid(seed):
    p_net, p_count = _two_models(seed)
    lam = fit_weight(p_net, p_count)
    grid = np.linspace(0, 1, 10_001)
    losses = [mixture_nats(p_net, p_count, g) for g in grid]
    best = grid[int(np.argmin(losses))]
    assert 0 < lam < 1 and abs(lam - best) <= 2e-4
    assert mixture_nats(p_net, p_count, lam) <= min(losses) + 1e-12


def test_em_converges_to_the_same_weight():
    p_net, p_count = _two_models(3)
    lam = 0.5
    for _ in range(5000):
        lam = float(np.mean(lam * p_net / (lam * p_net + (1 - lam) * p_count)))
    assert abs(lam - fit_weight(p_net, p_count)) < 1e-4


def test_a_model_better_on_every_character_takes_all_the_weight():
    rng = np.random.default_rng(0)
    good = rng.uniform(0.5, 1.0, 500)
    bad = good * rng.uniform(0.01, 0.5, 500)
    assert fit_weight(good, bad) == 1.0
    assert fit_weight(bad, good) == 0.0
    assert fit_weight(good, good) == 0.0  # equal models: any weight, the bound is returned
    assert mixture_nats(good, good, 0.3) == pytest.approx(-np.mean(np.log(good)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_mixture_never_scores_worse_than_the_better_model(seed):
    p_net, p_count = _two_models(seed, n=300)
    lam = fit_weight(p_net, p_count)
    better = min(-np.mean(np.log(p_net)), -np.mean(np.log(p_count)))
    assert mixture_nats(p_net, p_count, lam) <= better + 1e-12


def test_mix_is_the_interpolation():
    np.testing.assert_allclose(mix([0.2, 1.0], [0.6, 0.5], 0.25), [0.5, 0.625])


@pytest.mark.parametrize("p_net, p_count, message", [
    ([], [], "p_net is empty"),
    ([[0.5]], [[0.5]], "1-D array"),
    ([0.5, 0.5], [0.5], "the same characters"),
    ([0.5, np.nan], [0.5, 0.5], r"in \(0, 1\], got nan at index 1"),
    ([0.5, 0.5], [0.0, 0.5], r"p_count must hold probabilities in \(0, 1\], got 0.0"),
    ([1.5, 0.5], [0.5, 0.5], "got 1.5 at index 0"),
])
def test_bad_input_is_named(p_net, p_count, message):
    with pytest.raises(ValueError, match=message):
        fit_weight(p_net, p_count)


def test_a_weight_outside_the_unit_interval_is_refused():
    with pytest.raises(ValueError, match=r"weight must be a number in \[0, 1\]"):
        mixture_nats([0.5], [0.5], 1.5)


def test_the_ngram_distribution_in_a_networks_order():
    lm = NGramLM(3).fit("abracadabra abracadabra")
    symbols = ["r", "a", "Z", "b", " ", "c", "d"]  # Z: never seen by the n-gram
    p = ngram_distribution(lm, symbols, "abr")
    full = lm.distribution("br")
    known = [ch for ch in symbols if ch in lm.vocabulary]
    expected = {ch: full[lm.vocabulary.index(ch)] for ch in known}
    total = sum(expected.values())
    assert p.shape == (7,) and p.sum() == pytest.approx(1.0) and p[2] == 0.0
    for i, ch in enumerate(symbols):
        if ch in expected:
            assert p[i] == pytest.approx(expected[ch] / total)
    assert symbols[int(np.argmax(p))] == "a"  # "br" is followed by "a"
    with pytest.raises(ValueError, match="knows none of the symbols"):
        ngram_distribution(lm, ["X", "Y"])
