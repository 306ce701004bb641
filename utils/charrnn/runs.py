"""A run directory as the trainer reads it: settings, vocabulary and model, checked; a run
opened to train (new, or resumed only with the same text and settings).

The files themselves (safe writes, the lock, checksummed checkpoints) are :mod:`utils.rundir`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import warnings

from utils.charrnn.config import ADDED_KEYS, RUN_KEYS, TrainConfig
from utils.charrnn.model import model_from_config, model_size_problem
from utils.data import Vocabulary
from utils.data import read_text_file as read_utf8_file
from utils.rundir import MIX_TEXT, RunDir, RunDirError, RunDirWarning

__all__ = ["load_model"]


def read_text_file(path: str | os.PathLike) -> str:
    """The UTF-8 text of a file, or a clear error: :func:`utils.data.read_text_file`.

    A folder or an unreadable file is reported as a ``ValueError`` with the same sentence, so that
    the command line shows one line for every bad text file.
    """
    try:
        return read_utf8_file(path, what="text file")
    except (IsADirectoryError, PermissionError) as error:
        raise ValueError(str(error.strerror or error)) from None


def text_argument(text, text_file) -> str:
    """The text given as ``text`` (a str) or ``text_file`` (a path): exactly one of them."""
    if (text is None) == (text_file is None):
        raise ValueError("give exactly one of text (a str) and text_file (a path).")
    if text_file is not None:
        return read_text_file(text_file)
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    if not text:
        raise ValueError("text is empty: there is nothing to score.")
    return text


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vocab_sha256(vocab: Vocabulary) -> str:
    """The SHA-256 of the vocabulary's characters in id order (recorded in config.json)."""
    return hashlib.sha256("".join(vocab.symbols).encode("utf-8", "surrogatepass")).hexdigest()


def is_our_config(config) -> bool:
    """Whether a parsed config.json is the settings of a run of this trainer."""
    return isinstance(config, dict) and all(
        key in config for key in ("vocab_size", "text_sha256", "cell", "units", "seq_len"))


def _is_sha256(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def run_settings(config: dict) -> dict:
    """The run-defining settings of a config.json; a setting added later takes its old value."""
    return {k: config.get(k, ADDED_KEYS.get(k)) for k in RUN_KEYS}


def check_config(run: RunDir, config: dict) -> None:
    """Refuse (:class:`RunDirError`, naming config.json) settings that are not a run's.

    Every setting is checked as :class:`TrainConfig` checks the options, and the model it
    describes must be within the trainer's limits, so that a damaged or crafted file is named
    before anything is built. A setting added after a run was made (e.g. ``dropout``) takes its
    old value when it is missing.
    """
    where = repr(str(run.config_path))
    fix = ("If it was edited, put back the value the run was trained with; otherwise the run's "
           "settings are lost: train into a new --out directory.")

    def damaged(problem: str):
        return RunDirError(f"{where} is damaged: {problem}. {fix}")

    for key in (*RUN_KEYS, "vocab_size", "text_sha256"):
        if key not in config and key not in ADDED_KEYS:
            raise damaged(f"it lacks the setting {key!r}")
    settings = run_settings(config)
    try:
        TrainConfig(**settings, epochs=1).check()
    except (ValueError, TypeError) as error:
        raise damaged(str(error).rstrip(".")) from None
    vocab_size = config["vocab_size"]
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
        raise damaged(f"vocab_size must be an integer >= 1, got {vocab_size!r}")
    for key in ("text_sha256", "vocab_sha256", "mix_text_sha256"):
        if key in config and not _is_sha256(config[key]):
            raise damaged(f"{key} must be 64 hexadecimal digits, got {config[key]!r}"[:300])
    if settings["mix_ngram"] and "mix_text_sha256" not in config:
        raise damaged("it lacks the setting 'mix_text_sha256' (needed with mix_ngram)")
    too_large = model_size_problem(vocab_size, settings["cell"], settings["units"],
                                   settings["layers"], settings["embedding"])
    if too_large:
        raise RunDirError(f"{where} asks for a model too large to build: {too_large}. {fix}")


def read_run_vocab(run: RunDir, config: dict) -> Vocabulary:
    """The run's vocabulary, checked against config.json (its size, and its SHA-256 if recorded).

    Runs made before the SHA-256 was recorded are checked by size only (training them again
    records it).
    """
    vocab = run.read_vocab()
    size, expected = config["vocab_size"], config.get("vocab_sha256")
    vocab_file, config_file = str(run.vocab_path), str(run.config_path)
    if expected is not None and vocab_sha256(vocab) != expected:
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
    """Load a trained model from a directory written by :func:`~utils.charrnn.train`.

    Every file read is checked. If the checkpoint asked for is missing or damaged (its SHA-256
    differs from the one recorded when it was saved, or it cannot be loaded), the other one is
    used (best <-> latest), or else the newest checkpoint on disk; so is a missing or damaged
    ``state.json``. A :class:`~utils.rundir.RunDirWarning` says which file was used and why.

    Args:
        model_dir: the ``--out`` directory of a training run.
        which: ``"best"`` (lowest validation loss) or ``"latest"``.

    Returns:
        ``(model, vocab, config)``: the model (see :func:`~utils.charrnn.build_model`), its
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
    if not is_our_config(config):
        raise RunDirError(f"{str(run.config_path)!r} is not the settings of a run of this "
                          f"trainer (keys missing): is --model the right directory?")
    check_config(run, config)
    vocab = read_run_vocab(run, config)
    problems = []
    try:
        state = run.read_state()
    except RunDirError as error:
        state = None
        problems.append(str(error))
    model = model_from_config(config)
    for name in run.weight_candidates(state, which):
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


# --- opening a run to train it --------------------------------------------------------------------


def new_state() -> dict:
    return {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "train_seconds": 0.0,
            "chars_seen": 0, "best_val": None, "best_weights": None, "latest_weights": None,
            "latest_optimizer": None, "history": [], "sha256": {}}


def open_run(run: RunDir, run_config: dict, vocab: Vocabulary, log,
             mix_text: str | None = None) -> dict:
    """The run's progress: a new run's (its settings written), or the saved one, checked.

    Call with the lock held. Litter of an interrupted save is removed (and said); a damaged
    ``vocab.json`` is rebuilt from the text (the same text: its SHA-256 is in the settings); a
    run made before the vocabulary's SHA-256 was recorded gets it in its config.json; so is a
    damaged ``mix-text.txt`` (``mix_text``: the training part, for a mixture). Checkpoints
    without a ``state.json`` are never removed: the run is refused instead (see
    :func:`state_lost`).
    """
    if not run.has_run():
        kept = run.checkpoints()
        if kept:
            raise RunDirError(state_lost(run, kept))
        removed = run.clean_litter(None)
        run.write_config(run_config)
        run.write_vocab(vocab)
        if mix_text is not None:
            run.write_mix_text(mix_text)
        state = new_state()
    else:
        old = run.read_config()
        check_config(run, old)
        check_same_run(run, old, run_config)
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
        if mix_text is not None and run.check_file(
                {}, MIX_TEXT, run_config["mix_text_sha256"]) is not None:
            run.write_mix_text(mix_text)
            log(f"{run.path / MIX_TEXT} was missing or damaged: written again from the text.")
    if removed:
        log(f"removed {len(removed)} file(s) left by an interrupted save: "
            f"{', '.join(removed[:3])}{' ...' if len(removed) > 3 else ''}")
    return state


def state_lost(run: RunDir, kept: list[str]) -> str:
    """The refusal for checkpoints without a state.json (which says what they are worth)."""
    shown = ", ".join(kept[:4]) + (f" and {len(kept) - 4} more" if len(kept) > 4 else "")
    return (f"{str(run.path)!r} holds checkpoints ({shown}) but no state.json, the run's "
            f"progress (step, epoch, history): it was deleted or lost, and training cannot "
            f"resume without it. Nothing was changed. The checkpoints can still be used: `python "
            f"-m utils.charrnn sample --model {shlex.quote(str(run.path))}` takes the newest. To "
            f"train, choose a new --out directory, or delete the checkpoints there to start this "
            f"run over.")


#: config.json's values derived from the text (checked after the text's SHA-256).
DERIVED_KEYS = ("vocab_size", "vocab_sha256", "text_chars")


def check_same_run(run: RunDir, old: dict, run_config: dict) -> None:
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
        if key in DERIVED_KEYS or key.startswith("text") or key.endswith("_sha256"):
            continue
        there = old.get(key, ADDED_KEYS.get(key))
        if there != value:
            shown = repr(there) if key in old else (
                f"{there!r} (not recorded in config.json: the value of runs made before "
                f"{key} existed)")
            raise ValueError(
                f"{where} holds a run with different settings ({key}: {shown} there, {value!r} "
                f"now). Resume with the same options and text, or choose a new --out directory."
            )
    for key in DERIVED_KEYS:
        if key in old and old[key] != run_config[key]:
            raise RunDirError(
                f"{str(run.config_path)!r} is damaged: {key} is {old[key]!r}, but the run's text "
                f"(the same text: its SHA-256 matches) gives {run_config[key]!r}. Put back "
                f"\"{key}\": {json.dumps(run_config[key])} there.")


def finished_run(run: RunDir, run_config: dict, budget) -> dict | None:
    """The state of a finished run with these settings (``budget.finished(state)``), read
    without writing; else None."""
    if not run.has_run():
        return None
    old = run.read_config()
    check_config(run, old)
    check_same_run(run, old, run_config)
    state = run.read_state()
    return state if budget.finished(state) else None


def restore(run: RunDir, state: dict, model, optimizer) -> None:
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
