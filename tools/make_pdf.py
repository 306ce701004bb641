"""Print the book's single-page HTML build to one PDF with headless Chromium (offline).

    python tools/make_pdf.py        # after `jupyter-book build . --builder singlehtml`

``make pdf`` runs both steps. The single-page build reuses the notebooks executed by the last
website build (Sphinx keeps them in ``_build/.doctrees``), so after ``make book`` it takes seconds.
For print, code and outputs wrap instead of scrolling (nothing is cut at the page's edge), the
navigation is hidden, and the PDF is written once MathJax has typeset every formula.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "_build" / "singlehtml" / "intro.html"  # index.html only redirects here
PDF = ROOT / "_build" / "pdf" / "sequence-models.pdf"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .bd-footer-article,
.header-article, .prev-next-area, .toggle-secondary-sidebar, .bd-header-article,
#pst-back-to-top, .skip-link { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
.bd-page-width { max-width: 100% !important; }
pre, .highlight pre, div.cell_output pre {
  white-space: pre-wrap !important; word-break: break-all; overflow: visible !important;
}
/* 80 monospace characters fit the printed column: the page's lines of up to 78 never wrap. */
div.highlight pre, div.cell_output pre, div.output pre { font-size: 11px !important; }
div.math, mjx-container[display="true"] { overflow: visible !important; }
mjx-container[display="true"] { font-size: 95% !important; }
img { max-width: 100% !important; break-inside: avoid; }
/* A code cell moves to the next page whole (frame and code together) when it fits on one; a
   longer one breaks inside. The theme's flex frame with an unbreakable child left empty frames. */
div.cell_input { display: block !important; break-inside: avoid; }
div.cell_input div.highlight { break-inside: auto !important; }
div.cell_output { break-inside: avoid; }
details { display: block; } details > * { display: block; }
"""


def browser_path() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("make_pdf: no Chromium found; install it (as root: apt-get install chromium).")


def print_pdf(source: Path = SINGLE, target: Path = PDF) -> Path:
    """Open ``source`` in headless Chromium, wait for MathJax, print it to ``target``."""
    from playwright.sync_api import sync_playwright

    if not source.is_file():
        raise SystemExit(f"make_pdf: {source} is missing: run "
                         "`jupyter-book build . --builder singlehtml` first (`make pdf` does).")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("file:", "data:", "blob:", "about:")) else route.abort())
        page.goto(source.resolve().as_uri(), wait_until="load", timeout=120_000)
        page.add_style_tag(content=PRINT_CSS)
        page.wait_for_function("() => !window.MathJax || (MathJax.startup && "
                               "MathJax.startup.promise)", timeout=60_000)
        page.evaluate("() => window.MathJax ? MathJax.startup.promise : null")
        page.emulate_media(media="print")
        page.pdf(path=str(target), format="A4", print_background=True,
                 display_header_footer=True, header_template="<span></span>",
                 footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                 '<span class="pageNumber"></span></div>',
                 margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        browser.close()
    return target


def main() -> int:
    path = print_pdf()
    website = ROOT / "_build" / "html"
    if website.is_dir():  # the introduction links it
        shutil.copy2(path, website / path.name)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
