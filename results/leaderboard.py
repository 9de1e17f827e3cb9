"""The top-k candidates of a study, best first.

MnasNet and EfficientNet judge candidates by the reward ACC(m) * (FLOPS(m)/T)^w (MnasNet Eq. 2),
so the leaderboard ranks by ``reward``; a study without rewards (written by another tool, or an
NSGA-II study that stores only accuracy) falls back to ``accuracy`` and then to the objective
``value``. Only trials that finished training count: running, failed, pruned, rejected and
duplicate trials never appear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

#: Ranking columns, in order of preference.
RANK_COLUMNS: tuple[str, ...] = ("reward", "accuracy", "value")


def finished(frame: pd.DataFrame) -> pd.DataFrame:
    """Trials that completed training (status ``complete``)."""
    return frame[frame["status"] == "complete"]


def rank_column(frame: pd.DataFrame) -> str:
    """The column the leaderboard ranks by: the first of :data:`RANK_COLUMNS` that has values."""
    done = finished(frame)
    for column in RANK_COLUMNS:
        if column in done.columns and done[column].notna().any():
            return column
    return "reward"


def leaderboard(frame: pd.DataFrame, k: int = 10, by: str | None = None) -> pd.DataFrame:
    """The ``k`` best finished trials by ``by`` (default :func:`rank_column`), with a ``rank`` column.

    Ties go to the cheaper model (fewer MACs), then to the earlier trial.
    """
    by = by or rank_column(frame)
    done = finished(frame)
    done = done[done[by].notna()] if by in done.columns else done.iloc[0:0]
    ranked = done.assign(_macs=done["macs"].astype("float64").fillna(float("inf")))
    ranked = ranked.sort_values([by, "_macs", "number"], ascending=[False, True, True], kind="stable")
    top = ranked.drop(columns="_macs").head(max(int(k), 0)).reset_index(drop=True)
    top.insert(0, "rank", range(1, len(top) + 1))
    return top


__all__ = ["RANK_COLUMNS", "finished", "leaderboard", "rank_column"]
