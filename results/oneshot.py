"""Reading a one-shot study back: its fidelity, the supernet's training curve, the promotion.

A ``baseline --strategy oneshot`` study holds two kinds of accuracy side by side (trial attribute
``fidelity``, :mod:`nas.studies.records`): candidates scored with the supernet's inherited
weights, and the few promoted ones (plus B0) trained stand-alone over several seeds. The
promotion is rebuilt here from those stand-alone trials into the same
:class:`nas.search.promotion.Promotion` the search printed, so the winner, the spread and the
"within noise of B0" sentence are the search's own (:func:`nas.search.promotion.verdict`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from nas.search.promotion import Promoted, Promotion
from nas.studies.records import (
    ACCURACY,
    ARCH_CODE,
    COMPARE_NAME,
    FIDELITY_STANDALONE,
    FIDELITY_SUPERNET,
    MACS,
    PARAMS,
    PROMOTED_FROM,
    REWARD,
    ROLE,
    ROLE_PROMOTED,
    ROLE_REFERENCE,
    SEED,
    SETTINGS_KEY,
    SUPERNET_HISTORY_KEY,
    fidelity_of,
    search_fidelity,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna
    import pandas as pd

#: Columns of :func:`supernet_history_frame`, in the order the supernet training writes them.
HISTORY_COLUMNS: tuple[str, ...] = (
    "epoch",
    "largest_loss",
    "smallest_loss",
    "largest_train_acc",
    "smallest_train_acc",
    "largest_val_acc",
    "smallest_val_acc",
    "lr",
    "train_s",
)


def is_oneshot(study: optuna.Study) -> bool:
    """Whether ``study``'s search scored candidates on a supernet."""
    return search_fidelity(study.user_attrs) == FIDELITY_SUPERNET


def has_supernet_trials(frame: pd.DataFrame) -> bool:
    """Whether the trial frame holds any supernet-scored trial."""
    return "fidelity" in frame.columns and bool((frame["fidelity"] == FIDELITY_SUPERNET).any())


def supernet_history_frame(study: optuna.Study) -> pd.DataFrame:
    """The supernet's per-epoch metrics (one row per epoch; empty when none are recorded)."""
    import pandas as pd

    history = study.user_attrs.get(SUPERNET_HISTORY_KEY)
    rows = [dict(r) for r in history if isinstance(r, dict)] if isinstance(history, list) else []
    frame = pd.DataFrame(rows)
    columns = list(HISTORY_COLUMNS) + [c for c in frame.columns if c not in HISTORY_COLUMNS]
    frame = frame.reindex(columns=columns)
    for column in HISTORY_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame.sort_values("epoch", kind="stable").reset_index(drop=True) if len(frame) else frame


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _promoted_runs(study: optuna.Study) -> dict[str, list[optuna.trial.FrozenTrial]]:
    """Stand-alone seeded runs of promoted architectures and B0, by architecture code."""
    runs: dict[str, list[optuna.trial.FrozenTrial]] = {}
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        if fidelity_of(trial) != FIDELITY_STANDALONE or attrs.get(SEED) is None:
            continue
        if attrs.get(ROLE) not in (ROLE_PROMOTED, ROLE_REFERENCE) or not attrs.get(ARCH_CODE):
            continue
        runs.setdefault(str(attrs[ARCH_CODE]), []).append(trial)
    return runs


def _promoted(code: str, runs: list[optuna.trial.FrozenTrial], by_number: dict[int, Any]) -> Promoted:
    from optuna.trial import TrialState

    first = runs[0].user_attrs
    source_number = first.get(PROMOTED_FROM)
    source = by_number.get(source_number) if isinstance(source_number, int) else None
    done = [
        r for r in runs if r.state == TrialState.COMPLETE and _number(r.user_attrs.get(REWARD)) is not None
    ]
    supernet_acc = _number(source.user_attrs.get(ACCURACY)) if source is not None else None
    return Promoted(
        arch_code=code,
        role=str(first.get(ROLE)),
        source_trial=int(source_number) if isinstance(source_number, int) else runs[0].number,
        macs=int(first.get(MACS) or 0),
        params=int(first.get(PARAMS) or 0),
        trials=tuple(r.number for r in runs),
        seeds=tuple(int(r.user_attrs[SEED]) for r in runs),
        accuracies=tuple(float(r.user_attrs[ACCURACY]) for r in done if _number(r.user_attrs.get(ACCURACY))),
        rewards=tuple(float(r.user_attrs[REWARD]) for r in done),
        supernet_accuracy=supernet_acc,
    )


def promotion_of(study: optuna.Study) -> Promotion | None:
    """The study's promotion (candidates first, B0 last), or ``None`` when nothing was promoted."""
    runs = _promoted_runs(study)
    if not runs:
        return None
    by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
    promoted = [_promoted(code, trials, by_number) for code, trials in runs.items()]
    promoted.sort(key=lambda p: (p.role == ROLE_REFERENCE, p.source_trial))
    complete = [p for p in promoted if p.complete and p.role != ROLE_REFERENCE]  # compared with, not chosen
    winner = max(complete, key=lambda p: p.mean_reward) if complete else None
    reference = next((p for p in promoted if p.role == ROLE_REFERENCE), None)
    name = (study.user_attrs.get(SETTINGS_KEY) or {}).get(COMPARE_NAME) or "B0"  # B0: before --compare
    return Promotion(tuple(promoted), winner, reference, str(name))


__all__ = [
    "HISTORY_COLUMNS",
    "has_supernet_trials",
    "is_oneshot",
    "promotion_of",
    "supernet_history_frame",
]
