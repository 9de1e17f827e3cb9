"""Reading a study back as pandas frames (any study effsearch wrote, finished or still running)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna
    import pandas as pd


@dataclass
class StudyResults:
    """One study read back.

    ``trials``: every trial, one row each (:func:`results.tables.trials_frame`: state, reward,
    accuracy, MACs, params, the decoded per-stage choices, ...). ``ranked``: the trained,
    completed trials best first (by reward for a baseline search, by the objective otherwise).
    ``kind`` is ``baseline``, ``coefficients``, ``sweep`` or ``""`` for a study of another tool;
    ``settings`` what the study was created with.
    """

    study: optuna.Study
    kind: str
    trials: pd.DataFrame
    ranked: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)


def load_study_results(study_name: str, storage: str | None = None) -> StudyResults:
    """The study ``study_name`` in ``storage`` (default ``sqlite:///runs/effsearch.db``) as frames.

    An unknown study or unreachable storage raises :class:`UserError` naming what exists.
    """
    from results.storage import load_study
    from results.tables import study_kind, study_settings, trials_frame

    study = load_study(storage, study_name)
    frame = trials_frame(study)
    done = frame[frame["status"] == "complete"]  # trained to the end: not rejected, duplicate or pruned
    key = "reward" if done["reward"].notna().any() else "value"
    ranked = done[done[key].notna()].sort_values(key, ascending=False, kind="stable").reset_index(drop=True)
    return StudyResults(study, study_kind(study), frame, ranked, study_settings(study))


__all__ = ["StudyResults", "load_study_results"]
