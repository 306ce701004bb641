"""Tests of utils.charrnn.tf_import: TensorFlow imported only when needed (``import utils.charrnn``
stays light), and its start-up notices held back on the command line."""

from __future__ import annotations

import io
import subprocess
import sys

from utils import charrnn


def test_import_does_not_load_tensorflow():
    code = "import sys, utils, utils.charrnn; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_startup_notices_are_held_back_and_real_errors_shown():

    held = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1.2 1 port.cc:153] oneDNN custom operations are on. You may see ...\n"
        "I0000 00:00:1.3 1 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU\n"
        "I0000 00:00:1.7 1 cpu_feature_guard.cc:227] This TensorFlow binary is optimized ...\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild ...\n"
        "E0000 00:00:1.8 1 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
        "E0000 00:00:1.9 1 something.cc:1] a real error\n"
        "Traceback (most recent call last):\n"
    )
    stream = io.StringIO()
    charrnn.tf_import.replay_startup_lines(held, stream)
    assert stream.getvalue().splitlines() == [
        "E0000 00:00:1.9 1 something.cc:1] a real error", "Traceback (most recent call last):"]
