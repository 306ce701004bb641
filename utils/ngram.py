"""N-gram language models over any sequence of hashable tokens, with a command line.

A ``str`` is a sequence of characters; a list of words (or of any hashable, sortable tokens) works
too. An n-gram model of order ``n`` conditions on the ``n - 1`` previous tokens:

.. math::  p(x_t \\mid x_{t-n+1}, \\dots, x_{t-1})

Example:
    >>> from utils.ngram import NGramLM
    >>> lm = NGramLM(order=3).fit("abracadabra")
    >>> round(sum(lm.prob(c, "ab") for c in lm.vocabulary + [lm.UNK]), 6)
    1.0

Smoothing (``smoothing=``), for a context h of length j, counts c(h w), c(h) = sum_w c(h w), and
the lower-order distribution p(w | h') where h' drops the oldest token of h:

- ``"mle"``: maximum likelihood c(h w) / c(h) with the longest context seen in training (a
  context never seen falls back to a shorter one). Unseen tokens and unseen n-grams get
  probability 0, so held-out text usually gets an infinite cross-entropy: this is the lesson of
  the n-gram chapter, not a bug.
- ``"add-k"``: (c(h w) + k) / (c(h) + k V) with the longest context only (``k > 0``, default 1,
  add-one); a context never seen gives the uniform distribution.
- ``"interpolated"``: Witten-Bell interpolation, recursive down to the uniform distribution:
  p(w | h) = (c(h w) + N1+(h .) p(w | h')) / (c(h) + N1+(h .)), where N1+(h .) is the number of
  distinct tokens seen after h.
- ``"kneser-ney"`` (default): interpolated Kneser-Ney (Kneser and Ney 1995),
  p(w | h) = (max(c(h w) - D(c(h w)), 0) + gamma(h) p(w | h')) / c(h), with gamma(h) the total
  discounted mass. With ``discount=None`` it is the *modified* version of Chen and Goodman (1998):
  three discounts D1, D2, D3+ per order, estimated from the counts of counts; with a number
  ``discount=d``, one discount d for every count and order (the definition of NLTK's
  ``KneserNeyInterpolated``, whose default is 0.1). The highest order uses raw counts, lower
  orders continuation counts N1+(. h w) (the number of distinct tokens seen before h w), and the
  lowest order is interpolated with the uniform distribution 1 / V. (NLTK differs in two details:
  its unigram level is the undiscounted continuation distribution, so it gives unseen tokens
  probability 0, and its lower-order back-off weights count distinct followers in raw counts.)

Unknown tokens (the explicit treatment): the vocabulary is the set of training tokens plus one
reserved symbol :data:`NGramLM.UNK` (``"<unk>"``), so :math:`V` = distinct training tokens + 1.
A token never seen in training is scored as ``<unk>``. ``<unk>`` has no counts, so it receives
only the share that smoothing reserves for unseen tokens (for Kneser-Ney and Witten-Bell the
product of the back-off weights times :math:`1/V`; for add-k, :math:`k/(c(h)+kV)`): finite, so
that scoring new text never gives an infinite perplexity (except with ``"mle"``). With
``unknown="error"`` scoring such a token raises a :class:`KeyError` that names the unseen tokens.
``generate`` never emits ``<unk>``. A literal ``"<unk>"`` token in a list of training tokens (a
corpus that marks rare words this way, as the Penn Treebank does) *is* that reserved symbol: it
is counted, is not part of :attr:`vocabulary`, and ``prob``, ``distribution`` and
``cross_entropy`` all give it the same probability, that of every unseen token.

Limits: the order may not exceed the number of training tokens (a longer n-gram is never seen),
and :meth:`NGramLM.fit` estimates the memory its counts need before counting and refuses, with
a clear message, above ``max_bytes`` (:data:`DEFAULT_MAX_BYTES`, 2 GiB, by default).

The implementation is vectorised: every n-gram is an ``int64`` key ``context_id * V + token_id``,
counted with :func:`numpy.unique` and looked up with :func:`numpy.searchsorted`, one order at a
time. Fitting a 5-gram on a million characters takes about a second.

Command line (prints the bits per token of the evaluation file)::

    python -m utils.ngram --order 5 --train my_text.txt --eval my_other_text.txt
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Hashable, Sequence

import numpy as np

from utils.data import read_text_file

__all__ = ["DEFAULT_MAX_BYTES", "NGramLM", "SMOOTHINGS", "main"]

SMOOTHINGS = ("kneser-ney", "interpolated", "add-k", "mle")
#: The default bound on the memory :meth:`NGramLM.fit` may use (its estimate, in bytes).
DEFAULT_MAX_BYTES = 2 * 2**30
_DEFAULT_DISCOUNTS = (0.5, 1.0, 1.5)  # used only when counts of counts cannot estimate D1, D2, D3+


def _modified_discounts(counts: np.ndarray) -> np.ndarray:
    """Chen and Goodman's D1, D2, D3+ from the counts of counts n1..n4 (shape (3,))."""
    n = np.bincount(np.minimum(counts, 5).astype(np.int64), minlength=6)[1:5].astype(float)
    n1, n2, n3, n4 = n
    out = np.array(_DEFAULT_DISCOUNTS)
    if n1 > 0 and n2 > 0:
        y = n1 / (n1 + 2 * n2)
        with np.errstate(divide="ignore", invalid="ignore"):
            estimates = np.array([1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2,
                                  3 - 4 * y * n4 / n3 if n3 > 0 else np.nan])
        for r in range(3):
            if np.isfinite(estimates[r]) and 0 < estimates[r] <= r + 1:
                out[r] = estimates[r]
    return out


def _unique_inverse_counts(keys: np.ndarray, key_space: int):
    """``np.unique(keys, return_inverse=True, return_counts=True)`` for keys in [0, key_space).

    When the key space is small enough, a dense ``bincount`` replaces the sort (several times
    faster); otherwise it falls back on :func:`numpy.unique`. Returns (sorted unique keys, the
    index of each key in them, the count of each unique key), all ``int64``.
    """
    if key_space <= max(4 * len(keys), 1 << 22):
        counts = np.bincount(keys, minlength=key_space)
        uniq = np.flatnonzero(counts)
        remap = np.zeros(key_space, dtype=np.int64)
        remap[uniq] = np.arange(len(uniq))
        return uniq.astype(np.int64), remap[keys], counts[uniq].astype(np.int64)
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return uniq, inverse.reshape(-1).astype(np.int64), counts.astype(np.int64)


class _Level:
    """Counts of the n-grams whose context has one given length ``j`` (internal).

    Attributes (``G`` distinct n-grams of length ``j + 1``, ``C`` possible contexts):
        keys: (G,) int64, sorted, ``context_id * V + token_id``;
        raw: (G,) int64 counts; cont: (G,) int64 continuation counts (or None);
        and per-context statistics filled by :meth:`NGramLM._finish_level`.
    """

    def __init__(self, keys: np.ndarray, raw: np.ndarray):
        self.keys = keys
        self.raw = raw
        self.cont: np.ndarray | None = None
        self.counts = raw  # the counts this level's smoothing uses
        self.total = np.zeros(0)  # (C,) c(h)
        self.backoff = np.zeros(0)  # (C,) numerator of the back-off weight
        self.discounts = np.zeros(3)

    def nbytes(self) -> int:
        arrays = [self.keys, self.raw, self.total, self.backoff]
        if self.cont is not None:
            arrays.append(self.cont)
        return int(sum(a.nbytes for a in arrays))


class NGramLM:
    """An n-gram language model of order ``n`` (it conditions on the ``n - 1`` previous tokens).

    Args:
        order: ``n >= 1`` (1 = unigram, 2 = bigram, 3 = trigram, ...).
        smoothing: ``"kneser-ney"`` (default), ``"interpolated"`` (Witten-Bell), ``"add-k"`` or
            ``"mle"``; see the module docstring for the formulas.
        k: the pseudo-count of ``"add-k"`` (``> 0``; default 1.0, add-one).
        discount: for ``"kneser-ney"``: ``None`` (default) for modified Kneser-Ney with three
            discounts per order estimated from the data, or one number in ``(0, 1]`` used for
            every count and order (NLTK's definition).
        unknown: ``"unk"`` (default: unseen tokens are scored as the reserved ``<unk>``) or
            ``"error"`` (scoring an unseen token raises a ``KeyError`` naming it).

    Example:
        >>> lm = NGramLM(order=2, smoothing="add-k", k=1.0).fit("abab")
        >>> lm.prob("b", "a")   # (c(ab) + 1) / (c(a) + 1 * V) with V = 2 symbols + <unk>
        0.6
    """

    UNK = "<unk>"

    def __init__(
        self,
        order: int,
        smoothing: str = "kneser-ney",
        k: float = 1.0,
        discount: float | None = None,
        unknown: str = "unk",
    ):
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
            raise TypeError(f"NGramLM: order must be an int >= 1, got {order!r}.")
        if order < 1:
            raise ValueError(
                f"NGramLM: order must be >= 1 (1 = unigram, 2 = bigram, ...), got {order}."
            )
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"NGramLM: smoothing must be one of {SMOOTHINGS}, got {smoothing!r}.")
        if not isinstance(k, (int, float, np.number)) or not math.isfinite(k):
            raise TypeError(f"NGramLM: k must be a finite number, got {k!r}.")
        if k < 0:
            raise ValueError(f"NGramLM: k must be >= 0, got {k}.")
        if smoothing == "add-k" and k == 0:
            raise ValueError("NGramLM: add-k needs k > 0; for k = 0 use smoothing='mle'.")
        if discount is not None:
            if not isinstance(discount, (int, float, np.number)) or not 0 < discount <= 1:
                raise ValueError(
                    f"NGramLM: discount must be None (modified Kneser-Ney) or a number in "
                    f"(0, 1], got {discount!r}."
                )
            if smoothing != "kneser-ney":
                raise ValueError("NGramLM: discount is only used with smoothing='kneser-ney'.")
        if unknown not in ("unk", "error"):
            raise ValueError(f"NGramLM: unknown must be 'unk' or 'error', got {unknown!r}.")
        self.order = int(order)
        self.smoothing = smoothing
        self.k = float(k)
        self.discount = None if discount is None else float(discount)
        self.unknown = unknown
        self._levels: list[_Level] = []
        self._fitted = False

    # ----------------------------------------------------------------------------------------
    # tokens <-> ids
    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError("NGramLM: call .fit(tokens) before using the model.")

    @staticmethod
    def _check_tokens(tokens, what: str) -> None:
        if isinstance(tokens, (bytes, bytearray)):
            raise TypeError(f"NGramLM.{what}: decode bytes to str first (e.g. data.decode()).")
        if not isinstance(tokens, (str, Sequence, np.ndarray)):
            raise TypeError(
                f"NGramLM.{what}: tokens must be a str or a sequence (list, tuple) of hashable "
                f"tokens, got {type(tokens).__name__}."
            )

    def _build_vocabulary(self, tokens) -> np.ndarray:
        """Set ``self.vocabulary`` (sorted training tokens) and return the ids of ``tokens``."""
        self._is_text = isinstance(tokens, str)
        if self._is_text:
            codes = np.frombuffer(tokens.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            self._codes, ids, _ = _unique_inverse_counts(codes, int(codes.max()) + 1)
            self.vocabulary = [chr(c) for c in self._codes]
        else:
            tokens = list(tokens)
            for tok in tokens[:1000]:
                if not isinstance(tok, Hashable):
                    raise TypeError(f"NGramLM.fit: tokens must be hashable, got {tok!r}.")
            distinct = set(tokens) - {self.UNK}  # a literal <unk> is the reserved symbol
            if not distinct:
                raise ValueError(f"NGramLM.fit: every training token is {self.UNK!r}: there is "
                                 f"nothing to model.")
            try:
                self.vocabulary = sorted(distinct)
            except TypeError:  # tokens that cannot be sorted: order of first appearance
                self.vocabulary = [t for t in dict.fromkeys(tokens) if t != self.UNK]
            self._index = {tok: i for i, tok in enumerate(self.vocabulary)}
            unk = len(self.vocabulary)
            ids = np.fromiter((self._index.get(t, unk) for t in tokens), dtype=np.int64,
                              count=len(tokens))
        self.unk_id = len(self.vocabulary)
        self.V = len(self.vocabulary) + 1  # + <unk>
        return ids.astype(np.int64)

    def _encode(self, tokens, what: str) -> np.ndarray:
        """Ids of ``tokens`` (shape (T,)), unseen tokens -> ``unk_id`` (or a KeyError)."""
        self._check_tokens(tokens, what)
        if not self._is_text and isinstance(tokens, str):
            raise TypeError(
                f"NGramLM.{what}: this model was fitted on a list of tokens, not on a str; pass "
                f"a list of tokens too (for example {tokens[:20]!r}.split())."
            )
        if self._is_text and isinstance(tokens, str):
            codes = np.frombuffer(tokens.encode("utf-32-le"), dtype=np.uint32)
            pos = np.searchsorted(self._codes, codes)
            pos_clipped = np.minimum(pos, len(self._codes) - 1)
            known = self._codes[pos_clipped] == codes
            ids = np.where(known, pos_clipped, self.unk_id).astype(np.int64)
            unseen = sorted({chr(c) for c in codes[~known]}) if not known.all() else []
        else:
            if self._is_text:  # a list of characters for a character model
                index = {c: i for i, c in enumerate(self.vocabulary)}
            else:
                index = self._index
            ids = np.fromiter(
                (index.get(t, self.unk_id) if isinstance(t, Hashable) else self.unk_id
                 for t in tokens), dtype=np.int64, count=len(tokens),
            )
            unseen = [] if (ids != self.unk_id).all() else list(dict.fromkeys(
                t for t, i in zip(tokens, ids, strict=True) if i == self.unk_id and t != self.UNK
            ))
        if unseen and self.unknown == "error":
            raise KeyError(
                f"NGramLM.{what}: {len(unseen)} token(s) never seen in training: {unseen[:20]!r}. "
                "Use unknown='unk' to score them with the reserved <unk> share."
            )
        return ids

    # ----------------------------------------------------------------------------------------
    # fitting
    @staticmethod
    def estimate_bytes(n_tokens: int, order: int) -> int:
        """An upper bound on the bytes :meth:`fit` needs for ``n_tokens`` tokens and ``order``.

        Level j (contexts of j tokens) keeps at most ``n_tokens - j`` distinct n-grams at 24
        bytes each (key, count, continuation count) and as many contexts at 16 bytes (total,
        back-off weight); counting also holds about six arrays of ``n_tokens`` int64 and two of
        the dense key space (at most ``max(4 n_tokens, 2**22)`` entries) at a time.
        """
        n, k = int(n_tokens), min(int(order), int(n_tokens))
        stored = 40 * (k * n - k * (k - 1) // 2)
        return stored + 48 * n + 16 * max(4 * n, 1 << 22)

    def fit(self, tokens, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> NGramLM:
        """Count every n-gram of orders 1..n of ``tokens`` (a ``str`` or a list of tokens).

        Args:
            tokens: the training data.
            max_bytes: refuse (``MemoryError``, before counting) when :meth:`estimate_bytes`
                exceeds this; ``None`` for no bound.

        Returns:
            ``self``, so that ``NGramLM(5).fit(text)`` reads naturally.

        Raises:
            ValueError: empty data, or an order larger than the number of tokens.
            MemoryError: the estimated memory exceeds ``max_bytes``.
        """
        self._check_tokens(tokens, "fit")
        if len(tokens) == 0:
            raise ValueError("NGramLM.fit: the training data is empty; give at least one token.")
        if self.order > len(tokens):
            raise ValueError(
                f"NGramLM.fit: order {self.order:,} is longer than the training data "
                f"({len(tokens):,} tokens): no n-gram of that length occurs in it. Use an order "
                f"of at most {len(tokens):,} (in practice 2 to 10)."
            )
        need = self.estimate_bytes(len(tokens), self.order)
        if max_bytes is not None and need > max_bytes:
            raise MemoryError(
                f"NGramLM.fit: an order-{self.order:,} model of {len(tokens):,} tokens may need "
                f"up to {need / 2**30:.1f} GiB, more than the limit of {max_bytes / 2**30:.1f} "
                f"GiB. N-grams that long are almost all seen once and cannot help: use a "
                f"smaller order, or raise the limit (fit(tokens, max_bytes=...), "
                f"--max-memory-gb)."
            )
        x = self._build_vocabulary(tokens)
        V = self.V
        N = len(x)
        self._levels = []
        # context ids of every position for the current level j: the empty context is id 0.
        ctx = np.zeros(N, dtype=np.int64)  # ctx[t - j] = id of x[t-j..t-1], for t = j..N-1
        n_contexts = 1
        prev_inverse = None
        for j in range(self.order):
            if N - j <= 0:
                self._levels.append(_Level(np.zeros(0, np.int64), np.zeros(0, np.int64)))
                continue
            keys = ctx * V + x[j:]
            uniq, inverse, raw = _unique_inverse_counts(keys, n_contexts * V)
            level = _Level(uniq, raw)
            if j > 0 and self.smoothing == "kneser-ney":
                # continuation counts of level j - 1: each distinct n-gram x[t-j..t] adds one
                # distinct left extension to its lower n-gram x[t-j+1..t]. (Every occurrence of
                # an n-gram has the same lower n-gram, so duplicate writes agree.)
                lower_of = np.empty(len(uniq), dtype=np.int64)
                lower_of[inverse] = prev_inverse[1:]
                prev_level = self._levels[j - 1]
                prev_level.cont = np.bincount(lower_of, minlength=len(prev_level.keys))
            self._levels.append(level)
            prev_inverse = inverse
            # contexts of level j + 1 at position t are the n-grams of level j ending at t - 1
            ctx = inverse[:-1]
            n_contexts = len(uniq)
        for j, level in enumerate(self._levels):
            self._finish_level(j, level)
        self._fitted = True
        return self

    def _finish_level(self, j: int, level: _Level) -> None:
        top = j == self.order - 1
        if self.smoothing == "kneser-ney" and not top and level.cont is not None:
            level.counts = level.cont
        counts = level.counts
        n_contexts = 1 if j == 0 else max(1, len(self._levels[j - 1].keys))
        ctx_of = level.keys // self.V
        level.total = np.bincount(ctx_of, weights=counts, minlength=n_contexts)
        if self.smoothing == "kneser-ney":
            if self.discount is None:
                level.discounts = _modified_discounts(counts[counts > 0])
            else:
                level.discounts = np.full(3, self.discount)
            d = self._discount_of(level, counts)
            level.backoff = np.bincount(ctx_of, weights=d, minlength=n_contexts)
        elif self.smoothing == "interpolated":
            level.backoff = np.bincount(ctx_of, weights=counts > 0, minlength=n_contexts)

    @staticmethod
    def _discount_of(level: _Level, counts: np.ndarray) -> np.ndarray:
        """D(c) for each count (0 for c = 0): min(c, D1 / D2 / D3+), shape like ``counts``."""
        d = level.discounts[np.clip(counts, 1, 3).astype(np.int64) - 1]
        return np.where(counts > 0, np.minimum(d, counts), 0.0)

    # ----------------------------------------------------------------------------------------
    # scoring
    def _level_lookup(self, level: _Level, ctx_ids: np.ndarray, tok_ids: np.ndarray):
        """Index of each (context, token) n-gram in ``level.keys``, -1 when unseen."""
        if len(level.keys) == 0:
            return np.full(len(ctx_ids), -1, dtype=np.int64)
        keys = np.where(ctx_ids >= 0, ctx_ids, 0) * self.V + tok_ids
        pos = np.searchsorted(level.keys, keys)
        pos_clipped = np.minimum(pos, len(level.keys) - 1)
        found = (level.keys[pos_clipped] == keys) & (ctx_ids >= 0)
        return np.where(found, pos_clipped, -1)

    def _token_probs(self, x: np.ndarray) -> np.ndarray:
        """p(x_t | x_{t-n+1..t-1}) for each t, shape (T,); the first tokens use shorter context."""
        T = len(x)
        p = np.full(T, 1.0 / self.V)  # below the lowest order: uniform over the V symbols
        longest = np.minimum(np.arange(T), self.order - 1)  # context length available at t
        ctx = np.zeros(T, dtype=np.int64)  # id of this level's context at t (-1: unseen)
        for j, level in enumerate(self._levels):
            ctx = np.where(longest >= j, ctx, -1)
            gid = self._level_lookup(level, ctx, x)
            c = level.counts[np.maximum(gid, 0)] if len(level.keys) else np.zeros(T, np.int64)
            c = np.where(gid >= 0, c, 0)
            safe = np.maximum(ctx, 0)
            total = np.where(ctx >= 0, level.total[safe], 0.0)
            backoff = np.where(ctx >= 0, level.backoff[safe], 0.0) if len(level.backoff) else 0.0
            new = self._combine(level, p, c, total, backoff)
            if self.smoothing == "add-k":  # only the longest available context counts
                p = np.where(longest == j, new, p)
            else:  # an unseen context (total 0) leaves the lower-order probability unchanged
                p = np.where(total > 0, new, p)
            # the context of level j + 1 at t is the n-gram of level j ending at t - 1
            ctx = np.concatenate([[-1], gid[:-1]])
        return p

    def _combine(self, level: _Level, p_lower, c, total, backoff):
        """One level of smoothing: counts ``c`` of (h, w) and c(h) = ``total`` with p_lower."""
        s = self.smoothing
        with np.errstate(divide="ignore", invalid="ignore"):
            if s == "kneser-ney":
                return (c - self._discount_of(level, c) + backoff * p_lower) / total
            if s == "interpolated":
                return (c + backoff * p_lower) / (total + backoff)
            if s == "mle":
                return c / total
            return (c + self.k) / (total + self.k * self.V)  # add-k

    def _context_ids(self, ctx_tokens: np.ndarray) -> list[int]:
        """Id of the context of each level j = 0..n-1 (the last j tokens); -1 when unseen."""
        L = len(ctx_tokens)
        ids = [0]
        for j in range(1, self.order):
            cid = -1 if j > L else 0
            # contexts grow to the right: id(s[:i+1]) = n-gram id of (id(s[:i]), s[i]) at level i
            for i, tok in enumerate(ctx_tokens[L - j:] if j <= L else []):
                cid = int(self._level_lookup(self._levels[i], np.array([cid]),
                                             np.array([tok]))[0])
                if cid < 0:
                    break
            ids.append(cid)
        return ids

    def distribution(self, context=()) -> np.ndarray:
        """p(w | context) for every id w of the vocabulary (``vocabulary`` then ``<unk>``).

        Args:
            context: the preceding tokens (a ``str`` for a character model, or a sequence);
                only the last ``n - 1`` are used.

        Returns:
            Array of shape (V,) that sums to 1 (``V = len(vocabulary) + 1``).
        """
        self._check_fitted()
        ctx = self._encode(context, "distribution") if len(context) else np.zeros(0, np.int64)
        return self._distribution_ids(ctx[max(0, len(ctx) - (self.order - 1)):])

    def _distribution_ids(self, ctx_tokens: np.ndarray) -> np.ndarray:
        V = self.V
        longest = min(len(ctx_tokens), self.order - 1)
        p = np.full(V, 1.0 / V)
        for j, (cid, level) in enumerate(zip(self._context_ids(ctx_tokens), self._levels,
                                            strict=True)):
            if j > longest:
                break
            c = np.zeros(V)
            total = backoff = 0.0
            if cid >= 0 and len(level.keys):
                lo, hi = np.searchsorted(level.keys, [cid * V, (cid + 1) * V])
                c[level.keys[lo:hi] % V] = level.counts[lo:hi]
                total = float(level.total[cid])
                backoff = float(level.backoff[cid]) if len(level.backoff) else 0.0
            if self.smoothing == "add-k":
                if j == longest:
                    p = self._combine(level, p, c, total, backoff)
            elif total > 0:
                p = self._combine(level, p, c, total, backoff)
        return p

    def prob(self, token, context=()) -> float:
        """p(token | context), using the last ``n - 1`` tokens of ``context``.

        A token never seen in training gets the ``<unk>`` probability (or a ``KeyError`` with
        ``unknown="error"``).
        """
        self._check_fitted()
        if self._is_text and not (isinstance(token, str) and len(token) == 1) \
                and token != self.UNK:
            raise ValueError(f"NGramLM.prob: a character model scores one character, "
                             f"got {token!r}.")
        if token == self.UNK:
            tid = self.unk_id
        else:
            tid = int(self._encode([token], "prob")[0])
        return float(self.distribution(context)[tid])

    def token_probs(self, tokens, context=()) -> np.ndarray:
        """p(x_t | the n - 1 tokens before it) for every token of ``tokens``, shape (T,).

        Args:
            tokens: the tokens to score (a ``str`` for a character model, or a sequence).
            context: tokens read before ``tokens`` (not scored), so that the first tokens are
                scored with a full context; e.g. the end of the training text before a
                validation text.

        Returns:
            Float array of shape (T,): the probability of each token, in order. ``-log`` of it
            is the per-token loss; its mean is :meth:`cross_entropy` (in bits with ``log2``).
        """
        self._check_fitted()
        self._check_tokens(tokens, "token_probs")
        if len(tokens) == 0:
            raise ValueError("NGramLM.token_probs: tokens is empty; give at least one token.")
        self._check_tokens(context, "token_probs (context)")
        keep = list(context)[max(0, len(context) - (self.order - 1)):]
        joined = (("".join(keep) + tokens) if self._is_text and isinstance(tokens, str)
                  else keep + list(tokens))
        return self._token_probs(self._encode(joined, "token_probs"))[len(keep):]

    def cross_entropy(self, tokens) -> float:
        """Average bits per token of ``tokens``: ``-mean_t log2 p(x_t | x_{t-n+1..t-1})``.

        Every token is scored with the context that precedes it *within* ``tokens``; the first
        ``n - 1`` tokens therefore use shorter contexts. For characters this is the bits per
        character (bpc). Returns ``inf`` if some token has probability 0 (only with ``"mle"``).
        """
        self._check_fitted()
        self._check_tokens(tokens, "cross_entropy")
        if len(tokens) == 0:
            raise ValueError("NGramLM.cross_entropy: tokens is empty; give at least one token.")
        x = self._encode(tokens, "cross_entropy")
        p = self._token_probs(x)
        with np.errstate(divide="ignore"):
            return float(-np.mean(np.log2(p)))

    def perplexity(self, tokens) -> float:
        """``2 ** cross_entropy(tokens)``: the effective number of equally likely choices."""
        return float(2.0 ** self.cross_entropy(tokens))

    def generate(self, n: int, context=(), rng=None):
        """Sample ``n`` tokens, each from p(. | the n - 1 tokens before it); never ``<unk>``.

        Args:
            n: how many tokens to generate (``>= 0``).
            context: tokens to start from (not included in the output).
            rng: a ``numpy.random.Generator``, a seed (int) or ``None``.

        Returns:
            A ``str`` for a model fitted on a ``str``, else a list of tokens.
        """
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"NGramLM.generate: n must be an int >= 0, got {n!r}.")
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        ids = list(self._encode(context, "generate")) if len(context) else []
        out = []
        for _ in range(n):
            ctx = np.array(ids[max(0, len(ids) - (self.order - 1)):], dtype=np.int64)
            p = self._distribution_ids(ctx)
            p[self.unk_id] = 0.0
            total = p.sum()
            if total <= 0:  # only possible with "mle" after an unseen context token
                p = np.full(self.V, 1.0)
                p[self.unk_id] = 0.0
                total = p.sum()
            tok = int(rng.choice(self.V, p=p / total))
            ids.append(tok)
            out.append(self.vocabulary[tok])
        return "".join(out) if self._is_text else out

    def num_contexts(self) -> int:
        """Number of distinct contexts of length ``n - 1`` seen in training before a token."""
        self._check_fitted()
        top = self._levels[-1]
        return int(len(np.unique(top.keys // self.V))) if len(top.keys) else 0

    def num_ngrams(self) -> int:
        """Number of distinct n-grams of length ``n`` seen in training."""
        self._check_fitted()
        return int(len(self._levels[-1].keys))

    def nbytes(self) -> int:
        """Bytes of the NumPy arrays that store the model's counts (all orders)."""
        self._check_fitted()
        return sum(level.nbytes() for level in self._levels)

    def __repr__(self) -> str:
        extra = f", k={self.k}" if self.smoothing == "add-k" else ""
        if self.smoothing == "kneser-ney":
            extra = f", discount={self.discount}"
        state = f", V={self.V}" if self._fitted else ", not fitted"
        return f"NGramLM(order={self.order}, smoothing={self.smoothing!r}{extra}{state})"


# --------------------------------------------------------------------------------------------
# command line
def _read(path: str, flag: str, parser: argparse.ArgumentParser) -> str:
    """The UTF-8 text of ``path``, or exit with the sentence that says what is wrong with it."""
    try:
        return read_text_file(path, what=flag)
    except (OSError, ValueError) as error:
        parser.error(str(error))


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.ngram --order 5 --train FILE --eval FILE``: print bits per token."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.ngram",
        description="Fit an n-gram model on one text file and print the bits per character "
        "(or per word, with --words) of another.",
    )
    parser.add_argument("--order", type=int, default=5, help="n (>= 1); default 5")
    parser.add_argument("--train", required=True, help="UTF-8 text file to count n-grams in")
    parser.add_argument("--eval", required=True, help="UTF-8 text file to score")
    parser.add_argument("--smoothing", choices=SMOOTHINGS, default="kneser-ney")
    parser.add_argument("--k", type=float, default=1.0,
                        help="pseudo-count for add-k (> 0; ignored by the other smoothings)")
    parser.add_argument("--max-memory-gb", type=float, default=DEFAULT_MAX_BYTES / 2**30,
                        help="refuse a model whose estimated memory exceeds this (default 2; "
                        "inf: no limit)")
    parser.add_argument("--words", action="store_true",
                        help="tokens are whitespace-separated words instead of characters")
    args = parser.parse_args(argv)
    if args.order < 1:
        parser.error(f"--order must be >= 1, got {args.order}")
    if args.smoothing == "add-k" and not (args.k > 0 and math.isfinite(args.k)):
        parser.error(f"--k must be a finite number > 0 for add-k, got {args.k}")
    if not args.max_memory_gb > 0:  # NaN too
        parser.error(f"--max-memory-gb must be a number > 0 (or inf for no limit), got "
                     f"{args.max_memory_gb}")
    max_bytes = int(args.max_memory_gb * 2**30) if math.isfinite(args.max_memory_gb) else None
    train = _read(args.train, "--train", parser)
    held = _read(args.eval, "--eval", parser)
    if args.words:
        train, held = train.split(), held.split()
        if not train or not held:
            parser.error("--words: a file has no words")
    k = args.k if args.smoothing == "add-k" else 1.0  # only add-k uses k
    try:
        lm = NGramLM(args.order, smoothing=args.smoothing, k=k).fit(
            train, max_bytes=max_bytes)
    except (ValueError, MemoryError) as error:
        parser.error(str(error).removeprefix("NGramLM.fit: "))
    unit = "word" if args.words else "character"
    bits = lm.cross_entropy(held)
    perplexity = 2.0 ** bits if bits < 1000 else math.inf  # 2.0 ** 1e4 overflows
    print(f"{bits:.4f} bits per {unit} ({lm!r}, {len(held):,} {unit}s scored, "
          f"perplexity {perplexity:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
