"""Tests of utils.charrnn.steps: the validation split and the batches of an epoch."""

from __future__ import annotations

from utils import charrnn


def test_split_is_nanogpts():
    train, val = charrnn.split_for_validation("x" * 1_115_394, 0.1)
    assert (len(train), len(val)) == (1_003_854, 111_540)


def test_epoch_steps_are_the_epoch_s_batches_in_order_from_the_step_reached():
    import numpy as np

    from utils.charrnn.config import TrainConfig
    from utils.charrnn.steps import epoch_batches, epoch_steps

    cfg = TrainConfig.from_settings({"epochs": 1, "seq_len": 5, "batch": 3, "seed": 4})
    ids = np.arange(200) % 7
    x_all, y_all = epoch_batches(ids, 5, 3, 4, 2)
    steps = list(epoch_steps(ids, cfg, {"epoch": 2, "step_in_epoch": 0}))
    assert len(steps) == len(x_all) // 3 > 1
    for i, (x, y) in enumerate(steps):
        assert x.shape == y.shape == (3, 5)
        np.testing.assert_array_equal(x, x_all[3 * i:3 * i + 3])
        np.testing.assert_array_equal(y, y_all[3 * i:3 * i + 3])
    later = list(epoch_steps(ids, cfg, {"epoch": 2, "step_in_epoch": 2}))
    assert len(later) == len(steps) - 2
    np.testing.assert_array_equal(later[0][0], steps[2][0])
