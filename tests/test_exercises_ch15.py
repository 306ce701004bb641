"""Tests of utils.exercises.check_log_space_recurrence (the recurrence-without-the-loop chapter):
the reference passes, the stub waits, typical mistakes fail with their hint."""

import numpy as np
import pytest

from utils import exercises as ex


def log_space_recurrence(log_a, log_b, log_h0):
    a_star = np.cumsum(log_a, axis=1)
    terms = np.concatenate([log_h0[:, None], log_b - a_star], axis=1)
    return a_star + np.logaddexp.accumulate(terms, axis=1)[:, 1:]


def loop_in_logs(log_a, log_b, log_h0):
    """Correct too: the loop, each step in log space."""
    log_h, states = log_h0, []
    for t in range(log_a.shape[1]):
        log_h = np.logaddexp(log_a[:, t] + log_h, log_b[:, t])
        states.append(log_h)
    return np.stack(states, axis=1)


def test_the_reference_and_a_loop_in_logs_pass(capsys):
    assert ex.check_log_space_recurrence(log_space_recurrence)
    assert ex.check_log_space_recurrence(loop_in_logs)
    assert "correct: 5 of 5 cases" in capsys.readouterr().out


def test_the_stub_is_not_done_yet(capsys):
    def stub(log_a, log_b, log_h0):
        raise NotImplementedError

    assert not ex.check_log_space_recurrence(stub)
    assert "not done yet" in capsys.readouterr().out


def products_in_linear_space(log_a, log_b, log_h0):
    with np.errstate(all="ignore"):
        A = np.exp(np.cumsum(log_a, axis=1))
        h = A * (np.exp(log_h0)[:, None] + np.cumsum(np.exp(log_b) / A, axis=1))
        return np.log(h)


def without_h0(log_a, log_b, log_h0):
    a_star = np.cumsum(log_a, axis=1)
    return a_star + np.logaddexp.accumulate(log_b - a_star, axis=1)


def keeps_the_first_term(log_a, log_b, log_h0):
    a_star = np.cumsum(log_a, axis=1)
    terms = np.concatenate([log_h0[:, None], log_b - a_star], axis=1)
    return np.concatenate([np.zeros_like(log_h0[:, None]), a_star], axis=1) + \
        np.logaddexp.accumulate(terms, axis=1)


def exclusive_a_star(log_a, log_b, log_h0):
    a_star = np.cumsum(log_a, axis=1)
    terms = np.concatenate([log_h0[:, None], log_b - (a_star - log_a)], axis=1)
    return a_star + np.logaddexp.accumulate(terms, axis=1)[:, 1:]


def returns_h(log_a, log_b, log_h0):
    return np.exp(log_space_recurrence(log_a, log_b, log_h0))


@pytest.mark.parametrize("wrong, hint", [
    (products_in_linear_space, "stay in log space"),
    (without_h0, "log h_0 is missing"),
    (keeps_the_first_term, "drop the first term"),
    (exclusive_a_star, "not a*_{t-1}"),
    (returns_h, "return log h_t"),
])
def test_typical_mistakes_fail_with_their_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        ex.check_log_space_recurrence(wrong)
    assert hint in " ".join(str(error.value).split())
