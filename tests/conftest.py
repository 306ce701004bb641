"""The fixtures of the unit tests: a tiny text in a file and a tiny run trained on it, once per
session (the helpers they use, and that test files import, are in helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import tiny_text, train_tiny, write_text


@pytest.fixture(scope="session")
def text_file(tmp_path_factory) -> Path:
    """:func:`tiny_text` in a file (a test file may define its own ``text_file``)."""
    return write_text(tmp_path_factory, tiny_text())


@pytest.fixture(scope="session")
def trained(tmp_path_factory, text_file) -> Path:
    """A finished 3-epoch run on ``text_file``, shared by all tests: copy it to change it."""
    return train_tiny(tmp_path_factory, text_file, epochs=3)
