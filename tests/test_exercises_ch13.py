"""Tests of utils.exercises.ch13_char_rnn (check_sample_with_temperature, the character-RNN
chapter): the reference passes, the stub waits, typical mistakes fail with their hint (the tests
every check gets, from tests/helpers.py's exercise_tests). The sampler check makes few calls,
holds a bound, and says when it is slow.
"""

import math

import numpy as np
import pytest

from utils import exercises as ex
from utils.exercises import ch13_char_rnn as sampling
from utils.numpy_rnn import softmax

from helpers import exercise_tests

# --- reference solution, as a learner would write it ---------------------------------------------


def sample_with_temperature(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=softmax(logits / temperature)))


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _sample_times_t(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=softmax(logits * temperature)))


def _sample_no_softmax(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=logits / temperature / np.sum(logits / temperature)))


def _sample_no_temperature(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=softmax(logits)))


def _sample_zero_divides(logits, temperature, rng):
    with np.errstate(divide="ignore", invalid="ignore"):
        return int(rng.choice(len(logits), p=softmax(logits / temperature)))


def _sample_global_rng(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(np.random.choice(len(logits), p=softmax(logits / temperature)))


def _sample_uniform(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.integers(len(logits)))


def _sample_always_argmax(logits, temperature, rng):
    return int(np.argmax(logits))


def _sample_returns_array(logits, temperature, rng):
    return rng.choice(len(logits), size=1, p=softmax(logits / max(temperature, 1e-9)))



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_sample_with_temperature": (sample_with_temperature, [
        (_sample_times_t, "multiplied"), (_sample_no_softmax, "softmax"),
        (_sample_no_temperature, "temperature is missing"),
        (_sample_zero_divides, "argmax"), (_sample_global_rng, "rng you are given"),
        (_sample_uniform, "ignore the logits"), (_sample_always_argmax, "always return the argmax"),
        (_sample_returns_array, "one int")]),
}
test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint = \
    exercise_tests(CHECKS)


def test_other_correct_samplers_pass(capsys):
    """Inverse-CDF and Gumbel-max sampling draw other tokens but the same distribution."""
    for sampler in _correct_samplers()[1:]:
        assert ex.check_sample_with_temperature(sampler)


def _correct_samplers():
    def inverse_cdf(logits, temperature, rng):
        if temperature == 0:
            return int(np.argmax(logits))
        cdf = np.cumsum(softmax(logits / temperature))
        return int(min(np.searchsorted(cdf, rng.random()), len(logits) - 1))

    def gumbel_max(logits, temperature, rng):
        if temperature == 0:
            return int(np.argmax(logits))
        return int(np.argmax(logits / temperature + rng.gumbel(size=len(logits))))

    return [sample_with_temperature, inverse_cdf, gumbel_max]


def _sample_inverted(logits, temperature, rng):  # 1 / T where T belongs: same as multiplying
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=softmax(logits / (1 / temperature))))


def _sample_flipped(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=softmax(-logits / temperature)))


SAMPLER_MISTAKES = [(_sample_no_temperature, "temperature is missing"),
                    (_sample_times_t, "multiplied"), (_sample_inverted, "multiplied"),
                    (_sample_always_argmax, "always return the argmax"),
                    (_sample_uniform, "ignore the logits"), (_sample_flipped, "sign is flipped")]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 7, 2026])
def test_right_samplers_pass_and_wrong_ones_fail_with_other_seeds(seed, monkeypatch, capsys):
    monkeypatch.setattr(sampling, "SAMPLER_SEED", seed)
    for right in _correct_samplers():
        assert ex.check_sample_with_temperature(right), right.__name__
    for wrong, word in SAMPLER_MISTAKES:
        with pytest.raises(AssertionError) as failure:
            ex.check_sample_with_temperature(wrong)
        assert word in " ".join(str(failure.value).split()), (wrong.__name__, failure.value)


def test_the_sampler_check_makes_few_calls(capsys):
    calls = []

    def counted(logits, temperature, rng):
        calls.append(1)
        return sample_with_temperature(logits, temperature, rng)

    assert ex.check_sample_with_temperature(counted)
    assert len(calls) == sampling.SAMPLER_CALLS <= 1000  # it was 12,450


def test_a_slow_sampler_is_told_how_long_the_check_takes(monkeypatch, capsys):
    monkeypatch.setattr(sampling, "SLOW_CHECK_S", 1e-9)  # every sampler counts as slow
    assert ex.check_sample_with_temperature(sample_with_temperature)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1] == "correct: 5 of 5 cases"
    assert f"calls it {sampling.SAMPLER_CALLS:,} times" in lines[0]


def test_count_ranges_are_exact_binomial_tails():
    for n, p in [(200, 0.5), (200, 0.014), (200, 0.9), (50, 0.3), (20, 0.001)]:
        lo, hi = sampling._count_range(n, p)
        pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
        assert sum(pmf[:lo]) <= sampling.ALPHA and sum(pmf[hi + 1:]) <= sampling.ALPHA
        assert sum(pmf[:lo + 1]) > sampling.ALPHA or lo == n  # the widest range would be looser
        assert sum(pmf[hi:]) > sampling.ALPHA or hi == 0


def test_a_right_sampler_fails_with_a_probability_below_one_in_a_million():
    cases = [t for t, _ in sampling.SAMPLER_CASES if t > 0]
    tokens = len(sampling.SAMPLER_CASES[0][1])
    assert 2 * sampling.ALPHA * tokens * len(cases) < 1e-6  # the union bound of the docstring


def test_typical_wrong_distributions_never_pass_in_simulated_checks():
    """20,000 simulated checks per distribution: counts drawn by NumPy, judged by _fits."""
    rng = np.random.default_rng(0)
    runs = 20_000
    kinds = {
        "right": lambda lg, t: softmax(lg / t),
        "temperature ignored": lambda lg, t: softmax(lg),
        "multiplied": lambda lg, t: softmax(lg * t),
        "sign flipped": lambda lg, t: softmax(-lg / t),
        "uniform": lambda lg, t: np.full(len(lg), 1 / len(lg)),
        "argmax": lambda lg, t: np.eye(len(lg))[np.argmax(lg)],
    }
    for kind, q_of in kinds.items():
        passed = np.ones(runs, dtype=bool)
        for temperature, values in sampling.SAMPLER_CASES:
            if temperature == 0:
                continue
            logits = np.array(values)
            p = softmax(logits / temperature)
            counts = rng.multinomial(sampling.SAMPLES, q_of(logits, temperature), size=runs)
            ranges = np.array([sampling._count_range(sampling.SAMPLES, float(x)) for x in p])
            passed &= np.all((counts >= ranges[:, 0]) & (counts <= ranges[:, 1]), axis=1)
        if kind == "right":
            assert passed.all()
        else:
            assert not passed.any(), (kind, passed.mean())
