"""Tests of utils.plot: the book style and the drawn diagrams."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mpl_colors
import matplotlib.pyplot as plt
import pytest

from utils import plot
from utils.plot import draw_unrolled_rnn, use_book_style


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(ax) -> list[str]:
    """Every label drawn in ``ax``: its texts, and the accented labels drawn as outlines."""
    from matplotlib.patches import PathPatch

    outlined = [p.get_label() for p in ax.patches if isinstance(p, PathPatch)]
    return [t.get_text() for t in ax.texts] + outlined


def svg_text(fig) -> str:
    """The text a browser would typeset from ``fig``'s SVG (the book keeps SVG text as text)."""
    import io
    import re

    use_book_style()                                   # svg.fonttype: none, as on the pages
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    return "".join(re.findall(r"<text[^>]*>(.*?)</text>", buffer.getvalue(), flags=re.S))


def test_use_book_style_sets_svg_figures():
    use_book_style()
    assert matplotlib.rcParams["savefig.format"] == "svg"


def test_draw_unrolled_rnn_draws_one_column_per_step():
    ax = draw_unrolled_rnn(steps=3, folded=False)
    labels = texts(ax)
    for t in (1, 2, 3):
        assert f"$x_{{{t}}}$" in labels and f"$h_{{{t}}}$" in labels
        assert rf"$\hat y_{{{t}}}$" in labels
    assert "$h_0$" in labels and "$x_{4}$" not in labels
    assert labels.count("$W_{hh}$") == 3  # the same weights at every step


def test_draw_unrolled_rnn_options_and_given_axes():
    fig, ax = plt.subplots()
    out = draw_unrolled_rnn(ax=ax, steps=2, outputs=False, folded=True, show_weights=False,
                            title="unrolled")
    assert out is ax and ax.get_title() == "unrolled"
    labels = texts(ax)
    assert "$h_t$" in labels and "=" in labels
    assert not any("hat y" in s for s in labels) and not any("W_" in s for s in labels)
    fig.savefig(__import__("io").BytesIO(), format="svg")


@pytest.mark.parametrize("steps", [0, 13, 2.0, True])
def test_draw_unrolled_rnn_rejects_bad_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        draw_unrolled_rnn(steps=steps)


# --- Cell diagrams
from utils.plot import draw_gru_cell, draw_lstm_cell


@pytest.mark.parametrize(
    "draw, labels",
    [
        (
            draw_lstm_cell,
            ["$f_t$", "$i_t$", r"$\tilde c_t$", "$o_t$", "$c_{t-1}$", "$c_t$", "$h_{t-1}$",
             "$x_t$"],
        ),
        (draw_gru_cell, ["$z_t$", "$r_t$", r"$\tilde h_t$", "$h_{t-1}$", "$h_t$", "$x_t$", "1-"]),
    ],
    ids=["lstm", "gru"],
)
def test_cell_diagrams_label_every_gate_and_state(draw, labels):
    ax = draw()
    drawn = texts(ax)
    for label in labels:
        assert label in drawn, label
    assert ax.patches, "no boxes drawn"
    ax.figure.savefig(__import__("io").BytesIO(), format="svg")


def test_cell_diagrams_draw_in_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert draw_lstm_cell(ax=left) is left
    assert draw_gru_cell(ax=right) is right
    assert texts(left).count("σ") == 3 and texts(right).count("σ") == 2
    assert "LSTM" in left.get_title() and "GRU" in right.get_title()


def test_show_gives_the_figure_its_alt_text():
    import matplotlib.pyplot as plt

    from utils.plot import FigureWithAlt, show

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    with pytest.raises(ValueError, match="alt"):
        show(fig, alt="")
    assert show(fig, alt="A line rising from 0 to 1.") is None
    shown = FigureWithAlt("<svg></svg>", 'Loss "falls" & <rises>')
    html = shown._repr_html_()
    assert html.startswith("<img") and 'alt="Loss &quot;falls&quot; &amp; &lt;rises&gt;"' in html
    assert "data:image/svg+xml;base64," in html


def test_draw_sequence_mapping_draws_a_box_per_state_input_and_output():
    from matplotlib.patches import FancyBboxPatch

    from utils.plot import draw_sequence_mapping

    fig, ax = plt.subplots()
    draw_sequence_mapping(ax, steps=4, inputs=[1, 2, 3, 4], outputs=[4], title="many-to-one")
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 4 + 4 + 1
    assert ax.get_title() == "many-to-one"
    plt.close(fig)


def test_draw_gradient_paths_draws_three_steps_and_both_paths():
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from utils.plot import COLORS, draw_gradient_paths

    ax = draw_gradient_paths()
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 3 * 4                      # x, h, u, L at t-1, t, t+1
    drawn = " ".join(texts(ax))
    assert "1: $W_{hy}^\\top" in drawn and "2: $J_{t+1}^\\top" in drawn
    colours = {mpl_colors.to_hex(a.get_edgecolor()) for a in ax.patches
               if isinstance(a, FancyArrowPatch)}
    assert {COLORS["blue"].lower(), COLORS["red"].lower()} <= colours
    plt.close(ax.figure)


def test_save_svg_writes_the_whole_file_closes_the_figure_and_leaves_no_partial(tmp_path):
    from utils.plot import save_svg

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="a line")
    path = save_svg(fig, tmp_path / "result.svg")
    assert path == tmp_path / "result.svg"
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</svg>") and "<path" in text
    assert not plt.fignum_exists(fig.number)
    assert [p.name for p in tmp_path.iterdir()] == ["result.svg"]


def test_plot_draws_labelled_curves_and_reference_lines():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = plot.plot([1, 2, 3], {"train": [3, 2, 1], "validation": [3, 2.5, 2]},
                    xlabel="update", ylabel="loss (nats)", title="Loss falls",
                    alt="Two falling curves.", refs={"chance": 3.0}, fmts={"train": "o-"},
                    yscale="log", ax=ax)
    assert out is ax and [line.get_label() for line in ax.lines] == ["train", "validation",
                                                                      "chance"]
    assert ax.get_yscale() == "log" and ax.get_title() == "Loss falls"
    assert ax.get_legend() is not None
    plt.close(fig)


def test_plot_without_axes_shows_and_closes_its_figure():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    assert plot.plot([0, 1], {"_no legend": [0, 1]}, xlabel="x", ylabel="y", title="t",
                     alt="A rising line.") is None
    assert len(plt.get_fignums()) == before


def test_plot_needs_curves_and_a_real_alt_text():
    import pytest

    with pytest.raises(ValueError, match="curves"):
        plot.plot([0], {}, xlabel="x", ylabel="y", title="t", alt="A rising line.")
    with pytest.raises(ValueError, match="alt"):
        plot.plot([0, 1], {"a": [0, 1]}, xlabel="x", ylabel="y", title="t", alt="")


def _every_diagram():
    from utils.plot import draw_gradient_paths, draw_sequence_mapping

    fig, axes = plt.subplots(2, 3, figsize=(18, 8))
    draw_unrolled_rnn(ax=axes[0, 0], steps=2)
    draw_lstm_cell(ax=axes[0, 1])
    draw_gru_cell(ax=axes[0, 2])
    draw_sequence_mapping(axes[1, 0], steps=3, inputs=[1, 2, 3], outputs=[3], title="many")
    draw_gradient_paths(ax=axes[1, 1])
    return fig


def test_no_diagram_writes_a_combining_accent_as_svg_text():
    # A combining accent (U+0300-U+036F) written as SVG text shows in a browser as a letter
    # followed by the accent on a dotted circle: y\u0302 instead of a y with a hat.
    fig = _every_diagram()
    drawn = svg_text(fig)
    assert "σ" in drawn                                   # the SVG keeps its text as text
    assert not [hex(ord(c)) for c in drawn if 0x300 <= ord(c) <= 0x36F]
    labels = [label for ax in fig.axes for label in texts(ax)]
    assert r"$\tilde c_t$" in labels and r"$\tilde h_t$" in labels
    assert r"$\hat y_{2}$" in labels


def test_an_accented_label_is_drawn_as_outlines_where_ax_text_would_put_it():
    from matplotlib.patches import PathPatch

    from utils.plot import _label

    fig, ax = plt.subplots()
    ax.set(xlim=(0, 10), ylim=(0, 10))
    plain = _label(ax, (5, 5), "$y_t$")
    accented = _label(ax, (5, 5), r"$\hat y_t$", ha="left", va="bottom")
    assert plain in ax.texts and isinstance(accented, PathPatch)
    fig.canvas.draw()
    box = accented.get_window_extent()
    x, y = ax.transData.transform((5, 5))
    assert abs(box.x0 - x) < 1.5 and abs(box.y0 - y) < 1.5    # its lower left corner at (5, 5)
