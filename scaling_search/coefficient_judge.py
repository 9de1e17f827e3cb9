"""Training one coefficient candidate ``repeats`` times and writing its trial record.

Repeats with seeds ``seed, seed+1, ...`` give the mean accuracy the grid search maximises and a
spread (sample standard deviation) that says whether two grid points really differ; the first
failure (NaN loss, out of memory) ends the candidate.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from nas.studies.records import failure_reason
from nas.training.evaluation import EvalLike
from nas.training.proxy import ProxyConfig
from scaling_search.coefficient_config import ROLE_REFERENCE, Candidate, CoefficientConfig
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code

#: ``evaluator(arch, proxy, seed, on_epoch) -> EvalResult``; the proxy's resolution is already set.
Evaluator = Callable[[ArchSpec, ProxyConfig, int, Callable[[int, float], bool]], EvalLike]
#: ``on_event(kind, payload)``: "start" (plan), "train" (one training run begins), "epoch", "trial".
EventHook = Callable[[str, dict[str, Any]], None]


class Trainable(Protocol):
    """What :func:`judge` trains: a coefficient candidate or a sweep point (frozen dataclasses,
    hence read-only properties)."""

    @property
    def arch(self) -> ArchSpec: ...

    @property
    def train_resolution(self) -> int: ...


class JudgeSettings(Protocol):
    """What :func:`judge` reads from a study's config: the proxy, the repeats and the first seed."""

    @property
    def proxy(self) -> ProxyConfig: ...

    @property
    def repeats(self) -> int: ...

    @property
    def seed(self) -> int: ...


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

    def record(self) -> dict[str, Any]:
        """The trial attributes of these runs (the coefficient and sweep studies store the same)."""
        return {
            "accuracy": self.accuracy,
            "accuracy_std": self.accuracy_std,
            "accuracies": list(self.accuracies),
            "curve": list(self.curve),
            "epochs_run": self.epochs_run,
            "wall_s": self.wall_s,
            "images_per_s": self.images_per_s,
            "device": self.device,
            "reason": self.reason,
        }


def judge(
    candidate: Trainable,
    config: JudgeSettings,
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
        reason = failure_reason(bad.status, bad.reason)
        return Judged(False, None, None, (), tuple(bad.curve), epochs, wall, _mean(speeds), device, reason)
    accuracies = tuple(float(r.accuracy) for r in results if r.accuracy is not None)  # none failed
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
    if candidate.network is not None:
        attrs.update(
            realised_ratio=candidate.network.ratio,
            members=[[p.alpha, p.beta, p.gamma] for p in candidate.network.points],
            rule=config.plan.rule,
        )
    if candidate.multiplier is not None:
        attrs.update(multiplier=candidate.multiplier, target_macs=candidate.target_macs)
    if judged is not None:
        attrs.update(judged.record())
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
