"""Scoring candidates with inherited weights: the supernet's stand-in for training each one.

For each candidate the supernet runs that candidate (:meth:`Supernet.set_active`, with the
proxy's small-input adaptation), its BatchNorm statistics are re-estimated on a few training
batches (:func:`nas.oneshot.bn_calibration.recalibrate_bn`; Once-for-All and BigNAS do the same),
and its accuracy on the validation images is the score. No gradient, no training: a forward pass
over a few hundred images, so the search can judge thousands of candidates where stand-alone
training judges tens.

Every candidate is recalibrated on the *same* training images (a seeded choice made once), so
two scores differ only by the architecture. :class:`SupernetEvaluator` wraps this as the
``evaluator(arch, on_epoch)`` of :class:`nas.search.objective.Objective`, returning a
:class:`ScoreResult` (an :class:`nas.training.evaluation.EvalLike`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from nas.data.augment import normalize
from nas.oneshot.bn_calibration import recalibrate_bn
from nas.oneshot.supernet import Supernet
from nas.training.device_data import DeviceData
from nas.training.loop import validate
from nas.training.proxy import ProxyConfig
from search_spaces.arch import ArchSpec

#: Training batches BN statistics are re-estimated on before a candidate is scored. Measured on
#: CPU (benchmarks/bench_oneshot.py): 2 batches of the proxy's 128 images keep the score within
#: ~1 point of 8 batches at a quarter of the cost; BigNAS used more on ImageNet's 1,000 classes.
DEFAULT_BN_BATCHES = 2
#: Validation images a candidate is scored on (the first ones of the proxy's validation split).
#: 500: a standard error of ~1.5 points at 85%, and the cost of a score stays a second or two on
#: two CPU cores; ``None`` scores on all of the proxy's validation images.
DEFAULT_SCORE_IMAGES: int | None = 500


@dataclass(frozen=True)
class ScoreResult:
    """One candidate's supernet score, shaped like the trainer's result (``EvalLike``)."""

    status: str
    accuracy: float | None
    curve: tuple[float, ...]
    epochs_run: int
    wall_s: float
    images_per_s: float
    device: str
    reason: str = ""


class Scorer:
    """Scores candidates of ``supernet`` on device-resident data with inherited weights."""

    def __init__(
        self,
        supernet: Supernet,
        data: DeviceData,
        proxy: ProxyConfig,
        bn_batches: int = DEFAULT_BN_BATCHES,
        val_images: int | None = DEFAULT_SCORE_IMAGES,
        seed: int = 0,
    ) -> None:
        self.supernet = supernet
        self.proxy = proxy
        n_train = int(data.train_x.shape[0])
        batch = min(proxy.batch_size, n_train)
        generator = torch.Generator().manual_seed(int(seed))
        order = torch.randperm(n_train, generator=generator)[: max(1, bn_batches) * batch].to(
            data.train_x.device
        )
        cl = proxy.channels_last
        self.bn_inputs = [
            normalize(data.train_x[idx], data.mean, data.inv_std, cl) for idx in order.split(batch)
        ][: max(1, bn_batches)]
        n_val = int(data.val_x.shape[0]) if val_images is None else min(val_images, int(data.val_x.shape[0]))
        self.data = DeviceData(
            train_x=data.train_x,
            train_y=data.train_y,
            val_x=data.val_x[:n_val],
            val_y=data.val_y[:n_val],
            mean=data.mean,
            inv_std=data.inv_std,
        )
        self.amp = data.val_x.device.type == "cuda" and proxy.amp

    @property
    def images_per_score(self) -> int:
        return sum(int(x.shape[0]) for x in self.bn_inputs) + int(self.data.val_x.shape[0])

    def accuracy(self, arch: ArchSpec) -> float:
        """Validation accuracy of ``arch`` with inherited weights and recalibrated BN."""
        supernet = self.supernet
        previous = supernet.active
        supernet.set_active(self.proxy.train_arch(arch))
        try:
            with torch.autocast(self.data.val_x.device.type, dtype=torch.bfloat16, enabled=self.amp):
                recalibrate_bn(supernet, self.bn_inputs)
            return validate(
                supernet, self.data, self.proxy.eval_batch_size, self.amp, self.proxy.channels_last
            )
        finally:
            supernet.set_active(previous)


class SupernetEvaluator:
    """``evaluator(arch, on_epoch) -> ScoreResult`` for :class:`nas.search.objective.Objective`.

    ``on_epoch`` is not called: a score has no epochs to prune between.
    """

    def __init__(self, scorer: Scorer, device: str) -> None:
        self.scorer = scorer
        self.device = device

    def __call__(self, arch: ArchSpec, on_epoch: Any = None) -> ScoreResult:
        started = time.perf_counter()
        accuracy = self.scorer.accuracy(arch)
        wall = time.perf_counter() - started
        return ScoreResult(
            status="ok",
            accuracy=accuracy,
            curve=(accuracy,),
            epochs_run=0,
            wall_s=wall,
            images_per_s=self.scorer.images_per_score / wall if wall > 0 else 0.0,
            device=self.device,
        )


__all__ = ["DEFAULT_BN_BATCHES", "DEFAULT_SCORE_IMAGES", "ScoreResult", "Scorer", "SupernetEvaluator"]
