"""``effsearch space``: show a search space, its size and the MAC range it spans.

Prints the per-stage choice lists (filters and layers as the resolved channel and layer counts
the search suggests), the number of distinct architectures and the exact cheapest and dearest
networks' conv+linear multiply-adds at the chosen resolution, so a user can check that a target
budget is reachable before spending any training time.
"""

from __future__ import annotations

import argparse
import json

NAME = "space"
HELP = "Show a search space: per-stage choices, number of architectures and MAC range."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--space", default=None, help="search-space YAML file (default: the packaged MnasNet space)"
    )
    parser.add_argument(
        "--resolution", type=int, default=None, help="input size for the MAC range (default: the reference's)"
    )
    parser.add_argument("--classes", type=int, default=1000, help="number of classes (default: 1000)")
    parser.add_argument("--in-channels", type=int, default=3, help="input channels (default: 3)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")


def _human(value: float) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{unit}"
    return f"{value:g}"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    from search_spaces.codes import arch_code
    from search_spaces.space_yaml import load_space

    space = load_space(args.space)
    resolution = args.resolution if args.resolution is not None else space.reference.resolution
    space = space.with_resolution(resolution)
    macs = space.mac_range(num_classes=args.classes, in_channels=args.in_channels)
    size = space.size()
    if args.format == "json":
        data = space.to_dict()
        data.update(
            source=space.source,
            fingerprint=space.fingerprint(),
            size=size,
            resolution=resolution,
            classes=args.classes,
            in_channels=args.in_channels,
            min_macs=macs.min_macs,
            max_macs=macs.max_macs,
            min_arch=arch_code(macs.min_arch),
            max_arch=arch_code(macs.max_arch),
        )
        print(json.dumps(data, indent=2))
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console()

    def show(values: object) -> str:
        return "/".join(_fmt(v) for v in values)  # type: ignore[union-attr]

    rows = [choice.to_dict() for choice in space.stages]
    shared = [
        key
        for key in ("op", "kernel", "expansion", "se", "skip")
        if all(r[key] == rows[0][key] for r in rows)
    ]
    varying = [key for key in ("op", "kernel", "expansion", "se", "skip") if key not in shared]
    console.print(
        f"search space [bold]{space.name}[/bold] ({space.source}, fingerprint {space.fingerprint()})"
    )
    if shared:
        console.print(
            "every stage: "
            + " · ".join(
                f"{key} {show(rows[0][key])}" + (" (mbconv only)" if key == "expansion" else "")
                for key in shared
            )
        )
    table = Table()
    for column in ("stage", "stride", *varying, "filters (ref)", "layers (ref)", "choices"):
        table.add_column(column, justify="left" if column in varying else "right")
    for number, (choice, row) in enumerate(zip(space.stages, rows, strict=True), 1):
        ref = choice.reference
        table.add_row(
            str(number),
            str(choice.stride),
            *(show(row[key]) for key in varying),
            f"{show(choice.channels)} ({ref.out_channels})",
            f"{show(choice.layers)} ({ref.layers})",
            f"{choice.count():,}",
        )
    console.print(table)
    ref = space.reference
    console.print(
        f"fixed: stem {ref.stem_channels}ch k{ref.stem_kernel} s{ref.stem_stride}, "
        f"head {ref.head_channels}ch, dropout {ref.dropout}, drop_connect {ref.drop_connect}"
    )
    console.print(f"distinct architectures: {size:,} (~{size:.2e})")
    console.print(
        f"MACs (conv+linear multiply-adds) at {resolution}x{resolution}, {args.in_channels} input "
        f"channel(s), {args.classes} classes: min {_human(macs.min_macs)} ({macs.min_macs:,}), "
        f"max {_human(macs.max_macs)} ({macs.max_macs:,})"
    )
    console.print(f"cheapest: {arch_code(macs.min_arch)}", soft_wrap=True)
    console.print(f"dearest:  {arch_code(macs.max_arch)}", soft_wrap=True)
    return 0
