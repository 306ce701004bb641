"""Tests of utils.exercises.check_mixture_weight (the counting-and-learning chapter): the
reference passes, the stub waits, typical mistakes fail with their hint."""

import numpy as np
import pytest

from utils import exercises as ex


def em_weight(p_net, p_count):
    beta = 0.5
    for _ in range(5000):
        share = beta * p_net / (beta * p_net + (1 - beta) * p_count)
        new = share.mean()
        if abs(new - beta) < 1e-13:
            break
        beta = new
    return float(new)


def grid_weight(p_net, p_count):
    """Correct too: the best of a fine grid, refined once."""
    grid = np.linspace(0, 1, 2001)
    ll = [np.mean(np.log(b * p_net + (1 - b) * p_count)) for b in grid]
    best = grid[int(np.argmax(ll))]
    fine = np.clip(np.linspace(best - 1e-3, best + 1e-3, 2001), 0, 1)
    ll = [np.mean(np.log(b * p_net + (1 - b) * p_count)) for b in fine]
    return float(fine[int(np.argmax(ll))])


def test_em_and_a_fine_grid_pass(capsys):
    assert ex.check_mixture_weight(em_weight)
    assert ex.check_mixture_weight(grid_weight)
    assert "correct: 5 of 5 cases" in capsys.readouterr().out


def test_a_numpy_scalar_or_0d_array_is_an_answer():
    assert ex.check_mixture_weight(lambda a, b: np.float32(em_weight(a, b)))
    assert ex.check_mixture_weight(lambda a, b: np.array(em_weight(a, b)))


def test_the_stub_is_not_done_yet(capsys):
    def stub(p_net, p_count):
        raise NotImplementedError

    assert not ex.check_mixture_weight(stub)
    assert "not done yet" in capsys.readouterr().out


def one_round(p_net, p_count):
    return float((0.5 * p_net / (0.5 * p_net + 0.5 * p_count)).mean())


def share_where_better(p_net, p_count):
    return float(np.mean(p_net > p_count))


def swapped(p_net, p_count):
    return 1 - em_weight(p_net, p_count)


def ratio_of_means(p_net, p_count):
    return float(p_net.mean() / (p_net.mean() + p_count.mean()))


def outside(p_net, p_count):
    return 1.5


@pytest.mark.parametrize("wrong, hint", [
    (one_round, "repeat the rounds"),
    (share_where_better, "ignores by how much"),
    (swapped, "weight of p_count"),
    (ratio_of_means, "ratio of the mean"),
    (outside, "must lie in [0, 1]"),
])
def test_typical_mistakes_fail_with_their_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        ex.check_mixture_weight(wrong)
    assert hint in " ".join(str(error.value).split())


@pytest.mark.parametrize("answer, words", [
    (lambda a, b: "0.5", "one number"),
    (lambda a, b: None, "returned None"),
    (lambda a, b: float("nan"), "NaN"),
])
def test_answers_that_are_not_a_weight_are_named(answer, words):
    with pytest.raises(AssertionError) as error:
        ex.check_mixture_weight(answer)
    assert words in str(error.value)


def test_inputs_are_not_changed_for_the_next_case():
    def scribbles(p_net, p_count):
        beta = em_weight(p_net, p_count)
        p_net[:] = 0
        return beta

    assert ex.check_mixture_weight(scribbles)
