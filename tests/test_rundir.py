"""Tests of utils.rundir: safe writes, the lock, other programs' files, litter, checked reads.
No TensorFlow: the checkpoints here are small files written by stand-in functions."""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from utils import rundir
from utils.data import Vocabulary
from utils.rundir import RunDir, RunDirError, RunDirReadOnly


def _ours(config) -> bool:
    return isinstance(config, dict) and "text_sha256" in config


def _state(**changes) -> dict:
    state = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "train_seconds": 0.0,
             "chars_seen": 0, "best_val": None, "best_weights": None, "latest_weights": None,
             "latest_optimizer": None, "history": [], "sha256": {}}
    state.update(changes)
    return state


def _write_bytes(data: bytes):
    return lambda path: Path(path).write_bytes(data)


def _set_sigint(handler):
    """Install ``handler`` for SIGINT; yield; put back what was there (fixtures below)."""
    before = signal.signal(signal.SIGINT, handler)
    yield
    signal.signal(signal.SIGINT, signal.SIG_DFL if before is None else before)


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt, however pytest was started: a job started in the
    background by a non-interactive shell (CI, `cmd &`, nohup) begins with SIGINT ignored, and
    then Python installs no KeyboardInterrupt handler."""
    yield from _set_sigint(signal.default_int_handler)


@pytest.fixture
def sigint_ignored():
    """SIGINT ignored, as in such a background job."""
    yield from _set_sigint(signal.SIG_IGN)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_empty_path_and_a_file_are_refused(tmp_path):
    with pytest.raises(RunDirError, match="empty"):
        RunDir("")
    with pytest.raises(RunDirError, match="empty"):
        RunDir("  ")
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    with pytest.raises(RunDirError, match="is a file, not a directory"):
        RunDir(f)
    with pytest.raises(RunDirError, match="a part of that path is a file"):
        with RunDir(f / "run").locked():
            pass
    assert f.read_text() == "mine"


def test_other_programs_files_are_refused_unless_allowed(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    run = RunDir(tmp_path)
    with pytest.raises(RunDirError, match=r"notes\.txt.*--allow-other-files"):
        run.check_usable(_ours)
    run.check_usable(_ours, allow_other_files=True)  # allowed: they stay
    assert run.other_files() == ["notes.txt"]


@pytest.mark.parametrize("name", ["config.json", "vocab.json", "state.json"])
def test_a_foreign_run_file_is_refused_even_when_other_files_are_allowed(tmp_path, name):
    (tmp_path / name).write_text('{"some": "other program"}')
    with pytest.raises(RunDirError, match=name.replace(".", r"\.")):
        RunDir(tmp_path).check_usable(_ours, allow_other_files=True)
    assert json.loads((tmp_path / name).read_text()) == {"some": "other program"}


def test_a_damaged_config_is_named(tmp_path):
    (tmp_path / "config.json").write_text('{"cell": "gru" "units": 3}')
    with pytest.raises(RunDirError, match=r"config\.json.*damaged: not valid JSON.*delimiter"):
        RunDir(tmp_path).check_usable(_ours)


def test_the_lock_refuses_a_second_trainer_and_takes_over_a_dead_ones(tmp_path):
    run = RunDir(tmp_path / "run")
    with run.locked():
        owner = json.loads(run.lock_path.read_text())
        assert owner["pid"] == os.getpid()
        # a second trainer (another process: its lock file names a live pid, the parent's)
        other = RunDir(tmp_path / "run2")
        other.path.mkdir()
        other.lock_path.write_text(json.dumps({"pid": os.getppid(), "host": owner["host"]}))
        with pytest.raises(RunDirError, match=rf"in use by another trainer \(process "
                                              rf"{os.getppid()}.*delete train\.lock"):
            with other.locked():
                pass
    assert not run.lock_path.exists()  # released
    # a stale lock: its process is dead
    run.path.joinpath("train.lock").write_text(
        json.dumps({"pid": _dead_pid(), "host": owner["host"]}))
    with run.locked():
        assert json.loads(run.lock_path.read_text())["pid"] == os.getpid()
    assert not run.lock_path.exists()


def test_an_unreadable_lock_is_not_taken_over(tmp_path):
    run = RunDir(tmp_path)
    run.lock_path.write_text("garbage")
    with pytest.raises(RunDirError, match="another process"):
        with run.locked():
            pass


def test_write_atomic_leaves_no_temporary_file_when_writing_fails(tmp_path):
    target = tmp_path / "state.json"
    rundir.write_json(target, {"a": 1})

    def fail(path):
        Path(path).write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        rundir.write_atomic(target, fail)
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_second_ctrl_c_waits_for_the_save(tmp_path, sigint_raises):
    """SIGINT during the save is delivered after it: the directory stays consistent."""
    run = RunDir(tmp_path)
    state = _state(global_step=7)

    def save_weights(path):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of the save
        Path(path).write_bytes(b"weights")

    with pytest.raises(KeyboardInterrupt):
        run.save_checkpoint(state, save_weights, [np.ones(3)], best=True)
    saved = json.loads(run.state_path.read_text())
    assert saved["latest_weights"] == "latest-7.weights.h5"
    assert saved["best_weights"] == "best-7.weights.h5"
    for name in ("latest-7.weights.h5", "latest-7.optimizer.npz", "best-7.weights.h5"):
        assert run.check_file(saved, name) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_an_ignored_ctrl_c_stays_ignored_during_a_save(tmp_path, sigint_ignored):
    """A SIGINT the shell chose to ignore (nohup, `cmd &` in a script) is not caught."""
    run = RunDir(tmp_path)
    state = _state(global_step=7)
    seen = []

    def save_weights(path):
        seen.append(signal.getsignal(signal.SIGINT))
        os.kill(os.getpid(), signal.SIGINT)  # ignored: nothing happens, now or later
        Path(path).write_bytes(b"weights")

    run.save_checkpoint(state, save_weights, [np.ones(3)], best=False)
    assert seen == [signal.SIG_IGN]
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    assert json.loads(run.state_path.read_text())["latest_weights"] == "latest-7.weights.h5"


def test_a_default_sigterm_during_a_save_ends_the_process_after_it(tmp_path):
    """In a child process with SIGTERM at its default: the save completes, then it dies."""
    code = (
        "import os, signal, sys, numpy as np\n"
        "from pathlib import Path\n"
        "from utils.rundir import RunDir\n"
        "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
        "def save(path):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    Path(path).write_bytes(b'w')\n"
        "state = {'global_step': 3, 'latest_weights': None, 'latest_optimizer': None,\n"
        "         'best_weights': None, 'sha256': {}}\n"
        "RunDir(sys.argv[1]).save_checkpoint(state, save, [np.ones(2)], best=True)\n"
        "print('not reached')\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == -signal.SIGTERM and "not reached" not in done.stdout
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["latest_weights"] == "latest-3.weights.h5"
    assert RunDir(tmp_path).check_file(saved, "best-3.weights.h5") is None


def _full_disk(calls_before: int):
    """A weights writer that fails like h5py on a full disk after ``calls_before`` calls."""
    calls = []

    def write(path):
        calls.append(path)
        if len(calls) > calls_before:
            Path(path).write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        Path(path).write_bytes(b"weights")

    return write


@pytest.mark.parametrize("calls_before", [0, 1])  # the latest weights fail; the best ones
def test_a_full_disk_during_a_save_is_a_sentence_and_keeps_the_last_save(tmp_path,
                                                                          calls_before):
    run = RunDir(tmp_path)
    state = _state(global_step=1)
    run.save_checkpoint(state, _write_bytes(b"one"), [np.zeros(2)], best=True)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    state["global_step"] = 2
    with pytest.raises(RunDirError, match=r"cannot write in .*\(No space left on device: "
                                          r"(latest|best)-2\.weights\.h5\)\. Free some space"):
        run.save_checkpoint(state, _full_disk(calls_before), [np.zeros(2)], best=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files  # nothing lost or left
    assert state["latest_weights"] == "latest-1.weights.h5"  # the state in memory too


def test_a_read_only_directory_is_named_when_taking_the_lock(tmp_path, monkeypatch):
    real_open = os.open

    def fails(error_number):
        def fake_open(path, flags, *args, **kwargs):
            if flags & os.O_CREAT:
                raise OSError(error_number, os.strerror(error_number), str(path))
            return real_open(path, flags, *args, **kwargs)
        return fake_open

    monkeypatch.setattr(os, "open", fails(errno.EROFS))
    with pytest.raises(RunDirReadOnly, match=r"cannot write in .*Read-only file system: "
                                             r"train\.lock.*Sampling and evaluating.*cp -r"):
        with RunDir(tmp_path).locked():
            pass
    monkeypatch.setattr(os, "open", fails(errno.ENOSPC))
    with pytest.raises(RunDirError, match="No space left on device") as info:
        with RunDir(tmp_path).locked():
            pass
    assert not isinstance(info.value, RunDirReadOnly)


def test_checkpoints_replace_the_old_ones_and_record_their_sha256(tmp_path):
    run = RunDir(tmp_path)
    state = _state(global_step=1)
    run.save_checkpoint(state, _write_bytes(b"one"), [np.zeros(2)], best=True)
    state["global_step"] = 2
    run.save_checkpoint(state, _write_bytes(b"two"), [np.zeros(2)], best=False)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["best-1.weights.h5", "latest-2.optimizer.npz", "latest-2.weights.h5",
                     "state.json"]
    assert run.check_file(state, "best-1.weights.h5") is None
    (tmp_path / "best-1.weights.h5").write_bytes(b"oen")  # damaged on disk
    assert "SHA-256" in run.check_file(state, "best-1.weights.h5")
    (tmp_path / "latest-2.weights.h5").unlink()
    assert run.check_file(state, "latest-2.weights.h5") == "the file is missing"
    assert [a.tolist() for a in run.load_optimizer_arrays(state)] == [[0.0, 0.0]]
    assert run.load_checked(state, "latest-2.optimizer.npz", Path.read_bytes)[1] is None
    assert "SHA-256" in run.load_checked(state, "best-1.weights.h5", Path.read_bytes)[1]

    def unreadable(path):
        raise ValueError("bad header\nmore")

    assert run.load_checked(state, "latest-2.optimizer.npz", unreadable) == (
        None, "it cannot be loaded (ValueError: bad header)")
    (tmp_path / "latest-2.optimizer.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(RunDirError, match=r"cannot resume.*latest-2\.optimizer\.npz.*SHA-256"):
        run.load_optimizer_arrays(state)


def test_litter_of_an_interrupted_save_is_cleaned(tmp_path):
    run = RunDir(tmp_path)
    state = _state(global_step=5, latest_weights="latest-5.weights.h5",
                   latest_optimizer="latest-5.optimizer.npz", best_weights="best-3.weights.h5")
    litter = [".tmp-123-latest-65.optimizer.npz", ".tmp-9-state.json", "latest-8.weights.h5",
              "latest-8.optimizer.npz"]
    kept = ["latest-5.weights.h5", "latest-5.optimizer.npz", "best-3.weights.h5",
            ".tmp-notes", "notes.txt"]
    for name in litter + kept:
        (tmp_path / name).write_bytes(b"x")
    assert sorted(run.clean_litter(state)) == sorted(litter)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)
    # without a valid state.json, checkpoints are kept (only temporary files go)
    (tmp_path / "latest-9.weights.h5").write_bytes(b"x")
    (tmp_path / ".tmp-1-latest-9.weights.h5").write_bytes(b"x")
    assert run.clean_litter(None) == [".tmp-1-latest-9.weights.h5"]


def test_no_checkpoint_is_removed_when_the_state_does_not_match_the_files(tmp_path):
    """A state.json whose files are missing (edited, or copied from elsewhere) proves nothing:
    the checkpoints on disk are kept."""
    run = RunDir(tmp_path)
    state = _state(global_step=5, latest_weights="latest-5.weights.h5",
                   latest_optimizer="latest-5.optimizer.npz")
    kept = ["latest-210.weights.h5", "latest-210.optimizer.npz", "best-210.weights.h5"]
    for name in kept + [".tmp-1-state.json"]:
        (tmp_path / name).write_bytes(b"x")
    assert run.clean_litter(state) == [".tmp-1-state.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_damaged_or_incomplete_json_is_named_with_the_fault(tmp_path):
    run = RunDir(tmp_path)
    with pytest.raises(RunDirError, match=r"state\.json.*is missing"):
        run.read_state()
    run.state_path.write_text('{"epoch": 1,')
    with pytest.raises(RunDirError, match=r"state\.json.*not valid JSON.*falls back"):
        run.read_state()
    run.state_path.write_text(json.dumps(_state(global_step="3")))
    with pytest.raises(RunDirError, match=r"bad value.*'global_step'"):
        run.read_state()
    bad = _state()
    del bad["history"]
    run.state_path.write_text(json.dumps(bad))
    with pytest.raises(RunDirError, match=r"lacks the key 'history'"):
        run.read_state()
    run.state_path.write_text(json.dumps(_state(best_weights="../../etc/passwd")))
    with pytest.raises(RunDirError, match="not a checkpoint name"):
        run.read_state()
    run.state_path.write_text(json.dumps(_state()))
    assert run.read_state()["epoch"] == 0
    run.config_path.write_text("[1, 2]")
    with pytest.raises(RunDirError, match=r"config\.json.*JSON object"):
        run.read_config()


@pytest.mark.parametrize("changes, fault", [
    ({"global_step": -500}, r"\(-500\) the key 'global_step': an integer >= 0"),
    ({"epoch": 1.5}, r"\(1\.5\) the key 'epoch'"),
    ({"train_seconds": math.nan}, r"\(nan\) the key 'train_seconds': a finite number"),
    ({"train_seconds": math.inf}, r"\(inf\) the key 'train_seconds'"),
    ({"best_val": math.nan}, r"\(nan\) the key 'best_val'"),
    ({"step_in_epoch": 9, "global_step": 3}, "step_in_epoch .9. is larger than global_step"),
    ({"global_step": 5, "latest_weights": "latest-210.weights.h5"},
     r"latest-210\.weights\.h5', saved at step 210, but global_step is 5"),
    ({"global_step": 5, "best_weights": "latest-5.weights.h5"}, "not a file of that kind"),
    ({"history": [1, 2]}, r"history\[0\] is 1, not a record"),
    ({"history": [{"step": 0}]}, r"history\[0\] lacks a valid 'step'.*'train_seconds'"),
    ({"sha256": [["best-1.weights.h5", "0" * 64]]}, r"'sha256' is \[\[.*not an object"),
    ({"sha256": {"best-1.weights.h5": 5}}, r"maps 'best-1\.weights\.h5' to 5: expected"),
])
def test_values_out_of_range_in_the_state_are_named(tmp_path, changes, fault):
    run = RunDir(tmp_path)
    run.state_path.write_text(json.dumps(_state(**changes)))  # NaN and Infinity are written too
    with pytest.raises(RunDirError, match=r"state\.json' is damaged: .*" + fault):
        run.read_state()


def test_the_model_option_is_named_for_a_file(tmp_path):
    f = tmp_path / "model.weights.h5"
    f.write_bytes(b"x")
    with pytest.raises(RunDirError, match=r"is a file, not a run directory: --model takes the "
                                          r"directory that training wrote") as info:
        RunDir(f, option="--model")
    assert "choose a directory for the run" not in str(info.value)
    with pytest.raises(RunDirError, match=r"\(--model\) is empty"):
        RunDir("", option="--model")


def test_the_vocabulary_is_checked(tmp_path):
    run = RunDir(tmp_path)
    with pytest.raises(RunDirError, match=r"vocab\.json.*missing.*rebuilt"):
        run.read_vocab()
    for text, fault in [('["a", "b"', "not valid JSON"), ('"abc"', "JSON list"),
                        ('["a", "bc"]', "one-character"), ('["a", "a"]', "more than once")]:
        run.vocab_path.write_text(text)
        with pytest.raises(RunDirError, match=fault):
            run.read_vocab()
    run.write_vocab(Vocabulary.from_text("abc"))
    assert run.read_vocab(3).symbols == ["a", "b", "c"]
    with pytest.raises(RunDirError, match="lists 3 characters, the run was trained on 4"):
        run.read_vocab(4)


def test_weight_candidates_fall_back_in_order(tmp_path):
    run = RunDir(tmp_path)
    for name in ("best-3.weights.h5", "best-9.weights.h5", "latest-12.weights.h5",
                 "latest-12.optimizer.npz"):
        (tmp_path / name).write_bytes(b"x")
    state = _state(best_weights="best-9.weights.h5", latest_weights="latest-12.weights.h5")
    assert run.weight_candidates(state, "best") == [
        "best-9.weights.h5", "latest-12.weights.h5", "best-3.weights.h5"]
    assert run.weight_candidates(None, "best") == [
        "best-9.weights.h5", "best-3.weights.h5", "latest-12.weights.h5"]
    assert run.weight_candidates(None, "latest")[0] == "latest-12.weights.h5"


def test_rundir_does_not_import_tensorflow():
    code = "import sys, utils.rundir; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
