"""The Optuna objective of the baseline search: sample, cost, reject, deduplicate, train, reward.

One call judges one candidate, cheapest checks first (MnasNet section 4; ``docs/baseline_search.md``):

1. ``space.sample(trial)`` gives an :class:`ArchSpec`; the exact cost model gives its conv+linear
   MACs and parameters at the search resolution for the user's data (classes, input channels).
2. **Rejection before training.** Every trial gets the Optuna 5 constraint ``macs_band``: the
   distance (in units of the target T) of its MACs outside the band ``[lo*T, hi*T]``, <= 0 inside.
   A candidate outside the band is not trained: the trial ends PRUNED (``raise TrialPruned`` after
   the constraint is set) with ``reason`` ``"rejected: ..."`` and no accuracy, reward or value.
   Not COMPLETE with a made-up 0: optuna-dashboard's history plot and parameter importances read
   COMPLETE trials and would chart the zeros. The samplers still learn to avoid the region, all by
   the constraint (Optuna 5.1's source): constraint-aware TPE checks feasibility *before* state in
   ``_split_trials``, so a rejected trial is "infeasible", ranked below every complete and pruned
   one (in the "above" set unless there are too few others); the REINFORCE controller gives a
   constraint violation its fixed negative advantage whatever the state
   (:mod:`nas.search.rl_sampler`); NSGA-II builds its populations from COMPLETE trials only, so it
   ignores rejected ones (its children are drawn from feasible parents); ``study.best_trial(s)``
   never returns a PRUNED trial. The comparison network (``--compare``) is not a candidate and never
   comes here (:mod:`nas.search.comparison`).
3. **Duplicates are not retrained.** A candidate whose ``arch_code`` some finished trial already
   trained is served from that trial: same accuracy, reward and objective value (training is
   seeded, so retraining would only repeat it), ``reason`` ``"duplicate of trial N"``, epochs_run
   and wall_s 0. A duplicate of a pruned trial is pruned again without training.
4. **Training with pruning.** The proxy trainer calls ``on_epoch(epoch, accuracy)``; the reward at
   that epoch is reported with ``trial.report`` and, for single-objective studies, the pruner may
   stop the candidate (``reason`` ``"pruned at epoch N"``, state PRUNED, accuracy = the last
   epoch's, reward None because the candidate was not trained to the proxy's end). The final epoch
   is never pruned (it is already paid for).
5. A NaN loss or an out-of-memory candidate returns NaN, which Optuna records as FAIL, with the
   reason.

Every trial carries the user attributes of the trial record (:mod:`nas.studies.records`; the
keyword names of :func:`record` are those keys), so a plain ``optuna.load_study`` reader sees
everything.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

from nas.search.reward import Reward, format_flops
from nas.studies.records import (
    ACCURACY,
    ARCH_CODE,
    FIDELITIES,
    FIDELITY_STANDALONE,
    REASON,
    REWARD,
    ROLE,
    ROLE_CANDIDATE,
    ROLE_PROMOTED,
    failure_reason,
    fidelity_of,
    is_free_reason,
)
from nas.training.evaluation import EvalLike
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError
from search_spaces.space import SearchSpace

CONSTRAINT = "macs_band"


#: ``evaluator(arch, on_epoch) -> EvalResult``; on_epoch(epoch, accuracy) -> True stops training.
Evaluator = Callable[[ArchSpec, Callable[[int, float], bool]], EvalLike]


@dataclass(frozen=True)
class Band:
    """The MACs band around the target outside which candidates are rejected untrained."""

    low: float = 0.5
    high: float = 1.5

    def __post_init__(self) -> None:
        if not (0 <= self.low <= 1 <= self.high) or math.isnan(self.high):
            raise ValueError(f"flops band must satisfy 0 <= low <= 1 <= high, got {self.low},{self.high}")

    def violation(self, macs: int, target: int) -> float:
        """Distance outside the band in units of the target (<= 0 inside): the constraint value."""
        return max(self.low * target - macs, macs - self.high * target) / target

    def describe(self, target: int) -> str:
        high = format_flops(int(self.high * target)) if math.isfinite(self.high) else "inf"
        low = format_flops(int(self.low * target))
        return f"{low}-{high} ({self.low:g}-{self.high:g} x {format_flops(target)})"

    def check_reachable(self, space: Any, target: int, num_classes: int, in_channels: int) -> None:
        """UserError when no architecture of ``space`` can have MACs inside the band (before any
        work: a search that could only reject every candidate must not start)."""
        span = space.mac_range(num_classes=num_classes, in_channels=in_channels)
        if span.max_macs >= self.low * target and span.min_macs <= self.high * target:
            return
        res = space.reference.resolution
        raise UserError(
            f"no architecture of space {space.name!r} can fall inside the band {self.describe(target)}: "
            f"its MACs at {res}x{res} span {format_flops(span.min_macs)}-{format_flops(span.max_macs)}; "
            "choose --target-flops in that range, widen --flops-band, or change --space/--search-resolution"
        )


def record(trial: optuna.trial.Trial, **attrs: Any) -> None:
    """Set user attributes (JSON-safe values)."""
    for key, value in attrs.items():
        if isinstance(value, tuple):
            value = list(value)
        trial.set_user_attr(key, value)


class Objective:
    """Callable objective for ``study.optimize``; see the module docstring for the steps.

    ``on_event(kind, payload)`` (optional) hears ``"epoch"`` and ``"trial"`` events for live
    progress; the driver owns the display. ``fidelity`` says how ``evaluator`` measures accuracy
    (``standalone`` training or ``supernet`` scoring, :mod:`nas.studies.records`); every trial
    records it, and a duplicate is served only from a trial of the same fidelity.
    """

    def __init__(
        self,
        space: SearchSpace,
        reward: Reward,
        band: Band,
        evaluator: Evaluator,
        *,
        num_classes: int,
        in_channels: int,
        multi_objective: bool = False,
        epochs: int | None = None,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        fidelity: str = FIDELITY_STANDALONE,
    ) -> None:
        if fidelity not in FIDELITIES:
            raise ValueError(f"fidelity must be one of {', '.join(FIDELITIES)}, got {fidelity!r}")
        self.fidelity = fidelity
        self.space = space
        self.reward = reward
        self.band = band
        self.evaluator = evaluator
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.multi_objective = multi_objective
        self.epochs = epochs
        self.on_event = on_event

    def _value(self, accuracy: float | None, reward: float | None, macs: int) -> float | tuple[float, float]:
        if self.multi_objective:
            return (float(accuracy or 0.0), float(macs))
        return float(reward or 0.0)

    def _emit(self, kind: str, **payload: Any) -> None:
        if self.on_event is not None:
            self.on_event(kind, payload)

    def __call__(self, trial: optuna.trial.Trial) -> float | tuple[float, float]:
        role = trial.user_attrs.get(ROLE, ROLE_CANDIDATE)
        arch = self.space.sample(trial)
        code = arch_code(arch)
        cost = count_cost(arch, self.num_classes, self.in_channels)
        target = self.reward.target
        violation = self.band.violation(cost.macs, target)
        with warnings.catch_warnings():
            # A retried trial (worker died) inherits its constraint: same params, same value.
            warnings.filterwarnings("ignore", message="The constraint value is ignored")
            trial.set_constraint(CONSTRAINT, violation)
        record(trial, role=role, arch_code=code, macs=cost.macs, params=cost.params, fidelity=self.fidelity)
        idle = dict(epochs_run=0, wall_s=0.0, images_per_s=0.0, device="", curve=[])

        if violation > 0:
            side = "above" if cost.macs > target else "below"
            reason = f"rejected: MACs {format_flops(cost.macs)} {side} band {self.band.describe(target)}"
            record(trial, accuracy=None, reward=None, reason=reason, **idle)
            self._emit("trial", number=trial.number, reason=reason, macs=cost.macs)
            raise optuna.TrialPruned(reason)

        original = self._trained_twin(trial, code, self.fidelity)
        if original is not None:
            reason = f"duplicate of trial {original.number}"
            attrs = original.user_attrs
            record(
                trial,
                accuracy=attrs.get(ACCURACY),
                reward=attrs.get(REWARD),
                reason=reason,
                **{**idle, "device": attrs.get("device", ""), "curve": attrs.get("curve", [])},
            )
            self._emit("trial", number=trial.number, reason=reason, macs=cost.macs)
            if original.state == TrialState.PRUNED:
                raise optuna.TrialPruned(reason)
            values = original.values
            return tuple(values) if self.multi_objective else float(values[0])

        stopped_by_pruner: list[int] = []

        def on_epoch(epoch: int, accuracy: float) -> bool:
            partial = self.reward(accuracy, cost.macs)
            self._emit("epoch", number=trial.number, epoch=epoch, accuracy=accuracy, reward=partial)
            if self.multi_objective:
                return False
            trial.report(float(partial if partial is not None else 0.0), step=int(epoch))
            last = self.epochs is not None and int(epoch) >= self.epochs
            if not last and trial.should_prune():
                stopped_by_pruner.append(int(epoch))
                return True
            return False

        result = self.evaluator(arch, on_epoch)
        base = dict(
            epochs_run=int(result.epochs_run),
            wall_s=float(result.wall_s),
            images_per_s=float(result.images_per_s),
            device=str(result.device),
            curve=[float(x) for x in result.curve],
        )
        if result.status == "ok" and result.accuracy is not None:
            value = self.reward(result.accuracy, cost.macs)
            record(trial, accuracy=float(result.accuracy), reward=value, reason="", **base)
            self._emit("trial", number=trial.number, reason="", macs=cost.macs, reward=value)
            return self._value(result.accuracy, value, cost.macs)
        if result.status == "stopped":
            epoch = stopped_by_pruner[-1] if stopped_by_pruner else result.epochs_run
            reason = f"pruned at epoch {epoch}"
            last = result.curve[-1] if result.curve else result.accuracy
            record(trial, accuracy=None if last is None else float(last), reward=None, reason=reason, **base)
            self._emit("trial", number=trial.number, reason=reason, macs=cost.macs)
            raise optuna.TrialPruned(reason)
        reason = failure_reason(result.status, result.reason)
        record(trial, accuracy=None, reward=None, reason=reason, **base)
        if result.reason and result.reason != reason:
            record(trial, detail=str(result.reason)[:500])  # the trainer's words (epoch, step...)
        self._emit("trial", number=trial.number, reason=reason, macs=cost.macs)
        return (math.nan, math.nan) if self.multi_objective else math.nan

    @staticmethod
    def _trained_twin(
        trial: optuna.trial.Trial, code: str, fidelity: str = FIDELITY_STANDALONE
    ) -> optuna.trial.FrozenTrial | None:
        """The earliest finished trial that judged (or pruned) the same architecture the same way."""
        for other in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
            attrs = other.user_attrs
            if other.number == trial.number or attrs.get(ARCH_CODE) != code:
                continue
            if fidelity_of(other) != fidelity or attrs.get(ROLE) == ROLE_PROMOTED:
                continue
            if is_free_reason(attrs.get(REASON)):
                continue
            return other
        return None


__all__ = ["CONSTRAINT", "Band", "EvalLike", "Evaluator", "Objective", "record"]
