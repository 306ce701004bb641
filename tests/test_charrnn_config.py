"""Tests of utils.charrnn.config: the settings' rules: bad input and confusing input get clear
messages. Tiny models (tests/helpers.py's TINY, 16 units), so that the file runs in seconds."""

from __future__ import annotations

import pytest

from utils import charrnn

from helpers import TINY, tiny_text


def test_bad_input(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="file not found"):
        charrnn.train(tmp_path / "out", text_file=tmp_path / "missing.txt", epochs=1)
    with pytest.raises(ValueError, match="is a folder, not a text file"):
        charrnn.train(tmp_path / "out", text_file=tmp_path, epochs=1)
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        charrnn.train(tmp_path / "out", text_file=empty, epochs=1)
    short = tmp_path / "short.txt"
    short.write_text("hello world", encoding="utf-8")
    with pytest.raises(ValueError, match="shorter than one batch"):
        charrnn.train(tmp_path / "out", text_file=short, epochs=1)
    with pytest.raises(ValueError, match="cell"):
        charrnn.train(tmp_path / "out", text=tiny_text(), epochs=1, cell="rnn")
    with pytest.raises(ValueError, match="budget"):
        charrnn.train(tmp_path / "out", text=tiny_text())
    with pytest.raises(ValueError, match="dropout"):
        charrnn.train(tmp_path / "out", text=tiny_text(), epochs=1, dropout=1.0)
    with pytest.raises(FileNotFoundError, match="no trained model"):
        charrnn.sample(tmp_path, prime="a", length=3)
    assert charrnn.main(["evaluate", "--model", str(tmp_path), "--text", str(empty)]) == 2
    for argv in (["train", "--text", "x", "--out", "y", "--units", "-3"],
                 ["train", "--text", "x", "--out", "y", "--val-fraction", "1.5"],
                 ["train", "--text", "x", "--out", "y", "--dropout", "-0.1"],
                 ["train", "--text", "x", "--out", "y", "--cell", "rnn"],
                 ["sample", "--model", "m", "--temperature", "nan"]):
        with pytest.raises(SystemExit) as exit_info:
            charrnn.main(argv)
        assert exit_info.value.code == 2
    assert "must be an integer >= 1, got '-3'" in capsys.readouterr().err


def test_clear_messages_for_confusing_input(trained, text_file, tmp_path, capsys):
    for argv, message in (
            (["train", "--text", "x", "--out", "y", "--minutes", "inf"],
             "must be a finite number > 0, got 'inf'"),
            (["train", "--text", "x", "--out", "y", "--lr", "1e999"],
             "must be a finite number > 0, got '1e999'"),
            (["sample", "--model", "m", "--temperature", "inf"],
             "must be a finite number >= 0, got 'inf'"),
            (["train", "--text", "x", "--out", "y", "--epochs", "1.5"],
             "expected an integer, got '1.5'")):
        with pytest.raises(SystemExit):
            charrnn.main(argv)
        assert message in capsys.readouterr().err, argv
    # a UTF-16 file, with and without a byte-order mark (without one it is valid UTF-8)
    for encoding in ("utf-16", "utf-16-le"):
        wide = tmp_path / f"{encoding}.txt"
        wide.write_bytes(tiny_text().encode(encoding))
        with pytest.raises(ValueError, match=r"UTF-16.*not UTF-8|UTF-16LE .*iconv -f UTF-16"):
            charrnn.train(tmp_path / "out", text_file=wide, epochs=1)
    assert not (tmp_path / "out").exists()
    # another text (with another vocabulary) is blamed on the text, not on vocab_size
    other = tmp_path / "other.txt"
    other.write_text(tiny_text() + "XYZ!", encoding="utf-8")
    with pytest.raises(ValueError, match=r"trained on another text \([\d,]+ characters there, "
                                         r"[\d,]+ now; their SHA-256 differ\)") as info:
        charrnn.train(trained, text_file=other, epochs=3, log=lambda line: None, **TINY)
    assert "vocab_size" not in str(info.value)
    # --model naming a file is not told about --out
    weights = next(trained.glob("best-*.weights.h5"))
    assert charrnn.main(["evaluate", "--model", str(weights), "--text", str(text_file)]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a run directory: --model takes the directory" in err
    assert "choose a directory for the run" not in err
