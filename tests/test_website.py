"""Build the website as `make book` does, then check it in a real browser (headless Chromium).

- the build (`jupyter-book build --all -W -n --keep-going`) executes every chapter and must end with
  no warning and no error: a failing cell, a broken cross-reference or a missing citation fails it;
- every chapter stays within its execution-time budget (read from the build's own statistics);
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

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
ARTIFACTS = BUILD / "test-artifacts"
CHAPTER_BUDGET_S = 90
CHAR_RNN_BUDGET_S = 240
BOOK_BUDGET_S = 600
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
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"},
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


def test_chapters_run_within_their_budgets(build_log):
    times = execution_times()
    assert times, "no execution statistics in the build"
    for docname, seconds in times.items():
        budget = CHAR_RNN_BUDGET_S if "char_rnn" in docname else CHAPTER_BUDGET_S
        assert seconds < budget, f"{docname} took {seconds:.0f} s (budget {budget} s)"
    assert sum(times.values()) < BOOK_BUDGET_S, f"the book took {sum(times.values()):.0f} s"


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


def test_every_internal_link_resolves(build_log):
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


def test_pages_typeset_math_load_images_and_stay_offline(browser):
    problems = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshots = {"intro.html": "intro.png", "chapters/01_sequential_data.html": "chapter1.png"}
    math_pages = 0
    for page_path in site_pages():
        rel = page_path.relative_to(HTML).as_posix()
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside = []
        page.route(
            re.compile(r"^(?!file:|data:|blob:|about:).*"),
            lambda route, outside=outside: (outside.append(route.request.url), route.abort()),
        )
        page.goto(page_path.as_uri(), wait_until="load")
        has_math = page.evaluate(
            "() => document.querySelectorAll('.math, mjx-container, script[type^=\"math\"]').length"
        )
        if has_math:
            math_pages += 1
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000
            )
            page.evaluate("() => MathJax.startup.promise")
            raw = page.evaluate(
                "() => Array.from(document.querySelectorAll('.math'))"
                ".filter(e => !e.querySelector('mjx-container')).length"
            )
            if raw:
                problems.append(f"{rel}: {raw} formula(s) not typeset by MathJax")
        broken_images = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        if broken_images:
            problems.append(f"{rel}: images that do not load: {broken_images[:5]}")
        if outside:
            problems.append(f"{rel}: requests leaving the machine: {sorted(set(outside))[:5]}")
        if rel in screenshots:
            page.screenshot(path=str(ARTIFACTS / screenshots[rel]), full_page=False)
        page.close()
    assert math_pages > 0, "no page with formulas was found: is MathJax wired in?"
    assert not problems, "\n".join(problems)
    for name in screenshots.values():
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"screenshot {name} looks empty"
