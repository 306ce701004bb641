"""Course-wide consistency: table of contents, chapter shape, stored outputs, offline rules."""

import json
import re
from pathlib import Path

import pytest
import yaml

from helpers import cell_source as source
from helpers import notebook_cells as cells

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
    r"verbose\s*=\s*1\b": "Keras progress bars render as boxes on a page: use verbose=0 or 2",
}
# Deprecated calls, allowed only in a cell that records the warning on purpose to show it.
DEPRECATED_IN_CODE = {
    r"input_shape\s*=\s*\(": "use keras.Input instead of input_shape= (deprecated in Keras 3)",
}


def without_comments(text: str) -> str:
    return re.sub(r"(?m)#.*$", "", text)  # comments may quote the old ways


def code_outside_warning_demos(cell_sources: list[str]) -> str:
    """The code of every cell but those that record warnings (``catch_warnings(record=True)``)."""
    return "\n".join(s for s in cell_sources if "catch_warnings(record=True)" not in s)


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_notebook_code_follows_the_offline_rules(nb):
    assert_no_match(without_comments(code(nb)), FORBIDDEN_IN_CODE)
    sources = [source(c) for c in cells(nb) if c["cell_type"] == "code"]
    assert_no_match(without_comments(code_outside_warning_demos(sources)), DEPRECATED_IN_CODE)


def test_a_deprecated_call_is_allowed_only_where_its_warning_is_recorded():
    demo = ("with warnings.catch_warnings(record=True) as caught:\n"
            "    keras.layers.SimpleRNN(4, input_shape=(10, 3))")
    plain = "layer = keras.layers.SimpleRNN(4, input_shape=(10, 3))"
    assert_no_match(code_outside_warning_demos([demo]), DEPRECATED_IN_CODE)
    with pytest.raises(AssertionError, match="keras.Input"):
        assert_no_match(code_outside_warning_demos([demo, plain]), DEPRECATED_IN_CODE)


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


@pytest.mark.parametrize("nb", [*CHAPTERS, ROOT / "appendices" / "results.ipynb"],
                         ids=lambda p: p.name)
def test_notebook_format_is_one_for_all(nb):
    """nbformat 4.5, every cell with its own id: what Jupyter writes, so an edit adds no noise."""
    notebook = json.loads(nb.read_text(encoding="utf-8"))
    version = (notebook["nbformat"], notebook["nbformat_minor"])
    assert version == (4, 5), (f"{nb.name} is nbformat {version[0]}.{version[1]}: open and save "
                               "it in Jupyter, or run nbformat.validator.normalize on it")
    ids = [cell.get("id") for cell in notebook["cells"]]
    missing = [i for i, cell_id in enumerate(ids) if not cell_id]
    assert not missing, f"{nb.name}: cells {missing} have no id (a cell added by a script?)"
    assert len(set(ids)) == len(ids), f"{nb.name}: two cells share an id"


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
        "k is add-k's pseudo-count: a window's or filter's width is F"
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
    r"receptive field (?:of )?\$r\b": "the receptive field is w_field = 1 + n_conv (F - 1)",
    r"(?:window|kernel|filter|context)(?: width| length| size)?(?: of)? \$w\$|width \$w\$"
    r"|last \$w\$ (?:words|tokens|inputs|one-hot)": (
        "w is a word: a window's or filter's width is F"
    ),
    r"window(?:'s)? (?:length|width|of) \$T\$|last \$T\$ inputs": (
        "T is a sequence's length: a window's width is F"
    ),
    r"back-?off weight,? \$\\lambda|\\lambda_h\s*&?=\s*\\frac\{d": (
        "Kneser-Ney's back-off weight is gamma(h); lambda_h is Witten-Bell's weight"
    ),
    r"context vector \$c\$|context vector \$c_": (
        "an encoder-decoder's context vector is the bold \\mathbf{c}; c_t is the LSTM's cell state"
    ),
    r"\\mathrm\{softmax\}\((?:o|z)\)|logits \$[oz]\b": "logits are u (u_t = W_hy h_t + b_y)",
}


@pytest.mark.parametrize(
    "slip",
    [
        "concatenate the last $w$ one-hot vectors",
        "a convolution of width $w$ sees",
        "The window length $T$ is frozen",
        "where the back-off weight $\\lambda_h$ gives",
        "\\lambda_h &= \\frac{d\\, N_{1+}(h\\,\\bullet)}{c(h)}",
        "the context vector $c$ of the encoder",
    ],
)
def test_notation_rules_catch_the_slips(slip):
    assert any(re.search(pattern, slip) for pattern in NOTATION_SLIPS), slip


@pytest.mark.parametrize(
    "good",
    [
        "the last $F$ one-hot vectors, $p(w \\mid h)$ and $c(h\\,w)$",
        "Witten-Bell: $\\lambda_h = c(h) / (c(h) + N_{1+}(h\\,\\bullet))$",
        "the back-off weight $\\gamma(h)$; the context vector $\\mathbf{c}$; the cell state $c_t$",
    ],
)
def test_notation_rules_leave_the_book_notation_alone(good):
    assert not any(re.search(pattern, good) for pattern in NOTATION_SLIPS), good


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapters_use_the_book_notation(nb):
    """The symbols of appendices/notation.md, spelled the same way in every chapter."""
    assert_no_match(markdown(nb), NOTATION_SLIPS)


# --- Labels: every cross-reference resolves, and no raw label name reaches a reader -------------

PAGES = [
    *CHAPTERS, ROOT / "appendices" / "results.ipynb", *sorted((ROOT / "appendices").glob("*.md")),
    ROOT / "intro.md",
]
LABEL_DEFINITIONS = (
    r"(?m)^\s*\(([\w-]+)\)=",  # (ch-ngrams)= before a heading
    r"\$\$\s*\(([\w-]+)\)",  # $$ (eq-rnn-step) after a display equation
    r"(?m)^\s*:(?:label|name):\s*(\S+)",  # :label: of an exercise, :name: of a figure
)
# A MyST role: {ref}`ch-lstm`, {eq}`eq-rnn-step`, {ref}`text <label>`, {glue:text}`key:.2f`, ...
ROLE = re.compile(r"\{[a-z][\w:-]*\}`[^`]*`")
# What may hold a label name in markdown without the reader seeing it: roles, label definitions,
# directive lines (```{solution} ngrams-ex-1) and their options, link targets.
MARKUP_THAT_HIDES_LABELS = (
    ROLE,
    re.compile(r"(?m)^\s*\([\w-]+\)=\s*$"),
    re.compile(r"\$\$\s*\([\w-]+\)"),
    re.compile(r"(?m)^\s*(?:`{3,}|:{3,})\{[\w:-]+\}.*$"),
    re.compile(r"(?m)^\s*:[\w-]+:.*$"),
    re.compile(r"\]\([^)\s]*\)"),
)


def page_cells(page: Path) -> list[tuple[str, str]]:
    """(cell type, source) of every cell of a notebook, or one markdown 'cell' for a .md page."""
    if page.suffix == ".md":
        return [("markdown", page.read_text(encoding="utf-8"))]
    return [(c["cell_type"], source(c)) for c in cells(page)]


def book_labels() -> set[str]:
    """Every label defined anywhere in the book."""
    labels = set()
    for page in PAGES:
        for kind, text in page_cells(page):
            if kind == "markdown":
                for pattern in LABEL_DEFINITIONS:
                    labels.update(re.findall(pattern, text))
    return labels


def raw_label_pattern(labels: set[str]) -> re.Pattern:
    """A label name as a whole hyphenated word: every defined label that has a hyphen (a bare
    word such as ``intro`` is also plain English), and any eq-/ch-/app- name, defined or stale."""
    names = sorted((re.escape(label) for label in labels if "-" in label), key=len, reverse=True)
    alternatives = [r"(?:eq|ch|app)-[a-z0-9]+(?:-[a-z0-9]+)*", *names]
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


def raw_labels(kind: str, text: str, pattern: re.Pattern) -> list[str]:
    """Label names a reader would see in a cell: outside roles (code: strings, comments,
    docstrings; markdown: prose, code spans, code blocks)."""
    hide = MARKUP_THAT_HIDES_LABELS if kind == "markdown" else (ROLE,)
    for markup in hide:
        text = markup.sub(" ", text)
    return sorted(set(pattern.findall(text)))


def test_raw_label_finder_knows_a_role_from_a_raw_label():
    pattern = raw_label_pattern({"eq-rnn-step", "rnn-keras-layout", "ngrams-ex-1", "intro"})
    assert raw_labels("code", '"""h_T of eq. (eq-rnn-step)."""', pattern) == ["eq-rnn-step"]
    assert raw_labels("code", "x = 1  # as in ch-ngrams", pattern) == ["ch-ngrams"]
    assert raw_labels("code", 'f"the {ref}`ch-lstm` cell"', pattern) == []
    assert raw_labels("code", "ctx-acc = 1 - eq_rnn_step", pattern) == []
    assert raw_labels("markdown", "see the layout (rnn-keras-layout)", pattern) == [
        "rnn-keras-layout"
    ]
    markup = (
        "(ch-rnn)=\n# RNN\n{eq}`eq-rnn-step`, {ref}`the layout <rnn-keras-layout>`\n"
        "$$\nh_t\n$$ (eq-rnn-step)\n```{exercise}\n:label: ngrams-ex-1\n```\n"
        "```{solution} ngrams-ex-1\n:class: dropdown\n```\n[the intro](intro), an intro\n"
    )
    assert raw_labels("markdown", markup, pattern) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_reference_resolves(page):
    labels = book_labels()
    for kind, text in page_cells(page):
        if kind != "markdown":
            continue
        for body in re.findall(r"\{(?:ref|eq|numref)\}`([^`]*)`", text):
            explicit = re.search(r"<([^<>]+)>\s*$", body)
            target = (explicit.group(1) if explicit else body).strip()
            assert target in labels, f"{page.name}: {{ref}}/{{eq}} to {target!r}, defined nowhere"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_raw_label_is_visible_to_readers(page):
    """A label name is markup: on a page, refer with {ref}/{eq}; in code, say it in words
    ("the recurrence above", "the n-gram chapter")."""
    pattern = raw_label_pattern(book_labels())
    found = [
        f"cell {i} ({kind}): {', '.join(names)}"
        for i, (kind, text) in enumerate(page_cells(page))
        if (names := raw_labels(kind, text, pattern))
    ]
    assert not found, (
        f"{page.name} shows raw label names to readers (use {{ref}}/{{eq}} in markdown, words in "
        "code): " + "; ".join(found)
    )


def bare_title_references(text: str, sections: set[str]) -> list[str]:
    """Bare {ref}`label` roles to a chapter or a section: they print the heading's title in the
    sentence ("the n-gram model of N-grams"); a numbered reference reads "chapter 3"."""
    found = re.findall(r"\{ref\}`([\w-]+)`", text)
    return [label for label in found if label.startswith("ch-") or label in sections]


def section_labels() -> set[str]:
    """Labels placed right above a heading of a chapter (numbered sections)."""
    labels = set()
    for page in PAGES:
        for kind, text in page_cells(page):
            if kind == "markdown" and page.parent.name == "chapters":
                labels.update(re.findall(r"(?m)^\(([\w-]+)\)=\s*\n#+ ", text))
    return labels


def test_bare_title_reference_finder():
    sections = {"char-rnn-ablation"}
    text = "of {ref}`ch-ngrams`, {ref}`char-rnn-ablation` and {ref}`the chapter <ch-gru>`"
    assert bare_title_references(text, sections) == ["ch-ngrams", "char-rnn-ablation"]
    assert bare_title_references("{numref}`chapter %s <ch-ngrams>`", sections) == []


CHAPTER_PAGES = [page for page in PAGES if page.parent.name == "chapters"]


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.name)
def test_references_to_chapters_read_as_words(page):
    """In a chapter's sentences (the intro's table and the glossary's "See ..." want titles)."""
    sections = section_labels()
    found = [
        label
        for kind, text in page_cells(page)
        if kind == "markdown"
        for label in bare_title_references(text, sections)
    ]
    assert not found, (
        f"{page.name}: bare {{ref}} to {', '.join(found)} prints a title inside the sentence; "
        "write {numref}`chapter %s <label>` (or section), or give the link its own words"
    )
