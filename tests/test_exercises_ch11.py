"""Tests of utils.exercises.ch11_encoder_decoder (check_greedy_decode, check_beam_search, the
encoder-decoder chapter): the reference passes, the stub waits, typical mistakes fail with their
hint (the tests every check gets, from tests/helpers.py's exercise_tests). The beam-search
problems are data, with the properties they were chosen for.
"""

import numpy as np
import pytest

from utils import exercises as ex
from utils.exercises import ch11_encoder_decoder as decoding

from helpers import exercise_tests

# --- reference solutions, as a learner would write them ------------------------------------------


def greedy_decode(step_fn, start, end, max_len):
    prefix = [start]
    for _ in range(max_len):
        token = int(np.argmax(step_fn(prefix)))
        if token == end:
            break
        prefix.append(token)
    return prefix[1:]


def beam_search_scored(score, name="beam_search"):
    """Beam search that answers with the hypothesis of the highest ``score(log_prob, n_tokens,
    ended)``: the reference scores per token; two typical mistakes differ only in the score."""
    def search(step_fn, start, end, max_len, beam_width):
        beam, finished = [([start], 0.0)], []
        for _ in range(max_len):
            candidates = [(p + [t], s + lp) for p, s in beam
                          for t, lp in enumerate(step_fn(p))]
            candidates.sort(key=lambda c: c[1], reverse=True)
            beam = []
            for p, s in candidates[:beam_width]:
                (finished if p[-1] == end else beam).append((p, s))
            if not beam:
                break
        best = max(finished + beam, key=lambda c: score(c[1], len(c[0]) - 1, c[0][-1] == end))[0]
        return [t for t in best[1:] if t != end]

    search.__name__ = name
    return search


beam_search = beam_search_scored(lambda log_prob, n_tokens, ended: log_prob / n_tokens)


# --- typical wrong solutions, each with a word its hint must contain ------------------------------


def _greedy_with_start(step_fn, start, end, max_len):
    return [start] + greedy_decode(step_fn, start, end, max_len)


def _greedy_with_end(step_fn, start, end, max_len):
    prefix = [start]
    for _ in range(max_len):
        token = int(np.argmax(step_fn(prefix)))
        prefix.append(token)
        if token == end:
            break
    return prefix[1:]


def _greedy_empty_prefix(step_fn, start, end, max_len):
    out = []
    for _ in range(max_len):
        token = int(np.argmax(step_fn(out)))
        if token == end:
            break
        out.append(token)
    return out


_beam_unnormalised = beam_search_scored(  # the sum of log-probabilities favours short answers
    lambda log_prob, n_tokens, ended: log_prob, "_beam_unnormalised")
_beam_end_not_counted = beam_search_scored(  # the end token's step is left out of the length
    lambda log_prob, n_tokens, ended: log_prob / max(1, n_tokens - ended), "_beam_end_not_counted")


def _beam_greedy(step_fn, start, end, max_len, beam_width):
    return greedy_decode(step_fn, start, end, max_len)


def _beam_with_end(step_fn, start, end, max_len, beam_width):
    best = beam_search(step_fn, start, end, max_len, beam_width)
    return best + [end] if len(best) < max_len else best


def _greedy_argmin(step_fn, start, end, max_len):
    prefix = [start]
    for _ in range(max_len):
        token = int(np.argmin(step_fn(prefix)))
        if token == end:
            break
        prefix.append(token)
    return prefix[1:]


def _greedy_never_stops(step_fn, start, end, max_len):
    prefix = [start]
    for _ in range(max_len):
        prefix.append(int(np.argmax(step_fn(prefix))))
    return [t for t in prefix[1:] if t != end]


def _greedy_one_short(step_fn, start, end, max_len):
    return greedy_decode(step_fn, start, end, max_len - 1)



CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_greedy_decode": (greedy_decode, [
        (_greedy_with_start, "start token"), (_greedy_with_end, "do not append"),
        (_greedy_empty_prefix, "starts with the start token"), (_greedy_argmin, "argmax"),
        (_greedy_never_stops, "as soon as"), (_greedy_one_short, "at most max_len")]),
    "check_beam_search": (beam_search, [
        (_beam_unnormalised, "length"), (_beam_greedy, "greedy"),
        (_beam_with_end, "end token"), (_beam_end_not_counted, "count the end token")]),
}
test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint = \
    exercise_tests(CHECKS)


def test_the_other_correct_decoders_pass(capsys):
    """Beam search written another way (finished hypotheses leave the beam) passes too."""
    def beam_alive(step_fn, start, end, max_len, beam_width):
        alive, done = [([start], 0.0)], []
        for _ in range(max_len):
            grown = [(p + [t], s + lp) for p, s in alive for t, lp in enumerate(step_fn(p))]
            done += [c for c in grown if c[0][-1] == end]
            alive = sorted([c for c in grown if c[0][-1] != end], key=lambda c: -c[1])
            alive = alive[:beam_width]
        best = max(done + alive, key=lambda c: c[1] / (len(c[0]) - 1))[0]
        return [t for t in best[1:] if t != end]

    assert ex.check_beam_search(beam_alive)


@pytest.mark.parametrize(("seed", "answer"), decoding.BEAM_CASES)
def test_each_beam_case_has_one_clear_answer_that_the_mistakes_miss(seed, answer):
    step_fn, vocab, start, end, max_len, width = decoding._planted_decoder(seed)
    searches = [decoding._beam(step_fn, start, end, max_len, width, slots, rank)
                for slots in ("shared", "alive") for rank in ("sum", "mean")]
    searches.append(decoding._all_hypotheses(step_fn, start, end, max_len))
    finished = [[h for h in hyps if h[0][-1:] == [end]] for hyps in searches]
    for hypotheses in searches + [f for f in finished if f]:
        best, margin = decoding._best(hypotheses, end)
        assert best == list(answer) and margin > 1e-3
    assert decoding._best(searches[0], end, normalise=False)[0] != list(answer)
    assert decoding._greedy(step_fn, start, end, max_len) not in (list(answer),
                                                            decoding._best(searches[0], end,
                                                                     normalise=False)[0])
    assert end not in answer and start not in answer and len(answer) <= max_len


def test_the_beam_check_builds_its_cases_without_searching(monkeypatch, capsys):
    seeds = []
    real = decoding._planted_decoder
    monkeypatch.setattr(decoding, "_planted_decoder", lambda seed: seeds.append(seed) or real(seed))
    assert ex.check_beam_search(beam_search)
    assert seeds == [seed for seed, _ in decoding.BEAM_CASES]
