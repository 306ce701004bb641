"""Generation: one recurrent step per new character, from a stateful model."""

from __future__ import annotations

import math
import os

import numpy as np

from utils.charrnn.mixing import load_mixture
from utils.charrnn.model import zero_states
from utils.charrnn.runs import load_model
from utils.charrnn.scoring import blank_id, weigh_mixture
from utils.charrnn.tf_import import import_tf
from utils.rundir import RunDir

__all__ = ["sample"]


def step_fn(model):
    """A ``tf.function`` ``step(ids, states) -> (logits of the last position, states)``."""
    _, tf = import_tf()

    @tf.function(reduce_retracing=True)
    @tf.autograph.experimental.do_not_convert
    def step(ids, states):
        logits, new_states = model(ids, states=states, return_state=True)
        return logits[:, -1, :], new_states

    return step


def next_id(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Sample an id from ``softmax(logits / temperature)``; argmax for temperature 0.

    A temperature so small that ``logits / temperature`` overflows float64 (below about 1e-308
    times the logits' spread) is the limit of ever sharper distributions: greedy too.
    """
    z = logits.astype(np.float64)
    if temperature == 0:
        return int(np.argmax(z))
    with np.errstate(over="ignore"):
        z = z / temperature
    if not np.isfinite(z).all():
        return int(np.argmax(logits))
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def next_id_from_probs(p: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """:func:`next_id` for a distribution ``p`` (its log is the logits; zeros stay zero)."""
    with np.errstate(divide="ignore"):
        logits = np.log(p)
    if temperature == 0:
        return int(np.argmax(p))
    z = logits[p > 0]
    with np.errstate(over="ignore"):
        z = z / temperature
    if not np.isfinite(z).all():
        return int(np.argmax(p))
    q = np.zeros(len(p))
    q[p > 0] = np.exp(z - z.max())
    return int(rng.choice(len(q), p=q / q.sum()))


def sample(model_dir: str | os.PathLike | None = None, prime: str = "", length: int = 200,
           temperature: float = 1.0, seed: int | None = None, *, model=None, vocab=None,
           on_text=None, mix: bool = True, mixture=None) -> str:
    """Generate ``length`` characters after ``prime`` with a stateful one-step model.

    The prime is read once; then each new character costs one recurrent step (the prefix is never
    read again).

    Args:
        model_dir: a directory written by :func:`~utils.charrnn.train` (or give ``model`` and
            ``vocab``).
        prime: the text to start from; every character must be in the vocabulary.
        length: how many characters to generate (>= 0).
        temperature: > 0 divides the logits before sampling (< 1 sharper, > 1 flatter);
            0 means greedy (argmax). With a mixture it acts on the mixed distribution ``p``
            (the logits are ``ln p``).
        seed: seeds the sampler (same seed, same text).
        on_text: optional ``on_text(ch)`` called with each character as it is generated (the
            command line prints them, so that a long sample streams and Ctrl-C keeps what was
            shown).
        mix: for a run trained with ``mix_ngram`` (given by ``model_dir``), draw each character
            from the mixture of the network and the run's n-gram (False: the network alone).
        mixture: with ``model`` and ``vocab``: a weighed :class:`~utils.charrnn.mixing.Mixture`
            to draw from (None: the network alone).

    Returns:
        The generated characters (without the prime).
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be an integer >= 0, got {length!r}.")
    if not isinstance(temperature, (int, float)) or not temperature >= 0 \
            or not math.isfinite(temperature):
        raise ValueError(f"temperature must be a finite number >= 0 (0 = greedy), got "
                         f"{temperature!r}.")
    if not isinstance(prime, str):
        raise TypeError(f"prime must be a str, got {type(prime).__name__}.")
    if model is None:
        if model_dir is None:
            raise ValueError("give model_dir, or model and vocab.")
        model, vocab, config = load_model(model_dir)
        mixture = load_mixture(RunDir(model_dir, option="--model"), config) if mix else None
        if mixture is not None:
            weigh_mixture(mixture, model, vocab)
    elif vocab is None:
        raise ValueError("give vocab together with model.")
    missing = vocab.unknown(prime)
    if missing:
        raise ValueError(
            f"the prime has {len(missing)} character(s) that the model never saw: "
            f"{''.join(missing)!r} ({missing!r}). Remove them or use only characters of the "
            f"training text."
        )
    rng = np.random.default_rng(seed)
    step = step_fn(model)
    states = zero_states(model, 1)
    ids = [blank_id(vocab)] * 8 + list(vocab.encode(prime))
    logits, states = step(np.array([ids], np.int32), states)
    out = []
    for _ in range(length):
        if mixture is None:
            nxt = next_id(logits.numpy()[0], temperature, rng)
        else:  # the mixture's distribution, after the prime and what was generated
            z = logits.numpy()[0].astype(np.float64)
            p_net = np.exp(z - z.max())
            p = mixture.next_probs(p_net / p_net.sum(), vocab.symbols,
                                   prime[-mixture.order:] + "".join(out[-mixture.order:]))
            nxt = next_id_from_probs(p, temperature, rng)
        out.append(vocab.id_to_char[nxt])
        if on_text is not None:
            on_text(out[-1])
        logits, states = step(np.array([[nxt]], np.int32), states)
    return "".join(out)
