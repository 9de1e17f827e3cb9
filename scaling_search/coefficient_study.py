"""The coefficient study in Optuna and its coordination between workers.

One trial per grid candidate (``GridSampler`` over the candidate indices), plus plain trials for
the reference and the single-dimension models. Several workers on one server storage share the
study: a candidate interrupted by Ctrl-C is queued again with Optuna's
``RetryHeartbeatStaleTrialCallback``, a worker that died is noticed by its stale heartbeat, and
when two workers start the same work the lower-numbered trial keeps it (:func:`holder_of`).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from scaling_search.coefficient_config import (
    CREATED_BY,
    FINAL_FAILURES,
    PARAM,
    ROLE_COEFFICIENTS,
    STUDY_KIND,
    Candidate,
    CoefficientConfig,
)
from search_spaces.errors import UserError


def open_or_create(
    storage: Any, study_name: str, kind: str, wanted: dict[str, Any], sampler: Any, what: str
) -> Any:
    """The study ``study_name`` of ``kind`` with settings ``wanted``, created if absent.

    A study of another kind, or made with other settings, is refused with one line naming the
    differing settings (``what`` names the kind for people: "a coefficient search"). Used by the
    coefficient search and the sweeps (:mod:`scaling_search.sweep_study`).
    """
    import optuna

    from nas.search.settings import settings_differences

    names = {s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}
    if study_name in names:
        study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)
        found = study.user_attrs.get("kind")
        if found != kind:
            raise UserError(
                f"study {study_name!r} exists and is not {what} (kind {found!r}); choose another --study"
            )
        diffs = settings_differences(study.user_attrs.get("settings") or {}, wanted)
        if diffs:
            raise UserError(
                f"study {study_name!r} was created with different settings ("
                + "; ".join(diffs)
                + "); rerun with its settings to resume it, or give a new --study name"
            )
        return study
    study = optuna.create_study(
        storage=storage, study_name=study_name, direction="maximize", sampler=sampler, load_if_exists=True
    )
    if "settings" not in study.user_attrs:
        study.set_user_attr("kind", kind)
        study.set_user_attr("settings", wanted)
        study.set_user_attr("created_by", CREATED_BY)
    return study


def open_study(config: CoefficientConfig, storage: Any, study_name: str, n_candidates: int):
    """(grid study, plain study): the same Optuna study seen through two samplers.

    The grid handle (``GridSampler`` over the candidate indices) runs the candidates; the plain
    handle (``RandomSampler``, no parameters suggested) runs the reference and the
    single-dimension models, which are not grid points. A study of another kind or made with
    other settings is refused with the differing settings named.
    """
    import optuna

    grid = optuna.samplers.GridSampler({PARAM: list(range(n_candidates))}, seed=config.seed)
    study = open_or_create(storage, study_name, STUDY_KIND, config.settings(), grid, "a coefficient search")
    plain = optuna.load_study(
        study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler(seed=config.seed)
    )
    return study, plain


def is_done(trial: Any) -> bool:
    """A finished trial that should not be trained again (complete, or failed for good)."""
    from optuna.trial import TrialState

    if trial.state == TrialState.COMPLETE:
        return True
    return trial.state == TrialState.FAIL and trial.user_attrs.get("reason") in FINAL_FAILURES


def grid_id_of(trial: Any) -> int | None:
    """The candidate index of a grid trial (its ``candidate`` param; GridSampler's own ``grid_id``
    indexes its shuffled grid, not our candidates)."""
    value = trial.params.get(PARAM)
    return int(value) if value is not None else None


def requeue_interrupted(study: Any, n_candidates: int) -> list[int]:
    """Queue again every candidate whose only trials failed without a final reason (Ctrl-C, crash).

    Uses Optuna's own :class:`~optuna.storages.RetryHeartbeatStaleTrialCallback` (same params,
    same grid id, ``retry_history`` kept); returns the candidate indices queued.
    """
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState

    by_id: dict[int, list[Any]] = {}
    for trial in study.get_trials(deepcopy=False):
        if trial.user_attrs.get("role") not in (None, ROLE_COEFFICIENTS):
            continue
        grid_id = grid_id_of(trial)
        if grid_id is not None and 0 <= grid_id < n_candidates:
            by_id.setdefault(grid_id, []).append(trial)
    queued = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        retry = RetryHeartbeatStaleTrialCallback(max_retry=None)
    for grid_id, trials in sorted(by_id.items()):
        if any(is_done(t) or not t.state.is_finished() for t in trials):
            continue  # finished, or running / waiting (another worker or a queued retry)
        last = max((t for t in trials if t.state == TrialState.FAIL), key=lambda t: t.number)
        retry(study, last)
        queued.append(grid_id)
    return queued


def pending(study: Any, n_candidates: int) -> tuple[set[int], int]:
    """(grid ids not yet started anywhere, number of queued trials)."""
    from optuna.trial import TrialState

    started: set[int] = set()
    waiting = 0
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.WAITING:
            waiting += 1
        grid_id = grid_id_of(trial)
        if grid_id is not None and trial.user_attrs.get("role") in (None, ROLE_COEFFICIENTS):
            started.add(grid_id)
    return set(range(n_candidates)) - started, waiting


def role_done(study: Any, role: str, target_macs: int | None = None) -> Any | None:
    for trial in study.get_trials(deepcopy=False):
        if trial.user_attrs.get("role") != role or not is_done(trial):
            continue
        if target_macs is not None and trial.user_attrs.get("target_macs") != target_macs:
            continue
        return trial
    return None


def finished_trials(study: Any, n_candidates: int) -> dict[int, Any]:
    """Candidate index -> its first finished-for-good trial."""
    out: dict[int, Any] = {}
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        grid_id = grid_id_of(trial)
        if grid_id is None or trial.user_attrs.get("role") != ROLE_COEFFICIENTS or not is_done(trial):
            continue
        out.setdefault(grid_id, trial)
    return out


def live_running(study: Any) -> list[Any]:
    """RUNNING trials whose heartbeat is fresh (other workers' trials in progress)."""
    from optuna.trial import TrialState

    from nas.studies.liveness import stale_trial_ids

    stale = stale_trial_ids(study)
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return [t for t in running if t._trial_id not in stale]


def busy_elsewhere(study: Any, role: str | None = None, target_macs: int | None = None) -> bool:
    """Another worker is training a trial (of ``role``, for ``target_macs``, when given)."""
    for trial in live_running(study):
        if role is not None and trial.user_attrs.get("role") != role:
            continue
        if target_macs is not None and trial.user_attrs.get("target_macs") != target_macs:
            continue
        return True
    return False


def same_work(trial: Any, candidate: Candidate) -> bool:
    role = trial.user_attrs.get("role")
    if candidate.role == ROLE_COEFFICIENTS:
        return role in (None, ROLE_COEFFICIENTS) and grid_id_of(trial) == candidate.index
    if candidate.target_macs is not None:
        return role == candidate.role and trial.user_attrs.get("target_macs") == candidate.target_macs
    return role == candidate.role


def holder_of(study: Any, candidate: Candidate, number: int) -> int | None:
    """The lowest trial numbered below ``number`` that trains (or trained) ``candidate``, if any.

    Several workers may start the same work at once (the reference, a candidate queued again).
    Every trial says what it trains as it starts, one attribute at a time (its ``role``, then the
    MACs a single-dimension model is sized to, ...), and names its worker last; lower-numbered
    running trials that have not named their worker yet are waited for (milliseconds), so their
    whole record is read and exactly the lowest-numbered trial trains it: trial numbers are handed
    out atomically by the storage.
    """
    from optuna.trial import TrialState

    from nas.studies.liveness import WORKER_ATTR, fail_stale, stale_trial_ids

    while True:
        stale = stale_trial_ids(study)
        lower = sorted(
            (t for t in study.get_trials(deepcopy=False) if t.number < number), key=lambda t: t.number
        )
        silent = [
            t
            for t in lower
            if t.state == TrialState.RUNNING and WORKER_ATTR not in t.user_attrs and t._trial_id not in stale
        ]
        if not silent:
            break
        time.sleep(0.05)
        fail_stale(study)
    for trial in lower:
        live = trial.state == TrialState.RUNNING and trial._trial_id not in stale
        if same_work(trial, candidate) and (is_done(trial) or live):
            return trial.number
    return None


def wait_for_others(
    study: Any, n_candidates: int, role: str | None = None, target_macs: int | None = None
) -> None:
    """Wait while other workers train; fail their trials if they die (their heartbeat goes stale:
    the storage queues them again) and queue again what a Ctrl-C stopped elsewhere."""
    from nas.studies.heartbeat import poll_seconds
    from nas.studies.liveness import fail_stale

    pause = poll_seconds(getattr(study._storage, "_backend", study._storage))
    while busy_elsewhere(study, role, target_macs):
        time.sleep(pause)
        fail_stale(study)
        requeue_interrupted(study, n_candidates)
        if pending(study, n_candidates)[1]:
            return  # something is queued: run it
