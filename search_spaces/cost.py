"""Exact parameter and multiply-add counts of an ArchSpec, by arithmetic (no model is built).

FLOPS in the EfficientNet/MnasNet papers are multiply-adds of conv and linear layers (one fused
multiply-add = 1); B0 has 385,814,752 of them at 224x224 ("0.39B", Table 2) and 5,288,548
parameters ("5.3M"). The counts here are exactly what fvcore reports for conv + linear on the
built model (see :mod:`search_spaces.audit`) and exactly ``sum(p.numel())``:

- conv: ``out_h * out_w * out_c * (in_c / groups) * k * k`` with ``out = ceil(in / stride)``;
- SE convs act on 1x1 maps; the linear layer costs ``in * out``;
- params: conv weights, SE conv biases, BatchNorm weight + bias, the linear weight + bias.

Batch norm, activations, pooling (the stem max-pool, the ``pooling`` skip) and the SE/residual
elementwise ops are not counted (the papers' convention); a projection shortcut is a 1x1 conv
and is. Everything is plain integer arithmetic over :func:`search_spaces.plan.block_plans`,
so it costs microseconds: cheap enough to reject off-budget candidates before any training.
"""

from __future__ import annotations

from dataclasses import dataclass

from search_spaces.arch import MAX_RESOLUTION, ArchSpec
from search_spaces.errors import SpecError
from search_spaces.plan import BlockPlan, block_plans, check_io, conv_output_size


@dataclass(frozen=True)
class Cost:
    """Parameters and conv+linear multiply-adds of one network at one input size."""

    params: int
    macs: int

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.params + other.params, self.macs + other.macs)


@dataclass(frozen=True)
class PartCost:
    """Cost of one named part (stem, a stage, head, classifier) and its output map size."""

    name: str
    cost: Cost
    out_channels: int
    out_size: int


ZERO = Cost(0, 0)


def _conv(in_c: int, out_c: int, kernel: int, out_size: int, groups: int = 1, bn: bool = True) -> Cost:
    """A bias-free conv (+ its BatchNorm) producing an ``out_size`` x ``out_size`` map."""
    weights = out_c * (in_c // groups) * kernel * kernel
    return Cost(weights + (2 * out_c if bn else 0), weights * out_size * out_size)


def _se(channels: int, squeeze: int) -> Cost:
    """Two 1x1 convs with bias on a 1x1 map: channels -> squeeze -> channels."""
    if not squeeze:
        return ZERO
    weights = 2 * channels * squeeze
    return Cost(weights + squeeze + channels, weights)


def block_cost(plan: BlockPlan, in_size: int) -> tuple[Cost, int]:
    """Cost of one block fed an ``in_size`` map, and its output size."""
    out_size = conv_output_size(in_size, plan.stride)
    c_in, c_out, mid, k = plan.in_channels, plan.out_channels, plan.mid_channels, plan.kernel
    if plan.op == "conv":
        cost = _conv(c_in, c_out, k, out_size) + _se(c_out, plan.se_channels)
    elif plan.op == "bottleneck":  # 1x1 narrow, kxk (stride), SE, 1x1 widen
        cost = _conv(c_in, mid, 1, in_size) + _conv(mid, mid, k, out_size)
        cost += _se(mid, plan.se_channels) + _conv(mid, c_out, 1, out_size)
    else:  # mbconv; dsconv and sepconv (= mbconv without expansion)
        cost = _conv(c_in, mid, 1, in_size) if plan.expands else ZERO
        cost += _conv(mid, mid, k, out_size, groups=mid)
        cost += _se(mid, plan.se_channels)
        cost += _conv(mid, c_out, 1, out_size)
    if plan.projects:  # 1x1 conv with the block's stride + BN
        cost += _conv(c_in, c_out, 1, out_size)
    return cost, out_size


def check_resolution(resolution: int) -> None:
    """Refuse input sizes the network cannot be meant for."""
    if isinstance(resolution, bool) or not isinstance(resolution, int):
        raise SpecError(f"resolution must be an integer, got {resolution!r}")
    if not 8 <= resolution <= MAX_RESOLUTION:
        raise SpecError(f"resolution must be within 8..{MAX_RESOLUTION}, got {resolution}")


def cost_breakdown(
    arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3, resolution: int | None = None
) -> tuple[PartCost, ...]:
    """Per-part costs: ``stem``, ``stage1``..``stageN``, ``head``, ``classifier``."""
    check_io(num_classes, in_channels)
    size = arch.resolution if resolution is None else resolution
    check_resolution(size)
    size = conv_output_size(size, arch.stem_stride)
    stem = _conv(in_channels, arch.stem_channels, arch.stem_kernel, size)
    if arch.stem_pool:  # 3x3 max-pool, stride 2, padding 1: ceil(size / 2), no MACs
        size = conv_output_size(size, 2)
    parts = [PartCost("stem", stem, arch.stem_channels, size)]
    plans = block_plans(arch)
    start = 0
    for number, stage in enumerate(arch.stages, 1):
        total = ZERO
        for plan in plans[start : start + stage.layers]:
            cost, size = block_cost(plan, size)
            total += cost
        start += stage.layers
        parts.append(PartCost(f"stage{number}", total, stage.out_channels, size))
    last = arch.stages[-1].out_channels
    head = _conv(last, arch.head_channels, 1, size) if arch.head_channels else ZERO
    parts.append(PartCost("head", head, arch.features, size))
    linear = arch.features * num_classes
    parts.append(PartCost("classifier", Cost(linear + num_classes, linear), num_classes, 1))
    return tuple(parts)


def count_cost(
    arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3, resolution: int | None = None
) -> Cost:
    """Exact params and conv+linear MACs of ``build_model(arch, num_classes, in_channels)``.

    ``resolution`` defaults to ``arch.resolution``; the input is square.
    """
    total = ZERO
    for part in cost_breakdown(arch, num_classes, in_channels, resolution):
        total += part.cost
    return total


__all__ = ["Cost", "PartCost", "block_cost", "check_resolution", "cost_breakdown", "count_cost"]
