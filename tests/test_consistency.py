"""Course-wide consistency: table of contents, chapter shape, stored outputs, offline rules."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def toc_files() -> list[str]:
    """Every file named in _toc.yml (root included), without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def markdown(path: Path) -> str:
    return "\n".join(source(c) for c in cells(path) if c["cell_type"] == "markdown")


def code(path: Path) -> str:
    return "\n".join(source(c) for c in cells(path) if c["cell_type"] == "code")


def test_there_are_chapters():
    assert CHAPTERS, "no notebook under chapters/"


def test_every_chapter_is_in_the_toc_and_every_entry_exists():
    entries = toc_files()
    for nb in CHAPTERS:
        stem = nb.relative_to(ROOT).with_suffix("").as_posix()
        assert stem in entries, f"{stem} is not in _toc.yml"
    for entry in entries:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(p.is_file() for p in candidates), f"_toc.yml names {entry}, which does not exist"
    assert len(entries) == len(set(entries)), "a file appears twice in _toc.yml"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_the_course_shape(nb):
    first = cells(nb)[0]
    assert first["cell_type"] == "markdown", "the first cell must be the title"
    assert re.search(r"^\(ch-[a-z0-9-]+\)=\s*\n# \S", source(first), re.M), (
        "the first cell must be a `(ch-slug)=` label followed by a `# Title`"
    )
    text = markdown(nb)
    for heading in ("## What you will learn", "## Summary", "## Exercises"):
        assert heading in text, f"missing section {heading!r}"
    assert text.index("## Summary") < text.index("## Exercises")
    exercises = re.findall(r"```\{exercise\}\s*\n:label: (\S+)", text)
    assert exercises, "no {exercise} directive"
    for label in exercises:
        assert re.search(r"```\{solution\} " + re.escape(label) + r"\s*\n:class: dropdown", text), (
            f"exercise {label} has no hidden solution "
            f"(`{{solution}} {label}` with `:class: dropdown`)"
        )


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_only_checked_cells_store_outputs(nb):
    for i, cell in enumerate(cells(nb)):
        if cell["cell_type"] != "code" or not cell.get("outputs"):
            continue
        checked = "NBVAL_CHECK_OUTPUT" in source(cell) or "nbval-check-output" in cell.get(
            "metadata", {}
        ).get("tags", [])
        assert checked, f"cell {i} stores outputs but is not a checked cell: run `make strip`"


FORBIDDEN_IN_CODE = {
    r"\bsys\.path\b": "no sys.path tricks: utils is installed by the set-up",
    r"['\"](/home/|/root/|/work/|/tmp/|/Users/|[A-Za-z]:\\\\)": "no absolute paths",
    r"\b(urlopen|urlretrieve|requests\.get|wget|curl)\b": "downloads only through utils.data",
    r"https?://": "no URLs in code: corpora come from utils.data",
    r"pip install": "no installs in notebooks",
    r"input_shape\s*=\s*\(": "use keras.Input instead of input_shape= (deprecated in Keras 3)",
    r"verbose\s*=\s*1\b": "Keras progress bars render as boxes on a page: use verbose=0 or 2",
}


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_notebook_code_follows_the_offline_rules(nb):
    without_comments = re.sub(r"(?m)#.*$", "", code(nb))  # comments may quote the old ways
    assert_no_match(without_comments, FORBIDDEN_IN_CODE)


def assert_no_match(text: str, rules: dict[str, str]) -> None:
    """Fail with the rule's reason if any of the regular expressions in ``rules`` matches."""
    for pattern, why in rules.items():
        match = re.search(pattern, text)
        assert not match, f"{why} (found {match.group(0)!r})"


# What a chapter's code shows on the page: claims that read as sentences, figures with alt text,
# checked cells marked by their tag.
PAGE_RULES = {
    r"(?m)^\s*assert\b": "check a claim with utils.claims (claim, claim_close, claim_true)",
    r"np\.testing\.assert_": "check equality with utils.claims.claim_close",
    r"plt\.show\(": "show figures with utils.plot.show(fig, alt=...) so they have alt text",
    r"NBVAL_CHECK_OUTPUT": "mark a checked cell with the tag nbval-check-output, not a comment",
}


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_notebook_code_reads_well_on_the_page(nb):
    text = "\n".join(
        source(c) for c in cells(nb)
        if c["cell_type"] == "code" and "raises-exception" not in c["metadata"].get("tags", [])
    )
    assert_no_match(text, PAGE_RULES)


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_a_checked_exercise(nb):
    text = code(nb)
    assert re.search(r"\bcheck_\w+\(", text) and "utils.exercises" in text, (
        "give the chapter an exercise checked by a function of utils.exercises"
    )


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_notebook_sets_seed_and_style(nb):
    text = code(nb)
    assert "set_seed(" in text, "seed the run with utils.set_seed"
    assert "use_book_style()" in text, "use the book's figure style"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_notebook_metadata_is_plain(nb):
    meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"]
    assert meta.get("kernelspec", {}).get("name") == "python3"


def test_citations_exist_in_the_bibliography():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    pages = [*CHAPTERS, *(ROOT / "appendices").glob("*.md"), ROOT / "intro.md"]
    for page in pages:
        text = markdown(page) if page.suffix == ".ipynb" else page.read_text(encoding="utf-8")
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text):
            for key in group.split(","):
                assert key.strip() in keys, f"{page.name} cites {key!r}, not in references.bib"


# Symbols that are easy to get wrong, with the notation appendix's spelling.
NOTATION_SLIPS = {
    r"\bs_j\b|s_\{j\}|s_i\b": "the decoder's state is s_t; i indexes input steps (seq2seq)",
    r"\\alpha_\{t,": "attention weights are a_{t,i}: alpha_t(s) is CTC's forward variable",
    r"window (?:of |width )?\$k\$|\$k\$-(?:step|character) window": (
        "k is add-k's pseudo-count: a window or kernel width is w"
    ),
    r"truncat\w* (?:length|after) \$k\$|\$k\$ steps? of truncat": (
        "k is add-k's pseudo-count: truncated BPTT's chunk length is T_c"
    ),
    r"W_h(?![hy])|W_\{h\}": "write W_{hh} (recurrent) or W_{hy} (output), not W_h",
    r"W_x(?!h)|W_\{x\}|W_\{hx\}|W_\{ih\}": "write W_{xh} for the input-to-hidden weights",
    r"h_\{t\+1\}\s*=\s*\\tanh": "the step is h_t = tanh(... h_{t-1} ...), not h_{t+1}",
    r"lag \$k\$|back to step \$k\$|_\{T-k\}|\$k = T - t\$": "a lag is tau, not k",
    r"(?:keeps|best) (?:the )?\$k\$ (?:most probable|of the)|beam width \$k\$": (
        "a beam's size is its width, in words: k is add-k's pseudo-count"
    ),
    r"temperature\W{0,3}\$\\tau|/ \\tau\)": "tau is a lag: write the temperature as the word",
    r"receptive field (?:of )?\$r\b": "the receptive field is w_field = 1 + n_conv (w - 1)",
    r"\\mathrm\{softmax\}\((?:o|z)\)|logits \$[oz]\b": "logits are u (u_t = W_hy h_t + b_y)",
}


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapters_use_the_book_notation(nb):
    """The symbols of appendices/notation.md, spelled the same way in every chapter."""
    assert_no_match(markdown(nb), NOTATION_SLIPS)
