"""TensorFlow and Keras, imported on first use (``import utils`` stays light).

On the command line (:data:`QUIET`), TensorFlow's start-up notices are kept off the terminal:
what it writes to stderr while importing and looking for devices is held back, and only the lines
that are not known notices (:data:`STARTUP_NOTICES`) are written out, so real errors still show.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

#: Set by the command line: hold back TensorFlow's start-up notices.
QUIET = False
#: Lines that TensorFlow writes to stderr at start-up on every machine, and that are not errors.
STARTUP_NOTICES = re.compile(
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


def import_tf():
    """``(keras, tensorflow)``, imported on first use (quietly if :data:`QUIET`)."""
    saved = None
    if QUIET and "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # no INFO lines once logging starts
        if sys.stderr is not None:
            sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (closed): nothing to keep quiet
            saved = None
    if saved is not None:
        with tempfile.TemporaryFile() as held:
            os.dup2(held.fileno(), 2)  # file descriptor 2: what the C++ side writes too
            try:
                import keras  # noqa: F401
                import tensorflow as tf

                tf.config.list_physical_devices()  # the CUDA probe writes its notice here
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                held.seek(0)
                if sys.stderr is not None:
                    replay_startup_lines(held.read().decode("utf-8", "replace"), sys.stderr)
    import keras
    import tensorflow as tf

    return keras, tf


def replay_startup_lines(text: str, stream) -> None:
    """Write the lines of ``text`` that are not known start-up notices to ``stream``."""
    kept = [line for line in text.splitlines() if line.strip()
            and not STARTUP_NOTICES.search(line)]
    if kept:
        stream.write("\n".join(kept) + "\n")
        stream.flush()
