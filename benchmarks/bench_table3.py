"""Our costs for the paper's Table 3 (scaling MobileNetV1, MobileNetV2 and ResNet-50), side by side.

EfficientNet (Tan & Le 2019) Table 3 shows that compound scaling is not specific to its own
baseline: it scales MobileNetV1, MobileNetV2 and ResNet-50 by one dimension at a time (depth d,
width w or resolution r) and by the compound rule (d=1.4, w=1.2, r=1.3) and reports FLOPS (the
paper's FLOPS are multiply-adds) and ImageNet top-1. This script builds every row of that table with
our own rules (the named references of ``search_spaces.references``, ``scaling_search.resize``'s
channel and layer rounding, resolution 224 x r rounded to the nearest pixel), counts its exact
conv+linear MACs and parameters at 1000 classes, and prints them next to the paper's FLOPS with the
ratio. The accuracies are the paper's, for orientation: we do not train on ImageNet here.

    python benchmarks/bench_table3.py [--audit]

``--audit`` also traces every network with fvcore and fails (exit 1) if any count disagrees.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: The compound multipliers Table 3 uses for all three networks.
COMPOUND = (1.4, 1.2, 1.3)


@dataclass(frozen=True)
class Row:
    """One row of Table 3: which network, its multipliers (depth, width, resolution), the paper's
    FLOPS (multiply-adds, in billions) and top-1."""

    label: str
    base: str
    depth: float
    width: float
    resolution: float
    paper_gflops: float
    paper_top1: float


ROWS: tuple[Row, ...] = (
    Row("MobileNetV1", "mobilenetv1", 1, 1, 1, 0.6, 70.6),
    Row("  width (w=2)", "mobilenetv1", 1, 2, 1, 2.2, 74.2),
    Row("  resolution (r=2)", "mobilenetv1", 1, 1, 2, 2.2, 72.7),
    Row("  compound (d=1.4, w=1.2, r=1.3)", "mobilenetv1", *COMPOUND, 2.3, 75.6),
    Row("MobileNetV2", "mobilenetv2", 1, 1, 1, 0.3, 72.0),
    Row("  depth (d=4)", "mobilenetv2", 4, 1, 1, 1.2, 76.8),
    Row("  width (w=2)", "mobilenetv2", 1, 2, 1, 1.1, 76.4),
    Row("  resolution (r=2)", "mobilenetv2", 1, 1, 2, 1.2, 74.8),
    Row("  compound (d=1.4, w=1.2, r=1.3)", "mobilenetv2", *COMPOUND, 1.3, 77.4),
    Row("ResNet-50", "resnet50", 1, 1, 1, 4.1, 76.0),
    Row("  depth (d=4)", "resnet50", 4, 1, 1, 16.2, 78.1),
    Row("  width (w=2)", "resnet50", 1, 2, 1, 14.7, 77.7),
    Row("  resolution (r=2)", "resnet50", 1, 1, 2, 16.4, 77.5),
    Row("  compound (d=1.4, w=1.2, r=1.3)", "resnet50", *COMPOUND, 16.7, 78.8),
)


def build(row: Row):  # noqa: ANN201 - an ArchSpec; the import is deferred to keep --help fast
    """The row's network: the named reference resized by the row's multipliers."""
    from scaling_search.arch_resolver import resolve_arch
    from scaling_search.resize import scale_arch

    base = resolve_arch(row.base, "--arch").arch
    return scale_arch(base, row.width, row.depth, round(base.resolution * row.resolution))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit", action="store_true", help="also check every count against fvcore")
    args = parser.parse_args(argv)

    from search_spaces.cost import count_cost

    header = ("Table 3 row", "res", "params", "our MACs", "paper", "ours/paper", "top-1")
    print("{:34} {:>4} {:>12} {:>9} {:>7} {:>10} {:>6}".format(*header))
    disagreements = 0
    for row in ROWS:
        arch = build(row)
        cost = count_cost(arch, 1000, 3)
        ours = cost.macs / 1e9
        line = (
            f"{row.label:34} {arch.resolution:>4} {cost.params:>12,} {ours:>8.2f}B "
            f"{row.paper_gflops:>6.1f}B {ours / row.paper_gflops:>10.2f} {row.paper_top1:>5.1f}%"
        )
        if args.audit:
            from search_spaces.audit import fvcore_macs

            traced = fvcore_macs(arch, 1000, 3)
            agree = traced == cost.macs
            disagreements += not agree
            line += "  fvcore " + ("agrees" if agree else f"DISAGREES ({traced:,})")
        print(line)
    print(
        "\nours: exact conv+linear multiply-adds at 1000 classes (the paper's FLOPS are multiply-adds, "
        "rounded to 0.1B); top-1 is the paper's ImageNet figure, not measured here."
    )
    return 1 if disagreements else 0


if __name__ == "__main__":
    raise SystemExit(main())
