"""The suite passes however it is started: in a terminal, or as a script's background job.

A job started in the background by a non-interactive shell (a script's ``cmd &``, ``nohup``, many
CI runners) begins with SIGINT *ignored*, without a terminal and without standard input. Python then
installs no ``KeyboardInterrupt`` handler. The tests that send signals must set up the handlers they
need themselves; this file runs them in a child process started that way, so that a test which only
passes in a terminal cannot come back.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The quick tests that send SIGINT or SIGTERM to the test process itself (the run directory's save),
# by keyword. The trainer's and the sweep's signal tests start child processes with the signal
# settings they need, so they do not depend on how pytest was started.
SIGNAL_TESTS = ["tests/test_rundir.py"]
SIGNAL_KEYWORDS = "ctrl_c or sigint or sigterm"


def _start_like_a_background_job() -> None:
    """In the child, before exec: SIGINT ignored, as a non-interactive shell's `cmd &` leaves it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_pytest_as_a_background_job(args: list[str], env_extra: dict[str, str]):
    """Run pytest with SIGINT ignored, in a new session (no terminal), standard input closed."""
    env = {**os.environ, "CI": "true", **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        start_new_session=True, preexec_fn=_start_like_a_background_job, timeout=900,
    )


def test_the_child_really_starts_with_sigint_ignored():
    code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
    result = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, start_new_session=True,
                            preexec_fn=_start_like_a_background_job, timeout=60)
    assert result.stdout.strip() == "True", result.stderr


def test_signal_tests_pass_when_started_as_a_background_job(tmp_path):
    """The signal-sensitive tests, started as `(trap '' INT; setsid pytest ... </dev/null)`."""
    home = tmp_path / "home"
    home.mkdir()
    result = run_pytest_as_a_background_job(
        [*SIGNAL_TESTS, "-k", SIGNAL_KEYWORDS],
        # a fresh home and the C locale: nothing a developer's own set-up provides
        {"HOME": str(home), "LC_ALL": "C", "LANG": "C"},
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary
    passed = int(summary.split(" passed")[0].split()[-1])
    assert passed >= 3, f"expected the signal tests to run, got: {summary}"
