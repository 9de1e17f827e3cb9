"""Promotion: the best supernet-scored candidates, and B0, trained stand-alone over several seeds.

A supernet ranks thousands of candidates cheaply but with inherited weights; its top few are
then judged the expensive way. The best ``k`` distinct candidates of a oneshot study, plus the
space's reference (B0) as the comparison, are trained stand-alone on the proxy with ``repeats``
seeds (``proxy.seed``, ``proxy.seed + 1``, ...). Each run is one trial of the same study with
``fidelity: standalone``, ``role: promoted`` (``reference`` for B0) and its ``seed``, carrying the
parameters of the supernet trial it promotes, so a plain ``optuna.load_study`` reader sees both
fidelities side by side. A rerun finds the runs already recorded and does not repeat them.

The winner is the architecture with the best *mean* stand-alone reward over its seeds -- never
its supernet score. With so few seeds the spread matters: :attr:`Promotion.within_noise` is true
when the winner's and B0's mean rewards differ by less than twice the standard error of that
difference, and the command says so plainly.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

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

#: Candidates promoted from the supernet ranking (B0 comes on top as the comparison).
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
    """Every promoted architecture (B0 last), the winner by mean stand-alone reward, and B0."""

    promoted: tuple[Promoted, ...]
    winner: Promoted | None
    reference: Promoted | None

    @property
    def within_noise(self) -> bool:
        """The winner and B0 differ by less than 2 standard errors of the difference of means."""
        w, b = self.winner, self.reference
        if w is None or b is None or w.arch_code == b.arch_code:
            return True
        se = math.sqrt(w.std_reward**2 / len(w.rewards) + b.std_reward**2 / len(b.rewards))
        return abs(w.mean_reward - b.mean_reward) < 2 * se or se == 0.0 and w.mean_reward == b.mean_reward


def verdict(promotion: Promotion) -> str:
    """The plain sentence about the winner against B0 (:attr:`Promotion.within_noise`)."""
    w, b = promotion.winner, promotion.reference
    if w is None:
        return "no promoted candidate finished its stand-alone runs"
    if b is None or w.arch_code == b.arch_code:
        return "winner: B0 itself -- no promoted candidate beat it stand-alone"
    delta = w.mean_reward / b.mean_reward - 1 if b.mean_reward else float("nan")
    line = f"winner vs B0: reward {w.mean_reward:.4f} vs {b.mean_reward:.4f} ({delta:+.2%})"
    if promotion.within_noise:
        return line + ": within noise of each other (the seeds' spread covers the gap); treat them as equal"
    return line + ": a gap larger than the seeds' spread"


def to_promote(ranking: list[FrozenTrial], k: int, reference: FrozenTrial | None) -> list[FrozenTrial]:
    """The best ``k`` distinct architectures of the supernet ranking (not B0), then B0's trial."""
    seen = {reference.user_attrs.get(ARCH_CODE)} if reference is not None else set()
    picks: list[FrozenTrial] = []
    for trial in ranking:
        code = trial.user_attrs.get(ARCH_CODE)
        if code in seen:
            continue
        seen.add(code)
        picks.append(trial)
        if len(picks) >= k:
            break
    return picks + ([reference] if reference is not None else [])


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
    study: optuna.Study, source: FrozenTrial, role: str, seed: int, result: EvalLike, reward: Reward
) -> FrozenTrial:
    attrs = dict(source.user_attrs)
    macs = int(attrs[MACS])
    ok = result.status == "ok" and result.accuracy is not None
    value = reward(float(result.accuracy), macs) if ok else None  # type: ignore[arg-type]
    user_attrs = {
        ROLE: role,
        ARCH_CODE: attrs[ARCH_CODE],
        MACS: macs,
        PARAMS: attrs[PARAMS],
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
        PROMOTED_FROM: source.number,
    }
    multi = len(study.directions) > 1
    values = ([float(result.accuracy), float(macs)] if multi else [float(value)]) if ok else None  # type: ignore[arg-type]
    trial = optuna.trial.create_trial(
        params=source.params,
        distributions=source.distributions,
        values=values,
        user_attrs=user_attrs,
        state=TrialState.COMPLETE if ok else TrialState.FAIL,
    )
    study.add_trial(trial)
    return study.get_trials(deepcopy=False)[-1]


def promote(
    study: optuna.Study,
    picks: list[FrozenTrial],
    reference: FrozenTrial | None,
    repeats: int,
    base_seed: int,
    train: Train,
    reward: Reward,
    on_run: Callable[[str, int, FrozenTrial], None] | None = None,
) -> Promotion:
    """Train every pick (``reference`` among them as B0) with ``repeats`` seeds; reuse recorded runs."""
    out: list[Promoted] = []
    ref_code = reference.user_attrs.get(ARCH_CODE) if reference is not None else None
    for source in picks:
        code = str(source.user_attrs[ARCH_CODE])
        role = ROLE_REFERENCE if code == ref_code else ROLE_PROMOTED
        runs: list[FrozenTrial] = []
        seeds = tuple(base_seed + i for i in range(repeats))
        for seed in seeds:
            run = _recorded(study, code, seed)
            if run is None:
                run = _record_run(study, source, role, seed, train(arch_from_code(code), seed), reward)
            if on_run is not None:
                on_run(code, seed, run)
            runs.append(run)
        done = [r for r in runs if r.state == TrialState.COMPLETE and r.user_attrs.get(REWARD) is not None]
        out.append(
            Promoted(
                arch_code=code,
                role=role,
                source_trial=source.number,
                macs=int(source.user_attrs[MACS]),
                params=int(source.user_attrs[PARAMS]),
                trials=tuple(r.number for r in runs),
                seeds=seeds,
                accuracies=tuple(float(r.user_attrs[ACCURACY]) for r in done),
                rewards=tuple(float(r.user_attrs[REWARD]) for r in done),
                supernet_accuracy=source.user_attrs.get(ACCURACY),
            )
        )
    complete = [p for p in out if p.complete]
    winner = max(complete, key=lambda p: p.mean_reward) if complete else None
    b0 = next((p for p in out if p.role == ROLE_REFERENCE), None)
    return Promotion(tuple(out), winner, b0)


__all__ = [
    "DEFAULT_PROMOTE",
    "DEFAULT_REPEATS",
    "Promoted",
    "Promotion",
    "promote",
    "to_promote",
    "verdict",
]
