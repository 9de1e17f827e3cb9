"""The proxy trainer: train one candidate on the proxy task, report validation accuracy per epoch.

``evaluate(arch, data, proxy)`` builds the candidate (with the proxy's small-input adaptation,
:meth:`nas.training.proxy.ProxyConfig.train_arch`), trains it and returns an :class:`EvalResult`. It is
the inner loop of the search, so it is built for speed and for never taking the search down:

- **Data on the device.** The training subset and the validation images are resized to the proxy
  resolution once and kept as uint8 tensors on the training device (cached across candidates);
  a step indexes a batch, augments it with one gather (:mod:`nas.data.augment`) and normalises it --
  no DataLoader, no per-sample Python. Only large ImageFolder trees are streamed through a
  DataLoader with decoder workers.
- **CUDA.** bf16 autocast, channels_last, cuDNN autotuning, and the whole training step (forward,
  backward, optimiser) captured once as a CUDA graph and replayed: proxy networks are tiny and
  launch-bound, so replay removes most of a step's cost. The optimiser keeps its learning rate
  in a device tensor (:mod:`nas.training.optim`) so the schedule still applies inside the graph.
- **Failure is a result.** A non-finite loss ends the candidate with status ``nan``; running out
  of memory (CUDA or host) with status ``oom``; both carry a reason and the caller moves on.
- **Early stopping.** ``on_epoch(epoch, accuracy)`` is called after every epoch (1-based) and
  returns True to stop (status ``stopped``): this is where Optuna's pruners plug in.
- **Determinism.** On CPU a fixed seed gives bit-identical accuracy: weight init, data order,
  subset and augmentation all come from seeded generators. (cuDNN autotuning and atomics make
  CUDA runs close but not bit-identical.)

``accuracy`` is the last epoch's validation accuracy (what MnasNet's reward used), in [0, 1].
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch

from nas.data.augment import resize_images
from nas.data.datasets import Splits
from nas.training.device import describe_device, resolve_device
from nas.training.device_data import DeviceData, clear_cache
from nas.training.loop import OnEpoch, Progress, Record, train_candidate, validate
from nas.training.proxy import DEFAULT_PROXY, ProxyConfig
from nas.training.train_step import is_oom
from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError

STATUSES = ("ok", "stopped", "nan", "oom")


@dataclass(frozen=True)
class EvalResult:
    """Outcome of training one candidate on the proxy task.

    ``status``: ``ok`` (trained all epochs), ``stopped`` (``on_epoch`` asked to stop), ``nan``
    (non-finite loss), ``oom`` (out of memory). ``accuracy`` is the last validation accuracy in
    [0, 1] (``None`` for nan/oom); ``curve`` the validation accuracy after each epoch;
    ``wall_s`` the whole call (build, data preparation, training, validation);
    ``images_per_s`` training images per second of training-step time.
    """

    status: str
    accuracy: float | None
    curve: tuple[float, ...]
    epochs_run: int
    wall_s: float
    images_per_s: float
    device: str
    reason: str = ""
    #: Mean training loss per completed epoch.
    losses: tuple[float, ...] = ()
    #: Seconds of training steps per completed epoch (the first includes CUDA-graph capture).
    epoch_train_s: tuple[float, ...] = ()
    #: Training images used (the proxy's subset, capped by the dataset) and validation images.
    train_images: int = 0
    val_images: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["curve"] = list(self.curve)
        data["losses"] = list(self.losses)
        data["epoch_train_s"] = list(self.epoch_train_s)
        return data


# ----------------------------------------------------------------------------------------------
# Evaluate
# ----------------------------------------------------------------------------------------------


def evaluate(
    arch: ArchSpec,
    data: Any,
    proxy: ProxyConfig = DEFAULT_PROXY,
    device: str | torch.device = "auto",
    on_epoch: OnEpoch | None = None,
    seed: int | None = None,
    *,
    progress: Progress | None = None,
    keep: dict[str, Any] | None = None,
) -> EvalResult:
    """Train ``arch`` on ``data`` (a :class:`Splits` or a streamed ImageFolder) with ``proxy``.

    ``seed`` (default ``proxy.seed``) drives weight init, data order and augmentation; the
    training subset always comes from ``proxy.seed`` so every candidate sees the same images.
    ``progress(steps_done, steps_total)`` is called after every step (for progress bars).
    ``keep``, a dict, receives the trained network (``model``) and its device data (``data``,
    with the input normalisation ``mean``/``inv_std``) so a caller can save the weights
    (:mod:`nas.training.checkpoint`); the search leaves it out and nothing is held.
    User mistakes (unknown device, an architecture that cannot be built) raise UserError;
    NaN and OOM are results, not exceptions.
    """
    return _run(arch, data, proxy, device, on_epoch, seed, progress, keep)


def _run(
    arch: ArchSpec,
    data: Any,
    proxy: ProxyConfig,
    device: str | torch.device,
    on_epoch: OnEpoch | None,
    seed: int | None,
    progress: Progress | None,
    holder: dict[str, Any] | None,
) -> EvalResult:
    dev = resolve_device(device)
    seed = proxy.seed if seed is None else int(seed)
    started = time.perf_counter()
    record = Record(curve=[], losses=[], epoch_train_s=[])
    device_name = describe_device(dev)
    failure = ""
    try:
        status, reason = train_candidate(arch, data, proxy, dev, on_epoch, seed, progress, record, holder)
    except Exception as exc:
        if not is_oom(exc):
            raise
        failure = f"out of memory: {str(exc).splitlines()[0][:300]}"
    if failure:
        gc.collect()
        if dev.type == "cuda":
            torch.cuda.empty_cache()
        status, reason = "oom", failure
    wall = time.perf_counter() - started
    accuracy = record.curve[-1] if record.curve and status in ("ok", "stopped") else None
    if record.note:
        reason = f"{reason}; {record.note}" if reason else record.note
    return EvalResult(
        status=status,
        accuracy=accuracy,
        curve=tuple(record.curve),
        epochs_run=len(record.curve),
        wall_s=wall,
        images_per_s=record.images / record.train_s if record.train_s > 0 else 0.0,
        device=device_name,
        reason=reason,
        losses=tuple(record.losses),
        epoch_train_s=tuple(record.epoch_train_s),
        train_images=record.train_images,
        val_images=record.val_images,
    )


def train_and_test(
    arch: ArchSpec,
    data: Splits,
    proxy: ProxyConfig = DEFAULT_PROXY,
    device: str | torch.device = "auto",
    seed: int | None = None,
    *,
    on_epoch: OnEpoch | None = None,
    progress: Progress | None = None,
    keep: dict[str, Any] | None = None,
) -> tuple[EvalResult, float | None]:
    """:func:`evaluate`, then the trained network's accuracy on the *test* split.

    For final reports and benchmarks only -- a search must never look at test accuracy. The
    test images get the same resize and normalisation (statistics of the training subset).
    """
    if not isinstance(data, Splits):
        raise UserError("test accuracy needs an in-memory dataset (streamed trees have no test pass)")
    holder: dict[str, Any] = {} if keep is None else keep
    result = _run(arch, data, proxy, device, on_epoch, seed, progress, holder)
    if result.status not in ("ok", "stopped") or "model" not in holder:
        return result, None
    dd: DeviceData = holder["data"]
    dev = dd.val_x.device
    test = DeviceData(
        train_x=dd.train_x,
        train_y=dd.train_y,
        val_x=resize_images(data.test_x.to(dev), proxy.resolution),
        val_y=data.test_y.to(dev),
        mean=dd.mean,
        inv_std=dd.inv_std,
    )
    accuracy = validate(holder["model"], test, proxy.eval_batch_size, holder["amp"], holder["channels_last"])
    if keep is None:
        holder.clear()
    return result, accuracy


def nan_safe(value: float | None) -> float | None:
    """``None`` for NaN/inf (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else value


__all__ = [
    "STATUSES",
    "EvalResult",
    "clear_cache",
    "evaluate",
    "nan_safe",
    "resolve_device",
    "train_and_test",
    "validate",
]
