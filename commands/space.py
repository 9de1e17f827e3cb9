"""``effsearch space``: show a search space, its size and the MAC range it spans.

Prints the per-stage choice lists (filters and layers as the resolved channel and layer counts
the search suggests), the number of distinct architectures and the exact cheapest and dearest
networks' conv+linear multiply-adds at the chosen resolution, so a user can check that a target
budget is reachable before spending any training time.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from commands import flags

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from search_spaces.space import MacRange, SearchSpace

NAME = "space"
HELP = "Show a search space: per-stage choices, number of architectures and MAC range."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--space",
        default=None,
        help="mnasnet, efficientnet-local or a search-space YAML file " + flags.default("mnasnet"),
    )
    parser.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="input size for the MAC range " + flags.default("the reference's"),
    )
    flags.add_network_shape(parser)
    flags.add_format(parser, ("table", "json"))


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
    from search_spaces.space_yaml import load_space

    space = load_space(args.space)
    resolution = args.resolution if args.resolution is not None else space.reference.resolution
    space = space.with_resolution(resolution)
    args.classes, args.in_channels = flags.network_shape(args)
    macs = space.mac_range(num_classes=args.classes, in_channels=args.in_channels)
    if args.format == "json":
        _print_json(args, space, resolution, macs)
    else:
        _print_tables(args, space, resolution, macs)
    return 0


def _print_json(args: argparse.Namespace, space: SearchSpace, resolution: int, macs: MacRange) -> None:
    from search_spaces.codes import arch_code

    data = space.to_dict()
    data.update(
        source=space.source,
        fingerprint=space.fingerprint(),
        size=space.size(),
        resolution=resolution,
        classes=args.classes,
        in_channels=args.in_channels,
        min_macs=macs.min_macs,
        max_macs=macs.max_macs,
        min_arch=arch_code(macs.min_arch),
        max_arch=arch_code(macs.max_arch),
    )
    print(json.dumps(data, indent=2))


def _show(values: object) -> str:
    return "/".join(_fmt(v) for v in values)  # type: ignore[attr-defined]


def _print_tables(args: argparse.Namespace, space: SearchSpace, resolution: int, macs: MacRange) -> None:
    from rich.console import Console

    from search_spaces.codes import arch_code

    console = Console()
    console.print(_stage_table(console, space))
    ref = space.reference
    size = space.size()
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
    from search_spaces.space_yaml import PACKAGED_SPACES

    console.print("packaged spaces (--space NAME):")
    for name, what in PACKAGED_SPACES.items():
        console.print(f"  {name}{' (default)' if name == 'mnasnet' else ''}: {what}")


def _stage_table(console: Console, space: SearchSpace) -> Table:
    """Prints the space's name and the choices every stage shares; returns a row per stage for the rest."""
    from rich.table import Table

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
                f"{key} {_show(rows[0][key])}" + (" (mbconv only)" if key == "expansion" else "")
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
            *(_show(row[key]) for key in varying),
            f"{_show(choice.channels)} ({ref.out_channels})",
            f"{_show(choice.layers)} ({ref.layers})",
            f"{choice.count():,}",
        )
    return table
