"""Crowning a winner only when its lead beats the seed noise (scaling_search.verdict)."""

from __future__ import annotations

import math

import pytest

from scaling_search.verdict import decide, pick_winner, pooled_spread


def test_ties_go_to_fewer_macs_then_the_lower_index():
    assert pick_winner([(0, 0.5, 20), (1, 0.5, 10), (2, 0.4, 1)]) == 1
    assert pick_winner([(3, 0.5, 10), (1, 0.5, 10)]) == 1
    assert pick_winner([(0, None, 1)]) is None


def test_pooled_spread_is_the_root_mean_variance():
    assert pooled_spread([[0.7, 0.72], [0.5, 0.54], [0.9]]) == pytest.approx(math.sqrt((0.0002 + 0.0008) / 2))
    assert pooled_spread([[0.7], []]) is None


def test_a_lead_beyond_the_noise_is_established():
    rows = [(0, 0.80, 10), (1, 0.70, 10)]
    verdict = decide("tolerance", rows, [[0.79, 0.80, 0.81], [0.69, 0.70, 0.71]], 3)
    assert verdict.winner == 0 and verdict.runner_up == 1 and verdict.lead == pytest.approx(0.1)
    assert verdict.noise == pytest.approx(0.01 * math.sqrt(2 / 3))
    assert verdict.established and "winner established" in verdict.statement()
    assert verdict.to_dict()["established"] is True


def test_a_lead_inside_the_noise_is_said_so():
    rows = [(0, 0.71, 10), (1, 0.70, 10)]
    verdict = decide("soft", rows, [[0.66, 0.76], [0.65, 0.75]], 2)
    assert verdict.winner == 0 and not verdict.established
    assert "inside the noise, no winner established" in verdict.statement()


def test_one_run_measures_no_noise():
    verdict = decide("tolerance", [(0, 0.8, 1), (1, 0.7, 1)], [[0.8], [0.7]], 1)
    assert verdict.spread is None and not verdict.established
    assert "not measured" in verdict.statement() and "--repeats" in verdict.statement()


def test_nothing_to_compare():
    assert "only one" in decide("tolerance", [(0, 0.8, 1), (1, None, 1)], [[0.8], []], 1).statement()
    assert decide("tolerance", [(0, None, 1)], [[]], 1).winner is None


def test_the_search_scores_its_candidates_under_the_plans_rule():
    from types import SimpleNamespace

    from scaling_search.coefficient_config import CoefficientConfig
    from scaling_search.coefficient_search import _verdict
    from search_spaces.arch_yaml import reference_b0
    from tests.scaling_search.test_coefficient_search import PROXY

    config = CoefficientConfig(reference_b0(), 1.0, "x", PROXY, 1000, 3, max_candidates=4, repeats=1)
    assert config.plan.rule == "soft"
    candidates = config.candidates()
    biggest = max(range(4), key=lambda i: candidates[i].network.ratio)
    smallest = min(range(4), key=lambda i: candidates[i].network.ratio)
    # equal accuracy: the soft reward prefers the network rounding made smaller
    finished = {i: SimpleNamespace(user_attrs={"accuracy": 0.8, "accuracies": [0.8]}) for i in range(4)}
    assert _verdict(config, candidates, finished).winner == smallest
    # a little more accuracy does not pay for much bigger MACs
    finished[biggest].user_attrs["accuracy"] = 0.805
    assert _verdict(config, candidates, finished).winner == smallest
