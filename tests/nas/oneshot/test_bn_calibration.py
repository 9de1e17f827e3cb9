"""BatchNorm recalibration of one candidate, in the supernet or in an extracted model."""

from __future__ import annotations

import pytest
import torch

from nas.oneshot.bn_calibration import recalibrate_bn
from nas.oneshot.extract import extract
from nas.oneshot.sampling import random_archs
from nas.oneshot.supernet import Supernet
from tests.nas.oneshot.spaces import all_spaces, batches, scramble

SPACE = all_spaces()["wide"]


@pytest.fixture()
def supernet() -> Supernet:
    torch.manual_seed(0)
    net = Supernet(SPACE, num_classes=3, in_channels=1)
    scramble(net)
    net.set_active(random_archs(SPACE, 1, seed=9)[0])
    return net


def _stats(net: Supernet) -> dict[str, torch.Tensor]:
    return {
        k: v.clone() for k, v in net.active_state().items() if k.endswith(("running_mean", "running_var"))
    }


def test_recalibration_changes_the_active_candidates_running_stats(supernet):
    before = _stats(supernet)
    seen = recalibrate_bn(supernet, batches(3))
    after = _stats(supernet)
    assert seen == 12
    assert all(not torch.equal(before[name], after[name]) for name in before)


def test_recalibrating_the_supernet_equals_recalibrating_the_extracted_model(supernet):
    model = extract(supernet)
    recalibrate_bn(supernet, batches(3))
    recalibrate_bn(model, [(images, torch.zeros(4)) for images in batches(3)])  # (inputs, labels) too
    expected = extract(supernet).state_dict()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[name], rtol=1e-5, atol=1e-6, msg=name)


def test_statistics_are_the_average_over_the_batches_not_a_moving_average(supernet):
    model = extract(supernet)
    stem = model.features[0]
    data = batches(3)
    recalibrate_bn(model, data, max_batches=2)
    with torch.no_grad():
        means = [stem[0](images).mean(dim=(0, 2, 3)) for images in data[:2]]
    torch.testing.assert_close(stem[1].running_mean, torch.stack(means).mean(dim=0), rtol=1e-5, atol=1e-6)


def test_without_batches_nothing_changes_and_modes_are_restored(supernet):
    before = {k: v.clone() for k, v in supernet.state_dict().items()}
    supernet.train()
    assert recalibrate_bn(supernet, []) == 0
    assert supernet.training and all(m.training for m in supernet.modules())
    for name, value in supernet.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_dropout_and_stochastic_depth_stay_off_while_recalibrating(supernet):
    data = batches(2)
    supernet.eval()
    recalibrate_bn(supernet, data)
    reference = _stats(supernet)
    supernet.train()  # a training-mode model: only its BatchNorm layers may act as in training
    recalibrate_bn(supernet, data)
    for name, value in _stats(supernet).items():
        torch.testing.assert_close(value, reference[name], rtol=1e-6, atol=1e-7, msg=name)
