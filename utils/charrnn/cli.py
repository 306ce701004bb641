"""The command line: ``python -m utils.charrnn train|sample|evaluate``.

The options of ``train`` are derived from :class:`~utils.charrnn.TrainConfig`'s fields. Ctrl-C
(or SIGTERM) while training saves the steps finished so far, then stops with status 130; a process
started with Ctrl-C ignored (``nohup``, ``cmd &`` in a script) keeps it ignored. Bad input is one
line on stderr (status 2), never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import warnings
from dataclasses import fields

from utils.charrnn import tf_import
from utils.charrnn.config import Number, TrainConfig, add_options
from utils.charrnn.generate import sample
from utils.charrnn.loop import is_out_of_memory, train
from utils.charrnn.mixing import load_mixture
from utils.charrnn.runs import load_model
from utils.charrnn.scoring import evaluate, weigh_mixture
from utils.rundir import RunDir, RunDirWarning

__all__ = ["main"]

_NON_NEGATIVE_INT = Number(int, low=0)
_NON_NEGATIVE = Number(float, low=0)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m utils.charrnn",
                                description="Train, sample and evaluate a character-level RNN.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train (or resume) a model on a UTF-8 text file")
    t.add_argument("--text", required=True, help="UTF-8 text file")
    t.add_argument("--out", required=True, help="directory for checkpoints and the vocabulary")
    add_options(t)
    t.add_argument("--allow-other-files", action="store_true",
                   help="train in a directory that also holds other files (left alone)")
    s = sub.add_parser("sample", help="generate text from a trained model")
    s.add_argument("--model", required=True, help="a directory written by train")
    s.add_argument("--prime", default="", help="text to start from")
    s.add_argument("--length", type=_NON_NEGATIVE_INT.parse, default=500)
    s.add_argument("--temperature", type=_NON_NEGATIVE.parse, default=0.8,
                   help="> 0 samples (lower: safer), 0 is greedy")
    s.add_argument("--seed", type=_NON_NEGATIVE_INT.parse, default=None)
    e = sub.add_parser("evaluate", help="score every character of a text")
    e.add_argument("--model", required=True, help="a directory written by train")
    e.add_argument("--text", required=True, help="UTF-8 text file")
    for command in (s, e):
        command.add_argument("--no-mix", action="store_true",
                             help="a run trained with --mix-ngram: the network alone")
    return p


def raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def interrupts_save():
    """Make Ctrl-C and SIGTERM (``kill``) raise ``KeyboardInterrupt`` (so training saves).

    Only a signal at its default action is changed: one that the process was started with
    ignored (``SIG_IGN``: ``nohup``, a background job of a non-interactive shell) stays ignored,
    and a handler someone else installed stays. Returns a function that restores what was there.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    before = {}
    for signum, handler in ((signal.SIGINT, signal.default_int_handler),
                            (signal.SIGTERM, raise_interrupt)):
        if signal.getsignal(signum) == signal.SIG_DFL:
            before[signum] = signal.signal(signum, handler)

    def restore() -> None:
        for signum, handler in before.items():
            signal.signal(signum, handler)

    return restore


def show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings of a damaged run directory as one plain line (no source location)."""
    print(f"warning: {message}", file=sys.stderr)


class Streamed:
    """Prints generated characters as they come (``sample --length`` can be long)."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def __call__(self, ch: str) -> None:
        self.stream.write(ch)
        self.stream.flush()
        self.count += 1


def train_command(args) -> int:
    settings = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    if settings["minutes"] is None and settings["epochs"] is None:
        settings["minutes"] = 10.0
    restore = interrupts_save()
    try:
        train(args.out, text_file=args.text, progress=None,
              log=lambda line: print(line, flush=True),
              allow_other_files=args.allow_other_files, **settings)
    except KeyboardInterrupt:
        print("stopped; run the same command again to resume.", file=sys.stderr)
        return 130
    finally:
        restore()
    return 0


def sample_command(args) -> int:
    out = Streamed(sys.stdout)
    try:
        # check everything (and load the model) before the prime is printed
        model, vocab, config = load_model(args.model)
        if vocab.unknown(args.prime):  # sample() explains it
            sample(prime=args.prime, length=0, model=model, vocab=vocab)
        mixture = None if args.no_mix else load_mixture(RunDir(args.model, option="--model"),
                                                          config)
        if mixture is not None:
            weigh_mixture(mixture, model, vocab)
        sys.stdout.write(args.prime)
        sample(prime=args.prime, length=args.length, temperature=args.temperature,
               seed=args.seed, model=model, vocab=vocab, on_text=out, mixture=mixture)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        sys.stdout.flush()
        print(f"stopped after {out.count:,} characters.", file=sys.stderr)
        return 130
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


def evaluate_command(args) -> int:
    result = evaluate(args.model, text_file=args.text, mix=not args.no_mix)
    print(f"bits_per_char={result['bits_per_char']:.4f} "
          f"nats_per_char={result['nats_per_char']:.4f} chars={result['chars']} "
          f"unknown={result['unknown']}")
    if "mix_nats_per_char" in result:  # the run's n-gram and the mixture, on a second line
        print(f"ngram_nats_per_char={result['ngram_nats_per_char']:.4f} "
              f"mix_nats_per_char={result['mix_nats_per_char']:.4f} "
              f"mix_bits_per_char={result['mix_bits_per_char']:.4f} "
              f"mix_weight={result['mix_weight']:.4f}")
    return 0


COMMANDS = {"train": train_command, "sample": sample_command, "evaluate": evaluate_command}


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring). Returns the exit status."""
    args = parser().parse_args(argv)
    tf_import.QUIET = True
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            warnings.simplefilter("always", RunDirWarning)
            return COMMANDS[args.command](args)
    except (FileNotFoundError, ValueError, TypeError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2
    except Exception as error:
        if not is_out_of_memory(error):
            raise
        detail = str(error) if isinstance(error, MemoryError) and str(error) else (
            f"out of memory ({type(error).__name__}): use a smaller model or batch.")
        print(f"error: {detail}", file=sys.stderr)
        return 1
    finally:
        tf_import.QUIET = False


def cli() -> int:
    """``python -m utils.charrnn``: :func:`main`, with output that never fails on encoding.

    A sample may hold characters that the terminal's encoding (the locale, PYTHONIOENCODING)
    cannot show: they are written as escapes (``\\xe9``) instead of stopping with a traceback.
    """
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    return main()
