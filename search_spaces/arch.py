"""Architectures as data: frozen, hashable specs of a stage and of a whole network.

An :class:`ArchSpec` is the single currency between modules: the sampler produces one, the cost
model and the builder consume one, the scaler maps one to another, and it is the cache key for
duplicate candidates (hence frozen dataclasses and tuples only). The fields follow the
EfficientNet paper's Table 1 (stage = operator, kernel, stride, channels, layers) plus the MnasNet
per-stage choices (expansion, squeeze-and-excite ratio, skip op), and the few fields the seed
networks EfficientNet's Table 3 scales need besides (activation, the ResNet bottleneck with its
projection shortcut, MobileNetV1's plain separable conv, a stem max-pool, no head conv): see
:mod:`search_spaces.references`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypedDict, Unpack

from search_spaces.errors import SpecError

#: Operators. The first three are the MnasNet factorized space's (MnasNet section 4.1): mobile
#: inverted bottleneck, depthwise-separable conv (linear pointwise) and a regular kxk conv. The
#: last two exist for the seed networks of EfficientNet's Table 3: ``sepconv`` is MobileNetV1's
#: depthwise-separable conv (Howard et al. 2017, Fig. 3: BN + activation after *both* convs) and
#: ``bottleneck`` ResNet-50's 1x1 -> kxk -> 1x1 block (He et al. 2016, Fig. 5; width = out /
#: expansion, stride on the kxk conv as torchvision's "v1.5"; activation after the addition).
OPS: tuple[str, ...] = ("mbconv", "dsconv", "conv", "sepconv", "bottleneck")
#: Ops whose ``expansion`` is meaningful: MBConv widens its input by it, the bottleneck narrows its
#: output by it (ResNet's ``expansion = 4``).
EXPANDING_OPS: tuple[str, ...] = ("mbconv", "bottleneck")
#: Activations (EfficientNet: SiLU/swish; MobileNetV2: ReLU6; MobileNetV1, ResNet, MnasNet: ReLU).
#: SiLU is the default, so every file written before this field existed keeps its meaning.
ACTIVATIONS: tuple[str, ...] = ("silu", "relu", "relu6")
#: What a stage's skip path is when ``skip`` is on (MnasNet Fig. 4's SkipOp, plus ResNet's):
#: ``identity`` only where stride 1 and in == out; ``pooling`` on every block, parameter-free
#: (average-pool by the stride, channels zero-padded or cut to the output: ResNet's option A,
#: He et al. 2016 section 3.3); ``projection`` on every block, a 1x1 conv + BN where the shape
#: changes and the identity elsewhere (ResNet's option B).
SHORTCUTS: tuple[str, ...] = ("identity", "pooling", "projection")
#: The skip op names a search space offers: a shortcut, or ``none``.
SKIP_OPS: tuple[str, ...] = (*SHORTCUTS, "none")
KERNELS: tuple[int, ...] = (3, 5, 7)
STRIDES: tuple[int, ...] = (1, 2)
EXPANSIONS: tuple[int, ...] = (1, 2, 3, 4, 6)

#: Upper bounds that keep a spec buildable on one machine; anything larger is refused as absurd.
MAX_CHANNELS = 16384
MAX_LAYERS = 64
MAX_RESOLUTION = 4096


@dataclass(frozen=True)
class StageSpec:
    """One stage: ``layers`` identical blocks; only the first uses ``stride``.

    ``expansion`` is meaningful for ``mbconv`` and ``bottleneck`` only (the others keep it at 1).
    ``se_ratio`` sizes the squeeze-and-excite bottleneck as ``max(1, int(block_in * se_ratio))``
    (0 disables SE). ``skip`` asks for a skip path and ``shortcut`` says which (see
    :data:`SHORTCUTS`; the identity is only applied to blocks with stride 1 and equal input/output
    channels). Without a skip ``shortcut`` stays ``identity``, so one network has one spec.
    ``activation`` is that of every conv in the stage's blocks (and of their SE).
    """

    op: str
    kernel: int
    stride: int
    expansion: int
    se_ratio: float
    skip: bool
    out_channels: int
    layers: int
    activation: str = "silu"
    shortcut: str = "identity"

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise SpecError(f"unknown op {self.op!r}; expected one of {', '.join(OPS)}")
        if self.kernel not in KERNELS:
            raise SpecError(f"kernel {self.kernel} is not supported; expected one of {KERNELS}")
        if self.stride not in STRIDES:
            raise SpecError(f"stride {self.stride} is not supported; expected one of {STRIDES}")
        if self.expansion not in EXPANSIONS:
            raise SpecError(f"expansion {self.expansion} is not supported; expected one of {EXPANSIONS}")
        if self.op not in EXPANDING_OPS and self.expansion != 1:
            raise SpecError(f"op {self.op} has no expansion (got {self.expansion}); use 1")
        if not (0.0 <= self.se_ratio <= 1.0) or math.isnan(self.se_ratio):
            raise SpecError(f"se_ratio must be within [0, 1], got {self.se_ratio}")
        if not (1 <= self.out_channels <= MAX_CHANNELS):
            raise SpecError(f"out_channels must be within 1..{MAX_CHANNELS}, got {self.out_channels}")
        if not (1 <= self.layers <= MAX_LAYERS):
            raise SpecError(f"layers must be within 1..{MAX_LAYERS}, got {self.layers}")
        check_activation(self.activation)
        if self.shortcut not in SHORTCUTS:
            raise SpecError(f"unknown shortcut {self.shortcut!r}; expected one of {', '.join(SHORTCUTS)}")
        if not self.skip and self.shortcut != "identity":
            raise SpecError(f"shortcut {self.shortcut!r} needs skip on (without a skip leave it identity)")

    @property
    def skip_op(self) -> str:
        """The skip op as MnasNet names it: the shortcut when ``skip`` is on, else ``none``."""
        return self.shortcut if self.skip else "none"


def check_activation(name: str) -> None:
    """Refuse an activation the builder does not know (one line naming the choices)."""
    if name not in ACTIVATIONS:
        raise SpecError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")


class SkipFields(TypedDict):
    """The two :class:`StageSpec` fields a skip op name sets."""

    skip: bool
    shortcut: str


class StageChanges(TypedDict, total=False):
    """Any of :class:`StageSpec`'s fields, for :func:`replace_stage`."""

    op: str
    kernel: int
    stride: int
    expansion: int
    se_ratio: float
    skip: bool
    out_channels: int
    layers: int
    activation: str
    shortcut: str


def skip_fields(skip_op: str) -> SkipFields:
    """The ``skip``/``shortcut`` fields of a skip op name (``identity``, ``pooling``, ``none``...)."""
    if skip_op not in SKIP_OPS:
        raise SpecError(f"unknown skip op {skip_op!r}; expected one of {', '.join(SKIP_OPS)}")
    if skip_op == "none":
        return {"skip": False, "shortcut": "identity"}
    return {"skip": True, "shortcut": skip_op}


@dataclass(frozen=True)
class ArchSpec:
    """A whole network: stem conv, stages, 1x1 head conv, pooling and a linear classifier.

    ``resolution`` is the input size the network is costed at (B0: 224). ``stem_stride`` is 2 in
    every published model; the proxy trainer may set 1 for tiny inputs (documented there).
    ``drop_connect`` is the final stochastic-depth rate, rising linearly over blocks (0.2 in B0).
    ``activation`` is the stem's and the head's (each stage has its own). ``stem_pool`` adds
    ResNet's 3x3 stride-2 max-pool after the stem; ``head_channels`` 0 means no 1x1 head conv
    (MobileNetV1, ResNet: the last stage's features are pooled straight into the classifier).
    """

    stages: tuple[StageSpec, ...]
    stem_channels: int = 32
    head_channels: int = 1280
    resolution: int = 224
    dropout: float = 0.2
    drop_connect: float = 0.2
    stem_stride: int = 2
    stem_kernel: int = 3
    activation: str = "silu"
    stem_pool: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.stages, tuple):
            object.__setattr__(self, "stages", tuple(self.stages))
        if not self.stages:
            raise SpecError("an architecture needs at least one stage")
        if not (1 <= self.stem_channels <= MAX_CHANNELS):
            raise SpecError(f"stem_channels must be within 1..{MAX_CHANNELS}, got {self.stem_channels}")
        if not (0 <= self.head_channels <= MAX_CHANNELS):
            raise SpecError(
                f"head_channels must be within 0..{MAX_CHANNELS} (0: no head conv), got {self.head_channels}"
            )
        if not (8 <= self.resolution <= MAX_RESOLUTION):
            raise SpecError(f"resolution must be within 8..{MAX_RESOLUTION}, got {self.resolution}")
        for name in ("dropout", "drop_connect"):
            value = getattr(self, name)
            if not (0.0 <= value < 1.0) or math.isnan(value):
                raise SpecError(f"{name} must be within [0, 1), got {value}")
        if self.stem_stride not in STRIDES:
            raise SpecError(f"stem_stride must be one of {STRIDES}, got {self.stem_stride}")
        if self.stem_kernel not in KERNELS:
            raise SpecError(f"stem_kernel must be one of {KERNELS}, got {self.stem_kernel}")
        check_activation(self.activation)

    @property
    def features(self) -> int:
        """Width of the pooled features the classifier reads: the head's, or the last stage's."""
        return self.head_channels or self.stages[-1].out_channels

    @property
    def num_blocks(self) -> int:
        """Total number of blocks (sum of stage layers): the stochastic-depth denominator."""
        return sum(stage.layers for stage in self.stages)

    def with_stages(self, stages: Sequence[StageSpec]) -> ArchSpec:
        """A copy with other stages (everything else unchanged)."""
        return replace(self, stages=tuple(stages))


def replace_stage(stage: StageSpec, **changes: Unpack[StageChanges]) -> StageSpec:
    """``dataclasses.replace`` for a stage, re-validated."""
    return replace(stage, **changes)


__all__ = [
    "ACTIVATIONS",
    "EXPANDING_OPS",
    "EXPANSIONS",
    "KERNELS",
    "OPS",
    "SHORTCUTS",
    "SKIP_OPS",
    "STRIDES",
    "ArchSpec",
    "SkipFields",
    "StageChanges",
    "StageSpec",
    "check_activation",
    "replace_stage",
    "skip_fields",
]
