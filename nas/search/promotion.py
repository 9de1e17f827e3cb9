"""Promotion: the best supernet-scored candidates, and the comparison network, trained
stand-alone over several seeds.

A supernet ranks thousands of candidates cheaply but with inherited weights; its top few are
then judged the expensive way. The best ``k`` distinct candidates of a oneshot study, plus the
``--compare`` network (B0 by default; :mod:`nas.search.comparison`, promoted from its
architecture: it need not lie in the space, and the supernet never scored it), are trained
stand-alone on the proxy with ``repeats`` seeds (``proxy.seed``, ``proxy.seed + 1``, ...). Each run
is one trial of the same study with ``fidelity: standalone``, ``role: promoted`` (``reference``
for the comparison) and its ``seed``; a candidate's runs carry the parameters of the supernet
trial they promote, the comparison's none (so no sampler learns from it), so a plain
``optuna.load_study`` reader sees both fidelities side by side. A rerun finds the runs already
recorded and does not repeat them. With ``--compare none`` only the candidates are promoted.

The winner is the promoted candidate with the best *mean* stand-alone reward over its seeds --
never its supernet score, and never the comparison network (it is what the winner is compared
with). With so few seeds the spread matters: :attr:`Promotion.within_noise` is true
when the winner's and the comparison's mean rewards differ by less than twice the standard error of that
difference, and the command says so plainly.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.search.comparison import Comparison
from nas.search.reward import Reward
from nas.studies.records import (
    ACCURACY,
    ARCH_CODE,
    FIDELITY,
    FIDELITY_STANDALONE,
    MACS,
    PARAMS,
    PROMOTED_FROM,
    REASON,
    REWARD,
    ROLE,
    ROLE_PROMOTED,
    ROLE_REFERENCE,
    SEED,
    failure_reason,
    fidelity_of,
)
from nas.training.evaluation import EvalLike
from search_spaces.codes import arch_from_code
from search_spaces.cost import count_cost

#: Candidates promoted from the supernet ranking (the comparison network comes on top).
DEFAULT_PROMOTE = 3
#: Training seeds per promoted architecture: the least that gives a spread.
DEFAULT_REPEATS = 2

#: ``train(arch, seed) -> EvalLike``: one stand-alone proxy training.
Train = Callable[[Any, int], EvalLike]


@dataclass(frozen=True)
class Promoted:
    """One promoted architecture: its stand-alone runs over seeds and their spread."""

    arch_code: str
    role: str
    source_trial: int
    macs: int
    params: int
    trials: tuple[int, ...]
    seeds: tuple[int, ...]
    accuracies: tuple[float, ...]
    rewards: tuple[float, ...]
    supernet_accuracy: float | None

    @property
    def complete(self) -> bool:
        return bool(self.rewards) and len(self.rewards) == len(self.seeds)

    @property
    def mean_reward(self) -> float:
        return statistics.fmean(self.rewards) if self.rewards else math.nan

    @property
    def std_reward(self) -> float:
        return statistics.stdev(self.rewards) if len(self.rewards) > 1 else 0.0

    @property
    def mean_accuracy(self) -> float:
        return statistics.fmean(self.accuracies) if self.accuracies else math.nan

    @property
    def std_accuracy(self) -> float:
        return statistics.stdev(self.accuracies) if len(self.accuracies) > 1 else 0.0


@dataclass(frozen=True)
class Promotion:
    """Every promoted architecture (the comparison last), the winner by mean stand-alone reward,
    and the comparison network (``reference``) with the name ``--compare`` gave it."""

    promoted: tuple[Promoted, ...]
    winner: Promoted | None
    reference: Promoted | None
    compare_name: str = "B0"

    @property
    def within_noise(self) -> bool:
        """The winner and the comparison differ by less than 2 standard errors of the difference."""
        w, b = self.winner, self.reference
        if w is None or b is None or w.arch_code == b.arch_code:
            return True
        se = math.sqrt(w.std_reward**2 / len(w.rewards) + b.std_reward**2 / len(b.rewards))
        return abs(w.mean_reward - b.mean_reward) < 2 * se or se == 0.0 and w.mean_reward == b.mean_reward


def verdict(promotion: Promotion) -> str:
    """The plain sentence about the winner against the comparison (:attr:`Promotion.within_noise`)."""
    w, b, name = promotion.winner, promotion.reference, promotion.compare_name
    if w is None:
        return "no promoted candidate finished its stand-alone runs"
    if b is None:
        return f"winner: trial {w.source_trial} (no comparison network: --compare none)"
    if w.arch_code == b.arch_code:
        return f"winner: {name} itself -- no promoted candidate beat it stand-alone"
    delta = w.mean_reward / b.mean_reward - 1 if b.mean_reward else float("nan")
    line = f"winner vs {name}: reward {w.mean_reward:.4f} vs {b.mean_reward:.4f} ({delta:+.2%})"
    if promotion.within_noise:
        return line + ": within noise of each other (the seeds' spread covers the gap); treat them as equal"
    return line + ": a gap larger than the seeds' spread"


def to_promote(ranking: list[FrozenTrial], k: int, comparison: Comparison | None) -> list[FrozenTrial]:
    """The best ``k`` distinct architectures of the supernet ranking (the comparison's left out:
    it is promoted on its own)."""
    seen: set[str] = {comparison.code} if comparison is not None else set()
    picks: list[FrozenTrial] = []
    for trial in ranking:
        code = str(trial.user_attrs.get(ARCH_CODE))
        if code in seen:
            continue
        seen.add(code)
        picks.append(trial)
        if len(picks) >= k:
            break
    return picks


@dataclass(frozen=True)
class Source:
    """What one promoted architecture is trained from: a supernet trial, or the comparison."""

    arch_code: str
    role: str
    macs: int
    params: int
    number: int | None = None
    trial_params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Any] = field(default_factory=dict)
    supernet_accuracy: float | None = None

    @classmethod
    def of_trial(cls, trial: FrozenTrial) -> Source:
        a = trial.user_attrs
        return cls(
            str(a[ARCH_CODE]), ROLE_PROMOTED, int(a[MACS]), int(a[PARAMS]), trial.number,
            dict(trial.params), dict(trial.distributions), a.get(ACCURACY),
        )  # fmt: skip

    @classmethod
    def of_comparison(cls, comparison: Comparison, num_classes: int, in_channels: int) -> Source:
        cost = count_cost(comparison.arch, num_classes, in_channels)
        return cls(comparison.code, ROLE_REFERENCE, int(cost.macs), int(cost.params))


def _recorded(study: optuna.Study, code: str, seed: int) -> FrozenTrial | None:
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)):
        attrs = trial.user_attrs
        if (
            attrs.get(ARCH_CODE) != code
            or attrs.get(SEED) != seed
            or fidelity_of(trial) != FIDELITY_STANDALONE
        ):
            continue
        if attrs.get(ROLE) in (ROLE_PROMOTED, ROLE_REFERENCE):
            return trial  # a failed run (NaN, OOM) would fail again: kept, not retried
    return None


def _record_run(
    study: optuna.Study, source: Source, seed: int, result: EvalLike, reward: Reward
) -> FrozenTrial:
    ok = result.status == "ok" and result.accuracy is not None
    value = reward(float(result.accuracy), source.macs) if ok else None  # type: ignore[arg-type]
    user_attrs = {
        ROLE: source.role,
        ARCH_CODE: source.arch_code,
        MACS: source.macs,
        PARAMS: source.params,
        FIDELITY: FIDELITY_STANDALONE,
        SEED: int(seed),
        ACCURACY: float(result.accuracy) if ok else None,  # type: ignore[arg-type]
        REWARD: value,
        REASON: "" if ok else failure_reason(result.status, result.reason),
        "epochs_run": int(result.epochs_run),
        "wall_s": float(result.wall_s),
        "images_per_s": float(result.images_per_s),
        "device": str(result.device),
        "curve": [float(x) for x in result.curve],
    }
    if source.number is not None:
        user_attrs[PROMOTED_FROM] = source.number
    multi = len(study.directions) > 1
    values = ([float(result.accuracy), float(source.macs)] if multi else [float(value)]) if ok else None  # type: ignore[arg-type]
    trial = optuna.trial.create_trial(
        params=source.trial_params,
        distributions=source.distributions,
        values=values,
        user_attrs=user_attrs,
        state=TrialState.COMPLETE if ok else TrialState.FAIL,
    )
    study.add_trial(trial)
    return study.get_trials(deepcopy=False)[-1]


def promote(
    study: optuna.Study,
    sources: list[Source],
    repeats: int,
    base_seed: int,
    train: Train,
    reward: Reward,
    on_run: Callable[[str, int, FrozenTrial], None] | None = None,
    compare_name: str = "B0",
) -> Promotion:
    """Train every source (the comparison among them, ``role: reference``) with ``repeats`` seeds;
    reuse recorded runs."""
    out: list[Promoted] = []
    seeds = tuple(base_seed + i for i in range(repeats))
    for source in sources:
        runs: list[FrozenTrial] = []
        for seed in seeds:
            run = _recorded(study, source.arch_code, seed)
            if run is None:
                result = train(arch_from_code(source.arch_code), seed)
                run = _record_run(study, source, seed, result, reward)
            if on_run is not None:
                on_run(source.arch_code, seed, run)
            runs.append(run)
        done = [r for r in runs if r.state == TrialState.COMPLETE and r.user_attrs.get(REWARD) is not None]
        out.append(
            Promoted(
                arch_code=source.arch_code,
                role=source.role,
                source_trial=source.number if source.number is not None else runs[0].number,
                macs=source.macs,
                params=source.params,
                trials=tuple(r.number for r in runs),
                seeds=seeds,
                accuracies=tuple(float(r.user_attrs[ACCURACY]) for r in done),
                rewards=tuple(float(r.user_attrs[REWARD]) for r in done),
                supernet_accuracy=source.supernet_accuracy,
            )
        )
    # The comparison is compared with, never chosen: the winner is a network the search found.
    complete = [p for p in out if p.complete and p.role != ROLE_REFERENCE]
    winner = max(complete, key=lambda p: p.mean_reward) if complete else None
    reference = next((p for p in out if p.role == ROLE_REFERENCE), None)
    return Promotion(tuple(out), winner, reference, compare_name)


__all__ = [
    "DEFAULT_PROMOTE",
    "DEFAULT_REPEATS",
    "Promoted",
    "Promotion",
    "Source",
    "promote",
    "to_promote",
    "verdict",
]
