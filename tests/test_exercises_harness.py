"""Tests of utils.exercises.harness and of the package: what every check shares (a verdict, a
function asked for, answers that are not real numbers refused), a harness that knows no chapter,
one module per chapter, every check exported and tested.

Each chapter's checks are tested in tests/test_exercises_chNN.py; the tests here borrow a few of
their reference solutions, to give the harness right answers to spoil.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_exercises_ch02 import unigram_log_prob
from test_exercises_ch03 import add_k
from test_exercises_ch05 import rnn_step
from test_exercises_ch10 import bidirectional_concat
from test_exercises_ch11 import greedy_decode
from test_exercises_ch12 import ctc_collapse

from utils import exercises as ex
from utils.exercises import harness

# --- what every check shares ----------------------------------------------------------------------


def test_a_non_callable_is_refused():
    with pytest.raises(TypeError, match="pass your function itself"):
        ex.check_rnn_step(np.zeros(3))


def test_importing_exercises_does_not_import_tensorflow():
    code = ("import sys, utils.exercises; "
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_verdict_is_truthy_and_shows_nothing_in_jupyter():
    assert ex.Verdict(True) and not ex.Verdict(False)
    assert ex.Verdict(True)._ipython_display_() is None


# --- answers that NumPy could turn into numbers but are not numbers -------------------------------


def test_numbers_of_other_kinds_still_pass(capsys):
    assert ex.check_rnn_step(lambda *a: rnn_step(*a).tolist())  # nested lists of floats
    assert ex.check_rnn_step(lambda *a: rnn_step(*a).astype(object))  # objects that are floats
    assert ex.check_bidirectional_concat(
        lambda f, b: bidirectional_concat(f, b).astype(np.longdouble))
    case = harness._Case("check_x", 1, 5)
    ints = harness._real_array(case, "counts", np.arange(6, dtype=np.uint8).reshape(2, 3), (2, 3))
    assert ints.dtype == float and ints.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_masked_or_text_tokens_are_refused():
    with pytest.raises(AssertionError, match="masked array"):
        ex.check_ctc_collapse(lambda path, blank: np.ma.masked_array(ctc_collapse(path, blank),
                                                                     dtype=int))
    with pytest.raises(AssertionError, match="list of ints"):
        ex.check_ctc_collapse(lambda path, blank: np.array(ctc_collapse(path, blank), dtype=str))
    with pytest.raises(AssertionError, match="list of ints"):
        ex.check_greedy_decode(lambda *a: np.array(greedy_decode(*a), dtype=float))


def test_a_masked_or_text_number_is_refused():
    with pytest.raises(AssertionError, match="masked array"):
        ex.check_unigram_log_prob(lambda *a: np.ma.masked_array(unigram_log_prob(*a), mask=True))
    with pytest.raises(AssertionError, match="one number"):
        ex.check_unigram_log_prob(lambda *a: str(unigram_log_prob(*a)))
    with pytest.raises(AssertionError, match="one number"):
        ex.check_add_k(lambda *a: complex(add_k(*a)))


# --- the package: a harness that knows no chapter, one module per chapter -------------------------


def test_every_check_is_tested():
    # chapters 14 and 15 have their checks' tests in tests/test_exercises_ch14.py and
    # tests/test_exercises_ch15.py; the others list theirs in the CHECKS of their test file
    CHECKS = {}
    for path in sorted(Path(__file__).parent.glob("test_exercises_ch*.py")):
        CHECKS.update(getattr(importlib.import_module(path.stem), "CHECKS", {}))
    assert set(CHECKS) == set(ex.__all__) - {"check_mixture_weight",
                                               "check_log_space_recurrence"}


def test_the_harness_knows_no_chapter():
    from pathlib import Path

    source = Path(harness.__file__).read_text(encoding="utf-8")
    assert "utils.exercises.ch" not in source and "_StepFnMisuse" not in source
    assert not [name for name in vars(harness) if name.startswith("check_")]


def test_every_check_lives_in_its_chapters_module_and_is_exported():
    import importlib
    import pkgutil

    chapters = [m.name for m in pkgutil.iter_modules(ex.__path__) if m.name.startswith("ch")]
    assert len(chapters) >= 13
    for name in chapters:
        module = importlib.import_module(f"utils.exercises.{name}")
        for check in module.__all__:
            assert getattr(ex, check) is getattr(module, check) and check in ex.__all__


def test_every_import_of_the_chapters_works():
    import json
    import re
    from pathlib import Path

    chapters = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))
    lines = {line for path in chapters for cell in json.loads(path.read_text())["cells"]
             for line in "".join(cell["source"]).splitlines()
             if re.match(r"\s*from utils\.exercises import", line)}
    assert lines
    for line in lines:
        exec(line.strip(), {})
