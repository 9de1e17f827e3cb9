"""The baseline-search driver: an Optuna study over a search space, resumable and shareable.

EfficientNet's baseline (Tan & Le 2019, section 4) came from a MnasNet search (Tan et al. 2019)
maximising ACC(m) * (FLOPS(m)/T)^w with T = 400M. Here that search is an Optuna study:

- **samplers**: ``tpe`` (default; constraint-aware, multivariate over the conditional space),
  ``random``, ``rl`` (:class:`nas.search.rl_sampler.ReinforceSampler`, MnasNet's policy gradient) and
  ``nsga2`` (two objectives, accuracy up and MACs down: the Pareto front instead of one reward);
- **the reference goes first**: B0's parameters are enqueued (user attr ``role: reference``), so
  every report compares the found network against B0 under the same proxy;
- **budget**: ``n_trials`` counts *trained* candidates in the whole study (every worker, every
  run): candidates rejected for their FLOPs and duplicates cost no training and do not count,
  up to ``free_factor`` x n_trials of them (so a sampler stuck proposing them still stops). This is
  Optuna's ``MaxTrialsCallback`` idea, counting what costs time rather than trial states;
- **resume**: rerunning the same command loads the study and continues to the budget; a study
  created with other settings (target, space, dataset, proxy, reward, resolution, band) is
  refused rather than mixed (its ``settings`` user attr is compared);
- **pruning**: ``median`` / ``hyperband`` on the per-epoch reward (single objective only).

The study's user attrs are ``kind: baseline``, ``settings`` and ``created_by``; trials carry the
contract's "Trial record" (see :mod:`nas.search.objective`).
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.search.objective import CONSTRAINT, ROLE_REFERENCE, Band, Evaluator, Objective, short_arch
from nas.search.reward import Reward, format_flops
from search_spaces.errors import UserError
from search_spaces.space import SearchSpace

SAMPLERS: tuple[str, ...] = ("tpe", "random", "rl", "nsga2")
PRUNERS: tuple[str, ...] = ("none", "median", "hyperband")
CREATED_BY = "effsearch 0.1.0"
STUDY_KIND = "baseline"
#: Settings that do not decide which numbers a trial gets (shown, not compared on resume).
_INFORMATIONAL = {"space"}


# -- naming and settings ------------------------------------------------------------------------


def dataset_slug(dataset: str) -> str:
    """A study-name-safe label for a dataset (``imagefolder:/data/birds`` -> ``imagefolder-birds``)."""
    if ":" in dataset:
        kind, _, path = dataset.partition(":")
        dataset = f"{kind}-{Path(path.rstrip('/')).name}"
    slug = re.sub(r"[^a-z0-9]+", "-", dataset.lower()).strip("-")
    return slug or "data"


def default_study_name(target: int, dataset: str, sampler: str = "tpe") -> str:
    """``baseline-400M-fashion-mnist`` (``-pareto`` for nsga2, whose study has two objectives)."""
    name = f"baseline-{format_flops(target)}-{dataset_slug(dataset)}"
    return name + "-pareto" if sampler == "nsga2" else name


def study_settings(
    *,
    target: int,
    space: SearchSpace,
    dataset: str,
    proxy: dict[str, Any],
    reward: Reward,
    search_resolution: int,
    band: Band,
    multi_objective: bool,
    num_classes: int,
    in_channels: int,
) -> dict[str, Any]:
    """What defines a baseline study: two runs mix only if all of it (but ``space``) matches."""
    return {
        "target_flops": int(target),
        "space": space.source,
        "space_fingerprint": space.fingerprint(),
        "dataset": dataset,
        "num_classes": int(num_classes),
        "in_channels": int(in_channels),
        "proxy": proxy,
        "w": float(reward.w),
        "reward_kind": reward.kind,
        "search_resolution": int(search_resolution),
        "flops_band": [float(band.low), float(band.high)],
        "objective": "accuracy,macs" if multi_objective else "reward",
    }


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


def settings_differences(stored: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """Human lines ``key: stored -> wanted`` for every setting that differs."""
    old, new = _flatten(stored), _flatten(wanted)
    lines = []
    for key in sorted(set(old) | set(new)):
        if key.split(".")[0] in _INFORMATIONAL:
            continue
        a, b = old.get(key, "<unset>"), new.get(key, "<unset>")
        if isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-12):
            continue
        if a != b:
            lines.append(f"{key}: {a!r} (study) vs {b!r} (now)")
    return lines


# -- samplers and pruners -----------------------------------------------------------------------


def make_sampler(name: str, seed: int | None, n_trials: int) -> optuna.samplers.BaseSampler:
    """The Optuna sampler for ``--sampler``."""
    from optuna.exceptions import ExperimentalWarning

    from nas.search.rl_sampler import ReinforceSampler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        if name == "tpe":
            return optuna.samplers.TPESampler(
                seed=seed,
                multivariate=True,
                group=True,
                constant_liar=True,
                n_startup_trials=max(3, min(10, n_trials // 3)),
            )
        if name == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        if name == "rl":
            return ReinforceSampler(seed=seed)
        if name == "nsga2":
            return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(8, min(50, n_trials // 3)))
    raise UserError(f"unknown sampler {name!r}; expected one of {', '.join(SAMPLERS)}")


def make_pruner(name: str, epochs: int) -> optuna.pruners.BasePruner:
    """The Optuna pruner for ``--pruner`` (on the per-epoch reward)."""
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        # Epochs are reported 1-based; not on epoch 1: short proxies are still warming up (near chance).
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs), reduction_factor=3)
    raise UserError(f"unknown pruner {name!r}; expected one of {', '.join(PRUNERS)}")


# -- trial bookkeeping --------------------------------------------------------------------------


def is_free(trial: FrozenTrial) -> bool:
    """Rejected or duplicate: a finished trial that cost no training."""
    reason = str(trial.user_attrs.get("reason", ""))
    return reason.startswith("rejected") or reason.startswith("duplicate")


def is_trained(trial: FrozenTrial) -> bool:
    """A finished trial that spent training time (counts toward ``n_trials``).

    A FAIL without a reason is a trial whose worker died (it is retried), not a training run.
    """
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return not is_free(trial)
    if trial.state == TrialState.FAIL:
        return trial.user_attrs.get("reason", "") in ("nan loss", "out of memory")
    return False


def is_feasible(trial: FrozenTrial) -> bool:
    return all(v <= 0 for v in trial.constraints.values())


def ranked(study: optuna.Study) -> list[FrozenTrial]:
    """Trained, complete, in-band trials with a reward, best first (duplicates left out)."""
    rows = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.user_attrs.get("reward") is not None and is_feasible(t) and not is_free(t)
    ]
    return sorted(rows, key=lambda t: (-float(t.user_attrs["reward"]), t.number))


def reference_trial(study: optuna.Study) -> FrozenTrial | None:
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if trial.user_attrs.get("role") == ROLE_REFERENCE and trial.user_attrs.get("reward") is not None:
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
        trained = sum(1 for t in trials if is_trained(t))
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
    proxy: Any  # nas.training.proxy.ProxyConfig (to_dict(), epochs)
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

    @property
    def multi_objective(self) -> bool:
        return self.sampler == "nsga2"

    @property
    def reward(self) -> Reward:
        return Reward.make(self.target, self.reward_kind, self.w)

    def settings(self) -> dict[str, Any]:
        return study_settings(
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


def open_study(config: SearchConfig, storage: Any) -> optuna.Study:
    """Create or load the study, refusing one made with other settings."""
    from optuna.exceptions import ExperimentalWarning

    wanted = config.settings()
    directions = ["maximize", "minimize"] if config.multi_objective else ["maximize"]
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
    kind = attrs.get("kind")
    if kind is None and not study.get_trials(deepcopy=False):
        # "kind" last: a worker starting at the same moment sees either no kind (and writes the
        # same attrs) or the complete record, never a kind without its settings.
        study.set_user_attr("settings", wanted)
        study.set_user_attr("created_by", CREATED_BY)
        study.set_user_attr("kind", STUDY_KIND)
        return study
    if kind != STUDY_KIND:
        raise UserError(
            f"study {config.study_name!r} exists and is not a baseline search (kind {kind!r}); "
            "choose another --study"
        )
    diffs = settings_differences(attrs.get("settings") or {}, wanted)
    if diffs:
        raise UserError(
            f"study {config.study_name!r} was created with different settings ("
            + "; ".join(diffs)
            + "); rerun with its settings to resume it, or give a new --study name"
        )
    return study


def enqueue_reference(study: optuna.Study, space: SearchSpace) -> bool:
    """Queue the space's reference (B0) as the first trial unless the study already has it."""
    if any(t.user_attrs.get("role") == ROLE_REFERENCE for t in study.get_trials(deepcopy=False)):
        return False
    params = space.params_of(space.reference)
    study.enqueue_trial(params, user_attrs={"role": ROLE_REFERENCE}, skip_if_exists=True)
    return True


def run_search(
    config: SearchConfig,
    evaluator: Evaluator,
    storage: Any,
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
    if trained < config.n_trials:
        enqueue_reference(study, config.space)
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
        )
        # Many workers share the study: the budget is global and exact (nas.studies.workers).
        from nas.studies.workers import optimize_shared

        stopped = optimize_shared(
            study,
            objective,
            n_trials=config.n_trials,
            is_counted=is_trained,
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


def trial_summary(trial: FrozenTrial, target: int) -> str:
    """One line about a finished trial (progress log)."""
    attrs = trial.user_attrs
    macs = attrs.get("macs")
    macs_text = f"MACs {format_flops(int(macs))} ({macs / target:.2f}xT)" if macs else ""
    reason = attrs.get("reason", "")
    head = f"#{trial.number}"
    if attrs.get("role") == ROLE_REFERENCE:
        head += " B0"
    if reason.startswith("rejected"):
        return f"{head} {reason}"
    if reason.startswith("duplicate"):
        value = attrs.get("reward")
        return f"{head} {reason}" + (f" (reward {value:.4f})" if value is not None else "")
    parts = [head]
    if attrs.get("reward") is not None:
        parts.append(f"reward {attrs['reward']:.4f}")
    if attrs.get("accuracy") is not None:
        parts.append(f"acc {attrs['accuracy']:.4f}")
    parts.append(macs_text)
    if attrs.get("params"):
        parts.append(f"params {attrs['params'] / 1e6:.2f}M")
    if attrs.get("wall_s"):
        parts.append(f"{attrs['wall_s']:.1f}s")
    if reason:
        parts.append(f"[{reason}]")
    return " ".join(p for p in parts if p)


def constraint_of(trial: FrozenTrial) -> float:
    return float(trial.constraints.get(CONSTRAINT, 0.0))


__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "SearchConfig",
    "SearchOutcome",
    "TrainedBudget",
    "default_study_name",
    "enqueue_reference",
    "is_free",
    "is_trained",
    "make_pruner",
    "make_sampler",
    "open_study",
    "ranked",
    "reference_trial",
    "run_search",
    "settings_differences",
    "short_arch",
    "study_settings",
    "trial_summary",
]
