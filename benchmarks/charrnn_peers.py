"""The char-RNN trainer against its peers, trained side by side in one run on one machine.

Machines of one kind differ (one 2-core machine trains twice as fast as another), so a comparison
with numbers measured elsewhere says little. This script trains, in the same run, on the same split
of tiny Shakespeare (first 90% train, last 10% validation) and for the same training seconds:

``main`` (at every budget; the headline rows, each run with ``--seeds`` seeds)
    - ``trainer``: ``utils.charrnn.train`` with its defaults;
    - ``trainer-mixture``: the same, with the trainer's Kneser-Ney mixture option (a 7-gram
      mixed with the network); its row reports the mixture's validation loss. Skipped, with a
      note in the report, when the trainer has no such option;
    - ``tf-tutorial``: TensorFlow's text-generation tutorial (Embedding 256, GRU 1024, sequences
      of 100, batch 64, Adam 1e-3);
    - ``char-rnn``: Karpathy's char-rnn defaults (2 x LSTM 128, one-hot input, sequences of 50,
      batch 50, RMSprop 2e-3 with decay rate 0.95, clipping by value at 5);
    - ``nanogpt``: a small Transformer as in nanoGPT's CPU example (4 layers, 4 heads, width 128,
      context 64, batch 12, AdamW 1e-3 with beta2 0.99 and weight decay 0.1 on the matrices,
      gradients clipped to a global norm of 1, no dropout);
    - ``source``: the source tutorial's recipe (windows of 10 one-hot characters, SimpleRNN 128
      unrolled, one prediction per window, batch 128, RMSprop 1e-3);
    - ``7-gram``: Kneser-Ney counts (``utils.ngram``), no training loop: its fitting time is
      reported instead (deterministic: one run).
``recipe`` (at the smallest budget, seed 0)
    Chapter 13's better recipe (Embedding 16, LSTM 128, a prediction at every step of sequences
    of 100, batch 64, Adam 1e-2 with clipnorm 1), and the same recipe with one of its changes
    taken back to the source's choice: one prediction per window of 10, one-hot input, a
    SimpleRNN, RMSprop without clipping.
``stacking`` (at the smallest budget, seed 0)
    The trainer with 2 GRU layers, as wide as gives about the parameters of its default 1 layer.

How every model is treated alike:

- **One schedule for all** (``--schedule same``, the default): each model takes its published
  optimizer and peak learning rate, and the rate decays along the budget as the trainer's does
  (cosine from the peak to 5% of it over the training seconds), so every model runs once per
  budget and ends its schedule with it. The published schedules themselves count steps or epochs
  (nanoGPT's CPU example decays over 2,000 iterations, char-rnn by 0.97 an epoch after ten): on a
  budget of seconds they would end early on a fast machine and late on a slow one.
  ``--schedule constant`` trains the peers at their constant peak rate instead (one run, scored
  at every budget), as earlier reports did.
- **One clock**: a model's training seconds are the time spent inside its training-step calls
  (``time.perf_counter``, the call returning the loss as a number), the first step (which traces
  and compiles the graph) included, validation and batching excluded: exactly how the trainer
  counts its budget. Its characters per second are the characters of its steps after the first,
  divided by their seconds, the same sum for every model (the trainer's read step by step through
  its ``on_step`` hook); the first step's seconds are reported apart.
- **One environment**: every model is seeded the same way (``keras.utils.set_random_seed``,
  without TensorFlow's deterministic kernels, as the trainer runs) in a fresh process of its own
  (so each one's peak memory is its own), with the same ``TF_ENABLE_ONEDNN_OPTS`` (TensorFlow's
  default, on, unless set) and threads.
- **Seeds**: ``--seeds N`` trains every headline row with seeds 0 .. N-1; the report gives the
  mean and the range (min-max) of each, and says whether the trainer beat each peer in every
  seed or only on the mean.

The validation loss (nats per character) is measured on every validation character, in
consecutive windows of the model's own length, at points along training, and plotted against
characters seen (one colour per model, every seed drawn).

Every model's result is kept in ``benchmarks/results/charrnn_peers/`` (or ``--report``'s folder)
as soon as it ends, with its settings and the machine: a run that is stopped resumes with the
models still missing (``--fresh`` starts again), and a result kept from another machine, or
measured with other settings, is trained again, so one table holds one machine.

    python benchmarks/charrnn_peers.py                   # 110 s and 10 min, one seed (~1 h 45)
    python benchmarks/charrnn_peers.py --seeds 3         # headline rows with 3 seeds (~5 h)
    python benchmarks/charrnn_peers.py --budgets 110     # the 110-second comparison (~30 min)
    python benchmarks/charrnn_peers.py --groups main --models char-rnn nanogpt --budgets 30
    python benchmarks/charrnn_peers.py --groups main --budgets 110 --report charrnn_peers_second
    python benchmarks/charrnn_peers.py --budgets 2 --results /tmp/smoke   # a smoke test

Writes ``benchmarks/results/charrnn_peers.md``, ``.json`` and ``.svg`` (``--report NAME``: other
files, for a comparison on a second machine that keeps the first one's report; ``--results DIR``:
another folder).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
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
from utils.charrnn.scoring import held_out_rows, row_losses  # noqa: E402
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
    optimizer = keras.optimizers.RMSprop(2e-3, rho=0.95, clipvalue=5.0)  # its decay_rate 0.95
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
    # nanoGPT's AdamW: beta2 0.99, weight decay 0.1 on the matrices only, global-norm clip 1
    optimizer = keras.optimizers.AdamW(1e-3, weight_decay=0.1, beta_2=0.99, global_clipnorm=1.0)
    optimizer.exclude_from_weight_decay(
        var_list=[v for v in model.trainable_variables if len(v.shape) < 2])
    return model, optimizer, {"seq_len": context, "batch": 12, "one_hot": False,
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


#: name -> (group, what it is, how to build it). Models with a builder train with ``train_peer``.
MODELS = {
    "trainer": ("main", "the trainer's defaults", None),
    "trainer-mixture": ("main", "the trainer + Kneser-Ney mixture", None),
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
SCHEDULES = ("same", "constant")  # see the module docstring
MIN_LR_FRACTION = 0.05  # the cosine decays to this fraction of the peak, as the trainer's does
MIXTURE_ORDER = 7  # the mixture row's n-gram: the same order as the 7-gram row
#: Kept results measured before these rules (another clock, schedule or seeding) are retrained.
MEASURE = "one clock, first step apart; keras seed without deterministic kernels; v2"


def cosine_rate(peak: float, fraction: float) -> float:
    """The learning rate after ``fraction`` of the budget: cosine from ``peak`` to 5% of it."""
    low = MIN_LR_FRACTION * peak
    return low + (peak - low) * 0.5 * (1.0 + math.cos(math.pi * min(max(fraction, 0.0), 1.0)))


def mixture_field() -> str | None:
    """The name of the trainer's n-gram mixture setting (e.g. ``mix_ngram``), or None."""
    names = [f.name for f in dataclasses.fields(charrnn.TrainConfig)]
    return next((n for n in names if "mix" in n and "ngram" in n), None)


def mixture_loss(record: dict) -> float:
    """The mixture's validation loss in one record of the trainer's history."""
    keys = sorted(k for k, v in record.items() if "mix" in k and "loss" in k
                  and isinstance(v, (int, float)) and not isinstance(v, bool))
    keys = [k for k in keys if "val" in k] or keys
    if not keys:
        raise KeyError(f"the trainer's history has no mixture loss (keys: {sorted(record)}): "
                       f"update mixture_loss() in {Path(__file__).name} to its name.")
    return float(record[keys[0]])


class StepClock:
    """Training seconds and characters per second, counted the same way for every model.

    ``seconds``: the time inside the training-step calls, the first one included (the budget, as
    the trainer counts it). ``chars_per_s()``: the characters of the steps after the first over
    their seconds (the first step traces and compiles the graph: ``first_step_seconds``).
    """

    def __init__(self):
        self.seconds, self.chars, self.first = 0.0, 0, None

    def observe(self, seconds: float, chars: int) -> None:
        """Record the totals after a step (the trainer's ``on_step`` gives them)."""
        self.seconds, self.chars = seconds, chars
        if self.first is None:
            self.first = (seconds, chars)

    def step(self, dt: float, chars: int) -> None:
        """Count one step of ``dt`` seconds and ``chars`` characters."""
        self.observe(self.seconds + dt, self.chars + chars)

    @property
    def first_step_seconds(self) -> float | None:
        return None if self.first is None else self.first[0]

    def chars_per_s(self) -> float | None:
        if self.first is None or self.seconds <= self.first[0]:
            return None
        return (self.chars - self.first[1]) / (self.seconds - self.first[0])


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


def scoring_rows(n_ids: int, spec: dict):
    """``(pos, scored)`` of :func:`~utils.charrnn.scoring.held_out_rows`: rows that score each
    validation target once, in the peer's own window length.

    A peer with one prediction per window slides one character at a time (every target sees
    ``seq_len`` characters); the Transformer's fixed context slides by half a context and scores
    the second half (the first window all of it: nothing comes before it), so every target but
    the first few sees at least half a context; a recurrent peer reads consecutive windows of
    ``EVAL_WINDOW`` characters from a zero state. Only full windows are read: the last few
    targets of the text (fewer than one window) are not scored.
    """
    T = spec["seq_len"]
    if spec.get("last_only"):
        return held_out_rows(n_ids, first=T, row=1, warm=T - 1)
    if spec.get("fixed_context"):
        half = T // 2
        n_rows = len(range(0, n_ids - T, half))
        pos, scored = held_out_rows(half + 1 + n_rows * half, first=half + 1, row=half,
                                    warm=half)
        scored[0] = True
        return pos, scored
    n_rows = len(range(0, n_ids - EVAL_WINDOW, EVAL_WINDOW))
    return held_out_rows(1 + n_rows * EVAL_WINDOW, first=1, row=EVAL_WINDOW)


def validation_loss(model, ids: np.ndarray, spec: dict, V: int, max_chars: int | None) -> float:
    """Mean nats per character over the validation ids (see :func:`scoring_rows`)."""
    ids = ids[: max_chars + 1] if max_chars else ids
    pos, scored = scoring_rows(len(ids), spec)
    return float(row_losses(lambda x: model(one_hot_if(x, spec, V), training=False),
                            ids, pos, scored).mean())


# --- Training one model (in its own process) ----------------------------------------------------


def peak_memory_mb() -> float:
    """The peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras as the trainer does (no deterministic kernels)."""
    import keras

    keras.utils.set_random_seed(utils.shifted_seed(seed))


def train_peer(name: str, data: dict, budget_s: float, evals_s, eval_chars, seed: int,
               schedule: str = "same") -> dict:
    """Train one Keras peer for ``budget_s`` training seconds; score it at each of ``evals_s``.

    ``schedule="same"``: the rate decays along ``budget_s`` as the trainer's does;
    ``"constant"``: the peer's peak rate throughout.
    """
    seed_everything(seed)
    model, optimizer, spec = MODELS[name][2](data["V"])
    peak = float(optimizer.learning_rate)
    step, rng = charrnn.train_step_fn(model, optimizer), utils.model_rng(seed)
    chars_per_step = spec["batch"] * (1 if spec.get("last_only") else spec["seq_len"])
    clock, history, steps = StepClock(), [], 0
    pending = sorted(e for e in {*evals_s, budget_s} if e <= budget_s)
    while pending:
        if schedule == "same":
            optimizer.learning_rate.assign(cosine_rate(peak, clock.seconds / budget_s))
        x, y = batch(data["train_ids"], spec, rng, data["V"])
        t0 = time.perf_counter()
        float(step(x, y))  # the loss as a number, as the trainer takes it
        clock.step(time.perf_counter() - t0, chars_per_step)
        steps += 1
        if clock.seconds >= pending[0]:
            loss = validation_loss(model, data["val_ids"], spec, data["V"], eval_chars)
            history.append({"train_seconds": clock.seconds, "chars_seen": clock.chars,
                            "val_loss": float(loss)})
            print(f"  {name}: {clock.seconds:.0f} s, {steps} steps, val {loss:.4f}",
                  file=sys.stderr, flush=True)
            while pending and clock.seconds >= pending[0]:
                pending.pop(0)
    return {"parameters": model.count_params(), "history": history, "steps": steps,
            "chars_per_s": clock.chars_per_s(), "first_step_seconds": clock.first_step_seconds,
            "per_budget": schedule == "same"}


def trainer_options(name: str) -> dict:
    """The trainer's settings for a row: its defaults, 2 layers, or with the mixture."""
    if name == "trainer-2-layers":
        return {"layers": 2, "units": stacked_units()}
    options = {"layers": 1, "units": charrnn.DEFAULTS["units"]}
    if name == "trainer-mixture":
        field = mixture_field()
        if field is None:
            raise ValueError("the trainer has no n-gram mixture option (a TrainConfig field "
                             "named like mix_ngram): the trainer-mixture row cannot run.")
        options[field] = MIXTURE_ORDER
    return options


def train_trainer(name: str, text: str, budget_s: float, seed: int) -> dict:
    """The course's trainer (defaults, 2 layers of equal parameters, or with the mixture)."""
    options, clock = trainer_options(name), StepClock()
    with tempfile.TemporaryDirectory() as out:
        state = charrnn.train(out, text=text, minutes=budget_s / 60, val_fraction=0.1,
                              seed=utils.shifted_seed(seed), log=lambda line: None,
                              on_step=lambda s: clock.observe(s["train_seconds"],
                                                              s["chars_seen"]),
                              **options)
        model = charrnn.load_model(out)[0]  # (model, vocabulary, ...)
    history = []
    for h in state["history"]:
        record = {k: h[k] for k in ("train_seconds", "chars_seen", "val_loss")}
        if name == "trainer-mixture":  # the row reports the mixture; the network's kept beside
            record.update({k: v for k, v in h.items() if "mix" in k or "ngram" in k},
                          network_val_loss=h["val_loss"], val_loss=mixture_loss(h))
        history.append(record)
    return {"parameters": model.count_params(), "history": history, "options": options,
            "chars_per_s": clock.chars_per_s(), "first_step_seconds": clock.first_step_seconds,
            "per_budget": True}


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


def run_one(name: str, budget_s: float, evals_s, eval_chars, seed: int,
            schedule: str = "same") -> dict:
    """Train and score one model in this process; the result with its label and peak memory."""
    data, t0 = load_data(), time.perf_counter()
    if name.startswith("trainer"):
        result = train_trainer(name, data["text"], budget_s, seed)
    elif name == "7-gram":
        result = fit_ngram(data["text"])
    else:
        result = train_peer(name, data, budget_s, evals_s, eval_chars, seed, schedule)
    group, label, _ = MODELS[name]
    return {"name": name, "group": group, "label": label, "budget": budget_s, "seed": seed,
            **result, "wall_seconds": time.perf_counter() - t0, "peak_mb": peak_memory_mb()}


# --- The plan, one process per model ------------------------------------------------------------


def plan(groups, models, budgets, seeds: int = 1, schedule: str = "same"):
    """``(name, training seconds, evaluation points, seed)`` for every model to train.

    The headline rows (group ``main``) run with seeds ``0 .. seeds - 1``, each budget a run of
    its own (under ``schedule="constant"`` a peer runs once, at the largest budget, scored at
    every budget); the 7-gram, which does not train, once; the recipe group at the smallest
    budget with seed 0; the stacking group (the alternative to the defaults, so it is judged as
    surely as they are) at the smallest budget with every seed. The mixture row is planned only
    when the trainer offers it.
    """
    budgets, runs = sorted(budgets), []
    evals = sorted({x for b in budgets for x in (b / 4, b / 2, b)})
    for name, (group, _, _) in MODELS.items():
        if group not in groups or (models and name not in models):
            continue
        if name == "trainer-mixture" and mixture_field() is None:
            continue
        if name == "7-gram":
            runs.append((name, budgets[-1], [], 0))
        elif group != "main":  # the recipe's parts and stacking: at the smallest budget
            b = budgets[0]  # stacking, the alternative to the defaults, with every seed
            runs += [(name, b, [b / 4, b / 2, b], seed)
                     for seed in range(seeds if group == "stacking" else 1)]
        elif name.startswith("trainer") or schedule == "same":  # one run per budget
            runs += [(name, b, [b / 4, b / 2, b], seed) for seed in range(seeds)
                     for b in budgets]
        else:  # one constant-rate run, scored at every budget
            runs += [(name, budgets[-1], evals, seed) for seed in range(seeds)]
    return runs


def skipped_lines(groups, models) -> list[str]:
    """A note for each row asked for that cannot run here (the mixture without the option)."""
    wanted = "main" in groups and (not models or "trainer-mixture" in models)
    if wanted and mixture_field() is None:
        return [f"- {MODELS['trainer-mixture'][1]}: not run, because `utils.charrnn."
                "TrainConfig` has no n-gram mixture option (a field named like `mix_ngram`) "
                "in this version of the trainer."]
    return []


def result_path(name: str, budget_s: float, report: str = REPORT, seed: int = 0,
                results: Path = RESULTS) -> Path:
    """Where one model's result is kept for the report ``report`` (seed 0: no suffix)."""
    suffix = f"-seed{seed}" if seed else ""
    return Path(results) / report / f"{name}-{budget_s:g}s{suffix}.json"


def run_in_child(name: str, budget_s: float, evals_s, seed: int, args) -> dict:
    """Run one model in a fresh Python process and keep its result (resumable)."""
    path = result_path(name, budget_s, args.report, seed, args.results)
    settings = {"evals": evals_s, "eval_chars": args.eval_chars, "seed": seed,
                "schedule": args.schedule, "measure": MEASURE,
                "machine": utils.machine_key()}  # a result from another machine is retrained
    if path.is_file() and not args.fresh:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("settings") == settings:
            print(f"{name} ({budget_s:g} s, seed {seed}): kept from {path.name}", flush=True)
            return kept
    cmd = [sys.executable, __file__, "--one", name, "--budgets", str(budget_s),
           "--evals", *map(str, evals_s), "--seed", str(seed), "--schedule", args.schedule]
    if args.eval_chars:
        cmd += ["--eval-chars", str(args.eval_chars)]
    print(f"{name} ({budget_s:g} s, seed {seed}) ...", flush=True)
    load = [os.getloadavg()[0]]  # other work on the machine slows a run: kept with it
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    load.append(os.getloadavg()[0])
    result = {**json.loads(done.stdout.strip().splitlines()[-1]), "load": load,
              "settings": settings}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    partial.replace(path)  # atomic: a stopped run never leaves half a result
    return result


# --- The report ---------------------------------------------------------------------------------


def is_per_budget(result: dict) -> bool:
    """Whether the run's schedule ended with its budget (so it stands for that budget only)."""
    return result.get("per_budget", result["name"].startswith("trainer"))


def loss_at(result: dict, seconds: float) -> float | None:
    """The validation loss of a run at ``seconds`` of training, or None.

    A run whose schedule ends with its budget (the trainer, and every model under the same
    schedule): its last evaluation, for its own budget only. A constant-rate run: its first
    evaluation at or after ``seconds``. Counting has no training time: its one loss stands
    everywhere.
    """
    history = result["history"]
    if result["name"] == "7-gram":
        return history[-1]["val_loss"]
    if is_per_budget(result):
        return history[-1]["val_loss"] if abs(result["budget"] - seconds) < 1e-6 else None
    return next((h["val_loss"] for h in history if h["train_seconds"] >= seconds - 1e-6), None)


def spread(values) -> dict | None:
    """``{"mean", "min", "max", "n"}`` of the values that are not None (None if there are none)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"mean": float(np.mean(values)), "min": float(min(values)),
            "max": float(max(values)), "n": len(values)}


def summarize(results: list[dict], budgets) -> list[dict]:
    """One row per model: its loss at each budget and its chars/s, over seeds (see spread)."""
    rows = []
    for name, (group, label, _) in MODELS.items():
        runs = [r for r in results if r["name"] == name]
        if not runs:
            continue
        seeds = sorted({r.get("seed", 0) for r in runs})
        losses = {}
        for b in budgets:  # each seed gives at most one loss at a budget
            per_seed = [next((v for r in runs if r.get("seed", 0) == s
                              and (v := loss_at(r, b)) is not None), None) for s in seeds]
            losses[b] = spread(per_seed)
        label = label + (f", fitted in {runs[0]['fit_seconds']:.1f} s" if name == "7-gram"
                         else "")
        rows.append({"name": name, "group": group, "label": label, "seeds": seeds,
                     "parameters": runs[0]["parameters"], "losses": losses,
                     "chars_per_s": spread(r.get("chars_per_s") for r in runs),
                     "peak_mb": max(r["peak_mb"] for r in runs)})
    return rows


def fmt(value, spec: str = ".4f", missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def fmt_spread(s: dict | None, spec: str = ".4f", to: str = "-") -> str:
    """``mean (min-max)`` of several seeds, the value alone for one, ``-`` for none.

    A signed ``spec`` (``"+.4f"``) wants ``to=" to "``: "(-0.05 to -0.03)" reads well where
    "(-0.05--0.03)" does not.
    """
    if s is None:
        return "-"
    if s["n"] == 1:
        return format(s["mean"], spec)
    return f"{s['mean']:{spec}} ({s['min']:{spec}}{to}{s['max']:{spec}})"


def main_table(summary: list[dict], budgets) -> list[str]:
    cols = " | ".join(f"val nats at {b:g} s" for b in budgets)
    lines = [f"| model | seeds | parameters | {cols} | chars/s | peak MB |",
             "| --- | --- | --- | " + " | ".join("---" for _ in budgets) + " | --- | --- |"]
    for row in (r for r in summary if r["group"] == "main"):
        cells = " | ".join(fmt_spread(row["losses"][b]) for b in budgets)
        lines.append(f"| {row['label']} | {len(row['seeds'])} | {fmt(row['parameters'], ',')} | "
                     f"{cells} | {fmt_spread(row['chars_per_s'], ',.0f')} | "
                     f"{row['peak_mb']:,.0f} |")
    return lines


def goal_lines(results: list[dict], budgets) -> list[str]:
    """Whether the trainer's defaults beat every trained peer at each budget, and how surely.

    "in every seed": the trainer's worst seed is below every peer's best seed; "on the mean
    only": its mean is below every peer's mean, but the seeds overlap.
    """
    summary = {r["name"]: r for r in summarize(results, budgets)}
    peers = [n for n, (g, _, b) in MODELS.items() if g == "main" and b is not None]
    lines = []
    for b in budgets:
        ours = summary.get("trainer", {}).get("losses", {}).get(b)
        theirs = {n: s for n in peers if n in summary and (s := summary[n]["losses"][b])}
        if ours is not None and theirs:
            best = min(theirs, key=lambda n: theirs[n]["mean"])
            seeds = f"mean of {ours['n']} seeds, " if ours["n"] > 1 else ""
            if ours["max"] < min(s["min"] for s in theirs.values()):
                verdict = "beat every trained peer" + (" in every seed" if ours["n"] > 1 else "")
            elif ours["mean"] < theirs[best]["mean"]:
                verdict = "beat every trained peer on the mean, not in every seed"
            else:
                verdict = "did NOT beat every trained peer"
            lines.append(f"- after {b:g} s: the trainer's defaults ({seeds}{ours['mean']:.4f}) "
                         f"{verdict} (best peer: {MODELS[best][1]}, "
                         f"{theirs[best]['mean']:.4f}).")
        lines += mixture_lines(results, summary, b)
    return lines


def mixture_lines(results: list[dict], summary: dict, b: float) -> list[str]:
    """The mixture row at budget ``b`` against nanoGPT's A100 result, with its own network."""
    mix = summary.get("trainer-mixture", {}).get("losses", {}).get(b)
    if mix is None:
        return []
    seeds = f"mean of {mix['n']} seeds, " if mix["n"] > 1 else ""
    lines = [f"- after {b:g} s: the trainer + Kneser-Ney mixture ({seeds}{fmt_spread(mix)}) "
             f"is {nanogpt_side(mix)} nanoGPT's published A100 result ({NANOGPT_A100}), by "
             f"{abs(mix['mean'] - NANOGPT_A100):.4f} nats."]
    network = spread(r["history"][-1].get("network_val_loss") for r in results
                     if r["name"] == "trainer-mixture" and loss_at(r, b) is not None)
    if network is not None:
        lines.append(f"- after {b:g} s: the network alone, in the same runs "
                     f"({fmt_spread(network)}), is {nanogpt_side(network)} that result, by "
                     f"{abs(network['mean'] - NANOGPT_A100):.4f} nats; the mixture gained "
                     f"{network['mean'] - mix['mean']:.4f} nats on it.")
    return lines


def nanogpt_side(s: dict) -> str:
    """Where a spread of losses lies against nanoGPT's published A100 result."""
    if s["max"] < NANOGPT_A100:
        return "below"
    return "below on the mean" if s["mean"] < NANOGPT_A100 else "above"


NANOGPT_A100 = 1.4697  # nanoGPT's README, train_shakespeare_char (not measured here)


def part_table(results: list[dict], group: str, base: str) -> list[str]:
    """The recipe or stacking group against its base row at the group's budget.

    Each row gives its loss over the seeds it ran (``mean (min-max)`` for several) and its change
    against the base row in the same seeds, seed by seed: a change below zero is a gain.
    """
    b = min((r["budget"] for r in results if r["group"] == group), default=None)
    if b is None:
        return []

    def by_seed(name: str) -> dict:
        return {r.get("seed", 0): v for r in results
                if r["name"] == name and (v := loss_at(r, b)) is not None}

    ref = by_seed(base)
    if not ref:
        return []
    names = list(dict.fromkeys(r["name"] for r in results
                               if r["group"] == group or r["name"] == base))
    lines = [f"| model | seeds | parameters | val nats at {b:g} s | change | chars/s |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name in names:
        losses = by_seed(name)
        if not losses:
            continue
        paired = [losses[s] - ref[s] for s in sorted(losses) if s in ref]
        change = "-" if name == base else fmt_spread(spread(paired), "+.4f", " to ")
        run = next(r for r in results if r["name"] == name)
        speeds = spread(r.get("chars_per_s") for r in results
                        if r["name"] == name and loss_at(r, b) is not None)
        lines.append(f"| {run['label']} | {len(losses)} | {run['parameters']:,} | "
                     f"{fmt_spread(spread(losses.values()))} | {change} | "
                     f"{fmt(speeds and speeds['mean'], ',.0f')} |")
    return lines


def part_seeds(results: list[dict], group: str) -> str:
    """``seed 0`` or ``seeds 0-2``: the seeds a group's rows ran with."""
    seeds = sorted({r.get("seed", 0) for r in results if r["group"] == group})
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"


def method_lines(seeds: int, schedule: str) -> list[str]:
    """How the run was made fair, in the report's words (see the module docstring)."""
    rule = ("every model takes its published optimizer and peak learning rate, decayed along "
            "the budget as the trainer's is (cosine to 5% of the peak), one run per budget"
            if schedule == "same" else
            "the peers train at their published constant learning rate (one run, scored at "
            "every budget); the trainer decays its rate along each budget")
    seeds_text = (f"Headline rows: seeds 0 to {seeds - 1}, shown as mean (min-max); "
                  if seeds > 1 else "Headline rows: one seed (0); ")
    return [f"Schedule: {rule}. Training seconds: the time inside the training-step calls, the "
            "first (compiling) step included, validation excluded, for every model as the "
            "trainer counts its budget; chars/s: the characters of the steps after the first "
            "over their seconds, the same sum for every model. " + seeds_text
            + "the recipe and stacking tables: seed 0."]


def load_line(results: list[dict]) -> list[str]:
    """The 1-minute load average around the models' runs (their own process adds about 2)."""
    loads = [x for r in results for x in r.get("load", [])]
    if not loads:
        return []
    cores = os.cpu_count() or 1
    busy = sorted({r["name"] for r in results if max(r.get("load", [0])) > cores + 1})
    return [f"1-minute load average at the start and end of each model's run: {min(loads):.1f} "
            f"to {max(loads):.1f} on {cores} cores (a run's own threads add up to {cores})"
            + (f"; above {cores + 1} during: {', '.join(busy)} (other work slowed them)."
               if busy else ".")]


def write_report(results: list[dict], budgets, load_before: float, report: str = REPORT,
                 results_dir: Path = RESULTS, seeds: int = 1, schedule: str = "same",
                 skipped: list[str] = ()) -> Path:
    info = utils.machine_info()
    summary = summarize(results, budgets)
    lines = [
        "# The char-RNN trainer and its peers, in one run", "",
        f"Produced by `python benchmarks/charrnn_peers.py {' '.join(sys.argv[1:])}`".rstrip()
        + f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
        f"{utils.machine_line(load_before, onednn=True)} Each model trained in a process of its "
        "own; peak MB is that process's peak resident memory. Validation: the last 10% of tiny "
        "Shakespeare, nats per character.", "",
        *method_lines(seeds, schedule), *load_line(results), "",
        *main_table(summary, budgets), "", *goal_lines(results, budgets), *skipped, "",
        "Published elsewhere (not measured here): nanoGPT's character-level Shakespeare model "
        "(6 layers, 6 heads, width 384, 10.7 M parameters) reaches 1.4697 nats on one A100 GPU "
        "(its README, `train_shakespeare_char`).",
    ]
    for group, base, title in (("recipe", "recipe", "Chapter 13's recipe, one change at a time"),
                               ("stacking", "trainer", "One layer or two, same parameters")):
        table = part_table(results, group, base)
        if table:
            lines += ["", f"**{title}** ({group} group, {part_seeds(results, group)}):", "",
                      *table]
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{report}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first_seed = [r for r in results if r.get("seed", 0) == 0]  # what chapter 13 reads
    (results_dir / f"{report}.json").write_text(
        json.dumps({"machine": info, "load_before": load_before, "budgets": budgets,
                    "seeds": seeds, "schedule": schedule, "results": first_seed,
                    "runs": results, "summary": summary}, indent=1) + "\n", encoding="utf-8")
    return path


#: One colour per model, the same in every figure of the benchmark and on the results page.
COLOURS = {"trainer": "#1f77b4", "trainer-mixture": "#17becf", "tf-tutorial": "#ff7f0e",
           "char-rnn": "#2ca02c", "nanogpt": "#d62728", "source": "#9467bd", "7-gram": "#7f7f7f",
           "trainer-2-layers": "#8c564b", "recipe": "#e377c2"}


def colour(name: str) -> str:
    return COLOURS.get(name, "#bcbd22")


def write_svg(results: list[dict], report: str = REPORT, results_dir: Path = RESULTS) -> Path:
    """Validation loss against characters seen: one colour per model, every seed drawn."""
    import matplotlib.pyplot as plt

    from utils.plot import save_svg, use_book_style

    use_book_style()
    fig, ax = plt.subplots()
    budgets = sorted({r["budget"] for r in results if r["group"] == "main"})
    styles = {b: ls for b, ls in zip(reversed(budgets), ("-", "--", ":", "-."), strict=False)}
    labelled = set()
    for r in results:
        if r["group"] != "main" or r["name"] == "7-gram":
            continue
        pts = [(h["chars_seen"], h["val_loss"]) for h in r["history"] if h.get("chars_seen")]
        if not pts:
            continue
        per_budget = is_per_budget(r)
        key = (r["name"], r["budget"] if per_budget else None)
        label = None
        if key not in labelled:
            labelled.add(key)
            label = MODELS[r["name"]][1] + (f" ({r['budget']:g}-s run)" if per_budget
                                            and len(budgets) > 1 else "")
        ax.plot(*zip(*pts, strict=True), marker=".", ls=styles.get(r["budget"], "-"),
                color=colour(r["name"]), alpha=0.9 if r.get("seed", 0) == 0 else 0.45,
                label=label)
    ngram = next((r for r in results if r["name"] == "7-gram"), None)
    if ngram:
        ax.axhline(ngram["history"][0]["val_loss"], color=colour("7-gram"), ls="--", lw=1,
                   label=ngram["label"])
    ax.set(xscale="log", xlabel="training characters seen", ylabel="validation loss (nats/char)",
           title="Validation loss against characters seen")
    ax.legend(fontsize=7)
    return save_svg(fig, Path(results_dir) / f"{report}.svg")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budgets", type=float, nargs="+", default=[110.0, 600.0],
                   help="training seconds to compare at (default: 110 and 600)")
    p.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    p.add_argument("--models", nargs="+", choices=list(MODELS), help="only these models")
    p.add_argument("--eval-chars", type=int, default=None,
                   help="score only the first N validation characters (default: all)")
    p.add_argument("--seeds", type=int, default=1,
                   help="run the headline rows with seeds 0 .. N-1 (default 1)")
    p.add_argument("--schedule", choices=SCHEDULES, default="same",
                   help="same: every model decays its rate along the budget as the trainer does "
                   "(default); constant: the peers keep their peak rate")
    p.add_argument("--fresh", action="store_true", help="retrain models already kept")
    p.add_argument("--report", default=REPORT,
                   help=f"name of the files under the results folder (default: {REPORT}; "
                   "chapter 13 reads that one)")
    p.add_argument("--results", type=Path, default=RESULTS,
                   help="the folder for the report and the kept results (default: "
                   "benchmarks/results)")
    p.add_argument("--one", choices=list(MODELS), help=argparse.SUPPRESS)  # the child's job
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--evals", type=float, nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if any(not b > 0 for b in args.budgets):
        p.error("--budgets must be > 0")
    if not 1 <= args.seeds <= 100:
        p.error(f"--seeds must be an integer from 1 to 100, got {args.seeds}")
    if args.one:
        result = run_one(args.one, args.budgets[0], args.evals or [], args.eval_chars, args.seed,
                         args.schedule)
        print(json.dumps(result))
        return 0
    load_before, budgets = os.getloadavg()[0], sorted(args.budgets)
    results = [run_in_child(name, b, evals, seed, args)
               for name, b, evals, seed in plan(args.groups, args.models, budgets, args.seeds,
                                                args.schedule)]
    if not results:
        p.error("nothing to run: --groups and --models select no model")
    skipped = skipped_lines(args.groups, args.models)
    md = write_report(results, budgets, load_before, args.report, args.results, args.seeds,
                      args.schedule, skipped)
    svg = write_svg(results, args.report, args.results)
    print(md.read_text(encoding="utf-8"))
    print(f"wrote {md}, {svg} and {md.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
