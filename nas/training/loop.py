"""One candidate's training loop: set up, train epoch by epoch, validate, free what it used.

:func:`train_candidate` is the body of :func:`nas.training.trainer.evaluate` (see that module for
what the loop is built for); it fills a :class:`Record` as it goes, so whatever an exception
interrupts is still reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nas.data.augment import crop_flip, normalize
from nas.data.datasets import Splits
from nas.training.device_data import DeviceData, prepare
from nas.training.optim import ProxyOptimizer, lr_at
from nas.training.proxy import ProxyConfig
from nas.training.short_run import recalibrate_bn, zero_init_
from nas.training.stream import StreamSource, stream_source
from nas.training.train_step import GraphStep, Step
from search_spaces.arch import ArchSpec

#: How often (steps) the CUDA path syncs to check for a non-finite loss; the CPU checks every step.
CUDA_NAN_CHECK_EVERY = 25

#: ``on_epoch(epoch, accuracy)`` -> True to stop; ``progress(steps_done, steps_total)``.
OnEpoch = Callable[[int, float], bool | None]
Progress = Callable[[int, int], None]


@dataclass
class Record:
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


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class _Loop:
    """Everything one candidate's training loop uses, built by :func:`_setup`."""

    proxy: ProxyConfig
    dev: torch.device
    model: nn.Module
    opt: ProxyOptimizer
    stepper: Step
    dd: DeviceData
    stream: StreamSource | None
    n_train: int
    batch: int
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int
    peak: float
    generator: torch.Generator
    amp: bool


def train_candidate(
    arch: ArchSpec,
    data: Any,
    proxy: ProxyConfig,
    dev: torch.device,
    on_epoch: OnEpoch | None,
    seed: int,
    progress: Progress | None,
    record: Record,
    holder: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Train one candidate; returns (status, reason) and fills ``record`` epoch by epoch."""
    loop = _setup(arch, data, proxy, dev, seed, record, holder)
    try:
        loss_sum = torch.zeros((), dtype=torch.float32, device=dev)
        nonfinite = torch.zeros((), dtype=torch.bool, device=dev)
        step = 0
        for epoch in range(1, proxy.epochs + 1):
            loss_sum.zero_()
            _sync(dev)
            epoch_start = time.perf_counter()
            step, failed = _train_epoch(loop, epoch, step, loss_sum, nonfinite, progress)
            if failed:
                return "nan", failed
            _sync(dev)
            elapsed = time.perf_counter() - epoch_start
            record.train_s += elapsed
            record.images += loop.steps_per_epoch * loop.batch
            record.epoch_train_s.append(elapsed)
            if isinstance(loop.stepper, GraphStep) and loop.stepper.fallback:
                record.note = loop.stepper.fallback
            if bool(nonfinite.item()):
                return "nan", _nan_reason(epoch, loop.steps_per_epoch)
            record.losses.append(float(loss_sum.item()) / loop.steps_per_epoch)
            if proxy.bn_recalibration_batches:
                n_bn, cl = proxy.bn_recalibration_batches, proxy.channels_last
                recalibrate_bn(loop.model, loop.dd, n_bn, loop.batch, loop.generator, loop.amp, cl)
            accuracy = validate(loop.model, loop.dd, proxy.eval_batch_size, loop.amp, proxy.channels_last)
            record.curve.append(accuracy)
            if on_epoch is not None and on_epoch(epoch, accuracy):
                return "stopped", f"stopped by callback after epoch {epoch}"
        return "ok", ""
    finally:
        _finish(loop)


def _setup(
    arch: ArchSpec,
    data: Any,
    proxy: ProxyConfig,
    dev: torch.device,
    seed: int,
    record: Record,
    holder: dict[str, Any] | None,
) -> _Loop:
    """Device settings, data on the device, the model, optimiser and step for one candidate."""
    from search_spaces.builder import build_model

    cuda = dev.type == "cuda"
    if cuda:
        torch.cuda.set_device(dev)
        torch.backends.cudnn.benchmark = True
    amp = cuda and proxy.amp
    torch.manual_seed(seed)
    stream = stream_source(data, proxy, dev) if not isinstance(data, Splits) else None
    dd = stream.device_data if stream is not None else prepare(data, proxy, dev)
    n_train = stream.n_train if stream is not None else int(dd.train_y.shape[0])
    record.train_images, record.val_images = n_train, int(dd.val_y.shape[0])
    batch = min(proxy.batch_size, n_train)
    steps_per_epoch = n_train // batch
    total_steps = steps_per_epoch * proxy.epochs

    model = build_model(proxy.train_arch(arch), num_classes=data.num_classes, in_channels=data.in_channels)
    if proxy.zero_init:
        zero_init_(model)
    memory_format = torch.channels_last if proxy.channels_last else torch.contiguous_format
    # Module.to's stub overloads omit memory_format, which Module.to accepts (and documents)
    model = model.to(dev, memory_format=memory_format)  # type: ignore[call-overload]
    model.train()
    if holder is not None:
        holder.update(model=model, data=dd, amp=amp, channels_last=proxy.channels_last)
    opt = ProxyOptimizer(model, proxy.optimizer, proxy.momentum, proxy.nesterov, proxy.weight_decay)
    criterion = nn.CrossEntropyLoss(label_smoothing=proxy.label_smoothing)
    step_args = (model, opt, criterion, amp, dev.type)
    return _Loop(
        proxy=proxy,
        dev=dev,
        model=model,
        opt=opt,
        stepper=GraphStep(*step_args) if cuda and proxy.cuda_graph else Step(*step_args),
        dd=dd,
        stream=stream,
        n_train=n_train,
        batch=batch,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        warmup_steps=min(total_steps, round(proxy.warmup_epochs * steps_per_epoch)),
        peak=proxy.lr * batch / 256.0,
        generator=torch.Generator(device=dev).manual_seed(seed),
        amp=amp,
    )


def _train_epoch(
    loop: _Loop,
    epoch: int,
    step: int,
    loss_sum: torch.Tensor,
    nonfinite: torch.Tensor,
    progress: Progress | None,
) -> tuple[int, str]:
    """One epoch of training steps; returns the global step count and a NaN reason (or "")."""
    proxy, dd, batch = loop.proxy, loop.dd, loop.batch
    pad = proxy.crop_padding if proxy.augment else 0
    flip = proxy.augment and proxy.hflip
    check_every = CUDA_NAN_CHECK_EVERY if loop.dev.type == "cuda" else 1
    if loop.stream is not None:
        batches = loop.stream.train_batches(epoch, batch)
    else:
        perm = torch.randperm(loop.n_train, device=loop.dev, generator=loop.generator)
        batches = (
            (dd.train_x[idx], dd.train_y[idx]) for idx in perm[: loop.steps_per_epoch * batch].split(batch)
        )
    for i in range(loop.steps_per_epoch):
        x_u8, y = next(batches)
        x = normalize(crop_flip(x_u8, pad, flip, loop.generator), dd.mean, dd.inv_std, proxy.channels_last)
        loop.opt.lr.fill_(lr_at(step, loop.total_steps, loop.warmup_steps, loop.peak, proxy.schedule))
        loss = loop.stepper(x, y)
        loss_sum += loss.float()
        nonfinite |= ~torch.isfinite(loss)
        step += 1
        if progress is not None:
            progress(step, loop.total_steps)
        if (i + 1) % check_every == 0 and bool(nonfinite.item()):
            return step, _nan_reason(epoch, i + 1)
    return step, ""


def _finish(loop: _Loop) -> None:
    """Free what only this candidate used: its CUDA graph and pool, its decoder workers."""
    if isinstance(loop.stepper, GraphStep):
        loop.stepper.release()
    if loop.stream is not None:
        loop.stream.close()
    if loop.dev.type == "cuda":
        torch.cuda.empty_cache()  # the released pool's blocks go back to the driver now


def _nan_reason(epoch: int, step: int) -> str:
    return (
        f"nan loss: training loss became non-finite in epoch {epoch} (by step {step}); "
        "the learning rate is probably too high for this candidate"
    )
