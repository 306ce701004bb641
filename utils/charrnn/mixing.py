"""The n-gram beside the network (``--mix-ngram ORDER``): fitted, weighed, scored, sampled.

The training part of the text loses a slice of ``mix_slice`` of its characters, from its middle, to
both models: the network trains on the rest and a Kneser-Ney :class:`~utils.ngram.NGramLM` of order
``mix_ngram`` is fitted on the same rest. (Not its end: the end of the training part is the text
most like the validation text that follows it; on tiny Shakespeare holding back the last 5% costs
the 7-gram 0.16 nats per validation character, a slice from the middle 0.005.) The slice, which
neither has seen, chooses the weight β of
``p = β p_net + (1 - β) p_count`` (:func:`utils.mixture.fit_weight`), again for every checkpoint
scored; the validation text never chooses it. The run directory keeps the training part
(``mix-text.txt``, its SHA-256 in config.json) so that ``evaluate`` and ``sample`` fit the same
n-gram again: a few seconds, and a file the size of the text, where the counts of an order-7
model would take tens of times more. The best checkpoint is still the one with the network's
lowest validation loss (as without a mixture); β is chosen again for whichever checkpoint is
loaded.
"""

from __future__ import annotations

import numpy as np

from utils.charrnn.runs import run_settings
from utils.mixture import fit_weight, mixture_nats, ngram_distribution
from utils.ngram import DEFAULT_MAX_BYTES, NGramLM
from utils.rundir import MIX_TEXT, RunDir, RunDirError

#: The fewest characters the slice that chooses β may hold.
MIN_SLICE_CHARS = 100


def split_for_mixture(train_text: str, mix_slice: float) -> tuple[str, str, str]:
    """``(fit_text, slice_text, slice_context)``: the slice of ``mix_slice`` of the training part
    taken from its middle, the rest joined around it, and the text that precedes the slice."""
    n = int(len(train_text) * mix_slice)
    if n < MIN_SLICE_CHARS:
        raise ValueError(
            f"the text is too short for the mixture's slice: {mix_slice:g} of the training part "
            f"({len(train_text):,} characters) is {n:,} characters, fewer than the "
            f"{MIN_SLICE_CHARS} needed to choose the mixture's weight. Use a longer text or a "
            f"larger --mix-slice, or train without --mix-ngram.")
    start = (len(train_text) - n) // 2
    before, after = train_text[:start], train_text[start + n:]
    return before + after, train_text[start:start + n], before


def check_ngram_fits(order: int, n_chars: int, max_bytes: int | None = None) -> None:
    """A ``ValueError`` (a sentence) when the n-gram's counts may not fit in memory
    (``max_bytes``, by default :data:`utils.ngram.DEFAULT_MAX_BYTES`) or its order is longer
    than the text."""
    max_bytes = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    need = NGramLM.estimate_bytes(n_chars, order)
    if need > max_bytes:
        raise ValueError(
            f"--mix-ngram {order}: an n-gram of order {order} on {n_chars:,} characters may need "
            f"up to {need / 2**30:.1f} GiB of memory, more than the limit of "
            f"{max_bytes / 2**30:.1f} GiB. Use a smaller order (2 to 10 is usual: longer "
            f"n-grams are almost all seen once and do not help).")
    if order > n_chars:
        raise ValueError(f"--mix-ngram {order} is longer than the text it is fitted on "
                         f"({n_chars:,} characters): use an order of at most {n_chars:,}.")


class Mixture:
    """A Kneser-Ney n-gram fitted on the training part less a slice from its middle, and that slice.

    Args:
        order: the n-gram's order (``mix_ngram``).
        train_text: the training part of the text (what precedes the validation text).
        mix_slice: the fraction of it held back to choose β.
    """

    def __init__(self, order: int, train_text: str, mix_slice: float):
        self.fit_text, self.slice_text, self.slice_context = split_for_mixture(train_text,
                                                                               mix_slice)
        check_ngram_fits(order, len(self.fit_text))
        self.order = order
        self.lm = NGramLM(order, smoothing="kneser-ney").fit(self.fit_text, max_bytes=None)
        self.slice_counts = self.lm.token_probs(self.slice_text, context=self.slice_context)
        self.weight = None  # β, set by weigh

    def count_probs(self, text: str, context: str = "") -> np.ndarray:
        """The n-gram's probability of each character of ``text`` read after ``context``."""
        return self.lm.token_probs(text, context=context)

    def weigh(self, slice_losses: np.ndarray) -> float:
        """Choose β on the slice, given the network's loss of each of its characters (nats).

        The weight is kept in :attr:`weight`;
        :func:`utils.charrnn.scoring.weigh_mixture` scores the slice with a model and calls this.
        """
        self.weight = fit_weight(net_probs(slice_losses), self.slice_counts)
        return self.weight

    def scores(self, net_losses: np.ndarray, counts: np.ndarray) -> dict:
        """The n-gram's and the mixture's nats per character, and β (call weigh first).

        Args:
            net_losses: the network's loss of each character (nats), shape ``(N,)``.
            counts: the n-gram's probability of the same characters, shape ``(N,)``.
        """
        return {"ngram_loss": float(-np.mean(np.log(counts))),
                "mix_loss": mixture_nats(net_probs(net_losses), counts, self.weight),
                "mix_weight": self.weight}

    def next_probs(self, p_net: np.ndarray, symbols, context: str) -> np.ndarray:
        """The mixed next-character distribution over ``symbols`` (a network's, by id)."""
        return self.weight * p_net + (1 - self.weight) * ngram_distribution(
            self.lm, symbols, context)


def net_probs(losses: np.ndarray) -> np.ndarray:
    """Probabilities from losses in nats, kept above 0 (an underflow is not a certainty)."""
    return np.maximum(np.exp(-np.asarray(losses, np.float64)), np.finfo(np.float64).tiny)


def load_mixture(run: RunDir, config: dict) -> Mixture | None:
    """The mixture of a run made with ``--mix-ngram`` (its n-gram fitted again), else None.

    ``mix-text.txt`` is read only if its SHA-256 is the one config.json records.
    """
    settings = run_settings(config)
    if not settings["mix_ngram"]:
        return None

    def read(path) -> str:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()

    text, problem = run.load_checked(None, MIX_TEXT, read, sha256=config["mix_text_sha256"])
    if problem is not None:
        raise RunDirError(
            f"{str(run.path / MIX_TEXT)!r}, the text the run's n-gram is fitted on, is unusable: "
            f"{problem}. Run the training command again with the same text and --out "
            f"{run.path} to write it again (a finished run trains no further), or use the "
            f"network alone (--no-mix, mix=False).")
    return Mixture(settings["mix_ngram"], text, settings["mix_slice"])
