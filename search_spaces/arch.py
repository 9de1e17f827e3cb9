"""Architectures as data: frozen, hashable specs of a stage and of a whole network.

An :class:`ArchSpec` is the single currency between modules: the sampler produces one, the cost
model and the builder consume one, the scaler maps one to another, and it is the cache key for
duplicate candidates (hence frozen dataclasses and tuples only). The fields follow the
EfficientNet paper's Table 1 (stage = operator, kernel, stride, channels, layers) plus the MnasNet
per-stage choices (expansion, squeeze-and-excite ratio, skip op).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from search_spaces.errors import SpecError

#: Operators of the MnasNet factorized space (MnasNet section 4.1): mobile inverted bottleneck,
#: depthwise-separable conv and a regular kxk conv.
OPS: tuple[str, ...] = ("mbconv", "dsconv", "conv")
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

    ``expansion`` is meaningful for ``mbconv`` only (``dsconv``/``conv`` keep it at 1).
    ``se_ratio`` sizes the squeeze-and-excite bottleneck as ``max(1, int(block_in * se_ratio))``
    (0 disables SE). ``skip`` asks for an identity residual, which is only applied to blocks with
    stride 1 and equal input/output channels.
    """

    op: str
    kernel: int
    stride: int
    expansion: int
    se_ratio: float
    skip: bool
    out_channels: int
    layers: int

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise SpecError(f"unknown op {self.op!r}; expected one of {', '.join(OPS)}")
        if self.kernel not in KERNELS:
            raise SpecError(f"kernel {self.kernel} is not supported; expected one of {KERNELS}")
        if self.stride not in STRIDES:
            raise SpecError(f"stride {self.stride} is not supported; expected one of {STRIDES}")
        if self.expansion not in EXPANSIONS:
            raise SpecError(f"expansion {self.expansion} is not supported; expected one of {EXPANSIONS}")
        if self.op != "mbconv" and self.expansion != 1:
            raise SpecError(f"op {self.op} has no expansion (got {self.expansion}); use 1")
        if not (0.0 <= self.se_ratio <= 1.0) or math.isnan(self.se_ratio):
            raise SpecError(f"se_ratio must be within [0, 1], got {self.se_ratio}")
        if not (1 <= self.out_channels <= MAX_CHANNELS):
            raise SpecError(f"out_channels must be within 1..{MAX_CHANNELS}, got {self.out_channels}")
        if not (1 <= self.layers <= MAX_LAYERS):
            raise SpecError(f"layers must be within 1..{MAX_LAYERS}, got {self.layers}")


@dataclass(frozen=True)
class ArchSpec:
    """A whole network: stem conv, stages, 1x1 head conv, pooling and a linear classifier.

    ``resolution`` is the input size the network is costed at (B0: 224). ``stem_stride`` is 2 in
    every published model; the proxy trainer may set 1 for tiny inputs (documented there).
    ``drop_connect`` is the final stochastic-depth rate, rising linearly over blocks (0.2 in B0).
    """

    stages: tuple[StageSpec, ...]
    stem_channels: int = 32
    head_channels: int = 1280
    resolution: int = 224
    dropout: float = 0.2
    drop_connect: float = 0.2
    stem_stride: int = 2
    stem_kernel: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.stages, tuple):
            object.__setattr__(self, "stages", tuple(self.stages))
        if not self.stages:
            raise SpecError("an architecture needs at least one stage")
        for name in ("stem_channels", "head_channels"):
            value = getattr(self, name)
            if not (1 <= value <= MAX_CHANNELS):
                raise SpecError(f"{name} must be within 1..{MAX_CHANNELS}, got {value}")
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

    @property
    def num_blocks(self) -> int:
        """Total number of blocks (sum of stage layers): the stochastic-depth denominator."""
        return sum(stage.layers for stage in self.stages)

    def with_stages(self, stages: tuple[StageSpec, ...] | list[StageSpec]) -> ArchSpec:
        """A copy with other stages (everything else unchanged)."""
        return replace(self, stages=tuple(stages))


def replace_stage(stage: StageSpec, **changes: object) -> StageSpec:
    """``dataclasses.replace`` for a stage, re-validated."""
    return replace(stage, **changes)


__all__ = ["OPS", "KERNELS", "STRIDES", "EXPANSIONS", "StageSpec", "ArchSpec", "replace_stage"]
