"""The analytic cost model is exact: it equals fvcore (conv + linear) and sum(p.numel())."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.arch_yaml import reference_b0
from search_spaces.audit import fvcore_macs, largest_activation
from search_spaces.builder import build_model
from search_spaces.cost import Cost, cost_breakdown, count_cost
from search_spaces.errors import SpecError, UserError
from tests.search_spaces.arch_strategies import FIXED, archs

torch.set_num_threads(1)

B0_PARAMS = 5_288_548
B0_MACS_224 = 385_814_752


def _numel(arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3) -> int:
    return sum(p.numel() for p in build_model(arch, num_classes, in_channels).parameters())


def test_b0_cost_is_the_published_exact_count():
    assert count_cost(reference_b0()) == Cost(params=B0_PARAMS, macs=B0_MACS_224)


def test_fvcore_agrees_on_b0_at_224():
    assert fvcore_macs(reference_b0()) == B0_MACS_224


@pytest.mark.parametrize("resolution", [8, 33, 97, 225])
def test_b0_at_odd_resolutions_matches_fvcore(resolution):
    assert count_cost(reference_b0(), resolution=resolution).macs == fvcore_macs(
        reference_b0(), resolution=resolution
    )


def test_resolution_defaults_to_the_architectures_own():
    arch = ArchSpec(stages=reference_b0().stages, resolution=97)
    assert count_cost(arch) == count_cost(reference_b0(), resolution=97)


def test_parts_add_up_to_the_total():
    parts = cost_breakdown(reference_b0())
    assert [p.name for p in parts][:2] == ["stem", "stage1"] and parts[-1].name == "classifier"
    assert sum(p.cost.params for p in parts) == B0_PARAMS
    assert sum(p.cost.macs for p in parts) == B0_MACS_224
    assert [p.out_size for p in parts] == [112, 112, 56, 28, 14, 14, 7, 7, 7, 1]


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], **FIXED)
@given(archs(max_stages=3, max_channels=24, max_layers=2), st.integers(8, 41), st.integers(1, 12))
def test_random_archs_match_fvcore_and_numel(arch, resolution, num_classes):
    in_channels = 1 + resolution % 3
    cost = count_cost(arch, num_classes=num_classes, in_channels=in_channels, resolution=resolution)
    assert cost.params == _numel(arch, num_classes, in_channels)
    assert cost.macs == fvcore_macs(
        arch, num_classes=num_classes, in_channels=in_channels, resolution=resolution
    )


@settings(max_examples=60, **FIXED)
@given(archs(max_stages=6, max_channels=200, max_layers=4))
def test_random_archs_params_match_numel(arch):
    assert count_cost(arch, num_classes=7, in_channels=1).params == _numel(arch, 7, 1)


def test_every_op_and_kernel_with_stem_stride_one_matches_fvcore():
    stages = (
        StageSpec("conv", 7, 2, 1, 0.5, True, 12, 2),
        StageSpec("dsconv", 5, 1, 1, 0.25, True, 12, 2),
        StageSpec("mbconv", 3, 2, 4, 0.0, False, 20, 2),
        StageSpec("mbconv", 7, 1, 2, 1.0, True, 20, 1),
    )
    arch = ArchSpec(stages=stages, stem_channels=10, head_channels=36, stem_stride=1, stem_kernel=5)
    for resolution in (9, 31):
        assert count_cost(arch, 3, 1, resolution).macs == fvcore_macs(arch, 3, 1, resolution)


@pytest.mark.parametrize("resolution", [7, 0, 5000, True])
def test_absurd_resolution_is_refused(resolution):
    with pytest.raises(SpecError, match="resolution"):
        count_cost(reference_b0(), resolution=resolution)


@pytest.mark.parametrize(("classes", "channels"), [(0, 3), (10, 0), (10**7, 3), (10, 5000)])
def test_absurd_classes_or_channels_are_refused(classes, channels):
    with pytest.raises(UserError):
        count_cost(reference_b0(), num_classes=classes, in_channels=channels)


def test_audit_refuses_a_trace_that_would_exhaust_memory():
    assert largest_activation(reference_b0(), 3, 224) == 96 * 112 * 112
    with pytest.raises(UserError, match="too large to audit"):
        fvcore_macs(reference_b0(), resolution=4096)
