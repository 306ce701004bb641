"""Tests of the trainer's n-gram mixture (``--mix-ngram``): what a run records and reports, that
the weight is chosen on the held-back slice of the training part, evaluate and sample with and
without it, resuming, a damaged mix-text.txt, and bad input (utils.charrnn.mixing, through the
trainer). Tiny models (tests/helpers.py's TINY, 16 units)."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from utils import charrnn
from utils.charrnn import mixing
from utils.data import Vocabulary
from utils.mixture import fit_weight
from utils.ngram import NGramLM
from utils.rundir import RunDirError

from helpers import TINY, interrupt_at_step, train_tiny, write_text

MIX = dict(mix_ngram=2, mix_slice=0.1)


def _text() -> str:
    """Words of random letters: a bigram and the tiny network each get a share of the mixture
    after six epochs (on the phrases of tests/helpers.py's tiny_text, one model takes all of
    it)."""
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnop"))
    words = ["".join(rng.choice(letters, rng.integers(3, 7))) for _ in range(40)]
    return " ".join(words[i] for i in rng.integers(0, len(words), 700)) + ".\n"


PRIME = _text().split()[0] + " "


def _parts():
    """(train part, validation text, the models' part, the slice, the text before the slice)."""
    train_text, val_text = charrnn.split_for_validation(_text(), 0.1)
    fit_text, slice_text, before = mixing.split_for_mixture(train_text, MIX["mix_slice"])
    return train_text, val_text, fit_text, slice_text, before


@pytest.fixture(scope="module")
def text_file(tmp_path_factory) -> Path:
    """This file's text, in place of tests/helpers.py's."""
    return write_text(tmp_path_factory, _text())


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, text_file) -> Path:
    return train_tiny(tmp_path_factory, text_file, epochs=6, **MIX)


def _state(out: Path) -> dict:
    return json.loads((out / "state.json").read_text())


def test_a_mixture_run_records_the_three_losses_and_the_weight(mixed):
    train_text, _, fit_text, slice_text, before = _parts()
    assert len(slice_text) == int(len(train_text) * 0.1)
    assert before + slice_text + fit_text[len(before):] == train_text  # from the middle
    assert abs(len(before) - len(fit_text[len(before):])) <= 1
    config = json.loads((mixed / "config.json").read_text())
    assert (config["mix_ngram"], config["mix_slice"]) == (2, 0.1)
    assert (mixed / "mix-text.txt").read_text(encoding="utf-8") == train_text
    assert config["mix_text_sha256"] == charrnn.runs.sha256_text(train_text)
    state = _state(mixed)
    for record in state["history"]:
        assert {"val_loss", "ngram_loss", "mix_loss", "mix_weight"} <= set(record)
        assert 0 <= record["mix_weight"] <= 1
    # the n-gram does not change while the network trains; the weight is chosen again
    assert len({r["ngram_loss"] for r in state["history"]}) == 1
    assert len({r["mix_weight"] for r in state["history"]}) > 1
    # the best checkpoint is the network's best, as without a mixture
    assert math.isclose(state["best_val"], min(r["val_loss"] for r in state["history"]))


def test_the_network_trains_on_the_training_part_less_the_slice(mixed):
    _, _, fit_text, _, _ = _parts()
    vocab = Vocabulary.from_json((mixed / "vocab.json").read_text())
    ids = vocab.encode(fit_text)
    per_epoch = [len(charrnn.steps.epoch_batches(ids, 16, 8, 0, e)[0]) // 8 for e in range(6)]
    assert _state(mixed)["global_step"] == sum(per_epoch)


def test_the_weight_is_chosen_on_the_slice_and_evaluate_reports_all_three(mixed):
    train_text, val_text, fit_text, slice_text, before = _parts()
    state = _state(mixed)
    best = next(r for r in state["history"] if r["val_loss"] == state["best_val"])
    # by hand: the best model's and a bigram's probabilities of the slice, never the validation
    model, vocab, _ = charrnn.load_model(mixed)
    p_net = np.exp(-charrnn.char_losses(model, vocab, slice_text, context=before))
    p_count = NGramLM(MIX["mix_ngram"]).fit(fit_text).token_probs(slice_text, context=before)
    lam = fit_weight(p_net, p_count)
    assert 0 < lam < 1 and math.isclose(lam, best["mix_weight"], rel_tol=1e-6)
    result = charrnn.evaluate(mixed, text=val_text, context=train_text[-1])  # as validated
    assert math.isclose(result["mix_weight"], lam, rel_tol=1e-6)
    assert math.isclose(result["nats_per_char"], best["val_loss"], rel_tol=1e-5)
    assert math.isclose(result["ngram_nats_per_char"], best["ngram_loss"], rel_tol=1e-9)
    assert math.isclose(result["mix_nats_per_char"], best["mix_loss"], rel_tol=1e-5)
    # another text scored: the same weight (the text scored never chooses it)
    assert math.isclose(charrnn.evaluate(mixed, text=PRIME * 3)["mix_weight"], lam,
                        rel_tol=1e-9)
    alone = charrnn.evaluate(mixed, text=val_text, context=train_text[-1], mix=False)
    assert "mix_nats_per_char" not in alone and alone["nats_per_char"] == result["nats_per_char"]


def test_evaluate_and_sample_on_the_command_line(mixed, text_file, capsys):
    assert charrnn.main(["evaluate", "--model", str(mixed), "--text", str(text_file)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"bits_per_char=\S+ nats_per_char=\S+ chars=\d+ unknown=0", lines[-2])
    assert re.fullmatch(r"ngram_nats_per_char=\d\.\d{4} mix_nats_per_char=\d\.\d{4} "
                        r"mix_bits_per_char=\d\.\d{4} mix_weight=[01]\.\d{4}", lines[-1])
    assert charrnn.main(["evaluate", "--model", str(mixed), "--text", str(text_file),
                         "--no-mix"]) == 0
    assert "mix_" not in capsys.readouterr().out
    for extra, mix in (([], True), (["--no-mix"], False)):
        assert charrnn.main(["sample", "--model", str(mixed), "--prime", PRIME, "--length",
                             "30", "--seed", "1"] + extra) == 0
        shown = capsys.readouterr().out
        assert shown == PRIME + charrnn.sample(mixed, prime=PRIME, length=30,
                                               temperature=0.8, seed=1, mix=mix) + "\n"


def test_sampling_draws_from_the_mixture(mixed):
    """Greedy sampling picks the argmax of β p_net + (1 - β) p_count at each step."""
    from utils.mixture import ngram_distribution

    model, vocab, config = charrnn.load_model(mixed)
    mixture = mixing.load_mixture(charrnn.runs.RunDir(mixed), config)
    lam = charrnn.scoring.weigh_mixture(mixture, model, vocab)
    text = charrnn.sample(mixed, prime=PRIME, length=12, temperature=0)
    blank = charrnn.scoring.blank_id(vocab)
    so_far = PRIME
    for ch in text:
        ids = np.array([[blank] * 8 + list(vocab.encode(so_far))], np.int32)
        logits = model(ids).numpy()[0, -1].astype(np.float64)
        p_net = np.exp(logits - logits.max())
        p = lam * p_net / p_net.sum() + (1 - lam) * ngram_distribution(
            mixture.lm, vocab.symbols, so_far)
        assert ch == vocab.id_to_char[int(np.argmax(p))]
        so_far += ch


def test_a_mixture_run_resumes_and_refuses_other_mixture_settings(tmp_path, text_file):
    out = tmp_path / "run"
    interrupt_at_step(out, text_file, step=5, epochs=1, **MIX)
    steps = []
    state = charrnn.train(out, text_file=text_file, epochs=1, log=lambda line: None,
                          on_step=lambda s: steps.append(s["global_step"]), **TINY, **MIX)
    assert steps[0] == 6 and "mix_loss" in state["history"][-1]
    with pytest.raises(ValueError, match=r"mix_ngram: 2 there, 3 now"):
        charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None,
                      **TINY, **{**MIX, "mix_ngram": 3})
    with pytest.raises(ValueError, match=r"mix_ngram: 2 there, 0 now"):
        charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None, **TINY)


def test_a_damaged_mix_text_is_named_and_written_again(mixed, text_file, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(mixed, out)
    (out / "mix-text.txt").write_text(PRIME, encoding="utf-8")
    with pytest.raises(RunDirError, match=r"mix-text\.txt', the text the run's n-gram is fitted "
                                          r"on, is unusable: .*SHA-256.*--no-mix"):
        charrnn.evaluate(out, text=PRIME)
    assert "mix_weight" not in charrnn.evaluate(out, text=PRIME, mix=False)
    assert charrnn.main(["sample", "--model", str(out), "--length", "3"]) == 2
    assert "mix-text.txt" in capsys.readouterr().err
    assert charrnn.main(["sample", "--model", str(out), "--length", "3", "--no-mix"]) == 0
    lines = []
    charrnn.train(out, text_file=text_file, epochs=3, log=lines.append, **TINY, **MIX)
    assert any("mix-text.txt was missing or damaged: written again" in line for line in lines)
    assert "mix_weight" in charrnn.evaluate(out, text=PRIME)


def test_bad_mixture_settings_are_refused_before_anything_is_made(tmp_path, text_file,
                                                                   monkeypatch, capsys):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=r"too short for the mixture's slice: 0\.01 of the "
                                         r"training part \([\d,]+ characters\) is \d+ characters, "
                                         r"fewer than the 100"):
        charrnn.train(out, text_file=text_file, epochs=1, **TINY, mix_ngram=3, mix_slice=0.01)
    with pytest.raises(ValueError, match=r"mix_ngram must be an integer >= 0, got -1"):
        charrnn.train(out, text_file=text_file, epochs=1, **TINY, mix_ngram=-1)
    with pytest.raises(ValueError, match=r"mix_slice must be a finite number > 0 and <= 0\.5"):
        charrnn.train(out, text_file=text_file, epochs=1, **TINY, mix_ngram=3, mix_slice=0.6)
    with pytest.raises(ValueError, match=r"--mix-ngram 5000 is longer than the text"):
        charrnn.train(out, text_file=text_file, epochs=1, **TINY, mix_ngram=5000)
    with pytest.raises(TypeError, match=r"unknown setting\(s\) 'mix_order': the settings are "
                                        r"cell, .*mix_ngram"):
        charrnn.train(out, text_file=text_file, epochs=1, mix_order=3)
    monkeypatch.setattr(mixing, "DEFAULT_MAX_BYTES", 10_000)  # a machine with little memory
    argv = ["train", "--text", str(text_file), "--out", str(out), "--epochs", "1",
            "--mix-ngram", "7"]
    assert charrnn.main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(r"--mix-ngram 7: an n-gram of order 7 on [\d,]+ characters may need up to "
                     r"[\d.]+ GiB of memory, more than the limit of 0\.0 GiB\. Use a smaller "
                     r"order", err), err
    with pytest.raises(SystemExit) as exit_info:
        charrnn.main(argv[:-1] + ["-1"])
    assert exit_info.value.code == 2
    assert "must be an integer >= 0, got '-1'" in capsys.readouterr().err
    assert not out.exists()
