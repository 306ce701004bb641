"""Train, sample and evaluate a character-level recurrent language model on any text.

The better recipe of chapter 13, packaged: integer ids and an ``Embedding`` (no one-hot copy of
the corpus), sequences of ``seq_len`` characters with a prediction at every step, ``tf.data``,
GRU or LSTM layers with dropout between them, Adam with gradient clipping (Keras's ``clipnorm``:
each gradient tensor separately), a learning rate that decays along the training budget, and
generation with a stateful one-step model. The defaults (:data:`DEFAULTS`) are the best
configuration found for 2 CPU cores.

Command line::

    python -m utils.charrnn train --text FILE --out DIR [--minutes M] [--cell lstm|gru]
        [--units U] [--layers L] [--seq-len T] [--batch B] [--val-fraction 0.1]
        [--embedding E] [--dropout P] [--lr LR] [--seed S] [--epochs N] [--eval-seconds S]
        [--allow-other-files]
    python -m utils.charrnn sample --model DIR --prime TEXT --length N --temperature T [--seed S]
    python -m utils.charrnn evaluate --model DIR --text FILE

The text is split by position: the first ``1 - val_fraction`` of the characters for training, the
rest for validation. Training shows progress (a bar with the time left on a terminal, one line
per validation otherwise), scores the validation text every ``eval_seconds`` of training and at
the end of each epoch, and ends with where the best model is and the command that samples it.

DIR is a run directory (:mod:`utils.rundir`): ``config.json`` (the settings, the SHA-256 of the
text and of the vocabulary), ``vocab.json`` (:meth:`utils.data.Vocabulary.to_json`), ``state.json``
(progress, history, the checkpoints' names and SHA-256), ``latest-STEP.weights.h5`` +
``latest-STEP.optimizer.npz`` (weights and Adam's moments) and ``best-STEP.weights.h5`` (the best
by validation loss, used by ``sample`` and ``evaluate``), and ``train.lock`` while a trainer runs.
Every file is written to a temporary name and moved into place, ``state.json`` last, so a run
killed at any moment leaves a consistent directory; Ctrl-C (or SIGTERM from the command line) saves
the steps finished so far before stopping, and a second Ctrl-C waits for that save (a process
started with Ctrl-C ignored, as ``nohup`` and ``cmd &`` in a script start it, keeps it ignored;
SIGTERM still saves). Running the same command again resumes where the run stopped (and says so); a
larger ``--minutes`` or ``--epochs`` extends it. A directory with files of other programs, or with
a trainer already at work, is refused; damaged files are named, with what to do (``sample`` and
``evaluate`` fall back on the other checkpoint, with a warning), and a checkpoint is never deleted
unless a valid ``state.json`` shows it to be left over. A full disk or a read-only directory is a
sentence, not a traceback; a read-only run can be sampled and evaluated. A model larger than
:data:`MAX_PARAMETERS` weights or :data:`MAX_LAYERS` layers is refused before it is built, whether
asked on the command line or in a config.json. On the command line, TensorFlow's start-up notices
are kept off the terminal (errors still show).

Scoring (``evaluate``): every character of the text is scored once. The text is read as if it
followed blank space (the model first reads a short run of newlines, or spaces when the vocabulary
has no newline), so the first character is scored too. A character outside the vocabulary costs
``ln(V + 1)`` nats (a uniform guess over the ``V`` known characters plus one "other" symbol), is
counted as unknown, and is fed to the model as that blank character. Long texts are scored as
parallel streams, each of which first reads ``warmup`` characters of the text before it (not
scored), so that every character has context.

Only the functions here import Keras and TensorFlow, when called: ``import utils`` stays light.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shlex
import signal
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass

import numpy as np

from utils.data import Vocabulary
from utils.data import read_text_file as read_utf8_file
from utils.rundir import RunDir, RunDirError, RunDirReadOnly, RunDirWarning

__all__ = [
    "DEFAULTS",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "TrainConfig",
    "build_model",
    "evaluate",
    "evaluate_ids",
    "load_model",
    "main",
    "parameter_count",
    "sample",
    "split_for_validation",
    "train",
    "train_step_fn",
]

#: The default configuration, chosen for 2 CPU cores and budgets of 110 s and 10 minutes.
#: ``benchmarks/tune_defaults.py`` reruns the comparisons behind it on a slice of the training
#: text (never on the validation split the benchmarks report) and writes them, with the
#: machine, to ``benchmarks/results/tune_defaults.md`` (110 s) and ``tune_defaults_600s.md``
#: (10 minutes): the defaults with one setting changed at a time, for the same training
#: seconds, each report ending with its computed verdict. On 2026-12-02 the 110-s runs (an
#: AVX-512 machine) favoured a narrower GRU and no dropout (fewer characters seen: less to
#: overfit); the 10-minute runs (an AVX2 machine) kept the width 384 ahead of 256 and 512 and
#: found dropout 0, 0.1 and 0.2 within 0.01 nats. One configuration serves both budgets and
#: both machines: ``benchmarks/charrnn_peers.py`` found it ahead of every peer in one run, at
#: 110 s and 10 minutes on the first machine and at 110 s on the second. The trainer does not
#: pick a width from the machine's speed.
DEFAULTS = {
    "cell": "gru",
    "units": 384,
    "layers": 1,
    "embedding": 64,
    "dropout": 0.2,
    "seq_len": 50,
    "batch": 64,
    "lr": 5e-3,
    "clipnorm": 1.0,
    "schedule": "cosine",
    "val_fraction": 0.1,
    "seed": 0,
}

#: Settings that define a run: resuming with different values is refused.
_RUN_KEYS = ("cell", "units", "layers", "embedding", "dropout", "seq_len", "batch", "lr",
             "clipnorm", "schedule", "val_fraction", "seed")
#: Marks a config.json as the settings of a run of this trainer.
_RUN_FORMAT = "utils.charrnn run 1"
#: The value of a setting added later, for runs whose config.json was written before it existed.
_ADDED_KEYS = {"dropout": 0.0, "format": _RUN_FORMAT}

#: The largest model the trainer builds (weights; training keeps about four times as many numbers:
#: the gradients and Adam's two moments), and the most recurrent layers. A larger request, on the
#: command line or in a run's config.json, is refused before anything is built.
MAX_PARAMETERS = 100_000_000
MAX_LAYERS = 32
_MAX_SEED = 2**32 - 1  # NumPy's legacy seeding, used by keras.utils.set_random_seed

_MIN_LR_FRACTION = 0.05  # the cosine schedule decays to this fraction of the learning rate
_WARMUP_CHARS = 64  # blank characters read before a text, and per stream before its share


@dataclass
class TrainConfig:
    """Settings of a training run (see the module docstring); checked by :meth:`check`."""

    cell: str = DEFAULTS["cell"]
    units: int = DEFAULTS["units"]
    layers: int = DEFAULTS["layers"]
    embedding: int = DEFAULTS["embedding"]
    dropout: float = DEFAULTS["dropout"]
    seq_len: int = DEFAULTS["seq_len"]
    batch: int = DEFAULTS["batch"]
    lr: float = DEFAULTS["lr"]
    clipnorm: float = DEFAULTS["clipnorm"]
    schedule: str = DEFAULTS["schedule"]
    val_fraction: float = DEFAULTS["val_fraction"]
    seed: int = DEFAULTS["seed"]
    minutes: float | None = None
    epochs: int | None = None
    eval_seconds: float = 60.0

    def check(self) -> TrainConfig:
        """Raise ``ValueError`` naming the first bad setting and what it should be."""
        if self.cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {self.cell!r}.")
        if self.schedule not in ("cosine", "constant"):
            raise ValueError(f"schedule must be 'cosine' or 'constant', got {self.schedule!r}.")
        for name in ("units", "layers", "embedding", "seq_len", "batch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        if self.layers > MAX_LAYERS:
            raise ValueError(f"layers must be at most {MAX_LAYERS} (the trainer's limit), got "
                             f"{self.layers!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) \
                or not 0 <= self.seed <= _MAX_SEED:
            raise ValueError(f"seed must be an integer from 0 to 2**32 - 1 ({_MAX_SEED:,}), got "
                             f"{self.seed!r}.")
        for name in ("lr", "clipnorm", "eval_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not value > 0 or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) \
                or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {self.dropout!r}.")
        if not isinstance(self.val_fraction, (int, float)) or not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction!r}.")
        if self.minutes is not None and (
            not isinstance(self.minutes, (int, float)) or not self.minutes > 0
            or not math.isfinite(self.minutes)
        ):
            raise ValueError(f"minutes must be a finite number > 0, got {self.minutes!r}.")
        if self.epochs is not None and (
            isinstance(self.epochs, bool) or not isinstance(self.epochs, (int, np.integer))
            or self.epochs < 1
        ):
            raise ValueError(f"epochs must be an integer >= 1, got {self.epochs!r}.")
        if self.minutes is None and self.epochs is None:
            raise ValueError("give a budget: minutes (training time) and/or epochs.")
        return self


# --- files ---------------------------------------------------------------------------------------


def read_text_file(path: str | os.PathLike) -> str:
    """The UTF-8 text of a file, or a clear error: :func:`utils.data.read_text_file`.

    A folder or an unreadable file is reported as a ``ValueError`` with the same sentence, so that
    the command line shows one line for every bad text file.
    """
    try:
        return read_utf8_file(path, what="text file")
    except (IsADirectoryError, PermissionError) as error:
        raise ValueError(str(error.strerror or error)) from None


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _vocab_sha256(vocab: Vocabulary) -> str:
    """The SHA-256 of the vocabulary's characters in id order (recorded in config.json)."""
    return hashlib.sha256("".join(vocab.symbols).encode("utf-8", "surrogatepass")).hexdigest()


# --- TensorFlow, imported when needed (quietly on the command line) ------------------------------

#: Set by :func:`main`: hold back TensorFlow's start-up notices (see :func:`_import_tf`).
_QUIET_STARTUP = False
#: Lines that TensorFlow writes to stderr at start-up on every machine, and that are not errors.
_STARTUP_NOTICES = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|Could not find cuda drivers on your machine"
    r"|cpu_feature_guard\.cc|This TensorFlow binary is optimized"
    r"|^To enable the following instructions"
    r"|failed call to cuInit"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    r"|TF-TRT Warning: Could not find TensorRT"
)


def _import_tf():
    """``(keras, tensorflow)``, imported on first use.

    On the command line (``_QUIET_STARTUP``) TensorFlow's start-up notices are kept off the
    terminal: ``TF_CPP_MIN_LOG_LEVEL`` defaults to 1 (no INFO lines once its logging has
    started), and what it writes to stderr (file descriptor 2) before that, while importing and
    while looking for devices, is held in a temporary file; the lines that are not known notices
    (:data:`_STARTUP_NOTICES`) are then written out, so real errors still show.
    """
    saved = None
    if _QUIET_STARTUP and "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
        if sys.stderr is not None:
            sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (closed): nothing to keep quiet
            saved = None
    if saved is not None:
        with tempfile.TemporaryFile() as held:
            os.dup2(held.fileno(), 2)
            try:
                import keras  # noqa: F401
                import tensorflow as tf

                tf.config.list_physical_devices()  # the CUDA probe writes its notice here
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                held.seek(0)
                if sys.stderr is not None:
                    _replay_startup_lines(held.read().decode("utf-8", "replace"), sys.stderr)
    import keras
    import tensorflow as tf

    return keras, tf


def _replay_startup_lines(text: str, stream) -> None:
    """Write the lines of ``text`` that are not known start-up notices to ``stream``."""
    kept = [line for line in text.splitlines() if line.strip()
            and not _STARTUP_NOTICES.search(line)]
    if kept:
        stream.write("\n".join(kept) + "\n")
        stream.flush()


def split_for_validation(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, val)``: the first ``int(len(text) * (1 - val_fraction))`` characters and the rest.

    The same cut as nanoGPT's (``int``, not ``round``): on tiny Shakespeare the validation text is
    its last 111,540 characters.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}.")
    if len(text) < 2:
        raise ValueError(f"need at least 2 characters to split, got {len(text)}.")
    cut = min(max(1, int(len(text) * (1 - val_fraction))), len(text) - 1)
    return text[:cut], text[cut:]


# --- the model -----------------------------------------------------------------------------------


def build_model(vocab_size: int, cell: str = "lstm", units: int = 512, layers: int = 1,
                embedding: int = 64, dropout: float = 0.0):
    """An ``Embedding -> (LSTM|GRU) x layers -> Dense`` model that returns logits and states.

    With ``dropout > 0``, the input of every recurrent layer and the input of the ``Dense`` head
    are dropped at that rate while training: the connections between layers, never the recurrent
    ones from step to step (Zaremba et al., 2014, "Recurrent neural network regularization").

    Call it as ``logits = model(ids)`` with ``ids`` of shape ``(B, T)`` (int), giving logits of
    shape ``(B, T, V)``; or ``logits, states = model(ids, states=states, return_state=True)`` to
    carry the recurrent state across calls (``states``: one list per layer, ``[h]`` for a GRU and
    ``[h, c]`` for an LSTM, each ``(B, units)``; ``None`` starts from zeros).
    """
    keras, _ = _import_tf()

    TrainConfig(cell=cell, units=units, layers=layers, embedding=embedding, dropout=dropout,
                epochs=1).check()
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) \
            or vocab_size < 1:
        raise ValueError(f"vocab_size must be an integer >= 1, got {vocab_size!r}.")
    too_large = _model_size_problem(vocab_size, cell, units, layers, embedding)
    if too_large:
        raise ValueError(f"{too_large}: use fewer units, layers or embedding dimensions.")

    class CharRNN(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Embedding(vocab_size, embedding)
            layer = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
            self.rnns = [
                layer(units, return_sequences=True, return_state=True) for _ in range(layers)
            ]
            self.drop = keras.layers.Dropout(dropout) if dropout > 0 else None
            self.head = keras.layers.Dense(vocab_size)

        def call(self, ids, states=None, return_state=False, training=False):
            x = self.embed(ids)
            new_states = []
            for i, rnn in enumerate(self.rnns):
                out = rnn(self._dropped(x, training),
                          initial_state=None if states is None else states[i], training=training)
                x = out[0]
                new_states.append(list(out[1:]))
            logits = self.head(self._dropped(x, training))
            return (logits, new_states) if return_state else logits

        def _dropped(self, x, training):
            return x if self.drop is None else self.drop(x, training=training)

    model = CharRNN()
    model(np.zeros((1, 1), dtype=np.int32))  # build the weights
    return model


def parameter_count(vocab_size: int, cell: str = "lstm", units: int = 512, layers: int = 1,
                    embedding: int = 64) -> int:
    """The number of weights of :func:`build_model`'s model, computed without building it.

    Embedding ``V E``; each recurrent layer ``g U (I + U + b)`` with ``g`` = 4 gates and
    ``b`` = 1 bias for an LSTM, ``g`` = 3 and ``b`` = 2 for Keras's GRU (``reset_after``), and
    ``I`` its input width (``E``, then ``U``); the head ``U V + V``.
    """
    gates, biases = (4, 1) if cell == "lstm" else (3, 2)
    first = gates * units * (embedding + units + biases)
    others = (layers - 1) * gates * units * (2 * units + biases)
    return vocab_size * embedding + first + others + units * vocab_size + vocab_size


def _model_size_problem(vocab_size: int, cell: str, units: int, layers: int,
                        embedding: int) -> str | None:
    """Why a model is too large to build (a sentence without a fix), or None."""
    if layers > MAX_LAYERS:
        return f"{layers:,} layers are more than the trainer's limit of {MAX_LAYERS}"
    n = parameter_count(vocab_size, cell, units, layers, embedding)
    if n <= MAX_PARAMETERS:
        return None
    return (f"the model would have {n:,} parameters ({layers} {cell.upper()} layer(s) of {units:,} "
            f"units, embedding {embedding:,}, vocabulary {vocab_size:,}), more than the trainer's "
            f"limit of {MAX_PARAMETERS:,} (about {16 * MAX_PARAMETERS / 1e9:.1f} GB to train "
            f"with Adam)")


def _model_from_config(config: dict):
    return build_model(config["vocab_size"], config["cell"], config["units"], config["layers"],
                       config["embedding"], config.get("dropout", _ADDED_KEYS["dropout"]))


def _is_our_config(config) -> bool:
    """Whether a parsed config.json is the settings of a run of this trainer."""
    return isinstance(config, dict) and all(
        key in config for key in ("vocab_size", "text_sha256", "cell", "units", "seq_len"))


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _is_sha256(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _check_config(run: RunDir, config: dict) -> None:
    """Refuse (:class:`RunDirError`, naming config.json) settings that are not a run's.

    Every setting is checked as :class:`TrainConfig` checks the options, and the model it
    describes must be within :data:`MAX_PARAMETERS` and :data:`MAX_LAYERS`, so that a damaged or
    crafted file is named before anything is built. A setting added after a run was made
    (:data:`_ADDED_KEYS`, e.g. ``dropout``) takes its old value when it is missing.
    """
    where = repr(str(run.config_path))
    fix = ("If it was edited, put back the value the run was trained with; otherwise the run's "
           "settings are lost: train into a new --out directory.")

    def damaged(problem: str):
        return RunDirError(f"{where} is damaged: {problem}. {fix}")

    for key in (*_RUN_KEYS, "vocab_size", "text_sha256"):
        if key not in config and key not in _ADDED_KEYS:
            raise damaged(f"it lacks the setting {key!r}")
    settings = {k: config.get(k, _ADDED_KEYS.get(k)) for k in _RUN_KEYS}
    try:
        TrainConfig(**settings, epochs=1).check()
    except (ValueError, TypeError) as error:
        raise damaged(str(error).rstrip(".")) from None
    vocab_size = config["vocab_size"]
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
        raise damaged(f"vocab_size must be an integer >= 1, got {vocab_size!r}")
    for key in ("text_sha256", "vocab_sha256"):
        if key in config and not _is_sha256(config[key]):
            raise damaged(f"{key} must be 64 hexadecimal digits, got {config[key]!r}"[:300])
    too_large = _model_size_problem(vocab_size, settings["cell"], settings["units"],
                                    settings["layers"], settings["embedding"])
    if too_large:
        raise RunDirError(f"{where} asks for a model too large to build: {too_large}. {fix}")


def _read_run_vocab(run: RunDir, config: dict) -> Vocabulary:
    """The run's vocabulary, checked against config.json (its size, and its SHA-256 if recorded).

    Runs made before the SHA-256 was recorded are checked by size only (training them again
    records it).
    """
    vocab = run.read_vocab()
    size, expected = config["vocab_size"], config.get("vocab_sha256")
    vocab_file, config_file = str(run.vocab_path), str(run.config_path)
    if expected is not None and _vocab_sha256(vocab) != expected:
        raise RunDirError(
            f"{vocab_file!r} is not the vocabulary this run was trained with (its characters "
            f"differ from those recorded in config.json by their SHA-256): its samples and "
            f"scores would be wrong. {run.vocab_fix()}")
    if len(vocab) != size:
        if expected is not None:
            raise RunDirError(
                f"{config_file!r} is damaged: vocab_size is {size!r}, but the run's vocabulary "
                f"({vocab_file!r}, whose SHA-256 is the one recorded) lists {len(vocab)} "
                f"characters. Put back \"vocab_size\": {len(vocab)} in config.json.")
        raise RunDirError(
            f"{vocab_file!r} lists {len(vocab)} characters, but {config_file!r} says vocab_size "
            f"{size!r}: one of the two was changed. If config.json was edited, put back "
            f"\"vocab_size\": {len(vocab)} there; otherwise vocab.json is damaged. "
            f"{run.vocab_fix()}")
    return vocab


def load_model(model_dir: str | os.PathLike, which: str = "best"):
    """Load a trained model from a directory written by :func:`train`.

    Every file read is checked. If the checkpoint asked for is missing or damaged (its SHA-256
    differs from the one recorded when it was saved, or it cannot be loaded), the other one is
    used (best <-> latest), or else the newest checkpoint on disk; so is a missing or damaged
    ``state.json``. A :class:`~utils.rundir.RunDirWarning` says which file was used and why.

    Args:
        model_dir: the ``--out`` directory of a training run.
        which: ``"best"`` (lowest validation loss) or ``"latest"``.

    Returns:
        ``(model, vocab, config)``: the model (see :func:`build_model`), its
        :class:`~utils.data.Vocabulary` and the run's settings (a dict).

    Raises:
        FileNotFoundError: the directory holds no run.
        RunDirError: a file needed is damaged (the message names it and says what to do).
    """
    if which not in ("best", "latest"):
        raise ValueError(f"which must be 'best' or 'latest', got {which!r}.")
    run = RunDir(model_dir, option="--model")
    if not run.path.is_dir() or not (run.state_path.exists() or run.config_path.exists()):
        raise FileNotFoundError(
            f"{str(run.path)!r} holds no trained model (no state.json): train one first with "
            f"`python -m utils.charrnn train --text FILE --out {run.path}`."
        )
    config = run.read_config()
    if not _is_our_config(config):
        raise RunDirError(f"{str(run.config_path)!r} is not the settings of a run of this "
                          f"trainer (keys missing): is --model the right directory?")
    _check_config(run, config)
    vocab = _read_run_vocab(run, config)
    problems = []
    try:
        state = run.read_state()
    except RunDirError as error:
        state = None
        problems.append(str(error))
    model = _model_from_config(config)
    candidates = run.weight_candidates(state, which)
    for name in candidates:
        _, problem = run.load_checked(state, name, lambda path: model.load_weights(str(path)))
        if problem is None:
            break
        problems.append(f"{str(run.path / name)!r} is unusable: {problem}.")
    else:
        tried = " ".join(problems) if problems else "no checkpoint was saved yet."
        raise RunDirError(
            f"{str(run.path)!r} holds no usable weights. {tried} Train again (the training "
            f"command resumes from the latest good checkpoint, or use a new --out).")
    if problems:
        warnings.warn(f"{' '.join(problems)} Using {name} instead.", RunDirWarning,
                      stacklevel=2)
    return model, vocab, config


# --- scoring -------------------------------------------------------------------------------------


def _blank_id(vocab: Vocabulary) -> int:
    for ch in ("\n", " "):
        if ch in vocab:
            return vocab.char_to_id[ch]
    return 0


def _stream_fn(model):
    """A ``tf.function`` that runs ``ids`` from ``states`` and returns log-probs and states."""
    _, tf = _import_tf()

    @tf.function(reduce_retracing=True)
    @tf.autograph.experimental.do_not_convert  # no Python control flow to convert
    def run(ids, states):
        logits, new_states = model(ids, states=states, return_state=True)
        return tf.nn.log_softmax(logits, axis=-1), new_states

    return run


def _zero_states(model, batch: int):
    states = []
    for rnn in model.rnns:
        n = 2 if type(rnn).__name__ == "LSTM" else 1
        states.append([np.zeros((batch, rnn.units), np.float32) for _ in range(n)])
    return states


def evaluate_ids(model, inputs: np.ndarray, targets: np.ndarray, streams: int = 64,
                 chunk: int = 256, warmup: int = _WARMUP_CHARS, blank: int = 0,
                 _fn=None) -> float:
    """Sum of ``-ln p(targets[i] | inputs[:i+1])`` in nats, computed in parallel streams.

    Args:
        model: a model from :func:`build_model`.
        inputs: int array ``(N,)``: the character read before each target.
        targets: int array ``(N,)``: the characters to score; ``-1`` marks one not scored.
        streams: how many pieces of the text are read in parallel (a batch).
        chunk: time steps per call.
        warmup: characters of context each stream reads before its piece (not scored).
        blank: the id read before the start of the text.

    Returns:
        The total negative log-likelihood in nats (a float).
    """
    inputs = np.asarray(inputs, dtype=np.int32)
    targets = np.asarray(targets, dtype=np.int64)
    if inputs.shape != targets.shape or inputs.ndim != 1:
        raise ValueError(f"inputs and targets must be 1-D of equal length, got {inputs.shape} "
                         f"and {targets.shape}.")
    n = len(inputs)
    if n == 0:
        return 0.0
    streams = max(1, min(streams, math.ceil(n / max(chunk, 1))))
    piece = math.ceil(n / streams)
    piece += -(warmup + piece) % chunk  # whole chunks only: one shape, one trace
    total = warmup + piece
    padded_in = np.concatenate([np.full(warmup, blank, np.int32), inputs,
                                np.full(streams * piece - n, blank, np.int32)])
    padded_tg = np.concatenate([np.full(warmup, -1), targets, np.full(streams * piece - n, -1)])
    rows_in = np.empty((streams, total), np.int32)
    rows_tg = np.empty((streams, total), np.int64)
    for s in range(streams):
        start = s * piece  # in padded coordinates, the warm-up precedes the piece
        rows_in[s] = padded_in[start:start + total]
        rows_tg[s] = padded_tg[start:start + total]
        rows_tg[s, :warmup] = -1  # context only
    run = _fn or _stream_fn(model)
    states = _zero_states(model, streams)
    nll = 0.0
    for t0 in range(0, total, chunk):
        logp, states = run(rows_in[:, t0:t0 + chunk], states)
        logp = logp.numpy()
        tg = rows_tg[:, t0:t0 + chunk]
        mask = tg >= 0
        picked = np.take_along_axis(logp, np.where(mask, tg, 0)[..., None], axis=-1)[..., 0]
        nll -= float(picked[mask].astype(np.float64).sum())
    return nll


def _score_text(model, vocab: Vocabulary, text: str, context: str = "", _fn=None) -> dict:
    blank = _blank_id(vocab)
    ids = np.array([vocab.char_to_id.get(ch, -1) for ch in text], dtype=np.int64)
    unknown = int((ids < 0).sum())
    fed = np.where(ids < 0, blank, ids).astype(np.int32)
    ctx = [vocab.char_to_id.get(ch, blank) for ch in context[-_WARMUP_CHARS:]]
    first = ctx[-1] if ctx else blank
    inputs = np.concatenate([[first], fed[:-1]]).astype(np.int32)
    if ctx:  # read the given context before the text instead of blank space
        inputs = np.concatenate([ctx[:-1], inputs]).astype(np.int32)
        targets = np.concatenate([np.full(len(ctx) - 1, -1), ids])
    else:
        targets = ids
    nll = evaluate_ids(model, inputs, targets, blank=blank, _fn=_fn)
    nll += unknown * math.log(len(vocab) + 1)
    chars = len(text)
    nats = nll / chars
    return {"bits_per_char": nats / math.log(2), "nats_per_char": nats, "chars": chars,
            "unknown": unknown}


def evaluate(model_dir: str | os.PathLike, text: str | None = None, text_file=None,
             context: str = "", which: str = "best") -> dict:
    """Score every character of a text with a trained model.

    Args:
        model_dir: a directory written by :func:`train`.
        text / text_file: the text, or a UTF-8 file holding it (give one).
        context: text read before ``text`` (not scored), e.g. the end of the training text.
        which: ``"best"`` or ``"latest"`` checkpoint.

    Returns:
        ``{"bits_per_char", "nats_per_char", "chars", "unknown"}``; unknown characters cost
        ``ln(V + 1)`` nats each (see the module docstring).
    """
    text = _text_argument(text, text_file)
    model, vocab, _ = load_model(model_dir, which)
    return _score_text(model, vocab, text, context)


def _text_argument(text, text_file) -> str:
    if (text is None) == (text_file is None):
        raise ValueError("give exactly one of text (a str) and text_file (a path).")
    if text_file is not None:
        return read_text_file(text_file)
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    if not text:
        raise ValueError("text is empty: there is nothing to score.")
    return text


# --- sampling ------------------------------------------------------------------------------------


def _step_fn(model):
    _, tf = _import_tf()

    @tf.function(reduce_retracing=True)
    @tf.autograph.experimental.do_not_convert
    def step(ids, states):
        logits, new_states = model(ids, states=states, return_state=True)
        return logits[:, -1, :], new_states

    return step


def _next_id(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Sample an id from ``softmax(logits / temperature)``; argmax for temperature 0.

    A temperature so small that ``logits / temperature`` overflows float64 (below about 1e-308
    times the logits' spread) is the limit of ever sharper distributions: greedy too.
    """
    z = logits.astype(np.float64)
    if temperature == 0:
        return int(np.argmax(z))
    with np.errstate(over="ignore"):
        z = z / temperature
    if not np.isfinite(z).all():
        return int(np.argmax(logits))
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def sample(model_dir: str | os.PathLike | None = None, prime: str = "", length: int = 200,
           temperature: float = 1.0, seed: int | None = None, *, model=None, vocab=None,
           on_text=None) -> str:
    """Generate ``length`` characters after ``prime`` with a stateful one-step model.

    The prime is read once; then each new character costs one recurrent step (the prefix is never
    read again).

    Args:
        model_dir: a directory written by :func:`train` (or give ``model`` and ``vocab``).
        prime: the text to start from; every character must be in the vocabulary.
        length: how many characters to generate (>= 0).
        temperature: > 0 divides the logits before sampling (< 1 sharper, > 1 flatter);
            0 means greedy (argmax).
        seed: seeds the sampler (same seed, same text).
        on_text: optional ``on_text(ch)`` called with each character as it is generated (the
            command line prints them, so that a long sample streams and Ctrl-C keeps what was
            shown).

    Returns:
        The generated characters (without the prime).
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be an integer >= 0, got {length!r}.")
    if not isinstance(temperature, (int, float)) or not temperature >= 0 \
            or not math.isfinite(temperature):
        raise ValueError(f"temperature must be a finite number >= 0 (0 = greedy), got "
                         f"{temperature!r}.")
    if not isinstance(prime, str):
        raise TypeError(f"prime must be a str, got {type(prime).__name__}.")
    if model is None:
        if model_dir is None:
            raise ValueError("give model_dir, or model and vocab.")
        model, vocab, _ = load_model(model_dir)
    elif vocab is None:
        raise ValueError("give vocab together with model.")
    missing = vocab.unknown(prime)
    if missing:
        raise ValueError(
            f"the prime has {len(missing)} character(s) that the model never saw: "
            f"{''.join(missing)!r} ({missing!r}). Remove them or use only characters of the "
            f"training text."
        )
    rng = np.random.default_rng(seed)
    step = _step_fn(model)
    states = _zero_states(model, 1)
    ids = [_blank_id(vocab)] * 8 + list(vocab.encode(prime))
    logits, states = step(np.array([ids], np.int32), states)
    out = []
    for _ in range(length):
        nxt = _next_id(logits.numpy()[0], temperature, rng)
        out.append(vocab.id_to_char[nxt])
        if on_text is not None:
            on_text(out[-1])
        logits, states = step(np.array([[nxt]], np.int32), states)
    return "".join(out)


# --- training ------------------------------------------------------------------------------------


class _Progress:
    """A progress bar on a terminal; nothing otherwise (the per-validation lines remain)."""

    def __init__(self, enabled: bool, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.last = 0.0

    def update(self, fraction: float, seconds_left: float | None, text: str) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        width = 30
        filled = int(round(width * min(max(fraction, 0.0), 1.0)))
        left = "" if seconds_left is None else f", {_clock(seconds_left)} left"
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}% "
                          f"{text}{left}\x1b[K")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _epoch_batches(train_ids: np.ndarray, seq_len: int, batch: int, seed: int, epoch: int):
    """The epoch's training pairs ``(x, y)``, each ``(n_batches * batch, seq_len)``, shuffled.

    Each epoch cuts the text into sequences of ``seq_len + 1`` characters at a random offset and
    shuffles them, both from ``seed`` and ``epoch`` (so a resumed run sees the same batches).
    """
    rng = np.random.default_rng([seed, epoch])
    n_seq = (len(train_ids) - 1) // seq_len
    offset = int(rng.integers(0, min(seq_len, len(train_ids) - 1 - (n_seq - 1) * seq_len)))
    n_seq = (len(train_ids) - 1 - offset) // seq_len
    starts = offset + seq_len * rng.permutation(n_seq)
    n_batches = n_seq // batch
    starts = starts[: n_batches * batch]
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]
    windows = train_ids[idx]
    return windows[:, :-1], windows[:, 1:]


def _steps_per_epoch(n_train: int, seq_len: int, batch: int) -> int:
    return ((n_train - 1) // seq_len) // batch  # lower bound over offsets (may be one more)


def _clock(seconds: float) -> str:
    """``M:SS`` (or ``H:MM:SS``) for a number of seconds."""
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class _Budget:
    """The training budget: minutes of training and/or epochs, whichever ends first."""

    def __init__(self, cfg: TrainConfig, steps_per_epoch: int):
        self.seconds = None if cfg.minutes is None else 60.0 * cfg.minutes
        self.steps = None if cfg.epochs is None else cfg.epochs * steps_per_epoch
        self.epochs = cfg.epochs

    def fraction(self, state: dict) -> float:
        """How much of the budget is spent, in [0, 1]."""
        f = 0.0
        if self.seconds is not None:
            f = max(f, state["train_seconds"] / self.seconds)
        if self.steps is not None:
            f = max(f, state["global_step"] / self.steps)
        return min(f, 1.0)

    def finished(self, state: dict) -> bool:
        if self.seconds is not None and state["train_seconds"] >= self.seconds:
            return True
        return self.epochs is not None and state["epoch"] >= self.epochs

    def seconds_left(self, state: dict) -> float | None:
        """Training seconds left, extrapolated from the pace so far (None before any step)."""
        f = self.fraction(state)
        if f <= 0:
            return None
        return state["train_seconds"] * (1 - f) / f


def _learning_rate(cfg: TrainConfig, fraction: float) -> float:
    """The constant rate, or the cosine decay from ``lr`` to 5% of it along the budget."""
    if cfg.schedule == "constant":
        return cfg.lr
    low = _MIN_LR_FRACTION * cfg.lr
    return low + (cfg.lr - low) * 0.5 * (1.0 + math.cos(math.pi * fraction))


def train_step_fn(model, optimizer):
    """A ``tf.function`` ``train_step(x, y) -> loss``: one step of ``optimizer`` on a batch.

    ``x``: (batch, T) ids, or whatever ``model`` reads; ``y``: (batch, T) next-character ids, or
    (batch,) for a model that predicts once per window. The loss is the mean cross-entropy of
    the logits ``model(x)``. The benchmarks' peers train with this step too, so that every model
    they compare is updated the same way.
    """
    keras, tf = _import_tf()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    @tf.autograph.experimental.do_not_convert
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return train_step


def _epoch_dataset(train_ids: np.ndarray, cfg: TrainConfig, state: dict):
    """The batches of the current epoch that are not trained yet (``tf.data``)."""
    _, tf = _import_tf()
    x_all, y_all = _epoch_batches(train_ids, cfg.seq_len, cfg.batch, cfg.seed, state["epoch"])
    return (tf.data.Dataset.from_tensor_slices((x_all, y_all))
            .batch(cfg.batch, drop_remainder=True)
            .skip(state["step_in_epoch"])
            .prefetch(2))


def _check_trainable(text: str, cfg: TrainConfig) -> tuple[str, str]:
    """``(train_text, val_text)``, or a ``ValueError`` saying why the text cannot be trained on."""
    symbols = set(text)
    if len(symbols) < 2:
        raise ValueError(
            f"the text is one character ({text[0]!r}) repeated {len(text):,} times: there is "
            f"nothing to predict. Train on a text with at least two different characters."
        )
    train_text, val_text = split_for_validation(text, cfg.val_fraction)
    if len(train_text) < cfg.seq_len * cfg.batch + 1:
        raise ValueError(
            f"the training part of the text ({len(train_text)} characters) is shorter than one "
            f"batch of batch x seq_len + 1 = {cfg.seq_len * cfg.batch + 1} characters: use a "
            f"longer text or a smaller --batch / --seq-len."
        )
    return train_text, val_text


def _new_state() -> dict:
    return {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "train_seconds": 0.0,
            "chars_seen": 0, "best_val": None, "best_weights": None, "latest_weights": None,
            "latest_optimizer": None, "history": [], "sha256": {}}


def _open_run(run: RunDir, run_config: dict, vocab: Vocabulary, log) -> dict:
    """The run's progress: a new run's (its settings written), or the saved one, checked.

    Call with the lock held. Litter of an interrupted save is removed (and said); a damaged
    ``vocab.json`` is rebuilt from the text (the same text: its SHA-256 is in the settings); a
    run made before the vocabulary's SHA-256 was recorded gets it in its config.json. Checkpoints
    without a ``state.json`` are never removed: the run is refused instead (see
    :func:`_state_lost`).
    """
    if not run.has_run():
        kept = run.checkpoints()
        if kept:
            raise RunDirError(_state_lost(run, kept))
        removed = run.clean_litter(None)
        run.write_config(run_config)
        run.write_vocab(vocab)
        state = _new_state()
    else:
        old = run.read_config()
        _check_config(run, old)
        _check_same_run(run, old, run_config)
        state = run.read_state()
        removed = run.clean_litter(state)
        try:
            intact = run.read_vocab(len(vocab)).symbols == vocab.symbols
        except RunDirError:
            intact = False
        if not intact:
            run.write_vocab(vocab)
            log(f"{run.vocab_path} was damaged: rebuilt from the training text.")
        if "vocab_sha256" not in old:  # made before it was recorded: the same text, so this one
            run.write_config({**old, "vocab_sha256": run_config["vocab_sha256"]})
    if removed:
        log(f"removed {len(removed)} file(s) left by an interrupted save: "
            f"{', '.join(removed[:3])}{' ...' if len(removed) > 3 else ''}")
    return state


def _state_lost(run: RunDir, kept: list[str]) -> str:
    """The refusal for checkpoints without a state.json (which says what they are worth)."""
    shown = ", ".join(kept[:4]) + (f" and {len(kept) - 4} more" if len(kept) > 4 else "")
    return (f"{str(run.path)!r} holds checkpoints ({shown}) but no state.json, the run's "
            f"progress (step, epoch, history): it was deleted or lost, and training cannot "
            f"resume without it. Nothing was changed. The checkpoints can still be used: `python "
            f"-m utils.charrnn sample --model {shlex.quote(str(run.path))}` takes the newest. To "
            f"train, choose a new --out directory, or delete the checkpoints there to start this "
            f"run over.")


def _check_same_run(run: RunDir, old: dict, run_config: dict) -> None:
    """Refuse to resume a run with another text or other settings (``ValueError``).

    The text is compared first (its SHA-256), since the vocabulary depends on it. With the same
    text, the values derived from it (``vocab_size``, ``vocab_sha256``, ``text_chars``) must
    agree too, or config.json was edited (:class:`RunDirError`, with the value to put back).
    """
    where = repr(str(run.path))
    now = run_config["text_chars"]
    if old.get("text_sha256") != run_config["text_sha256"]:
        there = old.get("text_chars")
        sizes = (f"{there:,} characters there, {now:,} now" if isinstance(there, int)
                 else f"{now:,} characters now")
        raise ValueError(
            f"{where} holds a run trained on another text ({sizes}; their SHA-256 differ). "
            f"Resume with the same text file, or choose a new --out directory for this text.")
    for key, value in run_config.items():
        if key in ("vocab_size", "vocab_sha256") or key.startswith("text"):
            continue
        there = old.get(key, _ADDED_KEYS.get(key))
        if there != value:
            shown = repr(there) if key in old else (
                f"{there!r} (not recorded in config.json: the value of runs made before "
                f"{key} existed)")
            raise ValueError(
                f"{where} holds a run with different settings ({key}: {shown} there, {value!r} "
                f"now). Resume with the same options and text, or choose a new --out directory."
            )
    for key in ("vocab_size", "vocab_sha256", "text_chars"):
        if key in old and old[key] != run_config[key]:
            raise RunDirError(
                f"{str(run.config_path)!r} is damaged: {key} is {old[key]!r}, but the run's text "
                f"(the same text: its SHA-256 matches) gives {run_config[key]!r}. Put back "
                f"\"{key}\": {json.dumps(run_config[key])} there.")


def _restore(run: RunDir, state: dict, model, optimizer) -> None:
    """Load the latest weights and optimizer state, checked (``RunDirError`` if unusable)."""
    name = state["latest_weights"]
    _, problem = run.load_checked(state, name, lambda path: model.load_weights(str(path)))
    if problem is not None:
        raise RunDirError(run.cannot_resume(state, name, problem))
    values = run.load_optimizer_arrays(state)
    shapes = [tuple(v.shape) for v in optimizer.variables]
    if [tuple(v.shape) for v in values] != shapes:
        raise RunDirError(run.cannot_resume(state, state["latest_optimizer"],
                                            "it does not fit the model"))
    for var, value in zip(optimizer.variables, values, strict=True):
        var.assign(value)


class _Checkpoints:
    """Validation, checkpoints and the lines that report them, for one training session."""

    def __init__(self, run: RunDir, state: dict, model, optimizer, validate, bar, log):
        self.run, self.state, self.model, self.optimizer = run, state, model, optimizer
        self.validate, self.bar, self.log = validate, bar, log

    def save(self, val_loss: float | None) -> None:
        """Save the latest checkpoint, and the best one if ``val_loss`` is the lowest so far."""
        keras, _ = _import_tf()
        state = self.state
        best = val_loss is not None and (state["best_val"] is None
                                         or val_loss < state["best_val"])
        if best:
            state["best_val"] = val_loss
        self.run.save_checkpoint(
            state, self.model.save_weights,
            [keras.ops.convert_to_numpy(v) for v in self.optimizer.variables], best=best)

    def checkpoint(self, reason: str, losses: list[float]) -> None:
        """Score the validation text, record it in the history, save, and print one line."""
        state = self.state
        train_loss = float(np.mean(losses)) if losses else None
        val_loss = self.validate()
        state["history"].append({
            "epoch": state["epoch"], "step": state["global_step"],
            "train_seconds": round(state["train_seconds"], 3), "chars_seen": state["chars_seen"],
            "train_loss": train_loss, "val_loss": val_loss, "reason": reason})
        self.save(val_loss)
        self.bar.clear()
        loss_text = "" if train_loss is None else f" train_loss={train_loss:.4f}"
        self.log(f"epoch {state['epoch']} step {state['global_step']} "
                 f"time {state['train_seconds']:.1f}s{loss_text} val_loss={val_loss:.4f} nats "
                 f"({val_loss / math.log(2):.3f} bpc) [{reason}]")


def _validator(model, vocab: Vocabulary, train_text: str, val_text: str):
    """``validate() -> nats per character`` of the validation text (read after the training)."""
    stream_fn = _stream_fn(model)
    blank = _blank_id(vocab)
    inputs = vocab.encode(train_text[-1] + val_text[:-1])
    targets = vocab.encode(val_text).astype(np.int64)

    def validate() -> float:
        return evaluate_ids(model, inputs, targets, blank=blank, _fn=stream_fn) / len(targets)

    return validate


def _summary(run: RunDir, state: dict) -> list[str]:
    """Where the best model is and the command that samples it."""
    if not state["best_weights"]:
        return [f"no model saved yet in {run.path}"]
    return [f"best: {run.path / state['best_weights']}, val_loss {state['best_val']:.4f} "
            f"nats",
            f"sample it: python -m utils.charrnn sample --model {shlex.quote(str(run.path))}"]


def train(out_dir: str | os.PathLike, text: str | None = None, text_file=None, *,
          minutes: float | None = None, epochs: int | None = None, cell: str = DEFAULTS["cell"],
          units: int = DEFAULTS["units"], layers: int = DEFAULTS["layers"],
          embedding: int = DEFAULTS["embedding"], dropout: float = DEFAULTS["dropout"],
          seq_len: int = DEFAULTS["seq_len"],
          batch: int = DEFAULTS["batch"], lr: float = DEFAULTS["lr"],
          clipnorm: float = DEFAULTS["clipnorm"], schedule: str = DEFAULTS["schedule"],
          val_fraction: float = DEFAULTS["val_fraction"], seed: int = DEFAULTS["seed"],
          eval_seconds: float = 60.0, progress: bool | None = False, log=print,
          on_step=None, allow_other_files: bool = False) -> dict:
    """Train (or resume training) a character-level model; see the module docstring.

    Args:
        out_dir: where checkpoints, the vocabulary and the progress go (see
            :mod:`utils.rundir`); if it holds a run with the same settings and text, training
            resumes from it. A directory with other files is refused (see allow_other_files),
            and so is one where another trainer runs.
        text / text_file: the training text, or a UTF-8 file holding it (give one).
        minutes: training-time budget in minutes (validation and saving not counted), total over
            resumed runs. epochs: budget in passes over the training text. Give at least one.
        cell, units, layers, embedding, dropout: the model (see :func:`build_model`).
        seq_len, batch: each step trains on ``batch`` sequences of ``seq_len`` characters, with a
            prediction at every step.
        lr, clipnorm, schedule: Adam's learning rate; gradient clipping with Keras's
            ``clipnorm``, which rescales *each* gradient tensor (each weight matrix and bias) to
            a norm of at most ``clipnorm``, separately (not by the global norm of all of them);
            and ``"cosine"`` (decay to 5% along the budget) or ``"constant"``.
        val_fraction: the last fraction of the text held out for validation.
        seed: seeds the weights and the order of the batches.
        eval_seconds: score the validation text (and save) every this many training seconds.
        progress: draw a progress bar on stderr (``None``: when stderr is a terminal).
        log: called with one line of text per validation (``print`` by default), and with the
            lines that announce a resumed run and summarise the end.
        on_step: optional ``on_step(state)`` called after every step (for tests and hooks).
        allow_other_files: train in a directory that also holds files that are not a run's
            (they are left alone).

    Returns:
        The final progress ``state`` (a dict: ``history`` lists one record per validation with
        ``train_seconds``, ``val_loss`` in nats per character, ``epoch`` and ``step``).
    """
    text = _text_argument(text, text_file)
    cfg = TrainConfig(cell=cell, units=units, layers=layers, embedding=embedding, dropout=dropout,
                      seq_len=seq_len, batch=batch, lr=lr, clipnorm=clipnorm, schedule=schedule,
                      val_fraction=val_fraction, seed=seed, minutes=minutes, epochs=epochs,
                      eval_seconds=eval_seconds).check()
    train_text, val_text = _check_trainable(text, cfg)
    vocab = Vocabulary.from_text(text)
    too_large = _model_size_problem(len(vocab), cfg.cell, cfg.units, cfg.layers, cfg.embedding)
    if too_large:  # before any directory is made
        raise ValueError(f"{too_large}: use a smaller --units, --layers or --embedding.")
    run_config = {"format": _RUN_FORMAT, **{k: getattr(cfg, k) for k in _RUN_KEYS},
                  "vocab_size": len(vocab), "text_sha256": _sha256_text(text),
                  "text_chars": len(text), "vocab_sha256": _vocab_sha256(vocab)}
    run = RunDir(out_dir)
    run.check_usable(_is_our_config, allow_other_files)
    train_ids = vocab.encode(train_text)
    budget = _Budget(cfg, _steps_per_epoch(len(train_ids), cfg.seq_len, cfg.batch))
    try:
        with run.locked():
            state = _open_run(run, run_config, vocab, log)
            if not budget.finished(state):
                _train_session(run, state, cfg, run_config, vocab, train_ids, train_text,
                               val_text, budget, progress, log, on_step)
                for line in _summary(run, state):
                    log(line)
                return state
    except RunDirReadOnly:  # no lock, nothing written: a finished run can still say so
        state = _finished_run(run, run_config, budget)
        if state is None:
            raise
    log(f"{run.path}: already trained ({state['train_seconds']:.1f} s, epoch "
        f"{state['epoch']}): nothing to do; raise --minutes or --epochs to train longer.")
    for line in _summary(run, state):
        log(line)
    return state


def _finished_run(run: RunDir, run_config: dict, budget: _Budget) -> dict | None:
    """The state of a finished run with these settings, read without writing; else None."""
    if not run.has_run():
        return None
    old = run.read_config()
    _check_config(run, old)
    _check_same_run(run, old, run_config)
    state = run.read_state()
    return state if budget.finished(state) else None


def _is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):  # replaced, closed or detached
        return False


def _train_session(run: RunDir, state: dict, cfg: TrainConfig, run_config: dict,
                   vocab: Vocabulary, train_ids: np.ndarray, train_text: str, val_text: str,
                   budget: _Budget, progress, log, on_step) -> None:
    """Train from ``state`` until the budget is spent (call with the lock held).

    Ctrl-C (``KeyboardInterrupt``) saves the finished steps and is raised again; running out of
    memory becomes a ``MemoryError`` that says what to change (the checkpoints are intact).
    """
    if state["global_step"]:
        log(f"resuming {run.path} at step {state['global_step']} (epoch {state['epoch']}, "
            f"{state['train_seconds']:.1f} s trained)")
    try:
        _train_steps(run, state, cfg, run_config, vocab, train_ids, train_text, val_text,
                     budget, progress, log, on_step)
    except Exception as error:
        if not _is_out_of_memory(error):
            raise
        n = parameter_count(len(vocab), cfg.cell, cfg.units, cfg.layers, cfg.embedding)
        raise MemoryError(
            f"out of memory training a model of {n:,} parameters on batches of {cfg.batch} x "
            f"{cfg.seq_len} characters ({type(error).__name__}): use a smaller --units, "
            f"--layers, --batch or --seq-len. The checkpoints saved in {str(run.path)!r} are "
            f"intact.") from None


def _train_steps(run: RunDir, state: dict, cfg: TrainConfig, run_config: dict,
                 vocab: Vocabulary, train_ids: np.ndarray, train_text: str, val_text: str,
                 budget: _Budget, progress, log, on_step) -> None:
    keras, _ = _import_tf()
    keras.utils.set_random_seed(cfg.seed)
    model = _model_from_config(run_config)
    optimizer = keras.optimizers.Adam(learning_rate=cfg.lr, clipnorm=cfg.clipnorm)
    optimizer.build(model.trainable_variables)
    if state["latest_weights"]:
        _restore(run, state, model, optimizer)
    train_step = train_step_fn(model, optimizer)
    bar = _Progress(_stderr_is_terminal() if progress is None else bool(progress))
    saver = _Checkpoints(run, state, model, optimizer,
                         _validator(model, vocab, train_text, val_text), bar, log)

    if not state["history"]:
        saver.checkpoint("start", [])
    since_eval = state["train_seconds"] - state["history"][-1]["train_seconds"]
    losses = []
    chars_per_step = cfg.batch * cfg.seq_len
    try:
        while not budget.finished(state):
            for x, y in _epoch_dataset(train_ids, cfg, state):
                optimizer.learning_rate.assign(_learning_rate(cfg, budget.fraction(state)))
                t0 = time.perf_counter()
                loss = float(train_step(x, y))
                dt = time.perf_counter() - t0
                state["train_seconds"] += dt
                state["global_step"] += 1
                state["step_in_epoch"] += 1
                state["chars_seen"] += chars_per_step
                since_eval += dt
                losses.append(loss)
                bar.update(budget.fraction(state), budget.seconds_left(state),
                           f"epoch {state['epoch']} step {state['global_step']} "
                           f"loss {loss:.3f} {chars_per_step / dt:,.0f} chars/s")
                if on_step is not None:
                    on_step(state)
                if budget.finished(state):
                    break
                if since_eval >= cfg.eval_seconds:
                    saver.checkpoint("time", losses)
                    losses, since_eval = [], 0.0
            else:  # the epoch ran to its end
                state["epoch"] += 1
                state["step_in_epoch"] = 0
                saver.checkpoint("epoch", losses)
                losses, since_eval = [], 0.0
                continue
            break
        if state["history"][-1]["step"] != state["global_step"]:  # not saved yet
            saver.checkpoint("end", losses)
    except KeyboardInterrupt:
        bar.clear()
        log(f"interrupted: saving the {state['global_step']} finished steps to {run.path} ...")
        saver.save(None)
        raise


# --- command line --------------------------------------------------------------------------------


def _number(kind, *, allow_zero: bool = False):
    """An argparse type: a finite ``kind`` (int or float) that is > 0 (or >= 0 with allow_zero)."""

    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {value!r}") from None
        in_range = number >= 0 if allow_zero else number > 0
        if not in_range or (kind is float and not math.isfinite(number)):
            bound = ">= 0" if allow_zero else "> 0"
            raise argparse.ArgumentTypeError(f"must be {noun} {bound}, got {value!r}")
        return number

    noun = "an integer" if kind is int else "a finite number"

    parse.__name__ = kind.__name__
    return parse


def _positive(kind):
    return _number(kind)


def _non_negative(kind):
    return _number(kind, allow_zero=True)


def _unit_interval(*, allow_zero: bool):
    """An argparse type: a number in (0, 1), or in [0, 1) with allow_zero."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
        if not (0 <= number < 1 if allow_zero else 0 < number < 1):
            low = ">= 0" if allow_zero else "> 0"
            raise argparse.ArgumentTypeError(f"must be {low} and < 1, got {value!r}")
        return number

    parse.__name__ = "float"
    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m utils.charrnn",
                                description="Train, sample and evaluate a character-level RNN.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train (or resume) a model on a UTF-8 text file")
    t.add_argument("--text", required=True, help="UTF-8 text file")
    t.add_argument("--out", required=True, help="directory for checkpoints and the vocabulary")
    t.add_argument("--minutes", type=_positive(float), default=None,
                   help="training-time budget in minutes (default 10 if --epochs is not given)")
    t.add_argument("--epochs", type=_positive(int), default=None, help="budget in epochs")
    t.add_argument("--cell", choices=["lstm", "gru"], default=DEFAULTS["cell"])
    t.add_argument("--units", type=_positive(int), default=DEFAULTS["units"])
    t.add_argument("--layers", type=_positive(int), default=DEFAULTS["layers"])
    t.add_argument("--embedding", type=_positive(int), default=DEFAULTS["embedding"])
    t.add_argument("--dropout", type=_unit_interval(allow_zero=True), default=DEFAULTS["dropout"],
                   help="dropout rate between layers while training (0: none)")
    t.add_argument("--seq-len", type=_positive(int), default=DEFAULTS["seq_len"])
    t.add_argument("--batch", type=_positive(int), default=DEFAULTS["batch"])
    t.add_argument("--lr", type=_positive(float), default=DEFAULTS["lr"])
    t.add_argument("--clipnorm", type=_positive(float), default=DEFAULTS["clipnorm"])
    t.add_argument("--schedule", choices=["cosine", "constant"], default=DEFAULTS["schedule"])
    t.add_argument("--val-fraction", type=_unit_interval(allow_zero=False),
                   default=DEFAULTS["val_fraction"])
    t.add_argument("--seed", type=_non_negative(int), default=DEFAULTS["seed"])
    t.add_argument("--eval-seconds", type=_positive(float), default=60.0,
                   help="score the validation text and save every this many training seconds")
    t.add_argument("--allow-other-files", action="store_true",
                   help="train in a directory that also holds other files (left alone)")
    s = sub.add_parser("sample", help="generate text from a trained model")
    s.add_argument("--model", required=True, help="a directory written by train")
    s.add_argument("--prime", default="", help="text to start from")
    s.add_argument("--length", type=_non_negative(int), default=500)
    s.add_argument("--temperature", type=_non_negative(float), default=0.8,
                   help="> 0 samples (lower: safer), 0 is greedy")
    s.add_argument("--seed", type=_non_negative(int), default=None)
    e = sub.add_parser("evaluate", help="score every character of a text")
    e.add_argument("--model", required=True, help="a directory written by train")
    e.add_argument("--text", required=True, help="UTF-8 text file")
    return p


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _interrupts_save():
    """Make Ctrl-C and SIGTERM (``kill``) raise ``KeyboardInterrupt`` (so training saves).

    Only a signal at its default action is changed: one that the process was started with
    ignored (``SIG_IGN``: ``nohup``, a background job of a non-interactive shell) stays ignored,
    and a handler someone else installed stays. Returns a function that restores what was there.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    before = {}
    for signum, handler in ((signal.SIGINT, signal.default_int_handler),
                            (signal.SIGTERM, _raise_interrupt)):
        if signal.getsignal(signum) == signal.SIG_DFL:
            before[signum] = signal.signal(signum, handler)

    def restore() -> None:
        for signum, handler in before.items():
            signal.signal(signum, handler)

    return restore


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings of a damaged run directory as one plain line (no source location)."""
    print(f"warning: {message}", file=sys.stderr)


class _Streamed:
    """Prints generated characters as they come (``sample --length`` can be long)."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def __call__(self, ch: str) -> None:
        self.stream.write(ch)
        self.stream.flush()
        self.count += 1


def _train_command(args) -> int:
    minutes = args.minutes
    if minutes is None and args.epochs is None:
        minutes = 10.0
    restore = _interrupts_save()
    try:
        train(args.out, text_file=args.text, minutes=minutes, epochs=args.epochs,
              cell=args.cell, units=args.units, layers=args.layers,
              embedding=args.embedding, dropout=args.dropout, seq_len=args.seq_len,
              batch=args.batch, lr=args.lr, clipnorm=args.clipnorm, schedule=args.schedule,
              val_fraction=args.val_fraction, seed=args.seed,
              eval_seconds=args.eval_seconds, progress=None,
              log=lambda line: print(line, flush=True),
              allow_other_files=args.allow_other_files)
    except KeyboardInterrupt:
        print("stopped; run the same command again to resume.", file=sys.stderr)
        return 130
    finally:
        restore()
    return 0


def _sample_command(args) -> int:
    out = _Streamed(sys.stdout)
    try:
        # check everything (and load the model) before the prime is printed
        model, vocab, _ = load_model(args.model)
        missing = vocab.unknown(args.prime)
        if missing:  # sample() explains it
            sample(prime=args.prime, length=0, model=model, vocab=vocab)
        sys.stdout.write(args.prime)
        sample(prime=args.prime, length=args.length, temperature=args.temperature,
               seed=args.seed, model=model, vocab=vocab, on_text=out)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        sys.stdout.flush()
        print(f"stopped after {out.count:,} characters.", file=sys.stderr)
        return 130
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring). Returns the exit status."""
    global _QUIET_STARTUP
    args = _parser().parse_args(argv)
    _QUIET_STARTUP = True
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            warnings.simplefilter("always", RunDirWarning)
            if args.command == "train":
                return _train_command(args)
            if args.command == "sample":
                return _sample_command(args)
            result = evaluate(args.model, text_file=args.text)
            print(f"bits_per_char={result['bits_per_char']:.4f} "
                  f"nats_per_char={result['nats_per_char']:.4f} chars={result['chars']} "
                  f"unknown={result['unknown']}")
    except (FileNotFoundError, ValueError, TypeError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2
    except Exception as error:
        if not _is_out_of_memory(error):
            raise
        detail = str(error) if isinstance(error, MemoryError) and str(error) else (
            f"out of memory ({type(error).__name__}): use a smaller model or batch.")
        print(f"error: {detail}", file=sys.stderr)
        return 1
    finally:
        _QUIET_STARTUP = False
    return 0


def _cli() -> int:
    """``python -m utils.charrnn``: :func:`main`, with output that never fails on encoding.

    A sample may hold characters that the terminal's encoding (the locale, PYTHONIOENCODING)
    cannot show: they are written as escapes (``\\xe9``) instead of stopping with a traceback.
    """
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    return main()


if __name__ == "__main__":
    sys.exit(_cli())
