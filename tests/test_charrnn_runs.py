"""Tests of utils.charrnn.runs: a run directory read back and opened to train: resume only with the
same settings, runs of older versions, a directory of its own, one trainer at a time, and
damaged, lost, edited or read-only files (the faults of issues 15 and 22): named, with what to
do, and nothing deleted. Tiny models (tests/helpers.py's TINY, 16 units), so that the file runs
in seconds."""

from __future__ import annotations

import builtins
import errno
import io
import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from utils import charrnn
from utils.data import Vocabulary
from utils.rundir import RunDirError, RunDirWarning

from helpers import TINY, copy_run, edit_json, interrupt_at_step, run_files, tiny_argv, tiny_text


def test_resume_refuses_other_settings(trained, text_file, tmp_path):
    with pytest.raises(ValueError, match="units"):
        charrnn.train(trained, text_file=text_file, epochs=3, log=lambda line: None,
                      **{**TINY, "units": 32})
    other = tmp_path / "other.txt"
    other.write_text(tiny_text().upper(), encoding="utf-8")
    with pytest.raises(ValueError, match="another text"):
        charrnn.train(trained, text_file=other, epochs=3, log=lambda line: None, **TINY)


def test_runs_saved_before_dropout_existed_still_resume(tmp_path, text_file):
    out = tmp_path / "run"
    charrnn.train(out, text_file=text_file, epochs=1, log=lambda line: None, **TINY)
    config = json.loads((out / "config.json").read_text())
    for key in ("dropout", "mix_ngram", "mix_slice"):  # as the first version of the trainer
        del config[key]
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"dropout: 0\.0 \(not recorded in config\.json: the "
                                         r"value of runs made before dropout existed\) there, "
                                         r"0\.2 now"):
        charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None,
                      **{**TINY, "dropout": 0.2})
    state = charrnn.train(out, text_file=text_file, epochs=2, log=lambda line: None, **TINY)
    assert state["epoch"] == 2
    assert charrnn.sample(out, prime="the ", length=5, temperature=0)


def _state_of(out: Path) -> dict:
    return json.loads((out / "state.json").read_text())


def test_out_must_be_a_directory_of_its_own(tmp_path, text_file, capsys):
    cli = ["train", "--text", str(text_file), "--epochs", "1"]
    assert charrnn.main(cli + ["--out", ""]) == 2
    assert "--out) is empty" in capsys.readouterr().err
    assert charrnn.main(cli + ["--out", str(text_file)]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    assert charrnn.main(cli + ["--out", str(text_file / "run")]) == 2
    assert "a part of that path is a file" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text('{"theme": "dark"}')
    (foreign / "vocab.json").write_text('["my", "words"]')
    for extra in ([], ["--allow-other-files"]):
        assert charrnn.main(cli + ["--out", str(foreign)] + extra) == 2
        assert "not the config.json of a run" in capsys.readouterr().err
    assert (foreign / "config.json").read_text() == '{"theme": "dark"}'
    (foreign / "config.json").unlink()
    assert charrnn.main(cli + ["--out", str(foreign), "--allow-other-files"]) == 2
    assert "holds vocab.json but no config.json" in capsys.readouterr().err
    (foreign / "vocab.json").unlink()
    (foreign / "notes.txt").write_text("mine")
    assert charrnn.main(cli + ["--out", str(foreign)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_a_second_trainer_is_refused(trained, text_file, tmp_path):
    out = copy_run(trained, tmp_path)
    owner = {"pid": os.getppid(), "host": __import__("socket").gethostname()}  # alive
    (out / "train.lock").write_text(json.dumps(owner))
    with pytest.raises(RunDirError, match=rf"in use by another trainer \(process {owner['pid']}"):
        charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    assert json.loads((out / "train.lock").read_text()) == owner


def test_resume_is_announced_cleans_litter_and_takes_over_a_stale_lock(tmp_path, text_file):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    interrupt_at_step(out, text_file, step=3, epochs=1, allow_other_files=True)
    assert not (out / "train.lock").exists()  # released on the way out
    # what a trainer killed during a save leaves: a temporary file, files state.json does not
    # name, and its lock
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    (out / "train.lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
    (out / f".tmp-{dead.pid}-latest-65.optimizer.npz").write_bytes(b"half")
    (out / "latest-4.weights.h5").write_bytes(b"orphan")
    lines = []
    state = charrnn.train(out, text_file=text_file, epochs=1, log=lines.append,
                          allow_other_files=True, **TINY)
    assert lines[0] == ("removed 2 file(s) left by an interrupted save: "
                        f".tmp-{dead.pid}-latest-65.optimizer.npz, latest-4.weights.h5")
    assert lines[1].startswith(f"resuming {out} after step 3 (epoch 0, ")
    assert "s trained)" in lines[1]
    assert lines[-2] == (f"best: {out / state['best_weights']}, "
                         f"val_loss {state['best_val']:.4f} nats")
    assert lines[-1] == f"sample it: python -m utils.charrnn sample --model {out}"
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["config.json", "vocab.json", "state.json", "notes.txt", state["best_weights"],
         state["latest_weights"], state["latest_optimizer"]])


def test_damaged_best_checkpoint_falls_back_to_the_latest(trained, tmp_path):
    out = copy_run(trained, tmp_path)
    state = _state_of(out)
    best = out / state["best_weights"]
    best.write_bytes(best.read_bytes()[: best.stat().st_size // 2])  # truncated
    with pytest.warns(RunDirWarning, match=rf"{state['best_weights']}.*SHA-256.*Using "
                                           rf"{state['latest_weights']} instead"):
        text = charrnn.sample(out, prime="the ", length=10, temperature=0)
    assert len(text) == 10
    best.unlink()  # deleted
    with pytest.warns(RunDirWarning, match="the file is missing"):
        charrnn.evaluate(out, text="the cat")
    latest = out / state["latest_weights"]
    latest.write_bytes(b"\x89HDF\r\n garbage")
    with pytest.raises(RunDirError, match=r"holds no usable weights.*latest-\d+\.weights\.h5"):
        charrnn.sample(out, prime="the ", length=3)


def test_damaged_state_falls_back_to_the_checkpoints_and_stops_training(trained, text_file,
                                                                       tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    (out / "state.json").write_text('{"epoch": 3, "step_in_epoch"')
    with pytest.warns(RunDirWarning, match=r"state\.json.*not valid JSON.*Using best-"):
        assert len(charrnn.sample(out, prime="the ", length=5, temperature=0)) == 5
    assert charrnn.main(["train", "--text", str(text_file), "--out", str(out), "--epochs", "4",
                         "--units", "16", "--embedding", "8", "--seq-len", "16", "--batch", "8",
                         "--dropout", "0", "--lr", "0.01", "--eval-seconds", "1000"]) == 2
    err = capsys.readouterr().err
    assert "state.json" in err and "not valid JSON" in err and "new --out" in err
    assert "Traceback" not in err


def test_damaged_vocab_is_named_and_rebuilt_on_resume(trained, text_file, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    (out / "vocab.json").write_text('["a", "b"')
    with pytest.raises(RunDirError, match=r"vocab\.json.*not valid JSON.*rebuilt"):
        charrnn.sample(out, prime="the ", length=3)
    assert charrnn.main(["evaluate", "--model", str(out), "--text", str(text_file)]) == 2
    assert "vocab.json" in capsys.readouterr().err
    lines = []
    charrnn.train(out, text_file=text_file, epochs=3, log=lines.append, **TINY)  # finished
    assert "vocab.json was damaged: rebuilt from the training text." in lines[0]
    assert Vocabulary.from_json((out / "vocab.json").read_text()).symbols == sorted(
        set(tiny_text()))


def test_a_missing_latest_checkpoint_names_the_way_forward(trained, text_file, tmp_path):
    out = copy_run(trained, tmp_path)
    state = _state_of(out)
    (out / state["latest_weights"]).unlink()
    with pytest.raises(RunDirError, match=rf"cannot resume.*{state['latest_weights']}.*missing"
                                          rf".*best model.*is intact.*new --out"):
        charrnn.train(out, text_file=text_file, epochs=4, log=lambda line: None, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the best checkpoint is intact: no warning
        assert charrnn.sample(out, prime="the ", length=3, temperature=0)


def test_a_lost_state_json_keeps_every_checkpoint(trained, text_file, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    (out / "state.json").unlink()
    files = run_files(out)
    with pytest.warns(RunDirWarning, match=r"state\.json.*missing"):
        assert len(charrnn.sample(out, prime="the ", length=3, temperature=0)) == 3
    assert charrnn.main(tiny_argv(text_file, out, 4)) == 2
    err = capsys.readouterr().err
    assert "holds checkpoints (best-" in err and "but no state.json" in err
    assert "Nothing was changed" in err and "sample --model" in err and "new --out" in err
    assert run_files(out) == files
    (out / "config.json").unlink()  # and with the settings and vocabulary lost too
    (out / "vocab.json").unlink()
    with pytest.raises(RunDirError, match="no state.json"):
        charrnn.train(out, text_file=text_file, epochs=4, log=lambda line: None, **TINY)
    assert set(run_files(out)) == set(files) - {"config.json", "vocab.json"}


@pytest.mark.parametrize("key, value, fault", [
    ("global_step", -500, r"\(-500\) the key 'global_step'"),
    ("train_seconds", math.nan, r"\(nan\) the key 'train_seconds': a finite number"),
])
def test_impossible_progress_is_refused_and_nothing_deleted(trained, text_file, tmp_path, key,
                                                            value, fault):
    out = copy_run(trained, tmp_path)
    edit_json(out, "state.json", lambda state: state.update({key: value}))
    files = run_files(out)
    with pytest.raises(RunDirError, match=r"state\.json' is damaged: .*" + fault):
        charrnn.train(out, text_file=text_file, epochs=4, log=lambda line: None, **TINY)
    with pytest.warns(RunDirWarning, match=key):  # sampling falls back on the newest checkpoint
        assert charrnn.sample(out, prime="the ", length=3, temperature=0)
    assert run_files(out) == files


def test_an_edited_vocabulary_is_caught_by_its_checksum_and_rebuilt(trained, text_file,
                                                                    tmp_path):
    out = copy_run(trained, tmp_path)
    symbols = json.loads((out / "vocab.json").read_text())
    symbols[symbols.index("t")] = "T"  # the same length
    (out / "vocab.json").write_text(json.dumps(symbols))
    with pytest.raises(RunDirError, match=r"vocab\.json' is not the vocabulary this run was "
                                          r"trained with.*SHA-256.*rebuilt"):
        charrnn.sample(out, prime="a ", length=3)
    lines = []
    charrnn.train(out, text_file=text_file, epochs=3, log=lines.append, **TINY)  # finished
    assert "vocab.json was damaged: rebuilt from the training text." in lines[0]
    assert charrnn.sample(out, prime="the ", length=3, temperature=0)


def test_a_run_made_before_the_vocabulary_checksum_loads_and_gets_it(trained, text_file,
                                                                     tmp_path):
    out = copy_run(trained, tmp_path)
    config = json.loads((out / "config.json").read_text())
    checksum = config.pop("vocab_sha256")
    assert checksum == charrnn.runs.vocab_sha256(Vocabulary.from_text(tiny_text()))
    (out / "config.json").write_text(json.dumps(config))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert charrnn.sample(out, prime="the ", length=3, temperature=0)
    charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    assert json.loads((out / "config.json").read_text()) == {**config, "vocab_sha256": checksum}


def test_an_edited_vocab_size_is_blamed_on_config_json(trained, text_file, tmp_path):
    out = copy_run(trained, tmp_path)
    size = len(Vocabulary.from_text(tiny_text()))
    edit_json(out, "config.json", lambda config: config.update(vocab_size=size + 1))
    fix = rf'Put back "vocab_size": {size}'
    with pytest.raises(RunDirError, match=rf"config\.json' is damaged: vocab_size is {size + 1}"
                                          rf".*{fix}"):
        charrnn.sample(out, prime="the ", length=3)
    with pytest.raises(RunDirError, match=rf"config\.json' is damaged: vocab_size is {size + 1}"
                                          rf".*{fix}"):
        charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    edit_json(out, "config.json", lambda config: config.pop("vocab_sha256"))  # an older run
    with pytest.raises(RunDirError, match=r"one of the two was changed.*If config\.json was "
                                          rf'edited, put back "vocab_size": {size}'):
        charrnn.sample(out, prime="the ", length=3)
    edit_json(out, "config.json", lambda config: config.update(vocab_size=size))  # the fix given
    assert charrnn.sample(out, prime="the ", length=3, temperature=0)
    charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)


def test_a_bad_value_in_config_json_names_the_file(trained, text_file, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    edit_json(out, "config.json", lambda config: config.update(units="many"))
    message = r"config\.json' is damaged: units must be an integer >= 1, got 'many'"
    with pytest.raises(RunDirError, match=message):
        charrnn.sample(out, prime="the ", length=3)
    with pytest.raises(RunDirError, match=message):
        charrnn.train(out, text_file=text_file, epochs=3, log=lambda line: None, **TINY)
    edit_json(out, "config.json", lambda config: config.update(units=16, lr=math.nan))
    assert charrnn.main(["evaluate", "--model", str(out), "--text", str(text_file)]) == 2
    assert "config.json' is damaged: lr must be a finite number > 0, got nan" in \
        capsys.readouterr().err


def _read_only(monkeypatch, folder: Path) -> None:
    """Make every write under ``folder`` fail as on a read-only file system (tests run as root,
    whom chmod does not stop)."""
    inside = str(folder)

    def refuse(path) -> None:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(inside):
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))

    real_os_open, real_open = os.open, builtins.open

    def os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def open_(file, mode="r", *args, **kwargs):
        if set(mode) & set("wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)
    for name in ("replace", "rename", "unlink", "remove", "mkdir", "rmdir"):
        real = getattr(os, name)

        def refused(path, *args, _real=real, **kwargs):
            refuse(path)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, refused)


def test_a_read_only_run_samples_evaluates_and_explains_training(trained, text_file, tmp_path,
                                                                 monkeypatch, capsys):
    out = copy_run(trained, tmp_path)
    files = run_files(out)
    _read_only(monkeypatch, out)
    with pytest.raises(OSError, match="Read-only"):
        (out / "probe").write_text("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(charrnn.sample(out, prime="the ", length=5, temperature=0)) == 5
    assert charrnn.main(["evaluate", "--model", str(out), "--text", str(text_file)]) == 0
    assert charrnn.main(tiny_argv(text_file, out, 3)) == 0  # finished: nothing to do
    assert "nothing to do" in capsys.readouterr().out
    assert charrnn.main(tiny_argv(text_file, out, 4)) == 2
    err = capsys.readouterr().err
    assert "Read-only file system: train.lock" in err and "cp -r" in err
    assert "Traceback" not in err
    monkeypatch.undo()
    assert run_files(out) == files
