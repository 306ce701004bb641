"""The training loop: a run opened or resumed, steps until the budget is spent, checkpoints.

Training shows progress (a bar with the time left on a terminal, one line per validation
otherwise), scores the validation text every ``eval_seconds`` of training and at the end of each
epoch, and ends with where the best model is and the command that samples it. Ctrl-C saves the
steps finished so far before stopping; running the same command again resumes.
"""

from __future__ import annotations

import math
import os
import shlex
import sys
import time

import numpy as np

from utils.charrnn.config import RUN_FORMAT, TrainConfig
from utils.charrnn.mixing import Mixture, split_for_mixture
from utils.charrnn.model import model_from_config, model_size_problem, parameter_count
from utils.charrnn.runs import (
    finished_run,
    is_our_config,
    open_run,
    restore,
    sha256_text,
    text_argument,
    vocab_sha256,
)
from utils.charrnn.scoring import blank_id, char_losses_ids, stream_fn, weigh_mixture
from utils.charrnn.steps import (
    epoch_steps,
    learning_rate,
    split_for_validation,
    steps_per_epoch,
    train_step_fn,
)
from utils.charrnn.tf_import import import_tf
from utils.data import Vocabulary
from utils.rundir import RunDir, RunDirReadOnly

__all__ = ["train"]


def train(out_dir: str | os.PathLike, text: str | None = None, text_file=None, *,
          progress: bool | None = False, log=print, on_step=None,
          allow_other_files: bool = False, **settings) -> dict:
    """Train (or resume training) a character-level model.

    Args:
        out_dir: where checkpoints, the vocabulary and the progress go (see
            :mod:`utils.rundir`); if it holds a run with the same settings and text, training
            resumes from it. A directory with other files is refused (see allow_other_files),
            and so is one where another trainer runs.
        text / text_file: the training text, or a UTF-8 file holding it (give one).
        progress: draw a progress bar on stderr (``None``: when stderr is a terminal).
        log: called with one line of text per validation (``print`` by default), and with the
            lines that announce a resumed run and summarise the end.
        on_step: optional ``on_step(state)`` called after every step (for tests and hooks).
        allow_other_files: train in a directory that also holds files that are not a run's
            (they are left alone).
        **settings: the fields of :class:`~utils.charrnn.TrainConfig` (``minutes`` and/or
            ``epochs``, the budget, total over resumed runs, are required; the others have
            defaults). An unknown name is a ``TypeError`` that lists the settings.

    Returns:
        The final progress ``state`` (a dict: ``history`` lists one record per validation with
        ``train_seconds``, ``val_loss`` in nats per character, ``epoch`` and ``step``).
    """
    text = text_argument(text, text_file)
    cfg = TrainConfig.from_settings(settings)
    train_text, val_text = check_trainable(text, cfg)
    # with --mix-ngram: the n-gram fitted now, so that a bad order is said before anything is made
    mixture = Mixture(cfg.mix_ngram, train_text, cfg.mix_slice) if cfg.mix_ngram else None
    vocab = Vocabulary.from_text(text)
    too_large = model_size_problem(len(vocab), cfg.cell, cfg.units, cfg.layers, cfg.embedding)
    if too_large:  # before any directory is made
        raise ValueError(f"{too_large}: use a smaller --units, --layers or --embedding.")
    run_config = {"format": RUN_FORMAT, **cfg.run_settings(),
                  "vocab_size": len(vocab), "text_sha256": sha256_text(text),
                  "text_chars": len(text), "vocab_sha256": vocab_sha256(vocab)}
    if mixture is not None:
        run_config["mix_text_sha256"] = sha256_text(train_text)
    run = RunDir(out_dir)
    run.check_usable(is_our_config, allow_other_files)
    train_ids = vocab.encode(train_text if mixture is None else mixture.fit_text)
    budget = Budget(cfg, steps_per_epoch(len(train_ids), cfg.seq_len, cfg.batch))
    try:
        with run.locked():
            state = open_run(run, run_config, vocab, log, train_text if mixture else None)
            if not budget.finished(state):
                train_session(run, state, cfg, run_config, vocab, train_ids, train_text,
                              val_text, budget, progress, log, on_step, mixture)
                for line in summary_lines(run, state):
                    log(line)
                return state
    except RunDirReadOnly:  # no lock, nothing written: a finished run can still say so
        state = finished_run(run, run_config, budget)
        if state is None:
            raise
    log(f"{run.path}: already trained ({state['train_seconds']:.1f} s, epoch "
        f"{state['epoch']}): nothing to do; raise --minutes or --epochs to train longer.")
    for line in summary_lines(run, state):
        log(line)
    return state


# --- the budget and the progress bar -------------------------------------------------------------


class Budget:
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


class Progress:
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
        left = "" if seconds_left is None else f", {clock(seconds_left)} left"
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}% "
                          f"{text}{left}\x1b[K")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def clock(seconds: float) -> str:
    """``M:SS`` (or ``H:MM:SS``) for a number of seconds."""
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):  # replaced, closed or detached
        return False


# --- the text ----------------------------------------------------------------------------------


def check_trainable(text: str, cfg: TrainConfig) -> tuple[str, str]:
    """``(train_text, val_text)``, or a ``ValueError`` saying why the text cannot be trained on."""
    if len(set(text)) < 2:
        raise ValueError(
            f"the text is one character ({text[0]!r}) repeated {len(text):,} times: there is "
            f"nothing to predict. Train on a text with at least two different characters."
        )
    train_text, val_text = split_for_validation(text, cfg.val_fraction)
    trained = train_text  # what the network trains on
    if cfg.mix_ngram:
        trained = split_for_mixture(train_text, cfg.mix_slice)[0]
    if len(trained) < cfg.seq_len * cfg.batch + 1:
        raise ValueError(
            f"the training part of the text ({len(trained)} characters"
            f"{', less the mixture slice' if cfg.mix_ngram else ''}) is shorter than one "
            f"batch of batch x seq_len + 1 = {cfg.seq_len * cfg.batch + 1} characters: use a "
            f"longer text or a smaller --batch / --seq-len."
        )
    return train_text, val_text


# --- validation and checkpoints ------------------------------------------------------------------


def validator(model, vocab: Vocabulary, train_text: str, val_text: str,
              mixture: Mixture | None = None):
    """``validate() -> {"val_loss": nats per character}`` of the validation text.

    With a mixture, also ``"ngram_loss"``, ``"mix_loss"`` and ``"mix_weight"``: β is chosen
    again, for the model as it is now, on the slice of the training part that neither model
    trains on.
    """
    run = stream_fn(model)
    blank = blank_id(vocab)
    inputs = vocab.encode(train_text[-1] + val_text[:-1])
    targets = vocab.encode(val_text).astype(np.int64)
    counts = None if mixture is None else mixture.count_probs(val_text, context=train_text)

    def validate() -> dict:
        losses = char_losses_ids(model, inputs, targets, blank=blank, _fn=run)
        scores = {"val_loss": float(losses.sum()) / len(targets)}
        if mixture is not None:
            weigh_mixture(mixture, model, vocab)
            scores.update(mixture.scores(losses, counts))
        return scores

    return validate


class Checkpoints:
    """Validation, checkpoints and the lines that report them, for one training session."""

    def __init__(self, run: RunDir, state: dict, model, optimizer, validate, bar, log):
        self.run, self.state, self.model, self.optimizer = run, state, model, optimizer
        self.validate, self.bar, self.log = validate, bar, log

    def save(self, val_loss: float | None) -> None:
        """Save the latest checkpoint, and the best one if ``val_loss`` is the lowest so far."""
        keras, _ = import_tf()
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
        scores = self.validate()
        val_loss = scores["val_loss"]
        state["history"].append({
            "epoch": state["epoch"], "step": state["global_step"],
            "train_seconds": round(state["train_seconds"], 3), "chars_seen": state["chars_seen"],
            "train_loss": train_loss, **scores, "reason": reason})
        self.save(val_loss)
        self.bar.clear()
        loss_text = "" if train_loss is None else f" train_loss={train_loss:.4f}"
        mix_text = "" if "mix_loss" not in scores else (
            f" ngram={scores['ngram_loss']:.4f} mix={scores['mix_loss']:.4f} "
            f"(weight {scores['mix_weight']:.3f})")
        self.log(f"epoch {state['epoch']} step {state['global_step']} "
                 f"time {state['train_seconds']:.1f}s{loss_text} val_loss={val_loss:.4f} nats "
                 f"({val_loss / math.log(2):.3f} bpc){mix_text} [{reason}]")


def summary_lines(run: RunDir, state: dict) -> list[str]:
    """Where the best model is and the command that samples it."""
    if not state["best_weights"]:
        return [f"no model saved yet in {run.path}"]
    return [f"best: {run.path / state['best_weights']}, val_loss {state['best_val']:.4f} "
            f"nats",
            f"sample it: python -m utils.charrnn sample --model {shlex.quote(str(run.path))}"]


# --- the steps -----------------------------------------------------------------------------------


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError"


def train_session(run: RunDir, state: dict, cfg: TrainConfig, run_config: dict,
                  vocab: Vocabulary, train_ids: np.ndarray, train_text: str, val_text: str,
                  budget: Budget, progress, log, on_step, mixture=None) -> None:
    """Train from ``state`` until the budget is spent (call with the lock held).

    Ctrl-C (``KeyboardInterrupt``) saves the finished steps and is raised again; running out of
    memory becomes a ``MemoryError`` that says what to change (the checkpoints are intact).
    """
    if state["global_step"]:
        log(f"resuming {run.path} after step {state['global_step']} (epoch {state['epoch']}, "
            f"{state['train_seconds']:.1f} s trained)")
    try:
        train_steps(run, state, cfg, run_config, vocab, train_ids, train_text, val_text,
                    budget, progress, log, on_step, mixture)
    except Exception as error:
        if not is_out_of_memory(error):
            raise
        n = parameter_count(len(vocab), cfg.cell, cfg.units, cfg.layers, cfg.embedding)
        raise MemoryError(
            f"out of memory training a model of {n:,} parameters on batches of {cfg.batch} x "
            f"{cfg.seq_len} characters ({type(error).__name__}): use a smaller --units, "
            f"--layers, --batch or --seq-len. The checkpoints saved in {str(run.path)!r} are "
            f"intact.") from None


def train_steps(run: RunDir, state: dict, cfg: TrainConfig, run_config: dict,
                vocab: Vocabulary, train_ids: np.ndarray, train_text: str, val_text: str,
                budget: Budget, progress, log, on_step, mixture=None) -> None:
    keras, _ = import_tf()
    keras.utils.set_random_seed(cfg.seed)
    model = model_from_config(run_config)
    optimizer = keras.optimizers.Adam(learning_rate=cfg.lr, clipnorm=cfg.clipnorm)
    optimizer.build(model.trainable_variables)
    if state["latest_weights"]:
        restore(run, state, model, optimizer)
    train_step = train_step_fn(model, optimizer)
    bar = Progress(stderr_is_terminal() if progress is None else bool(progress))
    saver = Checkpoints(run, state, model, optimizer,
                        validator(model, vocab, train_text, val_text, mixture), bar, log)

    if not state["history"]:
        saver.checkpoint("start", [])
    since_eval = state["train_seconds"] - state["history"][-1]["train_seconds"]
    losses = []
    chars_per_step = cfg.batch * cfg.seq_len
    try:
        while not budget.finished(state):
            for x, y in epoch_steps(train_ids, cfg, state):
                optimizer.learning_rate.assign(learning_rate(cfg, budget.fraction(state)))
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
