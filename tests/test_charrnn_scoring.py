"""Tests of utils.charrnn.scoring: evaluate matches the validation loss, what an unknown
character costs, and the rows that score a model without states. Tiny models (tests/helpers.py's
TINY, 16 units), so that the file runs in seconds."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from utils import charrnn
from utils.charrnn.scoring import held_out_rows, row_losses
from utils.data import Vocabulary

from helpers import tiny_text


def test_evaluate_matches_the_validation_loss(trained):
    text = tiny_text()
    train_text, val_text = charrnn.split_for_validation(text, 0.1)
    state = json.loads((trained / "state.json").read_text())
    result = charrnn.evaluate(trained, text=val_text, context=train_text[-1])
    assert result["chars"] == len(val_text) and result["unknown"] == 0
    assert math.isclose(result["nats_per_char"], state["best_val"], rel_tol=1e-5)
    assert math.isclose(result["bits_per_char"], result["nats_per_char"] / math.log(2))


def test_unknown_characters_cost_ln_v_plus_one(trained):
    vocab = Vocabulary.from_json((trained / "vocab.json").read_text())
    known = charrnn.evaluate(trained, text="the cat")
    with_unknown = charrnn.evaluate(trained, text="the cat" + "Q")
    # "Q" costs ln(V + 1); it is the last character, so it changes nothing else
    total = with_unknown["nats_per_char"] * 8 - known["nats_per_char"] * 7
    assert math.isclose(total, math.log(len(vocab) + 1), rel_tol=1e-5)


# --- Rows: the scorer of models without states to carry --------------------------------------


@pytest.mark.parametrize("n_ids, first, row, warm", [(1_000, 51, 100, 50), (1_001, 1, 100, 0),
                                                     (57, 10, 7, 9), (12, 11, 3, 2)])
def test_rows_score_every_target_once_each_after_its_context(n_ids, first, row, warm):
    pos, scored = held_out_rows(n_ids, first, row, warm)
    assert pos.shape == scored.shape and pos.shape[1] == warm + row
    assert pos.min() >= 0 and pos.max() <= n_ids - 2
    counts = np.bincount((pos + 1)[scored], minlength=n_ids)
    assert (counts[first:] == 1).all() and (counts[:first] == 0).all()
    for p, s in zip(pos, scored, strict=True):  # consecutive inputs, the context unscored
        assert not s[:warm].any()
        k = np.flatnonzero(s)
        assert (np.diff(p[: k[-1] + 1]) == 1).all()


def _peeking_logits(inputs):
    """Logits that depend on the whole row (a running mean of one-hot inputs), (rows, L, 5)."""
    one_hot = np.eye(5)[inputs]
    return np.cumsum(one_hot, axis=1) / np.arange(1, inputs.shape[1] + 1)[:, None]


def test_row_losses_score_the_rows_as_a_loop_would_and_keep_no_state():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 5, size=2_000)
    pos, scored = held_out_rows(len(ids), first=31, row=40, warm=30)
    by_loop = []
    for p, s in zip(pos, scored, strict=True):
        log_p = _peeking_logits(ids[p][None])[0]
        log_p = log_p - np.log(np.exp(log_p).sum(axis=-1, keepdims=True))
        by_loop += [-log_p[t, ids[p[t] + 1]] for t in np.flatnonzero(s)]
    for per_call in (70, 700, 100_000):  # how rows are batched changes nothing
        losses = row_losses(_peeking_logits, ids, pos, scored, chars_per_call=per_call)
        np.testing.assert_allclose(losses, by_loop, rtol=1e-12)


def test_row_losses_of_a_uniform_model_are_ln_v_and_one_prediction_per_row_works():
    ids = np.arange(300) % 7
    pos, scored = held_out_rows(len(ids), first=10, row=1, warm=9)
    losses = row_losses(lambda x: np.zeros((len(x), 7)), ids, pos, scored)
    assert losses.shape == (290,) and np.allclose(losses, math.log(7))


@pytest.mark.parametrize("args, words", [((100, 10, 0, 5), "row must be at least 1"),
                                          ((100, 5, 10, 5), "first must lie after"),
                                          ((100, 100, 10, 0), "inside the text")])
def test_bad_rows_are_named(args, words):
    with pytest.raises(ValueError, match=words):
        held_out_rows(*args)
