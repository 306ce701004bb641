"""The data and the step: the validation split, each epoch's batches, the learning rate, one step.
"""

from __future__ import annotations

import math

import numpy as np

from utils.charrnn.config import TrainConfig
from utils.charrnn.tf_import import import_tf

__all__ = ["split_for_validation", "train_step_fn"]

MIN_LR_FRACTION = 0.05  # the cosine schedule decays to this fraction of the learning rate


def split_for_validation(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, val)``: the first ``int(len(text) * (1 - val_fraction))`` characters and the rest.

    The same cut as nanoGPT's (``int``, not ``round``): on tiny Shakespeare the validation text is
    its last 111,540 characters.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}.")
    if len(text) < 2:
        raise ValueError(f"need at least 2 characters to split, got {len(text)}.")
    cut = min(max(1, int(len(text) * (1 - val_fraction))), len(text) - 1)
    return text[:cut], text[cut:]


def epoch_batches(train_ids: np.ndarray, seq_len: int, batch: int, seed: int, epoch: int):
    """The epoch's training pairs ``(x, y)``, each ``(n_batches * batch, seq_len)``, shuffled.

    Each epoch cuts the text into sequences of ``seq_len + 1`` characters at a random offset and
    shuffles them, both from ``seed`` and ``epoch`` (so a resumed run sees the same batches).
    """
    rng = np.random.default_rng([seed, epoch])
    n_seq = (len(train_ids) - 1) // seq_len
    offset = int(rng.integers(0, min(seq_len, len(train_ids) - 1 - (n_seq - 1) * seq_len)))
    n_seq = (len(train_ids) - 1 - offset) // seq_len
    starts = offset + seq_len * rng.permutation(n_seq)
    n_batches = n_seq // batch
    starts = starts[: n_batches * batch]
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]
    windows = train_ids[idx]
    return windows[:, :-1], windows[:, 1:]


def steps_per_epoch(n_train: int, seq_len: int, batch: int) -> int:
    return ((n_train - 1) // seq_len) // batch  # lower bound over offsets (may be one more)


def epoch_steps(train_ids: np.ndarray, cfg: TrainConfig, state: dict):
    """The batches ``(x, y)`` of the current epoch not trained yet, each ``(batch, seq_len)``.

    Plain NumPy slices of :func:`epoch_batches`, one per step, handed to the step as they are.
    With a ``tf.data`` pipeline instead, a chapter's 25-s pass on a 2-core machine sometimes
    took 15 s longer, spent outside the steps and the validations.
    """
    x_all, y_all = epoch_batches(train_ids, cfg.seq_len, cfg.batch, cfg.seed, state["epoch"])
    for step in range(state["step_in_epoch"], len(x_all) // cfg.batch):
        rows = slice(step * cfg.batch, (step + 1) * cfg.batch)
        yield x_all[rows], y_all[rows]


def learning_rate(cfg: TrainConfig, fraction: float) -> float:
    """The constant rate, or the cosine decay from ``lr`` to 5% of it along the budget."""
    if cfg.schedule == "constant":
        return cfg.lr
    low = MIN_LR_FRACTION * cfg.lr
    return low + (cfg.lr - low) * 0.5 * (1.0 + math.cos(math.pi * fraction))


def train_step_fn(model, optimizer):
    """A ``tf.function`` ``train_step(x, y) -> loss``: one step of ``optimizer`` on a batch.

    ``x``: (batch, T) ids, or whatever ``model`` reads; ``y``: (batch, T) next-character ids, or
    (batch,) for a model that predicts once per window. The loss is the mean cross-entropy of
    the logits ``model(x)``. The benchmarks' peers train with this step too, so that every model
    they compare is updated the same way.
    """
    keras, tf = import_tf()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    @tf.autograph.experimental.do_not_convert
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return train_step
