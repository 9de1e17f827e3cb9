"""Analytic cost model vs the fvcore audit on the released EfficientNet-B0..B7, side by side.

For every model at its own resolution (1000 classes, 3 input channels) it prints the parameter
count, the analytic MACs, fvcore's conv+linear MACs, whether they are equal, the time of each path
(same process, same thread count) and the speed-up. The analytic path is what the search calls for
every candidate, so it must stay >= 100x faster than tracing; the script exits 1 if any count
disagrees or the speed-up falls below that.

    python benchmarks/bench_cost.py [--models b0,b1,...] [--repeats 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MIN_SPEEDUP = 100.0


def _median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of ``fn`` in ms over ``repeats`` calls, and its (last) result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="b0,b1,b2,b3,b4,b5,b6,b7")
    parser.add_argument("--repeats", type=int, default=200, help="analytic calls timed per model")
    parser.add_argument("--audit-repeats", type=int, default=1, help="fvcore calls timed per model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the fvcore trace")
    args = parser.parse_args(argv)

    import torch
    from rich.console import Console
    from rich.table import Table

    from search_spaces.audit import fvcore_macs
    from search_spaces.cost import count_cost

    try:
        from scaling_search.official import official_arch, official_model
    except ImportError:
        official_arch = official_model = None

    torch.set_num_threads(args.threads)
    table = Table(title=f"count_cost vs fvcore (conv+linear), torch threads={args.threads}")
    for name, justify in [
        ("arch", "left"),
        ("res", "right"),
        ("params", "right"),
        ("torchvision params", "right"),
        ("analytic MACs", "right"),
        ("fvcore MACs", "right"),
        ("equal?", "center"),  # analytic == fvcore MACs and params == torchvision
        ("analytic ms", "right"),
        ("fvcore ms", "right"),
        ("speed-up", "right"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]

    ok = True
    speedups = []
    for name in args.models.split(","):
        if official_arch is not None:
            arch = official_arch(name)
            reference_params = f"{official_model(name).torchvision_params:,}"
        elif name == "b0":
            from search_spaces.arch_yaml import reference_b0

            arch, reference_params = reference_b0(), "5,288,548"
        else:
            print(f"skipping {name}: scaling_search.official is not available", file=sys.stderr)
            continue
        analytic_ms, cost = _median_ms(lambda a=arch: count_cost(a), args.repeats)
        fvcore_ms, audited = _median_ms(lambda a=arch: fvcore_macs(a), args.audit_repeats)
        equal = audited == cost.macs and reference_params == f"{cost.params:,}"
        speedup = fvcore_ms / analytic_ms
        speedups.append(speedup)
        ok &= equal and speedup >= MIN_SPEEDUP
        table.add_row(
            name,
            str(arch.resolution),
            f"{cost.params:,}",
            reference_params,
            f"{cost.macs:,}",
            f"{audited:,}",
            "yes" if equal else "NO",
            f"{analytic_ms:.3f}",
            f"{fvcore_ms:.0f}",
            f"{speedup:,.0f}x",
        )
    console = Console(width=160)
    console.print(table)
    if speedups:
        console.print(f"smallest speed-up {min(speedups):,.0f}x (required >= {MIN_SPEEDUP:.0f}x)")
    verdict = "all equal and fast enough" if ok else "FAILED: a count differs or the speed-up is too small"
    console.print(verdict)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
