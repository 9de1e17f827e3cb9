"""The comparison network of a baseline search (``--compare``, B0 by default).

Reference models are comparisons, not starting points: the search does not start from B0 and its
samplers do not learn from it, but every report says how the found network compares with it
under the *same* proxy. So the comparison network is trained once per study by the search's own
evaluator (same proxy, data, seeds), before the first candidate, and stored as a trial of the
study carrying the trial record of :mod:`nas.studies.records` with ``role: reference``: every
reader (``reference_trial``, the progress line, ``baseline.yaml``'s ``reference_reward``, the
reports) finds it where it always was.

How it is kept out of the search:

- it is added with ``study.add_trial`` after being evaluated directly, never through
  ``study.optimize``, and it has *no* sampled parameters or distributions (the architecture is its
  ``arch_code``), so no sampler hook runs for it; TPE, which would still count it, is shown the
  study without it (:class:`nas.search.samplers.ComparisonBlindTPE`, where each sampler is
  discussed);
- it is not a candidate: ``--n-trials`` does not count it
  (:func:`nas.studies.records.counts_toward_budget`) and the ranking leaves it out
  (``driver.ranked``), so ``baseline.yaml`` is always a network the search found;
- like every candidate it is costed at ``--search-resolution`` for the dataset's classes and
  channels, and it is trained even outside the MACs band (it records the ``macs_band`` constraint,
  so readers that judge feasibility see where it falls).

On resume the stored comparison is reused, never retrained; a study whose comparison is another
network than ``--compare`` is refused with one line (the study's ``compare`` setting, or for a
study from before ``--compare``, the stored trial's ``arch_code``). Several workers starting at
once may each train it; only the first to finish records it (the others' runs are dropped).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.search.objective import CONSTRAINT, Band, Evaluator
from nas.search.reward import Reward
from nas.studies.records import (
    ACCURACY,
    ARCH_CODE,
    COMPARE,
    COMPARE_NAME,
    CURVE,
    DEVICE,
    EPOCHS_RUN,
    FIDELITY,
    FIDELITY_STANDALONE,
    FINAL_FAILURES,
    IMAGES_PER_S,
    MACS,
    PARAMS,
    REASON,
    REWARD,
    ROLE,
    ROLE_REFERENCE,
    SEED,
    WALL_S,
    failure_reason,
    fidelity_of,
)
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

#: ``--compare`` value that turns the comparison off.
NO_COMPARISON = "none"


@dataclass(frozen=True)
class Comparison:
    """The network a search is compared against: how the user named it, and the architecture at
    the search resolution (commands resolve ``--compare`` with ``scaling_search.arch_resolver``)."""

    name: str
    arch: ArchSpec

    @classmethod
    def at_resolution(cls, name: str, arch: ArchSpec, resolution: int) -> Comparison:
        """The comparison costed like every candidate: at ``--search-resolution``."""
        return cls(name, replace(arch, resolution=int(resolution)))

    @property
    def code(self) -> str:
        return arch_code(self.arch)


def comparison_settings(comparison: Comparison | None) -> dict[str, str]:
    """The study-settings entries of ``--compare`` (``compare`` is compared on resume)."""
    if comparison is None:
        return {COMPARE: NO_COMPARISON, COMPARE_NAME: NO_COMPARISON}
    return {COMPARE: comparison.code, COMPARE_NAME: comparison.name}


def stored_comparison(study: optuna.Study) -> FrozenTrial | None:
    """The study's stand-alone comparison run of the search (complete, or failed for good), if any.

    Promoted seeded runs (``seed`` set, one-shot studies) are not it."""
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)):
        attrs = trial.user_attrs
        if attrs.get(ROLE) != ROLE_REFERENCE or attrs.get(SEED) is not None:
            continue
        if fidelity_of(trial) != FIDELITY_STANDALONE:
            continue
        if trial.state == TrialState.COMPLETE or attrs.get(REASON) in FINAL_FAILURES:
            return trial
    return None


def _latest_comparison(study: optuna.Study) -> FrozenTrial:
    """The comparison trial just added (a failure that a rerun would retry is not "stored")."""
    return next(
        t
        for t in reversed(study.get_trials(deepcopy=False))
        if t.user_attrs.get(ROLE) == ROLE_REFERENCE and t.user_attrs.get(SEED) is None
    )


def check_stored(study: optuna.Study, comparison: Comparison | None, flag: str = "--compare") -> None:
    """UserError when the study already compares against another network than ``comparison``."""
    trial = stored_comparison(study)
    if trial is None or comparison is None or trial.user_attrs.get(ARCH_CODE) == comparison.code:
        return
    raise UserError(
        f"study {study.study_name!r} already holds a comparison network (trial {trial.number}) other "
        f"than {flag} {comparison.name}; rerun with the study's {flag}, or give a new --study name"
    )


def _record(
    comparison: Comparison, result: Any, reward: Reward, band: Band, cost: Any
) -> tuple[dict[str, Any], float | None, float]:
    ok = result.status == "ok" and result.accuracy is not None
    value = reward(float(result.accuracy), cost.macs) if ok else None
    attrs = {
        ROLE: ROLE_REFERENCE,
        ARCH_CODE: comparison.code,
        MACS: int(cost.macs),
        PARAMS: int(cost.params),
        FIDELITY: FIDELITY_STANDALONE,
        ACCURACY: float(result.accuracy) if ok else None,
        REWARD: value,
        REASON: "" if ok else failure_reason(result.status, result.reason),
        EPOCHS_RUN: int(result.epochs_run),
        WALL_S: float(result.wall_s),
        IMAGES_PER_S: float(result.images_per_s),
        DEVICE: str(result.device),
        CURVE: [float(x) for x in result.curve],
        COMPARE_NAME: comparison.name,
    }
    return attrs, value, band.violation(cost.macs, reward.target)


def evaluate_comparison(
    study: optuna.Study,
    comparison: Comparison,
    evaluator: Evaluator,
    reward: Reward,
    band: Band,
    *,
    num_classes: int,
    in_channels: int,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    callbacks: Sequence[Callable[[optuna.Study, FrozenTrial], None]] = (),
) -> FrozenTrial:
    """The study's comparison trial: the stored one, else trained now and added (see the module
    docstring). ``callbacks`` hear the new trial like Optuna callbacks (display, trial log)."""
    check_stored(study, comparison)
    existing = stored_comparison(study)
    if existing is not None:
        return existing
    cost = count_cost(comparison.arch, num_classes, in_channels)

    def on_epoch(epoch: int, accuracy: float) -> bool:
        if on_event is not None:
            partial = reward(accuracy, cost.macs)
            payload = dict(number=comparison.name, epoch=epoch, accuracy=accuracy, reward=partial)
            on_event("epoch", payload)
        return False  # never pruned: the comparison is trained to the proxy's end

    result = evaluator(comparison.arch, on_epoch)
    attrs, value, violation = _record(comparison, result, reward, band, cost)
    existing = stored_comparison(study)  # another worker may have finished it meanwhile
    if existing is not None:
        return existing
    multi = len(study.directions) > 1
    ok = value is not None and math.isfinite(value)
    values = ([float(attrs[ACCURACY]), float(cost.macs)] if multi else [float(value)]) if ok else None  # type: ignore[arg-type]
    study.add_trial(
        optuna.trial.create_trial(
            state=TrialState.COMPLETE if ok else TrialState.FAIL,
            values=values,
            user_attrs=attrs,
            constraints={CONSTRAINT: float(violation)},
        )
    )
    trial = stored_comparison(study) or _latest_comparison(study)
    if on_event is not None:
        on_event("trial", dict(number=trial.number, reason=attrs[REASON], macs=cost.macs, reward=value))
    for callback in callbacks:
        callback(study, trial)
    return trial


__all__ = [
    "NO_COMPARISON",
    "Comparison",
    "check_stored",
    "comparison_settings",
    "evaluate_comparison",
    "stored_comparison",
]
