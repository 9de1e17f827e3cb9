"""The builder reproduces torchvision's EfficientNet layout exactly, for any input and class count."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from search_spaces.arch_yaml import reference_b0
from search_spaces.builder import build_model

torch.set_num_threads(1)


def _numel(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def b0() -> nn.Module:
    return build_model(reference_b0())


def test_b0_has_exactly_torchvisions_parameter_count(b0):
    assert _numel(b0) == 5_288_548 == _numel(torchvision.models.efficientnet_b0())


def test_b0_matches_torchvision_tensor_for_tensor(b0):
    ours = [(tuple(t.shape), t.dtype) for t in b0.state_dict().values()]
    theirs = [(tuple(t.shape), t.dtype) for t in torchvision.models.efficientnet_b0().state_dict().values()]
    assert ours == theirs


def test_b0_computes_what_torchvision_computes_with_the_same_weights(b0):
    torch.manual_seed(0)
    reference = torchvision.models.efficientnet_b0().eval()
    for module in reference.modules():  # non-trivial BN statistics, so a misplaced BN would show
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    ours = build_model(reference_b0()).eval()
    ours.load_state_dict(dict(zip(ours.state_dict(), reference.state_dict().values(), strict=True)))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(ours(x), reference(x), atol=1e-5, rtol=1e-4)


def test_grayscale_input_and_other_class_counts():
    model = build_model(reference_b0(), num_classes=10, in_channels=1).eval()
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    assert model.features[0][0].in_channels == 1


def test_stochastic_depth_rises_linearly_over_blocks_like_torchvision(b0):
    plans = [block.plan for stage in b0.features[1:] for block in stage]
    assert [p.drop_prob for p in plans] == pytest.approx([0.2 * b / 16 for b in range(16)])
    reference = torchvision.models.efficientnet_b0().features[1:-1]
    assert [p.drop_prob for p in plans] == [
        block.stochastic_depth.p for stage in reference for block in stage
    ]
    assert [p.residual for p in plans] == [block.use_res_connect for stage in reference for block in stage]
    residual = [block for stage in b0.features[1:] for block in stage if block.residual]
    assert all(block.drop.p == block.plan.drop_prob for block in residual)


def test_initialisation_follows_torchvision(b0):
    linear = b0.classifier[1]
    bound = 1 / 1000**0.5
    assert linear.weight.abs().max() <= bound and torch.count_nonzero(linear.bias) == 0
    bns = [m for m in b0.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.all(m.weight == 1) and torch.all(m.bias == 0) for m in bns)
    stem = b0.features[0][0]
    fan_out = stem.out_channels * 9
    assert stem.weight.std().item() == pytest.approx((2 / fan_out) ** 0.5, rel=0.25)


def test_pooling_is_a_plain_mean_not_adaptive_pooling(b0):
    assert not any(isinstance(m, nn.AdaptiveAvgPool2d) for m in b0.modules())
