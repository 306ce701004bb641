"""Tests of the package itself: set_seed, and that importing it stays light."""

import subprocess
import sys

import numpy as np
import pytest

import utils


def test_set_seed_makes_numpy_and_random_repeat():
    import random

    utils.set_seed(3)
    first = (random.random(), np.random.rand())
    utils.set_seed(3)
    assert (random.random(), np.random.rand()) == first


def test_set_seed_makes_keras_initialisers_repeat():
    keras = pytest.importorskip("keras")
    utils.set_seed(1)
    a = keras.layers.Dense(3)
    a.build((None, 2))
    utils.set_seed(1)
    b = keras.layers.Dense(3)
    b.build((None, 2))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        utils.set_seed(bad)


@pytest.mark.parametrize(
    "module",
    ["utils", "utils.data", "utils.ngram", "utils.numpy_rnn", "utils.gradcheck", "utils.claims"],
)
def test_numpy_only_modules_do_not_import_tensorflow(module):
    code = f"import sys, {module}; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_machine_info_names_the_machine_and_versions():
    info = utils.machine_info()
    assert int(info["cores available"]) >= 1
    assert info["python"].startswith("3.")
    assert info["cpu"]
    assert "numpy" in info and info["numpy"][0].isdigit()


def test_machine_key_is_what_decides_a_runs_speed_and_nothing_that_varies():
    info, key = utils.machine_info(), utils.machine_key()
    assert set(key) == {"cpu", "vector instructions", "cores available", "tensorflow"}
    assert all(key[k] == info[k] for k in key) and key == utils.machine_key()


def test_machine_line_names_cores_load_and_onednn(monkeypatch):
    info = utils.machine_info()
    line = utils.machine_line(1.3)
    assert line.startswith(f"Machine: {info['cores available']} CPU cores ({info['cpu']}; ")
    assert line.endswith("; 1-minute load average 1.3 at the start.")
    assert "oneDNN" not in line and "load" not in utils.machine_line()
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert ", oneDNN off." in utils.machine_line(onednn=True)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    assert ", oneDNN on." in utils.machine_line(onednn=True)


def test_seed_offset_shifts_every_seed(monkeypatch):
    monkeypatch.delenv("SEQUENCE_MODELS_SEED_OFFSET", raising=False)
    assert utils.seed_offset() == 0 and utils.shifted_seed(5) == 5
    monkeypatch.setenv("SEQUENCE_MODELS_SEED_OFFSET", "3")
    assert utils.seed_offset() == 3 and utils.shifted_seed(5) == 8
    assert utils.model_rng(5).random() == np.random.default_rng(8).random()
    utils.set_seed(5)
    shifted = np.random.rand()
    np.random.seed(8)
    assert np.random.rand() == shifted


@pytest.mark.parametrize("bad", ["-1", "two", "1.5"])
def test_a_bad_seed_offset_is_named(monkeypatch, bad):
    monkeypatch.setenv("SEQUENCE_MODELS_SEED_OFFSET", bad)
    with pytest.raises(ValueError, match="SEQUENCE_MODELS_SEED_OFFSET"):
        utils.shifted_seed(0)


def test_results_file_finds_a_benchmark_result_and_explains_a_missing_one():
    path = utils.results_file("claims_robustness.md")
    assert path.is_file() and path.parent.name == "results"
    with pytest.raises(FileNotFoundError, match=r"no-such\.json is missing.*git checkout"):
        utils.results_file("no-such.json")


def test_set_seed_does_not_import_tensorflow_for_numpy_only_work():
    code = ("import sys, utils; utils.set_seed(0); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_data_seed_offset_shifts_data_seeds_only(monkeypatch):
    monkeypatch.delenv(utils.SEED_OFFSET_VARIABLE, raising=False)
    monkeypatch.delenv(utils.DATA_SEED_OFFSET_VARIABLE, raising=False)
    first = utils.data_rng(4).integers(0, 1000, size=5)
    assert utils.data_seed(4) == 4
    monkeypatch.setenv(utils.DATA_SEED_OFFSET_VARIABLE, "2")
    assert utils.data_seed(4) == 6 and utils.shifted_seed(4) == 4  # model seeds unchanged
    np.testing.assert_array_equal(utils.data_rng(2).integers(0, 1000, size=5), first)
    assert not np.array_equal(utils.data_rng(4).integers(0, 1000, size=5), first)


@pytest.mark.parametrize("bad", ["-1", "two", "1.5"])
def test_a_bad_data_seed_offset_is_named(monkeypatch, bad):
    monkeypatch.setenv(utils.DATA_SEED_OFFSET_VARIABLE, bad)
    with pytest.raises(ValueError, match=utils.DATA_SEED_OFFSET_VARIABLE):
        utils.data_rng(0)
