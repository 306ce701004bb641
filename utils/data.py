"""Corpora, text cleaning and character vocabularies.

Corpora are downloaded from pinned addresses and verified by SHA-256 (with ``pooch``) into a local
cache, and found there offline once the cache is seeded. The cache folder is, in order of
preference:

1. the folder named by the environment variable ``SEQUENCE_MODELS_DATA``;
2. the ``data/`` folder of this repository (what ``make data`` seeds);
3. pooch's per-user cache folder (for a non-editable install).

A cached file whose checksum is wrong is never used: :func:`corpus_path` raises
:class:`CorpusChecksumError`, which says which file, what was expected and how to fix it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CORPORA",
    "Corpus",
    "CorpusChecksumError",
    "CorpusDownloadError",
    "Vocabulary",
    "cache_dir",
    "corpus_path",
    "fold_to_ascii",
    "load_text",
    "sha256_of",
    "seed_cache",
    "split_text",
]


@dataclass(frozen=True)
class Corpus:
    """A text corpus: where to get it and how to recognise it."""

    filename: str
    url: str
    sha256: str
    description: str


CORPORA: dict[str, Corpus] = {
    "wonderland": Corpus(
        filename="wonderland.txt",
        url=(
            "https://raw.githubusercontent.com/gutenbergbooks/11/"
            "5e5120e12a58a10254e0e6a42661d887e61c2aac/11-0.txt"
        ),
        sha256="f17aa0bf7466424a8b357b688678666bad7a0148963ef349016a3098faa6bd1e",
        description="Alice's Adventures in Wonderland, Lewis Carroll (Project Gutenberg #11), "
        "book text without the licence header and footer.",
    ),
    "tinyshakespeare": Corpus(
        filename="tinyshakespeare.txt",
        url=(
            "https://raw.githubusercontent.com/karpathy/char-rnn/"
            "6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt"
        ),
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        description="Tiny Shakespeare, Karpathy's char-rnn data set (1,115,394 characters).",
    ),
}


class CorpusChecksumError(RuntimeError):
    """A cached corpus file does not have the SHA-256 it should have."""


class CorpusDownloadError(RuntimeError):
    """A corpus is not in the cache and could not be downloaded."""


def cache_dir() -> Path:
    """The folder where corpora are cached (see the module docstring for the order)."""
    env = os.environ.get("SEQUENCE_MODELS_DATA")
    if env:
        return Path(env).expanduser()
    repo_data = Path(__file__).resolve().parent.parent / "data"
    if (repo_data / "README.md").is_file():
        return repo_data
    import pooch

    return Path(pooch.os_cache("sequence-models"))


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _corpus(name: str) -> Corpus:
    if not isinstance(name, str) or name not in CORPORA:
        known = ", ".join(sorted(CORPORA))
        raise ValueError(f"Unknown corpus {name!r}. Known corpora: {known}.")
    return CORPORA[name]


def corpus_path(name: str) -> Path:
    """The local path of a verified corpus, downloading it first if it is not cached.

    Args:
        name: one of ``CORPORA`` (``"wonderland"``, ``"tinyshakespeare"``).

    Raises:
        CorpusChecksumError: the cached file exists but its SHA-256 is wrong.
        CorpusDownloadError: the file is not cached and cannot be downloaded (offline?).
    """
    corpus = _corpus(name)
    folder = cache_dir()
    path = folder / corpus.filename
    if path.is_file():
        actual = sha256_of(path)
        if actual != corpus.sha256:
            raise CorpusChecksumError(
                f"The cached corpus {path} is corrupted or not the expected file:\n"
                f"  expected SHA-256 {corpus.sha256}\n"
                f"  found    SHA-256 {actual}\n"
                f"Delete it and run `make data` (which copies it from ../shared/data or downloads "
                f"it from {corpus.url}), or call utils.data.corpus_path({name!r}) online."
            )
        return path
    import pooch

    folder.mkdir(parents=True, exist_ok=True)
    try:
        fetched = pooch.retrieve(
            url=corpus.url,
            known_hash=f"sha256:{corpus.sha256}",
            fname=corpus.filename,
            path=folder,
            progressbar=False,
        )
    except ValueError as error:  # pooch: downloaded bytes with the wrong hash
        raise CorpusChecksumError(
            f"Downloaded {corpus.url} but its SHA-256 is not {corpus.sha256}; the file was not "
            f"kept. The address may have changed: see ../shared/data/README.md. ({error})"
        ) from error
    except Exception as error:  # network errors of every kind
        raise CorpusDownloadError(
            f"The corpus {name!r} is not in the cache folder {folder} and could not be "
            f"downloaded from {corpus.url} ({type(error).__name__}: {error}).\n"
            f"Offline? Copy {corpus.filename} into {folder} (for example `make data`, which "
            f"seeds it from ../shared/data/), or set SEQUENCE_MODELS_DATA to a folder that has it."
        ) from error
    return Path(fetched)


# Typographic characters and their ASCII stand-ins. The source tutorial decoded bytes as ASCII with
# errors ignored, which silently deleted these ("alice’s" became "alices"): we fold them instead.
ASCII_FOLDS = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (also the apostrophe)
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u2014": "--",  # em dash
    "\u2013": "-",  # en dash
    "\u2026": "...",  # ellipsis
    "\u00a0": " ",  # no-break space
    "\u00f9": "u",  # u with grave accent (one in Alice)
    "\u00e9": "e",
    "\u00e8": "e",
    "\u00e0": "a",
    "\ufeff": "",  # byte-order mark
}


def fold_to_ascii(text: str, replacement: str = "") -> str:
    """Replace typographic quotes, dashes and accents by ASCII, then drop what is left.

    Args:
        text: any string.
        replacement: what a non-ASCII character with no fold becomes (default: removed).

    Returns:
        A string of ASCII characters only.
    """
    if not isinstance(text, str):
        raise TypeError(f"fold_to_ascii: text must be a str, got {type(text).__name__}.")
    folded = text.translate(str.maketrans(ASCII_FOLDS))
    return "".join(ch if ord(ch) < 128 else replacement for ch in folded)


def load_text(
    name: str,
    *,
    ascii: bool = False,
    lower: bool = False,
    join_lines: bool = False,
) -> str:
    """Read a verified corpus as a ``str``.

    Args:
        name: a corpus name from ``CORPORA``.
        ascii: fold typographic characters to ASCII (see :func:`fold_to_ascii`).
        lower: lower-case the text.
        join_lines: strip each line, drop empty lines and join the rest with one space (the
            source tutorial's preprocessing).

    Returns:
        The text, decoded as UTF-8.
    """
    text = corpus_path(name).read_text(encoding="utf-8")
    if ascii:
        text = fold_to_ascii(text)
    if lower:
        text = text.lower()
    if join_lines:
        text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text


def split_text(text: Sequence, val_fraction: float = 0.1) -> tuple[Sequence, Sequence]:
    """Split a sequence by position: the first ``1 - val_fraction`` for training, the rest held out.

    Splitting by position (not by shuffled windows) keeps held-out text unseen in training.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"split_text: val_fraction must be in (0, 1), got {val_fraction}.")
    if len(text) < 2:
        raise ValueError(f"split_text: need at least 2 elements to split, got {len(text)}.")
    cut = min(max(1, int(round(len(text) * (1.0 - val_fraction)))), len(text) - 1)
    return text[:cut], text[cut:]


class Vocabulary:
    """A sorted character (or token) vocabulary with ``char_to_id`` / ``id_to_char`` maps.

    The symbols are sorted, so the ids are the same in every Python process (iterating a ``set``
    is not: its order changes with hash randomisation, one of the source tutorial's bugs).

    Example:
        >>> vocab = Vocabulary.from_text("hello")
        >>> vocab.symbols
        ['e', 'h', 'l', 'o']
        >>> vocab.encode("hole").tolist()
        [1, 3, 2, 0]
    """

    def __init__(self, symbols: Iterable):
        symbols = list(symbols)
        if not symbols:
            raise ValueError("Vocabulary: needs at least one symbol; got an empty sequence.")
        unique = sorted(set(symbols))
        if len(unique) != len(symbols):
            raise ValueError("Vocabulary: symbols must be distinct; use Vocabulary.from_text.")
        self.symbols = unique
        self.char_to_id = {s: i for i, s in enumerate(unique)}
        self.id_to_char = dict(enumerate(unique))

    @classmethod
    def from_text(cls, text: Iterable) -> Vocabulary:
        """The sorted set of symbols of ``text`` (a ``str`` gives characters)."""
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol) -> bool:
        return symbol in self.char_to_id

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} symbols)"

    def unknown(self, text: Iterable) -> list:
        """The distinct symbols of ``text`` that are not in the vocabulary, sorted."""
        return sorted({s for s in text if s not in self.char_to_id})

    def encode(self, text: Iterable):
        """Ids of ``text`` as an int32 NumPy array of shape ``(len(text),)``.

        Raises:
            KeyError: naming every symbol of ``text`` that is not in the vocabulary.
        """
        import numpy as np

        missing = self.unknown(text)
        if missing:
            raise KeyError(
                f"{len(missing)} symbol(s) not in the vocabulary: {missing[:20]!r}. "
                "Build the vocabulary from text that contains them, or remove them."
            )
        return np.fromiter((self.char_to_id[s] for s in text), dtype=np.int32)

    def decode(self, ids: Iterable[int]) -> str:
        """The string of the symbols with these ids (ids must be in ``range(len(self))``)."""
        out = []
        for i in ids:
            i = int(i)
            if i not in self.id_to_char:
                raise KeyError(f"id {i} is not in the vocabulary (valid ids: 0..{len(self) - 1}).")
            out.append(self.id_to_char[i])
        return "".join(out)

    def to_json(self) -> str:
        """The vocabulary as JSON text (a list of symbols), for saving beside a model."""
        import json

        return json.dumps(self.symbols, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None, chars: bool = False) -> Vocabulary:
        """Inverse of :meth:`to_json`: a JSON list of distinct, non-empty strings.

        Args:
            text: the JSON text.
            source: where the text comes from (a file name), named in error messages.
            chars: require one-character strings (a character vocabulary).

        Raises:
            ValueError: naming ``source`` and what is wrong (not JSON, not a list, an entry that
                is not a string, a repeated or empty entry).
        """
        import json

        where = f"{source!r}" if source else "the vocabulary JSON"
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.from_json: text must be a str, got {type(text).__name__}.")
        try:
            symbols = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{where} is damaged: not valid JSON ({error}).") from None
        if not isinstance(symbols, list):
            raise ValueError(f"{where} is damaged: it should hold a JSON list of symbols, not "
                             f"{type(symbols).__name__} ({text[:40]!r}).")
        if not symbols:
            raise ValueError(f"{where} is damaged: the list of symbols is empty.")
        for i, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not symbol or (chars and len(symbol) != 1):
                kind = "a one-character string" if chars else "a non-empty string"
                raise ValueError(f"{where} is damaged: entry {i} is {symbol!r}, not {kind}.")
        if len(set(symbols)) != len(symbols):
            repeated = sorted({s for s in symbols if symbols.count(s) > 1})
            raise ValueError(f"{where} is damaged: {repeated[:10]!r} appear more than once.")
        return cls(symbols)


def seed_cache(source: str | os.PathLike) -> list[str]:
    """Copy the corpora found in ``source`` into the cache, if their checksums are right.

    Used by ``make data`` to work offline: CI and course machines have the corpora in
    ``../shared/data/``. Files already cached are left alone; a file in ``source`` with the wrong
    checksum is reported and not copied.

    Returns:
        The names of the corpora copied.
    """
    import shutil

    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"seed_cache: {source} is not a folder.")
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for name, corpus in CORPORA.items():
        src, dst = source / corpus.filename, folder / corpus.filename
        if dst.is_file() or not src.is_file():
            continue
        if sha256_of(src) != corpus.sha256:
            print(f"seed_cache: {src} has the wrong SHA-256; not copied.")
            continue
        shutil.copyfile(src, dst)
        copied.append(name)
    return copied


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.data [--seed-from DIR]``: seed the cache, then verify every corpus."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m utils.data",
        description="Seed the corpus cache from a folder (optional), then fetch and verify "
        "every corpus by SHA-256.",
    )
    parser.add_argument("--seed-from", metavar="DIR", help="folder with corpus files to copy first")
    args = parser.parse_args(argv)
    if args.seed_from and Path(args.seed_from).is_dir():
        for name in seed_cache(args.seed_from):
            print(f"copied {name} from {args.seed_from}")
    status = 0
    for name in CORPORA:
        try:
            path = corpus_path(name)
        except (CorpusChecksumError, CorpusDownloadError) as error:
            print(f"ERROR: {error}")
            status = 1
        else:
            print(f"ok  {name:16s} {path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
