"""The char-RNN trainer against its peers, trained side by side in one run on one machine.

Machines of one kind differ (one 2-core machine trains twice as fast as another), so a comparison
with numbers measured elsewhere says little. This script trains, in the same run, on the same split
of tiny Shakespeare (first 90% train, last 10% validation) and for the same training seconds:

- ``trainer``: ``utils.charrnn.train`` with its defaults (one run per budget: its learning rate
  decays along the budget);
- ``tf-tutorial``: TensorFlow's text-generation tutorial (Embedding 256, GRU 1024, sequences of 100,
  batch 64, Adam 1e-3);
- ``char-rnn``: Karpathy's char-rnn defaults (2 x LSTM 128, one-hot input, sequences of 50, batch
  50, RMSprop 2e-3, clipping by value at 5);
- ``nanogpt``: a small Transformer as in nanoGPT's CPU example (4 layers, 4 heads, width 128,
  context 64, batch 12, Adam 1e-3, no dropout);
- ``source``: the source tutorial's recipe (windows of 10 one-hot characters, SimpleRNN 128
  unrolled, one prediction per window, batch 128, RMSprop).

Each peer is written in plain Keras, as a user would write it, and trained with a constant learning
rate, so one run gives its loss at every budget. The validation loss (nats per character) is
measured on every validation character, in consecutive windows of the model's own length, at
points along training, and reported against training seconds and against characters seen (a
curve that does not depend on the machine's speed).

    python benchmarks/charrnn_peers.py                 # budgets of 110 s and 10 min (~1 hour)
    python benchmarks/charrnn_peers.py --budgets 110   # the 110-second comparison (~12 min)
    python benchmarks/charrnn_peers.py --peers char-rnn nanogpt --budgets 30 --eval-chars 20000

Writes ``benchmarks/results/charrnn_peers.md`` and ``.svg``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
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
PEERS = ("tf-tutorial", "char-rnn", "nanogpt", "source")


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
    return model, keras.optimizers.Adam(1e-3), {"seq_len": context, "batch": 12, "one_hot": False}


def source(V: int):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((10, V)), layers.SimpleRNN(128, unroll=True),
                              layers.Dense(V)])
    return model, keras.optimizers.RMSprop(1e-3), {"seq_len": 10, "batch": 128, "one_hot": True,
                                                  "last_only": True}


BUILDERS = {"tf-tutorial": tf_tutorial, "char-rnn": char_rnn, "nanogpt": nanogpt,
            "source": source}


# --- Batches, steps and scoring -----------------------------------------------------------------


def batch(ids: np.ndarray, spec: dict, rng: np.random.Generator, V: int):
    """Random windows of ``seq_len + 1`` ids -> (inputs, targets) as the peer expects them."""
    n, T = spec["batch"], spec["seq_len"]
    starts = rng.integers(0, len(ids) - T - 1, size=n)
    windows = np.stack([ids[s:s + T + 1] for s in starts])
    x, y = windows[:, :-1], windows[:, 1:]
    if spec.get("last_only"):
        y = y[:, -1]
    return (np.eye(V, dtype=np.float32)[x] if spec["one_hot"] else x), y


def step_fn(model, optimizer):
    import tensorflow as tf

    loss_fn = __import__("keras").losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(reduce_retracing=True)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return step


def validation_loss(model, ids: np.ndarray, spec: dict, V: int, max_chars: int | None) -> float:
    """Mean nats per character over the validation ids, in consecutive windows of the model."""
    T = spec["seq_len"]
    ids = ids[: max_chars + 1] if max_chars else ids
    if spec.get("last_only"):  # one prediction per window: slide over every character
        starts = np.arange(0, len(ids) - T - 1)
        total = 0.0
        for chunk in np.array_split(starts, max(1, len(starts) // 2048)):
            x = np.stack([ids[s:s + T] for s in chunk])
            y = ids[chunk + T]
            logits = np.asarray(model(np.eye(V, dtype=np.float32)[x], training=False))
            total += _nll(logits, y).sum()
        return total / len(starts)
    n = (len(ids) - 1) // T
    x = ids[: n * T].reshape(n, T)
    y = ids[1 : n * T + 1].reshape(n, T)
    total = 0.0
    for rows in np.array_split(np.arange(n), max(1, n // 64)):
        xb = np.eye(V, dtype=np.float32)[x[rows]] if spec["one_hot"] else x[rows]
        total += _nll(np.asarray(model(xb, training=False)), y[rows]).sum()
    return total / y.size


def _nll(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """-log softmax(logits)[target], per position (any leading shape)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]


def train_peer(name: str, train_ids, val_ids, V: int, budget_s: float, evals_s, eval_chars,
               seed: int) -> dict:
    """Train one peer for ``budget_s`` training seconds; score it at each of ``evals_s``."""
    utils.set_seed(seed)
    model, optimizer, spec = BUILDERS[name](V)
    step, rng = step_fn(model, optimizer), utils.model_rng(seed)
    chars_per_step = spec["batch"] * (1 if spec.get("last_only") else spec["seq_len"])
    history, trained, steps = [], 0.0, 0
    pending = sorted(set(evals_s) | {budget_s})
    while pending:
        x, y = batch(train_ids, spec, rng, V)
        t0 = time.perf_counter()
        step(x, y)
        if steps > 0:  # the first step traces and compiles the graph: not training time
            trained += time.perf_counter() - t0
        steps += 1
        if trained >= pending[0]:
            history.append({"train_seconds": trained, "chars_seen": steps * chars_per_step,
                            "val_loss": validation_loss(model, val_ids, spec, V, eval_chars)})
            print(f"{name}: {trained:.0f} s, {steps} steps, val {history[-1]['val_loss']:.4f}",
                  flush=True)
            while pending and trained >= pending[0]:
                pending.pop(0)
    return {"name": name, "parameters": model.count_params(), "history": history,
            "chars_per_s": steps * chars_per_step / trained}


def train_trainer(text: str, budget_s: float, seed: int) -> dict:
    """The course's trainer with its defaults, one run for this budget."""
    with tempfile.TemporaryDirectory() as out:
        state = charrnn.train(out, text=text, minutes=budget_s / 60, val_fraction=0.1,
                              seed=seed, log=lambda line: None)
        model = charrnn.load_model(out)[0]  # (model, vocabulary)
    history = [{"train_seconds": h["train_seconds"], "val_loss": h["val_loss"],
                "chars_seen": h.get("chars_seen")} for h in state["history"]]
    return {"name": f"trainer ({budget_s:g} s)", "parameters": model.count_params(),
            "history": history, "chars_per_s": state["chars_seen"] / state["train_seconds"]}


# --- The report ---------------------------------------------------------------------------------


def loss_at(result: dict, seconds: float) -> float | None:
    """The validation loss at the first evaluation at or after ``seconds`` of training."""
    for h in result["history"]:
        if h["train_seconds"] >= seconds - 1e-9:
            return h["val_loss"]
    return None


def write_report(results: list[dict], budgets, args, load_before) -> Path:
    info = utils.machine_info()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cols = " | ".join(f"val nats at {b:g} s" for b in budgets)
    lines = [
        "# The char-RNN trainer and its peers, in one run",
        "",
        f"Produced by `python benchmarks/charrnn_peers.py {' '.join(sys.argv[1:])}`".rstrip()
        + f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"Machine: {info['cores available']} CPU cores ({info['cpu']}; "
        f"{info['vector instructions']}), TensorFlow {info['tensorflow']}, oneDNN "
        f"{'off' if os.environ.get('TF_ENABLE_ONEDNN_OPTS') == '0' else 'on'}; 1-minute load "
        f"average {load_before:.1f} at the start. Peak memory of the process: {peak_mb:,.0f} MB.",
        "",
        f"| model | parameters | {cols} | chars/s |",
        "| --- | --- | " + " | ".join("---" for _ in budgets) + " | --- |",
    ]
    for r in results:
        cells = " | ".join("-" if (v := loss_at(r, b)) is None else f"{v:.4f}" for b in budgets)
        lines.append(f"| {r['name']} | {r['parameters']:,} | {cells} | "
                     f"{r['chars_per_s']:,.0f} |")
    lines += ["", "Published elsewhere (not measured here): nanoGPT's best character-level "
              "Shakespeare model reaches 1.4697 nats on a data-centre GPU (10.7 M parameters)."]
    path = RESULTS / "charrnn_peers.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_svg(results: list[dict]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from utils.plot import use_book_style

    use_book_style()
    fig, ax = plt.subplots()
    for r in results:
        pts = [(h["chars_seen"], h["val_loss"]) for h in r["history"] if h.get("chars_seen")]
        if pts:
            ax.plot(*zip(*pts, strict=True), ".-", label=r["name"])
    ax.set(xscale="log", xlabel="training characters seen", ylabel="validation loss (nats/char)",
           title="Validation loss against characters seen (independent of speed)")
    ax.legend(fontsize=8)
    path = RESULTS / "charrnn_peers.svg"
    fig.savefig(path, format="svg", bbox_inches="tight")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budgets", type=float, nargs="+", default=[110.0, 600.0],
                   help="training seconds to compare at (default: 110 and 600)")
    p.add_argument("--peers", nargs="+", choices=PEERS, default=list(PEERS))
    p.add_argument("--no-trainer", action="store_true", help="train only the peers")
    p.add_argument("--eval-chars", type=int, default=None,
                   help="score only the first N validation characters (default: all)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if any(not b > 0 for b in args.budgets):
        p.error("--budgets must be > 0")
    text = load_text("tinyshakespeare")
    train_text, val_text = charrnn.split_for_validation(text, 0.1)
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    train_ids = np.array([index[c] for c in train_text], dtype=np.int32)
    val_ids = np.array([index[c] for c in val_text], dtype=np.int32)
    budgets = sorted(args.budgets)
    evals = sorted({*budgets, *(b / 4 for b in budgets), *(b / 2 for b in budgets)})
    load_before = os.getloadavg()[0]
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    if not args.no_trainer:
        results += [train_trainer(text, b, args.seed) for b in budgets]
    results += [train_peer(name, train_ids, val_ids, len(chars), budgets[-1], evals,
                           args.eval_chars, args.seed) for name in args.peers]
    md, svg = write_report(results, budgets, args, load_before), write_svg(results)
    print(md.read_text(encoding="utf-8"))
    print(f"wrote {md} and {svg}; {math.fsum(b for b in budgets):.0f} s per model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
