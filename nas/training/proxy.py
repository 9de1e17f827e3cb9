"""The proxy task: how each candidate is trained and judged during the search.

MnasNet (Tan et al. 2019, section 4) trained every sampled model for 5 epochs on a held-out part
of ImageNet's training set -- the proxy task -- and only the finally chosen models for real. A
proxy is useful when it is cheap and when it *ranks* candidates the way full training would; its
absolute accuracy matters less. :class:`ProxyConfig` is every knob of that task, frozen (it is
stored in each study's settings) and loadable from YAML (``--proxy FILE``).

Presets (``PRESETS``; a YAML file may start from one with ``base: gpu``):

- ``default`` -- CPU-friendly: 3 epochs over a 2,000-image training subset, validated on 1,000
  images, so a baseline search of ~20 candidates finishes in minutes on two cores.
- ``gpu`` -- the whole training split (55,000 Fashion-MNIST images), 5 epochs (MnasNet's proxy
  length), batch 512: a few seconds per candidate on one H100/H200 with the CUDA-graph trainer.
- ``long`` -- the whole training split for 10 epochs: the "long run" that
  ``benchmarks/bench_proxy_fidelity.py`` compares the short proxies against, and the recipe
  behind the quality goal (B0 >= 90% Fashion-MNIST test accuracy within 10 epochs).

All three share one recipe (resolution, optimiser, schedule, augmentation, stem adaptation); only
the amount of data and epochs differ, so their accuracies are comparable.

**Small-input adaptation (why ``stem_stride: 1``).** B0's body has total stride 32; at the
proxy resolution of 32 px its last stages run on a 1x1 map, and a plain SGD recipe tops out at
83-84% on Fashion-MNIST after 10 epochs (measured on an H200). Training with the stem at stride
1 -- the usual CIFAR adaptation of ImageNet networks -- leaves a 2x2 final map (4x the MACs of
the unmodified network at 32 px, about those of B0 at 64 px) and recovers the lost accuracy.
It changes the *trained* network only: every candidate gets the same change, so the ranking is
fair, and costs (MACs, params) are always computed on the unmodified architecture at the search
resolution. ``unstride_stages`` goes further (the first N stride-2 stages also run at stride 1,
4x MACs each) for data with fine detail; it is off by default.

**Making a few epochs count.** Measured on CPU with B0 on Fashion-MNIST (single runs, 1,000
validation images, so +-1.5 points of noise). On the ``default`` proxy (2,000 images, 3 epochs):
the builder's ImageNet initialisation (a 10-class classifier with uniform(+-1/sqrt(10)) weights)
starts at a loss of ~4.4 and B0 reached 20% validation accuracy; zero-initialising the
classifier and the last BN of every residual branch (``zero_init``) gave 60%, and 64% with
stochastic depth off (``drop_connect: 0``); re-estimating BN statistics before each validation
(``bn_recalibration_batches``) gave 72% and made the epoch-1/epoch-2 accuracies meaningful (50% /
69% instead of 11% / 15%) -- the pruner compares candidates on exactly those numbers. On the
whole training split for 2 epochs the same recipe gives 86.9% / 90.2% validation and 89.7% test
accuracy, where it gave 24% / 69% (test 70%) before these three changes; for 3 epochs it gives
87.4% / 89.9% / 91.5% validation and 91.6% test accuracy -- the >= 90% quality goal, on CPU.
None of them touch the architecture being ranked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from nas.seeds import MAX_SEED
from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError
from search_spaces.yaml_io import quote, read_yaml_file

OPTIMIZERS = ("sgd", "adamw", "rmsprop")
SCHEDULES = ("cosine", "linear", "constant")
#: Proxy resolutions beyond this are refused: a proxy is meant to be small.
MAX_PROXY_RESOLUTION = 1024
MAX_BATCH = 65536


@dataclass(frozen=True)
class ProxyConfig:
    """Every setting of the proxy task. Defaults are the CPU-friendly ``default`` preset."""

    #: Preset this config came from (informational; stored in study settings).
    name: str = "default"
    #: Passes over the training subset. 3 is what two CPU cores afford per candidate; so short a
    #: run separates clearly good from clearly bad candidates but ranks close ones poorly (see
    #: ``benchmarks/bench_proxy_fidelity.py``) -- use the ``gpu`` preset (MnasNet's 5 epochs on
    #: all the data) when a GPU is there.
    epochs: int = 3
    #: Images drawn (seeded, once, the same for every candidate) from the training split;
    #: ``None`` = all of it. 2,000 keeps one candidate at ~30 s on two CPU cores.
    train_subset: int | None = 2000
    #: Validation images the accuracy is measured on (the first ones of the seeded validation
    #: split). 1,000 gives a standard error of ~1 point at 85% accuracy: enough to rank.
    val_size: int = 1000
    #: Side of the square training input. 32 px: Fashion-MNIST's 28 px and CIFAR's 32 px need no
    #: upscaling beyond that, and it is the smallest size at which B0 (with the stem adaptation
    #: below) still has a spatial map in its last stage.
    resolution: int = 32
    #: Images per step. 128 on CPU (more steps per epoch converge faster in a short run; CPU
    #: throughput barely depends on batch size); the GPU preset uses 512 to fill the device.
    batch_size: int = 128
    #: ``sgd`` (with Nesterov momentum), ``adamw`` or ``rmsprop`` (the paper's TPU recipe).
    #: SGD + Nesterov + cosine is the plainest recipe that reaches the quality goal.
    optimizer: str = "sgd"
    #: Peak learning rate *per 256 images*; the trainer scales it linearly with ``batch_size``
    #: (Goyal et al. 2017) so changing the batch keeps the recipe. 0.2 with label smoothing
    #: and warm-up is stable for every B0-like candidate we tried and converges in few epochs.
    lr: float = 0.2
    #: Momentum (SGD/RMSprop) or beta1 (AdamW). 0.9 everywhere in the literature.
    momentum: float = 0.9
    #: Nesterov momentum for SGD: slightly faster early progress, which is what a proxy sees.
    nesterov: bool = True
    #: L2 weight decay on conv/linear weights (never BN or biases). 5e-5: short runs barely
    #: overfit; EfficientNet used 1e-5 for 350 epochs.
    weight_decay: float = 5e-5
    #: Label smoothing (Szegedy et al. 2016; EfficientNet used 0.1): steadier accuracy early on.
    label_smoothing: float = 0.1
    #: Linear warm-up from ~0 to the peak, in epochs (fractions allowed). Half an epoch keeps
    #: BN + SE networks from diverging at a high peak lr without wasting a short run.
    warmup_epochs: float = 0.5
    #: Decay after warm-up: ``cosine`` to zero (Loshchilov & Hutter 2017) -- ending at a low lr
    #: is what makes the final-epoch accuracy a stable ranking signal.
    schedule: str = "cosine"
    #: On-device augmentation: random crop after zero padding, horizontal flip. Cheap and fine
    #: for clothes, objects and most natural images; turn off for digits or text.
    augment: bool = True
    #: Padding (pixels at the proxy resolution) for the random crop: 4 at 32 px, the CIFAR norm.
    crop_padding: int = 4
    #: Random horizontal flips (when ``augment``).
    hflip: bool = True
    #: Stem stride of the trained network (see the module docstring); ``None`` keeps the arch's.
    stem_stride: int | None = 1
    #: How many of the first stride-2 stages also train at stride 1 (0 = none).
    unstride_stages: int = 0
    #: Override the arch's dropout before the classifier while training (``None`` = keep).
    dropout: float | None = None
    #: Override the arch's stochastic-depth rate while training. 0: a run of a few epochs is far
    #: from overfitting, and dropping residual branches (Huang et al. 2016, a regulariser for
    #: hundreds of epochs) only slows convergence -- B0 gained ~3 points on the CPU proxy without
    #: it. ``None`` keeps the architecture's rate.
    drop_connect: float | None = 0.0
    #: Start every residual block as the identity and the classifier at zero: the last BatchNorm
    #: of each residual branch gets gamma = 0 (Goyal et al. 2017) and the final linear layer zero
    #: weights. The builder's ImageNet init (uniform +-1/sqrt(classes)) gives 10-class logits a
    #: std of ~3 and an initial loss near 4.5; a deep network then spends a short proxy run
    #: recovering. Applied to every candidate alike, in the trained copy only.
    zero_init: bool = True
    #: Re-estimate BatchNorm statistics on this many training batches (no augmentation, no
    #: dropout) before every validation pass; 0 = use the running averages. Early in training
    #: the weights move faster than BN's running averages follow, so eval-mode accuracy after
    #: epoch 1 or 2 of a short run is near chance even when the network has learnt a lot; the
    #: pruner compares exactly those intermediate accuracies. Recalibration (as in one-shot NAS,
    #: e.g. Once-for-All) costs a few forward passes and makes every epoch's number meaningful.
    bn_recalibration_batches: int = 4
    #: Batch size for validation passes (no gradients: larger is fine).
    eval_batch_size: int = 1000
    #: Seed of the training subset, weight init, data order and augmentation.
    seed: int = 0
    #: bf16 autocast on CUDA (ignored on CPU, where it is slower without AMX).
    amp: bool = True
    #: channels_last memory format: faster convolutions on CUDA and on CPU (oneDNN).
    channels_last: bool = True
    #: Capture each training step as one CUDA graph (CUDA only). The proxy networks are tiny and
    #: launch-bound: replaying a graph removes ~1,000 kernel launches of Python overhead per step.
    cuda_graph: bool = True

    def __post_init__(self) -> None:
        _check_int(self.epochs, "epochs", 1, 10_000)
        if self.train_subset is not None:
            _check_int(self.train_subset, "train_subset", 1, 100_000_000)
        _check_int(self.val_size, "val_size", 1, 10_000_000)
        _check_int(self.resolution, "resolution", 8, MAX_PROXY_RESOLUTION)
        _check_int(self.batch_size, "batch_size", 1, MAX_BATCH)
        _check_int(self.eval_batch_size, "eval_batch_size", 1, MAX_BATCH)
        if self.optimizer not in OPTIMIZERS:
            raise UserError(
                f"proxy optimizer must be one of {', '.join(OPTIMIZERS)}, got {quote(self.optimizer)}"
            )
        if self.schedule not in SCHEDULES:
            raise UserError(
                f"proxy schedule must be one of {', '.join(SCHEDULES)}, got {quote(self.schedule)}"
            )
        _check_float(self.lr, "lr", 0.0, 1e9, low_open=True)
        _check_float(self.momentum, "momentum", 0.0, 1.0, high_open=True)
        _check_float(self.weight_decay, "weight_decay", 0.0, 1.0)
        _check_float(self.label_smoothing, "label_smoothing", 0.0, 1.0, high_open=True)
        _check_float(self.warmup_epochs, "warmup_epochs", 0.0, 10_000.0)
        _check_int(self.crop_padding, "crop_padding", 0, self.resolution)
        if self.stem_stride is not None and self.stem_stride not in (1, 2):
            raise UserError(f"proxy stem_stride must be 1, 2 or null, got {quote(self.stem_stride)}")
        _check_int(self.unstride_stages, "unstride_stages", 0, 64)
        _check_int(self.bn_recalibration_batches, "bn_recalibration_batches", 0, 10_000)
        for key in ("dropout", "drop_connect"):
            value = getattr(self, key)
            if value is not None:
                _check_float(value, key, 0.0, 1.0, high_open=True)
        _check_int(self.seed, "seed", 0, MAX_SEED)  # the one seed range (nas/seeds.py)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (YAML/JSON-safe) of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "proxy") -> ProxyConfig:
        """Build from a mapping, coercing YAML scalars (``1e-3`` arrives as a string) to field types.

        A ``base`` key names the preset to start from (default ``default``); unknown keys and
        values of the wrong type are a :class:`UserError` naming the key.
        """
        if not isinstance(data, Mapping):
            raise UserError(f"{source}: expected a mapping of proxy settings, got {type(data).__name__}")
        data = dict(data)
        base_name = data.pop("base", None)
        try:
            base = preset(str(base_name)) if base_name is not None else DEFAULT_PROXY
        except UserError as exc:
            raise UserError(f"{source}: {exc}") from None
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise UserError(f"{source}: unknown proxy setting(s) {', '.join(unknown)}")
        values = {key: _coerce(key, value, _KINDS[key], source) for key, value in data.items()}
        if base_name is not None and "name" not in values:
            values["name"] = str(base_name)
        try:
            return replace(base, **values)
        except UserError as exc:
            raise UserError(f"{source}: {exc}") from None

    def with_overrides(self, **changes: Any) -> ProxyConfig:
        """A copy with the given fields changed (``None`` values are ignored: CLI flags not given)."""
        changes = {key: value for key, value in changes.items() if value is not None}
        return replace(self, **changes) if changes else self

    def train_arch(self, arch: ArchSpec) -> ArchSpec:
        """The architecture actually trained: ``arch`` with the small-input adaptation applied.

        Only strides, dropout and stochastic depth change; channels, kernels, layers and the
        resolution (the cost model's input) stay, so this is never used for costing.
        """
        changes: dict[str, Any] = {}
        if self.stem_stride is not None:
            changes["stem_stride"] = self.stem_stride
        if self.dropout is not None:
            changes["dropout"] = self.dropout
        if self.drop_connect is not None:
            changes["drop_connect"] = self.drop_connect
        if self.unstride_stages:
            stages, left = [], self.unstride_stages
            for stage in arch.stages:
                if stage.stride == 2 and left > 0:
                    stage = replace(stage, stride=1)
                    left -= 1
                stages.append(stage)
            changes["stages"] = tuple(stages)
        return replace(arch, **changes) if changes else arch

    def scaled_lr(self) -> float:
        """Peak learning rate for ``batch_size``: ``lr * batch_size / 256``."""
        return self.lr * self.batch_size / 256.0


def _check_int(value: Any, key: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"proxy {key} must be an integer, got {quote(value)}")
    if not low <= value <= high:
        raise UserError(f"proxy {key} must be within {low}..{high}, got {value}")


def _check_float(
    value: Any, key: str, low: float, high: float, low_open: bool = False, high_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"proxy {key} must be a finite number, got {quote(value)}")
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        raise UserError(f"proxy {key} must be within {lo}{low}, {high}{hi}, got {value}")


#: Field -> kind for coercion: int, float, bool, str, and "int?" / "float?" for nullable ones.
_KINDS: dict[str, str] = {
    "name": "str",
    "epochs": "int",
    "train_subset": "int?",
    "val_size": "int",
    "resolution": "int",
    "batch_size": "int",
    "optimizer": "str",
    "lr": "float",
    "momentum": "float",
    "nesterov": "bool",
    "weight_decay": "float",
    "label_smoothing": "float",
    "warmup_epochs": "float",
    "schedule": "str",
    "augment": "bool",
    "crop_padding": "int",
    "hflip": "bool",
    "stem_stride": "int?",
    "unstride_stages": "int",
    "dropout": "float?",
    "drop_connect": "float?",
    "zero_init": "bool",
    "bn_recalibration_batches": "int",
    "eval_batch_size": "int",
    "seed": "int",
    "amp": "bool",
    "channels_last": "bool",
    "cuda_graph": "bool",
}


def _coerce(key: str, value: Any, kind: str, source: str) -> Any:
    where = f"{source}: {key}"
    nullable = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None or (isinstance(value, str) and value.strip().lower() in {"null", "none", "all"}):
        if nullable:
            return None
        raise UserError(f"{where} must not be empty")
    if kind == "str":
        if not isinstance(value, str):
            raise UserError(f"{where} must be a string, got {quote(value)}")
        return value.strip().lower() if key in {"optimizer", "schedule"} else value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "yes", "on", "false", "no", "off"}:
            return value.strip().lower() in {"true", "yes", "on"}
        raise UserError(f"{where} must be true or false, got {quote(value)}")
    if isinstance(value, (bool, list, dict)):
        raise UserError(f"{where} must be a number, got {quote(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
        raise UserError(f"{where} must be a number, got {quote(value)}") from None
    if kind == "int":
        if not math.isfinite(number) or number != int(number):
            raise UserError(f"{where} must be a whole number, got {quote(value)}")
        return int(number)
    return number


DEFAULT_PROXY = ProxyConfig()
GPU_PROXY = replace(
    DEFAULT_PROXY,
    name="gpu",
    epochs=5,
    train_subset=None,
    val_size=5000,
    batch_size=512,
    eval_batch_size=2500,
)
LONG_PROXY = replace(GPU_PROXY, name="long", epochs=10)
PRESETS: dict[str, ProxyConfig] = {"default": DEFAULT_PROXY, "gpu": GPU_PROXY, "long": LONG_PROXY}


def preset(name: str) -> ProxyConfig:
    """A named preset (``default``, ``gpu``, ``long``)."""
    try:
        return PRESETS[name.strip().lower()]
    except KeyError:
        raise UserError(f"unknown proxy preset {quote(name)}; expected one of {', '.join(PRESETS)}") from None


def load_proxy(path: str | Path | None) -> ProxyConfig:
    """A preset name, a YAML file (``safe_load``) of settings, or ``None`` for ``DEFAULT_PROXY``.

    The file holds a mapping of :class:`ProxyConfig` fields, optionally under a ``proxy:`` key,
    with ``base: <preset>`` to start from another preset. Every error names the file.
    """
    if path is None:
        return DEFAULT_PROXY
    text_path = str(path)
    if text_path.strip().lower() in PRESETS and not Path(text_path).exists():
        return preset(text_path)
    hint = f" (or use a preset: {', '.join(PRESETS)})"
    data = read_yaml_file(text_path, "proxy file", hint=hint)
    if data is None:
        data = {}
    if isinstance(data, Mapping) and isinstance(data.get("proxy"), Mapping) and len(data) == 1:
        data = data["proxy"]
    return ProxyConfig.from_dict(data, source=text_path)


def proxy_to_yaml(proxy: ProxyConfig) -> str:
    """YAML text of a config; :func:`load_proxy` reads it back to an equal config."""
    return yaml.safe_dump(proxy.to_dict(), sort_keys=False)


__all__ = [
    "DEFAULT_PROXY",
    "GPU_PROXY",
    "LONG_PROXY",
    "OPTIMIZERS",
    "PRESETS",
    "SCHEDULES",
    "ProxyConfig",
    "load_proxy",
    "preset",
    "proxy_to_yaml",
]
