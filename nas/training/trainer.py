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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from nas.data.augment import crop_flip, normalize, resize_images
from nas.data.datasets import Splits
from nas.training.device import describe_device, resolve_device
from nas.training.device_data import DeviceData, clear_cache, prepare
from nas.training.optim import ProxyOptimizer, lr_at
from nas.training.proxy import DEFAULT_PROXY, ProxyConfig
from nas.training.short_run import recalibrate_bn, zero_init_
from nas.training.stream import stream_source
from nas.training.train_step import GraphStep, Step, is_oom
from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError

STATUSES = ("ok", "stopped", "nan", "oom")
#: How often (steps) the CUDA path syncs to check for a non-finite loss; the CPU checks every step.
CUDA_NAN_CHECK_EVERY = 25


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


OnEpoch = Callable[[int, float], bool | None]
Progress = Callable[[int, int], None]


# ----------------------------------------------------------------------------------------------
# Evaluate
# ----------------------------------------------------------------------------------------------


@dataclass
class _Record:
    """What a run has produced so far (survives an exception)."""

    curve: list[float]
    losses: list[float]
    epoch_train_s: list[float]
    images: int = 0
    train_s: float = 0.0
    note: str = ""
    train_images: int = 0
    val_images: int = 0


@torch.no_grad()
def validate(model: nn.Module, data: DeviceData, batch_size: int, amp: bool, channels_last: bool) -> float:
    """Top-1 accuracy of ``model`` on the device-resident validation images."""
    model.eval()
    device_type = data.val_x.device.type
    correct = torch.zeros((), dtype=torch.int64, device=data.val_x.device)
    for start in range(0, data.val_x.shape[0], batch_size):
        x = normalize(data.val_x[start : start + batch_size], data.mean, data.inv_std, channels_last)
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=amp, cache_enabled=False):
            logits = model(x)
        correct += (logits.argmax(dim=1) == data.val_y[start : start + batch_size]).sum()
    model.train()
    return int(correct.item()) / int(data.val_x.shape[0])


def evaluate(
    arch: ArchSpec,
    data: Any,
    proxy: ProxyConfig = DEFAULT_PROXY,
    device: str | torch.device = "auto",
    on_epoch: OnEpoch | None = None,
    seed: int | None = None,
    *,
    progress: Progress | None = None,
) -> EvalResult:
    """Train ``arch`` on ``data`` (a :class:`Splits` or a streamed ImageFolder) with ``proxy``.

    ``seed`` (default ``proxy.seed``) drives weight init, data order and augmentation; the
    training subset always comes from ``proxy.seed`` so every candidate sees the same images.
    ``progress(steps_done, steps_total)`` is called after every step (for progress bars).
    User mistakes (unknown device, an architecture that cannot be built) raise UserError;
    NaN and OOM are results, not exceptions.
    """
    return _run(arch, data, proxy, device, on_epoch, seed, progress, None)


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
    record = _Record(curve=[], losses=[], epoch_train_s=[])
    device_name = describe_device(dev)
    failure = ""
    try:
        status, reason = _train(arch, data, proxy, dev, on_epoch, seed, progress, record, holder)
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
) -> tuple[EvalResult, float | None]:
    """:func:`evaluate`, then the trained network's accuracy on the *test* split.

    For final reports and benchmarks only -- a search must never look at test accuracy. The
    test images get the same resize and normalisation (statistics of the training subset).
    """
    if not isinstance(data, Splits):
        raise UserError("test accuracy needs an in-memory dataset (streamed trees have no test pass)")
    holder: dict[str, Any] = {}
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
    holder.clear()
    return result, accuracy


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _train(
    arch: ArchSpec,
    data: Any,
    proxy: ProxyConfig,
    dev: torch.device,
    on_epoch: OnEpoch | None,
    seed: int,
    progress: Progress | None,
    record: _Record,
    holder: dict[str, Any] | None = None,
) -> tuple[str, str]:
    from search_spaces.builder import build_model

    cuda = dev.type == "cuda"
    if cuda:
        torch.cuda.set_device(dev)
        torch.backends.cudnn.benchmark = True
    amp = cuda and proxy.amp
    channels_last = proxy.channels_last
    torch.manual_seed(seed)

    stream = stream_source(data, proxy, dev) if not isinstance(data, Splits) else None
    dd = stream.device_data if stream is not None else prepare(data, proxy, dev)
    n_train = stream.n_train if stream is not None else int(dd.train_y.shape[0])
    record.train_images, record.val_images = n_train, int(dd.val_y.shape[0])
    batch = min(proxy.batch_size, n_train)
    steps_per_epoch = n_train // batch
    total_steps = steps_per_epoch * proxy.epochs
    warmup_steps = min(total_steps, round(proxy.warmup_epochs * steps_per_epoch))
    peak = proxy.lr * batch / 256.0

    model = build_model(proxy.train_arch(arch), num_classes=data.num_classes, in_channels=data.in_channels)
    if proxy.zero_init:
        zero_init_(model)
    model = model.to(dev, memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    model.train()
    if holder is not None:
        holder.update(model=model, data=dd, amp=amp, channels_last=channels_last)
    opt = ProxyOptimizer(model, proxy.optimizer, proxy.momentum, proxy.nesterov, proxy.weight_decay)
    criterion = nn.CrossEntropyLoss(label_smoothing=proxy.label_smoothing)
    step_args = (model, opt, criterion, amp, dev.type)
    stepper: Step = GraphStep(*step_args) if cuda and proxy.cuda_graph else Step(*step_args)
    generator = torch.Generator(device=dev).manual_seed(seed)
    loss_sum = torch.zeros((), dtype=torch.float32, device=dev)
    nonfinite = torch.zeros((), dtype=torch.bool, device=dev)
    pad = proxy.crop_padding if proxy.augment else 0
    flip = proxy.augment and proxy.hflip
    check_every = CUDA_NAN_CHECK_EVERY if cuda else 1

    step = 0
    for epoch in range(1, proxy.epochs + 1):
        loss_sum.zero_()
        _sync(dev)
        epoch_start = time.perf_counter()
        batches = stream.train_batches(epoch, batch) if stream is not None else None
        perm = torch.randperm(n_train, device=dev, generator=generator) if stream is None else None
        for i in range(steps_per_epoch):
            if stream is not None:
                x_u8, y = next(batches)  # type: ignore[arg-type]
            else:
                idx = perm[i * batch : (i + 1) * batch]  # type: ignore[index]
                x_u8, y = dd.train_x[idx], dd.train_y[idx]
            x = normalize(crop_flip(x_u8, pad, flip, generator), dd.mean, dd.inv_std, channels_last)
            opt.lr.fill_(lr_at(step, total_steps, warmup_steps, peak, proxy.schedule))
            loss = stepper(x, y)
            loss_sum += loss.float()
            nonfinite |= ~torch.isfinite(loss)
            step += 1
            if progress is not None:
                progress(step, total_steps)
            if (i + 1) % check_every == 0 and bool(nonfinite.item()):
                return "nan", _nan_reason(epoch, i + 1)
        _sync(dev)
        elapsed = time.perf_counter() - epoch_start
        record.train_s += elapsed
        record.images += steps_per_epoch * batch
        record.epoch_train_s.append(elapsed)
        if isinstance(stepper, GraphStep) and stepper.fallback:
            record.note = stepper.fallback
        if bool(nonfinite.item()):
            return "nan", _nan_reason(epoch, steps_per_epoch)
        mean_loss = float(loss_sum.item()) / steps_per_epoch
        record.losses.append(mean_loss)
        if proxy.bn_recalibration_batches:
            recalibrate_bn(model, dd, proxy.bn_recalibration_batches, batch, generator, amp, channels_last)
        accuracy = validate(model, dd, proxy.eval_batch_size, amp, channels_last)
        record.curve.append(accuracy)
        if on_epoch is not None and on_epoch(epoch, accuracy):
            return "stopped", f"stopped by callback after epoch {epoch}"
    return "ok", ""


def _nan_reason(epoch: int, step: int) -> str:
    return (
        f"nan loss: training loss became non-finite in epoch {epoch} (by step {step}); "
        "the learning rate is probably too high for this candidate"
    )


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
