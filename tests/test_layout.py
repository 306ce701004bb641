"""The map of the tree in README.md and CONTRIBUTING.md cannot drift from the tree itself.

A newcomer finds in the README where a new chapter, utility, benchmark, test or book extension
goes; these tests fail when a module, script or folder exists that the map does not name, or when
the map names one that no longer exists.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def utils_modules() -> list[str]:
    """``utils/name.py`` for each module and ``utils/name`` for each subpackage."""
    files = [f"utils/{p.name}" for p in (ROOT / "utils").glob("*.py")]
    packages = [f"utils/{p.name}" for p in (ROOT / "utils").iterdir()
                if p.is_dir() and (p / "__init__.py").is_file()]
    return sorted(files + packages)


def scripts() -> list[str]:
    """Every Python script of the maintenance tools, the benchmarks and the book's extensions."""
    return sorted(f"{folder}/{p.name}" for folder in ("tools", "benchmarks", "_ext")
                  for p in (ROOT / folder).glob("*.py"))


def top_level_folders() -> list[str]:
    """The tracked top-level folders a newcomer sees (not hidden, not build or cache output)."""
    ignored = {"_build", "data", "__pycache__"}
    return sorted(p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and p.name not in ignored and not p.name.endswith(".egg-info"))


def named(path: str, text: str) -> bool:
    """Whether the text names ``path`` in backticks (a module may be named without ``.py``)."""
    stem = path.removesuffix(".py")
    return f"`{path}`" in text or f"`{stem}`" in text or f"`{stem}/`" in text


@pytest.mark.parametrize("module", utils_modules())
def test_the_readme_and_contributing_name_every_utils_module(module):
    assert named(module, README), f"README.md's layout map does not name {module}: add its line"
    assert named(module, CONTRIBUTING), f"CONTRIBUTING.md's floors do not name {module}"


@pytest.mark.parametrize("script", scripts())
def test_the_readme_names_every_script(script):
    assert named(script, README), f"README.md's layout map does not name {script}: add it"


@pytest.mark.parametrize("folder", top_level_folders())
def test_the_readme_names_every_top_level_folder(folder):
    assert f"`{folder}/`" in README, f"README.md's layout map does not name the folder {folder}/"


def test_every_path_the_readme_names_exists():
    paths = re.findall(r"`((?:utils|tools|benchmarks|_ext|chapters|appendices|tests)/[\w./]*)`",
                       README)
    assert paths, "the README's layout map names no path"
    missing = [p for p in paths if not any((ROOT / candidate).exists()
                                           for candidate in (p, p + ".py"))]
    assert not missing, f"README.md names paths that do not exist: {missing}"


def test_the_readme_says_where_each_kind_of_new_thing_goes():
    for thing in ("a new chapter", "a new benchmark", "a new book extension",
                  "a module's tests", "a utility"):
        assert thing in README, f"README.md's layout map does not say where {thing} goes"


@pytest.mark.parametrize("package", ["charrnn", "exercises"])
def test_a_package_s_test_files_are_named_after_its_modules(package):
    """``tests/test_<package>_<name>.py`` tests the module ``utils/<package>/<name>.py``.

    The exercise modules are named ``chNN_<chapter>.py`` and their tests ``test_exercises_chNN.py``;
    the exercises' harness is ``harness.py``.
    """
    modules = {p.stem for p in (ROOT / "utils" / package).glob("*.py")}
    if package == "exercises":
        modules = {m.split("_")[0] if m.startswith("ch") else m for m in modules}
    tests = [p.stem.removeprefix(f"test_{package}_")
             for p in (ROOT / "tests").glob(f"test_{package}_*.py")]
    assert tests, f"no tests/test_{package}_*.py files"
    strays = sorted(name for name in tests if name not in modules)
    assert not strays, (f"tests/test_{package}_<name>.py must name a module of utils/{package}/; "
                        f"no module for: {strays}")
