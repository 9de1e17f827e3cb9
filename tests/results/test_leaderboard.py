"""Top-k by reward, Pareto front of accuracy vs MACs, per-choice statistics and search cost."""

from __future__ import annotations

from collections.abc import Callable

import optuna
import pytest

from results.leaderboard import leaderboard, rank_column
from results.pareto import pareto_front
from results.stats import choice_stats, search_cost
from results.tables import trials_frame


def _reward(acc: float, macs: float) -> float:
    return acc * (macs / 400e6) ** -0.07


def test_leaderboard_ranks_finished_trials_by_reward(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("tiny"))
    top = leaderboard(frame, k=3)
    expected = sorted(
        [(0, 0.90, 390e6), (1, 0.88, 300e6), (2, 0.93, 500e6), (3, 0.89, 450e6), (7, 0.85, 250e6)],
        key=lambda t: -_reward(t[1], t[2]),
    )
    assert list(top["number"]) == [t[0] for t in expected[:3]]
    assert list(top["rank"]) == [1, 2, 3]
    assert top["reward"].iloc[0] == pytest.approx(_reward(0.93, 500e6))


def test_leaderboard_never_shows_rejected_pruned_failed_or_running(
    load: Callable[[str], optuna.Study],
) -> None:
    frame = trials_frame(load("toy-baseline"))
    top = leaderboard(frame, k=len(frame))
    assert set(top["status"]) == {"complete"}
    assert len(top) == (frame["status"] == "complete").sum()


def test_leaderboard_of_an_empty_study_is_empty(load: Callable[[str], optuna.Study]) -> None:
    assert len(leaderboard(trials_frame(load("empty")))) == 0


def test_rank_column_falls_back_to_accuracy(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("toy-coefficients"))  # the coefficient search stores no reward
    assert rank_column(frame) == "accuracy"


def test_pareto_front_is_the_non_dominated_set(load: Callable[[str], optuna.Study]) -> None:
    front = pareto_front(trials_frame(load("tiny")))
    # 450M/89% is dominated by 390M/90%; the pruned 350M/70% and the rejected are not candidates
    assert list(front["number"]) == [7, 1, 0, 2]
    assert list(front["macs"]) == [250_000_000, 300_000_000, 390_000_000, 500_000_000]


def test_pareto_front_dominates_everything_else(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("toy-baseline"))
    front = pareto_front(frame)
    done = frame[(frame["status"] == "complete") & frame["accuracy"].notna()]
    assert 0 < len(front) <= len(done)
    for row in done.itertuples():
        on_front = row.number in set(front["number"])
        dominated = ((front["macs"] <= row.macs) & (front["accuracy"] > row.accuracy)).any() or (
            (front["macs"] < row.macs) & (front["accuracy"] >= row.accuracy)
        ).any()
        assert on_front != dominated or (on_front and not dominated)


def test_choice_stats_count_the_top_k(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("tiny"))
    stats = choice_stats(frame, k=3)  # top 3: trials 2 (k5), 0 (B0), 1 (k5)
    kernel2 = stats[(stats["stage"] == 2) & (stats["choice"] == "kernel")].set_index("value")
    assert kernel2.loc[5, "top_count"] == 2 and kernel2.loc[3, "top_count"] == 1
    assert kernel2.loc[5, "top_share"] == pytest.approx(2 / 3)
    assert kernel2.loc[5, "trials"] == [2, 1]
    assert kernel2.loc[5, "all_count"] == 3  # three k5 trials among the eight
    assert set(stats["choice"]) == {"op", "kernel", "expansion", "se", "skip", "filters", "layers"}


def test_expansion_is_counted_only_for_mbconv(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("toy-baseline"))
    stats = choice_stats(frame, k=10)
    top = leaderboard(frame, k=10)
    for stage in range(1, 8):
        mb = int((top[f"s{stage}.op"] == "mbconv").sum())
        part = stats[(stats["stage"] == stage) & (stats["choice"] == "expansion")]
        assert int(part["top_count"].sum()) == mb


def test_search_cost_counts_outcomes_and_time(load: Callable[[str], optuna.Study]) -> None:
    cost = search_cost(trials_frame(load("tiny")))
    assert cost.n_trials == 8
    assert cost.by_status == {"complete": 5, "pruned": 1, "rejected": 1, "failed": 1}
    assert cost.n_trained == 6  # five complete (100 s) and the pruned one (10 s)
    assert cost.total_train_s == pytest.approx(510.0)
    assert cost.mean_train_s == pytest.approx(85.0)
    assert cost.elapsed_s == pytest.approx(71 * 60)  # first start to last finish
    assert cost.candidates_per_hour == pytest.approx(8 / (71 / 60))
    assert cost.devices == ("cpu",)


def test_search_cost_of_an_empty_study(load: Callable[[str], optuna.Study]) -> None:
    cost = search_cost(trials_frame(load("empty")))
    assert cost.n_trials == 0 and cost.candidates_per_hour is None and cost.mean_train_s is None
