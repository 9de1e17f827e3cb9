"""``effsearch cost``: parameters and conv+linear multiply-adds of an architecture.

The architecture is read by :func:`scaling_search.arch_resolver.resolve_arch` (the grammar of
``--base`` too): a released model name (``b0``..``b7``), a YAML file, or an architecture code
(``stem_c32_k3_s2|mbconv_r1_...|head_c1280|res224_do0.2_sd0.2``). The numbers come from the
analytic cost model; ``--audit`` also traces the built network with fvcore (conv + linear only)
and says whether both agree; a disagreement exits with code 1.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from commands import flags
from scaling_search.arch_resolver import ResolvedArch, resolve_arch

if TYPE_CHECKING:
    from search_spaces.cost import Cost, PartCost

NAME = "cost"
HELP = "Count parameters and multiply-adds (FLOPS) of an architecture, optionally audited by fvcore."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_arch(parser, "--arch")
    parser.add_argument(
        "--resolution", type=int, default=None, help="input size " + flags.default("the architecture's own")
    )
    flags.add_network_shape(parser)
    parser.add_argument(
        "--audit", action="store_true", help="also count with fvcore on the built model and compare"
    )
    flags.add_format(parser, ("table", "json"))


def label(resolved: ResolvedArch) -> str:
    """How the table and JSON name the architecture: ``efficientnet-b3``, the file name, or ``code``."""
    if resolved.kind == "official":
        return f"efficientnet-{resolved.name}"
    if resolved.path is not None:
        return resolved.path.name
    return resolved.name


def _human(value: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f}{unit}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    from search_spaces.cost import Cost, check_resolution, cost_breakdown

    resolved = resolve_arch(args.arch, "--arch")
    arch = resolved.arch
    resolution = arch.resolution if args.resolution is None else args.resolution
    check_resolution(resolution)
    # a search's baseline.yaml records its classes and channels: its MACs are the search's
    args.classes, args.in_channels = flags.network_shape(args, resolved.num_classes, resolved.in_channels)
    parts = cost_breakdown(arch, args.classes, args.in_channels, resolution)
    total = sum((part.cost for part in parts), Cost(0, 0))
    audited: int | None = None
    if args.audit:
        from search_spaces.audit import fvcore_macs

        audited = fvcore_macs(arch, args.classes, args.in_channels, resolution)
    agree = audited is None or audited == total.macs
    if args.format == "json":
        _print_json(args, resolved, resolution, parts, total, audited)
    else:
        _print_table(args, label(resolved), resolution, parts, total, audited)
    return 0 if agree else 1


def _print_json(
    args: argparse.Namespace,
    resolved: ResolvedArch,
    resolution: int,
    parts: Sequence[PartCost],
    total: Cost,
    audited: int | None,
) -> None:
    from search_spaces.codes import arch_code

    payload: dict[str, object] = {
        "arch": label(resolved),
        "code": arch_code(resolved.arch),
        "resolution": resolution,
        "classes": args.classes,
        "in_channels": args.in_channels,
        "params": total.params,
        "macs": total.macs,
        "parts": [
            {
                "name": p.name,
                "params": p.cost.params,
                "macs": p.cost.macs,
                "out_channels": p.out_channels,
                "out_size": p.out_size,
            }
            for p in parts
        ],
    }
    if audited is not None:
        payload["fvcore_macs"] = audited
        payload["agree"] = audited == total.macs
    print(json.dumps(payload, indent=2))


def _print_table(
    args: argparse.Namespace,
    name: str,
    resolution: int,
    parts: Sequence[PartCost],
    total: Cost,
    audited: int | None,
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{name} at {resolution}x{resolution}, {args.in_channels} in, {args.classes} classes",
        title_justify="left",
    )
    table.add_column("part")
    table.add_column("out", justify="right")
    table.add_column("params", justify="right")
    table.add_column("MACs", justify="right")
    for part in parts:
        shape = f"{part.out_channels}x{part.out_size}x{part.out_size}"
        table.add_row(part.name, shape, f"{part.cost.params:,}", f"{part.cost.macs:,}")
    table.add_section()
    table.add_row("total", "", f"{total.params:,}", f"{total.macs:,}", style="bold")
    console = Console(highlight=False)
    console.print(table)
    summary = f"params {total.params:,} ({_human(total.params)})  MACs {total.macs:,} ({_human(total.macs)})"
    console.print(summary)
    if audited is not None:
        verdict = "agree" if audited == total.macs else f"DISAGREE by {audited - total.macs:+,}"
        console.print(f"fvcore (conv+linear) MACs {audited:,}: {verdict}")
