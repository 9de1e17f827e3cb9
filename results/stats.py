"""What the best candidates have in common, and what the search cost.

Per-choice statistics answer "which op/kernel/expansion did the winners pick in stage 4?": for
each stage and each choice of the MnasNet factorized space (MnasNet section 4.1) they count the
values among the top-k and among every sampled candidate, so a choice the winners share far more
often than the sampler proposed it stands out. The search cost puts a number on MnasNet's
"thousands of accelerator-hours": trials by outcome, total and per-trial training time and
candidates per hour of wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from results.leaderboard import leaderboard
from results.tables import STAGE_CHOICES, stage_columns

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

#: Outcomes in the order reports list them.
STATUS_ORDER: tuple[str, ...] = (
    "complete",
    "pruned",
    "rejected",
    "duplicate",
    "failed",
    "running",
    "waiting",
)


def _sortable(value: Any) -> tuple[int, Any]:
    if isinstance(value, (bool, int, float)):
        return (0, float(value))
    return (1, str(value))


def choice_stats(frame: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """Long table: one row per (stage, choice, value) seen in the top-k.

    Columns: ``stage``, ``choice``, ``value``, ``top_count``, ``top_share`` (of the top-k),
    ``all_count``, ``all_share`` (of every trial with an architecture), ``trials`` (top-k trial
    numbers holding that value, best first).
    """
    import pandas as pd

    top = leaderboard(frame, k=k)
    columns = ["stage", "choice", "value", "top_count", "top_share", "all_count", "all_share", "trials"]
    rows = []
    for column in stage_columns(frame):
        stage_text, choice = column.split(".", 1)
        try:
            stage: Any = int(stage_text[1:])
        except ValueError:
            stage = stage_text
        sampled, in_top = frame[column], top[column] if column in top.columns else frame[column].iloc[0:0]
        op_column = f"{stage_text}.op"
        if choice == "expansion" and op_column in frame.columns:
            # only MBConv has an expansion ratio; the 1 of dsconv/conv is not a choice
            sampled = sampled[frame[op_column] == "mbconv"]
            in_top = in_top[top[op_column] == "mbconv"] if op_column in top.columns else in_top
        sampled, in_top = sampled.dropna(), in_top.dropna()
        for value in sorted({v.item() if hasattr(v, "item") else v for v in in_top.tolist()}, key=_sortable):
            holders = top.loc[in_top.index[in_top == value], "number"].tolist()
            all_count = int((sampled == value).sum())
            rows.append(
                {
                    "stage": stage,
                    "choice": choice,
                    "value": value,
                    "top_count": len(holders),
                    "top_share": len(holders) / len(top) if len(top) else 0.0,
                    "all_count": all_count,
                    "all_share": all_count / len(sampled) if len(sampled) else 0.0,
                    "trials": [int(n) for n in holders],
                }
            )
    out = pd.DataFrame(rows, columns=columns)
    if len(out):
        order = {c: i for i, c in enumerate(STAGE_CHOICES)}
        out = out.assign(_o=out["choice"].map(order)).sort_values(["_o", "stage"], kind="stable")
        out = out.drop(columns="_o").reset_index(drop=True)
    return out


@dataclass(frozen=True)
class SearchCost:
    """How much a search spent, read back from the trial records."""

    n_trials: int
    by_status: dict[str, int] = field(default_factory=dict)
    n_trained: int = 0
    total_train_s: float = 0.0
    mean_train_s: float | None = None
    median_train_s: float | None = None
    total_epochs: int = 0
    elapsed_s: float | None = None
    candidates_per_hour: float | None = None
    trained_per_hour: float | None = None
    mean_images_per_s: float | None = None
    devices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "n_trials": self.n_trials,
            "by_status": dict(self.by_status),
            "n_trained": self.n_trained,
            "total_train_s": self.total_train_s,
            "mean_train_s": self.mean_train_s,
            "median_train_s": self.median_train_s,
            "total_epochs": self.total_epochs,
            "elapsed_s": self.elapsed_s,
            "candidates_per_hour": self.candidates_per_hour,
            "trained_per_hour": self.trained_per_hour,
            "mean_images_per_s": self.mean_images_per_s,
            "devices": list(self.devices),
        }


def search_cost(frame: pd.DataFrame) -> SearchCost:
    """Trials by outcome, training time and throughput of the study behind ``frame``.

    A trial counts as trained when it recorded a positive ``wall_s`` (pruned and failed trials
    trained too, for part of the budget). ``candidates_per_hour`` counts every trial that reached
    an outcome (rejected ones included: judging them was the point) per hour between the first
    start and the last finish; ``trained_per_hour`` counts the trained ones only.
    """
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    by_status = {s: int(counts[s]) for s in STATUS_ORDER if s in counts}
    by_status.update({str(s): int(n) for s, n in counts.items() if s not in by_status})
    wall = frame["wall_s"].dropna()
    wall = wall[wall > 0]
    starts = frame["datetime_start"].dropna()
    ends = frame["datetime_complete"].dropna()
    elapsed = None
    if len(starts) and len(ends):
        elapsed = max((ends.max() - starts.min()).total_seconds(), 0.0)
    ended = int(frame["status"].isin(["complete", "pruned", "rejected", "duplicate", "failed"]).sum())
    hours = elapsed / 3600.0 if elapsed else None
    ips = frame["images_per_s"].dropna()
    ips = ips[ips > 0]
    devices = tuple(sorted({d for d in frame["device"].dropna().tolist() if d}))
    return SearchCost(
        n_trials=len(frame),
        by_status=by_status,
        n_trained=len(wall),
        total_train_s=float(wall.sum()),
        mean_train_s=float(wall.mean()) if len(wall) else None,
        median_train_s=float(wall.median()) if len(wall) else None,
        total_epochs=int(frame["epochs_run"].dropna().sum()) if len(frame) else 0,
        elapsed_s=elapsed,
        candidates_per_hour=ended / hours if hours else None,
        trained_per_hour=len(wall) / hours if hours else None,
        mean_images_per_s=float(ips.mean()) if len(ips) else None,
        devices=devices,
    )


__all__ = ["STATUS_ORDER", "SearchCost", "choice_stats", "search_cost"]
