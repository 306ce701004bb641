"""The benchmarks' own arithmetic: what they score, count and conclude (no long training)."""

import numpy as np
import pytest

from helpers import load_script

peers = load_script("benchmarks/charrnn_peers.py")


@pytest.mark.parametrize("spec", [
    {"seq_len": 10, "last_only": True},
    {"seq_len": 64, "fixed_context": True},
    {"seq_len": 100},
])
def test_every_scored_target_is_scored_once(spec):
    n = 5_321
    pos, scored = peers.scoring_rows(n, spec)
    counts = np.bincount((pos + 1)[scored], minlength=n)
    assert counts.max() == 1, "a target is scored twice"
    hit = np.flatnonzero(counts)
    assert hit[-1] - hit[0] + 1 == len(hit), "a gap between scored targets"
    assert hit[0] <= spec["seq_len"] and n - 1 - hit[-1] < max(spec["seq_len"], peers.EVAL_WINDOW)
    assert pos.shape[1] == (peers.EVAL_WINDOW if len(spec) == 1 else spec["seq_len"])


def test_parameter_count_matches_keras_and_stacking_keeps_it():
    from utils import charrnn

    for units, layers in [(384, 1), (231, 2)]:
        model = charrnn.build_model(65, cell="gru", units=units, layers=layers, embedding=64)
        model(np.zeros((1, 3), dtype=np.int32))
        assert model.count_params() == peers.gru_parameters(units, layers)
    one = peers.gru_parameters(charrnn.DEFAULTS["units"], 1)
    assert abs(peers.gru_parameters(peers.stacked_units(), 2) - one) / one < 0.02


def test_the_plan_runs_every_headline_model_per_budget_and_seed(monkeypatch):
    monkeypatch.setattr(peers, "mixture_field", lambda: "mix_ngram")
    runs = peers.plan(peers.GROUPS, None, [600, 110], seeds=3)
    for name in ("trainer", "trainer-mixture", "char-rnn", "nanogpt"):
        assert sorted((b, s) for n, b, _, s in runs if n == name) == [
            (b, s) for b in (110, 600) for s in range(3)]
    assert [(b, s) for n, b, _, s in runs if n == "7-gram"] == [(600, 0)]
    assert all(b == 110 and s == 0 for n, b, _, s in runs if n.startswith("recipe"))
    assert sorted(s for n, b, _, s in runs if n.endswith("layers") and b == 110) == [0, 1, 2]
    constant = peers.plan(["main"], ["char-rnn"], [600, 110], seeds=2, schedule="constant")
    assert [(b, s) for _, b, _, s in constant] == [(600, 0), (600, 1)]
    assert {110, 600} <= set(constant[0][2])


def test_without_the_trainers_mixture_option_its_row_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setattr(peers, "mixture_field", lambda: None)
    assert not [r for r in peers.plan(peers.GROUPS, None, [110]) if r[0] == "trainer-mixture"]
    (note,) = peers.skipped_lines(peers.GROUPS, None)
    assert "not run" in note and "mix_ngram" in note
    assert peers.skipped_lines(["recipe"], None) == []
    with pytest.raises(ValueError, match="no n-gram mixture option"):
        peers.trainer_options("trainer-mixture")
    monkeypatch.setattr(peers, "mixture_field", lambda: "mix_ngram")
    assert peers.skipped_lines(peers.GROUPS, None) == []
    assert peers.trainer_options("trainer-mixture")["mix_ngram"] == peers.MIXTURE_ORDER


def test_the_mixture_field_is_found_by_name_and_its_loss_read_from_the_history():
    from utils import charrnn

    names = [f.name for f in peers.dataclasses.fields(charrnn.TrainConfig)]
    assert peers.mixture_field() == next((n for n in names if "mix" in n and "ngram" in n),
                                         None)
    record = {"val_loss": 1.7, "mix_val_loss": 1.5, "mix_weight": 0.3, "train_loss": 1.6}
    assert peers.mixture_loss(record) == 1.5
    with pytest.raises(KeyError, match="no mixture loss"):
        peers.mixture_loss({"val_loss": 1.7})


def test_one_clock_counts_the_first_step_in_the_budget_and_not_in_chars_per_s():
    clock = peers.StepClock()
    assert clock.chars_per_s() is None and clock.first_step_seconds is None
    clock.step(5.0, 100)  # the first step traces and compiles the graph
    assert clock.chars_per_s() is None and clock.first_step_seconds == 5.0
    for _ in range(4):
        clock.step(0.5, 100)
    assert clock.seconds == 7.0 and clock.chars == 500
    assert clock.chars_per_s() == pytest.approx(400 / 2.0)   # steps 2 to 5 only
    trainer = peers.StepClock()  # the trainer's totals, read through on_step, give the same
    for seconds, chars in [(5.0, 100), (5.5, 200), (6.0, 300), (6.5, 400), (7.0, 500)]:
        trainer.observe(seconds, chars)
    assert trainer.chars_per_s() == clock.chars_per_s()


def test_the_same_schedule_decays_as_the_trainers_does():
    assert peers.cosine_rate(2e-3, 0.0) == pytest.approx(2e-3)
    assert peers.cosine_rate(2e-3, 0.5) == pytest.approx(2e-3 * (0.05 + 0.95 / 2))
    assert peers.cosine_rate(2e-3, 1.0) == pytest.approx(1e-4)
    assert peers.cosine_rate(2e-3, 3.0) == pytest.approx(1e-4)   # past the budget: the floor
    from utils import charrnn

    try:
        from utils.charrnn.steps import learning_rate
    except ImportError:
        pytest.skip("the trainer's schedule function is not importable here")
    cfg = charrnn.TrainConfig(epochs=1, lr=2e-3)
    for f in (0.0, 0.3, 0.7, 1.0):
        assert peers.cosine_rate(2e-3, f) == pytest.approx(learning_rate(cfg, f), rel=1e-9)


def _data(V=12, n_train=3_000):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, V, size=n_train + 2 * peers.EVAL_WINDOW + 1).astype(np.int32)
    return {"V": V, "train_ids": ids[:n_train], "val_ids": ids[n_train:]}  # two scored windows


@pytest.mark.parametrize("schedule", peers.SCHEDULES)
def test_a_peer_trains_on_one_clock_and_is_scored_at_its_budget(schedule):
    result = peers.train_peer("char-rnn", _data(), budget_s=0.5, evals_s=[0.25],
                              eval_chars=None, seed=0, schedule=schedule)
    history = result["history"]  # the first (compiling) step counts: it may pass both points
    assert 1 <= len(history) <= 2 and history[-1]["train_seconds"] >= 0.5
    assert history[0]["train_seconds"] >= 0.25
    assert all(0 < h["val_loss"] < 2 * np.log(12) for h in history)  # random ids: near log 12
    assert 0 < result["first_step_seconds"] <= history[-1]["train_seconds"]
    assert history[-1]["chars_seen"] == result["steps"] * 50 * 50 and result["parameters"] > 0
    if result["steps"] == 1:  # no step after the compiling one: no speed to report
        assert result["chars_per_s"] is None
    else:
        assert result["chars_per_s"] > 0
    assert result["per_budget"] == (schedule == "same")


def _result(name, budget, points, group="main", seed=0, **extra):
    return {"name": name, "group": group, "budget": budget, "label": name, "seed": seed,
            "parameters": 10, "peak_mb": 100.0, "chars_per_s": 1000.0 + seed,
            "history": [{"train_seconds": t, "val_loss": v, "chars_seen": int((t or 0) * 1000)}
                        for t, v in points], **extra}


def test_loss_at_budget_and_the_verdict_follow_the_numbers():
    results = [_result("trainer", 110, [(60, 1.9), (110, 1.6)]),
               _result("char-rnn", 600, [(27.5, 2.5), (110.2, 1.8), (600, 1.5)],
                       per_budget=False)]
    assert peers.loss_at(results[1], 110) == 1.8 and peers.loss_at(results[0], 600) is None
    (line,) = peers.goal_lines(results, [110, 600])
    assert "after 110 s" in line and " beat every trained peer " in line and "1.6000" in line
    results[0]["history"][-1]["val_loss"] = 1.85
    assert "did NOT beat" in peers.goal_lines(results, [110])[0]
    same = _result("char-rnn", 110, [(27.5, 2.5), (110.1, 1.8)], per_budget=True)  # ended at 110
    assert peers.loss_at(same, 110) == 1.8 and peers.loss_at(same, 27.5) is None


def test_seeds_are_reported_as_mean_and_range():
    results = [_result("trainer", 110, [(110, v)], seed=s) for s, v in enumerate([1.6, 1.7, 1.65])]
    results += [_result("char-rnn", 110, [(110, v)], seed=s)
                for s, v in enumerate([1.75, 1.8, 1.9])]
    results += [_result("7-gram", 600, [(None, 1.5165)], fit_seconds=0.6)]
    rows = {r["name"]: r for r in peers.summarize(results, [110])}
    ours = rows["trainer"]["losses"][110]
    assert ours == {"mean": pytest.approx(1.65), "min": 1.6, "max": 1.7, "n": 3}
    assert rows["trainer"]["seeds"] == [0, 1, 2] and rows["7-gram"]["seeds"] == [0]
    assert rows["trainer"]["chars_per_s"]["mean"] == pytest.approx(1001.0)
    assert peers.fmt_spread(ours) == "1.6500 (1.6000-1.7000)"
    assert peers.fmt_spread(rows["7-gram"]["losses"][110]) == "1.5165"
    assert peers.fmt_spread(None) == "-"
    change = {"n": 3, "mean": -0.04, "min": -0.05, "max": -0.03}
    assert peers.fmt_spread(change, "+.4f", " to ") == "-0.0400 (-0.0500 to -0.0300)"
    table = "\n".join(peers.main_table(list(rows.values()), [110]))
    assert ("| the trainer's defaults | 3 | 10 | 1.6500 (1.6000-1.7000) | 1,001 (1,000-1,002) "
            "| 100 |") in table
    (line,) = peers.goal_lines(results, [110])  # every trainer seed below every char-rnn seed
    assert "mean of 3 seeds, 1.6500) beat every trained peer in every seed" in line
    results[3]["history"][-1]["val_loss"] = 1.68   # char-rnn's best seed below the trainer's worst
    assert "on the mean, not in every seed" in peers.goal_lines(results, [110])[0]


def test_the_mixture_row_is_reported_with_its_own_network_without_the_peers():
    results = [_result("trainer-mixture", 110, [(55, 1.7), (110, v)], seed=s, per_budget=True)
               for s, v in enumerate([1.46, 1.48])]
    for r, net in zip(results, [1.60, 1.62], strict=True):
        r["history"][-1]["network_val_loss"] = net
    mix, network = peers.goal_lines(results, [110, 600])  # no trainer row, no peers, no 600 s
    assert "mixture (mean of 2 seeds, 1.4700 (1.4600-1.4800))" in mix
    assert "is above nanoGPT's published A100 result (1.4697), by 0.0003 nats" in mix
    assert "network alone, in the same runs (1.6100 (1.6000-1.6200)), is above" in network
    assert "the mixture gained 0.1400 nats on it" in network
    results[0]["history"][-1]["val_loss"] = 1.40  # mean 1.44, one seed above
    assert "is below on the mean" in peers.goal_lines(results, [110])[0]


def test_a_group_is_compared_with_its_base_seed_by_seed():
    results = [_result("trainer", 110, [(110, v)], seed=s) for s, v in enumerate([1.70, 1.72])]
    results += [_result("trainer-2-layers", 110, [(110, v)], seed=s)
                for s, v in enumerate([1.65, 1.69])]
    for r in results[2:]:
        r["group"], r["label"] = "stacking", "the trainer, 2 GRU layers"
    table = "\n".join(peers.part_table(results, "stacking", "trainer"))
    assert "| the trainer, 2 GRU layers | 2 | 10 | 1.6700 (1.6500-1.6900) | " in table
    assert "| -0.0400 (-0.0500 to -0.0300) | 1,000 |" in table
    assert "| 2 | 10 | 1.7100 (1.7000-1.7200) | - |" in table
    assert peers.part_seeds(results, "stacking") == "seeds 0-1"
    one = [r for r in results if r["seed"] == 0]
    assert "| -0.0500 | " in "\n".join(peers.part_table(one, "stacking", "trainer"))
    assert peers.part_seeds(one, "stacking") == "seed 0"
    assert peers.part_table(results, "recipe", "recipe") == []  # no such rows: no table


def test_a_smoke_report_is_written_where_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(peers, "mixture_field", lambda: None)
    results = [_result("trainer", 2, [(0, 4.1), (2, 3.0)], seed=s, load=[0.1, 2.0])
               for s in (0, 1)]
    results += [_result("nanogpt", 2, [(0.5, 3.5), (2, 3.1)], seed=s) for s in (0, 1)]
    md = peers.write_report(results, [2], 0.1, "smoke", tmp_path, seeds=2, schedule="same",
                            skipped=peers.skipped_lines(peers.GROUPS, None))
    text = md.read_text(encoding="utf-8")
    assert md.parent == tmp_path and "seeds 0 to 1, shown as mean (min-max)" in text
    assert "not run" in text and "first (compiling) step included" in text
    assert "load average at the start and end of each model's run: 0.1 to 2.0" in text
    results[0]["load"] = [0.1, 99.0]
    assert "during: trainer" in peers.load_line(results)[0]
    saved = peers.json.loads((tmp_path / "smoke.json").read_text(encoding="utf-8"))
    assert len(saved["runs"]) == 4 and {r["seed"] for r in saved["results"]} == {0}
    assert saved["seeds"] == 2 and saved["summary"][0]["name"] == "trainer"
    svg = peers.write_svg(results, "smoke", tmp_path)
    assert svg.is_file() and peers.colour("trainer") in svg.read_text(encoding="utf-8")
    assert peers.result_path("trainer", 110, "r", 2, tmp_path).name == "trainer-110s-seed2.json"
    assert peers.result_path("trainer", 110, "r", 0, tmp_path).name == "trainer-110s.json"


def test_tuning_never_reads_the_benchmarks_validation_split():
    tune = load_script("benchmarks/tune_defaults.py")
    from utils import charrnn
    from utils.data import load_text

    text = load_text("tinyshakespeare")
    _, validation = charrnn.split_for_validation(text, 0.1)
    tuning = tune.tuning_text()
    assert text.startswith(tuning) and len(tuning) + len(validation) == len(text)
    assert tune.describe({}) == "the defaults" and tune.describe({"lr": 3e-3}) == "lr 0.003"


def test_tuning_keeps_each_result_and_resumes(tmp_path, monkeypatch):
    tune = load_script("benchmarks/tune_defaults.py")
    monkeypatch.setattr(tune, "RUNS", tmp_path)
    paths = {tune.row_path(c, s, 0) for c in ({}, {"units": 256}, {"layers": 2, "units": 256})
             for s in (110, 600)}
    assert len(paths) == 6 and all(p.parent == tmp_path for p in paths)
    calls = []

    def fake_training(text, seconds, change, seed):
        calls.append(change)
        return {"best": 1.5, "chars_per_s": 1000.0}

    monkeypatch.setattr(tune, "best_tuning_loss", fake_training)
    args = tune.argparse.Namespace(seconds=110.0, seed=0, fresh=False)
    first = tune.tuned_row("text", {"dropout": 0.0}, args)
    again = tune.tuned_row("text", {"dropout": 0.0}, args)   # read back, not retrained
    assert first == again and first["change"] == {"dropout": 0.0} and first["best"] == 1.5
    assert first["finished"].endswith(" UTC") and first["load_before"] >= 0
    assert calls == [{"dropout": 0.0}] and not list(tmp_path.glob("*.partial"))
    args.fresh = True
    tune.tuned_row("text", {"dropout": 0.0}, args)
    assert len(calls) == 2


def test_tuning_trains_again_a_result_from_another_machine(tmp_path, monkeypatch, capsys):
    tune = load_script("benchmarks/tune_defaults.py")
    monkeypatch.setattr(tune, "RUNS", tmp_path)
    monkeypatch.setattr(tune, "best_tuning_loss", lambda *a: {"best": 1.5, "chars_per_s": 1e3})
    args = tune.argparse.Namespace(seconds=600.0, seed=0, fresh=False)
    path = tune.row_path({}, 600.0, 0)
    elsewhere = {"change": {}, "best": 1.2, "chars_per_s": 9e4,
                 "machine": {**tune.utils.machine_key(), "vector instructions": "AVX-512"}}
    for stored in (elsewhere, {"change": {}, "best": 1.2, "chars_per_s": 9e4}):  # other, unknown
        path.write_text(tune.json.dumps(stored), encoding="utf-8")
        row = tune.tuned_row("text", {}, args)
        assert row["best"] == 1.5 and row["machine"] == tune.utils.machine_key()
        assert "training it again" in capsys.readouterr().out
    assert tune.tuned_row("text", {}, args) == row   # now from this machine: read back


def test_tuning_verdict_names_the_changes_that_beat_the_defaults():
    tune = load_script("benchmarks/tune_defaults.py")
    rows = [{"change": {}, "best": 1.60}, {"change": {"dropout": 0.0}, "best": 1.53},
            {"change": {"units": 512}, "best": 1.70}, {"change": {"units": 256}, "best": 1.56},
            {"change": {"dropout": 0.1}, "best": 1.5999}]
    line = tune.verdict_line(rows, 110)
    assert line.startswith("After 110 s, 2 of the 4 changes beat the defaults (1.6000 nats)")
    assert line.index("dropout 0 (-0.0700)") < line.index("units 256 (-0.0400)")
    assert "512" not in line and "a tie at one seed): dropout 0.1 (-0.0001)." in line
    assert "0 of the 1 changes" in tune.verdict_line(rows[:1] + rows[2:3], 600)
    assert "not trained" in tune.verdict_line(rows[1:], 600)


def test_tuning_report_says_when_its_rows_were_trained():
    tune = load_script("benchmarks/tune_defaults.py")
    assert tune.when_trained([{"change": {}, "best": 1.6}]) == []
    rows = [{"change": {}, "best": 1.6, "finished": "2026-12-02 08:00 UTC", "load_before": 0.2},
            {"change": {"units": 256}, "best": 1.5, "finished": "2026-12-02 08:10 UTC",
             "load_before": 1.1}, {"change": {"units": 512}, "best": 1.7}]
    (line, blank) = tune.when_trained(rows)
    assert line.startswith("2 of the 3 rows say when they were trained: 2026-12-02 08:00 UTC "
                           "to 2026-12-02 08:10 UTC") and "0.2 to 1.1" in line and blank == ""


def test_tuning_report_names_the_variants_it_left_out():
    tune = load_script("benchmarks/tune_defaults.py")
    every = [{"change": c, "best": 1.6} for _, c in tune.VARIANTS]
    assert tune.left_out_line(every) == []
    (blank, line) = tune.left_out_line([r for r in every if "lr" not in r["change"]])
    assert blank == "" and line.startswith("Not compared in this report")
    assert "batch 128, lr 0.01; lr 0.003; lr 0.008." in line


def _fake_train(steps):
    """A stand-in for charrnn.train: ``steps`` of (seconds, chars) totals, then the state."""
    def train(out, *, on_step=None, **kwargs):
        state = {"history": [{"val_loss": 2.0}]}
        for seconds, chars in steps:
            state.update(train_seconds=seconds, chars_seen=chars)
            on_step(state)
        return state
    return train


def test_every_benchmark_leaves_the_compiling_step_out_of_its_speed(monkeypatch):
    steps = [(5.0, 100), (5.5, 200), (6.0, 300)]  # the first step took 5 s to compile
    shakespeare = load_script("benchmarks/charrnn_shakespeare.py")
    speed = shakespeare.AfterFirstStep()
    assert speed.chars_per_s() is None
    for seconds, chars in steps:
        speed({"train_seconds": seconds, "chars_seen": chars})
    assert speed.chars_per_s() == pytest.approx(200 / 1.0)
    tune = load_script("benchmarks/tune_defaults.py")
    monkeypatch.setattr(tune.charrnn, "train", _fake_train(steps))
    assert tune.best_tuning_loss("text", 6.0, {}, 0) == {"best": 2.0, "chars_per_s": 200.0}
    monkeypatch.setattr(tune.charrnn, "train", _fake_train(steps[:1]))
    assert tune.best_tuning_loss("text", 6.0, {}, 0)["chars_per_s"] is None
    assert tune.speed_text(None) == "-" and tune.speed_text(21234.5) == "21,234"
