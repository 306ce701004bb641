"""Count, per chapter notebook, the code lines that teach against the lines of book machinery.

A chapter's code should teach; checks, glue and page-making belong to the book, not the lesson.
This script measures how much of each notebook's code is which, by rules simple enough to audit.

    python tools/machinery_lines.py                       # every chapter, a table on the terminal
    python tools/machinery_lines.py chapters/09_gru.ipynb --markdown counts.md

The rules. Only code cells count; blank lines never count. Every other line is *teaching* unless
a rule below makes it *machinery*, each machinery line counted under the first rule that takes it:

1. **hidden**: every line of a cell tagged ``remove-cell`` or ``remove-input`` (the reader never
   sees that code).
2. **magic**: IPython magics and shell lines (lines starting with ``%`` or ``!``).
3. **imports and seeds**: ``import`` and ``from ... import`` statements; a statement that only
   calls a seeding or styling function (``set_seed``, ``use_book_style``, ``set_random_seed``,
   ``np.random.seed``, ``tf.random.set_seed``, ``enable_op_determinism``) or only assigns the
   result of one of ``model_rng``, ``data_rng``, ``shifted_seed``, ``data_seed``,
   ``np.random.default_rng`` (``rng = utils.data_rng(0)``). A seed passed inside a teaching call
   (``make_task(utils.data_rng(3))``) leaves that call teaching.
4. **claims**: every line of a statement that calls ``claim``, ``claim_close`` or ``claim_true``.
5. **glue and prose**: every line of a statement that calls ``glue``, ``Markdown``, ``HTML``,
   ``Latex`` (``display(Markdown(...))`` included) or a ``textwrap`` function (prose built in
   code), and every line of a statement that assigns (``=``, ``+=``) a name that the same cell
   passes to one of those calls (``text = f"Most mistakes ..."`` before ``Markdown(text)``).
6. **figures' alt text**: every line of a statement that calls ``show`` (``utils.plot.show(fig,
   alt=...)``); in any other call, the lines of an ``alt=`` argument after the statement's first
   line (``utils.plot.plot(..., alt=...)``).

A statement is every line from its first to its last (a call split over lines counts whole). A
compound statement (``for``, ``if``, ``def``, ``with``, ...) whose body is machinery throughout is
machinery too, header included (a loop of claims); otherwise its header line teaches. A comment
line counts as the code line that follows it in its cell (the last code line before it, at the end
of a cell). A cell that does not parse as Python counts as teaching, line by line, apart from
rules 1 and 2.

The table gives per chapter the teaching lines, the machinery lines, their ratio (machinery per
teaching line), the share of machinery among the code lines a reader sees on the page (hidden cells
left out: the book's aim is under one line in ten there) and the machinery lines under each rule.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"

RULES = ["hidden", "magic", "imports and seeds", "claims", "glue and prose", "alt text"]
HIDDEN_TAGS = {"remove-cell", "remove-input"}
SEED_CALLS = {"set_seed", "use_book_style", "set_random_seed", "seed", "enable_op_determinism"}
RNG_CALLS = {"model_rng", "data_rng", "shifted_seed", "data_seed", "default_rng"}
CLAIM_CALLS = {"claim", "claim_close", "claim_true"}
PROSE_CALLS = {"glue", "Markdown", "HTML", "Latex"}
SHOW_CALLS = {"show"}
MARKER = "<!-- written by tools/machinery_lines.py -->"


def _name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _is_textwrap(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id == "textwrap")


def _calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _prose_calls(call: ast.Call) -> bool:
    return _name(call) in PROSE_CALLS or _is_textwrap(call)


def _prose_names(tree: ast.AST) -> set[str]:
    """Names that a cell passes to a rule-5 call (glue, Markdown, textwrap, ...)."""
    return {n.id for call in _calls(tree) if _prose_calls(call)
            for arg in [*call.args, *(k.value for k in call.keywords)]
            for n in ast.walk(arg) if isinstance(n, ast.Name)}


def _simple_rule(stmt: ast.stmt, prose_names: frozenset = frozenset()) -> str | None:
    """The machinery rule a simple (not compound) statement falls under, or None."""
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return "imports and seeds"
    value = getattr(stmt, "value", None)
    if isinstance(value, ast.Call):
        name = _name(value)
        if isinstance(stmt, ast.Expr) and name in SEED_CALLS:
            return "imports and seeds"
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and name in RNG_CALLS:
            return "imports and seeds"
    calls = _calls(stmt)
    names = {_name(c) for c in calls}
    if names & CLAIM_CALLS:
        return "claims"
    if any(_prose_calls(c) for c in calls):
        return "glue and prose"
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
    if any(isinstance(t, ast.Name) and t.id in prose_names for t in targets):
        return "glue and prose"
    if names & SHOW_CALLS:
        return "alt text"
    return None


def _span(node: ast.AST) -> range:
    return range(node.lineno, (node.end_lineno or node.lineno) + 1)


def _classify(stmts: list[ast.stmt], lines: dict[int, str | None],
              prose_names: frozenset = frozenset()) -> bool:
    """Mark the lines of ``stmts`` (None: teaching); True if all of them are machinery."""
    all_machinery = True
    for stmt in stmts:
        bodies = [getattr(stmt, f, None) for f in ("body", "orelse", "finalbody", "handlers")]
        bodies = [b for b in bodies if isinstance(b, list) and b]
        if isinstance(stmt, ast.Try | ast.TryStar):
            bodies = [stmt.body, stmt.orelse, stmt.finalbody,
                      *[h.body for h in stmt.handlers]]
            bodies = [b for b in bodies if b]
        if isinstance(stmt, ast.Match):
            bodies = [c.body for c in stmt.cases]
        if not bodies:  # a simple statement
            rule = _simple_rule(stmt, prose_names)
            for n in _span(stmt):
                lines[n] = rule
            if rule is None:
                all_machinery = False
                _alt_lines(stmt, lines)
            continue
        header_end = min(b[0].lineno for b in bodies) - 1
        inner = all([_classify(b, lines, prose_names) for b in bodies])  # every body classified
        rule = None
        if inner:
            body_rules = {lines[n] for b in bodies for s in b for n in _span(s)} - {None}
            rule = sorted(body_rules, key=RULES.index)[0] if body_rules else None
        for n in range(stmt.lineno, header_end + 1):
            lines[n] = rule
        for n in _span(stmt):  # `else:`, `except ...:` and the like
            lines.setdefault(n, rule)
        for deco in getattr(stmt, "decorator_list", []):
            for n in _span(deco):
                lines[n] = rule
        if rule is None:
            all_machinery = False
    return all_machinery


def _alt_lines(stmt: ast.stmt, lines: dict[int, str | None]) -> None:
    """Lines of ``alt=`` arguments in a teaching statement, after its first line."""
    for call in _calls(stmt):
        for keyword in call.keywords:
            if keyword.arg == "alt":
                for n in _span(keyword.value):
                    if n != stmt.lineno:
                        lines[n] = "alt text"


def cell_lines(source: str, tags: set[str]) -> list[str | None]:
    """The rule of every non-blank line of one code cell (None: teaching)."""
    text_lines = source.splitlines()
    if tags & HIDDEN_TAGS:
        return ["hidden" for line in text_lines if line.strip()]
    rules: dict[int, str | None] = {}
    magic = {i + 1 for i, line in enumerate(text_lines) if re.match(r"\s*[%!]", line)}
    code = "\n".join("" if i + 1 in magic else line for i, line in enumerate(text_lines))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        tree = None
    if tree is not None:
        _classify(tree.body, rules, frozenset(_prose_names(tree)))
    result: list[str | None] = []
    pending_comments = 0
    last: str | None = None
    for n, line in enumerate(text_lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if n in magic:
            result.append("magic")
            continue
        if stripped.startswith("#") and n not in rules:
            pending_comments += 1
            continue
        last = rules.get(n)
        result += [last] * (pending_comments + 1)
        pending_comments = 0
    return result + [last] * pending_comments


def count(notebook: Path) -> dict:
    """Teaching lines, machinery lines and machinery lines by rule, for one notebook."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    by_rule = dict.fromkeys(RULES, 0)
    teaching = 0
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        tags = set(cell.get("metadata", {}).get("tags", []))
        for rule in cell_lines(source, tags):
            if rule is None:
                teaching += 1
            else:
                by_rule[rule] += 1
    return _row(Path(notebook).stem, teaching, by_rule)


def _row(chapter: str, teaching: int, by_rule: dict) -> dict:
    machinery = sum(by_rule.values())
    on_page = machinery - by_rule["hidden"]
    return {"chapter": chapter, "teaching": teaching, "machinery": machinery,
            "ratio": machinery / teaching if teaching else float("inf"),
            "page share": on_page / (teaching + on_page) if teaching + on_page else 0.0,
            "by rule": by_rule}


def table(rows: list[dict]) -> list[str]:
    """A Markdown table of :func:`count`'s rows, with a total row."""
    total = _row("all", sum(r["teaching"] for r in rows),
                 {k: sum(r["by rule"][k] for r in rows) for k in RULES})
    lines = ["| chapter | teaching | machinery | ratio | machinery on the page | "
             + " | ".join(RULES) + " |",
             "| --- | " + " | ".join(["---:"] * (4 + len(RULES))) + " |"]
    for r in [*rows, total]:
        lines.append(f"| {r['chapter']} | {r['teaching']} | {r['machinery']} | "
                     f"{r['ratio']:.2f} | {r['page share']:.0%} | "
                     + " | ".join(str(r["by rule"][k]) for k in RULES) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to count (default: every chapter)")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the table to FILE (a new file, or one this script "
                             "wrote)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
    missing = [str(p) for p in notebooks if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        parser.error(f"not a notebook file: {', '.join(missing)}")
    if not notebooks:
        parser.error(f"no chapter notebooks in {CHAPTERS}")
    rows = []
    for nb in notebooks:
        try:
            rows.append(count(nb))
        except (json.JSONDecodeError, KeyError, UnicodeDecodeError) as error:
            parser.error(f"{nb} is not a readable notebook ({error})")
    lines = table(rows)
    print("\n".join(lines))
    if args.markdown:
        out = args.markdown
        if out.exists() and not out.read_text(encoding="utf-8").startswith(MARKER):
            parser.error(f"{out} exists and was not written by this script: it is left as "
                         "it is; name another file or move it away")
        out.write_text("\n".join([MARKER, *lines]) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
