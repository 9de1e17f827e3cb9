"""Compound scaling: rounding applied everywhere, MACs growing ~2**phi, absurd sizes refused."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

from scaling_search.coefficients_file import PAPER
from scaling_search.official import official_arch
from scaling_search.rounding import round_filters, round_repeats
from scaling_search.scale import (
    MAX_MACS,
    ScaledPoint,
    TooLarge,
    realised_multipliers,
    scale,
    scale_arch,
    scale_point,
)
from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.arch_yaml import reference_b0
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

B0 = reference_b0()
A, B, G = PAPER.alpha, PAPER.beta, PAPER.gamma


def _paper(phi: float) -> ArchSpec:
    return scale(B0, A, B, G, phi)


def test_phi_zero_is_the_base():
    assert _paper(0) == B0


def test_phi_one_with_the_paper_coefficients():
    arch = _paper(1)
    assert arch.resolution == 258  # round(224 * 1.15) = round(257.6)
    assert arch.stem_channels == 32 and arch.head_channels == 1408
    assert [s.out_channels for s in arch.stages] == [16, 24, 48, 88, 120, 208, 352]
    assert [s.layers for s in arch.stages] == [2, 3, 3, 4, 4, 5, 2]  # ceil(1.2 * n)


def test_scale_rounds_stem_every_stage_and_head():
    arch = scale_arch(B0, 1.37, 1.9, 300)
    assert arch.stem_channels == round_filters(32, 1.37)
    assert arch.head_channels == round_filters(1280, 1.37)
    for ours, base in zip(arch.stages, B0.stages, strict=True):
        assert ours.out_channels == round_filters(base.out_channels, 1.37)
        assert ours.layers == round_repeats(base.layers, 1.9)
        assert (ours.op, ours.kernel, ours.stride, ours.expansion, ours.se_ratio, ours.skip) == (
            base.op,
            base.kernel,
            base.stride,
            base.expansion,
            base.se_ratio,
            base.skip,
        )
    assert arch.resolution == 300


def test_scale_arch_dropout_override_and_default():
    assert scale_arch(B0, 1.1, 1.2, 260, dropout=0.3).dropout == 0.3
    assert scale_arch(B0, 1.1, 1.2, 260).dropout == B0.dropout
    assert scale_arch(B0, 1.1, 1.2, 260).drop_connect == B0.drop_connect


def test_scale_arch_with_the_b2_table_values_is_official_b2():
    assert scale_arch(B0, 1.1, 1.2, 260, dropout=0.3) == official_arch("b2")


def test_resolution_is_rounded_to_an_integer():
    for phi in (0.3, 1.7, 2.5):
        assert _paper(phi).resolution == round(224 * G**phi)


def test_macs_grow_about_two_to_the_phi_with_the_paper_coefficients():
    base = count_cost(B0).macs
    ratios = {phi: count_cost(_paper(phi)).macs / base / 2**phi for phi in range(8)}
    worst = max(ratios.values(), key=lambda r: abs(math.log(r)))
    # Measured: worst 1.286 at phi=1 (ceil of depth x1.2 adds 7 blocks), 0.80 at phi=7 (1.92**7/2**7).
    assert 0.75 < worst < 1.35, ratios
    assert ratios[0] == 1.0


def test_macs_never_shrink_as_phi_grows():
    macs = [count_cost(_paper(step / 10)).macs for step in range(0, 81)]
    assert macs == sorted(macs)


def test_real_valued_phi_sits_between_its_neighbours():
    low, mid, high = (count_cost(_paper(phi)).macs for phi in (1, 1.5, 2))
    assert low < mid < high


def test_scaled_point_keeps_nominal_and_realised_multipliers():
    point = scale_point(B0, A, B, G, 2)
    assert isinstance(point, ScaledPoint) and point.arch == _paper(2)
    assert point.phi == 2.0 and point.depth == pytest.approx(1.44) and point.width == pytest.approx(1.21)
    assert point.resolution == pytest.approx(1.15**2)
    assert (point.realised_width, point.realised_depth, point.realised_resolution) == realised_multipliers(
        B0, point.arch
    )
    assert point.realised_depth == 26 / 16 and point.realised_resolution == 296 / 224


def test_scaling_a_non_b0_base():
    base = ArchSpec(
        stages=(
            StageSpec("conv", 3, 1, 1, 0.0, True, 24, 1),
            StageSpec("dsconv", 5, 2, 1, 0.25, False, 40, 2),
        ),
        stem_channels=16,
        head_channels=320,
        resolution=32,
        stem_stride=1,
    )
    arch = scale(base, 1.2, 1.1, 1.15, 3)
    assert arch.resolution == round(32 * 1.15**3) and arch.stem_stride == 1
    assert [s.op for s in arch.stages] == ["conv", "dsconv"] and arch.stages[1].skip is False


@pytest.mark.parametrize("phi", [-1, -0.01, math.nan, math.inf, -math.inf, "1", None, True])
def test_bad_phi_is_a_user_error(phi):
    with pytest.raises(UserError, match="phi must be"):
        _paper(phi)


@pytest.mark.parametrize("phi", [16, 40, 1000, 1e6])
def test_absurd_phi_is_refused_before_building(phi):
    with pytest.raises(UserError, match=re.escape(f"phi={phi:g} gives a network too large to build/train")):
        _paper(phi)


def test_the_macs_limit_is_checked():
    # Wide and high-resolution but within the channel/layer/resolution limits: ~2.6e13 MACs.
    with pytest.raises(UserError, match="too large to build/train.*multiply-adds"):
        scale(B0, 1.5, 2.0, 2.0, 3.5)
    assert MAX_MACS == 10**13


def test_largest_paper_phi_that_fits():
    assert count_cost(_paper(15)).macs < MAX_MACS


@pytest.mark.parametrize(
    "width,depth,resolution",
    [(20.0, 1.0, 224), (1.0, 40.0, 224), (1.0, 1.0, 5000)],
)
def test_scale_arch_refuses_specs_beyond_the_limits(width, depth, resolution):
    with pytest.raises(TooLarge):
        scale_arch(B0, width, depth, resolution)


@pytest.mark.parametrize("width,depth,resolution", [(0, 1, 224), (1, -1, 224), (1, 1, 4), (1, 1, 224.0)])
def test_scale_arch_refuses_bad_values(width, depth, resolution):
    with pytest.raises(UserError):
        scale_arch(B0, width, depth, resolution)


@pytest.mark.parametrize("coeffs", [(0, 1.1, 1.15), (1.2, math.nan, 1.15), (1.2, 1.1, -1)])
def test_bad_coefficients_are_user_errors(coeffs):
    with pytest.raises(UserError):
        scale(B0, *coeffs, 1)


def test_base_dropout_keeps_its_ratio_to_the_released_table():
    # table: 0.2 at phi 0, 0.3 at phi 2; a base at 0.5 keeps 2.5x the table's value.
    scaled = scale(replace(B0, dropout=0.5, drop_connect=0.1), A, B, G, 2)
    assert scaled.dropout == pytest.approx(0.75)
    assert scaled.drop_connect == 0.1  # stochastic depth stays the base's, like every released model
