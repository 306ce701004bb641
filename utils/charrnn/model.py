"""The model: ``Embedding -> (LSTM|GRU) x layers -> Dense``, and its size limits."""

from __future__ import annotations

import numpy as np

from utils.charrnn.config import ADDED_KEYS, MAX_LAYERS, MAX_PARAMETERS, TrainConfig
from utils.charrnn.tf_import import import_tf

__all__ = ["build_model", "parameter_count"]


def build_model(vocab_size: int, cell: str = "lstm", units: int = 512, layers: int = 1,
                embedding: int = 64, dropout: float = 0.0):
    """An ``Embedding -> (LSTM|GRU) x layers -> Dense`` model that returns logits and states.

    With ``dropout > 0``, the input of every recurrent layer and the input of the ``Dense`` head
    are dropped at that rate while training: the connections between layers, never the recurrent
    ones from step to step (Zaremba et al., 2014, "Recurrent neural network regularization").

    Call it as ``logits = model(ids)`` with ``ids`` of shape ``(B, T)`` (int), giving logits of
    shape ``(B, T, V)``; or ``logits, states = model(ids, states=states, return_state=True)`` to
    carry the recurrent state across calls (``states``: one list per layer, ``[h]`` for a GRU and
    ``[h, c]`` for an LSTM, each ``(B, units)``; ``None`` starts from zeros).
    """
    keras, _ = import_tf()

    TrainConfig(cell=cell, units=units, layers=layers, embedding=embedding, dropout=dropout,
                epochs=1).check()
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) \
            or vocab_size < 1:
        raise ValueError(f"vocab_size must be an integer >= 1, got {vocab_size!r}.")
    too_large = model_size_problem(vocab_size, cell, units, layers, embedding)
    if too_large:
        raise ValueError(f"{too_large}: use fewer units, layers or embedding dimensions.")

    class CharRNN(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Embedding(vocab_size, embedding)
            layer = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
            self.rnns = [
                layer(units, return_sequences=True, return_state=True) for _ in range(layers)
            ]
            self.drop = keras.layers.Dropout(dropout) if dropout > 0 else None
            self.head = keras.layers.Dense(vocab_size)

        def call(self, ids, states=None, return_state=False, training=False):
            x = self.embed(ids)
            new_states = []
            for i, rnn in enumerate(self.rnns):
                out = rnn(self._dropped(x, training),
                          initial_state=None if states is None else states[i], training=training)
                x = out[0]
                new_states.append(list(out[1:]))
            logits = self.head(self._dropped(x, training))
            return (logits, new_states) if return_state else logits

        def _dropped(self, x, training):
            return x if self.drop is None else self.drop(x, training=training)

    model = CharRNN()
    model(np.zeros((1, 1), dtype=np.int32))  # build the weights
    return model


def zero_states(model, batch: int) -> list:
    """The model's initial recurrent states for ``batch`` rows (zeros)."""
    states = []
    for rnn in model.rnns:
        n = 2 if type(rnn).__name__ == "LSTM" else 1
        states.append([np.zeros((batch, rnn.units), np.float32) for _ in range(n)])
    return states


def parameter_count(vocab_size: int, cell: str = "lstm", units: int = 512, layers: int = 1,
                    embedding: int = 64) -> int:
    """The number of weights of :func:`build_model`'s model, computed without building it.

    Embedding ``V E``; each recurrent layer ``g U (I + U + b)`` with ``g`` = 4 gates and
    ``b`` = 1 bias for an LSTM, ``g`` = 3 and ``b`` = 2 for Keras's GRU (``reset_after``), and
    ``I`` its input width (``E``, then ``U``); the head ``U V + V``.
    """
    gates, biases = (4, 1) if cell == "lstm" else (3, 2)
    first = gates * units * (embedding + units + biases)
    others = (layers - 1) * gates * units * (2 * units + biases)
    return vocab_size * embedding + first + others + units * vocab_size + vocab_size


def model_size_problem(vocab_size: int, cell: str, units: int, layers: int,
                       embedding: int) -> str | None:
    """Why a model is too large to build (a sentence without a fix), or None."""
    if layers > MAX_LAYERS:
        return f"{layers:,} layers are more than the trainer's limit of {MAX_LAYERS}"
    n = parameter_count(vocab_size, cell, units, layers, embedding)
    if n <= MAX_PARAMETERS:
        return None
    return (f"the model would have {n:,} parameters ({layers} {cell.upper()} layer(s) of {units:,} "
            f"units, embedding {embedding:,}, vocabulary {vocab_size:,}), more than the trainer's "
            f"limit of {MAX_PARAMETERS:,} (about {16 * MAX_PARAMETERS / 1e9:.1f} GB to train "
            f"with Adam)")


def model_from_config(config: dict):
    """The (untrained) model of a run's settings (a config.json)."""
    return build_model(config["vocab_size"], config["cell"], config["units"], config["layers"],
                       config["embedding"], config.get("dropout", ADDED_KEYS["dropout"]))
