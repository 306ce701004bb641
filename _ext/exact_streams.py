"""A Sphinx extension: a cell's printed text reaches the page exactly as it was printed.

The kernel sends printed text in pieces, about every 0.2 s. On a busy machine a piece can end
between a ``print``'s text and its newline. MyST-NB's ``coalesce_streams`` (``nb_merge_streams``)
strips the end of every piece and adds a newline, so such a split shows as a blank line on the
page; it also changes the first piece in place, so the executed notebook the build saves shows
the second piece twice. This extension joins consecutive pieces of one stream exactly, on copies,
before MyST-NB's own merge (which still handles ``\\r``, ``\\b`` and the stdout/stderr order).

Loaded by ``_config.yml`` (``sphinx: local_extensions``).
"""

from __future__ import annotations

import copy

import myst_nb.core.render as render
from myst_nb.core.utils import coalesce_streams


def join_stream_pieces(outputs: list) -> list:
    """Consecutive pieces of one stream (stdout or stderr) joined into one; the input unchanged."""
    joined = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (output["output_type"] == "stream" and last is not None
                and last["output_type"] == "stream" and last["name"] == output["name"]):
            last["text"] += output["text"]
        else:
            joined.append(copy.deepcopy(output))
    return joined


def coalesce_exactly(outputs: list) -> list:
    """MyST-NB's merge of a cell's outputs, after the exact join of split pieces."""
    return coalesce_streams(join_stream_pieces(outputs))


def setup(app):
    render.coalesce_streams = coalesce_exactly  # the name MyST-NB's renderer calls
    return {"parallel_read_safe": True, "parallel_write_safe": True}
