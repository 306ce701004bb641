"""Build the website as `make book` does, then check it in a real browser (headless Chromium).

- the build (`jupyter-book build --all -W -n --keep-going`) executes every chapter and must end with
  no warning and no error: a failing cell, a broken cross-reference or a missing citation fails it;
- no chapter takes more than four times its execution-time goal (the build's own statistics):
  the goals themselves (``_ext/exec_goals.py``: 55 s a chapter, 140 s for the char-RNN, 450 s for
  the book on 2 fast cores) are measured and reported on the results page, not enforced by a tight
  timed test, since a slower laptop would fail it for no fault of the book;
- on every page, MathJax typesets every formula (no raw ``\\(`` left), every image loads, no request
  leaves the machine, and every internal link resolves (file and anchor).

Screenshots of the introduction and of chapter 1 are saved in ``_build/test-artifacts/``.
"""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from helpers import load_script

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
ARTIFACTS = BUILD / "test-artifacts"

def _exec_goals():
    """The Sphinx extension that reports the execution-time goals (their one source)."""
    return load_script("_ext/exec_goals.py")


# The goals (reported on the results page) and the limits a test enforces: four times the goals.
_GOALS = _exec_goals()
CHAPTER_GOAL_S, CHAR_RNN_GOAL_S = _GOALS.CHAPTER_GOAL_S, _GOALS.CHAR_RNN_GOAL_S
BOOK_GOAL_S, LIMIT_FACTOR = _GOALS.BOOK_GOAL_S, _GOALS.LIMIT_FACTOR
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def build_log() -> str:
    """Build the whole book once for this module; return the build's output."""
    book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(book), "build", str(ROOT), "--all", "-W", "-n", "--keep-going"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # The other numeric path: nbval executes the chapters with oneDNN off (conftest.py), the
        # book with it on, so every claim is checked on two sets of CPU kernels in every run.
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "1"},
    )
    log = result.stdout + result.stderr
    BUILD.mkdir(exist_ok=True)
    (BUILD / "build.log").write_text(log)
    assert result.returncode == 0, "the book build failed:\n" + log[-6000:]
    return log


# Lines that are not Sphinx's: a kernel's own start-up notices, printed to the terminal.
NOT_SPHINX = re.compile(r"^\[IPKernelApp\]|^WARNING: All log messages before absl")


def test_book_builds_without_warnings(build_log):
    warnings = [
        line
        for line in build_log.splitlines()
        if re.search(r"WARNING|ERROR", line) and not NOT_SPHINX.search(line)
    ]
    assert not warnings, "\n".join(warnings[:30])
    assert (HTML / "index.html").is_file()


def test_chapters_run_within_the_limit_of_their_goals(build_log):
    times = execution_times()
    assert times, "no execution statistics in the build"
    for docname, seconds in times.items():
        goal = CHAR_RNN_GOAL_S if "char_rnn" in docname else CHAPTER_GOAL_S
        assert seconds < LIMIT_FACTOR * goal, (
            f"{docname} took {seconds:.0f} s, more than {LIMIT_FACTOR} times its goal of {goal} s")
    total = sum(times.values())
    assert total < LIMIT_FACTOR * BOOK_GOAL_S, (
        f"the book took {total:.0f} s, more than {LIMIT_FACTOR} times its goal of "
        f"{BOOK_GOAL_S} s")


def execution_times() -> dict[str, float]:
    """Seconds each notebook took to execute in the last build (MyST-NB's own statistics)."""
    import pickle

    with open(BUILD / ".doctrees" / "environment.pickle", "rb") as f:
        env = pickle.load(f)
    data = {doc: meta["exec_data"] for doc, meta in env.nb_metadata.items() if "exec_data" in meta}
    return {doc: float(d["runtime"]) for doc, d in data.items() if d.get("runtime") is not None}


# --- Links -------------------------------------------------------------------------------------


class _LinksAndIds(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(page: Path) -> _LinksAndIds:
    parser = _LinksAndIds()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def site_pages() -> list[Path]:
    """Every HTML page of the site except the redirect from index.html to the introduction."""
    return sorted(
        p
        for p in HTML.rglob("*.html")
        if "_static" not in p.parts and "http-equiv=\"Refresh\"" not in p.read_text()[:200]
    )


def test_index_redirects_to_the_introduction(build_log):
    assert 'url=intro.html' in (HTML / "index.html").read_text()


def test_every_internal_link_resolves(build_log, pdf_path):
    """Every link of the site, the introduction's link to the PDF included."""
    parsed = {page: _parse(page) for page in site_pages()}
    broken = []
    for page, info in parsed.items():
        for href in info.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(HTML)} -> {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(HTML)} -> {href} (no such anchor)")
    assert not broken, "\n".join(broken[:40])


# --- In a real browser ---------------------------------------------------------------------------


def _browser_path() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser(build_log):
    path = _browser_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium found: `make test` installs Debian's chromium as root")
        pytest.skip("no Chromium found (sudo apt-get install chromium); website checks skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


SCREENSHOTS = {
    "intro.html": ("intro.png", False),
    "chapters/01_sequential_data.html": ("chapter1.png", False),
    "chapters/08_lstm.html": ("chapter8.png", True),
    "chapters/13_char_rnn.html": ("chapter13.png", True),
    "appendices/results.html": ("results.png", True),
}

# What a reader sees, measured in the browser on one page.
PAGE_FACTS_JS = r"""() => {
  const visible = e => e.offsetParent !== null || e.getClientRects().length > 0;
  const wide = sel => Array.from(document.querySelectorAll(sel))
    .filter(e => visible(e) && e.scrollWidth > e.clientWidth + 2)
    .map(e => (e.innerText || e.textContent).split("\n")
      .reduce((a, b) => (b.length > a.length ? b : a), "").slice(0, 90));
  const text = document.querySelector("main") ? document.querySelector("main").innerText : "";
  const outputs = Array.from(document.querySelectorAll(".cell_output, .output"))
    .map(e => e.innerText);
  return {
    rawTables: text.split("\n").filter(l => /^\s*\|.*\|\s*$/.test(l) && /-{3}/.test(l))
      .slice(0, 3),
    wideBlocks: wide("div.highlight pre, .cell_output pre, div.math, " +
                     "mjx-container[display='true'], .output pre"),
    noisyOutputs: outputs.filter(t =>
      /Traceback \(most recent call last\)|^WARNING:|\.py:\d+: \w*Warning/m.test(t))
      .map(t => t.slice(0, 120)),
    imagesWithoutAlt: Array.from(document.images)
      .filter(i => !i.closest(".navbar-brand, .bd-header, .sidebar-primary-items__start"))
      .filter(i => { const a = (i.getAttribute("alt") || "").trim();
        return a.length < 10 || /\.(png|svg|jpe?g)$|_images\//i.test(a); })
      .map(i => (i.getAttribute("src") || "").slice(0, 60)),
  };
}"""


@pytest.fixture(scope="module")
def page_facts(browser) -> dict[str, dict]:
    """Open every page once in Chromium (1280 px wide) and measure what a reader sees."""
    facts = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page_path in site_pages():
        rel = page_path.relative_to(HTML).as_posix()
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside = []
        page.route(
            re.compile(r"^(?!file:|data:|blob:|about:).*"),
            lambda route, outside=outside: (outside.append(route.request.url), route.abort()),
        )
        page.goto(page_path.as_uri(), wait_until="load")
        info = {"outside": sorted(set(outside))}
        info["has_math"] = page.evaluate(
            "() => document.querySelectorAll('.math, mjx-container, script[type^=\"math\"]').length"
        )
        info["raw_math"] = 0
        if info["has_math"]:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000
            )
            page.evaluate("() => MathJax.startup.promise")
            info["raw_math"] = page.evaluate(
                "() => Array.from(document.querySelectorAll('.math'))"
                ".filter(e => !e.querySelector('mjx-container')).length"
            )
        info["broken_images"] = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        info.update(page.evaluate(PAGE_FACTS_JS))
        if rel in SCREENSHOTS:
            name, full = SCREENSHOTS[rel]
            page.screenshot(path=str(ARTIFACTS / name), full_page=full)
        page.close()
        facts[rel] = info
    return facts


def _problems(page_facts, key) -> list[str]:
    return [f"{rel}: {info[key][:5]}" for rel, info in page_facts.items() if info[key]]


def test_pages_typeset_math_load_images_and_stay_offline(page_facts):
    assert sum(bool(i["has_math"]) for i in page_facts.values()) > 0, "is MathJax wired in?"
    problems = [f"{rel}: {i['raw_math']} formula(s) not typeset by MathJax"
                for rel, i in page_facts.items() if i["raw_math"]]
    problems += [f"images that do not load: {p}" for p in _problems(page_facts, "broken_images")]
    problems += [f"requests leaving the machine: {p}" for p in _problems(page_facts, "outside")]
    assert not problems, "\n".join(problems)
    for name, _ in SCREENSHOTS.values():
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"screenshot {name} looks empty"


def test_markdown_tables_render_as_tables(page_facts):
    assert not _problems(page_facts, "rawTables"), "raw Markdown table text on a page:\n" + (
        "\n".join(_problems(page_facts, "rawTables")))
    results = (HTML / "appendices" / "results.html").read_text(encoding="utf-8")
    assert results.count("<table") >= 4, "the results page should show its tables as tables"


def test_no_code_output_or_equation_is_cut_at_the_column_edge(page_facts):
    wide = _problems(page_facts, "wideBlocks")
    assert not wide, "blocks wider than their box (the reader must scroll):\n" + "\n".join(wide)


def test_no_traceback_or_warning_in_any_output(page_facts):
    noisy = _problems(page_facts, "noisyOutputs")
    assert not noisy, "outputs that show a traceback or a warning:\n" + "\n".join(noisy)


def test_every_figure_has_alt_text(page_facts):
    missing = _problems(page_facts, "imagesWithoutAlt")
    assert not missing, "images without a real alt text:\n" + "\n".join(missing)


# --- The PDF -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_path(browser) -> Path:
    """`make pdf`'s two steps, after the website build (which they reuse)."""
    book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(book), "build", str(ROOT), "--builder", "singlehtml", "-n",
                             "--keep-going"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, "the single-page build failed:\n" + result.stdout[-3000:]
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_pdf.py")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, "make_pdf failed:\n" + result.stdout + result.stderr[-3000:]
    return BUILD / "pdf" / "sequence-models.pdf"


def test_the_pdf_holds_every_chapter_with_typeset_formulas(pdf_path):
    from pypdf import PdfReader

    reader = PdfReader(pdf_path)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert len(reader.pages) > 50, f"only {len(reader.pages)} pages"
    titles = [_title(nb) for nb in sorted((ROOT / "chapters").glob("*.ipynb"))]
    missing = [t for t in titles if re.sub(r"\s+", " ", t) not in flat]
    assert not missing, f"chapter titles missing from the PDF: {missing}"
    pairs = re.findall(r"\\\((?:(?!\\\)).){1,80}?\\\)", text)  # an untypeset \( ... \)
    # prose that names the delimiters ("raw \( ... \)") has nothing between them
    raw = [p for p in pairs if re.sub(r"[\s.\u2026]", "", p[2:-2])]
    assert not raw, f"raw LaTeX left in the PDF: {raw[:3]}"


def _title(notebook: Path) -> str:
    import json

    first = "".join(json.loads(notebook.read_text(encoding="utf-8"))["cells"][0]["source"])
    return re.search(r"^# (.+)$", first, re.M).group(1).strip()
