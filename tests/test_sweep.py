"""Tests of the robustness sweep's settings and report (tools/sweep.py), without executing."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("sweep", ROOT / "tools" / "sweep.py")
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)


def test_there_are_at_least_eight_settings_covering_seeds_kernels_and_threads():
    assert len(sweep.SETTINGS) >= 8
    assert len({offset for offset, _, _ in sweep.SETTINGS}) >= 4
    assert {onednn for _, onednn, _ in sweep.SETTINGS} == {True, False}
    assert {threads for _, _, threads in sweep.SETTINGS} == {1, 2}
    assert sweep.SETTINGS[0] == (0, False, 2), "run 0 is nbval's own setting"


def test_setting_env_names_the_variables_the_stack_reads():
    env = sweep.setting_env(3)
    assert env["SEQUENCE_MODELS_SEED_OFFSET"] == "1"
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert env["TF_NUM_INTRAOP_THREADS"] == env["OMP_NUM_THREADS"] == "1"


def test_unknown_chapters_are_refused():
    with pytest.raises(SystemExit, match="no chapter starts with"):
        sweep.find_chapters(["99"])


def _record(values, bound=0.9):
    runs = {
        str(i): {"run": i, "setting": sweep.describe(i), "seconds": 10.0 + i, "error": None,
                 "claims": [{"claim": "accuracy above bound", "value": v, "relation": ">",
                             "bound": bound, "passed": v > bound}]}
        for i, v in enumerate(values)
    }
    return {"notebook": "99_fake.ipynb", "notebook_sha256": "0", "runs": runs}


def test_summary_gives_the_range_of_values_and_the_runs_passed():
    (row,) = sweep.summarise(_record([0.95, 0.97, 0.85]))
    assert row["passed"] == 2
    assert min(row["values"]) == 0.85 and max(row["values"]) == 0.97


def test_report_tables_show_failures_and_staleness():
    record = _record([0.95, 0.85])
    claims = "\n".join(sweep._claims_table([record]))
    assert "| 99 | accuracy above bound | &gt; | 0.9 | 0.85 .. 0.95 | 1 of 2 |" in claims
    status = "\n".join(sweep._status_table([record]))
    assert "| 99_fake | 2 | 1 |" in status, "run 1 failed a claim"
    assert status.splitlines()[2].endswith("| YES |"), "a notebook that does not exist is stale"
    assert "Duration of the sweep: 21 s" in status
