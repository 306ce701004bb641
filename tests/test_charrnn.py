"""Tests of utils.charrnn: a tiny training run, resume after interruption, bad input, the
evaluate line and sampling. Models are tiny (16 units) so that the whole file runs in seconds."""

from __future__ import annotations

import builtins
import errno
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from utils import charrnn, rundir
from utils.data import Vocabulary
from utils.rundir import RunDirError, RunDirWarning

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
    # a temperature too small for float64 (logits / T overflows) is greedy, not NaN
    assert greedy == charrnn.sample(trained, prime="the ", length=20, temperature=1e-320)


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


def test_resume_refuses_other_settings(trained, text_file, tmp_path):
    with pytest.raises(ValueError, match="units"):
        charrnn.train(trained, text_file=text_file, epochs=3, log=lambda line: None,
                      **{**TINY, "units": 32})
    other = tmp_path / "other.txt"
    other.write_text(_text().upper(), encoding="utf-8")
    with pytest.raises(ValueError, match="another text"):
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
    for key in ("dropout", "mix_ngram", "mix_slice"):  # as the first version of the trainer
        del config[key]
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"dropout: 0\.0 \(not recorded in config\.json: the "
                                         r"value of runs made before dropout existed\) there, "
                                         r"0\.2 now"):
        charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None,
                      **{**TINY, "dropout": 0.2})
    state = charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None, **TINY)
    assert state["epoch"] == 2
    assert charrnn.sample(out, prime="the ", length=5, temperature=0)


def test_bad_input(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="file not found"):
        charrnn.train(tmp_path / "out", text_file=tmp_path / "missing.txt", epochs=1)
    with pytest.raises(ValueError, match="is a folder, not a text file"):
        charrnn.train(tmp_path / "out", text_file=tmp_path, epochs=1)
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
    assert "must be an integer >= 1, got '-3'" in capsys.readouterr().err


def _tiny_cli(text_file, out, epochs: int) -> list[str]:
    return [sys.executable, "-m", "utils.charrnn", "train", "--text", str(text_file),
            "--out", str(out), "--epochs", str(epochs), "--units", "16", "--embedding", "8",
            "--seq-len", "16", "--batch", "8", "--eval-seconds", "1000", "--dropout", "0"]


def _tiny_argv(text_file, out, epochs: int) -> list[str]:
    """The arguments of main() that resume the module's `trained` run (TINY's settings)."""
    return _tiny_cli(text_file, out, epochs)[3:] + ["--lr", "0.01"]


_EXEC_WITH_SIGNALS = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, getattr(signal, sys.argv[1]))\n"
    "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
    "os.execv(sys.executable, [sys.executable] + sys.argv[2:])\n")


def _with_signals(sigint: str, cmd: list[str]) -> list[str]:
    """``cmd`` (``[sys.executable, ...]``) started as a shell would leave its signals: SIGINT at
    ``sigint`` ("SIG_DFL" or "SIG_IGN"), SIGTERM at its default, whatever pytest has (ignored
    and default dispositions survive exec; no preexec_fn in a process with threads)."""
    return [sys.executable, "-c", _EXEC_WITH_SIGNALS, sigint, *cmd[1:]]


def _read_until(proc, lines: list, prefix: str) -> None:
    """Read the child's stdout into ``lines`` until a line starts with ``prefix``."""
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(prefix):
            return


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_an_ignored_ctrl_c_stays_ignored_and_kill_saves_and_resumes(tmp_path, text_file):
    """Started as `cmd &` in a script, CI or nohup start it (SIGINT ignored), Ctrl-C changes
    nothing: training goes on; SIGTERM (`kill`) saves and stops; the same command resumes.
    Child processes, so that how pytest itself was started does not matter."""
    out = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CI": "true"}
    proc = subprocess.Popen(_with_signals("SIG_IGN", _tiny_cli(text_file, out, 40)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    lines = []
    _read_until(proc, lines, "epoch 1 ")
    proc.send_signal(signal.SIGINT)  # ignored
    _read_until(proc, lines, "epoch 2 ")  # it trains on
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, (lines, err)
    assert "stopped; run the same command again to resume." in err and "Traceback" not in err
    state = json.loads((out / "state.json").read_text())
    assert state["epoch"] >= 2
    # the same command resumes (here with a budget that is already reached: nothing to do)
    done = subprocess.run(_tiny_cli(text_file, out, state["epoch"]), capture_output=True,
                          text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "nothing to do" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_saves_and_stops_when_the_shell_left_it_at_its_default(tmp_path, text_file):
    """Started with SIGINT at its default (from a terminal), Ctrl-C saves and stops (exit 130),
    however pytest itself was started."""
    out = tmp_path / "run"
    proc = subprocess.Popen(_with_signals("SIG_DFL", _tiny_cli(text_file, out, 40)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    lines = []
    _read_until(proc, lines, "epoch 1 ")
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (lines, err)
    assert "interrupted: saving the " in rest
    assert "stopped; run the same command again to resume." in err and "Traceback" not in err
    assert json.loads((out / "state.json").read_text())["epoch"] >= 1


def test_the_command_line_leaves_an_ignored_sigint_ignored_and_restores_handlers():
    before = signal.signal(signal.SIGINT, signal.SIG_IGN), signal.signal(signal.SIGTERM,
                                                                          signal.SIG_DFL)
    try:
        restore = charrnn.cli.interrupts_save()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is charrnn.cli.raise_interrupt
        restore()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        restore = charrnn.cli.interrupts_save()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        restore()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, before[0] or signal.SIG_DFL)
        signal.signal(signal.SIGTERM, before[1] or signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_and_lines_otherwise(tmp_path, text_file):
    import pty

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    leader, follower = pty.openpty()  # stderr is a terminal, stdout a pipe
    proc = subprocess.Popen(_tiny_cli(text_file, tmp_path / "tty", 3), stdout=subprocess.PIPE,
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
    done = subprocess.run(_tiny_cli(text_file, tmp_path / "pipe", 3), capture_output=True,
                          text=True, env=quiet_env, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "\r[" not in done.stderr
    assert len(done.stdout.splitlines()) == len(stdout.splitlines())
    for notice in ("absl", "cuInit", "oneDNN", "cpu_feature_guard", "cuda drivers"):
        assert notice not in done.stderr, done.stderr
    assert done.stdout.splitlines()[-1] == (
        f"sample it: python -m utils.charrnn sample --model {tmp_path / 'pipe'}")


# --- the faults of issue 15 ----------------------------------------------------------------------


def _copy(trained: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(trained, out)
    return out


def _state_of(out: Path) -> dict:
    return json.loads((out / "state.json").read_text())


def test_startup_notices_are_held_back_and_real_errors_shown():
    import io

    held = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1.2 1 port.cc:153] oneDNN custom operations are on. You may see ...\n"
        "I0000 00:00:1.3 1 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU\n"
        "I0000 00:00:1.7 1 cpu_feature_guard.cc:227] This TensorFlow binary is optimized ...\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild ...\n"
        "E0000 00:00:1.8 1 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
        "E0000 00:00:1.9 1 something.cc:1] a real error\n"
        "Traceback (most recent call last):\n"
    )
    stream = io.StringIO()
    charrnn.tf_import.replay_startup_lines(held, stream)
    assert stream.getvalue().splitlines() == [
        "E0000 00:00:1.9 1 something.cc:1] a real error", "Traceback (most recent call last):"]


def test_a_text_of_one_symbol_is_refused_before_any_directory(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=r"one character \('a'\) repeated 5,000 times"):
        charrnn.train(out, text="a" * 5000, epochs=1, **TINY)
    assert not out.exists()


def test_out_must_be_a_directory_of_its_own(tmp_path, text_file, capsys):
    cli = ["train", "--text", str(text_file), "--epochs", "1"]
    assert charrnn.main(cli + ["--out", ""]) == 2
    assert "--out) is empty" in capsys.readouterr().err
    assert charrnn.main(cli + ["--out", str(text_file)]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    assert charrnn.main(cli + ["--out", str(text_file / "run")]) == 2
    assert "a part of that path is a file" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text('{"theme": "dark"}')
    (foreign / "vocab.json").write_text('["my", "words"]')
    for extra in ([], ["--allow-other-files"]):
        assert charrnn.main(cli + ["--out", str(foreign)] + extra) == 2
        assert "not the config.json of a run" in capsys.readouterr().err
    assert (foreign / "config.json").read_text() == '{"theme": "dark"}'
    (foreign / "config.json").unlink()
    assert charrnn.main(cli + ["--out", str(foreign), "--allow-other-files"]) == 2
    assert "holds vocab.json but no config.json" in capsys.readouterr().err
    (foreign / "vocab.json").unlink()
    (foreign / "notes.txt").write_text("mine")
    assert charrnn.main(cli + ["--out", str(foreign)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_a_second_trainer_is_refused(trained, text_file, tmp_path):
    out = _copy(trained, tmp_path)
    owner = {"pid": os.getppid(), "host": __import__("socket").gethostname()}  # alive
    (out / "train.lock").write_text(json.dumps(owner))
    with pytest.raises(RunDirError, match=rf"in use by another trainer \(process {owner['pid']}"):
        charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    assert json.loads((out / "train.lock").read_text()) == owner


def test_resume_is_announced_cleans_litter_and_takes_over_a_stale_lock(tmp_path, text_file):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")

    def stop_at_step_3(state):
        if state["global_step"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        charrnn.train(out, text_file=text_file, epochs=1, log=lambda line: None,
                      on_step=stop_at_step_3, allow_other_files=True, **TINY)
    assert not (out / "train.lock").exists()  # released on the way out
    # what a trainer killed during a save leaves: a temporary file, files state.json does not
    # name, and its lock
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    (out / "train.lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
    (out / f".tmp-{dead.pid}-latest-65.optimizer.npz").write_bytes(b"half")
    (out / "latest-4.weights.h5").write_bytes(b"orphan")
    lines = []
    state = charrnn.train(out, text_file=text_file, epochs=1, log=lines.append,
                          allow_other_files=True, **TINY)
    assert lines[0] == ("removed 2 file(s) left by an interrupted save: "
                        f".tmp-{dead.pid}-latest-65.optimizer.npz, latest-4.weights.h5")
    assert lines[1].startswith(f"resuming {out} at step 3 (epoch 0, ") and "s trained)" in lines[1]
    assert lines[-2] == (f"best: {out / state['best_weights']}, "
                         f"val_loss {state['best_val']:.4f} nats")
    assert lines[-1] == f"sample it: python -m utils.charrnn sample --model {out}"
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["config.json", "vocab.json", "state.json", "notes.txt", state["best_weights"],
         state["latest_weights"], state["latest_optimizer"]])


def test_damaged_best_checkpoint_falls_back_to_the_latest(trained, tmp_path):
    out = _copy(trained, tmp_path)
    state = _state_of(out)
    best = out / state["best_weights"]
    best.write_bytes(best.read_bytes()[: best.stat().st_size // 2])  # truncated
    with pytest.warns(RunDirWarning, match=rf"{state['best_weights']}.*SHA-256.*Using "
                                           rf"{state['latest_weights']} instead"):
        text = charrnn.sample(out, prime="the ", length=10, temperature=0)
    assert len(text) == 10
    best.unlink()  # deleted
    with pytest.warns(RunDirWarning, match="the file is missing"):
        charrnn.evaluate(out, text="the cat")
    latest = out / state["latest_weights"]
    latest.write_bytes(b"\x89HDF\r\n garbage")
    with pytest.raises(RunDirError, match=r"holds no usable weights.*latest-\d+\.weights\.h5"):
        charrnn.sample(out, prime="the ", length=3)


def test_damaged_state_falls_back_to_the_checkpoints_and_stops_training(trained, text_file,
                                                                       tmp_path, capsys):
    out = _copy(trained, tmp_path)
    (out / "state.json").write_text('{"epoch": 3, "step_in_epoch"')
    with pytest.warns(RunDirWarning, match=r"state\.json.*not valid JSON.*Using best-"):
        assert len(charrnn.sample(out, prime="the ", length=5, temperature=0)) == 5
    assert charrnn.main(["train", "--text", str(text_file), "--out", str(out), "--epochs", "4",
                         "--units", "16", "--embedding", "8", "--seq-len", "16", "--batch", "8",
                         "--dropout", "0", "--lr", "0.01", "--eval-seconds", "1000"]) == 2
    err = capsys.readouterr().err
    assert "state.json" in err and "not valid JSON" in err and "new --out" in err
    assert "Traceback" not in err


def test_damaged_vocab_is_named_and_rebuilt_on_resume(trained, text_file, tmp_path, capsys):
    out = _copy(trained, tmp_path)
    (out / "vocab.json").write_text('["a", "b"')
    with pytest.raises(RunDirError, match=r"vocab\.json.*not valid JSON.*rebuilt"):
        charrnn.sample(out, prime="the ", length=3)
    assert charrnn.main(["evaluate", "--model", str(out), "--text", str(text_file)]) == 2
    assert "vocab.json" in capsys.readouterr().err
    lines = []
    charrnn.train(out, text_file=text_file, epochs=3, log=lines.append, **TINY)  # finished
    assert "vocab.json was damaged: rebuilt from the training text." in lines[0]
    assert Vocabulary.from_json((out / "vocab.json").read_text()).symbols == sorted(set(_text()))


def test_a_missing_latest_checkpoint_names_the_way_forward(trained, text_file, tmp_path):
    out = _copy(trained, tmp_path)
    state = _state_of(out)
    (out / state["latest_weights"]).unlink()
    with pytest.raises(RunDirError, match=rf"cannot resume.*{state['latest_weights']}.*missing"
                                          rf".*best model.*is intact.*new --out"):
        charrnn.train(out, text_file=text_file, epochs=4, log=lambda line: None, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the best checkpoint is intact: no warning
        assert charrnn.sample(out, prime="the ", length=3, temperature=0)


def test_a_tiny_temperature_is_greedy():
    logits = np.array([0.5, 2.0, 1.999, -3.0], np.float32)
    rng = np.random.default_rng(0)
    for temperature in (0, 1e-320, 5e-324, 1e-300, 1e-6):
        assert charrnn.generate.next_id(logits, temperature, rng) == 1, temperature
    assert {charrnn.generate.next_id(logits, 1.0, rng) for _ in range(200)} == {0, 1, 2, 3}


def test_sample_streams_and_stops_cleanly_on_ctrl_c(trained, monkeypatch, capsys):
    shown, pressed = [], []

    class Terminal:  # the user presses Ctrl-C after the prime and 30 characters
        def write(self, text):
            if len(shown) == 31 and not pressed:
                pressed.append(True)
                raise KeyboardInterrupt
            shown.append(text)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", Terminal())
    code = charrnn.main(["sample", "--model", str(trained), "--prime", "the ", "--length",
                         "1000000", "--seed", "0"])
    monkeypatch.undo()
    assert code == 130
    assert shown[0] == "the " and len(shown) == 32  # the prime, one write per character, "\n"
    assert shown[-1] == "\n" and set("".join(shown[1:-1])) <= set(_text())
    err = capsys.readouterr().err
    assert "stopped after 30 characters." in err and "Traceback" not in err


# --- the faults of issue 22 ----------------------------------------------------------------------


def _files(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _edit(out: Path, name: str, change) -> None:
    data = json.loads((out / name).read_text())
    change(data)
    (out / name).write_text(json.dumps(data))


def test_a_lost_state_json_keeps_every_checkpoint(trained, text_file, tmp_path, capsys):
    out = _copy(trained, tmp_path)
    (out / "state.json").unlink()
    files = _files(out)
    with pytest.warns(RunDirWarning, match=r"state\.json.*missing"):
        assert len(charrnn.sample(out, prime="the ", length=3, temperature=0)) == 3
    assert charrnn.main(_tiny_argv(text_file, out, 4)) == 2
    err = capsys.readouterr().err
    assert "holds checkpoints (best-" in err and "but no state.json" in err
    assert "Nothing was changed" in err and "sample --model" in err and "new --out" in err
    assert _files(out) == files
    (out / "config.json").unlink()  # and with the settings and vocabulary lost too
    (out / "vocab.json").unlink()
    with pytest.raises(RunDirError, match="no state.json"):
        charrnn.train(out, text_file=text_file, epochs=4, log=lambda line: None, **TINY)
    assert set(_files(out)) == set(files) - {"config.json", "vocab.json"}


@pytest.mark.parametrize("key, value, fault", [
    ("global_step", -500, r"\(-500\) the key 'global_step'"),
    ("train_seconds", math.nan, r"\(nan\) the key 'train_seconds': a finite number"),
])
def test_impossible_progress_is_refused_and_nothing_deleted(trained, text_file, tmp_path, key,
                                                            value, fault):
    out = _copy(trained, tmp_path)
    _edit(out, "state.json", lambda state: state.update({key: value}))
    files = _files(out)
    with pytest.raises(RunDirError, match=r"state\.json' is damaged: .*" + fault):
        charrnn.train(out, text_file=text_file, epochs=4, log=lambda line: None, **TINY)
    with pytest.warns(RunDirWarning, match=key):  # sampling falls back on the newest checkpoint
        assert charrnn.sample(out, prime="the ", length=3, temperature=0)
    assert _files(out) == files


def test_an_edited_vocabulary_is_caught_by_its_checksum_and_rebuilt(trained, text_file,
                                                                    tmp_path):
    out = _copy(trained, tmp_path)
    symbols = json.loads((out / "vocab.json").read_text())
    symbols[symbols.index("t")] = "T"  # the same length
    (out / "vocab.json").write_text(json.dumps(symbols))
    with pytest.raises(RunDirError, match=r"vocab\.json' is not the vocabulary this run was "
                                          r"trained with.*SHA-256.*rebuilt"):
        charrnn.sample(out, prime="a ", length=3)
    lines = []
    charrnn.train(out, text_file=text_file, epochs=3, log=lines.append, **TINY)  # finished
    assert "vocab.json was damaged: rebuilt from the training text." in lines[0]
    assert charrnn.sample(out, prime="the ", length=3, temperature=0)


def test_a_run_made_before_the_vocabulary_checksum_loads_and_gets_it(trained, text_file,
                                                                     tmp_path):
    out = _copy(trained, tmp_path)
    config = json.loads((out / "config.json").read_text())
    checksum = config.pop("vocab_sha256")
    assert checksum == charrnn.runs.vocab_sha256(Vocabulary.from_text(_text()))
    (out / "config.json").write_text(json.dumps(config))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert charrnn.sample(out, prime="the ", length=3, temperature=0)
    charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    assert json.loads((out / "config.json").read_text()) == {**config, "vocab_sha256": checksum}


def test_an_edited_vocab_size_is_blamed_on_config_json(trained, text_file, tmp_path):
    out = _copy(trained, tmp_path)
    size = len(Vocabulary.from_text(_text()))
    _edit(out, "config.json", lambda config: config.update(vocab_size=size + 1))
    fix = rf'Put back "vocab_size": {size}'
    with pytest.raises(RunDirError, match=rf"config\.json' is damaged: vocab_size is {size + 1}"
                                          rf".*{fix}"):
        charrnn.sample(out, prime="the ", length=3)
    with pytest.raises(RunDirError, match=rf"config\.json' is damaged: vocab_size is {size + 1}"
                                          rf".*{fix}"):
        charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    _edit(out, "config.json", lambda config: config.pop("vocab_sha256"))  # an older run
    with pytest.raises(RunDirError, match=r"one of the two was changed.*If config\.json was "
                                          rf'edited, put back "vocab_size": {size}'):
        charrnn.sample(out, prime="the ", length=3)
    _edit(out, "config.json", lambda config: config.update(vocab_size=size))  # the fix given
    assert charrnn.sample(out, prime="the ", length=3, temperature=0)
    charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)


def test_a_bad_value_in_config_json_names_the_file(trained, text_file, tmp_path, capsys):
    out = _copy(trained, tmp_path)
    _edit(out, "config.json", lambda config: config.update(units="many"))
    message = r"config\.json' is damaged: units must be an integer >= 1, got 'many'"
    with pytest.raises(RunDirError, match=message):
        charrnn.sample(out, prime="the ", length=3)
    with pytest.raises(RunDirError, match=message):
        charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    _edit(out, "config.json", lambda config: config.update(units=16, lr=math.nan))
    assert charrnn.main(["evaluate", "--model", str(out), "--text", str(text_file)]) == 2
    assert "config.json' is damaged: lr must be a finite number > 0, got nan" in \
        capsys.readouterr().err


@pytest.mark.parametrize("change, fault", [
    ({"units": 1_000_000}, r"the model would have [\d,]+ parameters .*limit of 100,000,000"),
    ({"layers": 100_000}, r"layers must be an integer from 1 to 32"),
    ({"embedding": 10**9}, r"limit of 100,000,000"),
])
def test_a_crafted_config_cannot_ask_for_a_huge_model(trained, tmp_path, change, fault):
    out = _copy(trained, tmp_path)
    _edit(out, "config.json", lambda config: config.update(change))
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


def test_out_of_memory_while_training_is_a_sentence(text_file, tmp_path, monkeypatch, capsys):
    class ResourceExhaustedError(Exception):  # TensorFlow's, by name
        pass

    def exhausted(*args, **kwargs):
        raise ResourceExhaustedError("OOM when allocating tensor with shape[100000,300000]")

    monkeypatch.setattr(charrnn.loop, "train_steps", exhausted)
    assert charrnn.main(_tiny_cli(text_file, tmp_path / "run", 1)[3:]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: out of memory training a model of ") and "--units" in err


def test_a_full_disk_during_a_save_is_a_sentence_and_loses_nothing(trained, text_file, tmp_path,
                                                                   monkeypatch, capsys):
    out = _copy(trained, tmp_path)
    files = _files(out)
    real = rundir.write_atomic

    def full_disk(path, write):
        def fail(tmp):  # what h5py does on a full disk
            Path(tmp).write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
        return real(path, fail if str(path).endswith(".weights.h5") else write)

    monkeypatch.setattr(rundir, "write_atomic", full_disk)
    assert charrnn.main(_tiny_argv(text_file, out, 4)) == 2
    err = capsys.readouterr().err
    assert "No space left on device: latest-" in err and "Free some space" in err
    assert "Traceback" not in err
    assert _files(out) == files


def _read_only(monkeypatch, folder: Path) -> None:
    """Make every write under ``folder`` fail as on a read-only file system (tests run as root,
    whom chmod does not stop)."""
    inside = str(folder)

    def refuse(path) -> None:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(inside):
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))

    real_os_open, real_open = os.open, builtins.open

    def os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def open_(file, mode="r", *args, **kwargs):
        if set(mode) & set("wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)
    for name in ("replace", "rename", "unlink", "remove", "mkdir", "rmdir"):
        real = getattr(os, name)

        def refused(path, *args, _real=real, **kwargs):
            refuse(path)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, refused)


def test_a_read_only_run_samples_evaluates_and_explains_training(trained, text_file, tmp_path,
                                                                 monkeypatch, capsys):
    out = _copy(trained, tmp_path)
    files = _files(out)
    _read_only(monkeypatch, out)
    with pytest.raises(OSError, match="Read-only"):
        (out / "probe").write_text("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(charrnn.sample(out, prime="the ", length=5, temperature=0)) == 5
    assert charrnn.main(["evaluate", "--model", str(out), "--text", str(text_file)]) == 0
    assert charrnn.main(_tiny_argv(text_file, out, 3)) == 0  # finished: nothing to do
    assert "nothing to do" in capsys.readouterr().out
    assert charrnn.main(_tiny_argv(text_file, out, 4)) == 2
    err = capsys.readouterr().err
    assert "Read-only file system: train.lock" in err and "cp -r" in err
    assert "Traceback" not in err
    monkeypatch.undo()
    assert _files(out) == files


def test_clear_messages_for_confusing_input(trained, text_file, tmp_path, capsys):
    for argv, message in (
            (["train", "--text", "x", "--out", "y", "--minutes", "inf"],
             "must be a finite number > 0, got 'inf'"),
            (["train", "--text", "x", "--out", "y", "--lr", "1e999"],
             "must be a finite number > 0, got '1e999'"),
            (["sample", "--model", "m", "--temperature", "inf"],
             "must be a finite number >= 0, got 'inf'"),
            (["train", "--text", "x", "--out", "y", "--epochs", "1.5"],
             "expected an integer, got '1.5'")):
        with pytest.raises(SystemExit):
            charrnn.main(argv)
        assert message in capsys.readouterr().err, argv
    # a UTF-16 file, with and without a byte-order mark (without one it is valid UTF-8)
    for encoding in ("utf-16", "utf-16-le"):
        wide = tmp_path / f"{encoding}.txt"
        wide.write_bytes(_text().encode(encoding))
        with pytest.raises(ValueError, match=r"UTF-16.*not UTF-8|UTF-16LE .*iconv -f UTF-16"):
            charrnn.train(tmp_path / "out", text_file=wide, epochs=1)
    assert not (tmp_path / "out").exists()
    # another text (with another vocabulary) is blamed on the text, not on vocab_size
    other = tmp_path / "other.txt"
    other.write_text(_text() + "XYZ!", encoding="utf-8")
    with pytest.raises(ValueError, match=r"trained on another text \([\d,]+ characters there, "
                                         r"[\d,]+ now; their SHA-256 differ\)") as info:
        charrnn.train(trained, text_file=other, epochs=3, log=lambda line: None, **TINY)
    assert "vocab_size" not in str(info.value)
    # --model naming a file is not told about --out
    weights = next(trained.glob("best-*.weights.h5"))
    assert charrnn.main(["evaluate", "--model", str(weights), "--text", str(text_file)]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a run directory: --model takes the directory" in err
    assert "choose a directory for the run" not in err


def test_output_that_the_terminal_cannot_encode_is_escaped(monkeypatch):
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    monkeypatch.setattr(charrnn.cli, "main", lambda: print("caf\u00e9") or 0)
    assert charrnn.cli.cli() == 0
    sys.stdout.flush()
    assert raw.getvalue() == b"caf\\xe9\n"


def test_no_terminal_and_no_stderr_draw_no_bar(monkeypatch):
    monkeypatch.setattr(sys, "stderr", None)  # `2>&-`, pythonw
    assert charrnn.loop.stderr_is_terminal() is False
