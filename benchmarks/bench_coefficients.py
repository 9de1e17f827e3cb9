"""The coefficient grid before and after judging it by the networks it realises, side by side.

For each base (B0, and any searched ``baseline.yaml`` given with ``--base``) at ``--phi``, it
prints the grid as the nominal constraint alone keeps it (points, the realised-MACs range they
actually span, and the ``--max-candidates`` points the old spread subset would have trained, with
what rounding made of them) and as :func:`scaling_search.realised.plan_grid` judges it (distinct
networks, compound ones, those within ``--flops-tolerance`` of ``2**phi x base``, the rule that
decides and the candidates it trains). Pure arithmetic on the specs: no training, a second or two.

    python benchmarks/bench_coefficients.py [--base runs/<study>/baseline.yaml ...] [--phi 1]
        [--grid-step 0.05] [--tolerance 0.1] [--flops-tolerance 0.1] [--max-candidates 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _ratios(networks, phi: float, per_point: bool = False) -> str:
    """Range and median of realised MACs / base MACs, over networks or (``per_point``) grid points."""
    values = [n.ratio * 2**phi for n in networks for _ in (n.points if per_point else (0,))]
    return f"{min(values):.2f}x .. {max(values):.2f}x (median {statistics.median(values):.2f}x)"


def _candidate_line(network, phi: float, flops_tolerance: float) -> str:
    p = network.point
    kind = "compound" if network.compound else "single/dual-dimension"
    inside = "inside" if network.inside(flops_tolerance) else "outside"
    return (
        f"    a={p.alpha:<4g} b={p.beta:<4g} g={p.gamma:<4g} nominal {p.constraint:.3f}  realised "
        f"{network.ratio * 2**phi:.2f}x base ({network.ratio:.2f} of 2^phi, {inside})  "
        f"{len(network.points)} point(s) -> {network.arch.num_blocks} blocks, "
        f"{network.arch.resolution}px, {kind}"
    )


def report(name: str, base, args: argparse.Namespace) -> list[str]:
    from scaling_search.grid import candidate_grid, spread_subset
    from scaling_search.realised import plan_grid

    started = time.perf_counter()
    plan = plan_grid(
        base, args.phi, args.grid_step, args.tolerance, args.flops_tolerance, args.max_candidates, 1000, 3
    )
    points = candidate_grid(args.grid_step, args.tolerance)
    old = spread_subset(points, args.max_candidates)
    by_point = {p: n for n in plan.networks for p in n.points}
    old_networks = [by_point[p] for p in old]
    seconds = time.perf_counter() - started
    compound = [n for n in plan.networks if n.compound]
    lines = [
        f"== {name} at phi={args.phi:g} (grid step {args.grid_step:g}, "
        f"|a*b^2*g^2 - 2| <= {args.tolerance:g}, "
        f"realised MACs within ±{args.flops_tolerance:.0%} of 2^phi x base; {seconds:.2f} s) ==",
        f"before: {plan.grid_points} points kept by the nominal constraint; their networks realise "
        f"{_ratios(plan.networks, args.phi, per_point=True)} the base's MACs (2^phi = {2**args.phi:.3g})",
        f"  the {len(old)} points the nominal grid trained "
        f"({len({n.arch for n in old_networks})} distinct networks):",
        *(_candidate_line(n, args.phi, args.flops_tolerance) for n in old_networks),
        f"after: {len(plan.networks)} distinct networks, {len(compound)} compound "
        f"({_ratios(compound, args.phi) if compound else '-'}), "
        f"{len(plan.inside)} compound inside the tolerance",
        f"  {plan.describe_rule()}",
        f"  the {len(plan.chosen)} networks judged (of {len(plan.pool)} candidates):",
        *(_candidate_line(n, args.phi, args.flops_tolerance) for n in plan.chosen),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    from scaling_search.coefficient_config import DEFAULT_MAX_CANDIDATES
    from scaling_search.inputs import load_base

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="append", default=[], help="searched baseline.yaml (repeatable)")
    parser.add_argument("--phi", type=float, default=1.0)
    parser.add_argument("--grid-step", type=float, default=0.05)
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--flops-tolerance", type=float, default=0.1)
    parser.add_argument("--max-candidates", type=int, default=DEFAULT_MAX_CANDIDATES)
    args = parser.parse_args(argv)
    for text in ["b0", *args.base]:
        name, base = load_base(text)
        print("\n".join(report(f"{name} ({text})", base, args)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
