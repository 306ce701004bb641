"""Two models mixed per character: ``p = β p_net + (1 - β) p_count``, with β fitted.

Linear interpolation of a network and an n-gram (Mikolov et al., 2011, mixed an RNN language model
with a Kneser-Ney model this way). Given the probability each model gave to each character of a
text, :func:`fit_weight` chooses the β in [0, 1] with the lowest mean negative log-likelihood
(:func:`mixture_nats`). That loss is convex in β: its derivative

    d/dβ  -mean ln(β a + (1 - β) b)  =  -mean (a - b) / (β a + (1 - β) b)

increases with β, so the optimum is a bound (β = 0 when the derivative is >= 0 there, β = 1 when
it is <= 0 there) or the one zero of the derivative, found by bisection to machine precision. The
EM update β <- mean(β a / (β a + (1 - β) b)) converges to the same β, more slowly.

For sampling, :func:`ngram_distribution` gives an :class:`utils.ngram.NGramLM`'s next-character
distribution in another vocabulary's order (a network's ids). Pure NumPy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_weight", "mix", "mixture_nats", "ngram_distribution"]


def _probabilities(p, name: str) -> np.ndarray:
    """``p`` as a float64 array, or a ``ValueError`` that says what is wrong with it."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of probabilities (one per character), "
                         f"got shape {p.shape}.")
    if p.size == 0:
        raise ValueError(f"{name} is empty: give the probability of at least one character.")
    bad = ~(np.isfinite(p) & (p > 0) & (p <= 1))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must hold probabilities in (0, 1], got {float(p[i])!r} at "
                         f"index {i} ({int(bad.sum())} bad value(s)); a model that gives a "
                         f"character probability 0 cannot be scored in nats.")
    return p


def _pair(p_net, p_count) -> tuple[np.ndarray, np.ndarray]:
    a, b = _probabilities(p_net, "p_net"), _probabilities(p_count, "p_count")
    if a.shape != b.shape:
        raise ValueError(f"p_net and p_count must score the same characters: got shapes "
                         f"{a.shape} and {b.shape}.")
    return a, b


def _check_weight(weight) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)) \
            or not 0 <= weight <= 1:
        raise ValueError(f"weight must be a number in [0, 1] (the network's share), got "
                         f"{weight!r}.")
    return float(weight)


def mix(p_net, p_count, weight: float) -> np.ndarray:
    """``weight * p_net + (1 - weight) * p_count``, elementwise (any matching shapes)."""
    weight = _check_weight(weight)
    return weight * np.asarray(p_net, np.float64) + (1 - weight) * np.asarray(p_count,
                                                                              np.float64)


def mixture_nats(p_net, p_count, weight: float) -> float:
    """Mean ``-ln(weight p_net + (1 - weight) p_count)``: nats per character of the mixture."""
    a, b = _pair(p_net, p_count)
    return float(-np.mean(np.log(mix(a, b, weight))))


def fit_weight(p_net, p_count, tol: float = 1e-12) -> float:
    """The weight β in [0, 1] of the network that minimises :func:`mixture_nats`.

    Args:
        p_net, p_count: arrays ``(N,)``: the probability each model gave to each character of
            the fitting text (in (0, 1]).
        tol: the bisection stops when the interval is this narrow.

    Returns:
        β (a float): 0 when the counts alone are best, 1 when the network alone is.
    """
    a, b = _pair(p_net, p_count)
    diff = a - b

    def slope(lam: float) -> float:  # the derivative of the loss: increasing in β
        return float(-np.mean(diff / (lam * a + (1 - lam) * b)))

    if slope(0.0) >= 0:
        return 0.0
    if slope(1.0) <= 0:
        return 1.0
    low, high = 0.0, 1.0
    while high - low > tol:
        mid = 0.5 * (low + high)
        if slope(mid) > 0:
            high = mid
        else:
            low = mid
    return 0.5 * (low + high)


def ngram_distribution(lm, symbols, context="") -> np.ndarray:
    """An n-gram's next-character distribution over ``symbols``, in their order, shape ``(V,)``.

    ``lm.distribution(context)`` is over ``lm.vocabulary`` and ``<unk>``; here each of
    ``symbols`` (e.g. a network's vocabulary, by id) gets the n-gram's probability of that
    character, ``<unk>``'s share is dropped and the rest renormalised. A symbol the n-gram never
    saw gets 0 (the mixture still gives it the network's share).

    Args:
        lm: a fitted character :class:`utils.ngram.NGramLM`.
        symbols: the characters, in the order wanted (a list or a str).
        context: the text before the next character (only its last ``order - 1`` are used).
    """
    symbols = list(symbols)
    if not symbols:
        raise ValueError("symbols is empty: give the characters of the vocabulary.")
    known = {ch: i for i, ch in enumerate(lm.vocabulary)}
    index = np.array([known.get(ch, -1) for ch in symbols])
    if (index < 0).all():
        raise ValueError("the n-gram knows none of the symbols: was it fitted on another text?")
    p = lm.distribution(context[-(lm.order - 1):] if lm.order > 1 else "")
    out = np.where(index >= 0, p[np.maximum(index, 0)], 0.0)
    return out / out.sum()
