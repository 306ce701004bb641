"""Tests of the book's Sphinx extensions in ``_ext/`` that can be checked without a build."""

import nbformat

from helpers import ROOT, load_script


def _stream(text: str, name: str = "stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_a_print_split_before_its_newline_reaches_the_page_whole():
    streams = load_script("_ext/exact_streams.py")
    # the kernel flushed between the text of one print and its newline
    pieces = [_stream("without </s>: 8.0000"), _stream("\nwith </s>: 0.8999\n"),
              _stream("warning\n", "stderr"), _stream("the rest\n")]
    before = [dict(p) for p in pieces]
    merged = streams.coalesce_exactly(pieces)
    stdout = [o["text"] for o in merged if o.get("name") == "stdout"]
    assert stdout == ["without </s>: 8.0000\nwith </s>: 0.8999\nthe rest\n"]
    assert [dict(p) for p in pieces] == before, "the notebook's own outputs were changed"
    # MyST-NB's merge alone turns the split into a blank line
    from myst_nb.core.utils import coalesce_streams

    alone = coalesce_streams([dict(p) for p in pieces])
    assert "8.0000\n\nwith" in alone[0]["text"]


def test_the_book_loads_the_extension():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "exact_streams: _ext/" in config
