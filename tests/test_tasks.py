"""Tests of utils.tasks: the generated tasks' shapes, targets and argument checks."""

import numpy as np
import pytest

from utils.tasks import adding_problem, remember_first

# --- Long-range memory tasks


def test_remember_first_has_the_documented_shapes_and_types():
    x, y = remember_first(50, lag=7, n_symbols=5, rng=0)
    assert x.shape == (50, 7, 5) and x.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)  # one-hot at every step
    np.testing.assert_array_equal(x[:, 0].argmax(axis=-1), y)


def test_remember_first_is_reproducible_and_random_enough():
    x1, y1 = remember_first(2000, lag=10, rng=1)
    x2, y2 = remember_first(2000, lag=10, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    # each symbol about 1/4 of the time, so chance accuracy is 1/n_symbols
    np.testing.assert_allclose(np.bincount(y1, minlength=4) / 2000, 0.25, atol=0.04)
    # the distractors are independent of the answer: the last step predicts nothing
    agreement = np.mean(x1[:, -1].argmax(axis=-1) == y1)
    assert abs(agreement - 0.25) < 0.04


def test_remember_first_lag_one_is_the_symbol_alone():
    x, y = remember_first(10, lag=1, n_symbols=3, rng=2)
    assert x.shape == (10, 1, 3)
    np.testing.assert_array_equal(x[:, 0].argmax(axis=-1), y)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0, "lag": 3}, "n_samples"),
        ({"n_samples": 5, "lag": 0}, "lag"),
        ({"n_samples": 5, "lag": 2.5}, "lag"),
        ({"n_samples": 5, "lag": 3, "n_symbols": 1}, "n_symbols"),
        ({"n_samples": True, "lag": 3}, "n_samples"),
    ],
)
def test_remember_first_rejects_bad_sizes(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        remember_first(**kwargs)


def test_remember_first_rejects_a_bad_rng():
    with pytest.raises(TypeError, match="rng"):
        remember_first(5, 3, rng="seed")


def test_adding_problem_marks_two_steps_one_in_each_half():
    x, y = adding_problem(200, length=12, rng=3)
    assert x.shape == (200, 12, 2) and x.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.float32
    markers = x[..., 1]
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    np.testing.assert_array_equal(markers[:, :6].sum(axis=1), 1.0)
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=1e-6)
    assert np.all((x[..., 0] >= 0) & (x[..., 0] < 1))


def test_adding_problem_baseline_error_is_about_one_sixth():
    _, y = adding_problem(20000, length=20, rng=4)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, rel=0.05)


def test_adding_problem_rejects_bad_sizes():
    with pytest.raises(ValueError, match="length"):
        adding_problem(5, length=1)


# --- Tasks of chapters 10-12

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from utils import tasks


def test_masked_char_windows_hide_the_centre_and_keep_the_context():
    text_ids = np.arange(1000) % 50
    x, y = tasks.masked_char_windows(text_ids, 200, width=4, mask_id=99, rng=0)
    assert x.shape == (200, 9) and x.dtype == np.int32
    assert y.shape == (200,) and y.dtype == np.int32
    np.testing.assert_array_equal(x[:, 4], 99)
    # in this text every id follows its predecessor (mod 50): the window must be consecutive
    np.testing.assert_array_equal((x[:, 3] + 1) % 50, y)
    np.testing.assert_array_equal((y + 1) % 50, x[:, 5])
    np.testing.assert_array_equal((x[:, 1:4] - x[:, :3]) % 50, 1)


def test_masked_char_windows_are_reproducible_distinct_and_default_to_a_new_mask_id():
    text_ids = np.random.default_rng(0).integers(0, 7, size=500)
    x1, y1 = tasks.masked_char_windows(text_ids, 100, width=3, rng=5)
    x2, y2 = tasks.masked_char_windows(text_ids, 100, width=3, rng=5)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert np.all(x1[:, 3] == text_ids.max() + 1)
    all_x, _ = tasks.masked_char_windows(np.arange(20), 14, width=3, rng=1)  # every centre once
    assert sorted(all_x[:, 2] + 1) == list(range(3, 17))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text_ids": np.arange(10), "n_samples": 9, "width": 1}, "fewer than n_samples"),
        ({"text_ids": np.arange(10), "n_samples": 2, "width": 0}, "width"),
        ({"text_ids": np.zeros((3, 4), int), "n_samples": 1, "width": 1}, "1-D integer"),
        ({"text_ids": np.arange(10), "n_samples": 2, "width": 1, "mask_id": 3}, "occurs"),
    ],
)
def test_masked_char_windows_rejects_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        tasks.masked_char_windows(**kwargs)


def test_number_ordinal_and_year_words():
    assert tasks.number_to_words(94) == "ninety-four"
    assert tasks.number_to_words(13) == "thirteen"
    assert tasks.ordinal_to_words(3) == "third"
    assert tasks.ordinal_to_words(21) == "twenty-first"
    assert tasks.ordinal_to_words(30) == "thirtieth"
    assert tasks.year_to_words(1994) == "nineteen ninety-four"
    assert tasks.year_to_words(1905) == "nineteen oh five"
    assert tasks.year_to_words(1900) == "nineteen hundred"
    assert tasks.year_to_words(2000) == "two thousand"
    assert tasks.year_to_words(2007, rng=0) in {"two thousand seven", "two thousand and seven"}
    said = {tasks.year_to_words(2012, rng=seed) for seed in range(40)}
    assert said == {"twenty twelve", "two thousand twelve", "two thousand and twelve"}
    with pytest.raises(ValueError, match="1900..2099"):
        tasks.year_to_words(2100)


def test_date_to_words_styles():
    assert tasks.date_to_words(1994, 3, 3, style=1) == "the third of march nineteen ninety-four"
    assert tasks.date_to_words(1994, 3, 3, style=2) == "march third nineteen ninety-four"
    assert tasks.date_to_words(2024, 1, 1, style=4).startswith("monday the first of january")
    with pytest.raises(ValueError, match="not a valid date"):
        tasks.date_to_words(2023, 2, 29)
    with pytest.raises(ValueError, match="style"):
        tasks.date_to_words(2023, 2, 28, style=6)


def test_dates_dataset_targets_are_the_dates_of_the_sources():
    sources, targets = tasks.dates_dataset(300, rng=3, min_year=1950, max_year=2010)
    assert len(sources) == len(targets) == 300
    months = {m: i + 1 for i, m in enumerate(tasks.MONTHS)}
    for source, target in zip(sources, targets, strict=True):
        date = datetime.date.fromisoformat(target)
        assert 1950 <= date.year <= 2010 and len(target) == 10
        assert set(source) <= set(tasks.DATE_SOURCE_CHARS)
        assert set(target) <= set(tasks.DATE_TARGET_CHARS)
        named = [months[w] for w in tasks.date_words(source) if w in months]
        assert named == [date.month]
        assert source in {
            tasks.date_to_words(date.year, date.month, date.day, rng=s, style=k)
            for k in range(6)
            for s in range(8)
        }
    assert tasks.dates_dataset(50, rng=9) == tasks.dates_dataset(50, rng=9)
    lengths = [len(tasks.date_words(s)) for s in sources]
    assert min(lengths) <= 6 and max(lengths) >= 11  # the styles give a spread of lengths


@settings(max_examples=50, deadline=None)
@given(st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)), st.integers(0, 5))
def test_every_date_encodes_with_the_source_words(date, style):
    words = tasks.date_words(tasks.date_to_words(date.year, date.month, date.day, style=style))
    ids = tasks.encode_padded([words], tasks.DATE_SOURCE_WORDS, 20)
    assert ids.shape == (1, 20) and ids[0, len(words):].sum() == 0
    assert tasks.decode_padded(ids, tasks.DATE_SOURCE_WORDS, sep=" ") == [" ".join(words)]


def test_encode_padded_round_trip_and_errors():
    ids = tasks.encode_padded(["1994-03-03", "12"], tasks.DATE_TARGET_CHARS)
    assert ids.shape == (2, 10) and ids.dtype == np.int32
    assert ids[1, 2:].sum() == 0 and ids[1, 0] == tasks.DATE_TARGET_CHARS.index("1") + 1
    assert tasks.decode_padded(ids, tasks.DATE_TARGET_CHARS) == ["1994-03-03", "12"]
    with pytest.raises(ValueError, match="not in symbols"):
        tasks.encode_padded(["19x4"], tasks.DATE_TARGET_CHARS)
    with pytest.raises(ValueError, match="more than length"):
        tasks.encode_padded(["1994-03-03"], tasks.DATE_TARGET_CHARS, length=5)
    with pytest.raises(TypeError, match="not one str"):
        tasks.encode_padded("1994", tasks.DATE_TARGET_CHARS)


def test_dtmf_signal_puts_the_two_frequencies_of_each_key_in_its_span():
    signal, spans = tasks.dtmf_signal("5#", noise=0.0, freq_jitter=0.0, rng=0)
    assert signal.dtype == np.float32 and spans.shape == (2, 2)
    for key, (start, end) in zip("5#", spans, strict=True):
        assert 0.05 * 8000 <= end - start <= 0.12 * 8000
        spectrum = np.abs(np.fft.rfft(signal[start:end], n=8000))  # 1 Hz bins
        low, high = tasks.DTMF_FREQS[key]
        assert abs(600 + spectrum[600:1100].argmax() - low) <= 2  # the row's tone
        assert abs(1100 + spectrum[1100:2000].argmax() - high) <= 2  # the column's tone
        assert spectrum[1100:2000].max() > 20 * np.median(spectrum)
    assert np.all(signal[: spans[0, 0]] == 0) and np.all(signal[spans[0, 1] : spans[1, 0]] == 0)


def test_dtmf_signal_noise_duration_and_errors():
    signal, spans = tasks.dtmf_signal("", noise=1.0, duration_s=0.5, rng=1)
    assert signal.shape == (4000,) and spans.shape == (0, 2)
    assert signal.std() == pytest.approx(1.0, rel=0.1)
    with pytest.raises(ValueError, match="not DTMF keys"):
        tasks.dtmf_signal("12A")
    with pytest.raises(ValueError, match="duration_s"):
        tasks.dtmf_signal("123456", duration_s=0.1)


def test_spectrogram_shape_and_peak():
    tone = np.sin(2 * np.pi * 1000 * np.arange(4000) / 8000)
    spec = tasks.spectrogram(tone, frame=256, hop=100)
    assert spec.shape == (1 + (4000 - 256) // 100, 129) and spec.dtype == np.float32
    np.testing.assert_array_equal(spec.argmax(axis=1), 32)  # 1000 Hz * 256 / 8000
    with pytest.raises(ValueError, match="fewer than frame"):
        tasks.spectrogram(np.zeros(100), frame=256)


def test_dtmf_dataset_shapes_labels_and_reproducibility():
    specs, labels, lengths = tasks.dtmf_dataset(20, min_keys=2, max_keys=4, rng=0)
    assert specs.dtype == np.float32 and specs.ndim == 3 and specs.shape[0] == 20
    assert specs.shape[2] == int(1800 * 256 / 8000) + 1
    assert all(2 <= len(k) <= 4 and set(k) <= set(tasks.DTMF_KEYS) for k in labels)
    assert lengths.shape == (20,) and np.all((lengths > 0) & (lengths <= specs.shape[1]))
    specs2, labels2, _ = tasks.dtmf_dataset(20, min_keys=2, max_keys=4, rng=0)
    np.testing.assert_array_equal(specs, specs2)
    assert labels == labels2
    with pytest.raises(ValueError, match="max_keys"):
        tasks.dtmf_dataset(3, min_keys=5, max_keys=2)


def test_edit_distance_and_character_error_rate():
    assert tasks.edit_distance("kitten", "sitting") == 3
    assert tasks.edit_distance("", "abc") == 3
    assert tasks.edit_distance(["1", "2"], ["1", "2"]) == 0
    assert tasks.character_error_rate(["123", "45"], ["123", "4"]) == pytest.approx(1 / 5)
    with pytest.raises(ValueError, match="one hypothesis per reference"):
        tasks.character_error_rate(["1"], [])


@settings(max_examples=100, deadline=None)
@given(st.text("abc", max_size=8), st.text("abc", max_size=8))
def test_edit_distance_is_a_bounded_symmetric_distance(a, b):
    d = tasks.edit_distance(a, b)
    assert d == tasks.edit_distance(b, a)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert (d == 0) == (a == b)
