"""The trainer's settings: :class:`TrainConfig`, the one list of them.

Each field of :class:`TrainConfig` carries its default, its rule (what values it accepts), whether
it defines the run (a run resumes only with the same value; it is written to ``config.json``),
the value of runs made before it existed, and its command-line help. Everything else is derived
from the fields: :data:`DEFAULTS`, :data:`RUN_KEYS`, the checks (:meth:`TrainConfig.check`, for
the options and for a ``config.json`` read back), ``train()``'s keyword arguments and the options
of ``python -m utils.charrnn train``. Adding a setting is adding a field.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import MISSING, dataclass, field, fields

import numpy as np

__all__ = ["DEFAULTS", "MAX_LAYERS", "MAX_PARAMETERS", "RUN_KEYS", "TrainConfig"]

#: The largest model the trainer builds (weights; training keeps about four times as many numbers:
#: the gradients and Adam's two moments), and the most recurrent layers. A larger request, on the
#: command line or in a run's config.json, is refused before anything is built.
MAX_PARAMETERS = 100_000_000
MAX_LAYERS = 32
#: Marks a config.json as the settings of a run of this trainer.
RUN_FORMAT = "utils.charrnn run 1"


# --- rules: what a setting accepts, said once for the checks and the command line ----------------


@dataclass(frozen=True)
class Number:
    """An int or a finite float within bounds (``low``/``high``; ``None``: unbounded)."""

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # > low instead of >= low
    high_open: bool = False  # < high instead of <= high
    words: str | None = None  # how to say the rule, when the bounds alone say it badly

    def describe(self) -> str:
        if self.words:
            return self.words
        noun = "an integer" if self.kind is int else "a finite number"
        low = None if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = None if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        if low and high:
            return f"{noun} {low} and {high}"
        return f"{noun} {low or high}" if (low or high) else noun

    def problem(self, value) -> str | None:
        """None if ``value`` follows the rule, else what it should be."""
        kinds = (int, np.integer) if self.kind is int else (int, float, np.integer, np.floating)
        ok = not isinstance(value, bool) and isinstance(value, kinds) and math.isfinite(value)
        if ok and self.low is not None:
            ok = value > self.low if self.low_open else value >= self.low
        if ok and self.high is not None:
            ok = value < self.high if self.high_open else value <= self.high
        return None if ok else f"must be {self.describe()}"

    def parse(self, text: str):
        """The argparse type: the number in ``text``, or an error that says the rule."""
        try:
            value = self.kind(text)
        except ValueError:
            noun = "an integer" if self.kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        problem = self.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(f"{problem}, got {text!r}")
        return value


@dataclass(frozen=True)
class Choice:
    """One of a few strings."""

    options: tuple[str, ...]

    def describe(self) -> str:
        return " or ".join(repr(o) for o in self.options)

    def problem(self, value) -> str | None:
        return None if value in self.options else f"must be {self.describe()}"

    def parse(self, text: str) -> str:
        return text


def setting(default, rule, help: str, *, run: bool = True, before=MISSING, optional=False):
    """A field of :class:`TrainConfig`.

    Args:
        default: its value when not given.
        rule: a :class:`Number` or :class:`Choice`.
        help: one line for ``--help``.
        run: whether it defines the run (recorded in config.json; resuming must match).
        before: the value of runs whose config.json was written before the setting existed
            (omit for the settings the first trainer had).
        optional: ``None`` is accepted too (no value: e.g. no time budget).
    """
    meta = {"rule": rule, "help": help, "run": run, "before": before, "optional": optional}
    return field(default=default, metadata=meta)


_MAX_SEED = 2**32 - 1  # NumPy's legacy seeding, used by keras.utils.set_random_seed
_POSITIVE_INT = Number(int, low=1)
_POSITIVE = Number(float, low=0, low_open=True)


@dataclass
class TrainConfig:
    """Settings of a training run; :meth:`check` raises ``ValueError`` naming a bad one.

    The defaults are the best configuration found for 2 CPU cores at budgets of 110 s and
    10 minutes (``benchmarks/tune_defaults.py`` reruns the comparisons behind them, on a slice of
    the training text, and writes them to ``benchmarks/results/tune_defaults*.md``).
    """

    cell: str = setting("gru", Choice(("lstm", "gru")), "recurrent cell")
    units: int = setting(384, _POSITIVE_INT, "units per recurrent layer")
    layers: int = setting(1, Number(int, 1, MAX_LAYERS, words=f"an integer from 1 to "
                                    f"{MAX_LAYERS} (the trainer's limit)"),
                          "recurrent layers")
    embedding: int = setting(64, _POSITIVE_INT, "embedding dimensions")
    dropout: float = setting(0.2, Number(float, 0, 1, high_open=True),
                             "dropout rate between layers while training (0: none)", before=0.0)
    seq_len: int = setting(50, _POSITIVE_INT, "characters per training sequence")
    batch: int = setting(64, _POSITIVE_INT, "sequences per step")
    lr: float = setting(5e-3, _POSITIVE, "Adam's learning rate")
    clipnorm: float = setting(1.0, _POSITIVE, "clip each gradient tensor to this norm")
    schedule: str = setting("cosine", Choice(("cosine", "constant")),
                            "learning rate: cosine decay to 5%% along the budget, or constant")
    val_fraction: float = setting(0.1, Number(float, 0, 1, low_open=True, high_open=True),
                                  "the last fraction of the text held out for validation")
    seed: int = setting(0, Number(int, 0, _MAX_SEED, words="an integer from 0 to 2**32 - 1 "
                                  f"({_MAX_SEED:,})"), "seeds the weights and the batch order")
    mix_ngram: int = setting(0, Number(int, low=0),
                             "also fit a Kneser-Ney n-gram of this order and mix it with the "
                             "network (0: off)", before=0)
    mix_slice: float = setting(0.05, Number(float, 0, 0.5, low_open=True),
                               "with --mix-ngram: the fraction of the training part, from its "
                               "middle, held back from both models to choose the mixture's "
                               "weight",
                               before=0.05)
    minutes: float | None = setting(None, _POSITIVE, "training-time budget in minutes "
                                    "(default 10 if --epochs is not given)",
                                    run=False, optional=True)
    epochs: int | None = setting(None, _POSITIVE_INT, "budget in epochs", run=False,
                                 optional=True)
    eval_seconds: float = setting(60.0, _POSITIVE, "score the validation text and save every "
                                  "this many training seconds", run=False)

    def check(self) -> TrainConfig:
        """Raise ``ValueError`` naming the first bad setting and what it should be."""
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata["optional"]:
                continue
            problem = f.metadata["rule"].problem(value)
            if problem:
                raise ValueError(f"{f.name} {problem}, got {value!r}.")
        if self.minutes is None and self.epochs is None:
            raise ValueError("give a budget: minutes (training time) and/or epochs.")
        return self

    @classmethod
    def from_settings(cls, settings: dict) -> TrainConfig:
        """The checked config of keyword settings; an unknown name is a ``TypeError``."""
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise TypeError(f"unknown setting(s) {', '.join(map(repr, unknown))}: the settings "
                            f"are {', '.join(SETTINGS)}.")
        return cls(**settings).check()

    def run_settings(self) -> dict:
        """The settings that define the run (``config.json``'s), by name."""
        return {k: getattr(self, k) for k in RUN_KEYS}


#: Every setting's name, in order.
SETTINGS = tuple(f.name for f in fields(TrainConfig))
#: Settings that define a run: written to config.json; resuming with other values is refused.
RUN_KEYS = tuple(f.name for f in fields(TrainConfig) if f.metadata["run"])
#: The default of every run-defining setting.
DEFAULTS = {f.name: f.default for f in fields(TrainConfig) if f.metadata["run"]}
#: The value of a setting added later, for runs whose config.json was written before it existed.
ADDED_KEYS = {"format": RUN_FORMAT, **{f.name: f.metadata["before"] for f in fields(TrainConfig)
                                       if f.metadata["before"] is not MISSING}}


def add_options(parser: argparse.ArgumentParser) -> None:
    """One option per setting (``--seq-len`` for ``seq_len``), typed and checked by its rule."""
    for f in fields(TrainConfig):
        rule, extra = f.metadata["rule"], {}
        if isinstance(rule, Choice):
            extra["choices"] = list(rule.options)
        else:
            extra["type"] = rule.parse
            extra["metavar"] = "INT" if rule.kind is int else "X"
        shown = "" if f.default is None else f" (default {f.default})"
        parser.add_argument("--" + f.name.replace("_", "-"), default=f.default,
                            help=f.metadata["help"] + shown, **extra)
