"""ruff on the code and the notebooks (configuration in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    folders = ("utils", "tests", "benchmarks", "tools", "_ext", "chapters", "appendices")
    targets = [p for p in folders if (ROOT / p).exists()]
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", *targets], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
