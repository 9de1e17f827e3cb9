"""The children's distillation weight rises from the labels to its final value (training.py)."""

from __future__ import annotations

import pytest

from nas.oneshot.training import DISTILL_RAMP, distill_weight


def test_children_start_on_the_labels():
    assert distill_weight(0, 100, 0.5) == 0.0


def test_the_weight_reaches_its_final_value_after_the_ramp_and_stays():
    total = 100
    ramp_end = int(DISTILL_RAMP * total)
    assert distill_weight(ramp_end, total, 0.5) == pytest.approx(0.5)
    assert distill_weight(total - 1, total, 0.5) == pytest.approx(0.5)


def test_the_weight_rises_monotonically():
    weights = [distill_weight(step, 40, 1.0) for step in range(40)]
    assert weights == sorted(weights) and weights[-1] == 1.0
