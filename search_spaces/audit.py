"""The audit path of the cost model: fvcore's FlopCountAnalysis on the built network.

fvcore traces the model and counts one multiply-add as one flop, like the papers, but it also
counts batch norm and pooling. Keeping only its ``conv`` and ``linear`` entries gives the papers'
FLOPS, which :func:`search_spaces.cost.count_cost` must match exactly (it is ~1000x cheaper and
is what the search uses; this module exists to prove it right).
"""

from __future__ import annotations

import logging
import warnings

from search_spaces.arch import ArchSpec
from search_spaces.cost import check_resolution
from search_spaces.errors import UserError
from search_spaces.plan import block_plans, check_io, conv_output_size

#: Refuse to trace a network whose largest feature map holds more elements than this (1 GiB of
#: float32): the trace materialises every activation, so a huge input would exhaust memory.
MAX_ACTIVATION_ELEMENTS = 2**28

#: fvcore operator names that are conv or linear multiply-adds (older torch traces nn.Linear as addmm).
COUNTED_OPERATORS = ("conv", "linear", "addmm")


def largest_activation(arch: ArchSpec, in_channels: int, resolution: int) -> int:
    """Elements of the largest feature map one image produces (input, stem, block-internal, head)."""
    size = conv_output_size(resolution, arch.stem_stride)
    largest = max(in_channels * resolution * resolution, arch.stem_channels * size * size)
    if arch.stem_pool:
        size = conv_output_size(size, 2)
    for plan in block_plans(arch):
        largest = max(largest, plan.mid_channels * size * size)  # expanded map, before the stride
        size = conv_output_size(size, plan.stride)
        largest = max(largest, max(plan.mid_channels, plan.out_channels) * size * size)
    return max(largest, arch.features * size * size)


def fvcore_macs(
    arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3, resolution: int | None = None
) -> int:
    """Conv + linear multiply-adds of the built model on one ``resolution`` x ``resolution`` image."""
    import torch

    from search_spaces.builder import build_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fvcore calls the deprecated torch.jit.script on import
        from fvcore.nn import FlopCountAnalysis

    check_io(num_classes, in_channels)
    size = arch.resolution if resolution is None else resolution
    check_resolution(size)
    largest = largest_activation(arch, in_channels, size)
    if largest > MAX_ACTIVATION_ELEMENTS:
        raise UserError(
            f"too large to audit with fvcore at resolution {size}: a feature map of {largest:,} "
            f"elements (limit {MAX_ACTIVATION_ELEMENTS:,}); the analytic count needs no audit"
        )
    model = build_model(arch, num_classes=num_classes, in_channels=in_channels).eval()
    inputs = torch.zeros(1, in_channels, size, size)
    fvcore_logger = logging.getLogger("fvcore")
    level = fvcore_logger.level
    fvcore_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            analysis = FlopCountAnalysis(model, (inputs,))
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            analysis.tracer_warnings("none")
            counts = analysis.by_operator()
    finally:
        fvcore_logger.setLevel(level)
    return int(sum(counts.get(name, 0) for name in COUNTED_OPERATORS))


__all__ = ["COUNTED_OPERATORS", "MAX_ACTIVATION_ELEMENTS", "fvcore_macs", "largest_activation"]
