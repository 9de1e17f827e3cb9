"""Single-dimension scaling to the compound winner's realised MACs (bisection on exact MACs)."""

from __future__ import annotations

import math

import pytest

from scaling_search.scale import scale
from scaling_search.single import SINGLE_ROLES, match_macs, single_dimension_family
from search_spaces.arch_yaml import reference_b0
from search_spaces.cost import count_cost
from search_spaces.errors import UserError


@pytest.fixture(scope="module")
def family():
    base = reference_b0()
    target = count_cost(scale(base, 1.2, 1.1, 1.15, 1.0), 10, 1).macs
    return base, target, single_dimension_family(base, target, 10, 1)


def test_each_single_model_lands_near_the_target(family) -> None:
    _, target, models = family
    assert [m.role for m in models] == list(SINGLE_ROLES)
    for model in models:
        assert model.macs == count_cost(model.arch, 10, 1).macs
        # channel multiples of 8, whole layers and whole pixels leave a step, but a small one
        assert abs(math.log(model.macs / target)) < 0.06, (model.role, model.macs, target)


def test_each_single_model_changes_only_its_dimension(family) -> None:
    base, _, (width, depth, resolution) = family
    assert width.arch.resolution == base.resolution and width.arch.num_blocks == base.num_blocks
    assert width.arch.head_channels > base.head_channels
    assert depth.arch.resolution == base.resolution and depth.arch.head_channels == base.head_channels
    assert depth.arch.num_blocks > base.num_blocks
    assert resolution.arch.num_blocks == base.num_blocks
    assert resolution.arch.head_channels == base.head_channels
    assert resolution.arch.resolution > base.resolution


def test_the_closest_step_is_chosen(family) -> None:
    base, target, (_, _, resolution) = family
    chosen = resolution.arch.resolution

    def macs(res: int) -> int:
        return count_cost(base, 10, 1, resolution=res).macs

    for other in (chosen - 1, chosen + 1):
        assert abs(math.log(macs(chosen) / target)) <= abs(math.log(macs(other) / target))


def test_a_target_below_the_base_gives_the_base() -> None:
    base = reference_b0()
    model = match_macs(base, "single-width", 1000)
    assert model.multiplier == 1.0 and model.arch == base


def test_an_unreachable_target_is_a_user_error() -> None:
    with pytest.raises(UserError):
        match_macs(reference_b0(), "single-depth", 10**15)
