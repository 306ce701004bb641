"""Tests of the robustness sweep (tools/sweep.py): settings, report, stale marks, bad input, and
stopping, on tiny notebooks made here (the chapters are never executed)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "sweep.py"
sweep = load_script("tools/sweep.py")


# --- Settings ------------------------------------------------------------------------------------


def test_settings_cover_model_seeds_data_seeds_kernels_and_threads():
    settings = sweep.SETTINGS
    assert len(settings) >= 10
    assert len({s.seed_offset for s in settings}) >= 4
    assert {s.onednn for s in settings} == {True, False}
    assert {s.threads for s in settings} == {1, 2}
    shifted_data = [s for s in settings if s.data_offset > 0]
    assert len({s.data_offset for s in shifted_data}) >= 2, "two other draws of the data"
    assert all(s.seed_offset > 0 for s in shifted_data), "combined with other model seeds"
    assert settings[0] == (0, 0, False, 2), "run 0 is nbval's own setting in `make test`"


def test_setting_env_names_the_variables_the_stack_reads():
    env = sweep.setting_env(3)
    assert env["SEQUENCE_MODELS_SEED_OFFSET"] == "1"
    assert env["SEQUENCE_MODELS_DATA_SEED_OFFSET"] == "0"
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert env["TF_NUM_INTRAOP_THREADS"] == env["OMP_NUM_THREADS"] == "1"
    data_runs = [r for r, s in enumerate(sweep.SETTINGS) if s.data_offset]
    assert {sweep.setting_env(r)["SEQUENCE_MODELS_DATA_SEED_OFFSET"] for r in data_runs} >= {
        "1", "2"}
    assert "data seed offset 1" in sweep.describe(data_runs[0])


# --- Bad input ------------------------------------------------------------------------------------


def test_unknown_chapters_are_refused():
    with pytest.raises(SystemExit, match="no chapter starts with"):
        sweep.find_chapters(["99"])


@pytest.mark.parametrize("argv", [["--chapters"], ["--chapters", ""],
                                  ["--chapters", "--runs", "0"]])
def test_chapters_without_a_value_is_refused_not_a_sweep_of_every_chapter(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        sweep.main([*argv, "--sweep-dir", str(tmp_path), "--report", str(tmp_path / "r.md")])
    assert "--chapters needs chapter numbers" in str(stop.value)
    assert not list(tmp_path.iterdir()), "nothing was run or written"


def test_runs_without_a_value_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        sweep.main(["--chapters", "01", "--runs", "--sweep-dir", str(tmp_path)])
    assert "--runs needs setting numbers" in capsys.readouterr().err


@pytest.mark.parametrize("content, why", [("{ not json", "is not valid JSON"),
                                          ('{"notebook": "01_x.ipynb"}', "is not a sweep result")])
def test_a_damaged_results_file_is_named_with_what_to_do(tmp_path, content, why):
    bad = tmp_path / "01_x.json"
    bad.write_text(content)
    with pytest.raises(SystemExit) as stop:
        sweep.main(["--report-only", "--sweep-dir", str(tmp_path),
                    "--report", str(tmp_path / "r.md")])
    message = str(stop.value)
    assert str(bad) in message and why in message
    assert "git checkout" in message and "--chapters 01" in message
    assert bad.read_text() == content, "the file is left as it was"
    assert not (tmp_path / "r.md").exists()


# --- The report and its stale marks --------------------------------------------------------------


def _record(values, bound=0.9, notebook="99_fake.ipynb", digest="0"):
    runs = {
        str(i): {"run": i, "setting": sweep.describe(i), "seconds": 10.0 + i, "error": None,
                 "claims": [{"claim": "accuracy above bound", "value": v, "relation": ">",
                             "bound": bound, "passed": v > bound}]}
        for i, v in enumerate(values)
    }
    return {"notebook": notebook, "notebook_sha256": digest, "runs": runs}


def test_summary_gives_the_range_of_values_and_the_runs_passed():
    (row,) = sweep.summarise(_record([0.95, 0.97, 0.85]))
    assert row["passed"] == 2
    assert min(row["values"]) == 0.85 and max(row["values"]) == 0.97


def test_a_claim_made_in_some_runs_only_counts_its_passes_among_those():
    record = _record([0.95, 0.97, 0.99])
    record["runs"]["1"]["claims"] = []  # run 1's numbers did not call for the claim
    (row,) = sweep.summarise(record)
    assert (row["made"], row["passed"]) == (2, 2)
    claims = "\n".join(sweep._claims_table([record]))
    assert "| 2 of 2, made in 2 of 3 runs |" in claims, claims


def test_report_tables_show_failures_missing_runs_and_staleness():
    record = _record([0.95, 0.85])
    claims = "\n".join(sweep._claims_table([record]))
    row = "| 99 | *gone:* accuracy above bound | &gt; | 0.9 | 0.85 .. 0.95 | 1 of 2 |"
    assert row in claims, "the notebook does not exist: its claims are gone"
    status = "\n".join(sweep._status_table([record]))
    assert "| 99_fake | 2 | 2, 3, 4, 5, 6, 7, 8, 9 | 1 |" in status, "run 1 failed a claim"
    assert "| YES: notebook gone" in status.splitlines()[2]
    assert "Duration of the sweep: 21 s" in status


def _notebook(path: Path, code_cells: list[str], markdown: str = "# A title") -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": markdown}]
    cells += [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [],
               "execution_count": None} for src in code_cells]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                      "display_name": "Python 3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


CLAIMS_CODE = [
    "from utils.claims import claim, claim_true\nname = 'GRU'",
    'claim("accuracy above bound", 0.95, ">", 0.9)',
    'claim_true(f"the {name} solves "\n           "lag 10", True)',
]


def _report_for(tmp_path, record) -> str:
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir(exist_ok=True)
    (sweep_dir / "99_fake.json").write_text(json.dumps(record))
    return "\n".join(sweep.report_lines(sweep_dir, tmp_path))


def test_a_changed_code_cell_makes_the_chapter_stale_and_prose_does_not(tmp_path):
    nb = _notebook(tmp_path / "99_fake.ipynb", CLAIMS_CODE)
    record = _record([0.95, 0.97], notebook=nb.name, digest=sweep.notebook_hash(nb))
    assert "| no |" in _report_for(tmp_path, record)
    _notebook(nb, CLAIMS_CODE, markdown="# A title\n\nOther prose.")
    assert "| no |" in _report_for(tmp_path, record), "prose may change freely"
    _notebook(nb, [*CLAIMS_CODE[:2], CLAIMS_CODE[2] + "\nprint(1)"])
    report = _report_for(tmp_path, record)
    assert "| YES: code changed, 1 claim not swept yet |" in report, "the f-string claim"
    assert "*gone:*" not in report


def test_a_claim_the_chapter_no_longer_makes_is_marked_gone(tmp_path):
    nb = _notebook(tmp_path / "99_fake.ipynb", CLAIMS_CODE)
    record = _record([0.95, 0.97], notebook=nb.name, digest=sweep.notebook_hash(nb))
    record["runs"]["0"]["claims"].append({"claim": "the GRU solves lag 10", "value": 1.0,
                                          "relation": "==", "bound": 1.0, "passed": True})
    _notebook(nb, [CLAIMS_CODE[0], CLAIMS_CODE[2]])  # the first claim is no longer made
    report = _report_for(tmp_path, record)
    assert "| YES: code changed, 1 claim gone |" in report
    _notebook(nb, [CLAIMS_CODE[0], CLAIMS_CODE[2], 'claim("a new claim", 1, ">", 0)'])
    assert "| YES: code changed, 1 claim gone, 1 claim not swept yet |" in _report_for(
        tmp_path, record)
    report = _report_for(tmp_path, record)
    assert "| 99 | *gone:* accuracy above bound |" in report
    assert "| 99 | the GRU solves lag 10 |" in report, "an f-string claim is still made"


def test_claim_patterns_read_literals_and_f_strings_and_give_up_on_variables(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb", ["%matplotlib inline\n" + CLAIMS_CODE[0],
                                          *CLAIMS_CODE[1:]])
    patterns = sweep.claim_patterns(nb)
    assert [bool(p.fullmatch("the LSTM solves lag 10")) for p in patterns] == [False, True]
    _notebook(nb, ["from utils.claims import claim\ns = 'x'", "claim(s, 1, '>', 0)"])
    assert sweep.claim_patterns(nb) is None, "unknown statements: no claim is called gone"


def test_old_results_read_as_data_offset_0_and_the_report_names_it(tmp_path):
    record = _record([0.95])
    assert sweep._setting_of("0", record["runs"]["0"]) == (0, 0, False, 2)
    text = "\n".join(sweep.report_lines(tmp_path, tmp_path))
    assert "| run | model seed offset | data seed offset | oneDNN | intra-op threads |" in text
    assert "| 8 | 1 | 1 | on | 2 |" in text


# --- Executing and stopping (tiny notebooks, real kernels) -------------------------------------

SLEEPY = [
    "import os, time\nfrom utils.claims import claim\nimport utils",
    'claim("the data seed offset is read", utils.data_seed_offset(), ">=", 0)',
    "if os.environ['TF_ENABLE_ONEDNN_OPTS'] == '1':\n"
    "    with open(os.environ['PID_FILE'], 'w') as f:\n"
    "        f.write(str(os.getpid()))\n"
    "    time.sleep(600)",
]


def _start(tmp_path, runs, sigint):
    """The sweep in a child process, with SIGINT set to ``sigint`` there whatever pytest has."""
    _notebook(tmp_path / "01_tiny.ipynb", SLEEPY)
    env = {**os.environ, "PID_FILE": str(tmp_path / "kernel.pid")}
    command = [sys.executable, str(SCRIPT), "--chapters", "01", "--runs", *map(str, runs),
               "--notebook-dir", str(tmp_path), "--sweep-dir", str(tmp_path / "sweep"),
               "--report", str(tmp_path / "report.md")]
    return subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))


def _kernel_pid(tmp_path, proc, timeout=240) -> int:
    pid_file = tmp_path / "kernel.pid"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended early: {proc.communicate()}")
        time.sleep(0.2)
    proc.kill()
    pytest.fail("the kernel never reached the sleeping cell")


def _gone(pid: int, timeout=15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except (FileNotFoundError, IndexError):
            return True
        if state in "ZX":
            return True
        time.sleep(0.2)
    return False


def _stop(proc, signum, timeout=30):
    sent = time.monotonic()
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the sweep was still running {timeout} s after {signum.name}")
    return proc.returncode, out, err, time.monotonic() - sent


def test_sigterm_stops_the_kernel_and_keeps_only_finished_runs(tmp_path):
    proc = _start(tmp_path, [0, 1], signal.SIG_DFL)  # run 0 ends, run 1 sleeps
    kernel = _kernel_pid(tmp_path, proc)
    rc, out, err, seconds = _stop(proc, signal.SIGTERM)
    assert rc == 128 + signal.SIGTERM, (out, err)
    assert "stopped by SIGTERM" in err and "not recorded" in err
    assert _gone(kernel), "the kernel of the stopped run is still running"
    record = json.loads((tmp_path / "sweep" / "01_tiny.json").read_text())
    assert list(record["runs"]) == ["0"], "the interrupted run is not recorded"
    run = record["runs"]["0"]
    assert run["error"] is None and run["data_seed_offset"] == 0
    assert run["notebook_sha256"] == sweep.notebook_hash(tmp_path / "01_tiny.ipynb")
    assert [c["claim"] for c in run["claims"]] == ["the data seed offset is read"]


def test_ctrl_c_stops_the_sweep(tmp_path):
    proc = _start(tmp_path, [1], signal.SIG_DFL)
    kernel = _kernel_pid(tmp_path, proc)
    rc, out, err, _ = _stop(proc, signal.SIGINT)
    assert rc == 128 + signal.SIGINT, (out, err)
    assert _gone(kernel)
    assert not (tmp_path / "sweep" / "01_tiny.json").exists()


def test_an_ignored_sigint_stays_ignored_and_sigterm_still_stops(tmp_path):
    proc = _start(tmp_path, [1], signal.SIG_IGN)  # as a script's background job starts
    kernel = _kernel_pid(tmp_path, proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(3)
    assert proc.poll() is None and not _gone(kernel, timeout=0), "SIGINT was ignored"
    rc, out, err, _ = _stop(proc, signal.SIGTERM)
    assert rc == 128 + signal.SIGTERM, (out, err)
    assert _gone(kernel)


def test_a_finished_sweep_records_the_data_offset_of_each_run(tmp_path):
    data_run = next(r for r, s in enumerate(sweep.SETTINGS) if s.data_offset and not s.onednn)
    proc = _start(tmp_path, [0, data_run], signal.SIG_DFL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, (out, err)
    record = json.loads((tmp_path / "sweep" / "01_tiny.json").read_text())
    values = {k: r["claims"][0]["value"] for k, r in record["runs"].items()}
    offset = sweep.SETTINGS[data_run].data_offset
    assert values == {"0": 0, str(data_run): offset}
    assert record["runs"][str(data_run)]["data_seed_offset"] == offset
    assert "Machine:" in record["machine"]
    report = (tmp_path / "report.md").read_text()
    assert "| 01_tiny | 2 |" in report and "| no |" in report
