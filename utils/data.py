"""Corpora, text cleaning and character vocabularies.

Corpora are downloaded from pinned addresses and verified by SHA-256 (with ``pooch``) into a local
cache, and found there offline once the cache is seeded. The cache folder is, in order of
preference:

1. the folder named by the environment variable ``SEQUENCE_MODELS_DATA``;
2. the ``data/`` folder of this repository (what ``make data`` seeds);
3. pooch's per-user cache folder (for a non-editable install).

A cached file whose checksum is wrong is never used: :func:`corpus_path` raises
:class:`CorpusChecksumError`, which says which file, what was expected and how to fix it. A cache
folder that cannot be used (a file of that name, a folder that cannot be created or written) gives
a :class:`CorpusCacheError` that names it and says what to do.

:func:`read_text_file` reads a learner's own text file as UTF-8, with a sentence for each way it
can fail (no such file, a folder, empty, UTF-16 or UTF-32, not UTF-8), naming the ``iconv``
command that converts it.
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
    "CorpusCacheError",
    "CorpusChecksumError",
    "CorpusDownloadError",
    "Vocabulary",
    "cache_dir",
    "corpus_path",
    "fold_to_ascii",
    "load_text",
    "read_text_file",
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


class CorpusCacheError(RuntimeError):
    """The cache folder cannot be used: it is a file, or cannot be created or written."""


def _cache_problem(folder: Path, doing: str, error: OSError) -> CorpusCacheError:
    """The error that says why ``folder`` cannot serve as the cache, and what to do."""
    origin = ("named by SEQUENCE_MODELS_DATA" if os.environ.get("SEQUENCE_MODELS_DATA")
              else "the default")
    if folder.exists() and not folder.is_dir():
        why = "it is a file, not a folder"
    else:
        why = f"{doing} failed: {error.strerror or error}"
    return CorpusCacheError(
        f"The corpus cache folder {folder} ({origin}) cannot be used: {why}. Set "
        f"SEQUENCE_MODELS_DATA to a folder you can write (it is created if needed), or unset it "
        f"to use the default folder (the repository's data/)."
    )


def _writable_cache() -> Path:
    """The cache folder, created if needed and checked to be writable (CorpusCacheError if not)."""
    import tempfile

    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file of that name, a read-only parent
        raise _cache_problem(folder, "creating it", error) from None
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:  # a read-only folder, a full disk
        raise _cache_problem(folder, "writing a file in it", error) from None
    return folder


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
        CorpusCacheError: the file is not cached and the cache folder cannot be written.
    """
    corpus = _corpus(name)
    folder = cache_dir()
    path = folder / corpus.filename
    if folder.exists() and not folder.is_dir():
        raise _cache_problem(folder, "", FileExistsError(f"{folder} is a file"))
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

    folder = _writable_cache()
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


_BYTE_ORDER_MARKS = (  # the longest first: UTF-32-LE's mark begins with UTF-16-LE's
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)


def read_text_file(path: str | os.PathLike, what: str = "text file") -> str:
    """The text of a UTF-8 file (a UTF-8 byte-order mark is dropped), with a clear error for
    every file that is not one.

    Args:
        path: the file.
        what: what the file is, for the messages (``"--train"``, ``"text file"``).

    Raises:
        FileNotFoundError: there is no such file.
        IsADirectoryError: the path is a folder.
        PermissionError: the file cannot be read.
        ValueError: the file is empty, or not UTF-8; the message names the encoding it looks
            like (UTF-16 or UTF-32 by their byte-order mark or NUL bytes, otherwise Latin-1 or
            Windows-1252) and the ``iconv`` command that converts it.
    """
    import shlex

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{what}: {str(path)!r} is a folder, not a text file: name a "
                                f"file in it.")
    if not path.exists():
        raise FileNotFoundError(f"{what}: file not found: {str(path)!r}.")
    try:
        data = path.read_bytes()
    except OSError as error:  # no permission, a socket, a device
        raise type(error)(error.errno, f"{what}: {str(path)!r} cannot be read "
                                       f"({error.strerror or error})") from None
    if not data:
        raise ValueError(f"{what}: {str(path)!r} is empty: there is nothing to read.")
    convert = f"iconv -f {{}} -t UTF-8 {shlex.quote(str(path))} > converted.txt"
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            raise ValueError(
                f"{what}: {str(path)!r} is {encoding} text (it starts with the {encoding} "
                f"byte-order mark), not UTF-8. Convert it: `{convert.format(encoding)}`.")
    if b"\x00" in data:
        zeros = [data[i::4].count(0) / max(1, len(data[i::4])) for i in range(4)]  # by position
        guess = ("UTF-32LE" if min(zeros[1:]) > 0.5 else "UTF-32BE" if min(zeros[:3]) > 0.5
                 else "UTF-16LE" if zeros[1] + zeros[3] > zeros[0] + zeros[2] else "UTF-16BE")
        raise ValueError(
            f"{what}: {str(path)!r} holds NUL bytes, which UTF-8 text never has: probably "
            f"{guess} (UTF-16 or UTF-32 without a byte-order mark), or not a text file at all. "
            f"If it is text, convert it: `{convert.format(guess)}`.")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ValueError(
            f"{what}: {str(path)!r} is not UTF-8 (byte {data[error.start]:#04x} on line {line} "
            f"is not valid there). Probably Latin-1 or Windows-1252; convert it: "
            f"`{convert.format('WINDOWS-1252')}` (or -f LATIN1)."
        ) from None


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
    import tempfile

    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"seed_cache: {source} is not a folder.")
    folder = None
    copied = []
    for name, corpus in CORPORA.items():
        src, dst = source / corpus.filename, cache_dir() / corpus.filename
        if dst.is_file() or not src.is_file():
            continue
        if sha256_of(src) != corpus.sha256:
            print(f"seed_cache: {src} has the wrong SHA-256; not copied.")
            continue
        folder = folder or _writable_cache()
        # copy to a temporary file first: a copy cut short (a full disk) leaves no damaged corpus
        handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{corpus.filename}.")
        os.close(handle)
        try:
            shutil.copyfile(src, partial)
            os.replace(partial, dst)
        except OSError as error:
            Path(partial).unlink(missing_ok=True)
            raise _cache_problem(folder, f"copying {src.name} into it", error) from None
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
    if args.seed_from and not Path(args.seed_from).is_dir():
        print(f"--seed-from: {args.seed_from} is not a folder; nothing copied from it.")
    elif args.seed_from:
        try:
            for name in seed_cache(args.seed_from):
                print(f"copied {name} from {args.seed_from}")
        except CorpusCacheError as error:
            print(f"ERROR: {error}")
            return 1
    status = 0
    for name in CORPORA:
        try:
            path = corpus_path(name)
        except CorpusCacheError as error:  # the same for every corpus: say it once
            print(f"ERROR: {error}")
            return 1
        except (CorpusChecksumError, CorpusDownloadError) as error:
            print(f"ERROR: {error}")
            status = 1
        else:
            print(f"ok  {name:16s} {path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
