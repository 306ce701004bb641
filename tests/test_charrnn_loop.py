"""Tests of utils.charrnn.loop: a tiny training run and its files, resume after interruption,
progress on a terminal and without one, and faults while training (a text of one symbol, out of
memory, a full disk). Tiny models (tests/helpers.py's TINY, 16 units), so that the file runs in
seconds."""

from __future__ import annotations

import errno
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from utils import charrnn, rundir
from utils.data import Vocabulary

from helpers import TINY, copy_run, interrupt_at_step, run_files, tiny_argv, tiny_cli, tiny_text


def test_tiny_run_learns_and_writes_its_files(trained):
    state = json.loads((trained / "state.json").read_text())
    history = state["history"]
    assert history[0]["reason"] == "start" and history[-1]["epoch"] == 3
    assert [r["epoch"] for r in history if r["reason"] == "epoch"] == [1, 2, 3]
    assert len({r["step"] for r in history}) == len(history)  # no step scored twice
    assert history[-1]["val_loss"] < history[0]["val_loss"] - 0.5  # it learned something
    assert math.isclose(state["best_val"], min(r["val_loss"] for r in history))
    vocab = Vocabulary.from_json((trained / "vocab.json").read_text())
    assert vocab.symbols == sorted(set(tiny_text()))
    names = {p.name for p in trained.iterdir()}
    assert {state["latest_weights"], state["latest_optimizer"], state["best_weights"]} <= names
    assert not [n for n in names if n.startswith(".tmp")]  # no half-written files left
    assert len([n for n in names if n.startswith("latest-")]) == 2  # old checkpoints removed


def test_resume_after_interruption_keeps_finished_work(tmp_path, text_file):
    out = tmp_path / "run"
    interrupt_at_step(out, text_file, step=5, epochs=2)
    saved = json.loads((out / "state.json").read_text())
    assert saved["global_step"] == 5 and saved["step_in_epoch"] == 5
    steps = []
    state = charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None,
                          on_step=lambda s: steps.append(s["global_step"]), **TINY)
    assert steps[0] == 6  # continued after the 5 saved steps
    assert state["epoch"] == 2 and state["history"][0]["reason"] == "start"
    # no step lost or repeated: as many steps as two uninterrupted epochs
    vocab = Vocabulary.from_json((out / "vocab.json").read_text())
    train_ids = vocab.encode(charrnn.split_for_validation(tiny_text(), 0.1)[0])
    per_epoch = [len(charrnn.steps.epoch_batches(train_ids, 16, 8, 0, e)[0]) // 8 for e in (0, 1)]
    assert state["global_step"] == sum(per_epoch)
    # a larger budget extends the run; the finished epochs stay in the history
    more = charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    assert more["epoch"] == 3
    assert [r["epoch"] for r in more["history"] if r["reason"] == "epoch"] == [1, 2, 3]
    # and a finished run is not trained again
    lines = []
    again = charrnn.train(out, text_file=text_file, epochs=3, log=lines.append, **TINY)
    assert again["global_step"] == more["global_step"] and "nothing to do" in lines[0]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_and_lines_otherwise(tmp_path, text_file):
    import pty

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    leader, follower = pty.openpty()  # stderr is a terminal, stdout a pipe
    proc = subprocess.Popen(tiny_cli(text_file, tmp_path / "tty", 3), stdout=subprocess.PIPE,
                            stderr=follower, text=True, env=env, stdin=subprocess.DEVNULL)
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
    assert [line.split()[:2] for line in stdout.splitlines() if line.startswith("epoch")][-3:] \
        == [["epoch", "1"], ["epoch", "2"], ["epoch", "3"]]  # one line per epoch on stdout
    assert re.search(rb"loss \d\.\d+ [\d,]+ chars/s, \d+:\d\d left", terminal)  # time left
    # without a terminal: the same lines, and no bar; and TensorFlow's start-up notices are
    # held back (here without TF_CPP_MIN_LOG_LEVEL)
    quiet_env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(tiny_cli(text_file, tmp_path / "pipe", 3), capture_output=True,
                          text=True, env=quiet_env, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "\r[" not in done.stderr
    assert len(done.stdout.splitlines()) == len(stdout.splitlines())
    for notice in ("absl", "cuInit", "oneDNN", "cpu_feature_guard", "cuda drivers"):
        assert notice not in done.stderr, done.stderr
    assert done.stdout.splitlines()[-1] == (
        f"sample it: python -m utils.charrnn sample --model {tmp_path / 'pipe'}")


def test_a_text_of_one_symbol_is_refused_before_any_directory(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=r"one character \('a'\) repeated 5,000 times"):
        charrnn.train(out, text="a" * 5000, epochs=1, **TINY)
    assert not out.exists()


def test_out_of_memory_while_training_is_a_sentence(text_file, tmp_path, monkeypatch, capsys):
    class ResourceExhaustedError(Exception):  # TensorFlow's, by name
        pass

    def exhausted(*args, **kwargs):
        raise ResourceExhaustedError("OOM when allocating tensor with shape[100000,300000]")

    monkeypatch.setattr(charrnn.loop, "train_steps", exhausted)
    assert charrnn.main(tiny_cli(text_file, tmp_path / "run", 1)[3:]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: out of memory training a model of ") and "--units" in err


def test_a_full_disk_during_a_save_is_a_sentence_and_loses_nothing(trained, text_file, tmp_path,
                                                                   monkeypatch, capsys):
    out = copy_run(trained, tmp_path)
    files = run_files(out)
    real = rundir.write_atomic

    def full_disk(path, write):
        def fail(tmp):  # what h5py does on a full disk
            Path(tmp).write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
        return real(path, fail if str(path).endswith(".weights.h5") else write)

    monkeypatch.setattr(rundir, "write_atomic", full_disk)
    assert charrnn.main(tiny_argv(text_file, out, 4)) == 2
    err = capsys.readouterr().err
    assert "No space left on device: latest-" in err and "Free some space" in err
    assert "Traceback" not in err
    assert run_files(out) == files


def test_no_terminal_and_no_stderr_draw_no_bar(monkeypatch):
    monkeypatch.setattr(sys, "stderr", None)  # `2>&-`, pythonw
    assert charrnn.loop.stderr_is_terminal() is False
