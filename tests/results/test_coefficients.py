"""Reading a coefficients study: band, winner, compound vs single-dimension, scaled family."""

from __future__ import annotations

from collections.abc import Callable

import optuna
import pytest

from results.coefficients import (
    constraint_band,
    published_family,
    scaled_family,
    scaling_comparison,
    winner,
)
from results.tables import study_settings, trials_frame
from search_spaces.arch_yaml import reference_b0
from search_spaces.cost import count_cost


def test_band_comes_from_the_settings() -> None:
    assert constraint_band({}) == pytest.approx((1.9, 2.1))  # EfficientNet Eq. 3, 2 +- 0.1
    assert constraint_band({"tolerance": 0.05, "constraint_target": 2.0}) == pytest.approx((1.95, 2.05))


def test_winner_is_the_most_accurate_grid_point_in_the_band(load: Callable[[str], optuna.Study]) -> None:
    study = load("toy-coefficients")
    frame = trials_frame(study)
    band = constraint_band(study_settings(study))
    best = winner(frame, band)
    grid = frame[(frame["role"] == "coefficients") & (frame["status"] == "complete")]
    assert best is not None
    assert best["accuracy"] == grid["accuracy"].max()
    assert band[0] <= best["constraint"] <= band[1]


def test_no_winner_without_grid_trials(load: Callable[[str], optuna.Study]) -> None:
    assert winner(trials_frame(load("toy-baseline")), (1.9, 2.1)) is None


def test_comparison_has_every_method_starting_at_the_baseline(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("toy-coefficients"))
    table = scaling_comparison(frame, (1.9, 2.1))
    methods = set(table["method"])
    assert methods == {"baseline", "compound", "single-width", "single-depth", "single-resolution"}
    for method in methods - {"baseline"}:
        part = table[table["method"] == method]
        assert part.iloc[0]["role"] == "reference"  # every line starts from the same model
        assert len(part) == 2


def test_scaled_family_starts_at_the_base_and_grows_about_2_to_the_phi() -> None:
    b0 = reference_b0()
    family = scaled_family(b0, 1.2, 1.1, 1.15)
    assert family is not None and [m.phi for m in family] == list(range(8))
    assert family[0].macs == count_cost(b0).macs and family[0].params == 5_288_548
    for member in family[1:]:
        ratio = member.macs / family[0].macs
        assert 2**member.phi * 0.75 < ratio < 2**member.phi * 1.6


def test_published_family_is_b0_to_b7() -> None:
    rows = published_family()
    assert rows is not None
    assert [r["name"] for r in rows] == [f"B{i}" for i in range(8)]
    assert rows[0]["paper_macs"] == pytest.approx(0.39e9) and rows[7]["paper_params"] == pytest.approx(66e6)
