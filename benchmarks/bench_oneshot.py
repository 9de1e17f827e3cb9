"""One-shot (supernet) scoring against stand-alone proxy training: throughput, rank fidelity, end to end.

Three tables, each with ratios:

1. **Throughput** -- candidates judged per device-hour: supernet scoring (inherited weights, BN
   recalibrated, ``nas.oneshot.scoring``) vs stand-alone training on the short proxy (``default``:
   3 epochs on 2,000 images), and the one-off supernet training that scoring needs.
2. **Rank fidelity** -- ``--archs`` architectures sampled across the space with MACs spread over
   the band around T (B0 included). Each is scored on the supernet, trained on the short proxy,
   and trained with a longer recipe over ``--seeds`` seeds (the reference ranking). Spearman and
   Kendall tau of supernet vs long and short vs long, with the noise floor beside them: the
   long runs' std over seeds and the rank correlation between two seeds of the long run.
3. **End to end** (``--e2e-minutes M``) -- each strategy gets M minutes of wall time to pick an
   architecture by random search over in-band candidates (oneshot: supernet training included);
   the picks and B0 are then trained with the long recipe over ``--seeds`` seeds.

Sizes are flags; a reduced CPU version (4x cheaper networks with ``--stem-stride 2``)::

    python benchmarks/bench_oneshot.py --device cpu --threads 1 --stem-stride 2 --archs 8 --seeds 2 \\
        --supernet-epochs 4 --supernet-subset 4000 --supernet-batch 64 --long-subset 3000 \\
        --long-epochs 2 --throughput-scores 30 --e2e-minutes 10 --json-out oneshot_cpu.json

and the full one on a GPU::

    python benchmarks/bench_oneshot.py --device cuda --archs 24 --seeds 2 --supernet-epochs 20 \\
        --supernet-subset all --long-subset all --long-epochs 10 --e2e-minutes 10
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from scipy import stats  # noqa: E402

from nas.data.datasets import load_dataset  # noqa: E402
from nas.oneshot.families import DEFAULT_LAYOUT, LAYOUTS  # noqa: E402
from nas.oneshot.progressive import SCHEDULES  # noqa: E402
from nas.oneshot.sampling import random_arch  # noqa: E402
from nas.oneshot.scoring import Scorer  # noqa: E402
from nas.oneshot.store import SupernetStore  # noqa: E402
from nas.oneshot.training import supernet_settings, train_supernet  # noqa: E402
from nas.search.reward import Reward, parse_flops  # noqa: E402
from nas.training.device import describe_device, resolve_device, use_cpu_threads  # noqa: E402
from nas.training.device_data import prepare  # noqa: E402
from nas.training.proxy import DEFAULT_PROXY  # noqa: E402
from nas.training.trainer import evaluate  # noqa: E402
from search_spaces.codes import arch_code  # noqa: E402
from search_spaces.cost import count_cost  # noqa: E402
from search_spaces.space_yaml import load_space  # noqa: E402


def _subset(text: str) -> int | None:
    return None if text == "all" else int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--space", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--target", default="400M")
    p.add_argument(
        "--stem-stride", type=int, default=None, help="override the proxy's stem stride (2: 4x cheaper)"
    )
    p.add_argument("--archs", type=int, default=16)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--supernet-epochs", type=int, default=4)
    p.add_argument("--supernet-subset", type=_subset, default=2000)
    p.add_argument(
        "--supernet-batch", type=int, default=None, help="supernet batch size (default: the proxy's)"
    )
    p.add_argument(
        "--supernet-layout", choices=LAYOUTS, default=DEFAULT_LAYOUT, help="which blocks share weights"
    )
    p.add_argument(
        "--supernet-schedule", choices=SCHEDULES, default="sandwich", help="how steps choose candidates"
    )
    p.add_argument("--bn-batches", type=int, default=2)
    p.add_argument("--score-images", type=int, default=500)
    p.add_argument("--short-epochs", type=int, default=3)
    p.add_argument("--short-subset", type=_subset, default=2000)
    p.add_argument("--long-epochs", type=int, default=6)
    p.add_argument("--long-subset", type=_subset, default=8000)
    p.add_argument("--throughput-scores", type=int, default=50, help="candidates scored for table 1")
    p.add_argument("--e2e-minutes", type=float, default=0.0, help="table 3 budget per strategy (0: skip)")
    p.add_argument("--store", default="runs/supernets-bench", help="folder of the benchmark's supernets")
    p.add_argument("--json-out", default=None)
    p.add_argument(
        "--reuse-json",
        default=None,
        help="take the short and long stand-alone results of table 2 from this earlier --json-out "
        "(same recipe flags required): only the supernet column is measured again",
    )
    return p.parse_args(argv)


def sample_band(space, n: int, target: int, classes: int, channels: int, seed: int = 0) -> list:
    """B0 and ``n - 1`` random candidates with MACs in [0.5T, 1.5T], evenly spread over MACs."""
    rng = random.Random(seed)
    pool: dict[str, tuple[int, object]] = {}
    for _ in range(40 * n):
        arch = random_arch(space, rng)
        macs = count_cost(arch, classes, channels).macs
        if 0.5 * target <= macs <= 1.5 * target:
            pool.setdefault(arch_code(arch), (macs, arch))
    ordered = sorted(pool.values(), key=lambda item: item[0])
    picks = (
        [ordered[round(i * (len(ordered) - 1) / max(1, n - 2))][1] for i in range(n - 1)] if ordered else []
    )
    return [space.reference, *picks]


def corr(a: list[float], b: list[float]) -> tuple[float, float]:
    return float(stats.spearmanr(a, b).statistic), float(stats.kendalltau(a, b).statistic)


#: Flags that decide the stand-alone results of table 2; --reuse-json requires them equal.
RECIPE_FLAGS = (
    "dataset", "space", "target", "stem_stride", "archs", "seeds",
    "short_epochs", "short_subset", "long_epochs", "long_subset",
)  # fmt: skip


def reused_rows(args) -> dict[str, dict]:
    """arch code -> row of an earlier run's table 2 (empty without --reuse-json)."""
    if not args.reuse_json:
        return {}
    earlier = json.loads(Path(args.reuse_json).read_text())
    differ = [f for f in RECIPE_FLAGS if earlier["args"].get(f) != getattr(args, f)]
    if differ:
        raise SystemExit(f"--reuse-json: {args.reuse_json} was run with other {', '.join(differ)}")
    return {row["arch"]: row for row in earlier["rank"]["rows"]}


def rank_fidelity(args, space, data, short, long, scorer, reward, classes, channels) -> dict:
    archs = sample_band(space, args.archs, reward.target, classes, channels)
    earlier = reused_rows(args)
    rows = []
    for index, arch in enumerate(archs):
        macs = count_cost(arch, classes, channels).macs
        t = time.perf_counter()
        inherited = scorer.accuracy(arch)
        score_s = time.perf_counter() - t
        before = earlier.get(arch_code(arch))
        if before is not None:
            short_acc, short_s, longs = before["short"], before["short_s"], before["long"]
        else:
            s = evaluate(arch, data, short, device=args.device)
            short_acc, short_s = s.accuracy or 0.0, s.wall_s
            longs = [
                evaluate(arch, data, long, device=args.device, seed=seed).accuracy or 0.0
                for seed in range(args.seeds)
            ]
        row = dict(
            arch=arch_code(arch),
            macs=macs,
            supernet=inherited,
            score_s=score_s,
            short=short_acc,
            short_s=short_s,
            long=longs,
            long_mean=statistics.fmean(longs),
            long_std=statistics.stdev(longs) if len(longs) > 1 else 0.0,
        )
        rows.append(row)
        print(
            f"  [{index + 1}/{len(archs)}] {macs / 1e6:6.0f}M supernet {inherited:.3f} "
            f"short {row['short']:.3f} long {row['long_mean']:.3f}±{row['long_std']:.3f}",
            flush=True,
        )
    longm = [r["long_mean"] for r in rows]
    out = {
        "rows": rows,
        "supernet_vs_long": corr([r["supernet"] for r in rows], longm),
        "short_vs_long": corr([r["short"] for r in rows], longm),
        "noise_std": statistics.fmean(r["long_std"] for r in rows),
    }
    if args.seeds > 1:
        out["seed0_vs_seed1"] = corr([r["long"][0] for r in rows], [r["long"][1] for r in rows])
    return out


def pick_random(space, judge, seconds: float, reward, classes, channels, seed: int) -> tuple[object, int]:
    """Random search over in-band candidates for ``seconds``: (best arch by reward, candidates judged)."""
    rng, best, best_value, judged, end = (
        random.Random(seed),
        space.reference,
        -1.0,
        0,
        time.monotonic() + seconds,
    )
    while time.monotonic() < end:
        arch = space.reference if judged == 0 else random_arch(space, rng)
        macs = count_cost(arch, classes, channels).macs
        if not 0.5 * reward.target <= macs <= 1.5 * reward.target and judged:
            continue
        value = reward(judge(arch), macs) or 0.0
        judged += 1
        if value > best_value:
            best, best_value = arch, value
    return best, judged


def end_to_end(args, space, data, short, long, scorer, sn_wall: float, reward, classes, channels) -> dict:
    budget = args.e2e_minutes * 60
    picks = {
        "oneshot": pick_random(
            space, scorer.accuracy, max(0.0, budget - sn_wall), reward, classes, channels, 1
        ),
        "standalone": pick_random(
            space,
            lambda a: evaluate(a, data, short, device=args.device).accuracy or 0.0,
            budget,
            reward,
            classes,
            channels,
            1,
        ),
        "B0": (space.reference, 0),
    }
    out = {}
    for name, (arch, judged) in picks.items():
        macs = count_cost(arch, classes, channels).macs
        accs = [
            evaluate(arch, data, long, device=args.device, seed=s).accuracy or 0.0 for s in range(args.seeds)
        ]
        rewards = [reward(a, macs) or 0.0 for a in accs]
        out[name] = dict(
            arch=arch_code(arch),
            macs=macs,
            judged=judged,
            rewards=rewards,
            mean=statistics.fmean(rewards),
            std=statistics.stdev(rewards) if len(rewards) > 1 else 0.0,
        )
    return out


def print_tables(result: dict) -> None:
    t = result["throughput"]
    print("\n== 1. throughput (candidates per device-hour) ==")
    print(f"{'contender':<34}{'s/candidate':>12}{'per hour':>10}{'ratio':>8}")
    print(
        f"{'stand-alone, short proxy':<34}{t['standalone_s']:>12.2f}{t['standalone_per_h']:>10.0f}{1.0:>8.1f}"
    )
    print(f"{'supernet scoring':<34}{t['score_s']:>12.3f}{t['score_per_h']:>10.0f}{t['ratio']:>8.1f}")
    print(
        f"supernet training (once): {t['supernet_s']:.0f}s = "
        f"{t['supernet_in_standalone']:.1f} stand-alone candidates"
    )
    r = result["rank"]
    print(
        f"\n== 2. rank fidelity vs long stand-alone ({len(r['rows'])} archs, "
        f"mean of {result['seeds']} seeds) =="
    )
    print(f"{'judge':<28}{'Spearman':>10}{'Kendall':>10}")
    for key, label in (
        ("supernet_vs_long", "supernet (inherited)"),
        ("short_vs_long", "short stand-alone proxy"),
        ("seed0_vs_seed1", "long seed 0 vs seed 1"),
    ):
        if key in r:
            print(f"{label:<28}{r[key][0]:>10.3f}{r[key][1]:>10.3f}")
    print(f"noise floor: long runs' std over seeds {r['noise_std'] * 100:.2f} points (mean over archs)")
    if "e2e" in result:
        print(
            f"\n== 3. end to end, {result['e2e_minutes']:g} min per strategy "
            f"(long-recipe reward, {result['seeds']} seeds) =="
        )
        b0 = result["e2e"]["B0"]["mean"]
        for name, row in result["e2e"].items():
            print(
                f"{name:<12}{row['mean']:.4f} ± {row['std']:.4f}  vs B0 {row['mean'] / b0 - 1:+.2%}  "
                f"judged {row['judged']:>5}  {row['macs'] / 1e6:.0f}M  {row['arch']}"
            )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dev = resolve_device(args.device)
    use_cpu_threads(dev, args.threads)
    space = load_space(args.space)
    base = DEFAULT_PROXY.with_overrides(stem_stride=args.stem_stride)
    short = base.with_overrides(epochs=args.short_epochs, train_subset=args.short_subset)
    long = base.with_overrides(epochs=args.long_epochs, train_subset=args.long_subset)
    long = (
        long
        if args.long_subset is not None
        else base.with_overrides(epochs=args.long_epochs, train_subset=None)
    )
    data = load_dataset(args.dataset, args.data_dir, val_size=base.val_size, seed=base.seed)
    classes, channels = int(data.num_classes), int(data.in_channels)
    reward = Reward.make(parse_flops(args.target), "soft", None)
    settings = supernet_settings(
        space,
        args.dataset,
        data,
        base,
        epochs=args.supernet_epochs,
        train_subset=args.supernet_subset,
        batch_size=args.supernet_batch,
        layout=args.supernet_layout,
        schedule=args.supernet_schedule,
    )
    store = SupernetStore(
        Path(args.store)
        / f"{space.name}-s{args.stem_stride or 'p'}-e{args.supernet_epochs}-b{args.supernet_batch or 'p'}"
        f"-{args.supernet_layout}-{args.supernet_schedule}"
    )
    print(
        f"device {describe_device(dev)} · torch threads {torch.get_num_threads()} · space {space.name}",
        flush=True,
    )
    trained = train_supernet(
        space, data, settings, store, device=dev, on_epoch=lambda m: print("  supernet", m, flush=True)
    )
    sn_wall = sum(m["train_s"] for m in trained.history)
    sn_proxy = base.with_overrides(train_subset=args.supernet_subset)
    scorer = Scorer(trained.supernet, prepare(data, sn_proxy, dev), base, args.bn_batches, args.score_images)
    band = sample_band(space, args.throughput_scores, reward.target, classes, channels, seed=7)
    t = time.perf_counter()
    for arch in band:
        scorer.accuracy(arch)
    score_s = (time.perf_counter() - t) / max(1, len(band))
    alone = [evaluate(space.reference, data, short, device=args.device).wall_s for _ in range(1)]
    standalone_s = statistics.fmean(alone)
    result = {
        "device": describe_device(dev),
        "seeds": args.seeds,
        "args": vars(args),
        "supernet_history": trained.history,
        "throughput": dict(
            score_s=score_s,
            score_per_h=3600 / score_s,
            standalone_s=standalone_s,
            standalone_per_h=3600 / standalone_s,
            ratio=standalone_s / score_s,
            supernet_s=sn_wall,
            supernet_in_standalone=sn_wall / standalone_s,
        ),
    }
    print(f"throughput: score {score_s:.3f}s, stand-alone {standalone_s:.1f}s", flush=True)
    result["rank"] = rank_fidelity(args, space, data, short, long, scorer, reward, classes, channels)
    if args.e2e_minutes > 0:
        result["e2e_minutes"] = args.e2e_minutes
        result["e2e"] = end_to_end(args, space, data, short, long, scorer, sn_wall, reward, classes, channels)
    print_tables(result)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
