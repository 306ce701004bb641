"""Keep a notebook's stored outputs to its deliberate regression checks.

    python tools/notebook_outputs.py strip  chapters/03_ngrams.ipynb   # strip all but checked cells
    python tools/notebook_outputs.py refresh chapters/03_ngrams.ipynb  # execute, then strip
    python tools/notebook_outputs.py check  chapters/*.ipynb           # exit 1 on stray outputs

A *checked* cell is a code cell whose source contains ``# NBVAL_CHECK_OUTPUT`` (or that carries the
``nbval-check-output`` tag): nbval compares its stored output on every test run. Every other cell is
stored without outputs and without an execution count, so diffs stay readable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MARKER = "NBVAL_CHECK_OUTPUT"
TAG = "nbval-check-output"


def is_checked(cell: dict) -> bool:
    """Whether nbval compares this cell's output."""
    source = "".join(cell.get("source", ""))
    return MARKER in source or TAG in cell.get("metadata", {}).get("tags", [])


def strip(path: Path) -> int:
    """Remove every output except checked cells'; return the number of cells changed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        if cell["cell_type"] != "code":
            continue
        if is_checked(cell):
            # keep what nbval compares; TensorFlow's stderr noise is not part of the check
            cell["outputs"] = [
                out for out in cell.get("outputs", []) if out.get("name") != "stderr"
            ]
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            changed += 1
        cell["outputs"] = []
        cell["execution_count"] = None
    nb.setdefault("metadata", {}).pop("widgets", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def stray_outputs(path: Path) -> list[int]:
    """Indices of code cells that store outputs but are not checked by nbval."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and cell.get("outputs") and not is_checked(cell)
    ]


def refresh(path: Path) -> None:
    """Execute the notebook in place (storing fresh outputs), then strip all but checked cells."""
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--inplace", "--ExecutePreprocessor.timeout=600", str(path)],
        check=True,
    )
    strip(path)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"strip", "refresh", "check"}:
        print(__doc__)
        return 2
    command, paths = argv[0], [Path(p) for p in argv[1:]]
    status = 0
    for path in paths:
        if command == "strip":
            print(f"{path}: stripped {strip(path)} cell(s)")
        elif command == "refresh":
            refresh(path)
            print(f"{path}: executed; outputs kept only in checked cells")
        else:
            stray = stray_outputs(path)
            if stray:
                status = 1
                print(f"{path}: unchecked cells with stored outputs: {stray}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
