"""The robustness sweep: execute chapters under settings that stand in for other machines.

Seeds make a run repeatable on one machine, not across machines: another CPU picks other kernels,
float sums round differently and a training run follows another path. This script executes the
chapters under eight settings that stand in for that (other seeds for every model, TensorFlow's
oneDNN kernels on and off, one or two intra-op threads), records every claim the chapters check
with :mod:`utils.claims`, and writes the report ``benchmarks/results/claims_robustness.md``: each
claim, its bound, its smallest and largest value over the runs, and in how many runs it held.

    python tools/sweep.py                      # every chapter, all 8 settings (about an hour)
    python tools/sweep.py --chapters 09 11     # two chapters
    python tools/sweep.py --chapters 09 --runs 0 3
    python tools/sweep.py --report-only        # rewrite the report from the stored results

Results are kept per chapter in ``benchmarks/results/sweep/<chapter>.json`` with the SHA-256 of
the code cells they ran: the report marks a chapter whose code changed since as stale.
``make sweep`` runs the whole sweep.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
RESULTS = ROOT / "benchmarks" / "results"
SWEEP_DIR = RESULTS / "sweep"
REPORT = RESULTS / "claims_robustness.md"
TIMEOUT_S = 900  # per cell

# The eight settings: (seed offset, oneDNN on?, intra-op threads). Run 0 is what nbval runs in
# `make test`; run 1 is the book build's setting.
SETTINGS = [
    (0, False, 2),
    (0, True, 2),
    (1, False, 2),
    (1, True, 1),
    (2, True, 2),
    (2, False, 1),
    (3, False, 2),
    (4, True, 2),
]


def setting_env(run: int) -> dict[str, str]:
    """The environment variables of sweep run ``run`` (0-7)."""
    offset, onednn, threads = SETTINGS[run]
    return {
        "SEQUENCE_MODELS_SEED_OFFSET": str(offset),
        "TF_ENABLE_ONEDNN_OPTS": "1" if onednn else "0",
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def describe(run: int) -> str:
    offset, onednn, threads = SETTINGS[run]
    return (f"seed offset {offset}, oneDNN {'on' if onednn else 'off'}, "
            f"{threads} thread{'s' if threads > 1 else ''}")


def find_chapters(prefixes: list[str] | None) -> list[Path]:
    """The chapter notebooks whose file names start with one of ``prefixes`` (all if None)."""
    notebooks = sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
    if not prefixes:
        return notebooks
    chosen = [nb for nb in notebooks if any(nb.name.startswith(p) for p in prefixes)]
    missing = [p for p in prefixes if not any(nb.name.startswith(p) for nb in notebooks)]
    if missing:
        raise SystemExit(f"sweep: no chapter starts with {missing}; chapters are "
                         f"{[nb.name[:2] for nb in notebooks]}.")
    return chosen


def notebook_hash(path: Path) -> str:
    """SHA-256 of the notebook's code cells: what a run executes (prose may change freely)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n# ---- cell ----\n".join("".join(c["source"]) for c in cells
                                        if c["cell_type"] == "code")
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def execute(notebook: Path, run: int) -> dict:
    """Execute ``notebook`` in a fresh kernel under setting ``run``; return claims and timing."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "claims.jsonl"
        env = {**os.environ, **setting_env(run), "SEQUENCE_MODELS_CLAIMS_LOG": str(log)}
        nb = nbformat.read(notebook, as_version=4)
        client = NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                                resources={"metadata": {"path": str(notebook.parent)}})
        start, error = time.perf_counter(), None
        try:
            client.execute(env=env)
        except CellExecutionError as failure:
            error = _last_line(str(failure))
        except Exception as failure:  # a kernel that died, a timeout
            error = f"{type(failure).__name__}: {_last_line(str(failure))}"
        seconds = time.perf_counter() - start
        claims = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return {"run": run, "setting": describe(run), "seconds": round(seconds, 1),
            "error": error, "claims": claims}


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _last_line(text: str) -> str:
    text = ANSI.sub("", text)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def sweep_chapter(notebook: Path, runs: list[int]) -> None:
    """Execute one chapter under ``runs`` and merge the results into its JSON file."""
    path = SWEEP_DIR / f"{notebook.stem}.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    digest = notebook_hash(notebook)
    old_runs = stored.get("runs", {}) if stored.get("notebook_sha256") == digest else {}
    for run in runs:
        result = execute(notebook, run)
        old_runs[str(run)] = result
        status = "FAILED: " + result["error"] if result["error"] else "ok"
        failed = [c["claim"] for c in result["claims"] if not c["passed"]]
        print(f"{notebook.stem} run {run} ({describe(run)}): {result['seconds']:.0f} s, "
              f"{len(result['claims'])} claims, {status}"
              + (f"; failed claims: {failed}" if failed else ""), flush=True)
        if notebook_hash(notebook) != digest:
            print(f"  warning: {notebook.name} changed during the sweep; results are stale")
        record = {"notebook": notebook.name, "notebook_sha256": digest,
                  "load_average_at_start": os.getloadavg()[0],
                  "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  "runs": dict(sorted(old_runs.items(), key=lambda kv: int(kv[0])))}
        SWEEP_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1) + "\n")


# --- The report --------------------------------------------------------------------------------


def summarise(record: dict) -> list[dict]:
    """One row per claim: bound range, value range, runs passed, out of runs recorded."""
    rows: dict[str, dict] = {}
    for result in record["runs"].values():
        for c in result["claims"]:
            row = rows.setdefault(c["claim"], {"claim": c["claim"], "relation": c["relation"],
                                               "values": [], "bounds": [], "passed": 0})
            row["values"].append(c["value"])
            row["bounds"].append(c["bound"])
            row["passed"] += bool(c["passed"])
    return list(rows.values())


def _fmt(x: float) -> str:
    if x != x:  # NaN
        return "nan"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.4g}"


def _span(xs: list[float]) -> str:
    lo, hi = min(xs), max(xs)
    return _fmt(lo) if lo == hi else f"{_fmt(lo)} .. {_fmt(hi)}"


def report_lines() -> list[str]:
    """The Markdown report over every chapter's stored results."""
    from utils import machine_info

    records = [json.loads(p.read_text()) for p in sorted(SWEEP_DIR.glob("*.json"))]
    info = machine_info()
    lines = [
        "# Robustness sweep of the claims",
        "",
        "Produced by `python tools/sweep.py`. Each chapter was executed in a fresh kernel under "
        "the settings below, which stand in for other machines and other luck; every claim the "
        "chapter checks (`utils.claims`) was recorded in every run.",
        "",
        f"Machine: {info['cores available']} CPU cores ({info['cpu']}; "
        f"{info['vector instructions']}), Python {info['python']}, "
        f"TensorFlow {info['tensorflow']}. Times are wall-clock seconds of one chapter's "
        "execution; other work on the machine inflates them (see each chapter's load average).",
        "",
        "| run | setting |",
        "| --- | --- |",
        *[f"| {run} | {describe(run)} |" for run in range(len(SETTINGS))],
        "",
    ]
    lines += _status_table(records) + [""] + _claims_table(records)
    return lines


def _status_table(records: list[dict]) -> list[str]:
    lines = ["| chapter | runs | failed runs | claims | seconds per run (min .. max) | "
             "total s | load at start | swept | stale |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    total = 0.0
    for rec in records:
        runs = list(rec["runs"].values())
        seconds = [r["seconds"] for r in runs]
        total += sum(seconds)
        failed = [r["run"] for r in runs if r["error"] or not all(c["passed"]
                                                                    for c in r["claims"])]
        nb = CHAPTERS / rec["notebook"]
        stale = "no" if nb.exists() and notebook_hash(nb) == rec["notebook_sha256"] else "YES"
        lines.append(f"| {rec['notebook'].removesuffix('.ipynb')} | {len(runs)} | "
                     f"{', '.join(map(str, failed)) or 'none'} | {len(summarise(rec))} | "
                     f"{_span(seconds)} | {sum(seconds):.0f} | "
                     f"{rec.get('load_average_at_start', float('nan')):.1f} | "
                     f"{rec.get('finished', '?')} | {stale} |")
    lines += ["", f"Duration of the sweep: {total:.0f} s of execution in all "
              f"({total / 60:.1f} minutes), run by run on this machine."]
    return lines


def _claims_table(records: list[dict]) -> list[str]:
    lines = ["| chapter | claim | relation | bound | smallest .. largest value | passed |",
             "| --- | --- | --- | --- | --- | --- |"]
    for rec in records:
        chapter = rec["notebook"][:2]
        n_runs = len(rec["runs"])
        for row in summarise(rec):
            statement = row["claim"].replace("|", "/")
            relation = row["relation"].replace("<", "&lt;").replace(">", "&gt;")
            lines.append(f"| {chapter} | {statement} | {relation} | {_span(row['bounds'])} | "
                         f"{_span(row['values'])} | {row['passed']} of {n_runs} |")
    return lines


def write_report() -> Path:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(report_lines()) + "\n", encoding="utf-8")
    return REPORT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="*", metavar="NN",
                        help="chapter numbers (file-name prefixes), default: all")
    parser.add_argument("--runs", nargs="*", type=int, metavar="R",
                        help=f"settings to run, 0-{len(SETTINGS) - 1} (default: all)")
    parser.add_argument("--report-only", action="store_true",
                        help="only rewrite the report from the stored results")
    args = parser.parse_args(argv)
    runs = list(range(len(SETTINGS))) if args.runs is None else args.runs
    bad = [r for r in runs if not 0 <= r < len(SETTINGS)]
    if bad:
        parser.error(f"--runs must be between 0 and {len(SETTINGS) - 1}, got {bad}")
    if not args.report_only:
        for notebook in find_chapters(args.chapters):
            sweep_chapter(notebook, runs)
    print(f"wrote {write_report().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
