"""The grid judged by the networks it realises: merging, the tolerance filter and both rules."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaling_search.grid import GridPoint, candidate_grid
from scaling_search.realised import (
    RULE_SOFT,
    RULE_TOLERANCE,
    plan_grid,
    realise,
    score,
)
from scaling_search.resize import realised_multipliers
from scaling_search.scale import scale
from search_spaces.arch_yaml import reference_b0
from search_spaces.cost import count_cost
from search_spaces.errors import UserError
from tests.search_spaces.arch_strategies import archs

POINTS = candidate_grid(0.1, 0.15)  # a coarse grid keeps the property tests fast


@settings(max_examples=15, deadline=None)
@given(archs(), st.sampled_from([0.5, 1.0, 2.0]))
def test_merging_keeps_every_point_once_and_networks_distinct(base, phi):
    networks, base_macs = realise(base, POINTS, phi, 10, 1)
    assert base_macs == count_cost(base, 10, 1).macs
    members = [p for n in networks for p in n.points]
    assert sorted(members) == sorted(POINTS)  # every point lands in exactly one network
    assert len({n.arch for n in networks}) == len(networks)
    for network in networks:
        for point in network.points:  # every member really builds that network
            assert scale(base, point.alpha, point.beta, point.gamma, phi) == network.arch
        assert network.macs == count_cost(network.arch, 10, 1).macs
        assert network.ratio == pytest.approx(network.macs / (2**phi * base_macs))
        assert network.point in network.points


@settings(max_examples=15, deadline=None)
@given(archs(), st.floats(min_value=0.02, max_value=0.5), st.integers(min_value=1, max_value=6))
def test_plan_keeps_only_compound_networks_under_the_stated_rule(base, tolerance, k):
    try:
        plan = plan_grid(base, 1.0, 0.1, 0.15, tolerance, k, 10, 1)
    except UserError:  # no compound network at all: said in one line
        assert not any(n.compound for n in realise(base, POINTS, 1.0, 10, 1)[0])
        return
    assert plan.chosen and len(plan.chosen) <= k and set(plan.chosen) <= set(plan.pool)
    for network in plan.pool:
        assert network.compound and all(m > 1 for m in realised_multipliers(base, network.arch))
    inside = [n for n in plan.networks if n.compound and abs(n.ratio - 1) <= tolerance + 1e-9]
    if plan.rule == RULE_TOLERANCE:
        assert set(plan.pool) == set(inside) and len(inside) >= min(2, k)
    else:
        assert len(inside) < min(2, k) and set(plan.pool) == {n for n in plan.networks if n.compound}


def test_b0_at_phi_1_the_issues_numbers():
    plan = plan_grid(reference_b0(), 1.0, 0.05, 0.1, 0.1, 4)
    assert plan.grid_points == 111 and len(plan.networks) == 66
    low, high = plan.ratio_range
    assert 2 * low == pytest.approx(1.928, abs=1e-3) and 2 * high == pytest.approx(3.329, abs=1e-3)
    # every alpha in (1, 1.25] rounds B0's 16 blocks up to 23, so no compound net is within 10% of 2x
    assert plan.inside == () and plan.rule == RULE_SOFT
    assert GridPoint(1.2, 1.1, 1.15) in [n.point for n in plan.chosen]
    assert "soft rule" in plan.describe_rule()


def test_a_wide_tolerance_uses_the_tolerance_rule():
    plan = plan_grid(reference_b0(), 1.0, 0.05, 0.1, 0.5, 4)
    assert plan.rule == RULE_TOLERANCE and all(abs(n.ratio - 1) <= 0.5 for n in plan.chosen)


def test_scores_under_each_rule():
    assert score(0.8, 1.5, RULE_TOLERANCE) == 0.8
    assert score(0.8, 1.0, RULE_SOFT) == pytest.approx(0.8)
    assert score(0.8, 2.0, RULE_SOFT) == pytest.approx(0.8 * 2**-0.07)  # 2x the MACs costs ~4.7%
    assert score(None, 1.0, RULE_SOFT) is None and score(math.nan, 1.0, RULE_TOLERANCE) is None
    # under the soft rule a bigger network must be more accurate to win
    assert score(0.80, 1.3, RULE_SOFT) < score(0.79, 1.0, RULE_SOFT)


@pytest.mark.parametrize("bad", [0, 1, -0.1, math.nan])
def test_bad_flops_tolerance_is_refused(bad):
    with pytest.raises(UserError, match="--flops-tolerance"):
        plan_grid(reference_b0(), 1.0, 0.05, 0.1, bad, 4)
