"""The baseline-search driver: an Optuna study over a search space, resumable and shareable.

EfficientNet's baseline (Tan & Le 2019, section 4) came from a MnasNet search (Tan et al. 2019)
maximising ACC(m) * (FLOPS(m)/T)^w with T = 400M. Here that search is an Optuna study:

- **samplers**: ``tpe`` (default; constraint-aware, multivariate over the conditional space),
  ``random``, ``rl`` (:class:`nas.search.rl_sampler.ReinforceSampler`, MnasNet's policy gradient) and
  ``nsga2`` (two objectives, accuracy up and MACs down: the Pareto front instead of one reward);
- **a comparison, not a starting point**: the ``--compare`` network (B0 by default) is trained
  under the same proxy before the first candidate and stored with ``role: reference``
  (:mod:`nas.search.comparison`), so every report compares the found network against it; the
  search does not start from it, the samplers do not learn from it
  (:mod:`nas.search.samplers` says how, sampler by sampler) and it is never ranked;
- **rejected candidates** (MACs outside the band) end PRUNED with the ``macs_band`` constraint, not
  COMPLETE with a made-up 0 (:mod:`nas.search.objective`);
- **budget**: ``n_trials`` counts *trained* candidates in the whole study (every worker, every
  run): candidates rejected for their FLOPs and duplicates cost no training and do not count,
  up to ``free_factor`` x n_trials of them (so a sampler stuck proposing them still stops). This is
  Optuna's ``MaxTrialsCallback`` idea, counting what costs time rather than trial states;
- **resume**: rerunning the same command loads the study and continues to the budget; a study
  created with other settings (target, space, dataset, proxy, reward, resolution, band,
  comparison network) is
  refused rather than mixed (its ``settings`` user attr is compared);
- **pruning**: ``median`` / ``hyperband`` on the per-epoch reward (single objective only).

The study's user attrs are ``kind: baseline``, ``settings`` and ``created_by``; trials carry the
trial record of :mod:`nas.studies.records`. Study names and the settings compared on resume are
in :mod:`nas.search.settings`; the live display is :mod:`nas.search.progress`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.data.fingerprint import check_same
from nas.search.comparison import Comparison, check_stored, comparison_settings, evaluate_comparison
from nas.search.objective import CONSTRAINT, Band, Evaluator, Objective
from nas.search.reward import Reward
from nas.search.samplers import PRUNERS, SAMPLERS, make_pruner, make_sampler
from nas.search.settings import settings_differences, study_settings
from nas.studies.records import (
    COMPARE,
    CREATED_BY,
    CREATED_BY_KEY,
    DATA_FINGERPRINT_KEY,
    FIDELITY_STANDALONE,
    FIDELITY_SUPERNET,
    KIND_BASELINE,
    KIND_KEY,
    REWARD,
    SETTINGS_KEY,
    STRATEGY,
    SUPERNET,
    counts_toward_budget,
    fidelity_of,
    is_comparison,
    is_free,
    search_fidelity,
)
from nas.training.proxy import ProxyConfig
from search_spaces.errors import UserError
from search_spaces.space import SearchSpace

# -- trial bookkeeping --------------------------------------------------------------------------


def is_feasible(trial: FrozenTrial) -> bool:
    return all(v <= 0 for v in trial.constraints.values())


def ranked(study: optuna.Study) -> list[FrozenTrial]:
    """Trained, complete, in-band candidates with a reward, best first (duplicates and the
    comparison network left out), of the fidelity the search judged with."""
    fidelity = search_fidelity(study.user_attrs)
    rows = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.user_attrs.get(REWARD) is not None
        and is_feasible(t)
        and not is_free(t)
        and not is_comparison(t)
        and fidelity_of(t) == fidelity
    ]
    return sorted(rows, key=lambda t: (-float(t.user_attrs[REWARD]), t.number))


def reference_trial(study: optuna.Study) -> FrozenTrial | None:
    """The comparison network's trial with a reward, judged like the search's candidates."""
    fidelity = search_fidelity(study.user_attrs)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if is_comparison(trial) and trial.user_attrs.get(REWARD) is not None:
            if fidelity_of(trial) == fidelity:
                return trial
    return None


class TrainedBudget:
    """Stop when the study holds ``n_trials`` trained candidates, or too many free ones."""

    def __init__(self, n_trials: int, max_free: int) -> None:
        self.n_trials = n_trials
        self.max_free = max_free
        self.exhausted_free = False

    def counts(self, study: optuna.Study) -> tuple[int, int]:
        trials = study.get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        )
        trained = sum(1 for t in trials if counts_toward_budget(t))
        free = sum(1 for t in trials if t.state != TrialState.FAIL and is_free(t))
        return trained, free

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        trained, free = self.counts(study)
        if trained >= self.n_trials:
            study.stop()
        elif free >= self.max_free:
            self.exhausted_free = True
            study.stop()


# -- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchConfig:
    """Everything one ``effsearch baseline`` run needs (the CLI builds it from flags)."""

    target: int
    space: SearchSpace
    dataset: str
    proxy: ProxyConfig
    num_classes: int
    in_channels: int
    storage: str
    study_name: str
    n_trials: int = 20
    timeout: float | None = None
    seed: int | None = 0
    sampler: str = "tpe"
    pruner: str = "median"
    reward_kind: str = "soft"
    w: float | None = None
    search_resolution: int = 224
    band: Band = field(default_factory=Band)
    free_factor: int = 20
    #: What data trials are judged on (nas.data.fingerprint); a resume on other data is refused.
    data_fingerprint: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    #: ``standalone`` (train every candidate) or ``oneshot`` (score on a supernet, whose store
    #: settings are ``supernet``); both are part of a oneshot study's settings.
    strategy: str = "standalone"
    supernet: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    #: The network the search is compared against (``--compare``); None: no comparison.
    compare: Comparison | None = None

    @property
    def fidelity(self) -> str:
        return FIDELITY_SUPERNET if self.strategy == "oneshot" else FIDELITY_STANDALONE

    @property
    def multi_objective(self) -> bool:
        return self.sampler == "nsga2"

    @property
    def reward(self) -> Reward:
        return Reward.make(self.target, self.reward_kind, self.w)

    def settings(self) -> dict[str, Any]:
        settings = study_settings(
            target=self.target,
            space=self.space,
            dataset=self.dataset,
            proxy=self.proxy.to_dict(),
            reward=self.reward,
            search_resolution=self.search_resolution,
            band=self.band,
            multi_objective=self.multi_objective,
            num_classes=self.num_classes,
            in_channels=self.in_channels,
        )
        settings.update(comparison_settings(self.compare))
        if self.strategy == "oneshot":  # stand-alone studies keep the settings they always had
            settings[STRATEGY] = "oneshot"
            settings[SUPERNET] = dict(self.supernet or {})
        return settings


@dataclass
class SearchOutcome:
    """What a run leaves: the study, its ranking, the reference and the counts."""

    study: optuna.Study
    ranking: list[FrozenTrial]
    reference: FrozenTrial | None
    trained: int
    free: int
    wall_s: float
    stopped_for_free: bool = False

    @property
    def best(self) -> FrozenTrial | None:
        return self.ranking[0] if self.ranking else None


def open_study(config: SearchConfig, storage: optuna.storages.BaseStorage | str) -> optuna.Study:
    """Create or load the study, refusing one made with other settings."""
    from optuna.exceptions import ExperimentalWarning

    wanted = config.settings()
    directions: list[Literal["maximize", "minimize"]] = (
        ["maximize", "minimize"] if config.multi_objective else ["maximize"]
    )
    sampler = make_sampler(config.sampler, config.seed, config.n_trials)
    pruner = make_pruner(config.pruner, int(config.proxy.epochs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        try:
            study = optuna.create_study(
                storage=storage,
                study_name=config.study_name,
                directions=directions,
                sampler=sampler,
                pruner=pruner,
                load_if_exists=True,
            )
        except ValueError as exc:  # an existing study with other directions
            raise UserError(f"study {config.study_name!r} cannot be resumed here: {exc}") from None
    attrs = study.user_attrs
    kind = attrs.get(KIND_KEY)
    if kind is None and not study.get_trials(deepcopy=False):
        # "kind" last: a worker starting at the same moment sees either no kind (and writes the
        # same attrs) or the complete record, never a kind without its settings.
        study.set_user_attr(SETTINGS_KEY, wanted)
        if config.data_fingerprint is not None:
            study.set_user_attr(DATA_FINGERPRINT_KEY, config.data_fingerprint)
        study.set_user_attr(CREATED_BY_KEY, CREATED_BY)
        study.set_user_attr(KIND_KEY, KIND_BASELINE)
        name_metrics(study, config.multi_objective)
        return study
    if kind != KIND_BASELINE:
        raise UserError(
            f"study {config.study_name!r} exists and is not a baseline search (kind {kind!r}); "
            "choose another --study"
        )
    stored = attrs.get(SETTINGS_KEY) or {}
    if COMPARE not in stored:  # a study from before --compare: its stored trial is checked instead
        check_stored(study, config.compare)
        wanted = {k: v for k, v in wanted.items() if k not in comparison_settings(None)}
    diffs = settings_differences(stored, wanted)
    if diffs:
        raise UserError(
            f"study {config.study_name!r} was created with different settings ("
            + "; ".join(diffs)
            + "); rerun with its settings to resume it, or give a new --study name"
        )
    if config.data_fingerprint is not None:
        check_same(attrs.get(DATA_FINGERPRINT_KEY), config.data_fingerprint, config.study_name)
        if DATA_FINGERPRINT_KEY not in attrs:  # a study from before fingerprints: pinned from now on
            study.set_user_attr(DATA_FINGERPRINT_KEY, config.data_fingerprint)
    name_metrics(study, config.multi_objective)  # after the checks: a refused study is left as it was
    return study


def metric_names(multi_objective: bool) -> list[str]:
    """The objectives' names: the scalar ``reward``, or ``accuracy`` and ``macs`` (nsga2)."""
    return ["accuracy", "macs"] if multi_objective else ["reward"]


def name_metrics(study: optuna.Study, multi_objective: bool) -> None:
    """Name the objectives (optuna-dashboard shows them instead of "Objective 0"): the scalar
    ``reward``, or ``accuracy`` and ``macs`` for the two-objective (nsga2) search."""
    from optuna.exceptions import ExperimentalWarning

    names = metric_names(multi_objective)
    if study.metric_names == names:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        study.set_metric_names(names)


def run_search(
    config: SearchConfig,
    evaluator: Evaluator,
    storage: optuna.storages.BaseStorage | str,
    *,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    callbacks: list[Callable[[optuna.Study, FrozenTrial], None]] | None = None,
) -> SearchOutcome:
    """Run (or resume) the search until the study has ``n_trials`` trained candidates or timeout."""
    if config.n_trials < 1:
        raise UserError(f"--n-trials must be at least 1, got {config.n_trials}")
    if config.multi_objective and config.pruner != "none":
        raise UserError("pruning needs a single objective; nsga2 searches two, use --pruner none")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = open_study(config, storage)
    budget = TrainedBudget(config.n_trials, max(50, config.free_factor * config.n_trials))
    trained, free = budget.counts(study)
    started = time.monotonic()
    if config.compare is not None and config.strategy == "standalone":
        evaluate_comparison(
            study, config.compare, evaluator, config.reward, config.band,
            num_classes=config.num_classes, in_channels=config.in_channels,
            on_event=on_event, callbacks=callbacks or (),
        )  # fmt: skip
    if trained < config.n_trials:
        objective = Objective(
            config.space,
            config.reward,
            config.band,
            evaluator,
            num_classes=config.num_classes,
            in_channels=config.in_channels,
            multi_objective=config.multi_objective,
            epochs=int(config.proxy.epochs),
            on_event=on_event,
            fidelity=config.fidelity,
        )
        # Many workers share the study: the budget is global and exact (nas.studies.workers).
        from nas.studies.workers import optimize_shared

        stopped = optimize_shared(
            study,
            objective,
            n_trials=config.n_trials,
            is_counted=counts_toward_budget,
            is_free=is_free,
            max_free=budget.max_free,
            timeout=config.timeout,
            callbacks=[budget, *(callbacks or [])],
        )
        budget.exhausted_free = budget.exhausted_free or stopped == "free"
        trained, free = budget.counts(study)
    return SearchOutcome(
        study=study,
        ranking=ranked(study),
        reference=reference_trial(study),
        trained=trained,
        free=free,
        wall_s=time.monotonic() - started,
        stopped_for_free=budget.exhausted_free,
    )


def constraint_of(trial: FrozenTrial) -> float:
    return float(trial.constraints.get(CONSTRAINT, 0.0))


__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "SearchConfig",
    "SearchOutcome",
    "TrainedBudget",
    "make_pruner",
    "make_sampler",
    "open_study",
    "ranked",
    "reference_trial",
    "run_search",
]
