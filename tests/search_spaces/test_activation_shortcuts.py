"""The activation field and the skip ops beyond the identity (pooling, projection).

The activation must keep every existing file and code valid (SiLU by default, B0's counts
unchanged); the pooling skip is parameter-free and MAC-free (MnasNet Fig. 4's SkipOp as
documented in :func:`search_spaces.blocks.pool_shortcut`); the projection shortcut is a 1x1 conv
+ BN where the shape changes (ResNet's option B).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from search_spaces import arch_code, arch_from_code, arch_from_yaml, arch_to_yaml, reference_b0
from search_spaces.arch import ArchSpec, StageSpec, replace_stage
from search_spaces.audit import fvcore_macs
from search_spaces.blocks import pool_shortcut
from search_spaces.builder import build_model
from search_spaces.codes import stage_code, stage_from_code
from search_spaces.cost import Cost, count_cost
from search_spaces.errors import SpecError
from search_spaces.plan import block_plans


def _stage(**changes: object) -> StageSpec:
    base = dict(
        op="mbconv", kernel=3, stride=2, expansion=4, se_ratio=0.25, skip=True, out_channels=24, layers=2
    )
    return StageSpec(**{**base, **changes})


def _arch(*stages: StageSpec, **changes: object) -> ArchSpec:
    base = dict(stem_channels=16, head_channels=32, resolution=17, stem_stride=1, drop_connect=0.0)
    return ArchSpec(stages=stages, **{**base, **changes})


def test_b0_is_unchanged_by_the_new_fields() -> None:
    b0 = reference_b0()
    assert b0.activation == "silu" and all(
        s.activation == "silu" and s.shortcut == "identity" for s in b0.stages
    )
    assert count_cost(b0) == Cost(params=5_288_548, macs=385_814_752)
    assert "activation" not in arch_to_yaml(b0) and "relu" not in arch_code(b0)


@pytest.mark.parametrize("activation", ["relu", "relu6", "silu"])
def test_activation_round_trips_through_codes_and_yaml(activation: str) -> None:
    stage = _stage(activation=activation)
    assert stage_from_code(stage_code(stage)) == stage
    arch = _arch(stage, _stage(stride=1, activation="relu"), activation=activation)
    assert arch_from_code(arch_code(arch)) == arch
    assert arch_from_yaml(arch_to_yaml(arch)) == arch


def test_activation_in_yaml_defaults_to_the_networks() -> None:
    text = """
activation: relu6
stages:
  - {op: mbconv, kernel: 3, stride: 1, expansion: 6, out_channels: 16, layers: 1}
  - {op: conv, kernel: 3, stride: 1, out_channels: 16, layers: 1, activation: relu}
"""
    arch = arch_from_yaml(text)
    assert arch.activation == "relu6"
    assert [s.activation for s in arch.stages] == ["relu6", "relu"]


def test_unknown_activation_is_one_spec_error() -> None:
    with pytest.raises(SpecError, match="unknown activation 'gelu'"):
        _stage(activation="gelu")
    with pytest.raises(SpecError, match="activation"):
        arch_from_yaml("activation: tanh\nstages: [{op: conv, kernel: 3, out_channels: 8, layers: 1}]")
    with pytest.raises(SpecError):
        stage_from_code("mbconv_r1_k3_s1_e6_c16_se0_gelu")


def test_builder_uses_the_requested_activation() -> None:
    arch = _arch(_stage(activation="relu6"), activation="relu")
    model = build_model(arch)
    kinds = {type(m) for m in model.modules()}
    assert nn.ReLU6 in kinds and nn.ReLU in kinds and nn.SiLU not in kinds


@pytest.mark.parametrize("skip_op", ["pooling", "projection", "none", "identity"])
def test_skip_ops_round_trip(skip_op: str) -> None:
    from search_spaces.arch import skip_fields

    stage = _stage(**skip_fields(skip_op))
    assert stage.skip_op == skip_op
    assert stage_from_code(stage_code(stage)) == stage
    arch = _arch(stage)
    assert arch_from_yaml(arch_to_yaml(arch)) == arch


def test_a_shortcut_without_a_skip_is_refused() -> None:
    with pytest.raises(SpecError, match="needs skip"):
        _stage(skip=False, shortcut="pooling")


def test_pooling_skip_is_on_every_block_and_free() -> None:
    pooled = _arch(_stage(shortcut="pooling"), _stage(stride=1, out_channels=16, shortcut="pooling"))
    plain = _arch(_stage(skip=False), _stage(stride=1, out_channels=16, skip=False))
    assert all(plan.residual and plan.shortcut == "pooling" for plan in block_plans(pooled))
    assert count_cost(pooled) == count_cost(plain)
    model = build_model(pooled)
    assert sum(p.numel() for p in model.parameters()) == count_cost(pooled).params
    assert fvcore_macs(pooled) == count_cost(pooled).macs
    assert model(torch.zeros(2, 3, 17, 17)).shape == (2, 1000)


def test_pooling_shortcut_pools_then_pads_or_cuts_channels() -> None:
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5)
    wider = pool_shortcut(x, 5, 2)
    assert wider.shape == (2, 5, 3, 3)
    assert torch.equal(wider[:, :3], F.avg_pool2d(x, 2, 2, ceil_mode=True))
    assert torch.count_nonzero(wider[:, 3:]) == 0
    assert torch.equal(pool_shortcut(x, 2, 1), x[:, :2])


def test_pooling_block_adds_the_pooled_input() -> None:
    arch = _arch(_stage(shortcut="pooling", layers=1, se_ratio=0.0))
    model = build_model(arch).eval()
    block = model.features[1][0]
    x = torch.randn(2, 16, 9, 9)
    with torch.no_grad():
        assert torch.allclose(block(x), block.body(x) + pool_shortcut(x, 24, 2))


def test_projection_shortcut_costs_a_1x1_conv_where_the_shape_changes() -> None:
    arch = _arch(
        _stage(op="bottleneck", shortcut="projection", activation="relu"), stem_pool=True, head_channels=0
    )
    plans = block_plans(arch)
    assert [p.projects for p in plans] == [True, False]
    model = build_model(arch)
    assert sum(p.numel() for p in model.parameters()) == count_cost(arch).params
    assert fvcore_macs(arch) == count_cost(arch).macs
    no_proj = replace_stage(arch.stages[0], skip=False, shortcut="identity")
    extra = count_cost(arch).params - count_cost(arch.with_stages((no_proj,))).params
    assert extra == 16 * 24 + 2 * 24  # the 1x1 conv and its BN


def test_no_head_conv_feeds_the_last_stage_to_the_classifier() -> None:
    arch = _arch(_stage(), head_channels=0)
    assert arch.features == 24
    model = build_model(arch, num_classes=7)
    assert model.classifier[-1].in_features == 24
    assert model(torch.zeros(1, 3, 17, 17)).shape == (1, 7)
    assert arch_from_code(arch_code(arch)) == arch
