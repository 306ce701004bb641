"""Checks for the exercises where you write a function: run the check, get a verdict or a hint.

Every chapter has at least one exercise that asks for a small function (a window, a smoothed
probability, one RNN step, a decoder...). Write it in the notebook, then pass the function itself
(not its result) to the chapter's check::

    from utils.exercises import check_rnn_step

    def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)

    check_rnn_step(rnn_step)        # prints "correct: 5 of 5 cases" and returns True

A check calls your function on a few small cases (shapes and values chosen by the check, from
fixed seeds, so the cases are the same every time) and compares each answer with the course's
reference (the NumPy layers of :mod:`utils.numpy_rnn`, finite differences from
:mod:`utils.gradcheck`, or a few lines here). Three outcomes:

- every case is right: it prints ``correct: N of N cases`` and returns ``True``;
- a case is wrong: it raises ``AssertionError`` saying which case (and its inputs' shapes), which
  output, what was expected and what your function returned; when your answer equals the answer
  of a typical mistake (a transposed matrix, sigmoid for tanh, log2 for ln, an off-by-one...), the
  message ends with ``likely cause: ...``;
- your function still raises ``NotImplementedError`` (the stub): it prints ``not done yet: ...``
  and returns ``False``, so a notebook with the stub still runs to the end.

Arrays follow Keras: batch first, weights in the layout of ``layer.get_weights()``. A check passes
copies of its inputs, so a function that changes its arguments in place does no harm here. An
answer is made of real numbers (float or int): an array of strings, complex numbers or booleans,
and a masked array (whose masked entries no check can judge), fail with a message that says so.
The package imports NumPy only.

The package: :mod:`utils.exercises.harness` (cases, verdicts, messages, the comparisons of an
answer with the expected one) and one module per chapter, ``chNN_<chapter>.py``, with that
chapter's checks, their cases and the typical mistakes they recognise. Every check is imported
here, so ``from utils.exercises import check_rnn_step`` works for each.
"""

from __future__ import annotations

from utils.exercises.ch01_sequential_data import check_sliding_windows
from utils.exercises.ch02_sequence_probability import check_unigram_log_prob
from utils.exercises.ch03_ngrams import check_add_k, check_kneser_ney_bigram
from utils.exercises.ch04_context_vectors import check_leaky_context
from utils.exercises.ch05_rnn import check_rnn_step
from utils.exercises.ch06_bptt import check_rnn_backward
from utils.exercises.ch07_vanishing_gradients import check_clip_by_norm
from utils.exercises.ch08_lstm import check_lstm_step
from utils.exercises.ch09_gru import check_gru_step
from utils.exercises.ch10_bidirectional import check_bidirectional_concat
from utils.exercises.ch11_encoder_decoder import check_beam_search, check_greedy_decode
from utils.exercises.ch12_crnn import check_ctc_collapse
from utils.exercises.ch13_char_rnn import check_sample_with_temperature
from utils.exercises.ch14_counting_and_learning import check_mixture_weight
from utils.exercises.ch15_recurrence_without_the_loop import check_log_space_recurrence
from utils.exercises.harness import Verdict as Verdict  # what every check returns

__all__ = [
    "check_add_k",
    "check_beam_search",
    "check_bidirectional_concat",
    "check_clip_by_norm",
    "check_ctc_collapse",
    "check_greedy_decode",
    "check_gru_step",
    "check_kneser_ney_bigram",
    "check_leaky_context",
    "check_log_space_recurrence",
    "check_lstm_step",
    "check_mixture_weight",
    "check_rnn_backward",
    "check_rnn_step",
    "check_sample_with_temperature",
    "check_sliding_windows",
    "check_unigram_log_prob",
]
