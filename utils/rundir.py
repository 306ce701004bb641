"""The run directory of :mod:`utils.charrnn`: settings, progress, checkpoints, a lock, safe writes.

A run directory holds only these files::

    config.json                  the settings (and the SHA-256 of the text and of the
                                 vocabulary); written once (a run made before the vocabulary's
                                 SHA-256 was recorded gets it when it is trained again)
    vocab.json                   the vocabulary (utils.data.Vocabulary.to_json); written once
    state.json                   progress, history, the names and SHA-256 of the checkpoints
    latest-STEP.weights.h5       the latest weights ...
    latest-STEP.optimizer.npz    ... and the optimizer's state (Adam's moments), to resume
    best-STEP.weights.h5         the weights with the lowest validation loss so far
    mix-text.txt                 with --mix-ngram only: the training part of the text, from
                                 which the n-gram is fitted again (its SHA-256 is in config.json)
    train.lock                   while a trainer runs: its process id and host

What this module guarantees:

- **Safe writes.** Every file is written under a temporary name (``.tmp-PID-NAME``), flushed to
  disk and moved into place with :func:`os.replace`; ``state.json`` is written last, so it only
  ever names complete files. A checkpoint is saved with Ctrl-C and SIGTERM held back
  (:func:`interrupts_deferred`): a second Ctrl-C during the save takes effect once the save is
  complete; a signal that the process ignores (``SIG_IGN``, e.g. a job started in the background
  by a non-interactive shell, or under ``nohup``) stays ignored. Temporary files, and checkpoints
  that a valid ``state.json`` does not name (left by a run killed during a save), are removed by
  the next trainer (:meth:`RunDir.clean_litter`); a checkpoint is never removed on a guess.
- **Failed writes are sentences.** A full disk or a read-only directory during a save or when
  taking the lock raises :class:`RunDirError` (the files saved before are intact).
- **One trainer at a time.** :meth:`RunDir.locked` creates ``train.lock`` exclusively; a second
  trainer is refused with the first one's process id; a lock whose process is dead is taken over.
- **Nobody else's files.** A directory that holds files of another kind is refused (unless
  ``allow_other_files``: then they are left alone; a foreign ``config.json``, ``vocab.json`` or
  ``state.json`` is refused in any case, since training would overwrite it). Nothing here ever
  deletes a file that is not one of the names above.
- **Checked reads.** What is read back is validated: JSON that does not parse or lacks its keys,
  values out of range (a negative step, a time that is not finite), a malformed history, a
  vocabulary that is not a list of distinct characters, a checkpoint whose SHA-256 differs from
  the one recorded at saving time. Each error (:class:`RunDirError`) names the file, what is
  wrong and what to do.

Only the standard library and NumPy: no TensorFlow here.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import signal
import socket
import threading
from pathlib import Path

from utils.data import sha256_of

__all__ = [
    "CHECKPOINT_PATTERN",
    "LOCK_NAME",
    "MIX_TEXT",
    "RunDir",
    "RunDirError",
    "RunDirReadOnly",
    "RunDirWarning",
    "interrupts_deferred",
    "read_json",
    "write_atomic",
    "write_json",
]

LOCK_NAME = "train.lock"
CONFIG, VOCAB, STATE = "config.json", "vocab.json", "state.json"
MIX_TEXT = "mix-text.txt"
#: Checkpoint names: ``latest-STEP.weights.h5``, ``latest-STEP.optimizer.npz``, ``best-STEP...``.
CHECKPOINT_PATTERN = re.compile(r"(latest|best)-(\d+)\.(weights\.h5|optimizer\.npz)")
_TMP_PATTERN = re.compile(r"\.tmp-(\d+)-(.+)")
_RUN_NAMES = (CONFIG, VOCAB, STATE, LOCK_NAME, MIX_TEXT)
#: state.json's keys and the types their values may have.
_STATE_TYPES = {
    "epoch": (int,), "step_in_epoch": (int,), "global_step": (int,),
    "train_seconds": (int, float), "chars_seen": (int,), "best_val": (int, float, type(None)),
    "best_weights": (str, type(None)), "latest_weights": (str, type(None)),
    "latest_optimizer": (str, type(None)), "history": (list,),
}


class RunDirError(ValueError):
    """A run directory that cannot be used as asked; the message says why and what to do."""


class RunDirReadOnly(RunDirError):
    """The run directory cannot be written (read-only, no permission): training cannot lock it."""


class RunDirWarning(UserWarning):
    """Something in a run directory was damaged and a fallback was used (the message says which)."""


# --- safe writes ---------------------------------------------------------------------------------


@contextlib.contextmanager
def interrupts_deferred():
    """Hold back SIGINT (Ctrl-C) and SIGTERM inside the block; deliver them when it ends.

    A signal that arrives inside the block is handed to the handler that was installed before
    (by default: ``KeyboardInterrupt`` for SIGINT) once the block is complete. A signal that is
    ignored (``SIG_IGN``: a background job of a non-interactive shell, ``nohup``) stays ignored,
    and one whose handler Python did not install is left alone. Outside the main thread signals
    cannot arrive in Python code anyway, and the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum, frame):
        caught.append(signum)

    old = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is None or handler == signal.SIG_IGN:
            continue  # not ours to change: ignored on purpose, or set outside Python
        old[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
        if caught:
            signum = caught[0]
            handler = old[signum]
            if callable(handler):
                handler(signum, None)  # e.g. signal.default_int_handler: KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


def write_atomic(path: str | os.PathLike, write) -> None:
    """Call ``write(tmp_path)``, flush it to disk, then move it onto ``path`` in one step.

    The temporary name is ``.tmp-PID-NAME`` in the same directory (it keeps the suffixes that
    Keras checks, such as ``.weights.h5``); it is removed if ``write`` fails.
    """
    path = Path(path)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as JSON with :func:`write_atomic`."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1, ensure_ascii=False)

    write_atomic(path, write)


def read_json(path: str | os.PathLike, what: str, fix: str):
    """The JSON in ``path``; :class:`RunDirError` naming the file, the fault and ``fix``.

    Args:
        path: the file.
        what: what the file holds, for the message (e.g. "the run's settings").
        fix: what to do about it, appended to the message.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunDirError(f"{str(path)!r} ({what}) is missing. {fix}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunDirError(f"{str(path)!r} ({what}) cannot be read ({error}). {fix}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RunDirError(
            f"{str(path)!r} ({what}) is damaged: not valid JSON ({error}). {fix}"
        ) from None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return False
    return True


def _finite(value, low: float = 0.0) -> bool:
    """Whether ``value`` is a finite number (not a bool) >= ``low``."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= low)


def _count(value) -> bool:
    """Whether ``value`` is an integer >= 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _state_problem(state: dict) -> str | None:
    """What is wrong with a parsed ``state.json`` (a dict), or None: keys, types, ranges, names."""
    for key, types in _STATE_TYPES.items():
        value = state.get(key, ...)
        if value is ... or isinstance(value, bool) or not isinstance(value, types):
            return ("it lacks the key " if value is ... else
                    f"it has a bad value for ({value!r}) the key ") + repr(key)
    for key in ("epoch", "step_in_epoch", "global_step", "chars_seen"):
        if not _count(state[key]):
            return f"it has a bad value for ({state[key]!r}) the key {key!r}: an integer >= 0"
    if state["step_in_epoch"] > state["global_step"]:
        return (f"step_in_epoch ({state['step_in_epoch']}) is larger than global_step "
                f"({state['global_step']})")
    if not _finite(state["train_seconds"]):
        return (f"it has a bad value for ({state['train_seconds']!r}) the key 'train_seconds': "
                f"a finite number >= 0")
    if state["best_val"] is not None and not _finite(state["best_val"]):
        return (f"it has a bad value for ({state['best_val']!r}) the key 'best_val': a finite "
                f"number >= 0 or null")
    for key in ("best_weights", "latest_weights", "latest_optimizer"):
        name = state[key]
        if name is None:
            continue
        if not CHECKPOINT_PATTERN.fullmatch(name):
            return f"{key} is {name!r}, not a checkpoint name"
        kind = "best" if key == "best_weights" else "latest"
        if not name.startswith(kind + "-") or name.endswith(".optimizer.npz") != (
                key == "latest_optimizer"):
            return f"{key} is {name!r}, which is not a file of that kind"
        step = _step_of(name)
        if step > state["global_step"] or (kind == "latest" and step != state["global_step"]):
            return (f"{key} is {name!r}, saved at step {step}, but global_step is "
                    f"{state['global_step']}")
    for i, record in enumerate(state["history"]):
        if not isinstance(record, dict):
            return f"history[{i}] is {record!r}, not a record (a JSON object)"
        if not _count(record.get("step")) or not _finite(record.get("train_seconds")):
            return (f"history[{i}] lacks a valid 'step' (an integer >= 0) or 'train_seconds' "
                    f"(a finite number >= 0): {record!r}"[:300])
    sums = state.get("sha256", {})
    if not isinstance(sums, dict):
        return f"'sha256' is {sums!r}, not an object that maps checkpoint names to SHA-256"[:300]
    for name, digest in sums.items():
        if not CHECKPOINT_PATTERN.fullmatch(name) or not isinstance(digest, str) \
                or not _SHA256.fullmatch(digest):
            return (f"'sha256' maps {name!r} to {digest!r}: expected a checkpoint name and 64 "
                    f"hexadecimal digits")[:300]
    return None


def _step_of(name: str) -> int:
    match = CHECKPOINT_PATTERN.fullmatch(name)
    return int(match.group(2)) if match else -1


# --- the directory -------------------------------------------------------------------------------


class RunDir:
    """One run directory (see the module docstring).

    Args:
        path: the directory; it need not exist yet. An empty string, or a path that names an
            existing file, is refused with :class:`RunDirError`.
        command: the command that trains this directory, for messages (``--out`` is appended).
        option: the command-line option that named the directory, for messages: ``--out``
            (training) or ``--model`` (sampling, evaluating an existing run).
    """

    def __init__(self, path: str | os.PathLike, command: str = "python -m utils.charrnn train",
                 option: str = "--out"):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"the run directory must be a path, got {type(path).__name__}.")
        if str(path).strip() == "":
            if option == "--out":
                raise RunDirError(
                    "the run directory (--out) is empty: name a directory for the run's files, "
                    "e.g. --out runs/mytext (it is created if needed)."
                )
            raise RunDirError(f"the run directory ({option}) is empty: name the directory that "
                              f"training wrote (its --out).")
        self.path = Path(path)
        self.command = command
        if self.path.exists() and not self.path.is_dir():
            if option == "--out":
                raise RunDirError(
                    f"{str(self.path)!r} is a file, not a directory: choose a directory for the "
                    f"run (--out), e.g. --out {self.path.with_suffix('')}-run."
                )
            raise RunDirError(
                f"{str(self.path)!r} is a file, not a run directory: {option} takes the "
                f"directory that training wrote (the --out of `{command}`), which holds "
                f"config.json, vocab.json, state.json and the checkpoints."
            )

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def vocab_path(self) -> Path:
        return self.path / VOCAB

    @property
    def state_path(self) -> Path:
        return self.path / STATE

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_NAME

    # --- what is there ---------------------------------------------------------------------------

    @staticmethod
    def is_run_file(name: str) -> bool:
        """Whether a file name is one this module writes (or a temporary file of one)."""
        tmp = _TMP_PATTERN.fullmatch(name)
        if tmp:
            name = tmp.group(2)
        return name in _RUN_NAMES or CHECKPOINT_PATTERN.fullmatch(name) is not None

    def other_files(self) -> list[str]:
        """Names of the entries of the directory that are not run files, sorted."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir()
                      if not (p.is_file() and self.is_run_file(p.name)))

    def checkpoints(self) -> list[str]:
        """Names of the checkpoint files in the directory, sorted."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir()
                      if p.is_file() and CHECKPOINT_PATTERN.fullmatch(p.name))

    def has_run(self) -> bool:
        """Whether a training run has saved progress here (``state.json`` exists)."""
        return self.state_path.is_file()

    def check_usable(self, is_ours, allow_other_files: bool = False) -> None:
        """Refuse (:class:`RunDirError`) a directory that holds files of someone else.

        Args:
            is_ours: ``is_ours(config) -> bool``, whether a parsed ``config.json`` is a run's.
            allow_other_files: accept files that are not run files (they are left alone).
        """
        if not self.path.is_dir():
            return
        where = str(self.path)
        if self.config_path.exists():
            config = read_json(
                self.config_path, "the run's settings",
                f"If it belongs to a run of this trainer, that run's settings are lost: train "
                f"into a new --out directory. If it is another program's file, choose another "
                f"--out. Nothing was changed in {where!r}.")
            if not is_ours(config):
                raise RunDirError(
                    f"{str(self.config_path)!r} is not the config.json of a run of this trainer; "
                    f"training would overwrite it. Choose another --out directory (nothing was "
                    f"changed in {where!r}).")
        else:
            for name in (VOCAB, STATE):
                if (self.path / name).exists():
                    raise RunDirError(
                        f"{where!r} holds {name} but no config.json: it is not a run of this "
                        f"trainer (or one whose settings are lost), and training would overwrite "
                        f"{name}. Choose another --out directory (nothing was changed).")
        others = self.other_files()
        if others and not allow_other_files:
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5
                                             else "")
            raise RunDirError(
                f"{where!r} holds files that are not part of a training run ({shown}). Choose an "
                f"empty or new --out directory, or allow them (--allow-other-files, "
                f"allow_other_files=True): they are then left as they are, never changed or "
                f"deleted.")

    # --- the lock --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self):
        """Hold ``train.lock`` inside the block (create the directory first).

        Raises:
            RunDirError: another live process holds the lock (its pid is named), or the
                directory cannot be created.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as error:
            raise RunDirError(
                f"cannot create the run directory {str(self.path)!r}: a part of that path is a "
                f"file ({error.strerror}). Choose another --out.") from None
        except OSError as error:
            raise RunDirError(f"cannot create the run directory {str(self.path)!r} "
                              f"({error.strerror}).") from None
        self._acquire()
        try:
            yield self
        finally:
            self._release()

    def _lock_owner(self) -> dict | None:
        try:
            owner = json.loads(self.lock_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}
        return owner if isinstance(owner, dict) else {}

    def _acquire(self) -> None:
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(3):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                fd = None
            except OSError as error:  # read-only, no permission, disk full
                raise self._cannot_write(error, LOCK_NAME, lock=True) from None
            if fd is not None:
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        json.dump(me, f)
                except OSError as error:
                    self.lock_path.unlink(missing_ok=True)
                    raise self._cannot_write(error, LOCK_NAME) from None
                return
            owner = self._lock_owner()
            if owner is None:  # released meanwhile: try again
                continue
            pid = owner.get("pid")
            same_host = owner.get("host") == me["host"]
            if isinstance(pid, int) and same_host and not _pid_alive(pid):
                try:
                    self.lock_path.unlink(missing_ok=True)  # stale: its trainer is dead
                except OSError as error:
                    raise self._cannot_write(error, LOCK_NAME) from None
                continue
            who = (f"process {pid} on {owner.get('host')}" if isinstance(pid, int)
                   else "another process")
            raise RunDirError(
                f"{str(self.path)!r} is in use by another trainer ({who}, see "
                f"{str(self.lock_path)!r}). Two trainers in one directory would overwrite "
                f"each other's checkpoints: wait for it to finish, stop it, or train into "
                f"another --out. If no trainer is running, delete {LOCK_NAME} there.")
        raise RunDirError(f"could not take the lock {str(self.lock_path)!r}; try again.")

    def _cannot_write(self, error: OSError, name: str, lock: bool = False) -> RunDirError:
        """The error for a file that cannot be written in the directory (``name`` for the text).

        :class:`RunDirReadOnly` when the lock (``lock=True``) cannot be created for want of
        permission: nothing was written, and a finished run can still be reported.
        """
        reason = error.strerror or str(error)
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return (RunDirReadOnly if lock else RunDirError)(
                f"cannot write in {str(self.path)!r} ({reason}: {name}): training needs to write "
                f"its lock, checkpoints and progress there. Sampling and evaluating this run work "
                f"as it is. To train further, copy the directory somewhere writable (e.g. `cp -r "
                f"{self.path} NEW_DIR`) and train with --out NEW_DIR.")
        if error.errno == errno.ENOSPC:
            return RunDirError(
                f"cannot write in {str(self.path)!r} ({reason}: {name}). Free some space and run "
                f"the same command again: the files saved before are intact.")
        return RunDirError(f"cannot write in {str(self.path)!r} ({reason}: {name}). The files "
                           f"saved before are intact; run the same command again once it can "
                           f"be written.")

    def _release(self) -> None:
        owner = self._lock_owner()
        if owner and owner.get("pid") == os.getpid():
            self.lock_path.unlink(missing_ok=True)

    # --- clean-up --------------------------------------------------------------------------------

    def clean_litter(self, state: dict | None) -> list[str]:
        """Remove what an interrupted save left (call it with the lock held); return the names.

        Temporary files ``.tmp-PID-NAME`` of run files are removed; so are checkpoints that
        ``state`` (the parsed, checked ``state.json``) does not name, provided that every file it
        names is there (``state.json`` is written after the files it names, so those others are
        the remains of an interrupted save, or files it no longer needs). With ``state=None``
        (no valid ``state.json``), or a state whose files are missing, checkpoints are kept.
        """
        removed = []
        keep = set()
        if state is not None:
            keep = {state.get(k) for k in ("latest_weights", "latest_optimizer", "best_weights")}
            keep.discard(None)
            if not all((self.path / name).is_file() for name in keep):
                state = None  # it does not describe this directory: remove no checkpoint
        for p in sorted(self.path.iterdir()):
            if not p.is_file():
                continue
            tmp = _TMP_PATTERN.fullmatch(p.name)
            litter = tmp is not None and self.is_run_file(tmp.group(2))
            if state is not None and CHECKPOINT_PATTERN.fullmatch(p.name) and p.name not in keep:
                litter = True
            if litter:
                p.unlink(missing_ok=True)
                removed.append(p.name)
        return removed

    # --- settings, vocabulary, state -------------------------------------------------------------

    def _fix_settings(self) -> str:
        return (f"The run's settings are lost: train into a new --out directory "
                f"(`{self.command} ... --out NEW_DIR`).")

    def read_config(self) -> dict:
        config = read_json(self.config_path, "the run's settings", self._fix_settings())
        if not isinstance(config, dict):
            raise RunDirError(f"{str(self.config_path)!r} is damaged: it should hold a JSON "
                              f"object of settings, not {type(config).__name__}. "
                              f"{self._fix_settings()}")
        return config

    def vocab_fix(self) -> str:
        """What to do about a damaged ``vocab.json`` (for messages)."""
        return (f"It can be rebuilt from the training text: run the training command again with "
                f"the same text and --out {self.path} (a finished run trains no further).")

    def read_vocab(self, vocab_size: int | None = None):
        """The :class:`~utils.data.Vocabulary` in ``vocab.json``, checked against ``vocab_size``."""
        from utils.data import Vocabulary

        fix = self.vocab_fix()
        try:
            text = self.vocab_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RunDirError(f"{str(self.vocab_path)!r} (the vocabulary) is missing. {fix}") \
                from None
        except (OSError, UnicodeDecodeError) as error:
            raise RunDirError(f"{str(self.vocab_path)!r} cannot be read ({error}). {fix}") \
                from None
        try:
            vocab = Vocabulary.from_json(text, source=str(self.vocab_path), chars=True)
        except ValueError as error:
            raise RunDirError(f"{error} {fix}") from None
        if vocab_size is not None and len(vocab) != vocab_size:
            raise RunDirError(
                f"{str(self.vocab_path)!r} is damaged: it lists {len(vocab)} characters, the "
                f"run was trained on {vocab_size}. {fix}")
        return vocab

    def read_state(self) -> dict:
        """The parsed, checked ``state.json``."""
        fix = (f"The checkpoints themselves may be intact: `python -m utils.charrnn sample "
               f"--model {self.path}` falls back to the newest one. To train further, train into "
               f"a new --out directory.")
        state = read_json(self.state_path, "the run's progress", fix)
        if not isinstance(state, dict):
            raise RunDirError(f"{str(self.state_path)!r} is damaged: it should hold a JSON "
                              f"object, not {type(state).__name__}. {fix}")
        problem = _state_problem(state)
        if problem:
            raise RunDirError(f"{str(self.state_path)!r} is damaged: {problem}. {fix}")
        return state

    def write_config(self, config: dict) -> None:
        write_json(self.config_path, config)

    def write_vocab(self, vocab) -> None:
        write_atomic(self.vocab_path,
                     lambda tmp: Path(tmp).write_text(vocab.to_json(), encoding="utf-8"))

    def write_mix_text(self, text: str) -> None:
        """Write the mixture's text (``mix-text.txt``, UTF-8)."""
        write_atomic(self.path / MIX_TEXT,
                     lambda tmp: Path(tmp).write_text(text, encoding="utf-8", newline=""))

    # --- checkpoints -----------------------------------------------------------------------------

    def check_file(self, state: dict, name: str, sha256: str | None = None) -> str | None:
        """None if file ``name`` exists and has its recorded SHA-256; else what is wrong.

        The SHA-256 is ``sha256`` if given, else the one ``state`` records for a checkpoint.
        """
        path = self.path / name
        if not path.is_file():
            return "the file is missing"
        expected = sha256 or (state.get("sha256", {}).get(name)
                              if isinstance(state.get("sha256"), dict) else None)
        if expected is not None and sha256_of(path) != expected:
            return "its contents differ from what was saved (SHA-256 mismatch: damaged)"
        return None

    def load_checked(self, state: dict | None, name: str, load, sha256: str | None = None):
        """``(load(path), None)`` for file ``name`` if it is intact, else ``(None, problem)``.

        The one way checkpoints (and the mixture's text) are read: the file must exist and have
        the SHA-256 recorded when it was saved (``sha256``, or else the one ``state`` records;
        ``state=None``: none to check), and ``load(path)`` must succeed; ``problem`` says in
        words what went wrong (for the messages of the callers).
        """
        try:
            problem = self.check_file(state or {}, name, sha256)
        except OSError as error:
            problem = f"it cannot be read ({error.strerror or error})"
        if problem is not None:
            return None, problem
        try:
            return load(self.path / name), None
        except Exception as error:  # h5py, Keras, zip and pickle raise many kinds
            first = (str(error).strip().splitlines() or [""])[0][:200]
            return None, f"it cannot be loaded ({type(error).__name__}: {first})"

    def save_checkpoint(self, state: dict, save_weights, optimizer_arrays,
                        best: bool) -> None:
        """Write the latest checkpoint (and the best one if ``best``), then ``state.json``.

        ``state`` is updated in place (file names, SHA-256) and written last; the files it named
        before and no longer names are then removed. SIGINT and SIGTERM are held back meanwhile.

        Args:
            state: the progress dict (see :meth:`read_state`); its ``global_step`` names files.
            save_weights: ``save_weights(path)`` writes the model's weights (``.weights.h5``).
            optimizer_arrays: the optimizer's variables as NumPy arrays (a list).
            best: also save the weights as the best checkpoint.
        """
        import numpy as np

        with interrupts_deferred():
            keys = ("latest_weights", "latest_optimizer", "best_weights")
            before = {k: state.get(k) for k in (*keys, "sha256")}
            old = {state[k] for k in keys}
            step = state["global_step"]
            sums = dict(state.get("sha256") or {})
            weights = f"latest-{step}.weights.h5"
            opt_file = f"latest-{step}.optimizer.npz"
            created: list[str] = []  # written here: litter if the save fails

            def write_opt(p: Path) -> None:
                with open(p, "wb") as f:
                    np.savez(f, *optimizer_arrays)

            name = weights
            try:
                write_atomic(self.path / weights, lambda p: save_weights(str(p)))
                created.append(weights)
                name = opt_file
                write_atomic(self.path / opt_file, write_opt)
                created.append(opt_file)
                state["latest_weights"], state["latest_optimizer"] = weights, opt_file
                if best:
                    name = f"best-{step}.weights.h5"
                    write_atomic(self.path / name, lambda p: save_weights(str(p)))
                    created.append(name)
                    state["best_weights"] = name
                written = set(created)
                current = {state[k] for k in keys}
                state["sha256"] = {n: sha256_of(self.path / n) if n in written or n not in sums
                                   else sums[n] for n in sorted(current - {None})}
                name = STATE
                write_json(self.state_path, state)  # last: now it points at the new files
            except OSError as error:  # disk full, read-only: state.json still names the old
                state.update(before)
                for n in created:
                    if n not in old:
                        with contextlib.suppress(OSError):
                            (self.path / n).unlink(missing_ok=True)
                raise self._cannot_write(error, name) from None
            for n in old - current - {None}:
                with contextlib.suppress(OSError):  # left over: the next trainer removes it
                    (self.path / n).unlink(missing_ok=True)

    def load_optimizer_arrays(self, state: dict) -> list:
        """The arrays of the latest optimizer state, checked; :class:`RunDirError` if damaged."""
        import numpy as np

        def load(path: Path) -> list:
            with np.load(path) as saved:
                return [saved[f"arr_{i}"] for i in range(len(saved.files))]

        name = state["latest_optimizer"]
        arrays, problem = self.load_checked(state, name, load)
        if problem is not None:
            raise RunDirError(self.cannot_resume(state, name, problem))
        return arrays

    def cannot_resume(self, state: dict, name: str, problem: str) -> str:
        best = state.get("best_weights")
        intact = best is not None and self.check_file(state, best) is None
        sample = (f"The best model ({best}) is intact: `python -m utils.charrnn sample --model "
                  f"{self.path}` still works. " if intact else "")
        return (f"cannot resume {str(self.path)!r}: {name}, the latest checkpoint, is unusable "
                f"({problem}). {sample}To train further, train into a new --out directory (or "
                f"delete {str(self.path)!r} to start this run over).")

    def weight_candidates(self, state: dict | None, which: str) -> list[str]:
        """Weight files to try for ``which`` (``"best"``/``"latest"``), the preferred first.

        The file ``state`` names comes first, then the other one it names, then any other
        checkpoint on disk, newest first (used when ``state.json`` is missing or damaged).
        """
        names = []
        if state is not None:
            order = ("best_weights", "latest_weights") if which == "best" else \
                ("latest_weights", "best_weights")
            names = [state[k] for k in order if state.get(k)]
        on_disk = sorted((p.name for p in self.path.iterdir()
                          if CHECKPOINT_PATTERN.fullmatch(p.name)
                          and p.name.endswith(".weights.h5")),
                         key=lambda n: (n.startswith(which), _step_of(n)), reverse=True)
        return list(dict.fromkeys(names + on_disk))
