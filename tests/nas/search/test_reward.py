"""The MnasNet reward (soft and hard, at/under/over the target) and the FLOPs parser."""

from __future__ import annotations

import math

import pytest

import cli
from nas.search.reward import Reward, format_flops, parse_flops, reward
from search_spaces.errors import UserError

T = 400_000_000


@pytest.mark.parametrize(
    ("kind", "macs", "expected"),
    [
        # soft, w = -0.07: at T no change; 2x T costs a factor 2**-0.07; half T gains 2**0.07
        ("soft", T, 0.80),
        ("soft", 2 * T, 0.80 * 2**-0.07),
        ("soft", T // 2, 0.80 * 2**0.07),
        # hard: w = 0 at or under T, -1 over
        ("hard", T, 0.80),
        ("hard", T // 2, 0.80),
        ("hard", 2 * T, 0.40),
        ("hard", T + 4_000_000, 0.80 / 1.01),
    ],
)
def test_reward_table(kind, macs, expected):
    assert reward(0.80, macs, T, kind=kind) == pytest.approx(expected, rel=1e-12)


def test_soft_reward_breaks_even_at_five_percent_per_doubling():
    """w = -0.07 is the paper's choice: 2x FLOPs must buy about +5% relative accuracy."""
    assert reward(0.80 * 1.05, 2 * T, T) == pytest.approx(reward(0.80, T, T), rel=2e-3)


def test_w_is_configurable_for_both_kinds():
    assert reward(0.5, 2 * T, T, w=-0.5) == pytest.approx(0.5 * 2**-0.5)
    assert reward(0.5, 2 * T, T, w=-2.0, kind="hard") == pytest.approx(0.5 / 4)
    assert reward(0.5, T // 2, T, w=-2.0, kind="hard") == pytest.approx(0.5)
    assert Reward.make(T, "hard").w == -1.0 and Reward.make(T, "soft").w == -0.07


def test_reward_object_matches_function():
    r = Reward.make(T, "soft", -0.1)
    assert r(0.7, 3 * T) == pytest.approx(reward(0.7, 3 * T, T, w=-0.1))
    assert r(None, T) is None and reward(None, T, T) is None


def test_unknown_kind_and_positive_w_are_refused():
    with pytest.raises(UserError):
        reward(0.5, T, T, kind="medium")
    with pytest.raises(UserError):
        Reward.make(T, "soft", 0.5)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("400M", 400_000_000),
        ("0.4G", 400_000_000),
        ("4e8", 400_000_000),
        ("400000000", 400_000_000),
        ("400m", 400_000_000),
        (" 1.5G ", 1_500_000_000),
        ("390MFLOPs", 390_000_000),
        ("250K", 250_000),
        ("1B", 1_000_000_000),
        (4e8, 400_000_000),
    ],
)
def test_parse_flops_accepts(text, value):
    assert parse_flops(text) == value


@pytest.mark.parametrize(
    "text", ["0", "-400M", "-4e8", "abc", "", "400X", "4e8e", "nan", "inf", "1e400", "0.2"]
)
def test_parse_flops_refuses(text):
    with pytest.raises(UserError):
        parse_flops(text)


def test_format_flops_round_trips_short_forms():
    for value in (400_000_000, 1_500_000_000, 385_814_752, 250_000):
        text = format_flops(value)
        assert math.isclose(parse_flops(text), value, rel_tol=1e-5)
    assert format_flops(400_000_000) == "400M"


@pytest.mark.parametrize("flops", ["--target-flops=-400M", "--target-flops=zero", "--target-flops=0"])
def test_cli_refuses_bad_targets_with_one_line(flops, capsys, tmp_path):
    code = cli.main(["baseline", flops, "--storage", f"sqlite:///{tmp_path}/x.db", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "FLOPs target" in err
    assert not (tmp_path / "x.db").exists()
