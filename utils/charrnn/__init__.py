"""Train, sample and evaluate a character-level recurrent language model on any text.

The better recipe of chapter 13, packaged: integer ids and an ``Embedding``, sequences of
``seq_len`` characters with a prediction at every step (reshuffled every epoch, as NumPy batches),
GRU or LSTM layers with dropout between them, Adam with gradient clipping (Keras's ``clipnorm``:
each gradient tensor separately), a learning rate that decays along the training budget, and
generation with a stateful one-step model. Optionally, a Kneser-Ney n-gram mixed with the network
(``--mix-ngram``, :mod:`utils.mixture`).

Command line::

    python -m utils.charrnn train --text FILE --out DIR [--minutes M] [--epochs N] [--cell gru]
        [--units U] [--layers L] [--seq-len T] [--batch B] [--val-fraction 0.1] ... (--help)
    python -m utils.charrnn sample --model DIR --prime TEXT --length N --temperature T [--seed S]
    python -m utils.charrnn evaluate --model DIR --text FILE

The text is split by position: the first ``1 - val_fraction`` of the characters for training, the
rest for validation. DIR is a run directory (:mod:`utils.rundir`): ``config.json`` (the
settings, the SHA-256 of the text and of the vocabulary), ``vocab.json``, ``state.json``
(progress, history, the checkpoints' names and SHA-256), ``latest-STEP.weights.h5`` +
``latest-STEP.optimizer.npz`` and ``best-STEP.weights.h5`` (the best by validation loss, used by
``sample`` and ``evaluate``). Running the same command again resumes; a larger ``--minutes`` or
``--epochs`` extends the run. Damaged files are named, with what to do; nothing is deleted on a
guess.

Read it in this order, one concept per module:

- :mod:`~utils.charrnn.config`: :class:`TrainConfig`, the one list of settings (defaults, rules,
  which define a run, command-line help); :data:`DEFAULTS` and the options are derived from it.
- :mod:`~utils.charrnn.model`: :func:`build_model`, :func:`parameter_count`, the size limits.
- :mod:`~utils.charrnn.steps`: the validation split, each epoch's batches, the learning rate,
  :func:`train_step_fn`.
- :mod:`~utils.charrnn.loop`: :func:`train`: open or resume a run, the budget, validation,
  checkpoints, progress.
- :mod:`~utils.charrnn.scoring`: :func:`char_losses_ids` (the held-out scorer of the trainer's
  models, in streams), :func:`evaluate`; :func:`~utils.charrnn.scoring.held_out_rows` and
  :func:`~utils.charrnn.scoring.row_losses` (the scorer of models without states: chapter 13,
  the peers benchmark).
- :mod:`~utils.charrnn.generate`: :func:`sample`.
- :mod:`~utils.charrnn.mixing`: the n-gram beside the network (``--mix-ngram``): fitted on the
  training part less a slice, its weight chosen on that slice.
- :mod:`~utils.charrnn.runs`: a run directory read back and checked (:func:`load_model`), and
  opened to train: new, or resumed with the same text and settings.
- :mod:`~utils.charrnn.cli`: the command line; :mod:`~utils.charrnn.tf_import`: TensorFlow,
  imported when first needed (``import utils`` stays light), quietly on the command line.
"""

from utils.charrnn.cli import main
from utils.charrnn.config import DEFAULTS, MAX_LAYERS, MAX_PARAMETERS, RUN_KEYS, TrainConfig
from utils.charrnn.generate import sample
from utils.charrnn.loop import train
from utils.charrnn.model import build_model, parameter_count
from utils.charrnn.runs import load_model
from utils.charrnn.scoring import char_losses, char_losses_ids, evaluate, evaluate_ids
from utils.charrnn.steps import split_for_validation, train_step_fn

__all__ = [
    "DEFAULTS",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "RUN_KEYS",
    "TrainConfig",
    "build_model",
    "char_losses",
    "char_losses_ids",
    "evaluate",
    "evaluate_ids",
    "load_model",
    "main",
    "parameter_count",
    "sample",
    "split_for_validation",
    "train",
    "train_step_fn",
]
