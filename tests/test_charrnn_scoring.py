"""Tests of utils.charrnn.scoring: evaluate matches the validation loss, and what an unknown
character costs. Tiny models (tests/helpers.py's TINY, 16 units), so that the file runs in
seconds."""

from __future__ import annotations

import json
import math

from utils import charrnn
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
