"""Proxy fidelity: does the short proxy rank architectures the way a longer training run does?

A search only needs the proxy to *order* candidates correctly (MnasNet section 4 relied on 5-epoch
proxy training; EfficientNet section 4 on the same idea). This trains a dozen architectures --
EfficientNet-B0 and variants in kernel size, expansion ratio, squeeze-and-excitation, op, width
and depth -- once with the short proxy and once with a long run, prints both validation
accuracies side by side, and the Spearman rank correlation between them (scipy). Goal: >= 0.6.

Sizes are flags, so the same script runs a small CPU version and the full GPU version::

    # full version (GPU): default recipe, gpu preset (55k images x 5 epochs) vs long (10 epochs)
    python benchmarks/bench_proxy_fidelity.py --device cuda --short gpu --long long

    # small CPU version: subsets of the training split, stride-2 stem (4x cheaper)
    python benchmarks/bench_proxy_fidelity.py --device cpu --threads 1 --archs 10 --stem-stride 2 \\
        --batch 128 --short-subset 1000 --short-epochs 2 --long-subset 4000 --long-epochs 3 --val-size 1000

Both runs of an architecture share the seed and validation images; only the amount of training
differs. ``--json-out FILE`` (or ``--json``) writes every number. ``--data-dir DIR`` reads the
dataset files from DIR. A run too long for one sitting is split with ``--slice START:END`` (the
architectures ``variants()[START:END]``) and joined with ``--merge A.json B.json``, which prints
the table and the Spearman correlation of all rows::

    python benchmarks/bench_proxy_fidelity.py --device cuda --short gpu --long long --slice 0:6 \\
        --json-out a.json
    python benchmarks/bench_proxy_fidelity.py --device cuda --short gpu --long long --slice 6:12 \\
        --json-out b.json
    python benchmarks/bench_proxy_fidelity.py --merge a.json b.json --json-out all.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from nas.data.datasets import load_dataset  # noqa: E402
from nas.training.device import describe_device, resolve_device  # noqa: E402
from nas.training.proxy import ProxyConfig, load_proxy  # noqa: E402
from nas.training.trainer import evaluate  # noqa: E402
from search_spaces.arch import ArchSpec  # noqa: E402
from search_spaces.arch_yaml import reference_b0  # noqa: E402
from search_spaces.cost import count_cost  # noqa: E402


def _round8(channels: float) -> int:
    """Nearest multiple of 8, at least 8, not below 90% of the request (the EfficientNet rule)."""
    value = max(8, int(channels + 4) // 8 * 8)
    return value + 8 if value < 0.9 * channels else value


def variants() -> list[tuple[str, ArchSpec]]:
    """B0 and variants along every axis of the MnasNet/EfficientNet space."""
    b0 = reference_b0()

    def stages(**change):
        """Apply ``change`` to every stage (expansion only where the stage expands)."""
        return tuple(
            replace(s, **{k: v for k, v in change.items() if k != "expansion" or s.expansion != 1})
            for s in b0.stages
        )

    def width(w: float) -> ArchSpec:
        return replace(
            b0,
            stem_channels=_round8(b0.stem_channels * w),
            head_channels=_round8(b0.head_channels * w),
            stages=tuple(replace(s, out_channels=_round8(s.out_channels * w)) for s in b0.stages),
        )

    def depth(delta: int) -> ArchSpec:
        return b0.with_stages(tuple(replace(s, layers=max(1, s.layers + delta)) for s in b0.stages))

    dsconv = tuple(
        replace(s, op="dsconv", expansion=1) if i in (1, 2) else s for i, s in enumerate(b0.stages)
    )
    weak = tuple(replace(s, kernel=3, se_ratio=0.0, expansion=min(s.expansion, 3)) for s in b0.stages)
    return [
        ("b0", b0),
        ("kernel 3 everywhere", b0.with_stages(stages(kernel=3))),
        ("kernel 5 everywhere", b0.with_stages(stages(kernel=5))),
        ("expansion 3", b0.with_stages(stages(expansion=3))),
        ("expansion 4", b0.with_stages(stages(expansion=4))),
        ("no SE", b0.with_stages(stages(se_ratio=0.0))),
        ("dsconv in stages 2-3", b0.with_stages(dsconv)),
        ("width 0.5", width(0.5)),
        ("width 1.25", width(1.25)),
        ("depth -1 per stage", depth(-1)),
        ("depth +1 per stage", depth(+1)),
        ("k3, e<=3, no SE", b0.with_stages(weak)),
    ]


def spearman(a: list[float], b: list[float]) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--short", default="default", help="proxy preset or YAML for the short run")
    parser.add_argument("--long", default="long", help="proxy preset or YAML for the long run")
    parser.add_argument("--short-subset", type=int, default=None, help="override the short run's images")
    parser.add_argument("--short-epochs", type=int, default=None)
    parser.add_argument("--long-subset", type=int, default=None, help="override the long run's images")
    parser.add_argument("--long-epochs", type=int, default=None)
    parser.add_argument("--val-size", type=int, default=None, help="validation images for both runs")
    parser.add_argument("--batch", type=int, default=None, help="batch size for both runs (small subsets)")
    parser.add_argument("--archs", type=int, default=None, help="only the first N architectures")
    parser.add_argument(
        "--stem-stride",
        type=int,
        choices=(1, 2),
        default=None,
        help="override both proxies' stem stride (2 = no small-input adaptation: 4x cheaper, for CPU runs)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json-out", "--json", dest="json_out", default=None, help="write every number here")
    parser.add_argument("--data-dir", default=None, help="where the dataset files are")
    parser.add_argument("--slice", default=None, help="START:END -- only variants()[START:END]")
    parser.add_argument("--merge", nargs="+", default=None, help="join the JSON files of earlier slices")
    args = parser.parse_args(argv)
    if args.merge:
        return _merge(args.merge, args.json_out)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)

    def configure(name: str, subset: int | None, epochs: int | None) -> ProxyConfig:
        proxy = load_proxy(name).with_overrides(
            epochs=epochs,
            val_size=args.val_size,
            seed=args.seed,
            stem_stride=args.stem_stride,
            batch_size=args.batch,
        )
        return replace(proxy, train_subset=subset) if subset is not None else proxy

    short = configure(args.short, args.short_subset, args.short_epochs)
    long = configure(args.long, args.long_subset, args.long_epochs)
    if short.val_size != long.val_size:
        long = replace(long, val_size=short.val_size)
    data = load_dataset(args.dataset, args.data_dir, val_size=max(short.val_size, 1), seed=args.seed)
    print(f"device: {describe_device(device)}; data: {data.summary()}")
    for label, proxy in (("short", short), ("long", long)):
        subset = "all" if proxy.train_subset is None else proxy.train_subset
        print(
            f"{label}: preset {proxy.name}, {proxy.epochs} epochs on {subset} images, "
            f"batch {proxy.batch_size}, {proxy.val_size} val images, stem stride {proxy.stem_stride}"
        )
    archs = variants()[: args.archs] if args.archs else variants()
    if args.slice:
        start, _, end = args.slice.partition(":")
        archs = archs[int(start or 0) : int(end) if end else None]
    rows = []
    started = time.perf_counter()
    header = (
        f"{'architecture':<24}{'MMACs@224':>10}{'short acc':>11}{'long acc':>10}{'short s':>9}{'long s':>9}"
    )
    print(f"\n  {header}")
    for name, arch in archs:
        macs = count_cost(arch, num_classes=data.num_classes, in_channels=data.in_channels).macs
        a = evaluate(arch, data, short, device=device)
        b = evaluate(arch, data, long, device=device)
        rows.append(
            {
                "arch": name,
                "macs": macs,
                "short": a.accuracy,
                "long": b.accuracy,
                "short_status": a.status,
                "long_status": b.status,
                "short_wall_s": a.wall_s,
                "long_wall_s": b.wall_s,
            }
        )

        def fmt(x: float | None) -> str:
            return "-" if x is None else f"{x:.2%}"

        print(
            f"  {name:<24}{macs / 1e6:>10.0f}{fmt(a.accuracy):>11}{fmt(b.accuracy):>10}"
            f"{a.wall_s:>9.0f}{b.wall_s:>9.0f}",
            flush=True,
        )
    total = time.perf_counter() - started
    rho = _summary(rows)
    print(f"total time {total / 60:.1f} min")
    if args.json_out:
        report = {
            "device": describe_device(device),
            "short": short.to_dict(),
            "long": long.to_dict(),
            "slice": args.slice,
            "rows": rows,
            "spearman": _finite(rho),
            "total_s": total,
        }
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _finite(value: float) -> float | None:
    """JSON has no NaN: ``None`` for too few rows."""
    return value if value == value else None


def _summary(rows: list[dict]) -> float:
    """Print and return the Spearman correlation of the rows where both runs finished."""
    ok = [r for r in rows if r["short"] is not None and r["long"] is not None]
    rho = spearman([r["short"] for r in ok], [r["long"] for r in ok]) if len(ok) >= 3 else float("nan")
    print(f"\nSpearman rank correlation (short vs long, {len(ok)} architectures): {rho:.3f}  (goal >= 0.6)")
    return rho


def _merge(files: list[str], json_out: str | None) -> int:
    """Join the slices' JSON files: rows in order, total time summed, one Spearman over all."""
    parts = [json.loads(Path(f).read_text()) for f in files]
    rows = [row for part in parts for row in part["rows"]]

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.2%}"

    print(f"  {'architecture':<24}{'MMACs@224':>10}{'short acc':>11}{'long acc':>10}")
    for r in rows:
        print(f"  {r['arch']:<24}{r['macs'] / 1e6:>10.0f}{fmt(r['short']):>11}{fmt(r['long']):>10}")
    rho = _summary(rows)
    total = sum(part.get("total_s", 0.0) for part in parts)
    print(f"total time of the slices {total / 60:.1f} min")
    if json_out:
        merged = {**parts[0], "slice": None, "rows": rows, "spearman": _finite(rho), "total_s": total}
        merged["merged_from"] = list(files)
        Path(json_out).write_text(json.dumps(merged, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
