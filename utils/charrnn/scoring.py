"""Scoring: the loss of every character of a held-out text, by streams or by rows.

Every character of the text is scored once. The text is read as if it followed blank space (the
model first reads a short run of newlines, or spaces when the vocabulary has no newline), so the
first character is scored too. A character outside the vocabulary costs ``ln(V + 1)`` nats (a
uniform guess over the ``V`` known characters plus one "other" symbol), is counted as unknown, and
is fed to the model as that blank character. Long texts are scored as parallel streams, each of
which first reads ``warmup`` characters of the text before it (not scored), so that every
character has context. The validation during training, ``evaluate``, the benchmarks' trainer rows
and the mixture all use :func:`char_losses_ids`.

A model without states to carry (a Keras ``Sequential`` that starts each call from zero, a
Transformer with a fixed context, a model that predicts one character per window) is scored in
rows instead: :func:`held_out_rows` cuts the text into rows that each read ``warm`` characters of
context before the ``row`` characters they score, and :func:`row_losses` scores them. Chapter 13
and the peers benchmark use these two.
"""

from __future__ import annotations

import math
import os

import numpy as np

from utils.charrnn.mixing import Mixture, load_mixture
from utils.charrnn.model import zero_states
from utils.charrnn.runs import load_model, text_argument
from utils.charrnn.tf_import import import_tf
from utils.data import Vocabulary
from utils.rundir import RunDir

__all__ = ["char_losses", "char_losses_ids", "evaluate", "evaluate_ids", "held_out_rows",
           "row_losses"]

WARMUP_CHARS = 64  # blank characters read before a text, and per stream before its share


def blank_id(vocab: Vocabulary) -> int:
    """The id read before the start of a text: a newline, else a space, else id 0."""
    for ch in ("\n", " "):
        if ch in vocab:
            return vocab.char_to_id[ch]
    return 0


def stream_fn(model):
    """A ``tf.function`` that runs ``ids`` from ``states`` and returns log-probs and states."""
    _, tf = import_tf()

    @tf.function(reduce_retracing=True)
    @tf.autograph.experimental.do_not_convert  # no Python control flow to convert
    def run(ids, states):
        logits, new_states = model(ids, states=states, return_state=True)
        return tf.nn.log_softmax(logits, axis=-1), new_states

    return run


def char_losses_ids(model, inputs: np.ndarray, targets: np.ndarray, streams: int = 64,
                    chunk: int = 256, warmup: int = WARMUP_CHARS, blank: int = 0,
                    _fn=None) -> np.ndarray:
    """``-ln p(targets[i] | inputs[:i+1])`` in nats for every i, computed in parallel streams.

    Args:
        model: a model from :func:`~utils.charrnn.build_model`.
        inputs: int array ``(N,)``: the character read before each target.
        targets: int array ``(N,)``: the characters to score; ``-1`` marks one not scored.
        streams: how many pieces of the text are read in parallel (a batch).
        chunk: time steps per call.
        warmup: characters of context each stream reads before its piece (not scored).
        blank: the id read before the start of the text.

    Returns:
        Float64 array ``(N,)``: the loss of each target in nats (0 where the target is -1).
    """
    inputs = np.asarray(inputs, dtype=np.int32)
    targets = np.asarray(targets, dtype=np.int64)
    if inputs.shape != targets.shape or inputs.ndim != 1:
        raise ValueError(f"inputs and targets must be 1-D of equal length, got {inputs.shape} "
                         f"and {targets.shape}.")
    n = len(inputs)
    if n == 0:
        return np.zeros(0)
    streams = max(1, min(streams, math.ceil(n / max(chunk, 1))))
    piece = math.ceil(n / streams)
    piece += -(warmup + piece) % chunk  # whole chunks only: one shape, one trace
    total = warmup + piece
    pad = streams * piece - n
    padded_in = np.concatenate([np.full(warmup, blank, np.int32), inputs,
                                np.full(pad, blank, np.int32)])
    padded_tg = np.concatenate([np.full(warmup, -1), targets, np.full(pad, -1)])
    rows_in = np.empty((streams, total), np.int32)
    rows_tg = np.empty((streams, total), np.int64)
    for s in range(streams):
        start = s * piece  # in padded coordinates, the warm-up precedes the piece
        rows_in[s] = padded_in[start:start + total]
        rows_tg[s] = padded_tg[start:start + total]
        rows_tg[s, :warmup] = -1  # context only
    run = _fn or stream_fn(model)
    states = zero_states(model, streams)
    losses = np.zeros((streams, total))
    for t0 in range(0, total, chunk):
        logp, states = run(rows_in[:, t0:t0 + chunk], states)
        tg = rows_tg[:, t0:t0 + chunk]
        picked = np.take_along_axis(logp.numpy(), np.maximum(tg, 0)[..., None], axis=-1)[..., 0]
        losses[:, t0:t0 + chunk] = np.where(tg >= 0, -picked.astype(np.float64), 0.0)
    return losses[:, warmup:].reshape(-1)[:n]


def held_out_rows(n_ids: int, first: int, row: int, warm: int = 0):
    """Rows of input positions that score every target ``ids[first:]`` exactly once.

    Row ``r`` scores the ``row`` targets after the inputs ``a = first - 1 + r * row, ...``; it
    first reads the ``warm`` inputs before ``a`` as context (read, not scored). The last row may
    run past the text: its positions are clipped and those targets are not scored.

    Args:
        n_ids: the length of the id sequence the rows index.
        first: the first target to score (``warm < first < n_ids``: its context must exist).
        row: scored targets per row; warm: context characters per row.

    Returns:
        ``(pos, scored)``, both ``(n_rows, warm + row)``: the input positions (the targets are at
        ``pos + 1``) and which of their targets are scored.
    """
    if row < 1 or warm < 0:
        raise ValueError(f"row must be at least 1 and warm at least 0, got row={row}, "
                         f"warm={warm}.")
    if not warm < first < n_ids:
        raise ValueError(f"first must lie after the {warm} context characters and inside the "
                         f"text of {n_ids} ids, got first={first}.")
    n_rows = math.ceil((n_ids - first) / row)
    pos = first - 1 - warm + row * np.arange(n_rows)[:, None] + np.arange(warm + row)
    scored = (np.arange(warm + row) >= warm) & (pos + 1 < n_ids)
    return np.clip(pos, 0, n_ids - 2), scored


def nll_of_logits(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``-ln softmax(logits)[target]`` in nats, for any leading shape (log-probs work too)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]


def row_losses(logits_of, ids: np.ndarray, pos: np.ndarray, scored: np.ndarray,
               chars_per_call: int = 32_768) -> np.ndarray:
    """The loss in nats of every scored target of the rows, in row order, shape ``(n_scored,)``.

    Args:
        logits_of: a function from inputs ``(rows, L)`` (ids) to logits or log-probabilities
            ``(rows, S, V)`` of the last ``S <= L`` positions of each row (``(rows, V)`` when
            it predicts the last position only). It starts every row afresh: no state is kept.
        ids: int array ``(N,)``; pos, scored: from :func:`held_out_rows`, ``(n_rows, L)``.
        chars_per_call: about how many inputs one call reads.
    """
    losses = []
    for part in np.array_split(np.arange(len(pos)), max(1, pos.size // chars_per_call)):
        logits = np.asarray(logits_of(ids[pos[part]]), dtype=np.float64)
        if logits.ndim == 2:  # one prediction per row: its last position
            logits = logits[:, None]
        last = logits.shape[1]
        nll = nll_of_logits(logits, ids[pos[part, -last:] + 1])
        losses.append(nll[scored[part, -last:]])
    return np.concatenate(losses)


def evaluate_ids(model, inputs: np.ndarray, targets: np.ndarray, streams: int = 64,
                 chunk: int = 256, warmup: int = WARMUP_CHARS, blank: int = 0,
                 _fn=None) -> float:
    """Sum of ``-ln p(targets[i] | inputs[:i+1])`` in nats: :func:`char_losses_ids` summed."""
    return float(char_losses_ids(model, inputs, targets, streams, chunk, warmup, blank,
                                 _fn).sum())


def char_losses(model, vocab: Vocabulary, text: str, context: str = "", _fn=None) -> np.ndarray:
    """The loss of every character of ``text`` in nats, shape ``(len(text),)``.

    The text is read after ``context`` (its last characters; blank space when empty); a
    character outside the vocabulary costs ``ln(V + 1)`` and is read as the blank character.
    The mean is :func:`evaluate`'s ``nats_per_char``.
    """
    blank = blank_id(vocab)
    ids = np.array([vocab.char_to_id.get(ch, -1) for ch in text], dtype=np.int64)
    fed = np.where(ids < 0, blank, ids).astype(np.int32)
    ctx = [vocab.char_to_id.get(ch, blank) for ch in context[-WARMUP_CHARS:]]
    first = ctx[-1] if ctx else blank
    inputs = np.concatenate([[first], fed[:-1]]).astype(np.int32)
    targets = ids
    if ctx:  # read the given context before the text instead of blank space
        inputs = np.concatenate([ctx[:-1], inputs]).astype(np.int32)
        targets = np.concatenate([np.full(len(ctx) - 1, -1), ids])
    losses = char_losses_ids(model, inputs, targets, blank=blank, _fn=_fn)[len(ctx[:-1]):]
    return np.where(ids < 0, math.log(len(vocab) + 1), losses)


def summary(losses: np.ndarray, unknown: int) -> dict:
    """``{"bits_per_char", "nats_per_char", "chars", "unknown"}`` of per-character losses."""
    nats = float(losses.mean())
    return {"bits_per_char": nats / math.log(2), "nats_per_char": nats, "chars": len(losses),
            "unknown": unknown}


def weigh_mixture(mixture: Mixture, model, vocab: Vocabulary) -> float:
    """Choose the mixture's weight β for ``model`` on the slice that neither model trained on."""
    return mixture.weigh(char_losses(model, vocab, mixture.slice_text, mixture.slice_context))


def evaluate(model_dir: str | os.PathLike, text: str | None = None, text_file=None,
             context: str = "", which: str = "best", mix: bool = True) -> dict:
    """Score every character of a text with a trained model.

    Args:
        model_dir: a directory written by :func:`~utils.charrnn.train`.
        text / text_file: the text, or a UTF-8 file holding it (give one).
        context: text read before ``text`` (not scored), e.g. the end of the training text.
        which: ``"best"`` or ``"latest"`` checkpoint.
        mix: for a run trained with ``mix_ngram``, also score its n-gram and the mixture
            (False: the network alone).

    Returns:
        ``{"bits_per_char", "nats_per_char", "chars", "unknown"}`` of the network; unknown
        characters cost ``ln(V + 1)`` nats each (see the module docstring). With a mixture,
        also ``"ngram_nats_per_char"``, ``"mix_nats_per_char"``, ``"mix_bits_per_char"`` and
        ``"mix_weight"`` (β, chosen on the run's slice).
    """
    text = text_argument(text, text_file)
    model, vocab, config = load_model(model_dir, which)
    unknown = sum(ch not in vocab.char_to_id for ch in text)
    losses = char_losses(model, vocab, text, context)
    result = summary(losses, unknown)
    mixture = load_mixture(RunDir(model_dir, option="--model"), config) if mix else None
    if mixture is not None:
        weigh_mixture(mixture, model, vocab)
        scores = mixture.scores(losses, mixture.count_probs(text, context))
        result.update(ngram_nats_per_char=scores["ngram_loss"],
                      mix_nats_per_char=scores["mix_loss"],
                      mix_bits_per_char=scores["mix_loss"] / math.log(2),
                      mix_weight=scores["mix_weight"])
    return result
