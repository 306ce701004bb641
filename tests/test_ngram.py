"""Tests of utils.ngram: normalisation, agreement with a naive reference, unknown tokens, CLI."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from utils.ngram import SMOOTHINGS, NGramLM, _modified_discounts, main

TEXT = "the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat."


# ------------------------------------------------------------------------------------------
# a naive, dictionary-based reference of the same formulas (slow, obviously correct)
def reference_prob(lm: NGramLM, train, token, context) -> float:
    """p(token | context) computed from Python dicts, for the model's smoothing and discounts."""
    train = list(train)
    vocab = sorted(set(train))
    V = len(vocab) + 1
    n = lm.order
    context = tuple(context)[max(0, len(context) - (n - 1)):]
    raw = [Counter() for _ in range(n)]  # raw[j][(h, w)] with len(h) == j
    left = [defaultdict(set) for _ in range(n)]  # left[j][(h, w)] = distinct tokens before h w
    for t in range(len(train)):
        for j in range(min(t, n - 1) + 1):
            key = (tuple(train[t - j:t]), train[t])
            raw[j][key] += 1
            if t - j - 1 >= 0:
                left[j][key].add(train[t - j - 1])
    longest = len(context)
    p = 1.0 / V
    for j in range(longest + 1):
        h = context[len(context) - j:] if j else ()
        if lm.smoothing == "kneser-ney" and j < n - 1:
            counts = {k: len(v) for k, v in left[j].items() if k[0] == h}
        else:
            counts = {k: c for k, c in raw[j].items() if k[0] == h}
        total = sum(counts.values())
        c = counts.get((h, token), 0)
        if lm.smoothing == "add-k":
            if j == longest:
                p = (c + lm.k) / (total + lm.k * V)
            continue
        if total == 0:
            continue
        if lm.smoothing == "mle":
            p = c / total
        elif lm.smoothing == "interpolated":
            distinct = sum(1 for v in counts.values() if v > 0)
            p = (c + distinct * p) / (total + distinct)
        else:
            D = lm._levels[j].discounts

            def disc(x, D=D):
                return 0.0 if x == 0 else min(x, D[min(x, 3) - 1])

            gamma = sum(disc(v) for v in counts.values())
            p = (c - disc(c) + gamma * p) / total
    return p


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_naive_reference(smoothing, order):
    lm = NGramLM(order, smoothing=smoothing, k=0.5).fit(TEXT)
    for ctx in ["", "t", "th", "the", "he c", "xyz", " a", "zzz t"]:
        for tok in sorted(set(TEXT)):
            assert lm.prob(tok, ctx) == pytest.approx(reference_prob(lm, TEXT, tok, ctx), abs=1e-12)


def test_single_discount_reference_on_words():
    words = TEXT.split()
    lm = NGramLM(3, smoothing="kneser-ney", discount=0.1).fit(words)
    assert np.allclose(lm._levels[0].discounts, 0.1)
    for ctx in [(), ("the",), ("sat", "on"), ("on", "the"), ("unseen", "the")]:
        for tok in set(words):
            assert lm.prob(tok, ctx) == pytest.approx(reference_prob(lm, words, tok, ctx))


# ------------------------------------------------------------------------------------------
# normalisation: every context gives a distribution over the V symbols
@settings(max_examples=60, deadline=None)
@given(
    train=st.text(alphabet="abcde ", min_size=1, max_size=60),
    context=st.text(alphabet="abcdefz ", max_size=8),
    order=st.integers(1, 6),
    smoothing=st.sampled_from(["kneser-ney", "interpolated", "add-k"]),
    discount=st.one_of(st.none(), st.floats(0.05, 1.0)),
)
def test_probabilities_sum_to_one(train, context, order, smoothing, discount):
    assume(order <= len(train))
    kwargs = {"discount": discount} if smoothing == "kneser-ney" else {}
    lm = NGramLM(order, smoothing=smoothing, k=0.3, **kwargs).fit(train)
    dist = lm.distribution(context)
    assert dist.shape == (len(lm.vocabulary) + 1,)
    assert np.all(dist > 0)  # smoothed models never give zero probability
    assert math.isclose(dist.sum(), 1.0, rel_tol=1e-9)
    by_token = [lm.prob(tok, context) for tok in lm.vocabulary] + [lm.prob(lm.UNK, context)]
    assert math.isclose(sum(by_token), 1.0, rel_tol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    train=st.lists(st.sampled_from(["a", "b", "the", "cat", "."]), min_size=1, max_size=40),
    context=st.lists(st.sampled_from(["a", "b", "the", "dog"]), max_size=5),
    order=st.integers(1, 4),
)
def test_mle_sums_to_one_over_seen_tokens(train, context, order):
    assume(order <= len(train))
    lm = NGramLM(order, smoothing="mle").fit(train)
    dist = lm.distribution(context)
    assert math.isclose(dist.sum(), 1.0, rel_tol=1e-9)
    assert dist[lm.unk_id] == 0.0


@settings(max_examples=40, deadline=None)
@given(
    train=st.text(alphabet="abcd", min_size=1, max_size=50),
    held=st.text(alphabet="abcdx", min_size=1, max_size=30),
    order=st.integers(1, 5),
    smoothing=st.sampled_from(SMOOTHINGS),
)
def test_cross_entropy_is_mean_of_prob(train, held, order, smoothing):
    """cross_entropy scores token t with the (up to n - 1) tokens before it inside ``held``."""
    assume(order <= len(train))
    lm = NGramLM(order, smoothing=smoothing).fit(train)
    probs = [lm.prob(held[t], held[max(0, t - order + 1):t]) for t in range(len(held))]
    with np.errstate(divide="ignore"):
        expected = float(-np.mean(np.log2(probs)))
    got = lm.cross_entropy(held)
    if math.isinf(expected):
        assert math.isinf(got) and smoothing == "mle"
    else:
        assert got == pytest.approx(expected, rel=1e-9)
        assert lm.perplexity(held) == pytest.approx(2.0**expected, rel=1e-9)


# ------------------------------------------------------------------------------------------
def test_hand_computed_values():
    assert NGramLM(2, smoothing="add-k", k=1.0).fit("abab").prob("b", "a") == pytest.approx(0.6)
    mle = NGramLM(2, smoothing="mle").fit("abcab")
    assert mle.prob("b", "a") == 1.0
    assert mle.prob("c", "b") == 1.0  # "b" is followed once, by "c"
    assert mle.prob("a", "") == pytest.approx(2 / 5)
    assert mle.prob("a", "z") == pytest.approx(2 / 5)  # unseen context: shorter context
    uni = NGramLM(1, smoothing="mle").fit(["x", "y", "x"])
    expected = -(math.log2(2 / 3) + math.log2(1 / 3)) / 2
    assert uni.cross_entropy(["x", "y"]) == pytest.approx(expected)


def test_modified_discounts_formula():
    counts = np.array([1] * 10 + [2] * 4 + [3] * 2 + [4] * 1)
    y = 10 / (10 + 2 * 4)
    expected = [1 - 2 * y * 4 / 10, 2 - 3 * y * 2 / 4, 3 - 4 * y * 1 / 2]
    assert np.allclose(_modified_discounts(counts), expected)
    assert np.allclose(_modified_discounts(np.array([5, 5])), [0.5, 1.0, 1.5])  # fallback


def test_unknown_tokens_get_the_unk_share_or_an_error():
    lm = NGramLM(3).fit("abcabcabd")
    h = lm.cross_entropy("abXYab")
    assert math.isfinite(h)
    assert lm.prob("X", "ab") == lm.prob(lm.UNK, "ab") > 0
    strict = NGramLM(3, unknown="error").fit("abcabcabd")
    with pytest.raises(KeyError, match=r"'X', 'Y'"):
        strict.cross_entropy("abXYab")
    assert math.isfinite(strict.cross_entropy("abcab"))
    assert NGramLM(2, smoothing="mle").fit("abab").cross_entropy("abz") == math.inf


def test_words_and_unsortable_tokens():
    words = TEXT.split()
    lm = NGramLM(2).fit(words)
    assert lm.vocabulary == sorted(set(words))
    assert math.isfinite(lm.cross_entropy(["the", "cat", "flew"]))
    mixed = [1, "a", (2, 3), 1, "a"]
    lm2 = NGramLM(2, smoothing="interpolated").fit(mixed)
    assert lm2.vocabulary == [1, "a", (2, 3)]
    assert lm2.prob("a", [1]) > lm2.prob((2, 3), [1])


def test_generate():
    lm = NGramLM(3).fit(TEXT)
    out = lm.generate(50, context="the ", rng=0)
    assert isinstance(out, str) and len(out) == 50 and set(out) <= set(TEXT)
    assert out == lm.generate(50, context="the ", rng=np.random.default_rng(0))
    words = NGramLM(2).fit(TEXT.split()).generate(10, rng=1)
    assert isinstance(words, list) and len(words) == 10 and NGramLM.UNK not in words
    assert lm.generate(0) == ""
    mle = NGramLM(4, smoothing="mle").fit("abcabcabc")
    assert mle.generate(9, context="ab", rng=0) == "cabcabcab"  # deterministic under MLE


def test_num_contexts_and_memory():
    lm = NGramLM(3).fit("abcabd")
    assert lm.num_contexts() == len({"abcabd"[i:i + 2] for i in range(4)})  # ab, bc, ca, (ab)
    assert lm.num_ngrams() == 4  # abc, bca, cab, abd
    assert lm.nbytes() > 0
    assert NGramLM(1).fit("aab").num_contexts() == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"order": 0}, ValueError, "order must be >= 1"),
        ({"order": 2.5}, TypeError, "order must be an int"),
        ({"order": True}, TypeError, "order must be an int"),
        ({"order": 2, "smoothing": "good-turing"}, ValueError, "smoothing must be one of"),
        ({"order": 2, "smoothing": "add-k", "k": -1}, ValueError, "k must be >= 0"),
        ({"order": 2, "smoothing": "add-k", "k": 0}, ValueError, "use smoothing='mle'"),
        ({"order": 2, "discount": 1.5}, ValueError, "discount must be"),
        ({"order": 2, "smoothing": "mle", "discount": 0.5}, ValueError, "only used with"),
        ({"order": 2, "unknown": "ignore"}, ValueError, "unknown must be"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        NGramLM(**kwargs)


def test_bad_data_and_usage():
    with pytest.raises(ValueError, match="training data is empty"):
        NGramLM(2).fit("")
    with pytest.raises(ValueError, match="training data is empty"):
        NGramLM(2).fit([])
    with pytest.raises(TypeError, match="decode bytes"):
        NGramLM(2).fit(b"abc")
    with pytest.raises(RuntimeError, match="call .fit"):
        NGramLM(2).cross_entropy("abc")
    lm = NGramLM(2).fit("abc")
    with pytest.raises(ValueError, match="tokens is empty"):
        lm.cross_entropy("")
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        lm.generate(-1)
    with pytest.raises(ValueError, match="one character"):
        lm.prob("ab", "a")
    word_lm = NGramLM(2).fit(["the", "cat"])
    with pytest.raises(TypeError, match="fitted on a list of tokens"):
        word_lm.prob("cat", "the")


def test_tiny_shakespeare_five_gram_target():
    """The benchmark's goal, as a regression test: 5-gram modified KN <= 2.30 bpc."""
    from utils import data

    train, valid = data.split_text(data.load_text("tinyshakespeare"), val_fraction=0.1)
    bpc = NGramLM(5).fit(train).cross_entropy(valid)
    assert 2.0 < bpc <= 2.30


# ------------------------------------------------------------------------------------------
def test_command_line(tmp_path, capsys):
    train = tmp_path / "train.txt"
    held = tmp_path / "eval.txt"
    train.write_text(TEXT * 5, encoding="utf-8")
    held.write_text("the cat sat on the log.", encoding="utf-8")
    assert main(["--order", "3", "--train", str(train), "--eval", str(held)]) == 0
    out = capsys.readouterr().out
    expected = NGramLM(3).fit(TEXT * 5).cross_entropy("the cat sat on the log.")
    assert out.startswith(f"{expected:.4f} bits per character")
    assert main(["--order", "2", "--words", "--train", str(train), "--eval", str(held)]) == 0
    assert "bits per word" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--order", "0"], "--order must be >= 1"),
        (["--train", "MISSING.txt"], "--train: file not found"),
        (["--eval", "MISSING.txt"], "--eval: file not found"),
    ],
)
def test_command_line_errors(tmp_path, capsys, args, message):
    train = tmp_path / "train.txt"
    train.write_text(TEXT, encoding="utf-8")
    base = {"--order": "3", "--train": str(train), "--eval": str(train)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    with pytest.raises(SystemExit) as exit_info:
        main([x for pair in base.items() for x in pair])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_module_runs_as_a_script(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text(TEXT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "utils.ngram", "--order", "2", "--train", str(f), "--eval", str(f)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "bits per character" in result.stdout


def test_orders_beyond_the_text_and_memory_are_refused():
    with pytest.raises(ValueError, match=r"order 12 is longer than the training data \(11 tok"):
        NGramLM(12).fit("hello world")
    with pytest.raises(ValueError, match="longer than the training data"):
        NGramLM(10**19).fit("hello world")  # refused at once, not counted
    assert NGramLM(11).fit("hello world").num_ngrams() == 1
    # 20k tokens, order 10000: about 6 GB of counts, refused before counting
    need = NGramLM.estimate_bytes(20_000, 10_000)
    assert need > 5 * 2**30
    with pytest.raises(MemoryError, match=r"order-10,000 model of 20,000 tokens may need up to "
                                          r"\d+\.\d GiB.*max_bytes"):
        NGramLM(10_000).fit("ab" * 10_000)
    with pytest.raises(MemoryError, match="limit of 0.0 GiB"):
        NGramLM(2).fit("abc", max_bytes=1000)
    assert NGramLM(2).fit("abc", max_bytes=None).num_ngrams() == 2
    # the estimate is an upper bound of what the model keeps
    lm = NGramLM(4).fit(TEXT * 20)
    assert lm.nbytes() < NGramLM.estimate_bytes(len(TEXT) * 20, 4)


def test_a_literal_unk_token_is_the_reserved_symbol():
    words = "the <unk> sat on the mat . the cat sat on the <unk> .".split()
    lm = NGramLM(2, smoothing="interpolated").fit(words)
    assert lm.UNK not in lm.vocabulary and lm.V == len(set(words))
    held = "the <unk> sat on the dog".split()
    probs = [lm.prob(held[t], held[max(0, t - 1):t]) for t in range(len(held))]
    assert lm.cross_entropy(held) == pytest.approx(-np.mean(np.log2(probs)), rel=1e-12)
    assert lm.prob("<unk>", ["the"]) == lm.prob("dog", ["the"]) > lm.prob("dog", ["cat"])
    dist = lm.distribution(["the"])
    assert dist.sum() == pytest.approx(1.0) and dist[lm.unk_id] == lm.prob("<unk>", ["the"])
    strict = NGramLM(2, unknown="error").fit(words)
    assert strict.cross_entropy(["the", "<unk>"]) > 0  # the literal is not an unseen token
    with pytest.raises(KeyError, match="dog"):
        strict.cross_entropy(["the", "dog"])
    with pytest.raises(ValueError, match="every training token is '<unk>'"):
        NGramLM(1).fit(["<unk>", "<unk>"])
    assert "<unk>" not in lm.generate(50, rng=0)


def test_command_line_checks_k_only_for_add_k_and_refuses_long_orders(tmp_path, capsys):
    f = tmp_path / "t.txt"
    f.write_text("hello world", encoding="utf-8")
    base = ["--train", str(f), "--eval", str(f)]
    assert main(base + ["--order", "2", "--k", "-1"]) == 0  # Kneser-Ney ignores k
    capsys.readouterr()
    for args, message in [(["--smoothing", "add-k", "--k", "-1"], "--k must be a finite"),
                          (["--order", "1000000"], "order 1,000,000 is longer than"),
                          (["--order", "99999999999999999999"], "longer than the training"),
                          (["--order", "5", "--max-memory-gb", "1e-9"], "may need up to")]:
        with pytest.raises(SystemExit) as exit_info:
            main(base + args)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--train", "{dir}"], "--train: '{dir}' is a folder, not a text file"),
    (["--eval", "{dir}"], "--eval: '{dir}' is a folder, not a text file"),
    (["--train", "{utf16}"], "is UTF-16 text (it starts with the UTF-16 byte-order mark), not "
                             "UTF-8. Convert it: `iconv -f UTF-16 -t UTF-8"),
    (["--eval", "{latin1}"], "Probably Latin-1 or Windows-1252; convert it: `iconv -f "
                             "WINDOWS-1252 -t UTF-8"),
    (["--max-memory-gb", "nan"], "--max-memory-gb must be a number > 0 (or inf for no limit)"),
    (["--max-memory-gb", "0"], "--max-memory-gb must be a number > 0"),
])
def test_command_line_says_what_is_wrong_with_a_file_or_a_limit(tmp_path, capsys, args, message):
    train = tmp_path / "train.txt"
    train.write_text(TEXT, encoding="utf-8")
    (tmp_path / "u16.txt").write_text(TEXT, encoding="utf-16")
    (tmp_path / "l1.txt").write_bytes("caf\u00e9 ".encode("latin-1") * 5)
    names = {"dir": str(tmp_path), "utf16": str(tmp_path / "u16.txt"),
             "latin1": str(tmp_path / "l1.txt")}
    base = {"--order": "3", "--train": str(train), "--eval": str(train)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value.format(**names)
    with pytest.raises(SystemExit) as exit_info:
        main([x for pair in base.items() for x in pair])
    assert exit_info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message.format(**names) in err and "Traceback" not in err


def test_command_line_takes_an_infinite_memory_limit_as_none(tmp_path, capsys):
    f = tmp_path / "t.txt"
    f.write_text(TEXT, encoding="utf-8")
    assert main(["--order", "3", "--train", str(f), "--eval", str(f),
                 "--max-memory-gb", "inf"]) == 0
    assert "bits per character" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------
# token_probs: every token's probability, for per-token losses and mixtures
@settings(max_examples=30, deadline=None)
@given(
    train=st.text(alphabet="abcd", min_size=1, max_size=50),
    held=st.text(alphabet="abcdx", min_size=1, max_size=30),
    before=st.text(alphabet="abcd", max_size=8),
    order=st.integers(1, 5),
    smoothing=st.sampled_from(SMOOTHINGS),
)
def test_token_probs_are_prob_one_token_at_a_time(train, held, before, order, smoothing):
    """Token t is scored with the n - 1 tokens before it, read from ``context`` then ``held``."""
    assume(order <= len(train))
    lm = NGramLM(order, smoothing=smoothing).fit(train)
    full = before + held
    expected = [lm.prob(full[t], full[max(0, t - order + 1):t])
                for t in range(len(before), len(full))]
    got = lm.token_probs(held, context=before)
    assert got.shape == (len(held),)
    assert np.allclose(got, expected, rtol=1e-12, atol=0)
    assert np.array_equal(lm.token_probs(list(held), context=list(before)), got)


def test_token_probs_use_the_context_and_average_to_the_cross_entropy():
    lm = NGramLM(4, smoothing="kneser-ney").fit(TEXT)
    held = "the cat sat on the log."
    alone, after = lm.token_probs(held), lm.token_probs(held, context="met on a mat. ")
    assert float(-np.mean(np.log2(alone))) == pytest.approx(lm.cross_entropy(held), rel=1e-12)
    assert not np.allclose(alone[:3], after[:3])      # the first n - 1 tokens see the context
    assert np.array_equal(alone[3:], after[3:])       # later ones see only the held-out text
    long_context = "x" * 50 + "met on a mat. "        # only its last n - 1 tokens count
    assert np.array_equal(lm.token_probs(held, context=long_context), after)
    words = TEXT.split()
    wlm = NGramLM(3).fit(words)
    got = wlm.token_probs(["the", "cat", "sat"], context=["on", "a"])
    assert got[0] == pytest.approx(wlm.prob("the", ["on", "a"]), rel=1e-12)


@pytest.mark.parametrize("tokens, context, error, match", [
    ("", (), ValueError, "tokens is empty"),
    (b"abc", (), TypeError, "decode bytes"),
    ("abc", b"ab", TypeError, "decode bytes"),
    (42, (), TypeError, "must be a str or a sequence"),
    ("abc", 7, TypeError, "must be a str or a sequence"),
])
def test_token_probs_refuse_bad_input(tokens, context, error, match):
    lm = NGramLM(3).fit(TEXT)
    with pytest.raises(error, match=match):
        lm.token_probs(tokens, context=context)
    with pytest.raises(RuntimeError, match="call .fit"):
        NGramLM(3).token_probs("abc")
