"""Tests of utils.charrnn.model: dropout in training only, and the size limits: a huge model
refused, from the command line or a crafted config.json. Tiny models (tests/helpers.py's TINY,
16 units), so that the file runs in seconds."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from utils import charrnn
from utils.rundir import RunDirError

from helpers import TINY, copy_run, edit_json


def test_dropout_acts_in_training_only_and_resumes(tmp_path, text_file):
    model = charrnn.build_model(12, units=16, embedding=8, dropout=0.5)
    ids = np.arange(24, dtype=np.int32).reshape(2, 12) % 12
    np.testing.assert_array_equal(model(ids), model(ids))  # inference: no dropout
    assert not np.allclose(model(ids, training=True), model(ids))
    out = tmp_path / "run"
    charrnn.train(out, text_file=text_file, epochs=1, log=lambda line: None,
                  **{**TINY, "dropout": 0.2})
    assert json.loads((out / "config.json").read_text())["dropout"] == 0.2
    with pytest.raises(ValueError, match="dropout"):
        charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None, **TINY)


@pytest.mark.parametrize("change, fault", [
    ({"units": 1_000_000}, r"the model would have [\d,]+ parameters .*limit of 100,000,000"),
    ({"layers": 100_000}, r"layers must be an integer from 1 to 32"),
    ({"embedding": 10**9}, r"limit of 100,000,000"),
])
def test_a_crafted_config_cannot_ask_for_a_huge_model(trained, tmp_path, change, fault):
    out = copy_run(trained, tmp_path)
    edit_json(out, "config.json", lambda config: config.update(change))
    with pytest.raises(RunDirError, match=r"config\.json' .*" + fault):
        charrnn.sample(out, prime="the ", length=3)


def test_a_huge_model_is_refused_before_anything_is_made(text_file, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--text", str(text_file), "--out", str(out), "--epochs", "1", "--batch",
            "8", "--seq-len", "16"]
    assert charrnn.main(argv + ["--units", "100000"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"the model would have [\d,]+ parameters \(1 GRU layer\(s\) of 100,000 "
                     r"units.*limit of 100,000,000.*use a smaller --units", err), err
    for option, value, message in (
            ("--layers", "33", "must be an integer from 1 to 32 (the trainer's limit)"),
            ("--seed", str(2**32), "must be an integer from 0 to 2**32 - 1")):
        with pytest.raises(SystemExit) as exit_info:  # refused by the option's own rule
            charrnn.main(argv + [option, value])
        assert exit_info.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(ValueError, match="layers must be an integer from 1 to 32"):
        charrnn.train(out, text_file=text_file, epochs=1, layers=33)
    assert not out.exists()
    for cell, layers in (("gru", 1), ("lstm", 2)):
        model = charrnn.build_model(11, cell, units=6, layers=layers, embedding=4)
        assert model.count_params() == charrnn.parameter_count(11, cell, 6, layers, 4)
