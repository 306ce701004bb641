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

import random

import numpy as np

__all__ = ["set_seed"]
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
