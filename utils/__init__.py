"""Small utilities for the *Sequence Models* course.

The package is organised by concept, one module each, in three parts (README.md has the map):

The course library (NumPy and matplotlib):

- :mod:`utils.data` -- corpora by pinned URL and SHA-256, text cleaning, vocabularies;
- :mod:`utils.ngram` -- n-gram language models and their command line;
- :mod:`utils.numpy_rnn` -- NumPy SimpleRNN / LSTM / GRU in Keras's weight layout, with BPTT;
- :mod:`utils.gradcheck` -- finite-difference gradient checks;
- :mod:`utils.curves` -- numbers read off a curve (factor per step, first time at a level);
- :mod:`utils.tasks` -- generated tasks (long-range memory, masked fill-in, dates, DTMF audio);
- :mod:`utils.optim` -- Adam and Keras's initial weights, in NumPy;
- :mod:`utils.plot` -- the book's figure style, ``plot`` and ``show``, and the drawn diagrams.

The book's machinery: :mod:`utils.claims` (the claims a chapter checks about its run, recorded for
the sweep), :mod:`utils.glue` (a computed value for the text), :mod:`utils.exercises` (the
learners' exercise checks), and this module (seeds, machine information for reports).

The trainer: :mod:`utils.charrnn` (train / sample / evaluate a character-level RNN on any text)
and :mod:`utils.rundir` (its run directory).

Seeds: :func:`model_rng` / :func:`set_seed` for what decides how a model trains, :func:`data_rng`
for generated data; the robustness sweep shifts each kind with its own environment variable.

``import utils`` does not import TensorFlow: :func:`set_seed` reaches Keras only when called.
"""

import os
import platform
import random
import sys
from importlib import metadata

import numpy as np

__all__ = [
    "data_rng", "data_seed", "data_seed_offset", "machine_info", "machine_key", "machine_line",
    "model_rng", "results_file", "seed_offset", "set_seed", "shifted_seed",
]
__version__ = "0.1.0"

SEED_OFFSET_VARIABLE = "SEQUENCE_MODELS_SEED_OFFSET"
DATA_SEED_OFFSET_VARIABLE = "SEQUENCE_MODELS_DATA_SEED_OFFSET"


def _offset_from(variable: str) -> int:
    """The non-negative integer in the environment variable ``variable``, or 0 when unset."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return 0
    try:
        offset = int(text)
    except ValueError:
        offset = -1
    if offset < 0:
        raise ValueError(
            f"{variable} must be a non-negative integer, got {text!r}: "
            f"unset it or set it to 0, 1, 2, ..."
        )
    return offset


def seed_offset() -> int:
    """The shift added to every model seed: ``$SEQUENCE_MODELS_SEED_OFFSET``, or 0 when unset.

    The robustness sweep (``tools/sweep.py``) sets it to run every chapter with other seeds, as a
    stand-in for another machine's luck.
    """
    return _offset_from(SEED_OFFSET_VARIABLE)


def data_seed_offset() -> int:
    """The shift added to every seed of generated data: ``$SEQUENCE_MODELS_DATA_SEED_OFFSET``.

    The robustness sweep sets it so that a chapter's generated examples (tasks, toy signals,
    positions drawn in a text) change too, and a claim cannot rest on one lucky draw of data.
    """
    return _offset_from(DATA_SEED_OFFSET_VARIABLE)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} ({seed!r}).")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}.")
    return int(seed)


def data_seed(seed: int) -> int:
    """``seed`` plus :func:`data_seed_offset`: the seed of a generated data set."""
    return _check_seed(seed) + data_seed_offset()


def data_rng(seed: int = 0) -> np.random.Generator:
    """A NumPy ``Generator`` for generated data: a task's examples, a toy signal, sampled positions.

    Data seeds are kept apart from model seeds (:func:`model_rng`), so that the robustness sweep
    can change the data, the model's luck, or both.
    """
    return np.random.default_rng(data_seed(seed))


def shifted_seed(seed: int) -> int:
    """``seed`` plus :func:`seed_offset`: the seed to give a model's initialiser or batch order."""
    return _check_seed(seed) + seed_offset()


def model_rng(seed: int = 0) -> np.random.Generator:
    """A NumPy ``Generator`` for a NumPy model's initial weights or batch order.

    Every seed that decides how a model trains goes through here (or :func:`set_seed`), so that
    the robustness sweep can shift them all at once with ``SEQUENCE_MODELS_SEED_OFFSET``.
    """
    return np.random.default_rng(shifted_seed(seed))


def set_seed(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy and, if they are imported, Keras and TensorFlow.

    Import Keras (or TensorFlow) before calling it: a NumPy-only notebook does not pay for
    importing TensorFlow (seconds), and one that uses Keras seeds it here. With Keras, it also
    asks TensorFlow for deterministic kernels, so that a notebook run twice on the same machine
    gives the same numbers (on another machine, other kernels round differently and a trained
    model may end elsewhere). The seed is shifted by :func:`seed_offset`.

    Args:
        seed: a non-negative integer.
    """
    try:
        seed = shifted_seed(seed)
    except (TypeError, ValueError) as error:
        raise type(error)(f"set_seed: {error}") from None
    random.seed(seed)
    np.random.seed(seed)
    if "keras" not in sys.modules and "tensorflow" not in sys.modules:
        return  # NumPy only: nothing else to seed
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # older TensorFlow: determinism is best effort
        pass


def machine_info() -> dict[str, str]:
    """What a measurement ran on: CPU model, cores, Python and library versions.

    Benchmarks and the measured-results page print it beside every number they report.
    """
    cpu, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                if cpu and flags:
                    break
    except OSError:  # not Linux
        pass
    info = {
        "cpu": cpu,
        "vector instructions": _vector_instructions(flags),
        "cores available": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                               else os.cpu_count()),
        "system": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
    }
    for package in ("numpy", "tensorflow", "keras", "jupyter-book"):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = "not installed"
    return info


def machine_key() -> dict[str, str]:
    """The parts of :func:`machine_info` that decide how far a run gets in its seconds (CPU, its
    vector instructions, cores, TensorFlow). A benchmark that keeps results to resume compares
    this with the kept one: results from two machines are never put in one table.
    """
    info = machine_info()
    return {k: info[k] for k in ("cpu", "vector instructions", "cores available", "tensorflow")}


def machine_line(load_before: float | None = None, onednn: bool = False) -> str:
    """The "Machine: ..." sentence that heads every benchmark report.

    Cores, CPU model and vector instructions, TensorFlow's version, oneDNN on or off (when
    ``onednn``, read from ``TF_ENABLE_ONEDNN_OPTS``) and the 1-minute load average when the
    measurement started (``load_before``), since other work on the machine inflates timings.
    """
    info = machine_info()
    line = (f"Machine: {info['cores available']} CPU cores ({info['cpu']}; "
            f"{info['vector instructions']}), Python {info['python']}, "
            f"TensorFlow {info['tensorflow']}")
    if onednn:
        line += f", oneDNN {'off' if os.environ.get('TF_ENABLE_ONEDNN_OPTS') == '0' else 'on'}"
    if load_before is not None:
        line += f"; 1-minute load average {load_before:.1f} at the start"
    return line + "."


def results_file(name: str):
    """The file ``benchmarks/results/<name>`` that a benchmark wrote (a :class:`pathlib.Path`).

    Chapters and the measured-results page show these files as they are. A missing file is
    explained: which script writes it, or how to restore it from git.
    """
    from pathlib import Path

    results = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
    path = results / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing. A script in benchmarks/ writes it (the measured-results "
            f"appendix says which); run that script, or restore the file with "
            f"`git checkout -- benchmarks/results/{name}`."
        )
    return path


def _vector_instructions(flags: set[str]) -> str:
    """The SIMD extensions that decide TensorFlow's CPU kernels (AVX-512 and AVX2 differ)."""
    if not flags:
        return "unknown"
    names = [("avx512f", "AVX-512"), ("avx2", "AVX2"), ("fma", "FMA"), ("avx", "AVX"),
             ("neon", "NEON"), ("asimd", "NEON")]
    found = [label for flag, label in names if flag in flags]
    if "AVX-512" in found or "AVX2" in found:
        found = [f for f in found if f != "AVX"]
    return ", ".join(dict.fromkeys(found)) or "none of AVX, AVX2, AVX-512"
