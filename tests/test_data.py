"""Tests of utils.data: checksums, the offline cache, cleaning and vocabularies."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from utils import data


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """An empty cache folder, used instead of the repository's data/."""
    monkeypatch.setenv("SEQUENCE_MODELS_DATA", str(tmp_path))
    return tmp_path


def test_cached_corpora_match_their_checksums():
    for name, corpus in data.CORPORA.items():
        path = data.corpus_path(name)
        assert data.sha256_of(path) == corpus.sha256, name


def test_wonderland_has_the_documented_length_and_no_licence_header():
    text = data.load_text("wonderland")
    assert len(text) == 144600
    assert "Project Gutenberg" not in text[:2000]
    assert text.rstrip().endswith("THE END")


def test_corrupted_corpus_is_detected_and_explained(tmp_cache):
    shutil.copyfile(_repo_copy("wonderland"), tmp_cache / "wonderland.txt")
    with open(tmp_cache / "wonderland.txt", "a", encoding="utf-8") as f:
        f.write("tampered")
    with pytest.raises(data.CorpusChecksumError) as info:
        data.corpus_path("wonderland")
    message = str(info.value)
    assert "wonderland.txt" in message
    assert data.CORPORA["wonderland"].sha256 in message
    assert "make data" in message


def test_missing_corpus_offline_gives_a_clear_error(tmp_cache, monkeypatch):
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(data.CorpusDownloadError) as info:
        data.corpus_path("tinyshakespeare")
    assert "tinyshakespeare.txt" in str(info.value)
    assert str(tmp_cache) in str(info.value)


def test_seed_cache_copies_only_verified_files(tmp_cache, tmp_path_factory):
    source = tmp_path_factory.mktemp("shared")
    shutil.copyfile(_repo_copy("wonderland"), source / "wonderland.txt")
    (source / "tinyshakespeare.txt").write_text("not the real file")
    assert data.seed_cache(source) == ["wonderland"]
    assert (tmp_cache / "wonderland.txt").is_file()
    assert not (tmp_cache / "tinyshakespeare.txt").exists()
    assert data.load_text("wonderland").startswith("[Illustration]")


def test_unknown_corpus_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="tinyshakespeare"):
        data.corpus_path("moby-dick")


def test_fold_to_ascii_keeps_apostrophes_and_quotes():
    assert data.fold_to_ascii("alice\u2019s \u201cdear\u201d \u2014 ok") == "alice's \"dear\" -- ok"
    assert data.fold_to_ascii("caf\u00e9 \u4e2d") == "cafe "
    assert data.fold_to_ascii("\u4e2d", replacement="?") == "?"
    with pytest.raises(TypeError):
        data.fold_to_ascii(b"bytes")


def test_load_text_preprocessing_like_the_source_tutorial():
    text = data.load_text("wonderland", ascii=True, lower=True, join_lines=True)
    assert text == text.lower()
    assert "\n" not in text
    assert all(ord(c) < 128 for c in text)
    assert "alice's" in text


def test_split_text_is_by_position():
    train, val = data.split_text("abcdefghij", val_fraction=0.2)
    assert (train, val) == ("abcdefgh", "ij")
    with pytest.raises(ValueError, match="val_fraction"):
        data.split_text("abc", val_fraction=1.5)
    with pytest.raises(ValueError, match="at least 2"):
        data.split_text("a")


def test_vocabulary_is_sorted_and_round_trips():
    vocab = data.Vocabulary.from_text("hello world")
    assert vocab.symbols == sorted(set("hello world"))
    ids = vocab.encode("hold")
    assert ids.dtype == np.int32
    assert vocab.decode(ids) == "hold"
    assert data.Vocabulary.from_json(vocab.to_json()).symbols == vocab.symbols
    assert "h" in vocab and "z" not in vocab


def test_vocabulary_names_unknown_symbols():
    vocab = data.Vocabulary.from_text("abc")
    with pytest.raises(KeyError, match="'x'"):
        vocab.encode("abxcx")
    with pytest.raises(KeyError, match="id 7"):
        vocab.decode([0, 7])
    with pytest.raises(ValueError, match="empty"):
        data.Vocabulary([])
    with pytest.raises(ValueError, match="distinct"):
        data.Vocabulary(["a", "a"])


def test_vocabulary_of_words():
    vocab = data.Vocabulary.from_text("the cat saw the dog".split())
    assert vocab.symbols == ["cat", "dog", "saw", "the"]
    assert vocab.encode(["the", "dog"]).tolist() == [3, 1]


def _repo_copy(name):
    """The verified corpus file from the repository's cache (seeded by `make data`)."""
    from pathlib import Path

    repo_data = Path(data.__file__).resolve().parent.parent / "data"
    return repo_data / data.CORPORA[name].filename


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ('"abc"', "JSON list of symbols, not str"),
        ('{"a": 1}', "JSON list of symbols, not dict"),
        ("[null]", "entry 0 is None, not a non-empty string"),
        ('["a", 3]', "entry 1 is 3"),
        ('["a", ""]', "entry 1 is ''"),
        ('["a", "b", "a"]', r"\['a'\] appear more than once"),
        ("[]", "list of symbols is empty"),
        ('["a", "b"', "not valid JSON"),
    ],
)
def test_vocabulary_from_json_names_the_file_and_the_fault(text, fault):
    with pytest.raises(ValueError, match=rf"'run/vocab.json' is damaged: .*{fault}"):
        data.Vocabulary.from_json(text, source="run/vocab.json")
    with pytest.raises(ValueError, match="the vocabulary JSON is damaged"):
        data.Vocabulary.from_json(text)


def test_vocabulary_from_json_of_characters_and_of_words():
    assert data.Vocabulary.from_json('["b", "a"]', chars=True).symbols == ["a", "b"]
    words = data.Vocabulary.from_text(["the", "cat"])
    assert data.Vocabulary.from_json(words.to_json()).symbols == ["cat", "the"]
    with pytest.raises(ValueError, match="entry 0 is 'cat', not a one-character string"):
        data.Vocabulary.from_json(words.to_json(), chars=True)
    with pytest.raises(TypeError, match="must be a str"):
        data.Vocabulary.from_json(b'["a"]')


# --- a cache folder that cannot be used ----------------------------------------------------------


def _refuse_writes_in(folder, monkeypatch):
    """Make ``folder`` behave as read-only (tests run as root, who may write anywhere)."""
    import tempfile

    def refuse(real):
        def call(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == folder:
                raise PermissionError(13, "Permission denied", str(folder))
            return real(*args, dir=dir, **kwargs)
        return call

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse(tempfile.TemporaryFile))
    monkeypatch.setattr(tempfile, "mkstemp", refuse(tempfile.mkstemp))


def test_a_cache_path_that_is_a_file_is_explained(tmp_path, monkeypatch, capsys):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file, not a folder")
    monkeypatch.setenv("SEQUENCE_MODELS_DATA", str(not_a_folder))
    with pytest.raises(data.CorpusCacheError, match=r"cache.*SEQUENCE_MODELS_DATA.*it is a file"):
        data.corpus_path("wonderland")
    assert data.main([]) == 1
    out = capsys.readouterr().out
    assert out.count("ERROR:") == 1 and "it is a file, not a folder" in out
    assert not_a_folder.read_text() == "a file, not a folder"  # nothing of the user's is lost


def test_a_read_only_cache_is_explained(tmp_cache, monkeypatch, capsys):
    import pooch

    _refuse_writes_in(tmp_cache, monkeypatch)
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("no download attempt"))
    with pytest.raises(data.CorpusCacheError, match=r"writing a file in it failed: Permission "
                                                    r"denied.*Set SEQUENCE_MODELS_DATA"):
        data.corpus_path("tinyshakespeare")
    shared = Path(_repo_copy("wonderland")).parent
    assert data.main(["--seed-from", str(shared)]) == 1
    out = capsys.readouterr().out
    assert "ERROR: The corpus cache folder" in out and "Traceback" not in out


def test_a_cache_folder_that_cannot_be_created_is_explained(tmp_path, monkeypatch):
    folder = tmp_path / "read-only" / "cache"
    monkeypatch.setenv("SEQUENCE_MODELS_DATA", str(folder))
    real_mkdir = Path.mkdir

    def read_only_parent(self, *args, **kwargs):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only_parent)
    with pytest.raises(data.CorpusCacheError, match="creating it failed: Permission denied"):
        data.corpus_path("wonderland")


def test_a_copy_cut_short_leaves_no_damaged_corpus(tmp_cache, monkeypatch, tmp_path_factory):
    source = tmp_path_factory.mktemp("shared")
    shutil.copyfile(_repo_copy("wonderland"), source / "wonderland.txt")

    def disk_full(src, dst):
        Path(dst).write_bytes(b"half a boo")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    with pytest.raises(data.CorpusCacheError, match="copying wonderland.txt into it failed: No "
                                                    "space left on device"):
        data.seed_cache(source)
    assert list(tmp_cache.iterdir()) == []


def test_seed_from_a_missing_folder_says_so(tmp_cache, monkeypatch, capsys):
    monkeypatch.setattr(data, "corpus_path", lambda name: tmp_cache / name)
    assert data.main(["--seed-from", str(tmp_cache / "nowhere")]) == 0
    assert "is not a folder; nothing copied" in capsys.readouterr().out


# --- a learner's own text file --------------------------------------------------------------------

TEXT = "Alice was beginning to get very tired, caf\u00e9 \u2019\n" * 3


@pytest.mark.parametrize(("encoding", "message"), [
    ("utf-16", r"is UTF-16 text .*`iconv -f UTF-16 -t UTF-8 .*t\.txt > converted\.txt`"),
    ("utf-32", r"is UTF-32 text .*`iconv -f UTF-32 -t UTF-8 "),
    ("utf-16-le", r"holds NUL bytes.*probably UTF-16LE.*`iconv -f UTF-16LE -t UTF-8 "),
    ("utf-16-be", r"holds NUL bytes.*probably UTF-16BE.*`iconv -f UTF-16BE -t UTF-8 "),
    ("utf-32-le", r"holds NUL bytes.*probably UTF-32LE.*`iconv -f UTF-32LE -t UTF-8 "),
    ("utf-32-be", r"holds NUL bytes.*probably UTF-32BE.*`iconv -f UTF-32BE -t UTF-8 "),
    ("cp1252", r"is not UTF-8 \(byte 0xe9 on line 1.*Latin-1 or Windows-1252.*-f WINDOWS-1252"),
])
def test_a_text_file_in_another_encoding_is_named_with_its_iconv(tmp_path, encoding, message):
    path = tmp_path / "t.txt"
    path.write_bytes(TEXT.encode(encoding))
    with pytest.raises(ValueError, match=f"--train: '.*t.txt' {message}"):
        data.read_text_file(path, what="--train")


def test_read_text_file_reads_utf8_and_names_what_is_not_a_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(TEXT.encode("utf-8-sig"))
    assert data.read_text_file(path) == TEXT  # the byte-order mark is dropped
    with pytest.raises(IsADirectoryError, match="is a folder, not a text file"):
        data.read_text_file(tmp_path)
    with pytest.raises(FileNotFoundError, match="file not found"):
        data.read_text_file(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        data.read_text_file(tmp_path / "empty.txt")
