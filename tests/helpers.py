"""Helpers that the test files of two packages share, kept here once (the fixtures built on them
are in conftest.py).

- ``utils.charrnn`` (``tests/test_charrnn_<module>.py``): the tiny settings :data:`TINY`, the tiny
  text :func:`tiny_text`, and helpers to train, interrupt, copy, read, edit and resume a tiny run.
- ``utils.exercises`` (``tests/test_exercises_chNN.py``): :func:`exercise_tests`, the tests that
  every check gets from its file's ``CHECKS``.
- the scripts of ``tools/``, ``benchmarks/`` and ``_ext/`` (not a package): :func:`load_script`.
- the chapters' notebooks, read as JSON: :func:`notebook_cells`, :func:`cell_source` and
  :func:`notebook_cell` (one cell by its id).

A test file imports them by name (``from helpers import TINY, tiny_text``); pytest puts this folder
on the import path. Nothing here imports ``utils`` until a test needs it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def notebook_cells(path: Path) -> list[dict]:
    """The cells of a notebook file, in page order."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def cell_source(cell: dict) -> str:
    """A cell's source as one string (a notebook stores it as a list of lines)."""
    return "".join(cell["source"])


def notebook_cell(path: Path, cell_id: str) -> dict:
    """The cell of a notebook with the id ``cell_id``; fails the test, naming both, if none."""
    found = [cell for cell in notebook_cells(path) if cell.get("id") == cell_id]
    if not found:
        pytest.fail(f"{Path(path).name} has no cell with the id {cell_id!r} (renamed or removed?)")
    return found[0]


def load_script(path: str):
    """Import a script of the tree (``"tools/sweep.py"``) as a module (scripts are no package)."""
    file = ROOT / path
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- utils.charrnn: a tiny run -------------------------------------------------------------------

#: Settings small enough that a run trains in seconds (16 units).
TINY = dict(units=16, embedding=8, seq_len=16, batch=8, eval_seconds=1000.0, lr=1e-2, dropout=0.0)


def tiny_text() -> str:
    """Short phrases drawn with a fixed seed: the text of the tiny runs."""
    rng = np.random.default_rng(0)
    words = ["the cat", "a dog", "sat on", "the mat", "ran off", "and then", "quickly"]
    return " ".join(words[i] for i in rng.integers(0, len(words), 500)) + ".\n"


def write_text(tmp_path_factory, text: str) -> Path:
    """``text`` in a new file ``tiny.txt``."""
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text(text, encoding="utf-8")
    return path


def train_tiny(tmp_path_factory, text_file: Path, epochs: int, **settings) -> Path:
    """A new run directory with a finished tiny run of ``epochs`` epochs (TINY and ``settings``)."""
    from utils import charrnn

    out = tmp_path_factory.mktemp("run")
    charrnn.train(out, text_file=text_file, epochs=epochs, log=lambda line: None, **TINY,
                  **settings)
    return out


def interrupt_at_step(out: Path, text_file: Path, step: int, epochs: int, **settings) -> None:
    """Train a tiny run in ``out`` (TINY and ``settings``) and press Ctrl-C once ``step`` is done:
    the KeyboardInterrupt goes through ``train``, as on the command line."""
    from utils import charrnn

    def stop_at_step(state):
        if state["global_step"] == step:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        charrnn.train(out, text_file=text_file, epochs=epochs, log=lambda line: None,
                      on_step=stop_at_step, **TINY, **settings)


def copy_run(trained: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(trained, out)
    return out


def run_files(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def edit_json(out: Path, name: str, change) -> None:
    data = json.loads((out / name).read_text())
    change(data)
    (out / name).write_text(json.dumps(data))


def tiny_cli(text_file, out, epochs: int) -> list[str]:
    return [sys.executable, "-m", "utils.charrnn", "train", "--text", str(text_file),
            "--out", str(out), "--epochs", str(epochs), "--units", "16", "--embedding", "8",
            "--seq-len", "16", "--batch", "8", "--eval-seconds", "1000", "--dropout", "0"]


def tiny_argv(text_file, out, epochs: int) -> list[str]:
    """The arguments of main() that resume the `trained` run (TINY's settings)."""
    return tiny_cli(text_file, out, epochs)[3:] + ["--lr", "0.01"]


# --- utils.exercises: the tests every check gets -------------------------------------------------

NOT_REAL = {  # how a right answer is spoiled: (spoil, word of the message)
    "strings": (lambda a: np.asarray(a).astype(str), "strings"),
    "complex": (lambda a: np.asarray(a).astype(complex), "complex"),
    "fully masked": (lambda a: np.ma.masked_all(np.shape(a)), "masked array"),
    "masked, no entry masked": (lambda a: np.ma.masked_array(a, mask=False), "masked array"),
    "booleans": (lambda a: np.asarray(a) > 0, "booleans"),
    "object array of strings": (lambda a: np.asarray(a).astype(str).astype(object), "numbers"),
}


def exercise_tests(CHECKS: dict, arrays: str | None = None) -> tuple:
    """The tests of a test file's checks of utils.exercises, to be bound to their names there.

    ``CHECKS`` maps each check to ``(reference, [(wrong solution, word of its hint), ...])``:
    the course's solution passes (and prints the pass line), the stub (raising
    NotImplementedError) returns False with the "not done yet" line, and each typical wrong
    solution fails with an AssertionError whose message carries the hint meant for it.
    ``arrays`` says, for checks whose answer is made of arrays, how: ``"one"`` array, or
    ``"each"`` item of a tuple or list is one; a fourth test then spoils the reference's answer in
    each way of :data:`NOT_REAL` and wants it refused. A test file binds the tests to their names::

        (test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
         test_an_answer_that_is_not_real_numbers_is_refused) = exercise_tests(CHECKS, arrays="one")
    """
    from utils import exercises as ex

    WRONG = [(name, wrong, word) for name, (_, wrongs) in CHECKS.items() for wrong, word in wrongs]

    @pytest.mark.parametrize("name", sorted(CHECKS))
    def test_reference_passes(name, capsys):
        reference = CHECKS[name][0]
        assert getattr(ex, name)(reference)
        assert capsys.readouterr().out == "correct: 5 of 5 cases\n"

    @pytest.mark.parametrize("name", sorted(CHECKS))
    def test_stub_is_not_done_yet(name, capsys):
        def my_function(*args):
            raise NotImplementedError  # your code here

        assert not getattr(ex, name)(my_function)
        assert capsys.readouterr().out == ("not done yet: write my_function and run this cell "
                                           "again\n")

    @pytest.mark.parametrize(("name", "wrong", "word"), WRONG,
                             ids=[f"{n}-{w.__name__}" for n, w, _ in WRONG])
    def test_typical_mistake_gets_its_hint(name, wrong, word):
        with pytest.raises(AssertionError) as failure:
            getattr(ex, name)(wrong)
        message = " ".join(str(failure.value).split())  # the message is wrapped at 78 characters
        assert name in message and "case" in message
        assert word in message, message
        assert max(len(line) for line in str(failure.value).splitlines()) <= 78

    if arrays is None:
        return test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint

    @pytest.mark.parametrize("spoil", sorted(NOT_REAL))
    @pytest.mark.parametrize("name", sorted(CHECKS))
    def test_an_answer_that_is_not_real_numbers_is_refused(name, spoil):
        reference, layout = CHECKS[name][0], arrays
        change, word = NOT_REAL[spoil]

        def spoiled(*args):
            answer = reference(*args)
            return change(answer) if layout == "one" else type(answer)(change(a) for a in answer)

        with pytest.raises(AssertionError) as failure:
            getattr(ex, name)(spoiled)
        message = " ".join(str(failure.value).split())
        assert word in message and "case 1 of 5" in message, message
        assert max(len(line) for line in str(failure.value).splitlines()) <= 78

    return (test_reference_passes, test_stub_is_not_done_yet, test_typical_mistake_gets_its_hint,
            test_an_answer_that_is_not_real_numbers_is_refused)
