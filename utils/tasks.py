"""Tasks generated in code, so that no chapter needs a download beyond the corpora.

Each generator takes sizes and a NumPy ``Generator`` (or seed) and returns arrays with documented
shapes.
"""

from __future__ import annotations

import numpy as np

# --- Argument checks shared by every task ------------------------------------------------------


def _rng(func: str, rng) -> np.random.Generator:
    """A NumPy Generator from None, an int seed or a Generator."""
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(
        f"{func}: rng must be None, an int seed or a numpy.random.Generator, "
        f"got {type(rng).__name__}."
    )


def _int_at_least(value, name: str, where: str, minimum: int = 1) -> int:
    """``value`` as an int, after checking that it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value}.")
    return int(value)


# --- Long-range memory tasks (chapters 7-9) -------------------------------------------------------


def remember_first(n_samples: int, lag: int, n_symbols: int = 4, rng=None):
    """The "remember the first symbol" task: read ``lag`` symbols, then name the first one.

    Step 1 holds the symbol to remember; steps 2..lag hold random distractors drawn from the same
    alphabet. A model that reads the sequence left to right must carry the first symbol across
    ``lag - 1`` steps; one that forgets can only guess, with accuracy 1 / ``n_symbols``.

    Args:
        n_samples: number of sequences (>= 1).
        lag: sequence length T (>= 1): the distance in steps between the symbol and the answer.
        n_symbols: alphabet size (>= 2).
        rng: None, an int seed or a ``numpy.random.Generator``.

    Returns:
        ``(x, y)``: ``x`` float32 one-hot of shape (n_samples, lag, n_symbols), ``y`` int64 of
        shape (n_samples,) with the first symbol of each sequence.
    """
    func = "remember_first"
    n_samples = _int_at_least(n_samples, "n_samples", func)
    lag = _int_at_least(lag, "lag", func)
    n_symbols = _int_at_least(n_symbols, "n_symbols", func, minimum=2)
    gen = _rng(func, rng)
    symbols = gen.integers(0, n_symbols, size=(n_samples, lag))
    x = np.eye(n_symbols, dtype=np.float32)[symbols]
    y = symbols[:, 0].astype(np.int64)
    return x, y


def adding_problem(n_samples: int, length: int, rng=None):
    """The adding problem of Hochreiter and Schmidhuber: add the two marked numbers.

    Each step holds two features: a value drawn uniformly from [0, 1) and a marker (0 or 1).
    Exactly two steps are marked, one in the first half of the sequence and one in the second;
    the target is the sum of their values. Predicting the constant 1 (the mean of the target)
    gives a mean squared error of about 1/6 = 0.167: a model must beat that to have learnt anything.

    Args:
        n_samples: number of sequences (>= 1).
        length: sequence length T (>= 2).
        rng: None, an int seed or a ``numpy.random.Generator``.

    Returns:
        ``(x, y)``: ``x`` float32 of shape (n_samples, length, 2) (value, marker), ``y`` float32 of
        shape (n_samples,).
    """
    func = "adding_problem"
    n_samples = _int_at_least(n_samples, "n_samples", func)
    length = _int_at_least(length, "length", func, minimum=2)
    gen = _rng(func, rng)
    values = gen.random((n_samples, length))
    half = length // 2
    first = gen.integers(0, half, size=n_samples)
    second = gen.integers(half, length, size=n_samples)
    rows = np.arange(n_samples)
    markers = np.zeros((n_samples, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y


# --- Masked fill-in from a corpus (chapter 10) ----------------------------------------------------


def masked_char_windows(
    text_ids,
    n_samples: int,
    width: int,
    mask_id: int | None = None,
    rng=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of a text with their centre character hidden, to be filled in from both sides.

    Each window is ``2 * width + 1`` ids long: ``width`` ids of context before the hidden
    character, the mask id in its place, and ``width`` ids of context after it. The target is the
    id that the mask hides. A left-to-right model that predicts at the mask position sees only the
    left context ``x[:, :width]``; a bidirectional one also sees the right context
    ``x[:, width + 1:]``.

    Args:
        text_ids: int array of shape ``(N,)``, a text encoded as ids ``0..V-1``.
        n_samples: how many windows, at most ``N - 2 * width`` (centres are drawn without
            replacement).
        width: context length on each side (>= 1).
        mask_id: the id written over the hidden character; default ``max(text_ids) + 1`` (a new
            symbol, so the vocabulary grows by one).
        rng: ``None``, an int seed or a ``numpy.random.Generator``.

    Returns:
        ``(x, y)``: ``x`` int32 of shape ``(n_samples, 2 * width + 1)`` with ``x[:, width] ==
        mask_id``; ``y`` int32 of shape ``(n_samples,)``, the hidden ids. Windows come in the
        order of their drawn centres (random), so they can be used without shuffling.
    """
    where = "masked_char_windows"
    ids = np.asarray(text_ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"{where}: text_ids must be a 1-D integer array (e.g. vocab.encode(text)), "
            f"got shape {ids.shape} and dtype {ids.dtype}."
        )
    n_samples = _int_at_least(n_samples, "n_samples", where)
    width = _int_at_least(width, "width", where)
    n_centres = ids.size - 2 * width
    if n_centres < n_samples:
        raise ValueError(
            f"{where}: a text of {ids.size} ids has only {max(n_centres, 0)} windows of width "
            f"{width} on each side, fewer than n_samples={n_samples}; ask for fewer samples or a "
            "smaller width."
        )
    if ids.min() < 0:
        raise ValueError(f"{where}: text_ids must be >= 0, got a minimum of {ids.min()}.")
    if mask_id is None:
        mask_id = int(ids.max()) + 1
    mask_id = _int_at_least(mask_id, "mask_id", where, minimum=0)
    if np.any(ids == mask_id):
        raise ValueError(
            f"{where}: mask_id={mask_id} occurs in text_ids; choose an id the text does not use "
            "(the default, max(text_ids) + 1, never does)."
        )
    gen = _rng(where, rng)
    centres = width + gen.choice(n_centres, size=n_samples, replace=False)
    offsets = np.arange(-width, width + 1)
    x = ids[centres[:, None] + offsets[None, :]].astype(np.int32)
    y = x[:, width].copy()
    x[:, width] = mask_id
    return x, y

# --- Dates in words to digits (chapter 11) --------------------------------------------------------

_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_ONES = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                 "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
                 "sixteenth", "seventeenth", "eighteenth", "nineteenth"]
_ORDINAL_TENS = {20: "twentieth", 30: "thirtieth"}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

#: Characters of the dates written in words (index 0 of an encoded array is padding).
DATE_SOURCE_CHARS = " ,-abcdefghijklmnopqrstuvwxyz"
#: Characters of the dates in digits, ``YYYY-MM-DD``.
DATE_TARGET_CHARS = "-0123456789"


def number_to_words(n: int) -> str:
    """A number ``0 <= n < 100`` in English words: ``94 -> "ninety-four"``, ``0 -> "zero"``."""
    n = _int_at_least(n, "n", "number_to_words", minimum=0)
    if n >= 100:
        raise ValueError(f"number_to_words: n must be < 100, got {n}.")
    if n == 0:
        return "zero"
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("-" + _ONES[ones] if ones else "")


def ordinal_to_words(n: int) -> str:
    """An ordinal ``1 <= n <= 31`` in English words: ``3 -> "third"``, ``21 -> "twenty-first"``."""
    n = _int_at_least(n, "n", "ordinal_to_words", minimum=1)
    if n > 31:
        raise ValueError(f"ordinal_to_words: n must be <= 31 (a day of the month), got {n}.")
    if n < 20:
        return _ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    if ones == 0:
        return _ORDINAL_TENS[n]
    return _TENS[tens] + "-" + _ORDINAL_ONES[ones]


def year_to_words(year: int, rng=None) -> str:
    """A year 1900-2099 in words, in one of the ways people say it.

    ``1994 -> "nineteen ninety-four"``, ``1905 -> "nineteen oh five"``, ``1900 -> "nineteen
    hundred"``; from 2000 on, either ``"two thousand (and) seven"`` or, from 2010 on,
    ``"twenty twelve"`` (drawn with ``rng``).
    """
    year = _int_at_least(year, "year", "year_to_words", minimum=1900)
    if year > 2099:
        raise ValueError(f"year_to_words: year must be in 1900..2099, got {year}.")
    gen = _rng("year_to_words", rng)
    century, rest = divmod(year, 100)
    if century == 19:
        if rest == 0:
            return "nineteen hundred"
        if rest < 10:
            return "nineteen oh " + number_to_words(rest)
        return "nineteen " + number_to_words(rest)
    if rest >= 10 and gen.random() < 0.5:
        return "twenty " + number_to_words(rest)
    if rest == 0:
        return "two thousand"
    return "two thousand " + ("and " if gen.random() < 0.5 else "") + number_to_words(rest)


_DATE_FORMATS = (
    "{day} of {month} {year}",
    "the {day} of {month} {year}",
    "{month} {day} {year}",
    "{month} the {day}, {year}",
    "{weekday} the {day} of {month} {year}",
    "{weekday}, {month} {day}, {year}",
)


def date_to_words(year: int, month: int, day: int, rng=None, style: int | None = None) -> str:
    """A valid date written in words, e.g. ``"the third of march nineteen ninety-four"``.

    Args:
        year, month, day: a valid date with ``1900 <= year <= 2099``.
        rng: ``None``, an int seed or a ``numpy.random.Generator`` (chooses the style and the way
            the year is said).
        style: index into the six formats (``0..5``); ``None`` draws one. Styles 4 and 5 start
            with the day of the week, so the same date comes in lengths from about 20 to about 75
            characters.
    """
    import datetime

    gen = _rng("date_to_words", rng)
    try:
        date = datetime.date(int(year), int(month), int(day))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"date_to_words: ({year}, {month}, {day}) is not a valid date: {error}"
        ) from error
    if style is None:
        style = int(gen.integers(len(_DATE_FORMATS)))
    style = _int_at_least(style, "style", "date_to_words", minimum=0)
    if style >= len(_DATE_FORMATS):
        raise ValueError(
            f"date_to_words: style must be in 0..{len(_DATE_FORMATS) - 1}, got {style}."
        )
    return _DATE_FORMATS[style].format(
        day=ordinal_to_words(date.day),
        month=MONTHS[date.month - 1],
        year=year_to_words(date.year, gen),
        weekday=WEEKDAYS[date.weekday()],
    )


def dates_dataset(
    n_samples: int, rng=None, min_year: int = 1900, max_year: int = 2099
) -> tuple[list[str], list[str]]:
    """Random dates written in words (sources) and in digits, ``YYYY-MM-DD`` (targets).

    Days are drawn uniformly between 1 January ``min_year`` and 31 December ``max_year``; the
    style of each source is drawn uniformly from :func:`date_to_words`'s six.

    Args:
        n_samples: number of pairs (>= 1).
        rng: ``None``, an int seed or a ``numpy.random.Generator``.
        min_year, max_year: the range of years, inside 1900..2099.

    Returns:
        ``(sources, targets)``: two lists of ``n_samples`` strings. Every target is 10 characters
        long; sources use only :data:`DATE_SOURCE_CHARS`, targets only :data:`DATE_TARGET_CHARS`.
    """
    import datetime

    where = "dates_dataset"
    n_samples = _int_at_least(n_samples, "n_samples", where)
    min_year = _int_at_least(min_year, "min_year", where, minimum=1900)
    max_year = _int_at_least(max_year, "max_year", where, minimum=min_year)
    if max_year > 2099:
        raise ValueError(f"{where}: max_year must be <= 2099, got {max_year}.")
    gen = _rng(where, rng)
    first = datetime.date(min_year, 1, 1).toordinal()
    last = datetime.date(max_year, 12, 31).toordinal()
    sources, targets = [], []
    for ordinal in gen.integers(first, last + 1, size=n_samples):
        date = datetime.date.fromordinal(int(ordinal))
        sources.append(date_to_words(date.year, date.month, date.day, gen))
        targets.append(date.isoformat())
    return sources, targets


def date_words(text: str) -> list[str]:
    """Split a date in words into tokens: words, ``","`` and ``"-"`` (``"ninety-four"`` gives
    ``["ninety", "-", "four"]``), so that a model sees the parts that numbers are made of."""
    if not isinstance(text, str):
        raise TypeError(f"date_words: text must be a str, got {type(text).__name__}.")
    return text.replace(",", " , ").replace("-", " - ").split()


#: Every token of :func:`date_words` over the dates of :func:`dates_dataset`, sorted.
DATE_SOURCE_WORDS = sorted(
    {w for n in range(100) for w in date_words(number_to_words(n))}
    | {w for n in range(1, 32) for w in date_words(ordinal_to_words(n))}
    | set(MONTHS) | set(WEEKDAYS) | {"the", "of", "and", "oh", "hundred", "thousand", ","}
)


def encode_padded(sequences, symbols, length: int | None = None) -> np.ndarray:
    """Sequences as a padded int32 array: symbol ``symbols[i]`` becomes id ``i + 1``, padding ``0``.

    Args:
        sequences: a list of ``n`` sequences, each a string (of characters) or a list of tokens
            (e.g. from :func:`date_words`), every element one of ``symbols``.
        symbols: the distinct symbols allowed: a string of characters or a list of tokens.
        length: the number of columns; default the longest sequence's length. A longer sequence is
            an error (never silently cut).

    Returns:
        int32 array of shape ``(n, length)``, zeros after the end of each sequence.
    """
    where = "encode_padded"
    if isinstance(sequences, str):
        raise TypeError(f"{where}: sequences must be a list of sequences, not one str; wrap it.")
    sequences = [list(seq) for seq in sequences]
    symbols = list(symbols)
    if not symbols or len(set(symbols)) != len(symbols):
        raise ValueError(f"{where}: symbols must be non-empty and distinct.")
    index = {sym: i + 1 for i, sym in enumerate(symbols)}
    longest = max((len(seq) for seq in sequences), default=0)
    if length is None:
        length = longest
    length = _int_at_least(length, "length", where, minimum=0)
    if longest > length:
        raise ValueError(f"{where}: a sequence has {longest} elements, more than length={length}.")
    out = np.zeros((len(sequences), length), dtype=np.int32)
    for row, seq in enumerate(sequences):
        unknown = sorted({sym for sym in seq if sym not in index})
        if unknown:
            raise ValueError(
                f"{where}: sequence {row} has symbols {unknown[:10]} that are not in symbols; "
                "build symbols from every sequence (or use DATE_SOURCE_WORDS for dates)."
            )
        out[row, : len(seq)] = [index[sym] for sym in seq]
    return out


def decode_padded(ids, symbols, sep: str = "") -> list[str]:
    """Inverse of :func:`encode_padded`: ids of shape ``(n, length)`` to ``n`` strings.

    Id ``0`` (padding) and ids above ``len(symbols)`` (e.g. start or end tokens) are skipped; the
    symbols of a row are joined with ``sep`` (``" "`` for tokens).
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"decode_padded: ids must have shape (n, length), got {ids.shape}.")
    symbols = list(symbols)
    return [sep.join(symbols[i - 1] for i in row if 0 < i <= len(symbols)) for row in ids]


# --- DTMF key tones (chapter 12) ------------------------------------------------------------------

#: The twelve keys of a telephone keypad, in reading order.
DTMF_KEYS = "123456789*0#"
#: Each key's (low, high) frequency in Hz: its keypad row and its column.
DTMF_FREQS = {
    key: (low, high)
    for low, row in zip((697, 770, 852, 941), ("123", "456", "789", "*0#"), strict=True)
    for high, key in zip((1209, 1336, 1477), row, strict=True)
}


def _seconds_range(value, name: str, where: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must be a pair (min_s, max_s), got {value!r}.") from None
    if not 0.0 <= low <= high:
        raise ValueError(f"{where}: {name} must satisfy 0 <= min_s <= max_s, got {value!r}.")
    return low, high


def dtmf_signal(
    keys: str,
    sample_rate: int = 8000,
    tone_s=(0.05, 0.12),
    gap_s=(0.03, 0.12),
    noise: float = 0.5,
    freq_jitter: float = 0.015,
    duration_s: float | None = None,
    rng=None,
) -> tuple[np.ndarray, np.ndarray]:
    """The tones of a key sequence as a telephone line would carry them, with random timing.

    Each key sounds as the sum of its two frequencies (:data:`DTMF_FREQS`, each off by up to
    ``freq_jitter`` of itself, with a random phase and a level drawn in ``[0.2, 0.5]``) for a
    duration drawn in ``tone_s``; a silence drawn in ``gap_s`` comes before each key and after the
    last. White Gaussian noise of standard deviation ``noise`` covers the whole signal.

    Args:
        keys: a string of characters from :data:`DTMF_KEYS` (may be empty).
        sample_rate: samples per second.
        tone_s, gap_s: ``(min_s, max_s)`` of each tone's and each silence's duration.
        noise: standard deviation of the added noise (>= 0).
        freq_jitter: relative frequency error, drawn uniformly in ``[-freq_jitter, freq_jitter]``.
        duration_s: if given, the signal is extended with noise to this many seconds (an error if
            the keys need longer).
        rng: ``None``, an int seed or a ``numpy.random.Generator``.

    Returns:
        ``(signal, spans)``: ``signal`` float32 of shape ``(n_samples,)``; ``spans`` int64 of shape
        ``(len(keys), 2)``, the first and one-past-last sample of each tone.
    """
    where = "dtmf_signal"
    if not isinstance(keys, str):
        raise TypeError(f"{where}: keys must be a str such as '0123#', got {type(keys).__name__}.")
    unknown = sorted(set(keys) - set(DTMF_KEYS))
    if unknown:
        raise ValueError(f"{where}: keys {unknown} are not DTMF keys; use {DTMF_KEYS!r}.")
    sample_rate = _int_at_least(sample_rate, "sample_rate", where, minimum=4000)
    tone_lo, tone_hi = _seconds_range(tone_s, "tone_s", where)
    gap_lo, gap_hi = _seconds_range(gap_s, "gap_s", where)
    if tone_lo * sample_rate < 1:
        raise ValueError(f"{where}: tone_s must allow at least one sample per tone, got {tone_s}.")
    if not noise >= 0 or not 0 <= freq_jitter < 0.5:
        raise ValueError(
            f"{where}: need noise >= 0 and 0 <= freq_jitter < 0.5, got {noise} and {freq_jitter}."
        )
    gen = _rng(where, rng)
    pieces, spans, position = [], [], 0
    for key in keys:
        gap = int(round(gen.uniform(gap_lo, gap_hi) * sample_rate))
        n_tone = max(1, int(round(gen.uniform(tone_lo, tone_hi) * sample_rate)))
        t = np.arange(n_tone) / sample_rate
        tone = np.zeros(n_tone)
        for freq in DTMF_FREQS[key]:
            f = freq * (1.0 + gen.uniform(-freq_jitter, freq_jitter))
            tone += gen.uniform(0.2, 0.5) * np.sin(2 * np.pi * f * t + gen.uniform(0, 2 * np.pi))
        pieces += [np.zeros(gap), tone]
        spans.append((position + gap, position + gap + n_tone))
        position += gap + n_tone
    pieces.append(np.zeros(int(round(gen.uniform(gap_lo, gap_hi) * sample_rate))))
    clean = np.concatenate(pieces) if pieces else np.zeros(0)
    if duration_s is not None:
        total = int(round(float(duration_s) * sample_rate))
        if total < clean.size:
            raise ValueError(
                f"{where}: these keys need {clean.size / sample_rate:.3f} s, more than "
                f"duration_s={duration_s}; give a longer duration_s or None."
            )
        clean = np.concatenate([clean, np.zeros(total - clean.size)])
    signal = clean + noise * gen.standard_normal(clean.size)
    return signal.astype(np.float32), np.array(spans, dtype=np.int64).reshape(len(keys), 2)


def spectrogram(signal, frame: int = 256, hop: int = 128) -> np.ndarray:
    """Log-magnitude short-time Fourier transform with a Hann window (NumPy only).

    Frame ``k`` covers samples ``k * hop`` to ``k * hop + frame - 1``; a signal of ``N >= frame``
    samples has ``1 + (N - frame) // hop`` frames (a shorter tail is dropped).

    Args:
        signal: float array of shape ``(N,)``.
        frame: samples per frame (window length), >= 2.
        hop: samples between the starts of two frames, >= 1.

    Returns:
        float32 array of shape ``(n_frames, frame // 2 + 1)``: ``log(|X| + 1e-6)`` where ``X`` is
        the FFT of each windowed frame. Bin ``j`` is the frequency ``j * sample_rate / frame``.
    """
    where = "spectrogram"
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{where}: signal must be 1-D (one channel), got shape {x.shape}.")
    frame = _int_at_least(frame, "frame", where, minimum=2)
    hop = _int_at_least(hop, "hop", where)
    if x.size < frame:
        raise ValueError(f"{where}: the signal has {x.size} samples, fewer than frame={frame}.")
    n_frames = 1 + (x.size - frame) // hop
    starts = hop * np.arange(n_frames)
    frames = x[starts[:, None] + np.arange(frame)[None, :]] * np.hanning(frame)
    return np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-6).astype(np.float32)


def dtmf_dataset(
    n_samples: int,
    min_keys: int = 3,
    max_keys: int = 7,
    sample_rate: int = 8000,
    frame: int = 256,
    hop: int = 128,
    max_hz: float = 1800.0,
    noise: float = 0.5,
    rng=None,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Spectrograms of random key sequences (:func:`dtmf_signal`) with their transcriptions.

    Every signal is extended with noise to the longest duration that ``max_keys`` keys can take,
    so all spectrograms have the same number of frames; ``lengths`` says where each one's last
    silence ends.

    Args:
        n_samples: number of examples.
        min_keys, max_keys: each example has a uniformly drawn number of keys in this range.
        sample_rate, noise: as in :func:`dtmf_signal`.
        frame, hop: as in :func:`spectrogram`.
        max_hz: keep the frequency bins up to this frequency (DTMF tones are below 1.5 kHz).
        rng: ``None``, an int seed or a ``numpy.random.Generator``.

    Returns:
        ``(spectrograms, labels, lengths)``: float32 of shape ``(n_samples, n_frames, n_bins)``
        (log magnitudes, see :func:`spectrogram`), a list of ``n_samples`` key strings, and int32
        of shape ``(n_samples,)``, the frames that cover each example's keys and the longest
        possible silence after them.
    """
    where = "dtmf_dataset"
    n_samples = _int_at_least(n_samples, "n_samples", where)
    min_keys = _int_at_least(min_keys, "min_keys", where, minimum=0)
    max_keys = _int_at_least(max_keys, "max_keys", where, minimum=max(min_keys, 1))
    sample_rate = _int_at_least(sample_rate, "sample_rate", where, minimum=4000)
    if not 0 < max_hz <= sample_rate / 2:
        raise ValueError(f"{where}: max_hz must be in (0, sample_rate / 2], got {max_hz}.")
    gen = _rng(where, rng)
    tone_s, gap_s = (0.05, 0.12), (0.03, 0.12)
    duration_s = max_keys * (tone_s[1] + gap_s[1]) + gap_s[1] + frame / sample_rate
    n_bins = int(max_hz * frame / sample_rate) + 1
    specs, labels, lengths = [], [], []
    for _ in range(n_samples):
        keys = "".join(gen.choice(list(DTMF_KEYS), size=gen.integers(min_keys, max_keys + 1)))
        signal, spans = dtmf_signal(keys, sample_rate, tone_s, gap_s, noise,
                                     duration_s=duration_s, rng=gen)
        spec = spectrogram(signal, frame, hop)[:, :n_bins]
        specs.append(spec)
        labels.append(keys)
        used = (spans[-1, 1] if len(keys) else 0) + int(gap_s[1] * sample_rate)
        lengths.append(min(spec.shape[0], 1 + max(0, -(-(used - frame) // hop))))
    return np.stack(specs), labels, np.array(lengths, dtype=np.int32)


def edit_distance(reference, hypothesis) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from one
    sequence to the other (strings or lists), by dynamic programming in ``O(len * len)``."""
    ref, hyp = list(reference), list(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def character_error_rate(references, hypotheses) -> float:
    """Total edit distance divided by the total length of the references (0 is perfect).

    Args:
        references, hypotheses: two lists of the same length of strings (or lists).
    """
    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses):
        raise ValueError(
            f"character_error_rate: {len(references)} references but {len(hypotheses)} "
            "hypotheses; pass one hypothesis per reference."
        )
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("character_error_rate: the references are all empty.")
    return sum(edit_distance(r, h) for r, h in zip(references, hypotheses, strict=True)) / total
