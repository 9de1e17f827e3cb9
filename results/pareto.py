"""The Pareto front of accuracy against MACs.

A candidate is on the front when no other finished candidate is at least as accurate with at most
as many MACs (and strictly better in one). This is the trade-off curve MnasNet's Figure 1 plots and
the one the reward exponent w walks along: the soft reward picks one point of this front for the
target T.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from results.leaderboard import finished

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd


def pareto_front(frame: pd.DataFrame, cost: str = "macs", quality: str = "accuracy") -> pd.DataFrame:
    """Non-dominated finished trials (minimise ``cost``, maximise ``quality``), cheapest first.

    Among exact ties (same cost and quality) only the earliest trial is kept.
    """
    done = finished(frame)
    done = done[done[cost].notna() & done[quality].notna()]
    ordered = done.sort_values([cost, quality, "number"], ascending=[True, False, True], kind="stable")
    keep = []
    best = float("-inf")
    for index, value in zip(ordered.index, ordered[quality].astype("float64"), strict=True):
        if value > best:
            keep.append(index)
            best = value
    return ordered.loc[keep].reset_index(drop=True)


__all__ = ["pareto_front"]
