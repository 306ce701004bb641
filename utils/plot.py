"""The book's figure style and the drawn diagrams (unrolled RNN, LSTM and GRU cells).

Every chapter calls :func:`use_book_style` once; figures are then SVG, with the same fonts, colours
and grid everywhere. Diagrams are drawn with plain matplotlib patches so that they live in code.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

__all__ = [
    "COLORS", "FigureWithAlt", "draw_gradient_paths", "draw_gru_cell", "draw_lstm_cell",
    "draw_sequence_mapping",
    "draw_unrolled_rnn", "plot", "save_svg", "show",
    "use_book_style",
]

#: The book's palette (colour-blind safe, Okabe-Ito), by role.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "grey": "#7F7F7F",
    "black": "#000000",
}

BOOK_RC = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.format": "svg",
    "svg.fonttype": "none",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "axes.prop_cycle": mpl.cycler(
        color=[COLORS[c] for c in ("blue", "orange", "green", "red", "purple", "sky", "grey")]
    ),
}


def use_book_style() -> None:
    """Apply the book's matplotlib style, and ask Jupyter for SVG figures when inside IPython."""
    mpl.rcParams.update(BOOK_RC)
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("svg")
    except ImportError:  # plain Python: nothing to configure
        pass


class FigureWithAlt:
    """A rendered figure with its alternative text: an ``<img>`` on a page, SVG in Jupyter.

    Jupyter and MyST-NB pick the HTML form (an ``<img>`` whose ``alt`` is the description, the
    SVG inlined as a data URI); a screen reader reads the description, and so does a text-only
    front end (``text/plain``).
    """

    def __init__(self, svg: str, alt: str):
        self.svg, self.alt = svg, alt

    def _repr_html_(self) -> str:
        import base64
        import html

        data = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return (f'<img class="book-figure" src="data:image/svg+xml;base64,{data}" '
                f'alt="{html.escape(self.alt, quote=True)}">')

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"[figure: {self.alt}]"


def show(fig=None, *, alt: str) -> None:
    """Display ``fig`` (default: the current figure) with alt text, then close it.

    Use it instead of ``plt.show()``: ``show(fig, alt="Loss falls with ...")``.

    Args:
        fig: a matplotlib Figure, or None for the current one.
        alt: one or two sentences saying what the figure shows (not "a plot of ...").

    Returns nothing, so that a cell ending with ``show(...)`` does not display the figure twice.
    """
    import io

    import matplotlib.pyplot as plt

    if not isinstance(alt, str) or len(alt.strip()) < 10:
        raise ValueError("show: alt must be a sentence that says what the figure shows.")
    fig = plt.gcf() if fig is None else fig
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    shown = FigureWithAlt(buffer.getvalue(), alt.strip())
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(shown)
    except ImportError:  # plain Python: nothing to display on
        pass


def plot(x, curves, *, xlabel: str, ylabel: str, title: str, alt: str, fmts=None,
         refs=None, xscale: str = "linear", yscale: str = "linear", xlim=None, ylim=None,
         ax=None):
    """Draw labelled curves against ``x`` and show the figure with its alt text, in one call.

    In the spirit of d2l's ``plot``: ``plot(steps, {"train": train_loss, "validation": val_loss},
    xlabel="update", ylabel="nats per character", title="...", alt="...")``.

    Args:
        x: the shared x values, shape ``(N,)``; or a dict ``label -> x`` when curves differ.
        curves: a dict ``label -> y`` (each of shape ``(N,)``), drawn in order and named in the
            legend (a label starting with ``_`` is left out of it).
        xlabel, ylabel, title: the axes' labels, with units, and what to see.
        alt: one or two sentences that say what the figure shows (see :func:`show`).
        fmts: an optional dict ``label -> matplotlib format`` (``"o-"``, ``"--"``); default lines.
        refs: an optional dict ``label -> y`` of horizontal reference lines (dashed, grey).
        xscale, yscale: ``"linear"`` or ``"log"``.
        xlim, ylim: optional axis limits.
        ax: draw into these axes and return them instead of showing (to add to the figure, then
            call :func:`show` yourself).
    """
    import matplotlib.pyplot as plt

    if not isinstance(curves, dict) or not curves:
        raise ValueError("plot: curves must be a non-empty dict label -> y values.")
    fmts = fmts or {}
    own_figure = ax is None
    if own_figure:
        fig, ax = plt.subplots()
    for label, y in curves.items():
        xs = x[label] if isinstance(x, dict) else x
        ax.plot(xs, y, fmts.get(label, "-"), label=label)
    for label, y in (refs or {}).items():
        ax.axhline(y, ls="--", lw=1.0, color=COLORS["grey"], label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xscale=xscale, yscale=yscale)
    if xlim is not None:
        ax.set_xlim(xlim)
    if ylim is not None:
        ax.set_ylim(ylim)
    if any(not str(label).startswith("_") for label in [*curves, *(refs or {})]):
        ax.legend()
    if not own_figure:
        return ax
    show(fig, alt=alt)
    return None


def save_svg(fig, path: Path | str) -> Path:
    """Write ``fig`` to the SVG file ``path`` (atomically, so a stopped run never leaves half a
    file), close it, and return the path. The benchmarks draw their result figures with this
    from plain Python: ``fig, ax = plt.subplots()`` after :func:`use_book_style`, then
    ``save_svg(fig, RESULTS / "name.svg")``.
    """
    import os

    import matplotlib.pyplot as plt

    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    fig.savefig(partial, format="svg", bbox_inches="tight")
    plt.close(fig)
    os.replace(partial, path)
    return path


# --- Diagrams -----------------------------------------------------------------------------------

#: Mathtext accents that matplotlib writes as a combining character (U+0302, U+0303) when an SVG
#: keeps its text as text (``svg.fonttype: none``); a browser then draws the accent alone, on a
#: dotted circle. Labels with one of them are drawn as outlines instead (:func:`_label`).
_ACCENTS = (r"\hat", r"\tilde", r"\widehat", r"\widetilde", r"\bar", r"\dot", r"\vec")


def _label(ax, xy, text: str, *, ha: str = "center", va: str = "center",
           fontsize: float | None = None, color: str = COLORS["black"], zorder: float = 4):
    """Write ``text`` at the data point ``xy``, like ``ax.text``.

    A label with an accent (``$\\hat y_t$``, ``$\\tilde c_t$``) is drawn as the glyphs' outlines
    (a ``PathPatch`` whose ``get_label()`` is ``text``), so that every browser shows the accent
    on its letter; any other label stays text (selectable, and read by a screen reader).
    """
    if not any(accent in text for accent in _ACCENTS):
        return ax.text(*xy, text, ha=ha, va=va, fontsize=fontsize, color=color, zorder=zorder)
    from matplotlib import transforms
    from matplotlib.patches import PathPatch
    from matplotlib.textpath import TextPath

    size = fontsize if fontsize is not None else mpl.rcParams["font.size"]
    path = TextPath((0, 0), text, size=size)                 # in points
    box = path.get_extents()
    dx = {"left": box.x0, "center": (box.x0 + box.x1) / 2, "right": box.x1}[ha]
    dy = {"bottom": box.y0, "center": (box.y0 + box.y1) / 2, "top": box.y1,
          "baseline": 0.0}[va]
    place = (transforms.Affine2D().translate(-dx, -dy).scale(1 / 72)   # points -> inches
             + ax.figure.dpi_scale_trans                                # inches -> pixels
             + transforms.ScaledTranslation(*xy, ax.transData))        # at xy
    patch = PathPatch(path, transform=place, facecolor=color, edgecolor="none", lw=0,
                      zorder=zorder, label=text, clip_on=False)
    ax.add_artist(patch)
    return patch



def _rnn_box(ax, center, text, color, width=0.8, height=0.55, round_box=True):
    """Draw a labelled, filled box centred at ``center``; return its patch."""
    from matplotlib.patches import FancyBboxPatch

    style = "round,pad=0.02,rounding_size=0.12" if round_box else "square,pad=0.02"
    patch = FancyBboxPatch(
        (center[0] - width / 2, center[1] - height / 2), width, height, boxstyle=style,
        facecolor=color, edgecolor=COLORS["black"], linewidth=1.0, alpha=0.9, zorder=2,
    )
    ax.add_patch(patch)
    _label(ax, center, text, fontsize=11, zorder=3)
    return patch


def _rnn_arrow(ax, start, end, label=None, label_offset=(0.0, 0.0), color=None, rad=0.0):
    """Draw an arrow from ``start`` to ``end`` with an optional weight label at its middle."""
    from matplotlib.patches import FancyArrowPatch

    arrow = FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=12, linewidth=1.2,
        color=color or COLORS["black"], connectionstyle=f"arc3,rad={rad}", zorder=1,
    )
    ax.add_patch(arrow)
    if label:
        mid = ((start[0] + end[0]) / 2 + label_offset[0], (start[1] + end[1]) / 2 + label_offset[1])
        _label(ax, mid, label, fontsize=9, color=color or COLORS["grey"])
    return arrow


def draw_unrolled_rnn(ax=None, steps: int = 4, outputs: bool = True, folded: bool = True,
                      show_weights: bool = True, title: str | None = None):
    """Draw a simple RNN unrolled over ``steps`` time steps (matplotlib patches only).

    Each column is one step t: input :math:`x_t` at the bottom, hidden state :math:`h_t` in the
    middle, output :math:`\\hat y_t` on top. Horizontal arrows carry :math:`h_{t-1}` to
    :math:`h_t` through the *same* :math:`W_{hh}` at every step (parameter sharing), starting from
    :math:`h_0`. With ``folded`` the compact form (one cell with a self-loop) is drawn on the left.

    Args:
        ax: the Axes to draw on; a new figure when None.
        steps: number of time steps to draw, 1 to 12.
        outputs: draw the outputs :math:`\\hat y_t` and their weights :math:`W_{hy}`.
        folded: also draw the folded cell with its loop, and an equals sign.
        show_weights: label the arrows with :math:`W_{xh}`, :math:`W_{hh}`, :math:`W_{hy}`.
        title: an optional Axes title.

    Returns:
        The matplotlib Axes.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 12:
        raise ValueError(f"draw_unrolled_rnn: steps must be an int from 1 to 12, got {steps!r}.")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Arc

    w = show_weights
    y_x, y_h, y_y = 0.0, 1.5, 3.0
    x0 = 0.0
    right = (2.3 if folded else 0.0) + 1.6 * steps + 0.6
    top = (y_y if outputs else y_h) + 0.6
    if ax is None:
        _, ax = plt.subplots(figsize=(0.62 * (right + 0.7), 0.62 * (top - y_x + 1.0) + 0.4))
    if folded:
        _rnn_box(ax, (x0, y_x), "$x_t$", COLORS["sky"], round_box=False)
        _rnn_box(ax, (x0, y_h), "$h_t$", COLORS["orange"])
        _rnn_arrow(ax, (x0, y_x + 0.3), (x0, y_h - 0.3), "$W_{xh}$" if w else None, (0.35, 0.0))
        if outputs:
            _rnn_box(ax, (x0, y_y), r"$\hat y_t$", COLORS["green"], round_box=False)
            _rnn_arrow(ax, (x0, y_h + 0.3), (x0, y_y - 0.3), "$W_{hy}$" if w else None, (0.35, 0.0))
        # the loop: h_t feeds the same cell at the next step
        centre, radius = np.array([x0 + 0.58, y_h]), 0.26
        loop = Arc(centre, 2 * radius, 2 * radius, theta1=-140, theta2=125, color=COLORS["red"],
                   linewidth=1.2)
        ax.add_patch(loop)
        head = [centre + radius * np.array([np.cos(a), np.sin(a)]) for a in np.radians([125, 140])]
        _rnn_arrow(ax, tuple(head[0]), tuple(head[1]), None, color=COLORS["red"])
        if w:
            ax.text(x0 + 0.85, y_h + 0.35, "$W_{hh}$", ha="left", va="center", fontsize=9,
                    color=COLORS["red"])
        ax.text(x0 + 1.5, y_h, "=", ha="center", va="center", fontsize=18)
        x0 += 2.3
    # the initial state, then one column per step
    _rnn_box(ax, (x0, y_h), "$h_0$", COLORS["grey"], width=0.6)
    h_prev_right = x0 + 0.3
    for t in range(1, steps + 1):
        cx = x0 + 1.6 * t
        _rnn_box(ax, (cx, y_x), f"$x_{{{t}}}$", COLORS["sky"], round_box=False)
        _rnn_box(ax, (cx, y_h), f"$h_{{{t}}}$", COLORS["orange"])
        _rnn_arrow(ax, (cx, y_x + 0.3), (cx, y_h - 0.3), "$W_{xh}$" if w else None, (0.35, 0.0))
        w_hh = "$W_{hh}$" if w else None
        start, end = (h_prev_right, y_h), (cx - 0.42, y_h)
        _rnn_arrow(ax, start, end, w_hh, (0.0, 0.22), color=COLORS["red"])
        if outputs:
            _rnn_box(ax, (cx, y_y), rf"$\hat y_{{{t}}}$", COLORS["green"], round_box=False)
            _rnn_arrow(ax, (cx, y_h + 0.3), (cx, y_y - 0.3), "$W_{hy}$" if w else None, (0.35, 0.0))
        h_prev_right = cx + 0.42
    ax.text((x0 + right) / 2, y_x - 0.75, "time $t$ →", ha="center", va="center", fontsize=10,
            color=COLORS["grey"])
    ax.set_xlim(-0.7, right)
    ax.set_ylim(y_x - 1.0, top)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


# (unrolled RNN: Part II; LSTM and GRU cells: Part III)

# --- LSTM and GRU cells (Part III) ---


def _diagram_axes(ax, width: float, height: float, title: str):
    """An empty, equal-aspect axes of the given data size (a new figure if ``ax`` is None)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(width * 0.62, height * 0.62))
    ax.set_xlim(-0.6, width + 0.6)
    ax.set_ylim(-0.6, height + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    return ax


def _wire(ax, points, arrow: bool = True, color: str = COLORS["black"]) -> None:
    """A polyline through ``points``, with an arrow head at the end."""
    xs, ys = zip(*points, strict=True)
    ax.plot(xs, ys, color=color, lw=1.3, solid_capstyle="round", zorder=1)
    if arrow:
        ax.annotate(
            "", xy=points[-1], xytext=points[-2],
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.3, "shrinkA": 0,
                        "shrinkB": 0, "mutation_scale": 11},
            zorder=2,
        )


def _gate(ax, xy, label: str, name: str, color: str) -> None:
    """A rectangular layer (σ or tanh) at ``xy`` with the gate's name under it."""
    from matplotlib.patches import FancyBboxPatch

    x, y = xy
    ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.3), 0.84, 0.6, boxstyle="round,pad=0.04",
                                facecolor=color, edgecolor=COLORS["black"], lw=1.0, zorder=3))
    ax.text(x, y, label, ha="center", va="center", fontsize=10, color="white", zorder=4)
    _label(ax, (x + 0.5, y - 0.05), name, ha="left", va="top", fontsize=9)


def _op(ax, xy, symbol: str) -> None:
    """A circled point-wise operation (× for the product, + for the sum, tanh)."""
    from matplotlib.patches import Circle

    radius = 0.36 if symbol == "tanh" else 0.26
    ax.add_patch(Circle(xy, radius, facecolor="white", edgecolor=COLORS["black"], lw=1.0,
                        zorder=3))
    ax.text(*xy, symbol, ha="center", va="center", fontsize=8 if symbol == "tanh" else 11,
            zorder=4)


def _cell_frame(ax, width: float, height: float) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((0.6, 0.35), width - 1.2, height - 0.7, boxstyle="round,pad=0.1",
                                facecolor="#F4F4F4", edgecolor=COLORS["grey"], lw=1.0, zorder=0))


def draw_lstm_cell(ax=None):
    """Draw one LSTM cell: the cell-state line on top, the four gate layers below it.

    The gates follow the book's notation and Keras's order (input ``i_t``, forget ``f_t``,
    candidate ``c̃_t``, output ``o_t``); σ marks a sigmoid layer, ``tanh`` a tanh layer, ×
    an element-wise product and + a sum.

    Args:
        ax: a matplotlib ``Axes`` to draw in; a new figure if ``None``.

    Returns:
        The ``Axes``.
    """
    width, height = 11.0, 6.4
    ax = _diagram_axes(ax, width, height, "One LSTM cell (one time step)")
    _cell_frame(ax, width, height)
    top, bottom, gates = 5.2, 1.0, 2.6
    xf, xi, xc, xo, xout = 2.4, 3.9, 5.4, 7.0, 8.7
    # the cell-state line c_{t-1} -> × f_t -> + -> c_t
    _wire(ax, [(-0.4, top), (xf - 0.26, top)], arrow=True)
    _wire(ax, [(xf + 0.26, top), (xc - 0.26, top)])
    _wire(ax, [(xc + 0.26, top), (width + 0.4, top)])
    ax.text(-0.4, top + 0.25, r"$c_{t-1}$", ha="left", va="bottom")
    ax.text(width + 0.4, top + 0.25, r"$c_t$", ha="right", va="bottom")
    ax.text((xc + xout) / 2, top + 0.2, "cell state: only × and +", ha="center", va="bottom",
            fontsize=8, color=COLORS["blue"])
    # the inputs h_{t-1} and x_t, concatenated, feed every gate
    _wire(ax, [(-0.4, bottom), (xo, bottom)], arrow=False)
    ax.text(-0.4, bottom - 0.2, r"$h_{t-1}$", ha="left", va="top")
    _wire(ax, [(1.4, -0.5), (1.4, bottom)], arrow=False)
    ax.text(1.55, -0.45, r"$x_t$", ha="left", va="bottom")
    for xg in (xf, xi, xc, xo):
        _wire(ax, [(xg, bottom), (xg, gates - 0.3)])
    _gate(ax, (xf, gates), "σ", r"$f_t$", COLORS["red"])
    _gate(ax, (xi, gates), "σ", r"$i_t$", COLORS["green"])
    _gate(ax, (xc, gates), "tanh", r"$\tilde c_t$", COLORS["purple"])
    _gate(ax, (xo, gates), "σ", r"$o_t$", COLORS["orange"])
    # forget: f_t × c_{t-1}
    _wire(ax, [(xf, gates + 0.3), (xf, top - 0.26)])
    _op(ax, (xf, top), "×")
    # input: i_t × c̃_t, added to the cell
    prod = (xc, 3.9)
    _wire(ax, [(xi, gates + 0.3), (xi, prod[1]), (xc - 0.26, prod[1])])
    _wire(ax, [(xc, gates + 0.3), (xc, prod[1] - 0.26)])
    _op(ax, prod, "×")
    _wire(ax, [(xc, prod[1] + 0.26), (xc, top - 0.26)])
    _op(ax, (xc, top), "+")
    # output: h_t = o_t × tanh(c_t)
    squash, out = (xout, 4.1), (xout, gates)
    _wire(ax, [(xout, top), (xout, squash[1] + 0.36)])
    _op(ax, squash, "tanh")
    _wire(ax, [(xout, squash[1] - 0.36), (xout, out[1] + 0.26)])
    _wire(ax, [(xo + 0.42, gates), (xout - 0.26, gates)])
    _op(ax, out, "×")
    _wire(ax, [(xout, out[1] - 0.26), (xout, bottom), (width + 0.4, bottom)])
    ax.text(width + 0.4, bottom - 0.2, r"$h_t$", ha="right", va="top")
    _wire(ax, [(xout + 0.9, bottom), (xout + 0.9, height + 0.4)])
    ax.text(xout + 1.0, height + 0.35, r"$h_t$", ha="left", va="top")
    return ax


def draw_gru_cell(ax=None):
    """Draw one GRU cell with Keras's convention ``h_t = z_t h_{t-1} + (1 - z_t) h̃_t``.

    The reset gate ``r_t`` scales what the candidate ``h̃_t`` sees of ``h_{t-1}``; the update gate
    ``z_t`` mixes the old state and the candidate. σ marks a sigmoid layer, ``tanh`` a tanh
    layer, × an element-wise product, + a sum and ``1-`` the complement.

    Args:
        ax: a matplotlib ``Axes`` to draw in; a new figure if ``None``.

    Returns:
        The ``Axes``.
    """
    width, height = 11.0, 6.4
    ax = _diagram_axes(ax, width, height, "One GRU cell (one time step)")
    _cell_frame(ax, width, height)
    top, bottom, gates = 5.2, 1.0, 2.6
    xr, xz, xc, xmix = 2.4, 4.0, 6.6, 8.6
    # the state line h_{t-1} -> × z_t -> + -> h_t
    _wire(ax, [(-0.4, top), (xmix - 0.26, top)])
    _op(ax, (xmix, top), "×")
    plus = (xmix + 1.2, top)
    _wire(ax, [(xmix + 0.26, top), (plus[0] - 0.26, top)])
    _op(ax, plus, "+")
    _wire(ax, [(plus[0] + 0.26, top), (width + 0.4, top)])
    ax.text(-0.4, top + 0.25, r"$h_{t-1}$", ha="left", va="bottom")
    ax.text(width + 0.4, top + 0.25, r"$h_t$", ha="right", va="bottom")
    # h_{t-1} also goes down to the gates; x_t comes from below
    _wire(ax, [(1.2, top), (1.2, bottom), (xz, bottom)], arrow=False)
    _wire(ax, [(1.6, -0.5), (1.6, bottom)], arrow=False)
    ax.text(1.45, -0.45, r"$x_t$", ha="right", va="bottom")
    for xg in (xr, xz):
        _wire(ax, [(xg, bottom), (xg, gates - 0.3)])
    _gate(ax, (xr, gates), "σ", r"$r_t$", COLORS["red"])
    _gate(ax, (xz, gates), "σ", r"$z_t$", COLORS["green"])
    # reset: r_t × h_{t-1} feeds the candidate (with x_t)
    reset = (xr, 3.9)
    _wire(ax, [(xr, gates + 0.3), (xr, reset[1] - 0.26)])
    _wire(ax, [(xr, top), (xr, reset[1] + 0.26)])
    _op(ax, reset, "×")
    _wire(ax, [(xr + 0.26, reset[1]), (5.3, reset[1]), (5.3, gates), (xc - 0.42, gates)])
    _wire(ax, [(1.6, -0.2), (xc, -0.2), (xc, gates - 0.3)])
    _gate(ax, (xc, gates), "tanh", r"$\tilde h_t$", COLORS["purple"])
    # update: z_t keeps h_{t-1}; (1 - z_t) takes the candidate
    _wire(ax, [(xz, gates + 0.3), (xz, 3.4), (xmix, 3.4), (xmix, top - 0.26)])
    comp = (xmix + 1.2, 3.4)
    _wire(ax, [(xmix, 3.4), (comp[0] - 0.26, 3.4)])
    _op(ax, comp, "1-")
    cand = (comp[0], gates)
    _wire(ax, [(xc + 0.42, gates), (cand[0] - 0.26, gates)])
    _wire(ax, [(comp[0], comp[1] - 0.26), (cand[0], cand[1] + 0.26)])
    _op(ax, cand, "×")
    _wire(ax, [(cand[0] + 0.26, cand[1]), (cand[0] + 0.6, cand[1]), (cand[0] + 0.6, 4.3),
               (plus[0], 4.3), (plus[0], top - 0.26)])
    return ax


def draw_sequence_mapping(ax, steps: int, inputs, outputs, title: str,
                          decoder_from: int | None = None):
    """Draw one input-output pattern of an RNN: a box for every state h_t, left to right.

    An input box x_t sits below step t when t is in ``inputs``, an output box y_t above it when
    t is in ``outputs``. Steps from ``decoder_from`` on are drawn in yellow (a decoder).

    Args:
        ax: the matplotlib Axes to draw in.
        steps: number of time steps (columns).
        inputs, outputs: the steps (1-based) that receive an input or produce an output.
        title: the axes title (for example ``"many-to-one"``).
        decoder_from: first step of a decoder, or None for a single RNN.

    Returns:
        ax.
    """
    def box(t, y, text, color):
        _rnn_box(ax, (t, y), text, color, width=0.6, height=0.44)

    def arrow(start, end):
        _rnn_arrow(ax, start, end)

    for t in range(1, steps + 1):
        decoder = decoder_from is not None and t >= decoder_from
        box(t, 1, f"$h_{{{t}}}$", COLORS["yellow"] if decoder else COLORS["orange"])
        if t > 1:
            arrow((t - 0.7, 1), (t - 0.3, 1))
        if t in inputs:
            box(t, 0, f"$x_{{{t}}}$", COLORS["sky"])
            arrow((t, 0.22), (t, 0.78))
        if t in outputs:
            box(t, 2, rf"$\hat y_{{{t}}}$", COLORS["green"])
            arrow((t, 1.22), (t, 1.78))
    ax.set(xlim=(0.4, steps + 0.6), ylim=(-0.5, 2.5), title=title)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_gradient_paths(ax=None):
    """Draw the two paths by which the gradient reaches h_t in BPTT (chapter 6's rule 4).

    Forward arrows (grey) run x_t -> h_t -> u_t -> L_t and h_{t-1} -> h_t -> h_{t+1}. The
    backward arrows are coloured: blue from L_t through the logits u_t into h_t (path 1,
    :math:`W_{hy}^\\top(\\hat y_t - y_t)`), red from h_{t+1} into h_t (path 2,
    :math:`J_{t+1}^\\top \\delta_{t+1}`). Their sum is :math:`\\delta_t`, which goes on to
    h_{t-1} (purple).

    Returns:
        The matplotlib Axes.
    """
    ax = _diagram_axes(ax, 9.2, 5.2, "")
    grey, blue, red = COLORS["grey"], COLORS["blue"], COLORS["red"]
    columns = {"t-1": 1.2, "t": 4.6, "t+1": 8.0}
    for name, cx in columns.items():
        _rnn_box(ax, (cx, 0.5), f"$x_{{{name}}}$", COLORS["sky"], 1.05, round_box=False)
        _rnn_box(ax, (cx, 2.0), f"$h_{{{name}}}$", COLORS["orange"], 1.05)
        _rnn_box(ax, (cx, 3.4), f"$u_{{{name}}}$", COLORS["green"], 1.05, round_box=False)
        _rnn_box(ax, (cx, 4.6), f"$L_{{{name}}}$", COLORS["yellow"], 1.05, round_box=False)
        for low, high in ((0.5, 2.0), (2.0, 3.4), (3.4, 4.6)):
            _rnn_arrow(ax, (cx - 0.15, low + 0.3), (cx - 0.15, high - 0.3), color=grey)
    for left, right in (("t-1", "t"), ("t", "t+1")):
        _rnn_arrow(ax, (columns[left] + 0.55, 2.12), (columns[right] - 0.55, 2.12), color=grey)
    cx = columns["t"]
    # path 1: down from the loss of step t, through its logits
    _rnn_arrow(ax, (cx + 0.15, 4.3), (cx + 0.15, 3.7), color=blue)
    _rnn_arrow(ax, (cx + 0.15, 3.1), (cx + 0.15, 2.3), color=blue)
    _label(ax, (cx + 0.35, 2.75), r"1: $W_{hy}^\top(\hat y_t - y_t)$", ha="left",
           fontsize=9, color=blue)
    # path 2: back from the next state (which carries everything after step t)
    _rnn_arrow(ax, (columns["t+1"] - 0.55, 1.86), (cx + 0.55, 1.86), color=red)
    ax.text((cx + columns["t+1"]) / 2, 1.55, r"2: $J_{t+1}^\top \delta_{t+1}$", ha="center",
            va="center", fontsize=9, color=red)
    # their sum, delta_t, goes on to h_{t-1}
    _rnn_arrow(ax, (cx - 0.55, 1.86), (columns["t-1"] + 0.55, 1.86), color=COLORS["purple"])
    ax.text((cx + columns["t-1"]) / 2, 1.55, r"$J_t^\top \delta_t$", ha="center", va="center",
            fontsize=9, color=COLORS["purple"])
    ax.text(cx, -0.35, r"forward pass in grey, gradients in colour: $\delta_t$ = path 1 + path 2",
            ha="center", va="center", fontsize=10)
    return ax
