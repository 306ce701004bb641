"""Sentences that a chapter's numbers choose, tried on many made-up runs.

Some hidden cells write a result in words: which digit goes wrong (ch11), whether the GRU is
faster (ch9), what the mixture gains (ch14), which way of running a
recurrence is fastest (ch15). A chapter's own run takes one branch of such a
cell; a reader's machine may take another. Here each cell runs, as the chapter has it, on
hundreds of made-up inputs: every branch must run, and every sentence must read as one
(no "None", "nan" or stray braces, a full stop at the end). A branch the made-up inputs never
reach fails the test, so that a change which cuts one off is noticed.
"""
import ast
import math
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from helpers import cell_source, notebook_cell

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def run_hidden_cell(notebook: str, cell_id: str, names: dict) -> tuple[dict, list]:
    """Run one cell of a chapter with `names` as its inputs; return (glued values, shown texts)."""
    source = cell_source(notebook_cell(CHAPTERS / notebook, cell_id))
    glued, shown = {}, []
    space = {"np": np, **names,
             "glue": lambda name, value, display=True: glued.__setitem__(name, value),
             "display": shown.append, "Markdown": str}
    exec(compile(source, f"{notebook}:{cell_id}", "exec"), space)  # noqa: S102
    return glued, shown


def cell_function(notebook: str, cell_id: str, name: str):
    """The function `name` defined at the top level of one cell of a chapter, alone."""
    tree = ast.parse(cell_source(notebook_cell(CHAPTERS / notebook, cell_id)))
    (definition,) = [node for node in tree.body
                     if isinstance(node, ast.FunctionDef) and node.name == name]
    space = {"np": np}
    exec(compile(ast.Module([definition], []), f"{notebook}:{cell_id}", "exec"), space)  # noqa: S102
    return space[name]


def assert_reads_as_sentences(text: str) -> None:
    bad = re.search(r"None|\bnan\b|\binf\b|[{}]|  |\.\.(?!\.)|\s[.,;:]", text)
    assert bad is None, f"{bad.group(0)!r} in: {text}"
    assert text.rstrip().endswith((".", ".)")), f"no full stop at the end: {text}"


def assert_every_branch_reached(texts: list[str], phrases: list[str]) -> None:
    missed = [p for p in phrases if not any(p in t for t in texts)]
    assert not missed, f"branches never taken by the made-up runs: {missed}"


# ---- chapter 9: is the GRU faster than the LSTM? -------------------------------------------

def made_up_timings(rng):
    """Five repeats in ms for each (layer, width), as chapter 9's timing cell gives them.
    One run in ten is on a machine whose repeats spread so widely that most ranges overlap;
    one in ten is like a GPU, where the LSTM and the GRU have fused kernels and the
    SimpleRNN may be the slowest."""
    widths, runs = [16, 128], ({}, {})
    wavering, fused = rng.random() < 0.1, rng.random() < 0.1
    for H in widths:
        for times in runs:
            lstm = rng.lognormal(0, 1)
            rnn = rng.uniform(0.03, 3.0 if fused else 0.8)
            for kind, factor in [("LSTM", 1.0), ("GRU", rng.uniform(0.3, 1.6)),
                                 ("SimpleRNN", rnn)]:
                spread = 3.0 if wavering else rng.choice([0.01, 0.1, 0.6])
                times[(kind, H)] = lstm * factor * (1 + spread * rng.random(5))
    return widths, runs


def test_chapter_9_speed_sentences_on_made_up_timings():
    rng, texts = np.random.default_rng(0), []
    for _ in range(400):
        widths, (train_runs, predict_runs) = made_up_timings(rng)
        train_ms = {k: np.median(t) for k, t in train_runs.items()}
        predict_ms = {k: np.median(t) for k, t in predict_runs.items()}
        ratios = {(name, H): times[("GRU", H)] / times[("LSTM", H)]
                  for name, times in [("train", train_ms), ("predict", predict_ms)]
                  for H in widths}
        glued, _ = run_hidden_cell("09_gru.ipynb", "abf76557", dict(
            widths=widths, train_runs=train_runs, predict_runs=predict_runs,
            train_ms=train_ms, predict_ms=predict_ms, ratios=ratios,
            load_before=rng.uniform(0, 4), machine_info=lambda: {"cores available": 2},
            batch=100, updates=10))
        for name in ["gru-speed-train", "gru-speed-predict", "gru-speed-madd",
                     "gru-speed-rnn", "gru-speed-phases", "gru-speed-load", "gru-speed-summary",
                     "gru-speed-ratio-range"]:
            assert_reads_as_sentences(glued[name])
            texts.append(glued[name])
    assert_every_branch_reached(texts, [
        "overlapped at both widths", "the GRU was faster", "the GRU was slower",
        "could not separate them in any", "could not be told apart",
        "even the SimpleRNN's slowest", "even the SimpleRNN's fastest",
        "In all four, even the SimpleRNN's fastest", "cannot place that ratio against 0.25",
        "cannot place those ratios", "cannot place any of the ratios",
        "had a median below 0.25", "Its median was", "Their medians were",
        "even at the lowest", "Either way, these ratios", "Nor do these ratios",
        "in none was the GRU's range clear", "the GRU's range was clear of 0.75",
        "separated no time ratio", "but not shown to lie above 1", "(never past 1);",
        "was past 1, but its range", "were past 1, but their ranges",
        "The GRU's training at H = 16 lay even above 1", "The SimpleRNN's",
        "the GRU was faster than the LSTM in inference, so this extra cost",
        "Below its multiply-add value lay", "at both widths the GRU was faster",
        "at both widths the GRU was slower", "By our rule, at H =",
        "in both training and inference.", "Since no comparison was separated",
        "in inference or in both, this run", "cannot say whether the GRU's speed relative",
        "(but not past 1).", "which no such shared cost can do",
        "A cost per step that every layer pays alike would do that: it pulls a ratio from",
        "slowest repeat took less than 0.75", "fastest repeat took more than 0.75",
        "at both widths, even the GRU's", "In all four comparisons, even the GRU's",
        "cannot show that any ratio lies", "The machine wavered", "stayed close together"])


# ---- chapter 11: which digit of the date goes wrong? ---------------------------------------

def made_up_dates(rng, n=600):
    """Held-out targets YYYY-MM-DD, and outputs with digits wrong at made-up rates."""
    first = date(1950, 1, 1)
    truth = [(first + timedelta(days=int(d))).isoformat()
             for d in rng.integers(0, 30_000, n)]
    rates = {k: rng.choice([0, 0.003, 0.03, 0.2]) for k in (0, 3, 5, 6, 8, 9)}
    after_tens = rng.choice([0, 0, 0.3])  # the ones digit lost after a tens word only
    one_word = rng.choice([0, 0.1])  # the ones digit lost on one-word days only
    pred = []
    for t in truth:
        p = list(t)
        for k, rate in rates.items():
            if rng.random() < rate:
                p[k] = rng.choice([c for c in "0123456789" if c != t[k]])
        if int(t[8:]) in [*range(21, 30), 31] and rng.random() < after_tens:
            p[9] = rng.choice([c for c in "0123456789" if c != t[9]])
        elif int(t[8:]) not in [*range(21, 30), 31] and rng.random() < one_word:
            p[9] = rng.choice([c for c in "0123456789" if c != t[9]])
        if rng.random() < rates[6]:  # a month that holds the day's number
            p[5:7] = t[8:10]
        pred.append("".join(p))
    return pred, truth


def chapter_11_inputs(pred, truth):
    """The names that chapter 11's digit cell reads, computed as the chapter does."""
    def rate(k):
        return float(np.mean([p[k] != t[k] for p, t in zip(pred, truth, strict=True)]))
    month_wrong = [i for i, (p, t) in enumerate(zip(pred, truth, strict=True))
                   if p[5:7] != t[5:7]]
    return dict(
        pred_plain=pred, tgt_val=truth,
        digit_errors={"month tens": rate(5), "month ones": rate(6),
                      "day tens": rate(8), "day ones": rate(9)},
        field_errors={"year": float(np.mean([p[:4] != t[:4]
                                             for p, t in zip(pred, truth, strict=True)]))},
        tens_first=[i for i, t in enumerate(truth) if int(t[8:]) in [*range(21, 30), 31]],
        month_wrong=month_wrong,
        day_as_month=sum(pred[i][5:7] == truth[i][8:10] for i in month_wrong),
        by_chance=len(month_wrong) / 11)


def test_chapter_11_digit_sentences_on_made_up_runs():
    rng, texts = np.random.default_rng(0), []
    for _ in range(300):
        glued, shown = run_hidden_cell("11_encoder_decoder.ipynb", "ed-fields-glue",
                                       chapter_11_inputs(*made_up_dates(rng)))
        assert len(shown) == 1
        assert_reads_as_sentences(shown[0])
        texts += [shown[0], glued["ed-months-summary"]]
    assert_every_branch_reached(texts, [
        "they cannot separate the readings", "an even split",
        "cannot separate the readings.", "it does not separate the readings",
        "the order of the words fits these errors", "does not fit these errors",
        "does not fit them either", "The number of values fits them",
        "What these counts leave is a two-word effect", "does not rule that reading out",
        "so it does not separate the readings", "as the order of the words predicts",
        "times as often when it is one word", "was never wrong on the days 21 to 29",
        "The number of values does not explain it either", "may play a part",
        "less than one in a million", "less than one in a thousand",
        "the ones digit was wrong more often", "the tens digit was wrong more often",
        "about equally often", "was never wrong", "more than our chance",
        "fewer than our chance", "about as many as", "No month was wrong",
        "too few cases to claim field confusion or rule it out",
        "no sign of field confusion in this run", "some may be field confusions"])


def test_chapter_11_counts_the_one_word_days_once():
    """After the one-word days' ones digit is counted, the day's count is not repeated."""
    rng = np.random.default_rng(1)
    for _ in range(300):
        _, shown = run_hidden_cell("11_encoder_decoder.ipynb", "ed-fields-glue",
                                   chapter_11_inputs(*made_up_dates(rng)))
        assert shown[0].count("dates whose day is one word") <= 1, shown[0]


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
def test_chapter_11_sureness_sentences_on_made_up_runs():
    """How sure the plain model was at its first mistakes, in words."""
    rng, texts = np.random.default_rng(0), []
    for _ in range(300):
        n_wrong = int(rng.choice([0, 5, 500]))
        p_wrong = rng.beta(rng.uniform(0.3, 8), rng.uniform(0.3, 8), n_wrong)
        _, shown = run_hidden_cell("11_encoder_decoder.ipynb", "c11suretrail", dict(
            p_wrong=p_wrong, wrong=np.arange(n_wrong), tgt_val=range(2939),
            n_changed=int(rng.choice([0, 7, 300]))))
        assert len(shown) == 1
        assert_reads_as_sentences(shown[0])
        texts.append(shown[0])
    assert_every_branch_reached(texts, [
        "was sure of the wrong symbol", "usually leaned to the wrong symbol",
        "At a little more than half of its first mistakes",
        "half of its probability or less", "never gave it more than 0.9",
        "was rarely sure of it", "it gave it more than 0.9 at",
        "Even so, beam search changed only", "made no mistake to look at"])


# ---- chapter 14: what does the mixture gain? -----------------------------------------------

def mixture_nats(beta, p_net, p_count):
    """Mean -ln of beta p_net + (1 - beta) p_count, as chapter 14 defines it."""
    return float(-np.log(beta * p_net + (1 - beta) * p_count).mean())


def test_chapter_14_mixture_sentences_on_made_up_runs():
    rng, texts = np.random.default_rng(0), []
    for _ in range(400):
        n = 2_000
        p_count, p_net = rng.beta(2, 3, n) * 0.98 + 0.01, rng.beta(2, 3, n) * 0.98 + 0.01
        if rng.random() < 0.3:  # a young network, far worse than counting
            p_net = p_net * 0.1
        beta, cheat = rng.uniform(0.01, 0.9), rng.uniform(0.01, 0.9)
        if rng.random() < 0.3:
            cheat = beta + rng.uniform(-0.004, 0.004)
        shift = rng.choice([0.0, 0.05])  # the slice easier (or harder) than validation
        p_count_slice = np.clip(p_count * math.exp(shift * rng.choice([-1, 1, 1])), 0, 1)
        p_net_slice = np.clip(p_net * math.exp(shift * rng.choice([-1, 1])), 0, 1)
        mix = mixture_nats(beta, p_net, p_count)
        betas = rng.uniform(0, 0.2, 4)  # the weights per band of c(h)
        if rng.random() < 0.5:
            betas = np.sort(betas)[::-1]
        if rng.random() < 0.3:
            betas[-1] = rng.uniform(0, 0.0004)
        if rng.random() < 0.05:
            betas = rng.uniform(0, 0.0004, 4)
        glued, _ = run_hidden_cell("14_counting_and_learning.ipynb", "counting-30", dict(
            mixture_nats=mixture_nats, beta=beta, cheat=cheat,
            loss_count=-np.log(p_count), loss_net=-np.log(p_net),
            p_net_val=p_net, p_count_val=p_count,
            p_count_heldback=p_count_slice, p_net_heldback=p_net_slice,
            start=int(rng.integers(0, 100)), fit_text="x" * 100,
            net_chars=int(rng.integers(0, 100)),
            betas=betas, by_band=mix + rng.choice([-0.01, 0.0, 0.01])))
        for name in ["counting-learning-mixture", "counting-learning-summary-mix"]:
            text = glued[name] if name.endswith("mixture") else glued[name] + "."
            assert_reads_as_sentences(text)
            texts.append(text)
    assert_every_branch_reached(texts, [
        "below the n-gram", "level with the n-gram", "and so does the network",
        "although both learnt", "the network only from the text after it",
        "trusts the n-gram more", "trusts the network more", "gains another",
        "loses", "makes no difference", "better than both", "no better than the better",
        "falls band by band", "do not fall band by band", "to below 0.0005 after",
        "every weight is below 0.0005"])


def made_up_history(rng, seconds, start, end, chars_per_s):
    """A trainer's history: validations every `seconds`, held-out nats from `start` to `end`."""
    times = np.append(np.arange(0.0, seconds[-1], seconds[0]), seconds[-1])
    losses = end + (start - end) * np.exp(-times / rng.uniform(0.1, 0.4) / times[-1])
    losses[0] = 4.175
    if rng.random() < 0.2:  # a validation that does not fall
        losses[-1] = losses[-2] + 0.01
    return [{"train_seconds": float(t), "chars_seen": int(t * chars_per_s),
             "val_loss": float(v)} for t, v in zip(times, losses, strict=True)]


class MadeUpAxes:
    def get_ylim(self):
        return (1.4, 2.8)


def test_chapter_14_race_sentences_on_made_up_runs():
    rng, texts = np.random.default_rng(0), []
    fit_text, orders = "x" * 953_662, range(1, 11)
    for _ in range(400):
        speed = rng.uniform(5_000, 40_000)
        history = made_up_history(rng, [6.0, 600_000 / speed], rng.uniform(2.3, 3.2),
                                  rng.uniform(1.5, 2.2), speed)
        nats = {"val": {n: 1.52 + 1.8 * math.exp(-(n - 1)) * rng.uniform(0.6, 1.1)
                        for n in orders}}
        best_order = int(rng.integers(5, 10))
        whole = nats["val"][best_order] - rng.uniform(0, 0.01)
        bench_speed = rng.uniform(10_000, 30_000)
        long_runs = {600.0: made_up_history(rng, [60.0, 600.0], 1.8, rng.uniform(1.3, 1.6),
                                            bench_speed)}
        if rng.random() < 0.8:  # a shorter run too, ending above or below the longest
            long_then = float(np.interp(110 * bench_speed,
                                        [r["chars_seen"] for r in long_runs[600.0]],
                                        [r["val_loss"] for r in long_runs[600.0]]))
            long_runs[110.0] = [{"train_seconds": 0.0, "chars_seen": 0, "val_loss": 4.175},
                                {"train_seconds": 110.0, "chars_seen": int(110 * bench_speed),
                                 "val_loss": long_then + rng.choice([-0.05, 0.05])}]
        machine = {"cpu": "AMD EPYC", "vector instructions": "AVX-512, AVX2, FMA",
                   "cores available": "2"}
        this_machine = dict(machine)
        if rng.random() < 0.5:
            this_machine[str(rng.choice(list(machine)))] = "Intel Xeon"
        crossed = [r["train_seconds"] for r in long_runs[600.0] if r["val_loss"] < whole]
        there = crossed[0] - 1.0 if crossed else None
        here = None if rng.random() < 0.7 else float(history[-1]["train_seconds"]) / 2
        glued, _ = run_hidden_cell("14_counting_and_learning.ipynb", "counting-18", dict(
            history=history, net_chars=600_000, peers={"machine": machine},
            utils=type("U", (), {"machine_info": staticmethod(lambda m=this_machine: m)}),
            here=here, nats=nats, best_order=best_order,
            counting={n: {"fit_s": rng.uniform(0.01, 1.0)} for n in orders},
            same_chars=nats["val"][best_order] + 0.02, long_runs=long_runs, there=there,
            whole=whole, ax=MadeUpAxes(), orders=orders, fit_text=fit_text,
            overtakes=cell_function("14_counting_and_learning.ipynb", "counting-17",
                                    "overtakes")))
        for name in ["counting-learning-race", "counting-learning-longer",
                     "counting-learning-cut", "counting-learning-summary-race"]:
            assert_reads_as_sentences(glued[name])
            texts.append(glued[name])
        texts.append(glued["counting-learning-fell"])
    assert_every_branch_reached(texts, [
        "It does not overtake counting", "and overtook the", "have the same CPU model",
        "differ in their", "Even that", "That run passed the n-gram", "the only point above it",
        "the points above it", "behind the longest run", "ahead of the longest run",
        "and perhaps above the", "whether below", "is what the exercise measures",
        "passes or more to look for a crossing", "may cross later or not at all",
        "within them", "fell at every validation", "though not at every validation"])


def test_chapter_14_word_end_sentences_on_made_up_losses():
    rng, texts = np.random.default_rng(0), []
    for _ in range(300):
        n = 4_000
        band_of = rng.integers(0, 4, n)
        word_end = rng.random(n) < np.array([0.1, 0.13, 0.17, 0.34])[band_of] * rng.uniform(
            0.5, 1.5)
        mid = np.array([1.95, 1.24, 1.08, 1.03]) * rng.uniform(0.8, 1.25, 4)
        loss_count = np.where(word_end, rng.uniform(2.5, 3.3), mid[band_of])
        loss_count = loss_count * rng.uniform(0.9, 1.1, n)
        glued, _ = run_hidden_cell("14_counting_and_learning.ipynb", "70fb4f72", dict(
            loss_count=loss_count, band_of=band_of, word_end=word_end))
        assert_reads_as_sentences(glued["counting-learning-common"])
        texts.append(glued["counting-learning-common"])
    assert_every_branch_reached(texts, [
        "is higher than", "is lower than", "comes from its mix", "only in part from its mix",
        "the loss falls band by band"])


# ---- chapter 15: the loop against the vectorised ways ------------------------------------

def made_up_speeds(rng, lengths):
    """Seconds a training step, {way: {T: s}}; the loop is sometimes not timed at the longest T."""
    seconds = {}
    for how in ["loop", "log space", "scan", "GRU"]:
        per_step = rng.lognormal(-9, 0.7)            # seconds per step of the sequence
        growth = rng.choice([0.7, 1.0, 1.6])         # time per step rising or falling with T
        seconds[how] = {T: per_step * T * (T / 64) ** (growth - 1) * rng.uniform(0.9, 1.1)
                        for T in lengths}
    if rng.random() < 0.2:
        del seconds["loop"][lengths[-1]]
    return seconds


def test_chapter_15_speed_sentences_on_made_up_timings():
    rng, texts, lengths = np.random.default_rng(0), [], [64, 256, 1024]
    for _ in range(400):
        seconds = made_up_speeds(rng, lengths)
        glued, _ = run_hidden_cell("15_recurrence_without_the_loop.ipynb", "1e631494", dict(
            seconds=seconds, lengths=lengths, speed_ways=list(seconds),
            B_speed=8, H_speed=64))
        for name in ["min-rnn-speed", "min-rnn-speed-loop", "min-rnn-speed-vector",
                     "min-rnn-speed-4096"]:
            assert_reads_as_sentences(glued[name])
            texts.append(glued[name])
        for name in ["min-rnn-speed-loop-summary", "min-rnn-speed-summary"]:
            assert_reads_as_sentences(glued[name] + ".")
    assert_every_branch_reached(texts, [
        "was the fastest at every length", "tied for the fastest", "times as long as the loop",
        "about as long", "less time than the loop", "took only", "took about as long",
        "grows with T", "was not timed at T = 1024", "were each more than 10% faster",
        "was at no length more than 10%", "neither log space nor the scan",
        "the loop was the fastest way",
        "neither beat the loop", "Log space was more than 10% slower than the loop at T =",
        "The scan was more than 10% slower", "under the cell's 1 s cap",
        "over the cell's 1 s cap"])


def chapter_15_and_list():
    """The chapter's `and_list`, from the speed cell that defines it."""
    source = cell_source(notebook_cell(CHAPTERS / "15_recurrence_without_the_loop.ipynb",
                                       "1e631494"))
    start = source.index("def and_list")
    space = {}
    exec(source[start:source.index("\ndef ", start + 1)], space)  # noqa: S102
    return space["and_list"]


def made_up_race(rng):
    """Chapter 15's language-model race and its layer timings (ms), in many shapes:
    the layers' difference a share of the updates' gap below, at or above one, the stack
    faster, a layer timed alone about as long as its model's update or longer."""
    gru_ms = rng.uniform(20, 80)
    min_ms = gru_ms * rng.choice([0.8, 1.5, 2.5])
    one_gru = gru_ms * rng.choice([0.5, 0.95, 1.05, 1.3])
    share = rng.choice([-0.3, 0.4, 0.97, 1.04, 1.6])
    stack_ms = max(one_gru + share * (min_ms - gru_ms), 1.0)
    first = stack_ms * rng.uniform(0.2, 0.8)
    budget_s, gru_nats = 4.0, rng.uniform(2.5, 3.5)
    min_nats = gru_nats + rng.choice([-0.3, -0.01, 0.01, 0.3])
    # the clock is read before each update, so the last one runs past the budget
    race = {cell: (nats, n, n * ms / 1000)
            for cell, nats, ms in [("GRU", gru_nats, gru_ms), ("minGRU", min_nats, min_ms)]
            for n in [int(1000 * budget_s / ms) + 1]}
    layers = {"GRU": one_gru, "first": first, "second": stack_ms - first}
    return budget_s, race, layers


def test_chapter_15_race_sentences_on_made_up_runs():
    rng, texts, lengths = np.random.default_rng(1), [], [64, 256, 1024]
    and_list = chapter_15_and_list()
    for _ in range(600):
        budget_s, race, layers = made_up_race(rng)
        glued, _ = run_hidden_cell("15_recurrence_without_the_loop.ipynb", "20d4ddd4", dict(
            lm_results=race, budget_s=budget_s, layer_times=layers, lengths=lengths,
            seconds=made_up_speeds(rng, lengths), window=128, B_speed=8, D_speed=64,
            H_speed=64, batch_lm=32, embed_lm=32, units_lm=128, and_list=and_list))
        assert_reads_as_sentences(glued["min-rnn-lm"])
        assert_reads_as_sentences(glued["min-rnn-lm-summary"] + ".")
        texts += [glued["min-rnn-lm"], glued["min-rnn-lm-summary"]]
    assert_every_branch_reached(texts, [
        "ended level", "was ahead", "times as many updates", "a minGRU layer was the slower",
        "2 times narrower for the first minGRU layer (2 times wider for the second)",
        "lies between the table's 64 and 256", "took longer than a whole update",
        "took about as long as a whole update", "So the layers take", "account for the whole gap",
        "of the gap. The rest", "but more than the whole gap", "do not explain the gap between",
        "account for its slower updates", "so they do not explain it",
        "do not say where the time goes", "runs past the 4 seconds"])


@pytest.mark.parametrize("text", ["a None here.", "nan.", "no stop", "a {brace}."])
def test_the_sentence_check_catches_faults(text):
    with pytest.raises(AssertionError):
        assert_reads_as_sentences(text)
