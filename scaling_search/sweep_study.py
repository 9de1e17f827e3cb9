"""Running a sweep (EfficientNet Figures 3 and 4, :mod:`scaling_search.sweep`) as a resumable study.

One Optuna trial per distinct network, in the same storage as every other search; its user attrs
follow the trial record (role ``sweep``, arch_code, macs, params, accuracy, accuracy_std,
accuracies, curve, epochs_run, wall_s, images_per_s, device, reason) plus ``sweep_index``,
``series`` (the figure lines it belongs to), ``width``, ``depth``, ``resolution_multiplier``,
``train_resolution``, ``macs_ratio`` and ``repeats``. Rerunning the same command resumes: networks
already judged (or failed for good: NaN loss, out of memory) are kept, one interrupted by Ctrl-C
is trained again, and a study of another kind or with other settings is refused. One process
runs a sweep; workers sharing it would train the same networks twice.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

from nas.studies.records import INTERRUPTED, KIND_SWEEP, ROLE_SWEEP
from scaling_search.coefficient_judge import Evaluator, EventHook, Judged, judge
from scaling_search.coefficient_study import is_done, open_or_create
from scaling_search.sweep import SweepConfig, SweepPoint
from search_spaces.codes import arch_code


@dataclass
class SweepOutcome:
    """The study, every network with its finished trial (when there is one), and the run's work."""

    study: Any
    config: SweepConfig
    points: tuple[SweepPoint, ...]
    trials: dict[int, Any]
    trained: int
    wall_s: float


def record(trial: Any, point: SweepPoint, config: SweepConfig, judged: Judged | None = None) -> None:
    """The trial record of ``point`` (and of its training, when ``judged`` is given)."""
    attrs: dict[str, Any] = {
        "role": ROLE_SWEEP,
        "sweep_index": point.index,
        "series": list(point.series),
        "width": point.width,
        "depth": point.depth,
        "resolution_multiplier": point.resolution,
        "arch_code": arch_code(point.arch),
        "macs": point.macs,
        "params": point.params,
        "macs_ratio": point.macs_ratio,
        "reward": None,
        "train_resolution": point.train_resolution,
        "repeats": config.repeats,
    }
    if judged is not None:
        attrs.update(judged.record())
    for key, value in attrs.items():
        trial.set_user_attr(key, value)


def finished(study: Any) -> dict[int, Any]:
    """Sweep index -> its first trial that should not be trained again."""
    out: dict[int, Any] = {}
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        index = trial.user_attrs.get("sweep_index")
        if index is not None and is_done(trial):
            out.setdefault(int(index), trial)
    return out


def run_sweep(
    config: SweepConfig,
    evaluator: Evaluator,
    storage: Any,
    study_name: str,
    on_event: EventHook | None = None,
) -> SweepOutcome:
    """Run (or resume) the sweep study; see the module docstring."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    points = config.points()
    sampler = optuna.samplers.RandomSampler(seed=config.seed)
    study = open_or_create(storage, study_name, KIND_SWEEP, config.settings(), sampler, "a sweep")
    if on_event:
        on_event("start", {"candidates": points, "reference": None, "study": study})
    started, trained = time.monotonic(), 0
    done = finished(study)
    for point in points:
        if point.index in done:
            continue

        def objective(trial: Any, point: SweepPoint = point) -> float:
            record(trial, point, config)
            trial.set_user_attr("reason", INTERRUPTED)  # replaced below unless training is interrupted
            judged = judge(point, config, evaluator, on_event, trial.number)
            record(trial, point, config, judged)
            if on_event:
                on_event("trial", {"candidate": point, "judged": judged, "number": trial.number})
            return float(judged.accuracy) if judged.ok and judged.accuracy is not None else float("nan")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(objective, n_trials=1, gc_after_trial=False)
        trained += 1
    return SweepOutcome(study, config, points, finished(study), trained, time.monotonic() - started)


def rows(outcome: SweepOutcome) -> list[dict[str, Any]]:
    """One plain row per (series, network): what the table, CSV and JSON show."""
    out = []
    for point in outcome.points:
        trial = outcome.trials.get(point.index)
        attrs = trial.user_attrs if trial is not None else {}
        for series in point.series:
            out.append(
                {
                    "series": series,
                    "width": point.width,
                    "depth": point.depth,
                    "resolution_multiplier": point.resolution,
                    "resolution": point.arch.resolution,
                    "train_resolution": point.train_resolution,
                    "blocks": point.arch.num_blocks,
                    "macs": point.macs,
                    "macs_ratio": round(point.macs_ratio, 6),
                    "params": point.params,
                    "accuracy": attrs.get("accuracy"),
                    "accuracy_std": attrs.get("accuracy_std"),
                    "trial": None if trial is None else trial.number,
                    "reason": attrs.get("reason") or ("" if trial is not None else "not trained"),
                }
            )
    return out


__all__ = ["SweepOutcome", "finished", "record", "rows", "run_sweep"]
