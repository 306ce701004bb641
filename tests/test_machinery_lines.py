"""Tests of tools/machinery_lines.py on a tiny notebook made here."""

import json
from pathlib import Path

import pytest

from helpers import load_script

ROOT = Path(__file__).resolve().parent.parent
ml = load_script("tools/machinery_lines.py")

CELLS = [
    # (source, tags): the expected count is in the comment of each cell
    ("import numpy as np\nimport utils\n\nutils.set_seed(0)\nrng = utils.data_rng(1)\n"
     "x = np.cumsum(rng.normal(size=10))  # teaches: a random walk\n", []),  # 4 seeds, 1 teach
    ("%matplotlib inline\ndef mean(v):\n    \"\"\"The average.\"\"\"\n    return sum(v) / len(v)\n"
     "\nm = mean(x)\n", []),  # 1 magic, 4 teaching
    ("claim_close('mean equals np.mean',\n            m, np.mean(x), atol=1e-12)\n"
     "for k in range(2):\n    claim(f'k is small ({k})', k, '<', 5)\n", []),  # 4 claims
    ("# a figure\nfig = plot(x, {'walk': x},\n           alt='A walk of '\n"
     "               'ten steps.')\nshow(fig, alt='x')\n", []),  # 2 teach, 3 alt text
    ("text = f'The mean is {m:.2f}.'\nif m > 0:\n    text += ' Positive.'\n"
     "display(Markdown(text))\nglue('m', m, display=False)\n", []),  # 5 glue and prose
    ("print('hidden')\nprint('code')\n", ["remove-input"]),  # 2 hidden
    ("wrapped = textwrap.fill('words ' * 30)\nprint(len(x))\n", []),  # 1 prose, 1 teaching
]


def _notebook(path: Path) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Tiny\n\nimport nothing"}]
    cells += [{"cell_type": "code", "metadata": {"tags": tags} if tags else {},
               "source": src.splitlines(keepends=True), "outputs": [], "execution_count": None}
              for src, tags in CELLS]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


def test_each_rule_counts_its_lines(tmp_path):
    counts = ml.count(_notebook(tmp_path / "01_tiny.ipynb"))
    assert counts["by rule"] == {"hidden": 2, "magic": 1, "imports and seeds": 4,
                                 "claims": 4, "glue and prose": 6, "alt text": 3}
    assert counts["teaching"] == 1 + 4 + 2 + 1
    assert counts["machinery"] == 20
    assert counts["ratio"] == pytest.approx(20 / 8)
    # on the page: the 18 machinery lines outside the hidden cell, among 8 + 18 visible lines
    assert counts["page share"] == pytest.approx(18 / 26)


def test_a_comment_counts_as_the_code_it_explains():
    assert ml.cell_lines("# a claim\nclaim('x', 1, '>', 0)\n# teach\ny = 2\n# end", set()) == [
        "claims", "claims", None, None, None]


def test_a_cell_that_does_not_parse_teaches_line_by_line():
    assert ml.cell_lines("x = (\n!ls\n", set()) == [None, "magic"]


def test_the_command_prints_a_table_and_writes_markdown_without_overwriting(tmp_path, capsys):
    nb = _notebook(tmp_path / "01_tiny.ipynb")
    out = tmp_path / "table.md"
    assert ml.main([str(nb), "--markdown", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| chapter | teaching | machinery | ratio |" in printed
    assert "| 01_tiny | 8 | 20 | 2.50 | 69% |" in printed
    assert "| all | 8 | 20 | 2.50 | 69% |" in printed
    assert "| 01_tiny | 8 | 20 | 2.50 |" in out.read_text()
    assert ml.main([str(nb), "--markdown", str(out)]) == 0, "its own file may be rewritten"
    mine = tmp_path / "mine.md"
    mine.write_text("my notes\n")
    with pytest.raises(SystemExit):
        ml.main([str(nb), "--markdown", str(mine)])
    assert mine.read_text() == "my notes\n"
    assert "was not written by this script" in capsys.readouterr().err


def test_a_path_that_is_not_a_notebook_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        ml.main([str(tmp_path / "missing.ipynb")])
    assert "missing.ipynb" in capsys.readouterr().err
