"""Tests of utils.exercises: each check passes the reference, waits for the stub, and names the
typical mistakes.

For every check: the course's solution passes (and prints the pass line), the stub (raising
NotImplementedError) returns False with the "not done yet" line, and at least two typical wrong
solutions fail with an AssertionError whose message carries the hint meant for them.
"""

import math
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from utils import exercises as ex
from utils.exercises import ch03_ngrams, ch06_bptt, harness
from utils.exercises import ch11_encoder_decoder as decoding
from utils.exercises import ch13_char_rnn as sampling
from utils.numpy_rnn import sigmoid, simple_rnn_backward, simple_rnn_forward, softmax

# --- reference solutions, as a learner would write them ------------------------------------------


def sliding_windows(sequence, width):
    return np.stack([sequence[i:i + width] for i in range(len(sequence) - width + 1)])


def unigram_log_prob(sentence_words, counts):
    n = sum(counts.values())
    if any(w not in counts for w in sentence_words):
        return -math.inf
    return sum(math.log(counts[w] / n) for w in sentence_words)


def add_k(word, context, counts, vocab_size, k):
    return (counts.get(context + (word,), 0) + k) / (counts.get(context, 0) + k * vocab_size)


def kneser_ney_bigram(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    followers = sum(1 for (a, _) in bigram_counts if a == prev)
    preceders = sum(1 for (_, b) in bigram_counts if b == word)
    p_cont = preceders / len(bigram_counts)
    first = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return first + discount * followers / c_prev * p_cont


def leaky_context(x, lam):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = lam * h + x_t
    return h


def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def rnn_backward(x, h0, kernel, recurrent_kernel, bias, dh):
    _, cache = simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)
    g = simple_rnn_backward(dh, cache)
    return g["kernel"], g["recurrent_kernel"], g["bias"], g["h0"]


def clip_by_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    if norm <= max_norm:
        return grads
    return [g * max_norm / norm for g in grads]


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t


def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    u_z, u_r, u_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    return z * h_prev + (1 - z) * np.tanh(x_h + r * u_h)


def bidirectional_concat(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed[:, ::-1]], axis=-1)


def greedy_decode(step_fn, start, end, max_len):
    prefix = [start]
    for _ in range(max_len):
        token = int(np.argmax(step_fn(prefix)))
        if token == end:
            break
        prefix.append(token)
    return prefix[1:]


def beam_search(step_fn, start, end, max_len, beam_width):
    beam, finished = [([start], 0.0)], []
    for _ in range(max_len):
        candidates = [(p + [t], s + lp) for p, s in beam for t, lp in enumerate(step_fn(p))]
        candidates.sort(key=lambda c: c[1], reverse=True)
        beam = []
        for p, s in candidates[:beam_width]:
            (finished if p[-1] == end else beam).append((p, s))
        if not beam:
            break
    best = max(finished + beam, key=lambda c: c[1] / (len(c[0]) - 1))[0]
    return [t for t in best[1:] if t != end]


def ctc_collapse(path, blank):
    merged = [t for i, t in enumerate(path) if i == 0 or t != path[i - 1]]
    return [t for t in merged if t != blank]


def sample_with_temperature(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=softmax(logits / temperature)))


# --- typical wrong solutions, each with a word its hint must contain ----------------------------


def _windows_short(sequence, width):
    return np.stack([sequence[i:i + width] for i in range(len(sequence) - width)])


def _windows_late(sequence, width):
    return np.stack([sequence[i + 1:i + 1 + width] for i in range(len(sequence) - width)])


def _windows_transposed(sequence, width):
    return sliding_windows(sequence, width).T


def _unigram_log2(sentence_words, counts):
    n = sum(counts.values())
    if any(w not in counts for w in sentence_words):
        return -math.inf
    return sum(math.log2(counts[w] / n) for w in sentence_words)


def _unigram_minus(sentence_words, counts):
    return -unigram_log_prob(sentence_words, counts)


def _unigram_keyerror(sentence_words, counts):
    n = sum(counts.values())
    return sum(math.log(counts[w] / n) for w in sentence_words)


def _unigram_distinct(sentence_words, counts):
    if any(w not in counts for w in sentence_words):
        return -math.inf
    return sum(math.log(counts[w] / len(counts)) for w in sentence_words)


def _add_k_no_kv(word, context, counts, vocab_size, k):
    return (counts.get(context + (word,), 0) + k) / (counts.get(context, 0) + k)


def _add_k_keyerror(word, context, counts, vocab_size, k):
    return (counts[context + (word,)] + k) / (counts[context] + k * vocab_size)


def _add_k_one(word, context, counts, vocab_size, k):
    return add_k(word, context, counts, vocab_size, 1)


def _kn_raw_unigram(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    followers = sum(1 for (a, _) in bigram_counts if a == prev)
    p_uni = sum(c for (_, b), c in bigram_counts.items() if b == word) / sum(
        bigram_counts.values())
    first = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return first + discount * followers / c_prev * p_uni


def _kn_no_discount(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    return kneser_ney_bigram(word, prev, bigram_counts, discount) + (
        min(bigram_counts.get((prev, word), 0), discount) / c_prev)


def _kn_no_max(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    c = bigram_counts.get((prev, word), 0)
    return kneser_ney_bigram(word, prev, bigram_counts, discount) + (
        (c - discount) - max(c - discount, 0)) / c_prev


def _leaky_all_states(x, lam):
    h, states = np.zeros(x.shape[1]), []
    for x_t in x:
        h = lam * h + x_t
        states.append(h)
    return np.stack(states)


def _leaky_lam_on_input(x, lam):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = h + lam * x_t
    return h


def _leaky_one_minus(x, lam):
    h = np.zeros(x.shape[1])
    for x_t in x:
        h = lam * h + (1 - lam) * x_t
    return h


def _rnn_transposed(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)


def _rnn_sigmoid(x_t, h_prev, kernel, recurrent_kernel, bias):
    return sigmoid(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def _rnn_no_bias(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)


def _rnn_returns_none(x_t, h_prev, kernel, recurrent_kernel, bias):
    np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def _bptt(x, h0, kernel, recurrent_kernel, bias, dh, mistake=None):
    """A hand-written BPTT with one optional typical mistake."""
    h, _ = simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)
    dk, dr, db = np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        dh_t = dh[:, t] if mistake == "no recurrent path" else dh[:, t] + dh_next
        da = dh_t if mistake == "no tanh'" else dh_t * (1 - h[:, t] ** 2)
        dk += x[:, t].T @ da
        dr += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ (recurrent_kernel if mistake == "no transpose" else recurrent_kernel.T)
    return dk, dr, db, dh_next


def _clip_per_tensor(grads, max_norm):
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]


def _clip_always(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * max_norm / norm for g in grads]


def _clip_by_value(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def _lstm_order_ifoc(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_o, z_c = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t


def _lstm_no_tanh(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * c_t, c_t


def _lstm_candidate_sigmoid(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_f) * c_prev + sigmoid(z_i) * sigmoid(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t


def _lstm_swapped_output(*args):
    h_t, c_t = lstm_step(*args)
    return c_t, h_t


def _gru_z_swapped(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    u_z, u_r, u_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    return (1 - z) * h_prev + z * np.tanh(x_h + r * u_h)


def _gru_reset_before(x_t, h_prev, kernel, recurrent_kernel, bias):
    units = h_prev.shape[1]
    b = bias[0] + bias[1]
    x_z, x_r, x_h = np.split(x_t @ kernel + b, 3, axis=-1)
    u = recurrent_kernel
    z = sigmoid(x_z + h_prev @ u[:, :units])
    r = sigmoid(x_r + h_prev @ u[:, units:2 * units])
    return z * h_prev + (1 - z) * np.tanh(x_h + (r * h_prev) @ u[:, 2 * units:])


def _gru_bias_row_0(x_t, h_prev, kernel, recurrent_kernel, bias):
    return gru_step(x_t, h_prev, kernel, recurrent_kernel, np.stack([bias[0], 0 * bias[1]]))


def _bi_not_reversed(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed], axis=-1)


def _bi_time_axis(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed[:, ::-1]], axis=1)


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


def _beam_unnormalised(step_fn, start, end, max_len, beam_width):
    beam, finished = [([start], 0.0)], []
    for _ in range(max_len):
        candidates = [(p + [t], s + lp) for p, s in beam for t, lp in enumerate(step_fn(p))]
        candidates.sort(key=lambda c: c[1], reverse=True)
        beam = []
        for p, s in candidates[:beam_width]:
            (finished if p[-1] == end else beam).append((p, s))
        if not beam:
            break
    best = max(finished + beam, key=lambda c: c[1])[0]
    return [t for t in best[1:] if t != end]


def _beam_end_not_counted(step_fn, start, end, max_len, beam_width):
    beam, finished = [([start], 0.0)], []
    for _ in range(max_len):
        candidates = [(p + [t], s + lp) for p, s in beam for t, lp in enumerate(step_fn(p))]
        candidates.sort(key=lambda c: c[1], reverse=True)
        beam = []
        for p, s in candidates[:beam_width]:
            (finished if p[-1] == end else beam).append((p, s))
        if not beam:
            break
    best = max(finished + beam, key=lambda c: c[1] / max(1, len(c[0]) - 1 - (c[0][-1] == end)))
    return [t for t in best[0][1:] if t != end]


def _beam_greedy(step_fn, start, end, max_len, beam_width):
    return greedy_decode(step_fn, start, end, max_len)


def _beam_with_end(step_fn, start, end, max_len, beam_width):
    best = beam_search(step_fn, start, end, max_len, beam_width)
    return best + [end] if len(best) < max_len else best


def _ctc_blanks_first(path, blank):
    no_blanks = [t for t in path if t != blank]
    return [t for i, t in enumerate(no_blanks) if i == 0 or t != no_blanks[i - 1]]


def _ctc_blank_zero(path, blank):
    return ctc_collapse(path, 0)


def _ctc_unique(path, blank):
    return list(dict.fromkeys(t for t in path if t != blank))


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


def _unigram_skips_unseen(sentence_words, counts):
    n = sum(counts.values())
    return sum(math.log(counts[w] / n) for w in sentence_words if w in counts)


def _add_k_unigram_numerator(word, context, counts, vocab_size, k):
    return (counts.get((word,), 0) + k) / (counts.get(context, 0) + k * vocab_size)


def _kn_weight_without_followers(word, prev, bigram_counts, discount):
    c_prev = sum(c for (a, _), c in bigram_counts.items() if a == prev)
    p_cont = sum(1 for (_, b) in bigram_counts if b == word) / len(bigram_counts)
    first = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return first + discount / c_prev * p_cont


def _leaky_oldest_first(x, lam):
    return leaky_context(x[::-1], lam)


def _rnn_no_tanh(x_t, h_prev, kernel, recurrent_kernel, bias):
    return x_t @ kernel + h_prev @ recurrent_kernel + bias


def _bptt_no_recurrent_path(*args):
    return _bptt(*args, mistake="no recurrent path")


def _bptt_no_tanh_derivative(*args):
    return _bptt(*args, mistake="no tanh'")


def _bptt_no_transpose(*args):
    return _bptt(*args, mistake="no transpose")


def _bptt_mean_over_batch(x, *args):
    return tuple(g / len(x) for g in rnn_backward(x, *args))


def _bptt_returns_dict(x, h0, kernel, recurrent_kernel, bias, dh):
    return simple_rnn_backward(dh, simple_rnn_forward(x, kernel, recurrent_kernel, bias, h0)[1])


def _clip_without_max_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g / norm for g in grads] if norm > max_norm else grads


def _lstm_gates_swapped(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c_t = sigmoid(z_i) * c_prev + sigmoid(z_f) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c_t), c_t


def _gru_order_rz(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_r, x_z, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    u_r, u_z, u_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
    return z * h_prev + (1 - z) * np.tanh(x_h + r * u_h)


def _bi_batch_flipped(forward, backward_reversed):
    return np.concatenate([forward, backward_reversed[::-1]], axis=-1)


def _bi_backward_first(forward, backward_reversed):
    return np.concatenate([backward_reversed[:, ::-1], forward], axis=-1)


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


def _ctc_no_merge(path, blank):
    return [t for t in path if t != blank]


def _ctc_first_symbol(path, blank):
    return [t for i, t in enumerate(path) if t != path[i - 1] and t != blank]


def _sample_uniform(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.integers(len(logits)))


def _sample_always_argmax(logits, temperature, rng):
    return int(np.argmax(logits))


def _sample_returns_array(logits, temperature, rng):
    return rng.choice(len(logits), size=1, p=softmax(logits / max(temperature, 1e-9)))


CHECKS = {  # check: (reference, [(wrong solution, word of its hint), ...])
    "check_sliding_windows": (sliding_windows, [
        (_windows_short, "off by one"), (_windows_transposed, "transpose"),
        (_windows_late, "one step late")]),
    "check_unigram_log_prob": (unigram_log_prob, [
        (_unigram_log2, "log2"), (_unigram_minus, "sign"), (_unigram_keyerror, "-math.inf"),
        (_unigram_distinct, "distinct"), (_unigram_skips_unseen, "skipped")]),
    "check_add_k": (add_k, [
        (_add_k_no_kv, "k * V"), (_add_k_keyerror, "counts.get"), (_add_k_one, "add-one"),
        (_add_k_unigram_numerator, "whole n-gram")]),
    "check_kneser_ney_bigram": (kneser_ney_bigram, [
        (_kn_raw_unigram, "continuation"), (_kn_no_discount, "subtract the discount"),
        (_kn_no_max, "clip"), (_kn_weight_without_followers, "distinct words that follow")]),
    "check_leaky_context": (leaky_context, [
        (_leaky_all_states, "last state"), (_leaky_lam_on_input, "previous state"),
        (_leaky_one_minus, "1 - lam"), (_leaky_oldest_first, "oldest")]),
    "check_rnn_step": (rnn_step, [
        (_rnn_transposed, "without .T"), (_rnn_sigmoid, "sigmoid where tanh"),
        (_rnn_no_bias, "bias is missing"), (_rnn_returns_none, "return statement"),
        (_rnn_no_tanh, "activation is missing")]),
    "check_rnn_backward": (rnn_backward, [
        (_bptt_no_recurrent_path, "recurrent weights"), (_bptt_no_tanh_derivative, "1 - h_t**2"),
        (_bptt_no_transpose, "recurrent_kernel.T"), (_bptt_mean_over_batch, "sum over the batch"),
        (_bptt_returns_dict, "tuple of 4")]),
    "check_clip_by_norm": (clip_by_norm, [
        (_clip_per_tensor, "GLOBAL"), (_clip_always, "scaled them up"),
        (_clip_by_value, "not by value"), (_clip_without_max_norm, "multiply by max_norm")]),
    "check_lstm_step": (lstm_step, [
        (_lstm_order_ifoc, "gate order"), (_lstm_no_tanh, "tanh of the cell"),
        (_lstm_candidate_sigmoid, "sigmoid where tanh"), (_lstm_swapped_output, "swapped"),
        (_lstm_gates_swapped, "forget gate multiplies")]),
    "check_gru_step": (gru_step, [
        (_gru_z_swapped, "roles of z"), (_gru_reset_before, "reset_after=True"),
        (_gru_bias_row_0, "two rows"), (_gru_order_rz, "swapped z and r")]),
    "check_bidirectional_concat": (bidirectional_concat, [
        (_bi_not_reversed, "flip it along time"), (_bi_time_axis, "last axis"),
        (_bi_batch_flipped, "not axis 0"), (_bi_backward_first, "forward first")]),
    "check_greedy_decode": (greedy_decode, [
        (_greedy_with_start, "start token"), (_greedy_with_end, "do not append"),
        (_greedy_empty_prefix, "starts with the start token"), (_greedy_argmin, "argmax"),
        (_greedy_never_stops, "as soon as"), (_greedy_one_short, "at most max_len")]),
    "check_beam_search": (beam_search, [
        (_beam_unnormalised, "length"), (_beam_greedy, "greedy"),
        (_beam_with_end, "end token"), (_beam_end_not_counted, "count the end token")]),
    "check_ctc_collapse": (ctc_collapse, [
        (_ctc_blanks_first, "merge the repeats first"), (_ctc_blank_zero, "not 0"),
        (_ctc_unique, "neighbouring"), (_ctc_no_merge, "merge runs"),
        (_ctc_first_symbol, "no predecessor")]),
    "check_sample_with_temperature": (sample_with_temperature, [
        (_sample_times_t, "multiplied"), (_sample_no_softmax, "softmax"),
        (_sample_no_temperature, "temperature is missing"),
        (_sample_zero_divides, "argmax"), (_sample_global_rng, "rng you are given"),
        (_sample_uniform, "ignore the logits"), (_sample_always_argmax, "always return the argmax"),
        (_sample_returns_array, "one int")]),
}

WRONG = [(name, wrong, word) for name, (_, wrongs) in CHECKS.items() for wrong, word in wrongs]


def test_every_check_is_tested():
    # chapters 14 and 15 have their checks' tests in tests/test_exercises_ch14.py and
    # tests/test_exercises_min_rnn.py
    assert set(CHECKS) == set(ex.__all__) - {"check_mixture_weight",
                                               "check_log_space_recurrence"}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_reference_passes(name, capsys):
    reference = CHECKS[name][0]
    assert getattr(ex, name)(reference)
    assert capsys.readouterr().out == "correct: 5 of 5 cases\n"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_stub_is_not_done_yet(name, capsys):
    def my_function(*args):
        raise NotImplementedError  # your code here

    assert not getattr(ex, name)(my_function)
    assert capsys.readouterr().out == "not done yet: write my_function and run this cell again\n"


@pytest.mark.parametrize(("name", "wrong", "word"), WRONG,
                         ids=[f"{n}-{w.__name__}" for n, w, _ in WRONG])
def test_typical_mistake_gets_its_hint(name, wrong, word):
    with pytest.raises(AssertionError) as failure:
        getattr(ex, name)(wrong)
    message = " ".join(str(failure.value).split())  # the message is wrapped at 78 characters
    assert name in message and "case" in message
    assert word in message, message
    assert max(len(line) for line in str(failure.value).splitlines()) <= 78


def test_message_names_case_shapes_expected_and_received():
    with pytest.raises(AssertionError) as failure:
        ex.check_rnn_step(_rnn_sigmoid)
    message = " ".join(str(failure.value).split())
    assert "case 1 of 5 (x_t (2, 3), h_prev (2, 4)" in message
    assert "expected:" in message and "received:" in message
    assert "likely cause: sigmoid where tanh belongs" in message


def test_an_exception_is_reported_with_its_case():
    def broken(x_t, h_prev, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel.T + h_prev @ recurrent_kernel + bias)

    with pytest.raises(AssertionError) as failure:
        ex.check_rnn_step(broken)
    message = " ".join(str(failure.value).split())
    assert "case 1 of 5 (x_t (2, 3)" in message and "your function raised ValueError" in message
    assert "needs no transpose" in message


def test_nan_is_reported():
    with pytest.raises(AssertionError, match="NaN or inf"), np.errstate(divide="ignore"):
        ex.check_rnn_step(lambda x_t, h_prev, *w: rnn_step(x_t, h_prev, *w) / 0.0)


def test_a_wrong_answer_without_a_known_cause_still_fails():
    with pytest.raises(AssertionError, match="wrong values") as failure:
        ex.check_leaky_context(lambda x, lam: leaky_context(x, lam) + 0.01)
    assert "likely cause" not in str(failure.value)


def test_a_non_callable_is_refused():
    with pytest.raises(TypeError, match="pass your function itself"):
        ex.check_rnn_step(np.zeros(3))


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


def test_other_correct_samplers_pass(capsys):
    """Inverse-CDF and Gumbel-max sampling draw other tokens but the same distribution."""
    for sampler in _correct_samplers()[1:]:
        assert ex.check_sample_with_temperature(sampler)


def test_float32_arithmetic_passes(capsys):
    def rnn_step_float32(x_t, h_prev, kernel, recurrent_kernel, bias):
        args = (a.astype(np.float32) for a in (x_t, h_prev, kernel, recurrent_kernel, bias))
        return rnn_step(*args)

    assert ex.check_rnn_step(rnn_step_float32)


def test_other_correct_windows_pass(capsys):
    view = np.lib.stride_tricks.sliding_window_view
    assert ex.check_sliding_windows(lambda seq, width: view(seq, width))


def test_analytic_bptt_agrees_with_the_finite_differences_of_the_check():
    rng = np.random.default_rng(0)
    x, h0, dh = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3, 3))
    params = [rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=3), h0]
    numeric = ch06_bptt._finite_difference_gradients(x, dh, params)
    analytic = rnn_backward(x, h0, params[0], params[1], params[2], dh)
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-8)


def test_kneser_ney_reference_sums_to_one():
    tokens = "a b a c b a a c c b a b".split()
    counts = dict(Counter(zip(tokens[:-1], tokens[1:], strict=True)))
    total = sum(ch03_ngrams._kneser_ney_bigram(w, "a", counts, 0.75) for w in "abc")
    assert total == pytest.approx(1.0)


def test_importing_exercises_does_not_import_tensorflow():
    code = ("import sys, utils.exercises; "
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_verdict_is_truthy_and_shows_nothing_in_jupyter():
    assert ex.Verdict(True) and not ex.Verdict(False)
    assert ex.Verdict(True)._ipython_display_() is None


# --- answers that NumPy could turn into numbers but are not numbers ------------------------------

ARRAY_CHECKS = {  # check: (reference, how its answer is made of arrays: "one" or "each")
    "check_sliding_windows": (sliding_windows, "one"),
    "check_leaky_context": (leaky_context, "one"),
    "check_rnn_step": (rnn_step, "one"),
    "check_rnn_backward": (rnn_backward, "each"),
    "check_clip_by_norm": (clip_by_norm, "each"),
    "check_lstm_step": (lstm_step, "each"),
    "check_gru_step": (gru_step, "one"),
    "check_bidirectional_concat": (bidirectional_concat, "one"),
}
NOT_REAL = {  # how a right answer is spoiled: (spoil, word of the message)
    "strings": (lambda a: np.asarray(a).astype(str), "strings"),
    "complex": (lambda a: np.asarray(a).astype(complex), "complex"),
    "fully masked": (lambda a: np.ma.masked_all(np.shape(a)), "masked array"),
    "masked, no entry masked": (lambda a: np.ma.masked_array(a, mask=False), "masked array"),
    "booleans": (lambda a: np.asarray(a) > 0, "booleans"),
    "object array of strings": (lambda a: np.asarray(a).astype(str).astype(object), "numbers"),
}


@pytest.mark.parametrize("spoil", sorted(NOT_REAL))
@pytest.mark.parametrize("name", sorted(ARRAY_CHECKS))
def test_an_answer_that_is_not_real_numbers_is_refused(name, spoil):
    reference, layout = ARRAY_CHECKS[name]
    change, word = NOT_REAL[spoil]

    def spoiled(*args):
        answer = reference(*args)
        return change(answer) if layout == "one" else type(answer)(change(a) for a in answer)

    with pytest.raises(AssertionError) as failure:
        getattr(ex, name)(spoiled)
    message = " ".join(str(failure.value).split())
    assert word in message and "case 1 of 5" in message, message
    assert max(len(line) for line in str(failure.value).splitlines()) <= 78


def test_numbers_of_other_kinds_still_pass(capsys):
    assert ex.check_rnn_step(lambda *a: rnn_step(*a).tolist())  # nested lists of floats
    assert ex.check_rnn_step(lambda *a: rnn_step(*a).astype(object))  # objects that are floats
    assert ex.check_bidirectional_concat(
        lambda f, b: bidirectional_concat(f, b).astype(np.longdouble))
    case = harness._Case("check_x", 1, 5)
    ints = harness._real_array(case, "counts", np.arange(6, dtype=np.uint8).reshape(2, 3), (2, 3))
    assert ints.dtype == float and ints.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_masked_or_text_tokens_are_refused():
    with pytest.raises(AssertionError, match="masked array"):
        ex.check_ctc_collapse(lambda path, blank: np.ma.masked_array(ctc_collapse(path, blank),
                                                                     dtype=int))
    with pytest.raises(AssertionError, match="list of ints"):
        ex.check_ctc_collapse(lambda path, blank: np.array(ctc_collapse(path, blank), dtype=str))
    with pytest.raises(AssertionError, match="list of ints"):
        ex.check_greedy_decode(lambda *a: np.array(greedy_decode(*a), dtype=float))


def test_a_masked_or_text_number_is_refused():
    with pytest.raises(AssertionError, match="masked array"):
        ex.check_unigram_log_prob(lambda *a: np.ma.masked_array(unigram_log_prob(*a), mask=True))
    with pytest.raises(AssertionError, match="one number"):
        ex.check_unigram_log_prob(lambda *a: str(unigram_log_prob(*a)))
    with pytest.raises(AssertionError, match="one number"):
        ex.check_add_k(lambda *a: complex(add_k(*a)))


# --- the sampler check: few calls, a bound that holds, and a word when it is slow ----------------


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


# --- the beam-search problems are data, with the properties they were chosen for ----------------


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


# --- the package: a harness that knows no chapter, one module per chapter ------------------------


def test_the_harness_knows_no_chapter():
    from pathlib import Path

    source = Path(harness.__file__).read_text(encoding="utf-8")
    assert "utils.exercises.ch" not in source and "_StepFnMisuse" not in source
    assert not [name for name in vars(harness) if name.startswith("check_")]


def test_every_check_lives_in_its_chapters_module_and_is_exported():
    import importlib
    import pkgutil

    chapters = [m.name for m in pkgutil.iter_modules(ex.__path__) if m.name.startswith("ch")]
    assert len(chapters) >= 13
    for name in chapters:
        module = importlib.import_module(f"utils.exercises.{name}")
        for check in module.__all__:
            assert getattr(ex, check) is getattr(module, check) and check in ex.__all__


def test_every_import_of_the_chapters_works():
    import json
    import re
    from pathlib import Path

    chapters = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))
    lines = {line for path in chapters for cell in json.loads(path.read_text())["cells"]
             for line in "".join(cell["source"]).splitlines()
             if re.match(r"\s*from utils\.exercises import", line)}
    assert lines
    for line in lines:
        exec(line.strip(), {})
