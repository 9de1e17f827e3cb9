"""``effsearch scale``: a baseline compound-scaled to one or many phi, as a table, YAML or JSON.

    effsearch scale --phi 0-7                          # B0 with the paper's 1.2/1.1/1.15
    effsearch scale --phi 0-7 --coefficients official  # the released B0..B7 table, side by side
    effsearch scale --phi 1.5 --base runs/best.yaml --coefficients runs/coefficients.yaml --format yaml

The table shows, per phi, the nominal multipliers (``alpha**phi`` ...) next to what rounding made
of them, the exact parameters and conv+linear MACs, and the MACs ratio to phi = 0 next to the
``2**phi`` the constraint ``alpha * beta**2 * gamma**2 ~= 2`` aims at (paper Eq. 3); for the
released models also the paper's Table 2 sizes, with ours printed at the same precision.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from commands import flags

NAME = "scale"
HELP = "Compound-scale a baseline to one or more phi (paper, official B0-B7 or searched coefficients)."

#: Longest phi list one command accepts (a range like 0-100000 is a typo).
MAX_POINTS = 1000
_RANGE_RE = re.compile(r"^(\d+)\s*-\s*(\d+)$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--phi",
        required=True,
        help="compound coefficient: a number >= 0 (1.5), a range of integers A-B inclusive (0-7), "
        "or a comma-separated list of both",
    )
    flags.add_arch(parser, "--base")
    parser.add_argument(
        "--coefficients",
        default="paper",
        help="paper (alpha=1.2, beta=1.1, gamma=1.15; default), official (the released B0-B7 table, "
        "integer phi 0-7, base b0) or a coefficients YAML file",
    )
    parser.add_argument("--format", choices=("table", "yaml", "json"), default="table")
    parser.add_argument("--out", metavar="FILE", help="write to this file instead of stdout")
    flags.add_network_shape(parser)


def parse_phis(text: str) -> list[float]:
    """``"1.5"`` -> [1.5]; ``"0-7"`` -> [0..7]; ``"0-2,2.5"`` -> [0, 1, 2, 2.5]. UserError if bad."""
    from scaling_search.scale import check_phi
    from search_spaces.errors import UserError

    phis: list[float] = []
    items = [item.strip() for item in str(text).split(",")]
    if not any(items):
        raise UserError("--phi is empty; give a number (1.5), a range (0-7) or a list (0,0.5,1)")
    for item in items:
        if not item:
            raise UserError(f"--phi {text!r} has an empty item")
        try:
            value = float(item)
        except ValueError:
            value = None
        if value is not None:
            phis.append(check_phi(value))
            continue
        match = _RANGE_RE.match(item)
        if not match:
            raise UserError(
                f"--phi {item!r} is neither a number nor a range of integers A-B (e.g. 1.5 or 0-7)"
            )
        low, high = int(match[1]), int(match[2])
        if low > high:
            raise UserError(f"--phi range {item!r} runs backwards; write {high}-{low}")
        if high - low + 1 + len(phis) > MAX_POINTS:
            raise UserError(f"--phi {text!r} asks for more than {MAX_POINTS} models")
        phis.extend(float(v) for v in range(low, high + 1))
    if len(phis) > MAX_POINTS:
        raise UserError(f"--phi {text!r} asks for more than {MAX_POINTS} models")
    return phis


def _family(args: argparse.Namespace) -> tuple[str, Any, list, str]:
    """(base name, base arch, points, coefficients description) for the parsed arguments."""
    from scaling_search.coefficients_file import PAPER, check_base, load_coefficients
    from scaling_search.inputs import load_base
    from scaling_search.official import official_point
    from scaling_search.scale import scale_point
    from search_spaces.codes import arch_code
    from search_spaces.errors import UserError

    phis = parse_phis(args.phi)
    name, base = load_base(args.base)
    choice = args.coefficients.strip()
    if choice.lower() == "official":
        from search_spaces.arch_yaml import reference_b0

        if arch_code(base) != arch_code(reference_b0()):
            raise UserError("--coefficients official scales EfficientNet-B0 only; use --base b0")
        bad = [phi for phi in phis if not (phi.is_integer() and 0 <= phi <= 7)]
        if bad:
            raise UserError(f"--coefficients official covers integer phi 0..7 (B0..B7), got {bad[0]:g}")
        return name, base, [official_point(int(phi)) for phi in phis], "official B0-B7 table (released)"
    if choice.lower() == "paper":
        coeffs = PAPER
    else:
        if not Path(choice).exists():
            raise UserError(
                f"unknown coefficients {choice!r}: expected paper, official or a coefficients YAML file"
            )
        coeffs = load_coefficients(choice)
        check_base(coeffs, base)
    described = (
        f"{coeffs.source}: alpha={coeffs.alpha:g} beta={coeffs.beta:g} gamma={coeffs.gamma:g} "
        f"(alpha*beta^2*gamma^2 = {coeffs.constraint:.3f})"
    )
    points = [scale_point(base, coeffs.alpha, coeffs.beta, coeffs.gamma, phi) for phi in phis]
    return name, base, points, described


def _phi_out(phi: float) -> int | float:
    return int(phi) if float(phi).is_integer() else float(phi)


def _model_name(base_name: str, phi: float, official: bool) -> str:
    return f"efficientnet-b{int(phi)}" if official else f"{base_name}-phi{phi:g}"


def family_rows(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str, list, str]:
    """One dict per phi (what ``--format json`` prints), the coefficients text, the points and the
    base's name."""
    from scaling_search.arch_resolver import resolve_arch
    from scaling_search.official import official_model
    from search_spaces.codes import arch_code
    from search_spaces.cost import count_cost

    resolved = resolve_arch(args.base, "--base")  # a search's baseline.yaml records its classes, channels
    args.classes, args.in_channels = flags.network_shape(args, resolved.num_classes, resolved.in_channels)
    official = args.coefficients.strip().lower() == "official"
    base_name, base, points, described = _family(args)
    reference = count_cost(base, num_classes=args.classes, in_channels=args.in_channels)
    rows = []
    for point in points:
        cost = count_cost(point.arch, num_classes=args.classes, in_channels=args.in_channels)
        ratio = cost.macs / reference.macs
        row: dict[str, Any] = {
            "name": _model_name(base_name, point.phi, official),
            "phi": _phi_out(point.phi),
            "width": point.width,
            "depth": point.depth,
            "resolution": point.arch.resolution,
            "resolution_multiplier": point.resolution,
            "realised_width": point.realised_width,
            "realised_depth": point.realised_depth,
            "realised_resolution": point.realised_resolution,
            "layers": point.arch.num_blocks,
            "params": cost.params,
            "macs": cost.macs,
            "macs_ratio": ratio,
            "target_ratio": 2.0**point.phi,
            "dropout": point.arch.dropout,
            "drop_connect": point.arch.drop_connect,
            "classes": args.classes,
            "code": arch_code(point.arch),
        }
        if official:
            model = official_model(int(point.phi))
            row.update(
                paper_params=model.paper_params,
                paper_flops=model.paper_flops,
                top1=model.top1,
                torchvision_params=model.torchvision_params,
            )
        rows.append(row)
    return rows, described, points, base_name


def worst_ratio(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row whose MACs ratio to phi=0 is furthest (in log terms) from 2**phi."""
    return max(rows, key=lambda r: abs(math.log(r["macs_ratio"] / r["target_ratio"])))


def _short(value: float, unit: str) -> str:
    """``9_109_994, "M"`` -> ``9.11M``; ``992_153_872, "G"`` -> ``0.992G`` (three significant figures)."""
    scale = {"M": 1e6, "G": 1e9}[unit]
    return f"{value / scale:.3g}{unit}"


def _table_text(rows: list[dict[str, Any]], described: str, base_name: str, width: int) -> str:
    import io

    from rich.console import Console
    from rich.table import Table

    from scaling_search.official import printed_like

    official = "paper_params" in rows[0]
    table = Table(title=f"{base_name} scaled — {described}", title_justify="left")
    if official:
        table.add_column("model")
    for header in ("phi", "depth x", "width x", "res", "blocks", "params", "MACs", "MACs/phi0", "2^phi"):
        table.add_column(header, justify="right")
    if official:
        table.add_column("params paper/ours", justify="right")
        table.add_column("FLOPS paper/ours", justify="right")
    for row in rows:
        cells = [row["name"].removeprefix("efficientnet-").upper()] if official else []
        cells += [
            f"{row['phi']:g}",
            f"{row['depth']:.2f}>{row['realised_depth']:.2f}",
            f"{row['width']:.2f}>{row['realised_width']:.2f}",
            str(row["resolution"]),
            str(row["layers"]),
            _short(row["params"], "M"),
            _short(row["macs"], "G"),
            f"{row['macs_ratio']:.2f}",
            f"{row['target_ratio']:.4g}",
        ]
        if official:
            ours_p = printed_like(row["params"], row["paper_params"])
            ours_f = printed_like(row["macs"], row["paper_flops"])
            cells.append(f"{row['paper_params']}/{ours_p}" + ("" if ours_p == row["paper_params"] else "*"))
            cells.append(f"{row['paper_flops']}/{ours_f}" + ("" if ours_f == row["paper_flops"] else "*"))
        table.add_row(*cells)
    worst = worst_ratio(rows)
    notes = [
        f"worst (MACs/MACs at phi=0) / 2^phi: {worst['macs_ratio'] / worst['target_ratio']:.3f} "
        f"at phi={worst['phi']:g}",
        "depth x, width x: nominal multiplier > realised after rounding (block count, channel sum ratio)",
        f"params, MACs: exact conv+linear multiply-adds, {rows[0]['classes']} classes "
        "(--format json: all digits)",
    ]
    if official:
        notes.append("*: differs from the paper's Table 2 at its printed precision (scaling_search.official)")
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False, soft_wrap=True)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def _yaml_text(rows: list[dict[str, Any]], points: list, described: str) -> str:
    import yaml

    from search_spaces.arch_yaml import arch_to_dict

    docs = []
    for row, point in zip(rows, points, strict=True):
        data = arch_to_dict(point.arch, row["name"])
        data["notes"] = {
            "code": row["code"],
            "phi": row["phi"],
            "width": point.width,
            "depth": point.depth,
            "coefficients": described,
            "params": row["params"],
            "macs": row["macs"],
        }
        docs.append(data)
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=None, width=100)


def run(args: argparse.Namespace) -> int:
    from search_spaces.errors import UserError

    rows, described, points, base_name = family_rows(args)
    if args.format == "json":
        text = json.dumps(rows, indent=2) + "\n"
    elif args.format == "yaml":
        text = _yaml_text(rows, points, described)
    else:
        text = None
    if args.out:
        path = Path(args.out)
        if text is None:
            text = _table_text(rows, described, base_name, width=160)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        print(f"wrote {len(rows)} model(s) to {path}")
        return 0
    if text is None:
        from rich.console import Console

        width = Console().width if sys.stdout.isatty() else 160
        sys.stdout.write(_table_text(rows, described, base_name, width=width))
    else:
        sys.stdout.write(text)
    return 0
