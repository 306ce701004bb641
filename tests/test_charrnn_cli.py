"""Tests of utils.charrnn.cli: the command line: the evaluate line, Ctrl-C and kill while training
(child processes started as a shell would), sampling streamed and stopped, output a terminal
cannot encode. Tiny models (tests/helpers.py's TINY, 16 units), so that the file runs in
seconds."""

from __future__ import annotations

import io
import json
import math
import os
import re
import signal
import subprocess
import sys

import pytest

from utils import charrnn

from helpers import tiny_cli, tiny_text


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
    proc = subprocess.Popen(_with_signals("SIG_IGN", tiny_cli(text_file, out, 40)),
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
    done = subprocess.run(tiny_cli(text_file, out, state["epoch"]), capture_output=True,
                          text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "nothing to do" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_saves_and_stops_when_the_shell_left_it_at_its_default(tmp_path, text_file):
    """Started with SIGINT at its default (from a terminal), Ctrl-C saves and stops (exit 130),
    however pytest itself was started."""
    out = tmp_path / "run"
    proc = subprocess.Popen(_with_signals("SIG_DFL", tiny_cli(text_file, out, 40)),
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
    assert shown[-1] == "\n" and set("".join(shown[1:-1])) <= set(tiny_text())
    err = capsys.readouterr().err
    assert "stopped after 30 characters." in err and "Traceback" not in err


def test_output_that_the_terminal_cannot_encode_is_escaped(monkeypatch):
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    monkeypatch.setattr(charrnn.cli, "main", lambda: print("caf\u00e9") or 0)
    assert charrnn.cli.cli() == 0
    sys.stdout.flush()
    assert raw.getvalue() == b"caf\\xe9\n"
