"""pytest set-up shared by the unit tests and the notebook tests (nbval)."""

import os

# Set before any kernel or TensorFlow starts: keeps TensorFlow's start-up noise out of test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
