"""The char-RNN trainer against its peers, trained side by side in one run on one machine.

Machines of one kind differ (one 2-core machine trains twice as fast as another), so a comparison
with numbers measured elsewhere says little. This script trains, in the same run, on the same split
of tiny Shakespeare (first 90% train, last 10% validation) and for the same training seconds:

``main`` (at every budget)
    - ``trainer``: ``utils.charrnn.train`` with its defaults, one run per budget (its learning
      rate decays along the budget);
    - ``tf-tutorial``: TensorFlow's text-generation tutorial (Embedding 256, GRU 1024, sequences
      of 100, batch 64, Adam 1e-3);
    - ``char-rnn``: Karpathy's char-rnn defaults (2 x LSTM 128, one-hot input, sequences of 50,
      batch 50, RMSprop 2e-3, clipping by value at 5);
    - ``nanogpt``: a small Transformer as in nanoGPT's CPU example (4 layers, 4 heads, width 128,
      context 64, batch 12, Adam 1e-3, no dropout);
    - ``source``: the source tutorial's recipe (windows of 10 one-hot characters, SimpleRNN 128
      unrolled, one prediction per window, batch 128, RMSprop 1e-3);
    - ``7-gram``: Kneser-Ney counts (``utils.ngram``), no training loop: its fitting time is
      reported instead.
``recipe`` (at the smallest budget)
    Chapter 13's better recipe (Embedding 16, LSTM 128, a prediction at every step of sequences
    of 100, batch 64, Adam 1e-2 with clipnorm 1), and the same recipe with one of its changes
    taken back to the source's choice: one prediction per window of 10, one-hot input, a
    SimpleRNN, RMSprop without clipping.
``stacking`` (at the smallest budget)
    The trainer with 2 GRU layers, as wide as gives about the parameters of its default 1 layer.

Each peer is written in plain Keras, as a user would write it, and trained with a constant learning
rate, so one run gives its loss at every budget; every model takes the same compiled training step
as the trainer (``utils.charrnn.train_step_fn``: cross-entropy, gradients, the peer's optimizer).
The validation loss (nats per character) is measured on every validation character, in
consecutive windows of the model's own length, at points along training, and reported against
training seconds and against characters seen (for the peers, at a constant learning rate, a
curve that does not depend on the machine's speed; the trainer's cosine schedule runs on wall-clock
seconds, so its curve does).

Every model trains in a process of its own (so each one's peak memory is its own), and its result
is kept in ``benchmarks/results/charrnn_peers/`` (or ``--report``'s folder) as soon as it ends,
with its settings and the machine: a run that is stopped resumes with the models still missing
(``--fresh`` starts again), and a result kept from another machine is trained again, so one
table holds one machine.

    python benchmarks/charrnn_peers.py                   # budgets of 110 s and 10 min (~75 min)
    python benchmarks/charrnn_peers.py --budgets 110     # the 110-second comparison (~20 min)
    python benchmarks/charrnn_peers.py --groups main --models char-rnn nanogpt --budgets 30
    python benchmarks/charrnn_peers.py --groups main --budgets 110 --report charrnn_peers_second

Writes ``benchmarks/results/charrnn_peers.md``, ``.json`` and ``.svg`` (``--report NAME``: other
files, for a comparison on a second machine that keeps the first one's report).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # TensorFlow's default; before its import

import numpy as np  # noqa: E402

import utils  # noqa: E402
from utils import charrnn  # noqa: E402
from utils.data import load_text  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REPORT = "charrnn_peers"  # the files' name: benchmarks/results/REPORT.md, .json, .svg, REPORT/


# --- The peers, in plain Keras ------------------------------------------------------------------


def tf_tutorial(V: int):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(V, 256),
                              layers.GRU(1024, return_sequences=True), layers.Dense(V)])
    return model, keras.optimizers.Adam(1e-3), {"seq_len": 100, "batch": 64, "one_hot": False}


def char_rnn(V: int):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((None, V)), layers.LSTM(128, return_sequences=True),
                              layers.LSTM(128, return_sequences=True), layers.Dense(V)])
    optimizer = keras.optimizers.RMSprop(2e-3, clipvalue=5.0)
    return model, optimizer, {"seq_len": 50, "batch": 50, "one_hot": True}


def nanogpt(V: int, width: int = 128, heads: int = 4, n_layers: int = 4, context: int = 64):
    import keras
    from keras import layers

    tokens = keras.Input((context,), dtype="int32")
    positions = keras.ops.arange(context)
    x = layers.Embedding(V, width)(tokens) + layers.Embedding(context, width)(positions)
    for _ in range(n_layers):
        a = layers.LayerNormalization()(x)
        a = layers.MultiHeadAttention(heads, width // heads)(a, a, use_causal_mask=True)
        x = x + a
        m = layers.LayerNormalization()(x)
        m = layers.Dense(4 * width, activation="gelu")(m)
        x = x + layers.Dense(width)(m)
    logits = layers.Dense(V)(layers.LayerNormalization()(x))
    model = keras.Model(tokens, logits)
    return model, keras.optimizers.Adam(1e-3), {"seq_len": context, "batch": 12, "one_hot": False,
                                                  "fixed_context": True}


def source(V: int):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((10, V)), layers.SimpleRNN(128, unroll=True),
                              layers.Dense(V)])
    return model, keras.optimizers.RMSprop(1e-3), {"seq_len": 10, "batch": 128, "one_hot": True,
                                                  "last_only": True}


def recipe(V: int, per_step: bool = True, one_hot: bool = False, cell: str = "lstm",
           optimizer: str = "adam"):
    """Chapter 13's better recipe; each argument can take one change back to the source's."""
    import keras
    from keras import layers

    inputs = [keras.Input((None, V))] if one_hot else [keras.Input((None,), dtype="int32"),
                                                        layers.Embedding(V, 16)]
    rnn = {"lstm": layers.LSTM, "simple": layers.SimpleRNN}[cell]
    model = keras.Sequential([*inputs, rnn(128, return_sequences=per_step), layers.Dense(V)])
    opt = (keras.optimizers.Adam(1e-2, clipnorm=1.0) if optimizer == "adam"
           else keras.optimizers.RMSprop(1e-3))
    spec = {"seq_len": 100, "batch": 64} if per_step else {"seq_len": 10, "batch": 128,
                                                           "last_only": True}
    return model, opt, {**spec, "one_hot": one_hot}


def gru_parameters(units: int, layers: int, V: int = 65, embedding: int = 64) -> int:
    """Weights of the trainer's model: embedding, GRU layers (Keras's reset_after), head."""
    n, inputs = V * embedding, embedding
    for _ in range(layers):
        n += 3 * (inputs * units + units * units + 2 * units)  # 3 gates: W, U, two biases
        inputs = units
    return n + units * V + V


def stacked_units(V: int = 65) -> int:
    """The width of 2 GRU layers with about the parameters of the default 1 layer."""
    target = gru_parameters(charrnn.DEFAULTS["units"], 1, V)
    return min(range(8, 1024), key=lambda u: abs(gru_parameters(u, 2, V) - target))


#: name -> (group, what it is, how to build it). Peers of kind "keras" train with ``train_peer``.
MODELS = {
    "trainer": ("main", "the trainer's defaults", None),
    "tf-tutorial": ("main", "TensorFlow's text-generation tutorial", tf_tutorial),
    "char-rnn": ("main", "Karpathy's char-rnn defaults", char_rnn),
    "nanogpt": ("main", "nanoGPT's CPU Transformer", nanogpt),
    "source": ("main", "the source tutorial's recipe", source),
    "7-gram": ("main", "7-gram Kneser-Ney (counting)", None),
    "recipe": ("recipe", "chapter 13's better recipe", recipe),
    "recipe-per-window": ("recipe", "... with one prediction per window of 10",
                          lambda V: recipe(V, per_step=False)),
    "recipe-one-hot": ("recipe", "... with one-hot input", lambda V: recipe(V, one_hot=True)),
    "recipe-simple-rnn": ("recipe", "... with a SimpleRNN", lambda V: recipe(V, cell="simple")),
    "recipe-rmsprop": ("recipe", "... with RMSprop, no clipping",
                       lambda V: recipe(V, optimizer="rmsprop")),
    "trainer-2-layers": ("stacking", "the trainer, 2 GRU layers, same parameters", None),
}
GROUPS = ("main", "recipe", "stacking")

EVAL_WINDOW = 1000  # recurrent peers are scored in windows of this many characters


# --- Batches, steps and scoring -----------------------------------------------------------------


def batch(ids: np.ndarray, spec: dict, rng: np.random.Generator, V: int):
    """Random windows of ``seq_len + 1`` ids -> (inputs, targets) as the peer expects them."""
    n, T = spec["batch"], spec["seq_len"]
    starts = rng.integers(0, len(ids) - T - 1, size=n)
    windows = np.stack([ids[s:s + T + 1] for s in starts])
    x, y = windows[:, :-1], windows[:, 1:]
    if spec.get("last_only"):
        y = y[:, -1]
    return one_hot_if(x, spec, V), y


def one_hot_if(x: np.ndarray, spec: dict, V: int) -> np.ndarray:
    """Ids (..., T) -> one-hot (..., T, V) float32 if the peer reads one-hot vectors."""
    return np.eye(V, dtype=np.float32)[x] if spec["one_hot"] else x


def _nll(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """-log softmax(logits)[target], per position (any leading shape)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]


def scoring_windows(n_ids: int, spec: dict):
    """``(starts, length, first_scored)``: windows that score each validation target once.

    A peer with one prediction per window slides one character at a time (every target sees
    ``seq_len`` characters: ``first_scored`` is None); the Transformer's fixed context slides by
    half a context and scores the second half (the first window all of it), so every target but
    the first few sees at least half a context; a recurrent peer reads consecutive windows of
    ``EVAL_WINDOW`` characters. Only full windows are read: the last few targets of the text
    (fewer than one window) are not scored.
    """
    T = spec["seq_len"]
    if spec.get("last_only"):
        return np.arange(n_ids - T), T, None
    if spec.get("fixed_context"):
        return np.arange(0, n_ids - T, T // 2), T, T // 2
    return np.arange(0, n_ids - EVAL_WINDOW, EVAL_WINDOW), EVAL_WINDOW, 0


def validation_loss(model, ids: np.ndarray, spec: dict, V: int, max_chars: int | None) -> float:
    """Mean nats per character over the validation ids (see :func:`scoring_windows`)."""
    ids = ids[: max_chars + 1] if max_chars else ids
    starts, T, first = scoring_windows(len(ids), spec)
    total, count = 0.0, 0
    for chunk in np.array_split(starts, max(1, len(starts) * T // 32_768)):  # ~32k chars each
        x = np.stack([ids[s:s + T] for s in chunk])
        logits = np.asarray(model(one_hot_if(x, spec, V), training=False))
        if first is None:  # one prediction per window: the target after it
            nll = _nll(logits, ids[chunk + T])
        else:
            nll = _nll(logits, np.stack([ids[s + 1:s + T + 1] for s in chunk]))
            scored = (np.arange(T) >= first) | (chunk[:, None] == 0)  # (rows, T)
            nll = nll[scored]
        total, count = total + nll.sum(), count + nll.size
    return total / count


# --- Training one model (in its own process) ----------------------------------------------------


def peak_memory_mb() -> float:
    """The peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train_peer(name: str, data: dict, budget_s: float, evals_s, eval_chars, seed: int) -> dict:
    """Train one Keras peer for ``budget_s`` training seconds; score it at each of ``evals_s``."""
    import keras  # noqa: F401  (imported first, so that set_seed seeds it)

    utils.set_seed(seed)
    model, optimizer, spec = MODELS[name][2](data["V"])
    step, rng = charrnn.train_step_fn(model, optimizer), utils.model_rng(seed)
    chars_per_step = spec["batch"] * (1 if spec.get("last_only") else spec["seq_len"])
    history, trained, steps = [], 0.0, 0
    pending = sorted(e for e in {*evals_s, budget_s} if e <= budget_s)
    while pending:
        x, y = batch(data["train_ids"], spec, rng, data["V"])
        t0 = time.perf_counter()
        step(x, y)
        if steps > 0:  # the first step traces and compiles the graph: not training time
            trained += time.perf_counter() - t0
        steps += 1
        if trained >= pending[0]:
            loss = validation_loss(model, data["val_ids"], spec, data["V"], eval_chars)
            history.append({"train_seconds": trained, "chars_seen": steps * chars_per_step,
                            "val_loss": float(loss)})
            print(f"  {name}: {trained:.0f} s, {steps} steps, val {loss:.4f}", file=sys.stderr,
                  flush=True)
            while pending and trained >= pending[0]:
                pending.pop(0)
    return {"parameters": model.count_params(), "history": history,
            "chars_per_s": steps * chars_per_step / trained}


def train_trainer(name: str, text: str, budget_s: float, seed: int) -> dict:
    """The course's trainer (defaults, or 2 layers of equal parameters), one run per budget."""
    options = ({"layers": 2, "units": stacked_units()} if name == "trainer-2-layers"
               else {"layers": 1, "units": charrnn.DEFAULTS["units"]})
    with tempfile.TemporaryDirectory() as out:
        state = charrnn.train(out, text=text, minutes=budget_s / 60, val_fraction=0.1,
                              seed=seed, log=lambda line: None, **options)
        model = charrnn.load_model(out)[0]  # (model, vocabulary)
    history = [{k: h[k] for k in ("train_seconds", "chars_seen", "val_loss")}
               for h in state["history"]]
    return {"parameters": model.count_params(), "history": history, "options": options,
            "chars_per_s": state["chars_seen"] / state["train_seconds"]}


def fit_ngram(text: str, order: int = 7) -> dict:
    """Kneser-Ney counts on the training text, scored on the validation text (nats/char)."""
    from utils.ngram import NGramLM

    train_text, val_text = charrnn.split_for_validation(text, 0.1)
    t0 = time.perf_counter()
    model = NGramLM(order, smoothing="kneser-ney").fit(train_text, max_bytes=None)
    seconds = time.perf_counter() - t0
    nats = model.cross_entropy(val_text) * np.log(2)  # cross_entropy is in bits
    return {"parameters": None, "fit_seconds": seconds, "chars_per_s": None,
            "history": [{"train_seconds": None, "chars_seen": len(train_text),
                         "val_loss": float(nats)}]}


def load_data() -> dict:
    """Tiny Shakespeare as ids, cut as the trainer cuts it (first 90% train, last 10% val)."""
    text = load_text("tinyshakespeare")
    train_text, val_text = charrnn.split_for_validation(text, 0.1)
    index = {c: i for i, c in enumerate(sorted(set(text)))}
    as_ids = lambda s: np.array([index[c] for c in s], dtype=np.int32)  # noqa: E731
    return {"text": text, "V": len(index), "train_ids": as_ids(train_text),
            "val_ids": as_ids(val_text)}


def run_one(name: str, budget_s: float, evals_s, eval_chars, seed: int) -> dict:
    """Train and score one model in this process; the result with its label and peak memory."""
    data, t0 = load_data(), time.perf_counter()
    if name.startswith("trainer"):
        result = train_trainer(name, data["text"], budget_s, seed)
    elif name == "7-gram":
        result = fit_ngram(data["text"])
    else:
        result = train_peer(name, data, budget_s, evals_s, eval_chars, seed)
    group, label, _ = MODELS[name]
    return {"name": name, "group": group, "label": label, "budget": budget_s, **result,
            "wall_seconds": time.perf_counter() - t0, "peak_mb": peak_memory_mb()}


# --- The plan, one process per model ------------------------------------------------------------


def plan(groups, models, budgets) -> list[tuple[str, float, list[float]]]:
    """``(name, training seconds, evaluation points)`` for every model to train."""
    budgets, runs = sorted(budgets), []
    evals = sorted({x for b in budgets for x in (b / 4, b / 2, b)})
    for name, (group, _, _) in MODELS.items():
        if group not in groups or (models and name not in models):
            continue
        if name == "trainer":
            runs += [(name, b, [b]) for b in budgets]
        elif group == "main":  # one constant-rate run, scored at every budget
            runs.append((name, budgets[-1], evals))
        else:  # the recipe's parts and stacking: at the smallest budget
            b = budgets[0]
            runs.append((name, b, [b / 4, b / 2, b]))
    return runs


def result_path(name: str, budget_s: float, report: str = REPORT) -> Path:
    """Where one model's result is kept for the report ``report``."""
    return RESULTS / report / f"{name}-{budget_s:g}s.json"


def run_in_child(name: str, budget_s: float, evals_s, args) -> dict:
    """Run one model in a fresh Python process and keep its result (resumable)."""
    path = result_path(name, budget_s, args.report)
    settings = {"evals": evals_s, "eval_chars": args.eval_chars, "seed": args.seed,
                "machine": utils.machine_key()}  # a result from another machine is retrained
    if path.is_file() and not args.fresh:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("settings") == settings:
            print(f"{name} ({budget_s:g} s): kept from {path.name}", flush=True)
            return kept
    cmd = [sys.executable, __file__, "--one", name, "--budgets", str(budget_s),
           "--evals", *map(str, evals_s), "--seed", str(args.seed)]
    if args.eval_chars:
        cmd += ["--eval-chars", str(args.eval_chars)]
    print(f"{name} ({budget_s:g} s) ...", flush=True)
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    result = {**json.loads(done.stdout.strip().splitlines()[-1]), "settings": settings}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    partial.replace(path)  # atomic: a stopped run never leaves half a result
    return result


# --- The report ---------------------------------------------------------------------------------


def loss_at(result: dict, seconds: float) -> float | None:
    """The validation loss at the first evaluation at or after ``seconds`` of training.

    The trainer runs once per budget (its schedule ends with the budget): its run for that
    budget, last evaluation. Counting has no training time: its one loss stands everywhere.
    """
    history = result["history"]
    if result["name"] == "7-gram":
        return history[-1]["val_loss"]
    if result["name"].startswith("trainer"):
        return history[-1]["val_loss"] if abs(result["budget"] - seconds) < 1e-6 else None
    return next((h["val_loss"] for h in history if h["train_seconds"] >= seconds - 1e-6), None)


def best_at(results: list[dict], name: str, seconds: float) -> float | None:
    return next((v for r in results if r["name"] == name
                 and (v := loss_at(r, seconds)) is not None), None)


def fmt(value, spec: str = ".4f", missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def main_table(results: list[dict], budgets) -> list[str]:
    cols = " | ".join(f"val nats at {b:g} s" for b in budgets)
    lines = [f"| model | parameters | {cols} | chars/s | peak MB |",
             "| --- | --- | " + " | ".join("---" for _ in budgets) + " | --- | --- |"]
    for r in (r for r in results if r["group"] == "main"):
        label = r["label"] + (f" ({r['budget']:g}-s run)" if r["name"] == "trainer" else "")
        if r["name"] == "7-gram":
            label += f", fitted in {r['fit_seconds']:.0f} s"
        cells = " | ".join(fmt(loss_at(r, b)) for b in budgets)
        lines.append(f"| {label} | {fmt(r['parameters'], ',')} | {cells} | "
                     f"{fmt(r['chars_per_s'], ',.0f')} | {r['peak_mb']:,.0f} |")
    return lines


def goal_lines(results: list[dict], budgets) -> list[str]:
    """Whether the trainer's defaults beat every trained peer at each budget, in this run."""
    peers = [n for n, (g, _, b) in MODELS.items() if g == "main" and b is not None]
    lines = []
    for b in budgets:
        ours = best_at(results, "trainer", b)
        theirs = {n: v for n in peers if (v := best_at(results, n, b)) is not None}
        if ours is None or not theirs:
            continue
        best_peer = min(theirs, key=theirs.get)
        verdict = "beat" if ours < theirs[best_peer] else "did NOT beat"
        lines.append(f"- after {b:g} s: the trainer's defaults ({ours:.4f}) {verdict} every "
                     f"trained peer (best: {MODELS[best_peer][1]}, {theirs[best_peer]:.4f}).")
    return lines


def part_table(results: list[dict], group: str, base: str) -> list[str]:
    rows = [r for r in results if r["group"] == group or r["name"] == base]
    b = next((r["budget"] for r in rows if r["group"] == group), None)
    ref = best_at(rows, base, b) if b is not None else None
    if ref is None:
        return []
    lines = [f"| model | parameters | val nats at {b:g} s | change | chars/s |",
             "| --- | --- | --- | --- | --- |"]
    for r in rows:
        if (v := loss_at(r, b)) is None:  # another budget's run
            continue
        change = "-" if r["name"] == base or v is None else f"{v - ref:+.4f}"
        lines.append(f"| {r['label']} | {r['parameters']:,} | {fmt(v)} | {change} | "
                     f"{r['chars_per_s']:,.0f} |")
    return lines


def write_report(results: list[dict], budgets, load_before: float,
                 report: str = REPORT) -> Path:
    info = utils.machine_info()
    lines = [
        "# The char-RNN trainer and its peers, in one run", "",
        f"Produced by `python benchmarks/charrnn_peers.py {' '.join(sys.argv[1:])}`".rstrip()
        + f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
        f"{utils.machine_line(load_before, onednn=True)} Each model trained in a process of its "
        "own; "
        "peak MB is that process's peak resident memory. Validation: the last 10% of tiny "
        "Shakespeare, nats per character.", "",
        *main_table(results, budgets), "", *goal_lines(results, budgets), "",
        "Published elsewhere (not measured here): nanoGPT's character-level Shakespeare model "
        "(6 layers, 6 heads, width 384, 10.7 M parameters) reaches 1.4697 nats on one A100 GPU "
        "(its README, `train_shakespeare_char`).",
    ]
    for group, base, title in (("recipe", "recipe", "Chapter 13's recipe, one change at a time"),
                               ("stacking", "trainer", "One layer or two, same parameters")):
        table = part_table(results, group, base)
        if table:
            lines += ["", f"**{title}** ({group} group):", "", *table]
    path = RESULTS / f"{report}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{report}.json").write_text(
        json.dumps({"machine": info, "load_before": load_before, "budgets": budgets,
                    "results": results}, indent=1) + "\n", encoding="utf-8")
    return path


def write_svg(results: list[dict], report: str = REPORT) -> Path:
    import matplotlib.pyplot as plt

    from utils.plot import save_svg, use_book_style

    use_book_style()
    fig, ax = plt.subplots()
    for r in results:
        if r["group"] != "main" or r["name"] == "7-gram":
            continue
        pts = [(h["chars_seen"], h["val_loss"]) for h in r["history"] if h.get("chars_seen")]
        label = r["label"] + (f" ({r['budget']:g} s)" if r["name"] == "trainer" else "")
        ax.plot(*zip(*pts, strict=True), ".-", label=label)
    ngram = next((r for r in results if r["name"] == "7-gram"), None)
    if ngram:
        ax.axhline(ngram["history"][0]["val_loss"], color="grey", ls="--", lw=1,
                   label=ngram["label"])
    ax.set(xscale="log", xlabel="training characters seen", ylabel="validation loss (nats/char)",
           title="Validation loss against characters seen (independent of speed)")
    ax.legend(fontsize=8)
    return save_svg(fig, RESULTS / f"{report}.svg")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budgets", type=float, nargs="+", default=[110.0, 600.0],
                   help="training seconds to compare at (default: 110 and 600)")
    p.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    p.add_argument("--models", nargs="+", choices=list(MODELS), help="only these models")
    p.add_argument("--eval-chars", type=int, default=None,
                   help="score only the first N validation characters (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fresh", action="store_true", help="retrain models already kept")
    p.add_argument("--report", default=REPORT,
                   help=f"name of the files under benchmarks/results/ (default: {REPORT}; "
                   "chapter 13 reads that one)")
    p.add_argument("--one", choices=list(MODELS), help=argparse.SUPPRESS)  # the child's job
    p.add_argument("--evals", type=float, nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if any(not b > 0 for b in args.budgets):
        p.error("--budgets must be > 0")
    if args.one:
        result = run_one(args.one, args.budgets[0], args.evals or [], args.eval_chars, args.seed)
        print(json.dumps(result))
        return 0
    load_before, budgets = os.getloadavg()[0], sorted(args.budgets)
    results = [run_in_child(name, b, evals, args)
               for name, b, evals in plan(args.groups, args.models, budgets)]
    md = write_report(results, budgets, load_before, args.report)
    svg = write_svg(results, args.report)
    print(md.read_text(encoding="utf-8"))
    print(f"wrote {md}, {svg} and {md.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
