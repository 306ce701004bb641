"""Small utilities for the *Sequence Models* course.

The package is organised by concept, one module each:

- :mod:`utils.data` -- corpora by pinned URL and SHA-256, text cleaning, vocabularies;
- :mod:`utils.ngram` -- n-gram language models and their command line;
- :mod:`utils.numpy_rnn` -- NumPy SimpleRNN / LSTM / GRU in Keras's weight layout, with BPTT;
- :mod:`utils.gradcheck` -- finite-difference gradient checks;
- :mod:`utils.tasks` -- generated tasks (long-range memory, masked fill-in, dates, DTMF audio);
- :mod:`utils.plot` -- the book's figure style and the drawn cell diagrams;
- :mod:`utils.charrnn` -- train / sample / evaluate a character-level RNN on any text.

``import utils`` does not import TensorFlow: :func:`set_seed` reaches Keras only when called.
"""

import os
import platform
import random
import sys
from importlib import metadata

import numpy as np

__all__ = ["machine_info", "set_seed"]
__version__ = "0.1.0"


def set_seed(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy and (if TensorFlow is installed) Keras and TensorFlow.

    Also asks TensorFlow for deterministic kernels, so that a notebook run twice on the same
    machine gives the same numbers.

    Args:
        seed: a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_seed: seed must be an int, got {type(seed).__name__} ({seed!r}).")
    if seed < 0:
        raise ValueError(f"set_seed: seed must be >= 0, got {seed}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import keras
        import tensorflow as tf
    except ImportError:  # NumPy-only use of the course utilities
        return
    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # older TensorFlow: determinism is best effort
        pass


def machine_info() -> dict[str, str]:
    """What a measurement ran on: CPU model, cores, Python and library versions.

    Benchmarks and the measured-results page print it beside every number they report.
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # not Linux
        pass
    info = {
        "cpu": cpu,
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
