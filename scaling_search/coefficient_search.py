"""The compound-coefficient search (EfficientNet, section 3.3, step 1) as a resumable Optuna study.

Step 1 of compound scaling fixes phi = 1 and grid-searches alpha, beta, gamma >= 1 under
``alpha * beta**2 * gamma**2 ~= 2`` (Eq. 3). Here:

- **candidates** are the points of :func:`scaling_search.grid.candidate_grid`, cut to
  ``max_candidates`` by :func:`scaling_search.grid.spread_subset`. Each is the base scaled at phi
  (depth ``alpha**phi``, width ``beta**phi``; :func:`scaling_search.scale.scale`), costed at the
  base's search resolution times ``gamma**phi`` (exact MACs, the user's classes and channels, as
  the baseline search costs its candidates), and **trained at the proxy resolution times
  gamma**phi** with the same proxy as the baseline search (:func:`nas.trainer.evaluate`);
- **repeats**: each candidate is trained ``repeats`` times with seeds ``seed, seed+1, ...``; the
  objective is the mean validation accuracy and the spread (sample standard deviation) is stored;
- **the reference** (the base itself, phi = 0, role ``reference``) is trained first under the
  same proxy, so reports show what scaling bought;
- **the study**: one trial per candidate, sampled by Optuna's ``GridSampler`` over the candidate
  indices (param ``candidate``), in the same storage as the baseline search. Rerunning the same
  command resumes it: finished candidates are kept, a candidate interrupted by Ctrl-C is queued
  again (Optuna's ``RetryHeartbeatStaleTrialCallback`` does the same for workers that died, via
  the storage heartbeat), and a study created with other settings is refused;
- **many workers**: N copies of the command on one server storage share the study. The grid is
  the same everywhere (same seed); work another worker is training is skipped, two workers that
  start the same work at once leave it to the lower-numbered trial (the other ends untrained as
  FAIL ``"not run: ..."``), and every worker waits for the others before picking the winner, so
  all of them write the same answer;
- **the winner** maximises mean accuracy; ties (to 1e-9) go to fewer MACs, then to the lower
  candidate index;
- **single-dimension comparison** (optional): width-only, depth-only and resolution-only models
  sized to the winner's realised MACs (:mod:`scaling_search.single`), trained the same way, roles
  ``single-width`` / ``single-depth`` / ``single-resolution`` (the paper's Figure 8 claim).

Trial user attrs follow the contract's "Trial record" (arch_code, macs, params, accuracy,
reward = None, epochs_run, wall_s, images_per_s, device, curve, reason, role) plus alpha, beta,
gamma, phi, constraint, macs_ratio (vs the base's MACs; 2**phi is the nominal), accuracy_std,
accuracies, repeats, train_resolution.
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from nas.evaluation import EvalLike
from scaling_search.grid import TARGET, GridPoint, candidate_grid, spread_subset
from scaling_search.scale import scale
from scaling_search.single import SINGLE_ROLES, single_dimension_family
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

STUDY_KIND = "coefficients"
CREATED_BY = "effsearch 0.1.0"
ROLE_REFERENCE = "reference"
ROLE_COEFFICIENTS = "coefficients"
#: Training failures that would repeat on a rerun (the candidate is not retried).
FINAL_FAILURES = ("nan loss", "out of memory")
INTERRUPTED = "interrupted"
PARAM = "candidate"
_DIGITS = 9


#: ``evaluator(arch, proxy, seed, on_epoch) -> EvalResult``; the proxy's resolution is already set.
Evaluator = Callable[[ArchSpec, Any, int, Callable[[int, float], bool]], EvalLike]
#: ``on_event(kind, payload)``: "start" (plan), "train" (one training run begins), "epoch", "trial".
EventHook = Callable[[str, dict[str, Any]], None]


# -- what is trained -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One network to train: its role, spec (at the search resolution) and training resolution."""

    role: str
    arch: ArchSpec
    train_resolution: int
    macs: int
    params: int
    macs_ratio: float
    point: GridPoint | None = None
    index: int | None = None
    multiplier: float | None = None
    target_macs: int | None = None

    @property
    def label(self) -> str:
        if self.point is not None:
            return f"#{self.index} a={self.point.alpha:g} b={self.point.beta:g} g={self.point.gamma:g}"
        if self.multiplier is not None:
            return f"{self.role} x{self.multiplier:.3g}"
        return self.role


@dataclass(frozen=True)
class CoefficientConfig:
    """Everything that decides the numbers of a coefficient study (compared on resume)."""

    base: ArchSpec
    phi: float
    dataset: str
    proxy: Any  # nas.proxy.ProxyConfig: to_dict(), resolution, epochs
    num_classes: int
    in_channels: int
    grid_step: float = 0.05
    tolerance: float = 0.1
    max_candidates: int = 4
    repeats: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.phi, (int, float)) or not math.isfinite(self.phi) or self.phi <= 0:
            raise UserError(f"--phi must be a finite number > 0, got {self.phi}")
        if self.repeats < 1:
            raise UserError(f"--repeats must be at least 1, got {self.repeats}")
        if self.max_candidates < 1:
            raise UserError(f"--max-candidates must be at least 1, got {self.max_candidates}")

    def settings(self) -> dict[str, Any]:
        """The study's ``settings`` user attr."""
        return {
            "base": arch_code(self.base),
            "phi": float(self.phi),
            "dataset": self.dataset,
            "num_classes": int(self.num_classes),
            "in_channels": int(self.in_channels),
            "proxy": self.proxy.to_dict(),
            "search_resolution": int(self.base.resolution),
            "grid_step": float(self.grid_step),
            "tolerance": float(self.tolerance),
            "constraint_target": TARGET,
            "max_candidates": int(self.max_candidates),
            "repeats": int(self.repeats),
            "seed": int(self.seed),
            "objective": "accuracy",
        }

    def points(self) -> tuple[GridPoint, ...]:
        """The candidates' (alpha, beta, gamma), in grid order."""
        return spread_subset(candidate_grid(self.grid_step, self.tolerance), self.max_candidates)

    def cost(self, arch: ArchSpec) -> tuple[int, int]:
        cost = count_cost(arch, self.num_classes, self.in_channels)
        return int(cost.macs), int(cost.params)

    def train_resolution(self, multiplier: float) -> int:
        """The proxy resolution scaled like the search resolution (at least 8 pixels)."""
        return max(8, round(int(self.proxy.resolution) * multiplier))

    def reference(self) -> Candidate:
        macs, params = self.cost(self.base)
        return Candidate(ROLE_REFERENCE, self.base, self.train_resolution(1.0), macs, params, 1.0)

    def candidates(self) -> tuple[Candidate, ...]:
        """Every grid candidate scaled at phi; UserError if phi makes them too large."""
        base_macs, _ = self.cost(self.base)
        out = []
        for index, point in enumerate(self.points()):
            arch = scale(self.base, point.alpha, point.beta, point.gamma, self.phi)
            macs, params = self.cost(arch)
            out.append(
                Candidate(
                    ROLE_COEFFICIENTS,
                    arch,
                    self.train_resolution(point.gamma**self.phi),
                    macs,
                    params,
                    macs / base_macs,
                    point=point,
                    index=index,
                )
            )
        return tuple(out)

    def singles(self, target_macs: int) -> tuple[Candidate, ...]:
        """Width-, depth- and resolution-only models at ``target_macs`` (the winner's MACs)."""
        base_macs, _ = self.cost(self.base)
        out = []
        for model in single_dimension_family(self.base, target_macs, self.num_classes, self.in_channels):
            res_mult = model.arch.resolution / self.base.resolution
            out.append(
                Candidate(
                    model.role,
                    model.arch,
                    self.train_resolution(res_mult),
                    model.macs,
                    model.params,
                    model.macs / base_macs,
                    multiplier=model.multiplier,
                    target_macs=int(target_macs),
                )
            )
        return tuple(out)


# -- training with repeats -------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """The outcome of ``repeats`` training runs of one candidate."""

    ok: bool
    accuracy: float | None
    accuracy_std: float | None
    accuracies: tuple[float, ...]
    curve: tuple[float, ...]
    epochs_run: int
    wall_s: float
    images_per_s: float
    device: str
    reason: str


def judge(
    candidate: Candidate,
    config: CoefficientConfig,
    evaluator: Evaluator,
    on_event: EventHook | None = None,
    trial_number: int | None = None,
) -> Judged:
    """Train ``candidate`` ``config.repeats`` times (seeds seed, seed+1, ...); stop at a failure."""
    proxy = replace(config.proxy, resolution=candidate.train_resolution)
    results = []
    for repeat in range(config.repeats):
        if on_event:
            on_event("train", {"candidate": candidate, "repeat": repeat, "number": trial_number})

        def on_epoch(epoch: int, accuracy: float, repeat: int = repeat) -> bool:
            if on_event:
                on_event(
                    "epoch", {"candidate": candidate, "repeat": repeat, "epoch": epoch, "accuracy": accuracy}
                )
            return False

        result = evaluator(candidate.arch, proxy, config.seed + repeat, on_epoch)
        results.append(result)
        if result.status not in ("ok", "stopped") or result.accuracy is None:
            break
    wall = sum(float(r.wall_s) for r in results)
    epochs = sum(int(r.epochs_run) for r in results)
    speeds = [float(r.images_per_s) for r in results if r.images_per_s]
    device = str(results[-1].device)
    failed = [r for r in results if r.status not in ("ok", "stopped") or r.accuracy is None]
    if failed:
        bad = failed[0]
        reason = {"nan": "nan loss", "oom": "out of memory"}.get(bad.status, str(bad.reason or bad.status))
        return Judged(False, None, None, (), tuple(bad.curve), epochs, wall, _mean(speeds), device, reason)
    accuracies = tuple(float(r.accuracy) for r in results)  # type: ignore[arg-type]
    std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    length = min(len(r.curve) for r in results)
    curve = tuple(statistics.fmean(float(r.curve[i]) for r in results) for i in range(length))
    return Judged(
        True, statistics.fmean(accuracies), std, accuracies, curve, epochs, wall, _mean(speeds), device, ""
    )


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def record(trial: Any, candidate: Candidate, config: CoefficientConfig, judged: Judged | None = None) -> None:
    """The contract's trial record for ``candidate`` (and its training, when ``judged`` is given)."""
    attrs: dict[str, Any] = {
        "role": candidate.role,
        "arch_code": arch_code(candidate.arch),
        "macs": candidate.macs,
        "params": candidate.params,
        "reward": None,
        "macs_ratio": candidate.macs_ratio,
        "train_resolution": candidate.train_resolution,
        "repeats": config.repeats,
        "phi": 0.0 if candidate.role == ROLE_REFERENCE else float(config.phi),
    }
    if candidate.point is not None:
        attrs.update(
            alpha=candidate.point.alpha,
            beta=candidate.point.beta,
            gamma=candidate.point.gamma,
            constraint=candidate.point.constraint,
            target_ratio=2.0**config.phi,
        )
    if candidate.multiplier is not None:
        attrs.update(multiplier=candidate.multiplier, target_macs=candidate.target_macs)
    if judged is not None:
        attrs.update(
            accuracy=judged.accuracy,
            accuracy_std=judged.accuracy_std,
            accuracies=list(judged.accuracies),
            curve=list(judged.curve),
            epochs_run=judged.epochs_run,
            wall_s=judged.wall_s,
            images_per_s=judged.images_per_s,
            device=judged.device,
            reason=judged.reason,
        )
    for key, value in attrs.items():
        trial.set_user_attr(key, value)


# -- the study ----------------------------------------------------------------------------------


def open_study(config: CoefficientConfig, storage: Any, study_name: str, n_candidates: int):
    """(grid study, plain study): the same Optuna study seen through two samplers.

    The grid handle (``GridSampler`` over the candidate indices) runs the candidates; the plain
    handle (``RandomSampler``, no parameters suggested) runs the reference and the
    single-dimension models, which are not grid points. A study of another kind or made with
    other settings is refused with the differing settings named.
    """
    import optuna

    from nas.search import settings_differences

    wanted = config.settings()
    names = {s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}
    grid = optuna.samplers.GridSampler({PARAM: list(range(n_candidates))}, seed=config.seed)
    if study_name in names:
        study = optuna.load_study(study_name=study_name, storage=storage, sampler=grid)
        kind = study.user_attrs.get("kind")
        if kind != STUDY_KIND:
            raise UserError(
                f"study {study_name!r} exists and is not a coefficient search (kind {kind!r}); "
                "choose another --study"
            )
        diffs = settings_differences(study.user_attrs.get("settings") or {}, wanted)
        if diffs:
            raise UserError(
                f"study {study_name!r} was created with different settings ("
                + "; ".join(diffs)
                + "); rerun with its settings to resume it, or give a new --study name"
            )
    else:
        study = optuna.create_study(
            storage=storage, study_name=study_name, direction="maximize", sampler=grid, load_if_exists=True
        )
        if "settings" not in study.user_attrs:
            study.set_user_attr("kind", STUDY_KIND)
            study.set_user_attr("settings", wanted)
            study.set_user_attr("created_by", CREATED_BY)
    plain = optuna.load_study(
        study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler(seed=config.seed)
    )
    return study, plain


def _done(trial: Any) -> bool:
    """A finished trial that should not be trained again (complete, or failed for good)."""
    from optuna.trial import TrialState

    if trial.state == TrialState.COMPLETE:
        return True
    return trial.state == TrialState.FAIL and trial.user_attrs.get("reason") in FINAL_FAILURES


def _grid_id(trial: Any) -> int | None:
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
        grid_id = _grid_id(trial)
        if grid_id is not None and 0 <= grid_id < n_candidates:
            by_id.setdefault(grid_id, []).append(trial)
    queued = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        retry = RetryHeartbeatStaleTrialCallback(max_retry=None)
    for grid_id, trials in sorted(by_id.items()):
        if any(_done(t) or not t.state.is_finished() for t in trials):
            continue  # finished, or running / waiting (another worker or a queued retry)
        last = max((t for t in trials if t.state == TrialState.FAIL), key=lambda t: t.number)
        retry(study, last)
        queued.append(grid_id)
    return queued


def _pending(study: Any, n_candidates: int) -> tuple[set[int], int]:
    """(grid ids not yet started anywhere, number of queued trials)."""
    from optuna.trial import TrialState

    started: set[int] = set()
    waiting = 0
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.WAITING:
            waiting += 1
        grid_id = _grid_id(trial)
        if grid_id is not None and trial.user_attrs.get("role") in (None, ROLE_COEFFICIENTS):
            started.add(grid_id)
    return set(range(n_candidates)) - started, waiting


def _role_done(study: Any, role: str, target_macs: int | None = None) -> Any | None:
    for trial in study.get_trials(deepcopy=False):
        if trial.user_attrs.get("role") != role or not _done(trial):
            continue
        if target_macs is not None and trial.user_attrs.get("target_macs") != target_macs:
            continue
        return trial
    return None


@dataclass
class CoefficientOutcome:
    """What a run leaves: the study, every candidate with its trial, the winner, the comparison."""

    study: Any
    config: CoefficientConfig
    reference: Candidate
    candidates: tuple[Candidate, ...]
    trials: dict[int, Any]  # candidate index -> its finished trial
    reference_trial: Any | None
    winner: int | None
    singles: tuple[tuple[Candidate, Any | None], ...] = ()
    trained: int = 0
    wall_s: float = 0.0
    running_elsewhere: list[int] = field(default_factory=list)

    @property
    def winner_candidate(self) -> Candidate | None:
        return None if self.winner is None else self.candidates[self.winner]


def pick_winner(rows: Sequence[tuple[int, float | None, int]]) -> int | None:
    """Index with the highest accuracy; ties (to 1e-9) to fewer MACs, then to the lower index.

    ``rows`` are ``(index, accuracy or None, macs)``; None (failed) never wins.
    """
    scored = [(round(acc, _DIGITS), macs, index) for index, acc, macs in rows if acc is not None]
    if not scored:
        return None
    return min(scored, key=lambda r: (-r[0], r[1], r[2]))[2]


def _finished_trials(study: Any, n_candidates: int) -> dict[int, Any]:
    """Candidate index -> its first finished-for-good trial."""
    out: dict[int, Any] = {}
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        grid_id = _grid_id(trial)
        if grid_id is None or trial.user_attrs.get("role") != ROLE_COEFFICIENTS or not _done(trial):
            continue
        out.setdefault(grid_id, trial)
    return out


def run_coefficient_search(
    config: CoefficientConfig,
    evaluator: Evaluator,
    storage: Any,
    study_name: str,
    *,
    compare_single: bool = False,
    on_event: EventHook | None = None,
) -> CoefficientOutcome:
    """Run (or resume) the coefficient study; see the module docstring."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    candidates = config.candidates()
    reference = config.reference()
    n = len(candidates)
    study, plain = open_study(config, storage, study_name, n)
    started = time.monotonic()
    trained = 0
    if on_event:
        on_event("start", {"candidates": candidates, "reference": reference, "study": study})

    def train_plain(candidate: Candidate) -> None:
        def objective(trial: Any) -> float:
            return _objective_body(trial, candidate, config, evaluator, on_event)

        _optimize_one(plain, objective)

    def reference_needed() -> bool:
        # Another worker may be training it right now (many workers share the study).
        return _role_done(study, ROLE_REFERENCE) is None and not _busy_elsewhere(study, ROLE_REFERENCE)

    if reference_needed():
        train_plain(reference)
        trained += 1

    def grid_objective(trial: Any) -> float:
        index = trial.suggest_int(PARAM, 0, n - 1)
        return _objective_body(trial, candidates[index], config, evaluator, on_event)

    from nas.workers import SqliteShareWarning

    share_warning = SqliteShareWarning()  # SQLite serves one process: say so once
    requeue_interrupted(study, n)
    while True:
        share_warning.check(study)
        unstarted, waiting = _pending(study, n)
        if unstarted or waiting:
            _optimize_one(study, grid_objective)
            trained += 1
        elif reference_needed():
            train_plain(reference)
            trained += 1
        elif _busy_elsewhere(study):
            _wait_for_others(study, n)  # every worker ends with the same, complete answer
        else:
            break

    finished = _finished_trials(study, n)
    running = sorted(set(range(n)) - set(finished))
    rows = [
        (i, finished[i].user_attrs.get("accuracy") if i in finished else None, candidates[i].macs)
        for i in range(n)
    ]
    winner = pick_winner(rows)
    singles: list[tuple[Candidate, Any | None]] = []
    if compare_single and winner is not None and not running:
        for single in config.singles(candidates[winner].macs):
            trial = _role_done(study, single.role, single.target_macs)
            while trial is None:  # train it, or wait for the worker that does
                if _busy_elsewhere(study, single.role, single.target_macs):
                    _wait_for_others(study, n, single.role, single.target_macs)
                else:
                    train_plain(single)  # ends "not run" if another worker started it first
                    trained += 1
                trial = _role_done(study, single.role, single.target_macs)
            singles.append((single, trial))
    return CoefficientOutcome(
        study=study,
        config=config,
        reference=reference,
        candidates=candidates,
        trials=finished,
        reference_trial=_role_done(study, ROLE_REFERENCE),
        winner=winner,
        singles=tuple(singles),
        trained=trained,
        wall_s=time.monotonic() - started,
        running_elsewhere=running,
    )


def _optimize_one(study: Any, objective: Callable[[Any], float]) -> None:
    """One trial through ``study.optimize`` (heartbeats, stale-trial recovery); Ctrl-C propagates."""
    from nas.workers import NotRun

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=1, gc_after_trial=False, catch=(NotRun,))


def _live_running(study: Any) -> list[Any]:
    """RUNNING trials whose heartbeat is fresh (other workers' trials in progress)."""
    from optuna.trial import TrialState

    from nas.workers import stale_trial_ids

    stale = stale_trial_ids(study)
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return [t for t in running if t._trial_id not in stale]


def _busy_elsewhere(study: Any, role: str | None = None, target_macs: int | None = None) -> bool:
    """Another worker is training a trial (of ``role``, for ``target_macs``, when given)."""
    for trial in _live_running(study):
        if role is not None and trial.user_attrs.get("role") != role:
            continue
        if target_macs is not None and trial.user_attrs.get("target_macs") != target_macs:
            continue
        return True
    return False


def _same_work(trial: Any, candidate: Candidate) -> bool:
    role = trial.user_attrs.get("role")
    if candidate.role == ROLE_COEFFICIENTS:
        return role in (None, ROLE_COEFFICIENTS) and _grid_id(trial) == candidate.index
    if candidate.target_macs is not None:
        return role == candidate.role and trial.user_attrs.get("target_macs") == candidate.target_macs
    return role == candidate.role


def _holder(study: Any, candidate: Candidate, number: int) -> int | None:
    """The lowest trial numbered below ``number`` that trains (or trained) ``candidate``, if any.

    Several workers may start the same work at once (the reference, a candidate queued again).
    Every trial says what it trains (its ``role``) as it starts, and lower-numbered running trials
    that have not said it yet are waited for (milliseconds), so exactly the lowest-numbered trial
    trains it: trial numbers are handed out atomically by the storage.
    """
    from optuna.trial import TrialState

    from nas.workers import fail_stale, stale_trial_ids

    while True:
        stale = stale_trial_ids(study)
        lower = sorted(
            (t for t in study.get_trials(deepcopy=False) if t.number < number), key=lambda t: t.number
        )
        silent = [
            t
            for t in lower
            if t.state == TrialState.RUNNING and "role" not in t.user_attrs and t._trial_id not in stale
        ]
        if not silent:
            break
        time.sleep(0.05)
        fail_stale(study)
    for trial in lower:
        live = trial.state == TrialState.RUNNING and trial._trial_id not in stale
        if _same_work(trial, candidate) and (_done(trial) or live):
            return trial.number
    return None


def _wait_for_others(
    study: Any, n_candidates: int, role: str | None = None, target_macs: int | None = None
) -> None:
    """Wait while other workers train; fail their trials if they die (their heartbeat goes stale:
    the storage queues them again) and queue again what a Ctrl-C stopped elsewhere."""
    from nas.workers import fail_stale, poll_seconds

    pause = poll_seconds(getattr(study._storage, "_backend", study._storage))
    while _busy_elsewhere(study, role, target_macs):
        time.sleep(pause)
        fail_stale(study)
        requeue_interrupted(study, n_candidates)
        if _pending(study, n_candidates)[1]:
            return  # something is queued: run it


def _objective_body(
    trial: Any,
    candidate: Candidate,
    config: CoefficientConfig,
    evaluator: Evaluator,
    on_event: EventHook | None,
) -> float:
    from nas.workers import WORKER_ATTR, NotRun, worker_name

    record(trial, candidate, config)
    trial.set_user_attr(WORKER_ATTR, worker_name())
    holder = _holder(trial.study, candidate, trial.number)
    if holder is not None:  # another worker started the same work first: it trains it
        trial.set_user_attr("reason", f"not run: trial {holder} trains {candidate.label}")
        raise NotRun(trial.number)
    trial.set_user_attr("reason", INTERRUPTED)  # replaced below unless training is interrupted
    judged = judge(candidate, config, evaluator, on_event, trial.number)
    record(trial, candidate, config, judged)
    if on_event:
        on_event("trial", {"candidate": candidate, "judged": judged, "number": trial.number})
    return float(judged.accuracy) if judged.ok else float("nan")


__all__ = [
    "CoefficientConfig",
    "CoefficientOutcome",
    "Candidate",
    "Judged",
    "ROLE_COEFFICIENTS",
    "ROLE_REFERENCE",
    "SINGLE_ROLES",
    "STUDY_KIND",
    "judge",
    "open_study",
    "pick_winner",
    "record",
    "requeue_interrupted",
    "run_coefficient_search",
]
