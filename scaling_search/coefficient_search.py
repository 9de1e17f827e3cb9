"""The compound-coefficient search (EfficientNet, section 3.3, step 1) as a resumable Optuna study.

Step 1 of compound scaling fixes phi = 1 and grid-searches alpha, beta, gamma >= 1 under
``alpha * beta**2 * gamma**2 ~= 2`` (Eq. 3). Here:

- **candidates** are the distinct compound networks the points of
  :func:`scaling_search.grid.candidate_grid` build at phi (:mod:`scaling_search.realised`), cut
  to ``max_candidates`` by :func:`scaling_search.grid.spread_subset`. Each is costed exactly at
  the base's search resolution times ``gamma**phi`` (the user's classes and channels, as the
  baseline search costs its candidates) and **trained at the proxy resolution times the realised
  resolution multiplier** with the same proxy as the baseline search
  (:func:`nas.training.trainer.evaluate`);
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
- **the winner** maximises mean accuracy when the grid left enough compound networks within
  ``flops_tolerance`` of ``2**phi x base`` after rounding, else the soft reward (the rule of
  :mod:`scaling_search.realised`, recorded in the settings and each trial); ties (to 1e-9) go to
  fewer MACs, then to the lower candidate index. Its lead over the runner-up is set against the
  seed-to-seed noise of the repeats (:mod:`scaling_search.verdict`), stored as the study's
  ``verdict`` user attr;
- **single-dimension comparison** (optional): width-only, depth-only and resolution-only models
  sized to the winner's realised MACs (:mod:`scaling_search.single`), trained the same way, roles
  ``single-width`` / ``single-depth`` / ``single-resolution`` (the paper's Figure 8 claim).

The pieces: :mod:`scaling_search.coefficient_config` (settings and candidates),
:mod:`scaling_search.coefficient_judge` (training with repeats, the trial record) and
:mod:`scaling_search.coefficient_study` (the Optuna study and worker coordination); this module
drives them.

Trial user attrs follow the contract's "Trial record" (arch_code, macs, params, accuracy,
reward = None, epochs_run, wall_s, images_per_s, device, curve, reason, role) plus alpha, beta,
gamma, phi, constraint, macs_ratio (vs the base's MACs; 2**phi is the nominal), accuracy_std,
accuracies, repeats, train_resolution.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scaling_search.coefficient_config import (
    INTERRUPTED,
    PARAM,
    ROLE_COEFFICIENTS,
    ROLE_REFERENCE,
    STUDY_KIND,
    Candidate,
    CoefficientConfig,
)
from scaling_search.coefficient_judge import Evaluator, EventHook, Judged, judge, record
from scaling_search.coefficient_study import (
    busy_elsewhere,
    finished_trials,
    holder_of,
    open_study,
    pending,
    requeue_interrupted,
    role_done,
    wait_for_others,
)
from scaling_search.realised import score
from scaling_search.single import SINGLE_ROLES
from scaling_search.verdict import Verdict, decide, pick_winner


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
    verdict: Verdict | None = None

    @property
    def winner_candidate(self) -> Candidate | None:
        return None if self.winner is None else self.candidates[self.winner]


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

    def train_reference_if_needed() -> bool:
        # Another worker may be training it right now (many workers share the study).
        if role_done(study, ROLE_REFERENCE) is None and not busy_elsewhere(study, ROLE_REFERENCE):
            train_plain(reference)
            return True
        return False

    trained += train_reference_if_needed()

    def grid_objective(trial: Any) -> float:
        index = trial.suggest_int(PARAM, 0, n - 1)
        return _objective_body(trial, candidates[index], config, evaluator, on_event)

    trained += _work_through(study, n, grid_objective, train_reference_if_needed)

    finished = finished_trials(study, n)
    running = sorted(set(range(n)) - set(finished))
    verdict = _verdict(config, candidates, finished)
    winner = verdict.winner
    if not running:
        study.set_user_attr("verdict", verdict.to_dict())
    singles: list[tuple[Candidate, Any | None]] = []
    if compare_single and winner is not None and not running:
        singles, extra = _singles(config, study, n, candidates[winner].macs, train_plain)
        trained += extra
    return CoefficientOutcome(
        study=study,
        config=config,
        reference=reference,
        candidates=candidates,
        trials=finished,
        reference_trial=role_done(study, ROLE_REFERENCE),
        winner=winner,
        singles=tuple(singles),
        trained=trained,
        wall_s=time.monotonic() - started,
        running_elsewhere=running,
        verdict=verdict,
    )


def _work_through(
    study: Any, n: int, grid_objective: Callable[[Any], float], reference: Callable[[], Any]
) -> int:
    """Train grid candidates until none is left here, training the reference when it is still
    needed (``reference()`` trains it and returns None, or returns False) and waiting for other
    workers at the end, so every worker ends with the same, complete answer; the trainings run."""
    from nas.studies.liveness import SqliteShareWarning

    share_warning = SqliteShareWarning()  # SQLite serves one process: say so once
    requeue_interrupted(study, n)
    trained = 0
    while True:
        share_warning.check(study)
        unstarted, waiting = pending(study, n)
        if unstarted or waiting:
            _optimize_one(study, grid_objective)
            trained += 1
        elif reference():
            trained += 1
        elif busy_elsewhere(study):
            wait_for_others(study, n)
        else:
            return trained


def _singles(
    config: CoefficientConfig, study: Any, n: int, target_macs: int, train_plain: Callable[[Candidate], None]
) -> tuple[list[tuple[Candidate, Any | None]], int]:
    """The single-dimension models at ``target_macs`` with their trials; (them, trainings run here)."""
    singles, trained = [], 0
    for single in config.singles(target_macs):
        trial = role_done(study, single.role, single.target_macs)
        while trial is None:  # train it, or wait for the worker that does
            if busy_elsewhere(study, single.role, single.target_macs):
                wait_for_others(study, n, single.role, single.target_macs)
            else:
                train_plain(single)  # ends "not run" if another worker started it first
                trained += 1
            trial = role_done(study, single.role, single.target_macs)
        singles.append((single, trial))
    return singles, trained


def _verdict(config: CoefficientConfig, candidates: Sequence[Candidate], finished: dict[int, Any]) -> Verdict:
    """Scores under the plan's rule, and every candidate's runs for the seed spread."""
    rule = config.plan.rule
    rows, runs = [], []
    for i, candidate in enumerate(candidates):
        attrs = finished[i].user_attrs if i in finished else {}
        ratio = candidate.network.ratio if candidate.network is not None else candidate.macs_ratio
        rows.append((i, score(attrs.get("accuracy"), ratio, rule), candidate.macs))
        runs.append([float(a) for a in attrs.get("accuracies") or ()])
    return decide(rule, rows, runs, config.repeats)


def _optimize_one(study: Any, objective: Callable[[Any], float]) -> None:
    """One trial through ``study.optimize`` (heartbeats, stale-trial recovery); Ctrl-C propagates."""
    from nas.studies.workers import NotRun

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=1, gc_after_trial=False, catch=(NotRun,))


def _objective_body(
    trial: Any,
    candidate: Candidate,
    config: CoefficientConfig,
    evaluator: Evaluator,
    on_event: EventHook | None,
) -> float:
    from nas.studies.liveness import WORKER_ATTR, worker_name
    from nas.studies.workers import NotRun

    record(trial, candidate, config)
    trial.set_user_attr(WORKER_ATTR, worker_name())
    holder = holder_of(trial.study, candidate, trial.number)
    if holder is not None:  # another worker started the same work first: it trains it
        trial.set_user_attr("reason", f"not run: trial {holder} trains {candidate.label}")
        raise NotRun(trial.number)
    trial.set_user_attr("reason", INTERRUPTED)  # replaced below unless training is interrupted
    judged = judge(candidate, config, evaluator, on_event, trial.number)
    record(trial, candidate, config, judged)
    if on_event:
        on_event("trial", {"candidate": candidate, "judged": judged, "number": trial.number})
    return float(judged.accuracy) if judged.ok and judged.accuracy is not None else float("nan")


__all__ = [
    "CoefficientConfig",
    "CoefficientOutcome",
    "Candidate",
    "Judged",
    "ROLE_COEFFICIENTS",
    "ROLE_REFERENCE",
    "SINGLE_ROLES",
    "STUDY_KIND",
    "Verdict",
    "judge",
    "open_study",
    "pick_winner",
    "record",
    "requeue_interrupted",
    "run_coefficient_search",
]
