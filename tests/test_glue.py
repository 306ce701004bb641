"""utils.glue writes exactly what MyST-NB's own glue writes, without its import cost."""

import subprocess
import sys

import pytest

import utils.glue

myst_glue = pytest.importorskip("myst_nb.ext.glue")


def recorded(module, monkeypatch, *args, **kwargs):
    """The (bundle, metadata) that ``module.glue(*args)`` hands to IPython's display."""
    calls = []
    monkeypatch.setattr(module, "ipy_display",
                        lambda bundle, raw, metadata: calls.append((raw, bundle, metadata)))
    module.glue(*args, **kwargs)
    assert len(calls) == 1
    return calls[0]


@pytest.mark.parametrize("value", ["a sentence, with 1.5 nats", 3, 0.25, [1, 2], None])
@pytest.mark.parametrize("display", [True, False])
def test_the_output_is_myst_nb_s(value, display, monkeypatch):
    ours = recorded(utils.glue, monkeypatch, "name-1", value, display=display)
    theirs = recorded(myst_glue, monkeypatch, "name-1", value, display=display)
    assert ours == theirs
    raw, bundle, metadata = ours
    assert raw is True
    assert metadata["scrapbook"]["name"] == "name-1"
    prefix = "" if display else utils.glue.GLUE_PREFIX
    assert bundle[prefix + "text/plain"] == repr(value)


def test_the_prefix_is_myst_nb_s():
    assert utils.glue.GLUE_PREFIX == myst_glue.GLUE_PREFIX


def test_importing_it_loads_neither_nbformat_nor_myst_nb():
    code = ("import sys, utils.glue; "
            "print(sorted(m for m in ('nbformat', 'myst_nb') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
