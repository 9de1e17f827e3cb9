"""Blocks build, run forward and backward, and apply the skip only where it is legal."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.blocks import ConvBlock, DSConv, MBConv, SqueezeExcite, StochasticDepth
from search_spaces.builder import build_model
from search_spaces.plan import BlockPlan, block_plans, se_channels

torch.set_num_threads(1)


def _arch(op, stride=1, skip=True, expansion=1, se=0.25, channels=8, layers=2, kernel=3):
    stage = StageSpec(op, kernel, stride, expansion, se, skip, channels, layers)
    return ArchSpec(stages=(stage,), stem_channels=8, head_channels=16, resolution=16, stem_stride=1)


@pytest.mark.parametrize("in_channels", [1, 3])
@pytest.mark.parametrize(
    ("op", "expansion", "kernel"),
    [("mbconv", 1, 3), ("mbconv", 6, 5), ("mbconv", 3, 7), ("dsconv", 1, 5), ("conv", 1, 3)],
)
def test_every_op_builds_and_trains_one_step(op, expansion, kernel, in_channels):
    torch.manual_seed(0)
    model = build_model(_arch(op, stride=2, expansion=expansion, kernel=kernel), 5, in_channels).train()
    x = torch.randn(2, in_channels, 17, 17)
    out = model(x)
    assert out.shape == (2, 5)
    out.logsumexp(1).sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("op", ["mbconv", "dsconv", "conv"])
def test_skip_applies_only_with_stride_one_and_equal_channels(op):
    arch = _arch(op, stride=1, channels=8, layers=2)
    assert [p.residual for p in block_plans(arch)] == [True, True]
    arch = _arch(op, stride=2, channels=8, layers=2)
    assert [p.residual for p in block_plans(arch)] == [False, True]
    arch = _arch(op, stride=1, channels=16, layers=2)
    assert [p.residual for p in block_plans(arch)] == [False, True]
    arch = _arch(op, stride=1, channels=8, layers=2, skip=False)
    assert [p.residual for p in block_plans(arch)] == [False, False]


def test_block_adds_its_input_exactly_when_residual():
    plan = BlockPlan("conv", 4, 4, 3, 1, 4, 0, residual=True, drop_prob=0.0)
    block = ConvBlock(plan).eval()
    x = torch.randn(1, 4, 5, 5)
    assert torch.allclose(block(x), block.body(x) + x)
    plain = ConvBlock(BlockPlan("conv", 4, 4, 3, 1, 4, 0, residual=False, drop_prob=0.0)).eval()
    plain.load_state_dict(block.state_dict())
    assert torch.allclose(plain(x), block.body(x))


def test_mbconv_expands_only_when_expansion_is_not_one():
    narrow = MBConv(BlockPlan("mbconv", 8, 8, 3, 1, 8, 2, True, 0.0))
    wide = MBConv(BlockPlan("mbconv", 8, 8, 3, 1, 48, 2, True, 0.0))
    assert sum(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in narrow.body) == 0
    assert isinstance(wide.body[0][0], nn.Conv2d) and wide.body[0][0].out_channels == 48
    depthwise = wide.body[1][0]
    assert depthwise.groups == 48 and depthwise.padding == (1, 1)


def test_projection_has_no_activation_and_convs_have_no_bias():
    block = MBConv(BlockPlan("mbconv", 8, 16, 5, 2, 48, 2, False, 0.0))
    assert isinstance(block.body[-1][-1], nn.BatchNorm2d)
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    ses = [m for m in block.modules() if isinstance(m, SqueezeExcite)]
    se_convs = {id(conv) for se in ses for conv in (se.reduce, se.expand)}
    assert all((c.bias is not None) == (id(c) in se_convs) for c in convs)


def test_dsconv_is_depthwise_then_pointwise():
    block = DSConv(BlockPlan("dsconv", 8, 16, 5, 1, 8, 0, False, 0.0))
    assert block.body[0][0].groups == 8 and block.body[-1][0].kernel_size == (1, 1)


def test_se_bottleneck_is_sized_from_the_block_input():
    assert se_channels(40, 0.25) == 10
    assert se_channels(3, 0.25) == 1
    assert se_channels(40, 0.0) == 0
    plan = block_plans(_arch("mbconv", expansion=6, channels=8))[0]
    assert (plan.mid_channels, plan.se_channels) == (48, 2)


def test_squeeze_excite_scales_each_channel_by_a_gate_in_zero_one():
    se = SqueezeExcite(6, 2)
    x = torch.rand(3, 6, 4, 4) + 0.1
    ratio = se(x) / x
    assert ratio.min() > 0 and ratio.max() < 1
    assert torch.allclose(ratio, ratio[:, :, :1, :1].expand_as(ratio))


def test_stochastic_depth_is_identity_in_eval():
    drop = StochasticDepth(0.5).eval()
    x = torch.randn(8, 3, 2, 2)
    assert torch.equal(drop(x), x)


def test_stochastic_depth_drops_whole_samples_and_rescales_survivors():
    torch.manual_seed(0)
    drop = StochasticDepth(0.5).train()
    out = drop(torch.ones(400, 3, 2, 2))
    per_sample = out.flatten(1)
    assert set(per_sample.unique().tolist()) == {0.0, 2.0}
    assert (per_sample == per_sample[:, :1]).all()
    assert 120 < int((per_sample[:, 0] == 0).sum()) < 280
