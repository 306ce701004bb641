"""Benchmark of the char-RNN trainer (utils.charrnn) on tiny Shakespeare.

nanoGPT's split: the first 90% of the characters for training, the last 10% (111,540 characters)
for validation, every validation character scored once (streams with warm-up context, see
utils.charrnn). Records the validation loss in nats per character against training seconds
(wall-clock time of the training steps; scoring and saving excluded), the training throughput in
characters per second and the peak memory of the process, and writes

    benchmarks/results/charrnn_shakespeare.md   (a table, the throughput, the peak memory)
    benchmarks/results/charrnn_shakespeare.svg  (loss against time)

It measures the trainer alone. Whether its defaults are good is decided against peers trained in
the same run, on the same machine and split: ``benchmarks/charrnn_peers.py``. A loss typed from
another machine is no yardstick: a machine half as fast sees half the characters in 110 s.

Usage (the defaults are the trainer's defaults; each budget is a separate run, because the
learning rate decays along the budget):

    python benchmarks/charrnn_shakespeare.py                      # runs of 110 s and 10 min
    python benchmarks/charrnn_shakespeare.py --minutes 1.8333     # the 110-second run only

Runs resume from benchmarks/runs/ (same settings) unless --fresh is given. Timings depend on the
machine and on whatever else runs on it: the table records the CPU count and the load average.

TensorFlow's oneDNN kernels are on unless ``TF_ENABLE_ONEDNN_OPTS=0`` is set (``make`` and the tests
set it, to keep TensorFlow's start-up notices quiet); the benchmark runs as a user's shell would,
records which it was, and measures the trainer's throughput both ways in two short runs.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # TensorFlow's default; before its import

import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import utils  # noqa: E402
from utils import charrnn  # noqa: E402
from utils.data import corpus_path, load_text  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

#: Published elsewhere, not measured here: (label, nats per character, source).
PUBLISHED = [("nanoGPT, character-level Shakespeare (10.7 M parameters, one A100 GPU)", 1.4697,
              "nanoGPT's README, train_shakespeare_char")]
PROBE_SECONDS = 20.0  # training seconds of each throughput probe


def _budget(minutes: float) -> str:
    """A budget as a reader says it: ``110 s`` for 1.8333 minutes, ``10 min`` for 10."""
    seconds = round(60 * minutes)
    return f"{seconds} s" if seconds < 300 else f"{seconds / 60:g} min"


def _model_options(args) -> dict:
    return dict(cell=args.cell, units=args.units, layers=args.layers, embedding=args.embedding,
                dropout=args.dropout, seq_len=args.seq_len, batch=args.batch, lr=args.lr,
                seed=args.seed)


class AfterFirstStep:
    """An ``on_step`` hook: characters per training second after the first step of a session.

    The first step traces and compiles the graph (seconds, more on a busy machine); the trainer
    counts it in its budget, and ``benchmarks/charrnn_peers.py`` leaves it out of every model's
    speed, as this does.
    """

    def __init__(self):
        self.first = self.last = None

    def __call__(self, state: dict) -> None:
        self.last = (state["train_seconds"], state["chars_seen"])
        self.first = self.first or self.last

    def chars_per_s(self) -> float | None:
        if self.first is None or self.last[0] <= self.first[0]:
            return None
        return (self.last[1] - self.first[1]) / (self.last[0] - self.first[0])


def probe_throughput(args) -> float | None:
    """Characters per training second of a short run of the trainer (in this process)."""
    speed = AfterFirstStep()
    with tempfile.TemporaryDirectory() as out:
        charrnn.train(out, text=load_text("tinyshakespeare"), minutes=PROBE_SECONDS / 60,
                      eval_seconds=1e9, log=lambda line: None, on_step=speed,
                      **_model_options(args))
    return speed.chars_per_s()


def throughput_by_onednn(args) -> dict:
    """``{"on": chars/s, "off": chars/s}``: the same probe in two fresh processes."""
    result = {}
    for label, flag in (("on", "1"), ("off", "0")):
        cmd = [sys.executable, __file__, "--probe-throughput", *sys.argv[1:]]
        cmd = [c for c in cmd if c != "--fresh"]
        env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": flag}
        done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        result[label] = json.loads(done.stdout.strip().splitlines()[-1])["chars_per_s"]
    return result


def run_one(minutes: float, out: Path, args) -> dict:
    text = load_text("tinyshakespeare")
    t0, speed = time.perf_counter(), AfterFirstStep()
    state = charrnn.train(
        out, text=text, minutes=minutes, val_fraction=0.1, eval_seconds=args.eval_seconds,
        log=lambda line: print(f"[{minutes:g} min] {line}", flush=True), on_step=speed,
        **_model_options(args),
    )
    wall = time.perf_counter() - t0
    history = state["history"]
    times = np.array([r["train_seconds"] for r in history])
    losses = np.array([r["val_loss"] for r in history])
    at_110 = losses[times >= 110][0] if (times >= 110).any() else None
    return {
        "minutes": minutes, "history": history, "final": float(losses[-1]),
        "best": float(losses.min()), "at_110": None if at_110 is None else float(at_110),
        "train_seconds": state["train_seconds"], "steps": state["global_step"],
        "chars_per_s": speed.chars_per_s(),  # None when a resumed run had nothing left
        "wall_seconds": wall, "val_chars": len(text) - int(len(text) * 0.9),
    }


def write_markdown(results: list[dict], args, load_before, load_after, onednn: dict) -> Path:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    lines = [
        "# char-RNN trainer on tiny Shakespeare",
        "",
        f"Produced by `python benchmarks/charrnn_shakespeare.py {' '.join(sys.argv[1:])}`".rstrip()
        + f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        utils.machine_line(load_before[0]).removesuffix(".")
        + f", {load_after[0]:.1f} at the end (the benchmark's own threads count in the second "
        "figure)"
        + (": other processes were running when it started, so the timings may be inflated."
           if load_before[0] > 0.5 * (os.cpu_count() or 1) else "."),
        "",
        f"Configuration: `--cell {args.cell} --units {args.units} --layers {args.layers} "
        f"--embedding {args.embedding} --dropout {args.dropout} --seq-len {args.seq_len} "
        f"--batch {args.batch} "
        f"--lr {args.lr} --seed {args.seed}` (Adam, clipnorm 1.0, cosine decay of the learning "
        f"rate along the budget). Split: first 90% train, last "
        f"{results[0]['val_chars']:,} characters validation, every one scored once.",
        "",
        "| budget | val loss at end (nats/char) | bits/char | best | at first eval >= 110 s "
        "| training s | steps | chars/s | wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        at_110 = "-" if r["at_110"] is None else f"{r['at_110']:.4f}"
        lines.append(
            f"| {_budget(r['minutes'])} | {r['final']:.4f} | {r['final'] / math.log(2):.3f} | "
            f"{r['best']:.4f} | {at_110} | {r['train_seconds']:.0f} | {r['steps']} | "
            f"{'-' if r['chars_per_s'] is None else format(r['chars_per_s'], ',.0f')} | "
            f"{r['wall_seconds']:.0f} |"
        )
    lines += ["", "chars/s: training characters per second of the steps after the first (which "
              "compiles the graph), as `benchmarks/charrnn_peers.py` measures every model; the "
              "trainer's budget counts the first step too.", "",
              f"Peak memory (resident set of the benchmark process): {peak_mb:,.0f} MB.", ""]
    state = "on" if os.environ["TF_ENABLE_ONEDNN_OPTS"] != "0" else "off"
    lines += [f"TensorFlow's oneDNN kernels were {state} in these runs "
              f"(`TF_ENABLE_ONEDNN_OPTS={os.environ['TF_ENABLE_ONEDNN_OPTS']}`)."]
    if onednn and None not in onednn.values():
        lines[-1] += (
            f" Throughput of the same configuration in two {PROBE_SECONDS:.0f}-second runs "
            f"after the benchmark: {onednn['on']:,.0f} characters/s with oneDNN, "
            f"{onednn['off']:,.0f} without (x{onednn['on'] / onednn['off']:.2f})."
        )
    lines += [""]
    lines += ["Whether these defaults are good is measured against peers trained in one run, on "
              "one machine and split: `benchmarks/charrnn_peers.py` (its own report).", "",
              "Published elsewhere (not measured here):", ""]
    lines += [f"- {label}: {nats} nats ({where})." for label, nats, where in PUBLISHED]
    path = RESULTS / "charrnn_shakespeare.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_svg(results: list[dict]) -> Path:
    import matplotlib.pyplot as plt

    from utils.plot import save_svg, use_book_style

    use_book_style()
    fig, ax = plt.subplots()
    for r in results:
        t = [h["train_seconds"] for h in r["history"]]
        loss = [h["val_loss"] for h in r["history"]]
        ax.plot(t, loss, ".-", label=f"utils.charrnn, budget {_budget(r['minutes'])}")
    # Published results come from other hardware (a GPU): they are named in the report's text,
    # never drawn on this machine's wall-clock axis.
    ax.set(xlabel="training time (s, wall clock)", ylabel="validation loss (nats per character)",
           title="char-RNN trainer on tiny Shakespeare (last 10% held out)", ylim=(1.3, 2.6))
    ax.legend(fontsize=7, loc="upper right")
    return save_svg(fig, RESULTS / "charrnn_shakespeare.svg")


def main(argv: list[str] | None = None) -> int:
    d = charrnn.DEFAULTS
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, nargs="+", default=[110 / 60, 10.0],
                   help="one training run per budget (default: 110 s and 10 min)")
    p.add_argument("--eval-seconds", type=float, default=20.0)
    p.add_argument("--runs", default=str(HERE / "runs"), help="where the run directories go")
    p.add_argument("--fresh", action="store_true", help="delete earlier runs first")
    p.add_argument("--cell", default=d["cell"])
    p.add_argument("--units", type=int, default=d["units"])
    p.add_argument("--layers", type=int, default=d["layers"])
    p.add_argument("--embedding", type=int, default=d["embedding"])
    p.add_argument("--dropout", type=float, default=d["dropout"])
    p.add_argument("--seq-len", type=int, default=d["seq_len"])
    p.add_argument("--batch", type=int, default=d["batch"])
    p.add_argument("--lr", type=float, default=d["lr"])
    p.add_argument("--seed", type=int, default=d["seed"])
    p.add_argument("--no-onednn-probe", action="store_true",
                   help="skip the two short throughput runs with oneDNN on and off")
    p.add_argument("--probe-throughput", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.probe_throughput:  # one short run, in the process started by throughput_by_onednn
        print(json.dumps({"chars_per_s": probe_throughput(args)}))
        return 0
    if any(not m > 0 for m in args.minutes):
        p.error("--minutes must be > 0")
    corpus_path("tinyshakespeare")  # fail early if the corpus is missing
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    results = []
    for minutes in args.minutes:
        out = Path(args.runs) / f"charrnn_shakespeare_{minutes:g}min"
        if args.fresh and out.exists():
            shutil.rmtree(out)
        results.append(run_one(minutes, out, args))
    load_after = os.getloadavg()
    onednn = {} if args.no_onednn_probe else throughput_by_onednn(args)
    md = write_markdown(results, args, load_before, load_after, onednn)
    svg = write_svg(results)
    print(md.read_text(encoding="utf-8"))
    print(f"wrote {md} and {svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
