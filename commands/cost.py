"""``effsearch cost``: parameters and conv+linear multiply-adds of an architecture.

The architecture is a released model name (``b0``..``b7``), a YAML file, or an architecture code
(``stem_c32_k3_s2|mbconv_r1_...|head_c1280|res224_do0.2_sd0.2``). The numbers come from the
analytic cost model; ``--audit`` also traces the built network with fvcore (conv + linear only)
and says whether both agree; a disagreement exits with code 1.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError

NAME = "cost"
HELP = "Count parameters and multiply-adds (FLOPS) of an architecture, optionally audited by fvcore."

_OFFICIAL_RE = re.compile(r"^(efficientnet[-_])?b\d+$", re.IGNORECASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--arch",
        default="b0",
        help="b0..b7 (released EfficientNets), an architecture YAML file, or an architecture code "
        "(default: b0)",
    )
    parser.add_argument(
        "--resolution", type=int, default=None, help="input size (default: the architecture's own)"
    )
    parser.add_argument("--classes", type=int, default=1000, help="number of classes (default: 1000)")
    parser.add_argument(
        "--in-channels", type=int, default=3, help="input channels, 1 for grayscale (default: 3)"
    )
    parser.add_argument(
        "--audit", action="store_true", help="also count with fvcore on the built model and compare"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")


def resolve_arch(text: str) -> tuple[str, ArchSpec]:
    """(label, spec) for an ``--arch`` value: a released name, a file, or a code."""
    from search_spaces.arch_yaml import load_arch_file
    from search_spaces.codes import arch_from_code

    text = text.strip()
    if not text:
        raise UserError("--arch is empty; give b0..b7, a YAML file or an architecture code")
    if "|" in text:
        return "code", arch_from_code(text)
    if _OFFICIAL_RE.match(text):
        from scaling_search.official import official_arch

        arch = official_arch(text)
        return f"efficientnet-{text.lower()[-2:]}", arch
    path = Path(text)
    try:
        looks_like_file = path.exists() or path.suffix.lower() in {".yaml", ".yml"} or "/" in text
    except OSError:  # e.g. a name too long for the file system
        looks_like_file = False
    if looks_like_file:
        return path.name, load_arch_file(path)
    raise UserError(f"unknown architecture {text!r}; expected b0..b7, a YAML file or an architecture code")


def _human(value: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f}{unit}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    from search_spaces.codes import arch_code
    from search_spaces.cost import Cost, check_resolution, cost_breakdown

    label, arch = resolve_arch(args.arch)
    resolution = arch.resolution if args.resolution is None else args.resolution
    check_resolution(resolution)
    parts = cost_breakdown(arch, args.classes, args.in_channels, resolution)
    total = sum((part.cost for part in parts), Cost(0, 0))
    audited: int | None = None
    if args.audit:
        from search_spaces.audit import fvcore_macs

        audited = fvcore_macs(arch, args.classes, args.in_channels, resolution)
    agree = audited is None or audited == total.macs

    if args.format == "json":
        payload: dict[str, object] = {
            "arch": label,
            "code": arch_code(arch),
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
            payload["agree"] = agree
        print(json.dumps(payload, indent=2))
        return 0 if agree else 1

    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{label} at {resolution}x{resolution}, {args.in_channels} in, {args.classes} classes",
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
        verdict = "agree" if agree else f"DISAGREE by {audited - total.macs:+,}"
        console.print(f"fvcore (conv+linear) MACs {audited:,}: {verdict}")
    return 0 if agree else 1
