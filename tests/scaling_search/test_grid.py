"""The constrained coefficient grid and its deterministic spread subset."""

from __future__ import annotations

import math

import pytest

from scaling_search.grid import GridPoint, candidate_grid, keeps, spread_subset
from search_spaces.errors import UserError


def test_paper_point_is_kept() -> None:
    paper = GridPoint(1.2, 1.1, 1.15)
    assert paper.constraint == pytest.approx(1.92027, abs=1e-9)
    assert paper in candidate_grid(0.05, 0.1)


@pytest.mark.parametrize(
    "point",
    [GridPoint(1.0, 1.0, 1.0), GridPoint(1.5, 1.3, 1.2), GridPoint(2.0, 1.4, 1.4), GridPoint(1.2, 1.1, 1.1)],
)
def test_clearly_off_points_are_dropped(point: GridPoint) -> None:
    assert not keeps(point, 0.1)
    assert point not in candidate_grid(0.05, 0.1)


def test_tolerance_edge_is_inclusive_despite_float_error() -> None:
    # 1.9 - 2 == -0.10000000000000009 in binary floating point: still exactly on the edge.
    assert keeps(GridPoint(1.9, 1.0, 1.0), 0.1)
    assert keeps(GridPoint(2.1, 1.0, 1.0), 0.1)
    assert GridPoint(1.9, 1.0, 1.0) in candidate_grid(0.05, 0.1)
    assert GridPoint(2.1, 1.0, 1.0) in candidate_grid(0.05, 0.1)
    assert not keeps(GridPoint(1.85, 1.0, 1.0), 0.1)
    assert not keeps(GridPoint(2.15, 1.0, 1.0), 0.1)


def test_zero_tolerance_keeps_only_exact_points() -> None:
    assert candidate_grid(0.05, 0.0) == (GridPoint(2.0, 1.0, 1.0),)


def test_every_kept_point_satisfies_the_constraint_and_bounds() -> None:
    grid = candidate_grid(0.05, 0.1)
    assert list(grid) == sorted(set(grid))
    for p in grid:
        assert abs(p.alpha * p.beta**2 * p.gamma**2 - 2) <= 0.1 + 1e-9
        assert min(p.alpha, p.beta, p.gamma) >= 1.0
        # values sit exactly on the step grid (no accumulated float drift)
        for value in (p.alpha, p.beta, p.gamma):
            assert round((value - 1) / 0.05, 6) == round((value - 1) / 0.05)


def test_grid_is_complete_by_brute_force() -> None:
    expected = set()
    for i in range(60):
        for j in range(60):
            for k in range(60):
                a, b, g = (round(1 + n * 0.1, 9) for n in (i, j, k))
                if abs(round(a * b * b * g * g, 9) - 2) <= 0.2 + 1e-12:
                    expected.add(GridPoint(a, b, g))
    assert set(candidate_grid(0.1, 0.2)) == expected


@pytest.mark.parametrize(
    "step, tolerance", [(0.0, 0.1), (-0.05, 0.1), (math.nan, 0.1), (2.0, 0.1), (0.05, -1)]
)
def test_bad_step_or_tolerance_is_a_user_error(step: float, tolerance: float) -> None:
    with pytest.raises(UserError):
        candidate_grid(step, tolerance)


def test_grid_that_keeps_no_point_is_a_user_error() -> None:
    with pytest.raises(UserError, match="keeps no point"):
        candidate_grid(0.3, 0.01)


def test_spread_subset_is_deterministic_and_includes_the_paper_point() -> None:
    grid = candidate_grid(0.05, 0.1)
    first = spread_subset(grid, 5)
    assert first == spread_subset(list(reversed(grid)), 5)
    assert len(first) == 5 and len(set(first)) == 5
    assert GridPoint(1.2, 1.1, 1.15) in first
    assert set(first) <= set(grid)


def test_spread_subset_grows_by_adding_points() -> None:
    grid = candidate_grid(0.05, 0.1)
    assert set(spread_subset(grid, 3)) <= set(spread_subset(grid, 6))


def test_spread_subset_is_spread_out() -> None:
    grid = candidate_grid(0.05, 0.1)
    subset = spread_subset(grid, 4)
    shares = [p.flops_share() for p in subset]
    closest = min(math.dist(a, b) for i, a in enumerate(shares) for b in shares[i + 1 :])
    # four nearest neighbours on the grid are far closer than the chosen points are to each other
    assert closest > 0.3


def test_spread_subset_returns_everything_when_budget_is_large() -> None:
    grid = candidate_grid(0.1, 0.1)
    assert spread_subset(grid, len(grid) + 5) == grid


def test_spread_subset_refuses_zero() -> None:
    with pytest.raises(UserError):
        spread_subset(candidate_grid(), 0)
