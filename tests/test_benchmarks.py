"""The benchmarks' own arithmetic: what they score, count and conclude (no long training)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def load(name: str):
    """Import benchmarks/<name>.py as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers = load("charrnn_peers")


@pytest.mark.parametrize("spec", [
    {"seq_len": 10, "last_only": True},
    {"seq_len": 64, "fixed_context": True},
    {"seq_len": 100},
])
def test_every_scored_target_is_scored_once(spec):
    n = 5_321
    starts, T, first = peers.scoring_windows(n, spec)
    counts = np.zeros(n, dtype=int)
    for s in starts:
        if first is None:  # the target after the window
            counts[s + T] += 1
        else:
            lo = s + 1 + (0 if s == 0 else first)
            counts[lo:s + T + 1] += 1
    assert counts.max() == 1, "a target is scored twice"
    scored = np.flatnonzero(counts)
    assert scored[-1] - scored[0] + 1 == len(scored), "a gap between scored targets"
    assert scored[0] <= T and n - 1 - scored[-1] < max(T, peers.EVAL_WINDOW)


def test_parameter_count_matches_keras_and_stacking_keeps_it():
    from utils import charrnn

    for units, layers in [(384, 1), (231, 2)]:
        model = charrnn.build_model(65, cell="gru", units=units, layers=layers, embedding=64)
        model(np.zeros((1, 3), dtype=np.int32))
        assert model.count_params() == peers.gru_parameters(units, layers)
    one = peers.gru_parameters(charrnn.DEFAULTS["units"], 1)
    assert abs(peers.gru_parameters(peers.stacked_units(), 2) - one) / one < 0.02


def test_the_plan_trains_the_trainer_per_budget_and_peers_once():
    runs = peers.plan(peers.GROUPS, None, [600, 110])
    assert [(n, b) for n, b, _ in runs if n == "trainer"] == [("trainer", 110), ("trainer", 600)]
    char_rnn = next(r for r in runs if r[0] == "char-rnn")
    assert char_rnn[1] == 600 and {110, 600} <= set(char_rnn[2])
    assert all(b == 110 for n, b, _ in runs if n.startswith("recipe") or n.endswith("layers"))


def test_a_peer_trains_with_the_shared_step_and_is_scored_at_its_budget():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 12, size=3_000 + 2 * peers.EVAL_WINDOW + 1).astype(np.int32)
    data = {"V": 12, "train_ids": ids[:3_000], "val_ids": ids[3_000:]}  # two scored windows
    result = peers.train_peer("char-rnn", data, budget_s=0.5, evals_s=[0.25], eval_chars=None,
                              seed=0)
    assert [h["train_seconds"] >= b for h, b in zip(result["history"], [0.25, 0.5],
                                                    strict=True)] == [True, True]
    losses = [h["val_loss"] for h in result["history"]]
    assert all(0 < v < 2 * np.log(12) for v in losses), losses   # random ids: near log 12
    assert result["chars_per_s"] > 0 and result["parameters"] > 0


def _result(name, budget, points, group="main"):
    return {"name": name, "group": group, "budget": budget, "label": name,
            "history": [{"train_seconds": t, "val_loss": v} for t, v in points]}


def test_loss_at_budget_and_the_verdict_follow_the_numbers():
    results = [_result("trainer", 110, [(60, 1.9), (110, 1.6)]),
               _result("char-rnn", 600, [(27.5, 2.5), (110.2, 1.8), (600, 1.5)])]
    assert peers.loss_at(results[1], 110) == 1.8 and peers.loss_at(results[0], 600) is None
    (line,) = peers.goal_lines(results, [110, 600])
    assert "after 110 s" in line and " beat " in line and "1.6000" in line
    results[0]["history"][-1]["val_loss"] = 1.85
    assert "did NOT beat" in peers.goal_lines(results, [110])[0]


def test_tuning_never_reads_the_benchmarks_validation_split():
    tune = load("tune_defaults")
    from utils import charrnn
    from utils.data import load_text

    text = load_text("tinyshakespeare")
    _, validation = charrnn.split_for_validation(text, 0.1)
    tuning = tune.tuning_text()
    assert text.startswith(tuning) and len(tuning) + len(validation) == len(text)
    assert tune.describe({}) == "the defaults" and tune.describe({"lr": 3e-3}) == "lr 0.003"


def test_tuning_keeps_each_result_and_resumes(tmp_path, monkeypatch):
    tune = load("tune_defaults")
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
    tune = load("tune_defaults")
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
    tune = load("tune_defaults")
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
    tune = load("tune_defaults")
    assert tune.when_trained([{"change": {}, "best": 1.6}]) == []
    rows = [{"change": {}, "best": 1.6, "finished": "2026-12-02 08:00 UTC", "load_before": 0.2},
            {"change": {"units": 256}, "best": 1.5, "finished": "2026-12-02 08:10 UTC",
             "load_before": 1.1}, {"change": {"units": 512}, "best": 1.7}]
    (line, blank) = tune.when_trained(rows)
    assert line.startswith("2 of the 3 rows say when they were trained: 2026-12-02 08:00 UTC "
                           "to 2026-12-02 08:10 UTC") and "0.2 to 1.1" in line and blank == ""


def test_tuning_report_names_the_variants_it_left_out():
    tune = load("tune_defaults")
    every = [{"change": c, "best": 1.6} for _, c in tune.VARIANTS]
    assert tune.left_out_line(every) == []
    (blank, line) = tune.left_out_line([r for r in every if "lr" not in r["change"]])
    assert blank == "" and line.startswith("Not compared in this report")
    assert "batch 128, lr 0.01; lr 0.003; lr 0.008." in line
