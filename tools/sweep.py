"""The robustness sweep: execute chapters under settings that stand in for other machines.

Seeds make a run repeatable on one machine, not across machines: another CPU picks other kernels,
float sums round differently and a training run follows another path. This script executes the
chapters under ten settings that stand in for that (other seeds for every model, other seeds for
every generated data set, TensorFlow's oneDNN kernels on and off, one or two intra-op threads),
records every claim the chapters check with :mod:`utils.claims`, and writes the report
``benchmarks/results/claims_robustness.md``: each claim, its bound, its smallest and largest value
over the runs, and in how many runs it held.

    python tools/sweep.py                      # every chapter, all 10 settings (over an hour)
    python tools/sweep.py --chapters 09 11     # two chapters
    python tools/sweep.py --chapters 09 --runs 0 8
    python tools/sweep.py --report-only        # rewrite the report from the stored results

Results are kept per chapter in ``benchmarks/results/sweep/<chapter>.json``. Every run records its
setting (model and data seed offsets, oneDNN, threads), the machine, the load average when it
started and the SHA-256 of the code cells it executed, hashed from the very text it executed. A
chapter whose code changed since is stale; staleness is decided when a report is made, and the
book's robustness page makes its report at every build, so the page is never behind the chapters.
Claims that a stale chapter no longer makes are marked as gone.

SIGTERM or Ctrl-C stops the running notebook's kernel at once and exits; the interrupted run is
not recorded (runs finished before it are kept). A signal that the sweep was started with ignored
(a background job of a script starts with SIGINT ignored) stays ignored.
``make sweep`` runs the whole sweep.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import hashlib
import json
import os
import re
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
RESULTS = ROOT / "benchmarks" / "results"
SWEEP_DIR = RESULTS / "sweep"
REPORT = RESULTS / "claims_robustness.md"
TIMEOUT_S = 900  # per cell


class Setting(NamedTuple):
    """One run's stand-in for another machine."""

    seed_offset: int  # SEQUENCE_MODELS_SEED_OFFSET: every model's initial weights, batch order
    data_offset: int  # SEQUENCE_MODELS_DATA_SEED_OFFSET: every generated data set
    onednn: bool  # TF_ENABLE_ONEDNN_OPTS
    threads: int  # intra-op threads


# Run 0 is what nbval runs in `make test`; run 1 is the book build's setting. Runs 8 and 9 also
# draw other generated data (tasks, toy signals, positions in a text): a claim must not rest on
# one lucky draw of its examples.
SETTINGS = [
    Setting(0, 0, False, 2),
    Setting(0, 0, True, 2),
    Setting(1, 0, False, 2),
    Setting(1, 0, True, 1),
    Setting(2, 0, True, 2),
    Setting(2, 0, False, 1),
    Setting(3, 0, False, 2),
    Setting(4, 0, True, 2),
    Setting(1, 1, True, 2),
    Setting(3, 2, False, 1),
]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
CLAIM_FUNCTIONS = {"claim", "claim_close", "claim_true"}


class Stopped(BaseException):
    """The sweep was asked to stop (SIGINT or SIGTERM): a run cut short is not a result."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(signal.Signals(self.signum).name)


def _raise_stopped(signum, frame):
    raise Stopped(signum)


def install_stop_handlers() -> None:
    """Make SIGINT and SIGTERM raise :class:`Stopped`, except a signal that is ignored (SIG_IGN).

    A job started in the background by a script begins with SIGINT ignored: that choice is kept.
    """
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, _raise_stopped)


def setting_env(run: int) -> dict[str, str]:
    """The environment variables of sweep run ``run``."""
    s = SETTINGS[run]
    return {
        "SEQUENCE_MODELS_SEED_OFFSET": str(s.seed_offset),
        "SEQUENCE_MODELS_DATA_SEED_OFFSET": str(s.data_offset),
        "TF_ENABLE_ONEDNN_OPTS": "1" if s.onednn else "0",
        "TF_NUM_INTRAOP_THREADS": str(s.threads),
        "OMP_NUM_THREADS": str(s.threads),
        "OPENBLAS_NUM_THREADS": str(s.threads),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def describe(run: int) -> str:
    s = SETTINGS[run]
    return (f"model seed offset {s.seed_offset}, data seed offset {s.data_offset}, "
            f"oneDNN {'on' if s.onednn else 'off'}, "
            f"{s.threads} thread{'s' if s.threads > 1 else ''}")


def find_chapters(prefixes: list[str] | None, notebook_dir: Path = CHAPTERS) -> list[Path]:
    """The chapter notebooks whose file names start with one of ``prefixes`` (all if None)."""
    notebooks = sorted(Path(notebook_dir).glob("[0-9][0-9]_*.ipynb"))
    if prefixes is None:
        return notebooks
    if not prefixes or not all(p.strip() for p in prefixes):
        raise SystemExit("sweep: --chapters needs chapter numbers, e.g. --chapters 09 11; "
                         "leave --chapters out to sweep every chapter (over an hour).")
    chosen = [nb for nb in notebooks if any(nb.name.startswith(p) for p in prefixes)]
    missing = [p for p in prefixes if not any(nb.name.startswith(p) for nb in notebooks)]
    if missing:
        raise SystemExit(f"sweep: no chapter starts with {missing}; chapters are "
                         f"{[nb.name[:2] for nb in notebooks]}.")
    return chosen


# --- What a run executed -------------------------------------------------------------------------

# Cell tags that change what executing a notebook does (the others only change the page).
EXECUTION_TAGS = {"raises-exception", "skip-execution"}


def cells_hash(cells: list[dict]) -> str:
    """SHA-256 of the code cells (their source and execution tags): what a run executes."""
    parts = []
    for c in cells:
        if c["cell_type"] != "code":
            continue
        source = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        tags = sorted(EXECUTION_TAGS & set(c.get("metadata", {}).get("tags", [])))
        parts.append(source + (f"\n# tags: {' '.join(tags)}" if tags else ""))
    return hashlib.sha256("\n# ---- cell ----\n".join(parts).encode("utf-8")).hexdigest()


def notebook_hash(path: Path) -> str:
    """SHA-256 of the notebook's code cells as the file is now (prose may change freely)."""
    return cells_hash(json.loads(Path(path).read_text(encoding="utf-8"))["cells"])


def _client_class():
    """nbclient's NotebookClient, with SIGINT and SIGTERM taken back from it.

    nbclient's own handlers shut the kernel down and let execution carry on, so that a stopped
    run ended as a failed cell and the sweep went on to the next run. Here a stop signal kills
    the kernel at once and cancels the execution; :func:`execute` then raises :class:`Stopped`.
    """
    from nbclient import NotebookClient

    class SweepClient(NotebookClient):
        stop_signal: int | None = None
        ignored: frozenset = frozenset()

        async def async_start_new_kernel(self, **kwargs):
            # Runs right after nbclient put its handlers in place, before the kernel starts.
            loop, task = asyncio.get_running_loop(), asyncio.current_task()

            def on_stop(signum: int) -> None:
                if self.stop_signal is None:
                    self.stop_signal = signum
                    self.shutdown_kernel = "immediate"
                    task.cancel()

            for signum in STOP_SIGNALS:
                if signum in self.ignored:
                    loop.remove_signal_handler(signum)
                    signal.signal(signum, signal.SIG_IGN)
                else:
                    loop.add_signal_handler(signum, on_stop, signum)
            await super().async_start_new_kernel(**kwargs)

    return SweepClient


def execute(notebook: Path, run: int) -> dict:
    """Execute ``notebook`` in a fresh kernel under setting ``run``; return claims and timing.

    Raises:
        Stopped: SIGINT or SIGTERM arrived; the kernel is stopped and nothing is returned.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError

    text = Path(notebook).read_text(encoding="utf-8")  # hashed and executed: the same text
    digest = cells_hash(json.loads(text)["cells"])
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "claims.jsonl"
        env = {**os.environ, **setting_env(run), "SEQUENCE_MODELS_CLAIMS_LOG": str(log)}
        nb = nbformat.reads(text, as_version=4)
        client = _client_class()(nb, timeout=TIMEOUT_S, kernel_name="python3",
                                 resources={"metadata": {"path": str(Path(notebook).parent)}})
        client.ignored = frozenset(s for s, h in previous.items() if h == signal.SIG_IGN)
        start, error = time.perf_counter(), None
        try:
            client.execute(env=env)
        except BaseException as failure:
            if client.stop_signal is not None:
                raise Stopped(client.stop_signal) from None
            if isinstance(failure, CellExecutionError):
                error = _last_line(str(failure))
            elif isinstance(failure, Exception):  # a kernel that died, a timeout
                error = f"{type(failure).__name__}: {_last_line(str(failure))}"
            else:
                raise
        finally:
            for signum, handler in previous.items():  # nbclient leaves its own defaults
                signal.signal(signum, handler)
        seconds = time.perf_counter() - start
        claims = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    s = SETTINGS[run]
    return {"run": run, "setting": describe(run), "seed_offset": s.seed_offset,
            "data_seed_offset": s.data_offset, "onednn": s.onednn, "threads": s.threads,
            "notebook_sha256": digest, "load_average_at_start": round(load, 2),
            "seconds": round(seconds, 1), "error": error, "claims": claims}


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _last_line(text: str) -> str:
    text = ANSI.sub("", text)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


# --- The kept results ----------------------------------------------------------------------------


def load_record(path: Path) -> dict:
    """One chapter's kept results, checked: a damaged file is named, with what to do."""
    path = Path(path)
    advice = (f"restore it with `git checkout -- {_shown(path)}`, or move it away and sweep "
              f"that chapter again (`python tools/sweep.py --chapters {path.stem[:2]}`)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SystemExit(f"sweep: {path} is not valid JSON ({error}): {advice}.") from None
    runs = record.get("runs") if isinstance(record, dict) else None
    if (not isinstance(runs, dict) or not isinstance(record.get("notebook"), str)
            or not all(isinstance(r, dict) and isinstance(r.get("claims"), list)
                       and "seconds" in r for r in runs.values())):
        raise SystemExit(f"sweep: {path} is not a sweep result (it needs 'notebook' and "
                         f"'runs', each run with its 'seconds' and 'claims'): {advice}.")
    return record


def load_records(sweep_dir: Path = SWEEP_DIR) -> list[dict]:
    return [load_record(p) for p in sorted(Path(sweep_dir).glob("*.json"))]


def _shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a signal mid-write leaves the old file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_hash(record: dict, result: dict) -> str | None:
    """The hash of the code a kept run executed (older runs share their record's)."""
    return result.get("notebook_sha256", record.get("notebook_sha256"))


def sweep_chapter(notebook: Path, runs: list[int], sweep_dir: Path = SWEEP_DIR) -> None:
    """Execute one chapter under ``runs`` and merge the results into its JSON file.

    Each run is written as soon as it ends. Kept runs of other code than the one just executed
    are dropped (they no longer describe the chapter), and said so.
    """
    from utils import machine_line

    path = Path(sweep_dir) / f"{notebook.stem}.json"
    stored = load_record(path) if path.exists() else {"runs": {}}
    kept = dict(stored["runs"])
    for run in runs:
        result = execute(notebook, run)  # Stopped propagates: an interrupted run is not kept
        digest = result["notebook_sha256"]
        dropped = sorted((k for k, r in kept.items() if run_hash(stored, r) != digest), key=int)
        if dropped:
            print(f"  {notebook.name} changed since runs {', '.join(dropped)}: "
                  "those runs are dropped; sweep them again", flush=True)
        kept = {k: r for k, r in kept.items() if k not in dropped}
        kept[str(run)] = result
        status = "FAILED: " + result["error"] if result["error"] else "ok"
        failed = [c["claim"] for c in result["claims"] if not c["passed"]]
        print(f"{notebook.stem} run {run} ({describe(run)}): {result['seconds']:.0f} s, "
              f"{len(result['claims'])} claims, {status}"
              + (f"; failed claims: {failed}" if failed else ""), flush=True)
        stored = {"notebook": notebook.name, "notebook_sha256": digest,
                  "machine": machine_line(),
                  "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  "runs": dict(sorted(kept.items(), key=lambda kv: int(kv[0])))}
        _write_atomically(path, json.dumps(stored, indent=1) + "\n")


# --- Claims a notebook makes now -----------------------------------------------------------------


def claim_patterns(path: Path) -> list[re.Pattern] | None:
    """Patterns of the claim statements in the notebook's code, or None if they cannot be told.

    A literal statement gives itself; an f-string gives its text with each ``{...}`` matching
    anything. A statement held in a variable, or a cell that does not parse, gives None.
    """
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    patterns = []
    for c in cells:
        if c["cell_type"] != "code":
            continue
        source = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        source = re.sub(r"(?m)^\s*[%!].*$", "", source)  # IPython magics and shell lines
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return None
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in CLAIM_FUNCTIONS:
                continue
            first = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "statement"), None)
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                patterns.append(re.compile(re.escape(first.value)))
            elif isinstance(first, ast.JoinedStr):
                text = "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+?"
                               for v in first.values)
                patterns.append(re.compile(text, re.DOTALL))
            else:
                return None
    return patterns


def _made_now(statement: str, patterns: list[re.Pattern] | None) -> bool:
    return patterns is None or any(p.fullmatch(statement) for p in patterns)


# --- The report ----------------------------------------------------------------------------------


def summarise(record: dict) -> list[dict]:
    """One row per claim: bound range, value range, runs that made it and runs it passed in.

    A claim made only where a run's numbers call for it (a conditional claim) is made in fewer
    runs than were recorded: `made` counts them, so that it passes in `passed` of `made`."""
    rows: dict[str, dict] = {}
    for result in record["runs"].values():
        for c in result["claims"]:
            row = rows.setdefault(c["claim"], {"claim": c["claim"], "relation": c["relation"],
                                               "values": [], "bounds": [], "passed": 0,
                                               "made": 0})
            row["made"] += 1
            row["values"].append(c["value"])
            row["bounds"].append(c["bound"])
            row["passed"] += bool(c["passed"])
    return list(rows.values())


def staleness(record: dict, notebook_dir: Path = CHAPTERS) -> dict:
    """Is the chapter's code now what its runs executed? Which claims did it stop making?"""
    nb = Path(notebook_dir) / record["notebook"]
    swept = [row["claim"] for row in summarise(record)]
    if not nb.exists():
        return {"stale": True, "why": "notebook gone", "gone": set(swept), "new": 0}
    if notebook_hash(nb) == record.get("notebook_sha256"):
        return {"stale": False, "why": "", "gone": set(), "new": 0}
    patterns = claim_patterns(nb)
    gone = {c for c in swept if not _made_now(c, patterns)}
    new = sum(not any(p.fullmatch(c) for c in swept) for p in patterns or [])
    return {"stale": True, "why": "code changed", "gone": gone, "new": new}


def _fmt(x: float) -> str:
    if x != x:  # NaN
        return "nan"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.4g}"


def _span(xs: list[float]) -> str:
    lo, hi = min(xs), max(xs)
    return _fmt(lo) if lo == hi else f"{_fmt(lo)} .. {_fmt(hi)}"


def _setting_of(run_key: str, result: dict) -> tuple:
    """(model seed offset, data seed offset, oneDNN, threads) of a kept run."""
    if "data_seed_offset" in result:
        return (result["seed_offset"], result["data_seed_offset"], result["onednn"],
                result["threads"])
    s = SETTINGS[int(run_key)]  # kept from before data seeds were shifted: data offset 0
    return (s.seed_offset, 0, s.onednn, s.threads)


def report_lines(sweep_dir: Path = SWEEP_DIR, notebook_dir: Path = CHAPTERS,
                 title: bool = True) -> list[str]:
    """The Markdown report over every chapter's stored results, stale marks as of now."""
    records = load_records(sweep_dir)
    states = [staleness(rec, notebook_dir) for rec in records]
    lines = ["# Robustness sweep of the claims", ""] if title else []
    lines += [
        "Produced by `python tools/sweep.py`. Each chapter was executed in a fresh kernel under "
        "the settings below, which stand in for other machines and other luck: the model seed "
        "offset shifts every seed that decides how a model trains "
        "(`SEQUENCE_MODELS_SEED_OFFSET`), the data seed offset every seed of generated data "
        "(`SEQUENCE_MODELS_DATA_SEED_OFFSET`); every claim the chapter checks (`utils.claims`) "
        "was recorded in every run.",
        "",
        "| run | model seed offset | data seed offset | oneDNN | intra-op threads |",
        "| --- | --- | --- | --- | --- |",
        *[f"| {run} | {s.seed_offset} | {s.data_offset} | {'on' if s.onednn else 'off'} | "
          f"{s.threads} |" for run, s in enumerate(SETTINGS)],
        "",
        *_machine_lines(records),
        "",
        f"Stale (checked {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}): the chapter's "
        "code changed since its runs, so their numbers may no longer be the chapter's; claims "
        "the chapter no longer makes are marked *gone*, and claims it makes that no run "
        "recorded are counted as not swept yet.",
        "",
    ]
    lines += _status_table(records, states) + [""] + _claims_table(records, states)
    return lines


def _machine_lines(records: list[dict]) -> list[str]:
    machines: dict[str, list[str]] = {}
    for rec in records:
        machine = rec.get("machine", "Machine: not recorded (swept before the sweep recorded it).")
        machines.setdefault(machine, []).append(rec["notebook"][:2])
    lines = [f"{m} Chapters {', '.join(chs)}." for m, chs in machines.items()]
    return lines + ["", "Times are wall-clock seconds of one chapter's execution; other work on "
                    "the machine inflates them (see the load averages)."]


def _status_table(records: list[dict], states: list[dict] | None = None) -> list[str]:
    states = states or [staleness(rec) for rec in records]
    lines = ["| chapter | runs | missing runs | failed runs | claims | seconds per run "
             "(min .. max) | total s | load at start | swept | stale |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    total = 0.0
    for rec, state in zip(records, states, strict=True):
        runs = list(rec["runs"].values())
        seconds = [r["seconds"] for r in runs]
        total += sum(seconds)
        failed = [str(k) for k, r in rec["runs"].items()
                  if r.get("error") or not all(c["passed"] for c in r["claims"])]
        missing = [str(i) for i in range(len(SETTINGS)) if str(i) not in rec["runs"]]
        loads = [r["load_average_at_start"] for r in runs if "load_average_at_start" in r]
        load = (_span([round(x, 1) for x in loads]) if loads  # older results: at the end
                else f"{rec.get('load_average_at_start', float('nan')):.1f} at the end")
        stale = "no"
        if state["stale"]:
            stale = f"YES: {state['why']}"
            if state["gone"]:
                stale += f", {len(state['gone'])} claim{'s' * (len(state['gone']) > 1)} gone"
            if state["new"]:
                stale += (f", {state['new']} claim{'s' * (state['new'] > 1)} not swept yet")
        lines.append(f"| {rec['notebook'].removesuffix('.ipynb')} | {len(runs)} | "
                     f"{', '.join(missing) or 'none'} | {', '.join(failed) or 'none'} | "
                     f"{len(summarise(rec))} | {_span(seconds)} | {sum(seconds):.0f} | "
                     f"{load} | {rec.get('finished', '?')} | {stale} |")
    lines += ["", f"Duration of the sweep: {total:.0f} s of execution in all "
              f"({total / 60:.1f} minutes), run by run."]
    return lines


def _claims_table(records: list[dict], states: list[dict] | None = None) -> list[str]:
    states = states or [staleness(rec) for rec in records]
    lines = ["| chapter | claim | relation | bound | smallest .. largest value | passed |",
             "| --- | --- | --- | --- | --- | --- |"]
    for rec, state in zip(records, states, strict=True):
        chapter = rec["notebook"][:2]
        n_runs = len(rec["runs"])
        for row in summarise(rec):
            statement = row["claim"].replace("|", "/")
            if row["claim"] in state["gone"]:
                statement = f"*gone:* {statement}"
            relation = row["relation"].replace("<", "&lt;").replace(">", "&gt;")
            lines.append(f"| {chapter} | {statement} | {relation} | {_span(row['bounds'])} | "
                         f"{_span(row['values'])} | {_passed_words(row, n_runs)} |")
    return lines


def _passed_words(row: dict, n_runs: int) -> str:
    """'10 of 10', or for a claim made in fewer runs '6 of 6, made in 6 of 10 runs'."""
    words = f"{row['passed']} of {row['made']}"
    if row["made"] < n_runs:
        words += f", made in {row['made']} of {n_runs} runs"
    return words


def write_report(sweep_dir: Path = SWEEP_DIR, notebook_dir: Path = CHAPTERS,
                 report: Path = REPORT) -> Path:
    _write_atomically(Path(report), "\n".join(report_lines(sweep_dir, notebook_dir)) + "\n")
    return Path(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="*", metavar="NN",
                        help="chapter numbers (file-name prefixes); leave out for every chapter")
    parser.add_argument("--runs", nargs="*", type=int, metavar="R",
                        help=f"settings to run, 0-{len(SETTINGS) - 1} (default: all)")
    parser.add_argument("--report-only", action="store_true",
                        help="only rewrite the report from the stored results")
    parser.add_argument("--notebook-dir", type=Path, default=CHAPTERS, help=argparse.SUPPRESS)
    parser.add_argument("--sweep-dir", type=Path, default=SWEEP_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, default=REPORT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs == []:
        parser.error("--runs needs setting numbers, e.g. --runs 0 8; leave it out for all "
                     f"{len(SETTINGS)}")
    runs = list(range(len(SETTINGS))) if args.runs is None else list(dict.fromkeys(args.runs))
    bad = [r for r in runs if not 0 <= r < len(SETTINGS)]
    if bad:
        parser.error(f"--runs must be between 0 and {len(SETTINGS) - 1}, got {bad}")
    load_records(args.sweep_dir)  # a damaged results file stops us before an hour of work
    if not args.report_only:
        notebooks = find_chapters(args.chapters, args.notebook_dir)
        print(f"sweep: {', '.join(nb.stem for nb in notebooks)}; runs "
              f"{' '.join(map(str, runs))}", flush=True)
        install_stop_handlers()
        current = None
        try:
            for notebook in notebooks:
                current = notebook
                sweep_chapter(notebook, runs, args.sweep_dir)
        except (Stopped, KeyboardInterrupt) as stop:
            signum = stop.signum if isinstance(stop, Stopped) else signal.SIGINT
            name = signal.Signals(signum).name
            print(f"sweep: stopped by {name} during {current.stem if current else 'start-up'}; "
                  "the interrupted run is not recorded (finished runs are kept). Rewrite the "
                  "report with `python tools/sweep.py --report-only`.", file=sys.stderr,
                  flush=True)
            return 128 + signum
    print(f"wrote {_shown(write_report(args.sweep_dir, args.notebook_dir, args.report))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
