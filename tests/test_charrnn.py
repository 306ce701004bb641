"""Tests of utils.charrnn: a tiny training run, resume after interruption, bad input, the
evaluate line and sampling. Models are tiny (16 units) so that the whole file runs in seconds."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from utils import charrnn
from utils.data import Vocabulary

TINY = dict(units=16, embedding=8, seq_len=16, batch=8, eval_seconds=1000.0, lr=1e-2, dropout=0.0)


def _text() -> str:
    rng = np.random.default_rng(0)
    words = ["the cat", "a dog", "sat on", "the mat", "ran off", "and then", "quickly"]
    return " ".join(words[i] for i in rng.integers(0, len(words), 500)) + ".\n"


@pytest.fixture(scope="module")
def text_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text(_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, text_file) -> Path:
    out = tmp_path_factory.mktemp("run")
    charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    return out


def test_split_is_nanogpts():
    train, val = charrnn.split_for_validation("x" * 1_115_394, 0.1)
    assert (len(train), len(val)) == (1_003_854, 111_540)


def test_import_does_not_load_tensorflow():
    code = "import sys, utils, utils.charrnn; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tiny_run_learns_and_writes_its_files(trained):
    state = json.loads((trained / "state.json").read_text())
    history = state["history"]
    assert history[0]["reason"] == "start" and history[-1]["epoch"] == 3
    assert [r["epoch"] for r in history if r["reason"] == "epoch"] == [1, 2, 3]
    assert len({r["step"] for r in history}) == len(history)  # no step scored twice
    assert history[-1]["val_loss"] < history[0]["val_loss"] - 0.5  # it learned something
    assert math.isclose(state["best_val"], min(r["val_loss"] for r in history))
    vocab = Vocabulary.from_json((trained / "vocab.json").read_text())
    assert vocab.symbols == sorted(set(_text()))
    names = {p.name for p in trained.iterdir()}
    assert {state["latest_weights"], state["latest_optimizer"], state["best_weights"]} <= names
    assert not [n for n in names if n.startswith(".tmp")]  # no half-written files left
    assert len([n for n in names if n.startswith("latest-")]) == 2  # old checkpoints removed


def test_evaluate_matches_the_validation_loss(trained):
    text = _text()
    train_text, val_text = charrnn.split_for_validation(text, 0.1)
    state = json.loads((trained / "state.json").read_text())
    result = charrnn.evaluate(trained, text=val_text, context=train_text[-1])
    assert result["chars"] == len(val_text) and result["unknown"] == 0
    assert math.isclose(result["nats_per_char"], state["best_val"], rel_tol=1e-5)
    assert math.isclose(result["bits_per_char"], result["nats_per_char"] / math.log(2))


def test_evaluate_line_and_unknown_characters(trained, tmp_path, capsys):
    path = tmp_path / "other.txt"
    path.write_text("the cat sat on the mat. Z\u00e9!", encoding="utf-8")
    assert charrnn.main(["evaluate", "--model", str(trained), "--text", str(path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    match = re.fullmatch(
        r"bits_per_char=(\d+\.\d+) nats_per_char=(\d+\.\d+) chars=(\d+) unknown=(\d+)", last
    )
    assert match, last
    bits, nats, chars, unknown = match.groups()
    assert int(chars) == len(path.read_text(encoding="utf-8"))
    assert int(unknown) == 3  # Z, é and ! are not in the tiny vocabulary
    assert math.isfinite(float(bits)) and float(bits) > 0
    assert math.isclose(float(bits), float(nats) / math.log(2), abs_tol=2e-4)


def test_unknown_characters_cost_ln_v_plus_one(trained):
    vocab = Vocabulary.from_json((trained / "vocab.json").read_text())
    known = charrnn.evaluate(trained, text="the cat")
    with_unknown = charrnn.evaluate(trained, text="the cat" + "Q")
    # "Q" costs ln(V + 1); it is the last character, so it changes nothing else
    total = with_unknown["nats_per_char"] * 8 - known["nats_per_char"] * 7
    assert math.isclose(total, math.log(len(vocab) + 1), rel_tol=1e-5)


def test_sample_is_deterministic_with_a_seed(trained):
    a = charrnn.sample(trained, prime="the ", length=40, temperature=1.0, seed=3)
    b = charrnn.sample(trained, prime="the ", length=40, temperature=1.0, seed=3)
    assert a == b and len(a) == 40
    assert set(a) <= set(_text())
    greedy = charrnn.sample(trained, prime="the ", length=20, temperature=0)
    assert greedy == charrnn.sample(trained, prime="the ", length=20, temperature=0, seed=9)


def test_unknown_prime_characters_are_named(trained, capsys):
    with pytest.raises(ValueError, match=r"'QZ'"):
        charrnn.sample(trained, prime="the QZ", length=5)
    code = charrnn.main(["sample", "--model", str(trained), "--prime", "Xthe", "--length", "3"])
    assert code == 2 and "'X'" in capsys.readouterr().err


def test_resume_after_interruption_keeps_finished_work(tmp_path, text_file):
    out = tmp_path / "run"

    def stop_at_step_5(state):
        if state["global_step"] == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None,
                      on_step=stop_at_step_5, **TINY)
    saved = json.loads((out / "state.json").read_text())
    assert saved["global_step"] == 5 and saved["step_in_epoch"] == 5
    steps = []
    state = charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None,
                          on_step=lambda s: steps.append(s["global_step"]), **TINY)
    assert steps[0] == 6  # continued after the 5 saved steps
    assert state["epoch"] == 2 and state["history"][0]["reason"] == "start"
    # no step lost or repeated: as many steps as two uninterrupted epochs
    vocab = Vocabulary.from_json((out / "vocab.json").read_text())
    train_ids = vocab.encode(charrnn.split_for_validation(_text(), 0.1)[0])
    per_epoch = [len(charrnn._epoch_batches(train_ids, 16, 8, 0, e)[0]) // 8 for e in (0, 1)]
    assert state["global_step"] == sum(per_epoch)
    # a larger budget extends the run; the finished epochs stay in the history
    more = charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    assert more["epoch"] == 3
    assert [r["epoch"] for r in more["history"] if r["reason"] == "epoch"] == [1, 2, 3]
    # and a finished run is not trained again
    lines = []
    again = charrnn.train(out, text_file=text_file, epochs=3, log=lines.append, **TINY)
    assert again["global_step"] == more["global_step"] and "nothing to do" in lines[0]


def test_resume_refuses_other_settings(trained, text_file, tmp_path):
    with pytest.raises(ValueError, match="units"):
        charrnn.train(trained, text_file=text_file, epochs=3, log=lambda line: None,
                      **{**TINY, "units": 32})
    other = tmp_path / "other.txt"
    other.write_text(_text().upper(), encoding="utf-8")
    with pytest.raises(ValueError, match="the text"):
        charrnn.train(trained, text_file=other, epochs=3, log=lambda line: None, **TINY)


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


def test_runs_saved_before_dropout_existed_still_resume(tmp_path, text_file):
    out = tmp_path / "run"
    charrnn.train(out, text_file=text_file, epochs=1, log=lambda line: None, **TINY)
    config = json.loads((out / "config.json").read_text())
    del config["dropout"]  # as written by the first version of the trainer
    (out / "config.json").write_text(json.dumps(config))
    state = charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None, **TINY)
    assert state["epoch"] == 2
    assert charrnn.sample(out, prime="the ", length=5, temperature=0)


def test_bad_input(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        charrnn.train(tmp_path / "out", text_file=tmp_path / "missing.txt", epochs=1)
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        charrnn.train(tmp_path / "out", text_file=empty, epochs=1)
    short = tmp_path / "short.txt"
    short.write_text("hello world", encoding="utf-8")
    with pytest.raises(ValueError, match="shorter than one batch"):
        charrnn.train(tmp_path / "out", text_file=short, epochs=1)
    with pytest.raises(ValueError, match="cell"):
        charrnn.train(tmp_path / "out", text=_text(), epochs=1, cell="rnn")
    with pytest.raises(ValueError, match="budget"):
        charrnn.train(tmp_path / "out", text=_text())
    with pytest.raises(ValueError, match="dropout"):
        charrnn.train(tmp_path / "out", text=_text(), epochs=1, dropout=1.0)
    with pytest.raises(FileNotFoundError, match="no trained model"):
        charrnn.sample(tmp_path, prime="a", length=3)
    assert charrnn.main(["evaluate", "--model", str(tmp_path), "--text", str(empty)]) == 2
    for argv in (["train", "--text", "x", "--out", "y", "--units", "-3"],
                 ["train", "--text", "x", "--out", "y", "--val-fraction", "1.5"],
                 ["train", "--text", "x", "--out", "y", "--dropout", "-0.1"],
                 ["train", "--text", "x", "--out", "y", "--cell", "rnn"],
                 ["sample", "--model", "m", "--temperature", "nan"]):
        with pytest.raises(SystemExit) as exit_info:
            charrnn.main(argv)
        assert exit_info.value.code == 2
    assert "must be > 0" in capsys.readouterr().err


def _tiny_cli(text_file, out, epochs: int) -> list[str]:
    return [sys.executable, "-m", "utils.charrnn", "train", "--text", str(text_file),
            "--out", str(out), "--epochs", str(epochs), "--units", "16", "--embedding", "8",
            "--seq-len", "16", "--batch", "8", "--eval-seconds", "1000", "--dropout", "0"]


def test_kill_from_the_command_line_saves_and_resumes(tmp_path, text_file):
    out = tmp_path / "run"
    cmd = _tiny_cli(text_file, out, 40)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    lines = []
    for line in proc.stdout:  # wait until two epochs are finished, then kill it
        lines.append(line)
        if line.startswith("epoch 2 "):
            break
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130, lines
    state = json.loads((out / "state.json").read_text())
    assert state["epoch"] >= 2
    # the same command resumes (here with a budget that is already reached: nothing to do)
    done = subprocess.run(_tiny_cli(text_file, out, state["epoch"]), capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0 and "nothing to do" in done.stdout



@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_and_lines_otherwise(tmp_path, text_file):
    import pty

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    leader, follower = pty.openpty()  # stderr is a terminal, stdout a pipe
    proc = subprocess.Popen(_tiny_cli(text_file, tmp_path / "tty", 3), stdout=subprocess.PIPE,
                            stderr=follower, text=True, env=env)
    os.close(follower)
    terminal = b""
    while True:  # read until the child closes the terminal
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        terminal += chunk
    os.close(leader)
    stdout = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0
    assert re.search(rb"\r\[#*\.*\] +\d+\.\d% epoch \d step \d+ loss", terminal), terminal[-300:]
    assert b"\r\x1b[K" in terminal  # the bar is cleared before each validation line
    assert [line.split()[:2] for line in stdout.splitlines()][-3:] == [
        ["epoch", "1"], ["epoch", "2"], ["epoch", "3"]]  # one line per epoch on stdout
    # without a terminal: the same lines, and no bar
    done = subprocess.run(_tiny_cli(text_file, tmp_path / "pipe", 3), capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0 and "\r[" not in done.stderr
    assert len(done.stdout.splitlines()) == len(stdout.splitlines())
