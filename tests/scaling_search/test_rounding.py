"""The released rounding rules: nearest multiple of 8 with the 90% rule, and ceil for layers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaling_search.official import OFFICIAL
from scaling_search.rounding import round_filters, round_repeats
from search_spaces.errors import UserError

#: Same examples on every run (CI must not flake) and no example database written to the repo.
FIXED = settings(derandomize=True, database=None, deadline=None)

B0_CHANNELS = (32, 16, 24, 40, 80, 112, 192, 320, 1280)  # stem, stages 1-7, head (Table 1)
B0_LAYERS = (1, 2, 2, 3, 3, 4, 1)

#: What torchvision 0.29.1's efficientnet_bN() has (stem, stages, head), read off the models.
RELEASED_CHANNELS = {
    "b0": (32, 16, 24, 40, 80, 112, 192, 320, 1280),
    "b1": (32, 16, 24, 40, 80, 112, 192, 320, 1280),
    "b2": (32, 16, 24, 48, 88, 120, 208, 352, 1408),
    "b3": (40, 24, 32, 48, 96, 136, 232, 384, 1536),
    "b4": (48, 24, 32, 56, 112, 160, 272, 448, 1792),
    "b5": (48, 24, 40, 64, 128, 176, 304, 512, 2048),
    "b6": (56, 32, 40, 72, 144, 200, 344, 576, 2304),
    "b7": (64, 32, 48, 80, 160, 224, 384, 640, 2560),
}
RELEASED_LAYERS = {
    "b0": (1, 2, 2, 3, 3, 4, 1),
    "b1": (2, 3, 3, 4, 4, 5, 2),
    "b2": (2, 3, 3, 4, 4, 5, 2),
    "b3": (2, 3, 3, 5, 5, 6, 2),
    "b4": (2, 4, 4, 6, 6, 8, 2),
    "b5": (3, 5, 5, 7, 7, 9, 3),
    "b6": (3, 6, 6, 8, 8, 11, 3),
    "b7": (4, 7, 7, 10, 10, 13, 4),
}


@pytest.mark.parametrize("row", OFFICIAL, ids=lambda r: r.name)
def test_b_series_channels_are_the_released_ones(row):
    assert tuple(round_filters(c, row.width) for c in B0_CHANNELS) == RELEASED_CHANNELS[row.name]


@pytest.mark.parametrize("row", OFFICIAL, ids=lambda r: r.name)
def test_b_series_layers_are_the_released_ones(row):
    assert tuple(round_repeats(n, row.depth) for n in B0_LAYERS) == RELEASED_LAYERS[row.name]


@pytest.mark.parametrize("row", OFFICIAL, ids=lambda r: r.name)
def test_head_rule_equals_torchvisions_four_times_last_stage(row):
    # Released TF: round_filters(1280, w); torchvision: 4 * round_filters(320, w). Same for B0-B7.
    assert round_filters(1280, row.width) == 4 * round_filters(320, row.width)


def test_head_rules_differ_off_the_b_series_widths():
    # phi=2 with the paper's beta: 1280*1.21 = 1548.8 -> 1552, but 320*1.21 = 387.2 -> 384 (x4 = 1536).
    assert round_filters(1280, 1.1**2) == 1552 and 4 * round_filters(320, 1.1**2) == 1536


def test_nearest_multiple_of_eight():
    assert round_filters(40, 1.1) == 48  # 44 is a tie: rounds up
    assert round_filters(80, 1.1) == 88
    assert round_filters(112, 1.4) == 160  # 156.8 -> 160
    assert round_filters(192, 1.1) == 208  # 211.2 -> 208


def test_ninety_percent_rule_adds_eight():
    # 16 * 1.2 = 19.2: nearest multiple is 16, below 0.9 * 19.2 = 17.28, so 24 (B3 stage 1).
    assert round_filters(16, 1.2) == 24
    # 9 channels: nearest multiple 8 is >= 0.9 * 9 = 8.1? no -> 16.
    assert round_filters(9, 1.0) == 16


def test_at_least_eight_channels():
    assert round_filters(4, 1.0) == 8
    assert round_filters(8, 0.1) == 8


def test_other_divisor():
    assert round_filters(30, 1.0, divisor=4) == 32 and round_filters(30, 1.0, divisor=1) == 30


@FIXED
@given(st.integers(1, 4000), st.floats(0.05, 8.0))
def test_filters_are_multiples_of_eight_close_to_the_product(channels, width):
    result = round_filters(channels, width)
    scaled = channels * width
    assert result % 8 == 0 and result >= 8
    assert result >= 0.9 * scaled
    assert result <= max(scaled + 4, 0.9 * scaled + 8, 8)


@FIXED
@given(st.integers(1, 400), st.floats(0.05, 8.0), st.floats(0.05, 8.0))
def test_filters_grow_with_width(channels, w1, w2):
    low, high = sorted((w1, w2))
    assert round_filters(channels, low) <= round_filters(channels, high)


def test_repeats_are_the_ceiling():
    assert round_repeats(1, 1.1) == 2  # B1: one-layer stages get two
    assert round_repeats(4, 3.1) == 13  # B7 stage 6
    assert round_repeats(3, 1.0) == 3


def test_repeats_ignore_float_noise():
    # 25 * 2.2 == 55.00000000000001 in floating point; the product is 55, not 56.
    assert 25 * 2.2 != 55 and round_repeats(25, 2.2) == 55


@FIXED
@given(st.integers(1, 64), st.floats(0.01, 10.0))
def test_repeats_cover_the_product(layers, depth):
    result = round_repeats(layers, depth)
    assert result >= 1 and result >= layers * depth - 1e-6 and result < layers * depth + 1


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_bad_multipliers_are_user_errors(bad):
    with pytest.raises(UserError):
        round_filters(32, bad)
    with pytest.raises(UserError):
        round_repeats(2, bad)


def test_bad_counts_are_user_errors():
    with pytest.raises(UserError):
        round_filters(-1, 1.0)
    assert round_filters(0, 1.4) == 0  # no head conv stays none
    with pytest.raises(UserError):
        round_repeats(0, 1.0)
