"""``glue(name, value)``: a value computed in a chapter, for its text to show.

The book's pages write ``{glue:text}`name``` where a sentence needs a number that a cell computed;
MyST-NB finds the value in the executed notebook by its name. This is MyST-NB's own
``myst_nb.glue``, written out: the same output, the same metadata, so MyST-NB reads it the same
way. It exists because importing ``myst_nb``'s version loads the notebook format's validators,
about 1.2 s in every chapter's kernel, for a function of five lines.
"""

from __future__ import annotations

from typing import Any

from IPython.core.formatters import format_display_data
from IPython.display import display as ipy_display

__all__ = ["GLUE_PREFIX", "glue"]

#: MyST-NB's prefix for a value glued without being shown (``display=False``).
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Record ``variable``'s display forms under ``name`` in the cell's output.

    Args:
        name: the name the text uses, as in ``{glue:text}`name```.
        variable: any object; what is stored is what it displays as (its text, HTML, image).
        display: also show it in the cell's output (the pages hide glued-only outputs when
            ``False``).
    """
    mimebundle, metadata = format_display_data(variable)
    mime_prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": mime_prefix}
    ipy_display({mime_prefix + k: v for k, v in mimebundle.items()}, raw=True,
                metadata=metadata)
