"""Training a supernet on the proxy's data and recipe, one checkpoint per epoch, resumable.

:func:`train_supernet` trains by BigNAS's sandwich rule with in-place distillation
(:func:`nas.oneshot.sandwich.sandwich_step`): each step the teacher (the largest candidate), the
smallest and ``num_random`` random candidates. It reuses the proxy trainer's pieces so that a
supernet and a stand-alone candidate see the same task: the device-resident data
(:func:`nas.training.device_data.prepare`), the on-device crop/flip augmentation and
normalisation (:mod:`nas.data.augment`), the warm-up + cosine schedule (:func:`nas.training.optim.lr_at`),
label smoothing, weight decay on conv/linear weights only, and the small-input adaptation
(:meth:`ProxyConfig.train_arch`) applied to every candidate it activates. The update is
``torch.optim`` (SGD with Nesterov momentum, AdamW or RMSprop with the proxy's settings), which
skips weights no candidate of the step used; the proxy's own CUDA-graph optimiser assumes one
fixed network.

Every random choice of an epoch (data order, augmentation, sampled children) comes from
generators seeded with ``(seed, epoch)``, and the store (:mod:`nas.oneshot.store`) keeps weights
and optimiser state after each finished epoch, so training interrupted in any way (Ctrl-C,
SIGKILL, a power cut) resumes from the last finished epoch and ends where an uninterrupted run
would have.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from nas.data.augment import crop_flip, normalize
from nas.data.splits import Splits
from nas.oneshot.defaults import DEFAULT_SUPERNET_EPOCHS
from nas.oneshot.families import DEFAULT_LAYOUT, check_layout
from nas.oneshot.progressive import DEFAULT_SCHEDULE, PHASES, check_schedule, phase_at, phase_space
from nas.oneshot.sampling import largest_arch, sandwich_archs, smallest_arch
from nas.oneshot.sandwich import sandwich_step
from nas.oneshot.scoring import Scorer
from nas.oneshot.store import SupernetSettings, SupernetStore
from nas.oneshot.supernet import Supernet
from nas.training.device import describe_device, resolve_device
from nas.training.device_data import prepare
from nas.training.optim import lr_at
from nas.training.proxy import ProxyConfig
from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError
from search_spaces.space import SearchSpace

#: How far into training (a fraction of all steps) the children's distillation weight reaches
#: its final value. Measured on Fashion-MNIST, 45 steps at 32 px on 2 CPU cores, mnasnet space:
#: summed gradients with pure distillation from step 0 left the teacher's loss at 1.92 and the
#: children at chance (2.26-2.33), where averaged gradients with this ramp to 0.5 reached 1.62.
DISTILL_RAMP = 0.5


def distill_weight(step: int, total: int, final: float) -> float:
    """The children's weight on the teacher's soft outputs at ``step`` of ``total``.

    BigNAS distils every child from the largest from the first step, over hundreds of epochs. A
    proxy-sized run has a few dozen steps, during most of which the teacher's outputs are close to
    uniform; distilling from them pulls the shared head back to uniform predictions. So the
    children learn from the labels first and the weight rises linearly to ``final`` over the
    first :data:`DISTILL_RAMP` of training.
    """
    ramp = max(1.0, DISTILL_RAMP * total)
    return float(final) * min(1.0, step / ramp)


#: ``on_epoch(metrics)`` after each finished (and checkpointed) epoch; ``progress(done, total)``
#: after each step.
OnEpoch = Callable[[dict[str, Any]], None]
Progress = Callable[[int, int], None]


def supernet_settings(
    space: SearchSpace,
    dataset: str,
    data: Splits,
    proxy: ProxyConfig,
    *,
    epochs: int,
    train_subset: int | None,
    kernel_transform: bool = False,
    num_random: int = 2,
    teacher: str = "mbconv",
    layout: str = DEFAULT_LAYOUT,
    sampling: str = "stratified",
    batch_size: int | None = None,
    average_gradients: bool = True,
    schedule: str = DEFAULT_SCHEDULE,
) -> SupernetSettings:
    """The settings of a supernet for ``space`` on ``data`` trained with ``proxy``'s recipe.

    ``batch_size`` replaces the proxy's for the supernet (its peak learning rate scales with it,
    :meth:`ProxyConfig.scaled_lr`): more, smaller sandwich steps for the same images.
    """
    from nas.data.fingerprint import fingerprint

    recipe = proxy.with_overrides(epochs=epochs, batch_size=batch_size or proxy.batch_size).to_dict()
    recipe["train_subset"] = train_subset
    return SupernetSettings(
        space=space.name,
        space_hash=space.fingerprint(),
        dataset=dataset,
        data_fingerprint=fingerprint(dataset, data),
        proxy=recipe,
        epochs=int(epochs),
        train_subset=train_subset,
        seed=int(proxy.seed),
        num_classes=int(data.num_classes),
        in_channels=int(data.in_channels),
        kernel_transform=bool(kernel_transform),
        num_random=int(num_random),
        teacher=str(teacher),
        layout=check_layout(str(layout)),
        sampling=str(sampling),
        average_gradients=bool(average_gradients),
        schedule=check_schedule(str(schedule)),
    )


def recipe_of(settings: SupernetSettings) -> ProxyConfig:
    """The proxy recipe a supernet trains with (its epochs and subset are the supernet's)."""
    return ProxyConfig(**settings.proxy)


@dataclass
class TrainedSupernet:
    """A supernet after :func:`train_supernet`: its weights, history and where it started."""

    supernet: Supernet
    settings: SupernetSettings
    history: list[dict[str, Any]]
    #: Epochs already done when this call started (0: trained from scratch; == epochs: reused).
    resumed_from: int
    wall_s: float
    device: str

    @property
    def reused(self) -> bool:
        return self.resumed_from >= self.settings.epochs


def _optimizer(supernet: Supernet, proxy: ProxyConfig) -> torch.optim.Optimizer:
    decay = [p for p in supernet.parameters() if p.ndim > 1]
    rest = [p for p in supernet.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": proxy.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if proxy.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=proxy.lr, betas=(proxy.momentum, 0.999))
    if proxy.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=proxy.lr, alpha=0.9, eps=1e-3, momentum=proxy.momentum)
    return torch.optim.SGD(groups, lr=proxy.lr, momentum=proxy.momentum, nesterov=proxy.nesterov)


def _teacher(supernet: Supernet, settings: SupernetSettings) -> Any:
    if settings.teacher == "max":
        return supernet.largest
    return largest_arch(supernet.space, settings.num_classes, settings.in_channels, op=settings.teacher)


def _generators(seed: int, epoch: int, dev: torch.device) -> tuple[torch.Generator, random.Random]:
    mixed = int(seed) * 1_000_003 + int(epoch)
    return torch.Generator(device=dev).manual_seed(mixed), random.Random(mixed)


def _restore(supernet: Supernet, opt: Any, store: SupernetStore) -> tuple[int, list[dict[str, Any]]]:
    checkpoint = store.load_checkpoint()
    if checkpoint is None:
        return 0, []
    supernet.load_state_dict(checkpoint["supernet"])
    opt.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["epoch"]), list(checkpoint.get("history", []))


def train_supernet(
    space: SearchSpace,
    data: Splits,
    settings: SupernetSettings,
    store: SupernetStore,
    *,
    device: str | torch.device = "auto",
    on_epoch: OnEpoch | None = None,
    progress: Progress | None = None,
) -> TrainedSupernet:
    """Train (or resume, or reuse) the supernet ``settings`` describe, checkpointing each epoch.

    A store holding a supernet with other settings is refused (UserError naming the differences)
    before anything is trained.
    """
    started = time.perf_counter()
    dev = resolve_device(device)
    found = store.check(settings)
    proxy = recipe_of(settings)
    supernet = Supernet(
        space, settings.num_classes, settings.in_channels, settings.kernel_transform, settings.layout
    )
    # The proxy's classifier at zero: a 10-class init loss of ln 10, not ~4.5. Its other half,
    # residual branches starting at zero, is left out: a block is residual for some candidates
    # only, and a candidate without the skip then computes zeros and never learns (measured:
    # such a child stayed at loss ln 10 for 60 steps where it reached 47% without it).
    if proxy.zero_init:
        torch.nn.init.zeros_(supernet.classifier.weight)
    memory_format = torch.channels_last if proxy.channels_last else torch.contiguous_format
    # Module.to's stub overloads omit memory_format, which Module.to accepts (and documents)
    supernet = supernet.to(dev, memory_format=memory_format)  # type: ignore[call-overload]
    opt = _optimizer(supernet, proxy)
    done, history = _restore(supernet, opt, store) if found is not None else (0, [])
    if found is None:
        store.write_settings(settings, 0, [])
    loop = _Loop(supernet, opt, settings, proxy, data, dev)
    for epoch in range(done + 1, settings.epochs + 1):
        metrics = loop.epoch(epoch, progress)
        history.append(metrics)
        state = {k: v.detach().to("cpu") for k, v in supernet.state_dict().items()}
        store.save_checkpoint(
            {"supernet": state, "optimizer": opt.state_dict(), "epoch": epoch, "history": history}
        )
        store.write_settings(settings, epoch, history)
        if on_epoch is not None:
            on_epoch(metrics)
    supernet.eval()
    wall = time.perf_counter() - started
    return TrainedSupernet(supernet, settings, history, done, wall, describe_device(dev))


class _Loop:
    """One supernet's training steps (per epoch) and its per-epoch largest/smallest metrics."""

    def __init__(
        self,
        supernet: Supernet,
        opt: Any,
        settings: SupernetSettings,
        proxy: ProxyConfig,
        data: Splits,
        dev: Any,
    ) -> None:
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
            torch.backends.cudnn.benchmark = True
        self.supernet, self.opt, self.settings, self.proxy, self.dev = supernet, opt, settings, proxy, dev
        self.dd = prepare(data, proxy, dev)
        self.n_train = int(self.dd.train_y.shape[0])
        self.batch = min(proxy.batch_size, self.n_train)
        self.steps = self.n_train // self.batch
        self.total = self.steps * settings.epochs
        self.warmup = min(self.total, round(proxy.warmup_epochs * self.steps))
        self.peak = proxy.scaled_lr() * self.batch / proxy.batch_size
        self.amp = dev.type == "cuda" and proxy.amp
        #: Raw candidates (the scorer adapts them) and as trained (small-input adaptation applied).
        self.raw_teacher, self.raw_smallest = _teacher(supernet, settings), supernet.smallest
        self.teacher = proxy.train_arch(self.raw_teacher)
        self.smallest = proxy.train_arch(self.raw_smallest)
        self.scorer = Scorer(supernet, self.dd, proxy, seed=settings.seed)
        #: Per progressive phase: None (the teacher alone) or (sub-space, its smallest as trained);
        #: empty for the plain sandwich.
        self.phases = self._phases() if settings.schedule == "progressive" else []

    def _phases(self) -> list[tuple[SearchSpace, ArchSpec] | None]:
        out: list[tuple[SearchSpace, ArchSpec] | None] = []
        for phase in PHASES:
            sub = phase_space(self.supernet.space, self.raw_teacher, phase.free)
            if sub is None:
                out.append(None)
            else:
                small = smallest_arch(sub, self.settings.num_classes, self.settings.in_channels)
                out.append((sub, self.proxy.train_arch(small)))
        return out

    def _candidates(self, step: int, rng: random.Random) -> tuple[Any, ...]:
        """The step's candidates, as trained: the teacher first (alone early in progressive shrinking)."""
        space, smallest = self.supernet.space, self.smallest
        if self.settings.schedule == "progressive":
            phase = self.phases[phase_at(step, self.total)]
            if phase is None:
                return (self.teacher,)
            space, smallest = phase
        children = sandwich_archs(
            space,
            rng,
            self.settings.num_random,
            self.teacher,
            smallest,
            self.settings.sampling,
            self.settings.layout,
        )
        return (self.teacher, smallest, *(self.proxy.train_arch(a) for a in children[2:]))

    def _loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.float(), labels, label_smoothing=self.proxy.label_smoothing)

    def epoch(self, epoch: int, progress: Progress | None) -> dict[str, Any]:
        proxy, dd, batch = self.proxy, self.dd, self.batch
        generator, rng = _generators(self.settings.seed, epoch, self.dev)
        pad = proxy.crop_padding if proxy.augment else 0
        flip = proxy.augment and proxy.hflip
        perm = torch.randperm(self.n_train, device=self.dev, generator=generator)
        sums = [0.0, 0.0, 0.0, 0.0]
        smallest_steps = 0
        started = time.perf_counter()
        for i, idx in enumerate(perm[: self.steps * batch].split(batch)):
            x = normalize(
                crop_flip(dd.train_x[idx], pad, flip, generator), dd.mean, dd.inv_std, proxy.channels_last
            )
            step = (epoch - 1) * self.steps + i
            for group in self.opt.param_groups:
                group["lr"] = lr_at(step, self.total, self.warmup, self.peak, proxy.schedule)
            archs = self._candidates(step, rng)
            with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.amp):
                result = sandwich_step(
                    self.supernet,
                    self.opt,
                    x,
                    dd.train_y[idx],
                    archs,
                    label_loss=self._loss,
                    distill=distill_weight(step, self.total, self.settings.distill),
                    average=self.settings.average_gradients,
                )
            if not all(map(_finite, result.losses)):
                raise UserError(
                    f"supernet training diverged (non-finite loss in epoch {epoch}, step {i + 1}); "
                    "lower the proxy's lr"
                )
            sums[0] += result.losses[0]
            sums[2] += result.accuracies[0]
            if len(archs) > 1:
                sums[1] += result.losses[1]
                sums[3] += result.accuracies[1]
                smallest_steps += 1
            if progress is not None:
                progress(step + 1, self.total)
        train_s = time.perf_counter() - started
        largest_val = self.scorer.accuracy(self.raw_teacher)
        smallest_val = self.scorer.accuracy(self.raw_smallest)
        n, m = max(1, self.steps), smallest_steps or float("nan")
        return {
            "epoch": epoch,
            "largest_loss": sums[0] / n,
            "smallest_loss": sums[1] / m,
            "largest_train_acc": sums[2] / n,
            "smallest_train_acc": sums[3] / m,
            "largest_val_acc": largest_val,
            "smallest_val_acc": smallest_val,
            "lr": self.opt.param_groups[0]["lr"],
            "train_s": train_s,
        }


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


__all__ = [
    "DEFAULT_SUPERNET_EPOCHS",
    "DISTILL_RAMP",
    "OnEpoch",
    "Progress",
    "TrainedSupernet",
    "distill_weight",
    "recipe_of",
    "supernet_settings",
    "train_supernet",
]
