"""Resizing an architecture by explicit multipliers, and what rounding made of them.

``scale_arch(arch, width, depth, resolution)`` is the one place a network is widened, deepened and
given a new input size: channels through :func:`~scaling_search.rounding.round_filters`, layers
through :func:`~scaling_search.rounding.round_repeats` (the released rules, EfficientNet
section 3.3). Compound scaling (:mod:`scaling_search.scale`), the released B-series table
(:mod:`scaling_search.official`), the single-dimension baselines (:mod:`scaling_search.single`)
and the sweeps of Figures 3 and 4 (:mod:`scaling_search.sweep`) all go through it.

A size no machine can build or train is refused *before* anything is built: the checks are
arithmetic on the spec (channels, layers, resolution, then exact MACs and parameters from
:func:`search_spaces.cost.count_cost`, which builds nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from scaling_search.rounding import round_filters, round_repeats
from search_spaces.arch import MAX_CHANNELS, MAX_LAYERS, MAX_RESOLUTION, ArchSpec
from search_spaces.errors import UserError

#: Largest network we agree to describe: ~1e13 conv+linear multiply-adds per image (B7 is 3.8e10)
#: and 1e10 parameters (40 GB of float32 weights). Beyond that a phi is a typo, not a plan.
MAX_MACS = 10**13
MAX_PARAMS = 10**10


class TooLarge(UserError):
    """A scaled network would be too large to build or train; the message says which limit."""


def check_multiplier(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{name} must be a positive finite number, got {value}")
    return value


def check_size(arch: ArchSpec, num_classes: int = 1000) -> None:
    """Refuse ``arch`` if its exact MACs or parameters exceed :data:`MAX_MACS` / :data:`MAX_PARAMS`."""
    from search_spaces.cost import count_cost

    cost = count_cost(arch, num_classes=num_classes)
    if cost.macs > MAX_MACS:
        raise TooLarge(f"{cost.macs:.3g} multiply-adds per image, limit {MAX_MACS:.0e}")
    if cost.params > MAX_PARAMS:
        raise TooLarge(f"{cost.params:.3g} parameters, limit {MAX_PARAMS:.0e}")


def scale_arch(
    arch: ArchSpec,
    width: float,
    depth: float,
    resolution: int,
    dropout: float | None = None,
    drop_connect: float | None = None,
) -> ArchSpec:
    """``arch`` with channels x ``width``, layers x ``depth``, input size ``resolution``.

    Stem, each stage's ``out_channels`` and the head go through
    :func:`~scaling_search.rounding.round_filters` (the head as ``round_filters(1280, w)``, the
    released rule; for every B-series width it equals torchvision's ``4 * round_filters(320, w)``),
    layers through :func:`~scaling_search.rounding.round_repeats`. ``dropout`` replaces the
    classifier dropout (the released B-series raise it with size), ``drop_connect`` the final
    stochastic-depth rate; None keeps the value of ``arch``.
    Raises :class:`TooLarge` when the result exceeds the spec limits or :data:`MAX_MACS`.
    """
    width = check_multiplier(width, "width")
    depth = check_multiplier(depth, "depth")
    if isinstance(resolution, bool) or not isinstance(resolution, int):
        raise UserError(f"resolution must be an integer, got {resolution!r}")
    if resolution > MAX_RESOLUTION:
        raise TooLarge(f"resolution {resolution:.4g}, limit {MAX_RESOLUTION}")
    if resolution < 8:
        raise UserError(f"resolution must be at least 8, got {resolution}")
    widest = max([arch.stem_channels, arch.head_channels] + [s.out_channels for s in arch.stages])
    if widest * width > MAX_CHANNELS:
        raise TooLarge(f"width x{width:.4g} gives ~{widest * width:.0f} channels, limit {MAX_CHANNELS}")
    deepest = max(s.layers for s in arch.stages)
    if deepest * depth > MAX_LAYERS:
        layers = deepest * depth
        raise TooLarge(f"depth x{depth:.4g} gives ~{layers:.0f} layers in a stage, limit {MAX_LAYERS}")
    stages = tuple(
        replace(
            stage,
            out_channels=round_filters(stage.out_channels, width),
            layers=round_repeats(stage.layers, depth),
        )
        for stage in arch.stages
    )
    scaled = replace(
        arch,
        stages=stages,
        stem_channels=round_filters(arch.stem_channels, width),
        head_channels=round_filters(arch.head_channels, width),
        resolution=resolution,
        dropout=arch.dropout if dropout is None else float(dropout),
        drop_connect=arch.drop_connect if drop_connect is None else float(drop_connect),
    )
    check_size(scaled)
    return scaled


def realised_multipliers(base: ArchSpec, scaled: ArchSpec) -> tuple[float, float, float]:
    """(width, depth, resolution) multipliers that rounding actually produced.

    Width is the ratio of channel sums (stem, every stage, head), depth the ratio of block counts,
    resolution the ratio of input sizes. Ceiling the layers makes small phi deeper than nominal
    (B1: depth x1.1 nominal, 23/16 = x1.44 realised).
    """

    def channels(a: ArchSpec) -> int:
        return a.stem_channels + a.head_channels + sum(s.out_channels for s in a.stages)

    return (
        channels(scaled) / channels(base),
        scaled.num_blocks / base.num_blocks,
        scaled.resolution / base.resolution,
    )


@dataclass(frozen=True)
class ScaledPoint:
    """One scaled model: nominal multipliers (``alpha**phi`` ...), realised ones and the spec."""

    phi: float
    width: float
    depth: float
    resolution: float
    realised_width: float
    realised_depth: float
    realised_resolution: float
    arch: ArchSpec

    @classmethod
    def of(
        cls, base: ArchSpec, phi: float, width: float, depth: float, arch: ArchSpec, resolution: float
    ) -> ScaledPoint:
        """A point from the base, the nominal multipliers (``resolution``: x input) and the spec."""
        real_w, real_d, real_r = realised_multipliers(base, arch)
        return cls(phi, width, depth, resolution, real_w, real_d, real_r, arch)


__all__ = [
    "MAX_MACS",
    "MAX_PARAMS",
    "ScaledPoint",
    "TooLarge",
    "check_multiplier",
    "check_size",
    "realised_multipliers",
    "scale_arch",
]
