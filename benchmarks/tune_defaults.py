"""The comparisons behind ``utils.charrnn.DEFAULTS``, rerun on a slice of the training text.

The benchmarks report the validation loss on the last 10% of tiny Shakespeare. Choosing the
defaults on that same split would tune to the test, so this script never reads it: it trains on
the first 90% of the *training* text (81% of the corpus) and scores on the rest of the training
text (the next 9%, the tuning split). Each configuration is the defaults with one setting
changed, trained for the same training seconds, one seed.

    python benchmarks/tune_defaults.py                     # 110-s runs, every variant (~30 min)
    python benchmarks/tune_defaults.py --seconds 600 --only dropout
    python benchmarks/tune_defaults.py --only cell units --seconds 30   # a quick look

Writes ``benchmarks/results/tune_defaults.md`` (or ``--report``): one row per configuration, the
best tuning loss (nats per character), the change from the defaults, and the throughput. Each
configuration's result is kept in ``benchmarks/results/tune_defaults/`` as soon as it is trained,
with the machine it ran on, so a stopped run resumes where it stopped (``--fresh`` trains
everything again). A result from another machine is trained again: a machine half as fast gets
half as far in the same seconds, so rows are compared only within one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # TensorFlow's default; before its import

import utils  # noqa: E402
from utils import charrnn  # noqa: E402
from utils.data import load_text  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = RESULTS / "tune_defaults"

#: One setting changed from the defaults at a time: (group, {setting: value}).
VARIANTS = [
    ("defaults", {}),
    ("cell", {"cell": "lstm"}),
    ("units", {"units": 256}),
    ("units", {"units": 512}),
    ("seq_len", {"seq_len": 100}),
    ("batch", {"batch": 128, "lr": 1e-2}),
    ("lr", {"lr": 3e-3}),
    ("lr", {"lr": 8e-3}),
    ("dropout", {"dropout": 0.0}),
    ("dropout", {"dropout": 0.1}),
    ("layers", {"layers": 2, "units": 256}),
]


def tuning_text() -> str:
    """The training part of the benchmark's split; the validation part is never read here."""
    train_text, _ = charrnn.split_for_validation(load_text("tinyshakespeare"), 0.1)
    return train_text


def best_tuning_loss(text: str, seconds: float, change: dict, seed: int) -> dict:
    """Train the defaults with ``change`` for ``seconds``; the best loss on the tuning split."""
    settings = {k: v for k, v in charrnn.DEFAULTS.items() if k != "val_fraction"}
    settings.update(change, seed=seed)
    first = []  # (training seconds, characters) after the first step, which compiles the graph

    def after_first_step(state):
        if not first:
            first.append((state["train_seconds"], state["chars_seen"]))

    with tempfile.TemporaryDirectory() as out:
        state = charrnn.train(out, text=text, minutes=seconds / 60, val_fraction=0.1,
                              eval_seconds=max(seconds / 4, 10), log=lambda line: None,
                              on_step=after_first_step, **settings)
    t1, c1 = first[0] if first else (state["train_seconds"], state["chars_seen"])
    # characters per second of the steps after the first, as benchmarks/charrnn_peers.py counts
    speed = (state["chars_seen"] - c1) / (state["train_seconds"] - t1) \
        if state["train_seconds"] > t1 else None
    return {"best": min(h["val_loss"] for h in state["history"]), "chars_per_s": speed}


def speed_text(chars_per_s: float | None) -> str:
    """Characters per second for a table (``-`` when no step followed the first)."""
    return "-" if chars_per_s is None else f"{chars_per_s:,.0f}"


def describe(change: dict) -> str:
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in change.items()) or "the defaults"


def row_path(change: dict, seconds: float, seed: int) -> Path:
    """Where one configuration's result is kept: one file per change, budget and seed."""
    name = describe(change).replace(", ", "_").replace(" ", "-")
    return RUNS / f"{name}-{seconds:g}s-seed{seed}.json"


def stored_row(path: Path) -> dict | None:
    """The result kept at ``path`` if it was trained on this machine; None if it must be
    trained (missing, or from another machine: rows are compared only within one machine)."""
    if not path.is_file():
        return None
    row = json.loads(path.read_text(encoding="utf-8"))
    if row.get("machine") != utils.machine_key():
        print(f"{path.name}: trained on {row.get('machine', 'an unrecorded machine')}, "
              "not this one: training it again", flush=True)
        return None
    return row


def tuned_row(text: str, change: dict, args) -> dict:
    """One configuration's row: the stored result if an earlier run trained it on this machine,
    else train now."""
    path = row_path(change, args.seconds, args.seed)
    kept = None if args.fresh else stored_row(path)
    if kept is not None:
        return kept
    load_before = os.getloadavg()[0]
    row = {"change": change, **best_tuning_loss(text, args.seconds, change, args.seed),
           "load_before": load_before, "machine": utils.machine_key(),
           "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    RUNS.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(row) + "\n", encoding="utf-8")
    partial.replace(path)  # atomic: a stopped run never leaves half a result
    return row


#: Differences smaller than this (nats) are called a tie: one seed cannot tell them apart.
TIE = 0.01


def verdict_line(rows: list[dict], seconds: float) -> str:
    """Which single changes beat the defaults in this run, best first (computed, not typed)."""
    base = next((r["best"] for r in rows if not r["change"]), None)
    if base is None:
        return "The defaults were not trained in this run: no comparison."
    changed = sorted((r for r in rows if r["change"]), key=lambda r: r["best"])
    better = [r for r in changed if r["best"] < base - TIE]
    ties = [r for r in changed if abs(r["best"] - base) <= TIE]

    def named(group):
        return "; ".join(f"{describe(r['change'])} ({r['best'] - base:+.4f})" for r in group)

    line = (f"After {seconds:g} s, {len(better)} of the {len(changed)} changes beat the defaults "
            f"({base:.4f} nats) by more than {TIE} nats")
    line += f": {named(better)}." if better else "."
    if ties:
        line += f" Within {TIE} nats of them (a tie at one seed): {named(ties)}."
    return line


def when_trained(rows: list[dict]) -> list[str]:
    """A line on when the rows were trained and the load then (rows read back from earlier
    runs were not trained by this one), or nothing when the rows do not say."""
    stamped = [r for r in rows if "finished" in r]
    if not stamped:
        return []
    loads = [r["load_before"] for r in stamped]
    return [f"{len(stamped)} of the {len(rows)} rows say when they were trained: "
            f"{min(r['finished'] for r in stamped)} to {max(r['finished'] for r in stamped)}, "
            f"1-minute load average {min(loads):.1f} to {max(loads):.1f} at the start of each.", ""]


def left_out_line(rows: list[dict]) -> list[str]:
    """A line naming the variants of :data:`VARIANTS` that this report did not train
    (``--only``), so that a reader knows what was not compared; nothing if all were."""
    trained = [r["change"] for r in rows]
    missing = [describe(c) for _, c in VARIANTS if c not in trained]
    if not missing:
        return []
    return ["", f"Not compared in this report (`--only`): {'; '.join(missing)}."]


def write_report(rows: list[dict], args, load_before: float) -> Path:
    base = next((r["best"] for r in rows if not r["change"]), None)
    lines = [
        "# The trainer's defaults, compared on a slice of the training text",
        "",
        f"Produced by `python benchmarks/tune_defaults.py {' '.join(sys.argv[1:])}`".rstrip()
        + f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.seconds:g} training"
        f" seconds per configuration, seed {args.seed}.",
        "",
        utils.machine_line(load_before),
        "",
        *when_trained(rows),
        "Training: the first 81% of tiny Shakespeare; tuning loss: the next 9%. The benchmarks' "
        "validation split (the last 10%) is not read.",
        "",
        "| configuration | best tuning loss (nats/char) | change | chars/s |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        delta = "-" if base is None or not r["change"] else f"{r['best'] - base:+.4f}"
        lines.append(f"| {describe(r['change'])} | {r['best']:.4f} | {delta} | "
                     f"{speed_text(r['chars_per_s'])} |")
    lines += ["", verdict_line(rows, args.seconds)]
    lines += left_out_line(rows)
    lines += ["", "Defaults: " + ", ".join(f"`{k}={v}`" for k, v in charrnn.DEFAULTS.items())]
    path = RESULTS / (args.report or "tune_defaults.md")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    groups = sorted({g for g, _ in VARIANTS})
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=110.0, help="training seconds per run")
    p.add_argument("--only", nargs="+", choices=groups, help="these groups (and the defaults)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", help="file name under benchmarks/results/")
    p.add_argument("--fresh", action="store_true", help="ignore the stored results, train again")
    args = p.parse_args(argv)
    if not args.seconds > 0:
        p.error("--seconds must be > 0")
    chosen = [(g, c) for g, c in VARIANTS if g == "defaults" or not args.only or g in args.only]
    text, load_before, rows = tuning_text(), os.getloadavg()[0], []
    for _group, change in chosen:
        rows.append(tuned_row(text, change, args))
        print(f"{describe(change)}: {rows[-1]['best']:.4f} nats, "
              f"{speed_text(rows[-1]['chars_per_s'])} chars/s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = write_report(rows, args, load_before)
    print(path.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
