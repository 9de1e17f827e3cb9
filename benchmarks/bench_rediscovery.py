"""Does the baseline search rediscover something like EfficientNet-B0?

EfficientNet's B0 came out of a MnasNet search at T = 400M FLOPs (Tan & Le 2019, section 4). This
runs ``effsearch baseline`` the way a user would (the packaged MnasNet space, whose reference is
MobileNetV2; the default stand-alone strategy; the trainer's ``default`` proxy on Fashion-MNIST;
TPE; ``--compare b0``), then puts the winner next to B0:

1. per stage, the winner's choices beside B0's (Table 1) and how many stages agree on each
   dimension: op, kernel, expansion, SE, skip, filters, layers;
2. rewards under the same proxy: the winner, B0 and MobileNetV2 widened to about T (the space's
   reference, scaled by width with ``scaling_search.resize.scale_arch`` and the released rounding;
   its realised MACs are printed), each trained with ``--seeds`` seeds (the search's own seed and
   the next ones), so the seed-to-seed spread says whether a gap is "within noise" (difference of
   means under two standard errors of that difference, as ``nas.search.promotion`` judges it).

The defaults (8 candidates, 3 epochs on 2,000 images at 32 px, 2 seeds) take about 10 minutes on
2 idle CPU cores; 18 minutes were measured on a shared, busy 2-core machine
(``benchmarks/results/rediscovery_cpu.txt``). A larger run, e.g. on a GPU::

    python benchmarks/bench_rediscovery.py --device cuda --proxy gpu --n-trials 100 --seeds 3

Run:  python benchmarks/bench_rediscovery.py [--n-trials 8] [--seeds 2] [--json-out FILE]
      python benchmarks/bench_rediscovery.py --replay FILE   # print a saved report again
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET = "400M"
DIMENSIONS = ("op", "kernel", "expansion", "se", "skip", "filters", "layers")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-trials", type=int, default=8, help="trained candidates of the search (default 8)")
    p.add_argument("--seeds", type=int, default=2, help="training seeds per compared network (default 2)")
    p.add_argument("--seed", type=int, default=0, help="the search's sampler seed (default 0)")
    p.add_argument("--proxy", default="default", help="proxy preset or YAML (default: default)")
    p.add_argument("--epochs", type=int, default=None, help="override the proxy's epochs")
    p.add_argument("--train-subset", type=int, default=None, help="override the proxy's training images")
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--work-dir", default="/tmp/effsearch_rediscovery", help="storage and runs folder")
    p.add_argument("--json-out", default=None)
    p.add_argument("--replay", default=None, help="print the report of a --json-out file again (no training)")
    return p.parse_args(argv)


def run_search(args: argparse.Namespace, work: Path) -> str:
    """``effsearch baseline`` itself; returns the storage URL of study ``rediscovery``."""
    import cli

    storage = f"sqlite:///{work}/rediscovery.db"
    argv = ["baseline", "--target-flops", TARGET, "--n-trials", str(args.n_trials), "--proxy", args.proxy]
    argv += [
        "--dataset",
        args.dataset,
        "--device",
        args.device,
        "--storage",
        storage,
        "--study",
        "rediscovery",
    ]
    argv += ["--out", str(work / "runs"), "--seed", str(args.seed), "--compare", "b0", "--quiet"]
    for flag, value in (("--epochs", args.epochs), ("--train-subset", args.train_subset)):
        argv += [flag, str(value)] if value is not None else []
    argv += ["--data-dir", args.data_dir] if args.data_dir else []
    argv += ["--threads", str(args.threads)] if args.threads else []
    code = cli.main(argv)
    if code != 0:
        raise SystemExit(f"the search ended with exit code {code}")
    return storage


def stage_row(stage: Any) -> dict[str, Any]:
    return {
        "op": stage.op,
        "kernel": stage.kernel,
        "expansion": stage.expansion,
        "se": stage.se_ratio > 0,
        "skip": stage.shortcut if stage.skip else "none",
        "filters": stage.out_channels,
        "layers": stage.layers,
    }


def agreement(winner: Any, b0: Any) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per-stage choices side by side and, per dimension, how many stages agree."""
    rows, agree = [], dict.fromkeys(DIMENSIONS, 0)
    for i, (w, b) in enumerate(zip(winner.stages, b0.stages, strict=False), start=1):
        ws, bs = stage_row(w), stage_row(b)
        for dim in DIMENSIONS:
            agree[dim] += ws[dim] == bs[dim]
        rows.append({"stage": i, "winner": ws, "b0": bs})
    return rows, agree


def mobilenetv2_at_target(target: int, classes: int, channels: int) -> tuple[Any, float, int]:
    """MobileNetV2 widened (released rounding) to the width whose MACs come closest to ``target``."""
    from scaling_search.resize import scale_arch
    from search_spaces.cost import count_cost
    from search_spaces.references import reference_arch

    base = reference_arch("mobilenetv2")
    assert base is not None
    best: tuple[float, Any, float, int] | None = None
    for step in range(0, 81):
        width = 1.0 + step * 0.01
        arch = scale_arch(base, width, 1.0, base.resolution)
        macs = count_cost(arch, classes, channels).macs
        gap = abs(math.log(macs / target))
        if best is None or gap < best[0]:
            best = (gap, arch, width, macs)
    assert best is not None
    return best[1], best[2], best[3]


def seeded_accuracies(
    arch: Any, seeds: list[int], recorded: dict[int, float], env: dict[str, Any]
) -> list[float]:
    """Accuracy of ``arch`` per seed under the proxy (seeds already in the study are reused)."""
    from nas.training.trainer import evaluate

    out = []
    for seed in seeds:
        if seed in recorded:
            out.append(recorded[seed])
            continue
        result = evaluate(arch, env["data"], env["proxy"], device=env["device"], seed=seed)
        out.append(
            float(result.accuracy) if result.status == "ok" and result.accuracy is not None else math.nan
        )
    return out


def summary(name: str, macs: int, accs: list[float], reward: Any) -> dict[str, Any]:
    rewards = [reward(a, macs) for a in accs]
    return {
        "name": name,
        "macs": macs,
        "accuracies": accs,
        "rewards": rewards,
        "mean_reward": statistics.fmean(rewards),
        "std_reward": statistics.stdev(rewards) if len(rewards) > 1 else 0.0,
    }


def within_noise(a: dict[str, Any], b: dict[str, Any]) -> bool:
    se = math.sqrt(a["std_reward"] ** 2 / len(a["rewards"]) + b["std_reward"] ** 2 / len(b["rewards"]))
    return abs(a["mean_reward"] - b["mean_reward"]) < 2 * se


def main(argv: list[str] | None = None) -> int:
    import optuna

    from nas.data.datasets import load_dataset
    from nas.search.driver import ranked, reference_trial
    from nas.search.reward import Reward, format_flops, parse_flops
    from nas.training.device import use_cpu_threads
    from nas.training.proxy import load_proxy
    from scaling_search.official import official_arch
    from search_spaces.codes import arch_from_code

    args = parse_args(argv)
    if args.replay:
        return replay(Path(args.replay))
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    storage = run_search(args, work)
    search_s = time.monotonic() - started
    study = optuna.load_study(study_name="rediscovery", storage=storage)
    ranking, ref = ranked(study), reference_trial(study)
    if not ranking or ref is None:
        raise SystemExit("no ranked candidate or no B0 comparison in the study")
    best = ranking[0]
    winner = arch_from_code(best.user_attrs["arch_code"])
    b0 = official_arch(0)

    import torch

    proxy = load_proxy(args.proxy).with_overrides(epochs=args.epochs, train_subset=args.train_subset)
    use_cpu_threads(torch.device(args.device), args.threads)
    data = load_dataset(args.dataset, args.data_dir, val_size=proxy.val_size, seed=proxy.seed)
    classes, channels = int(data.num_classes), int(data.in_channels)
    env = {"data": data, "proxy": proxy, "device": args.device}
    target = parse_flops(TARGET)
    reward = Reward.make(target)
    seeds = [proxy.seed + i for i in range(args.seeds)]
    mnv2, width, mnv2_macs = mobilenetv2_at_target(target, classes, channels)
    first = proxy.seed  # the seed the search trained with: its runs are reused
    winner_accs = seeded_accuracies(winner, seeds, {first: best.user_attrs["accuracy"]}, env)
    b0_accs = seeded_accuracies(b0, seeds, {first: ref.user_attrs["accuracy"]}, env)
    rows = [
        summary("winner", int(best.user_attrs["macs"]), winner_accs, reward),
        summary("B0", int(ref.user_attrs["macs"]), b0_accs, reward),
        summary(
            f"MobileNetV2 x{width:.2f} width", mnv2_macs, seeded_accuracies(mnv2, seeds, {}, env), reward
        ),
    ]
    stages, agree = agreement(winner, b0)
    report = {
        "args": vars(args),
        "seeds": seeds,
        "search_s": search_s,
        "total_s": time.monotonic() - started,
        "winner_trial": best.number,
        "winner_code": best.user_attrs["arch_code"],
        "stages": stages,
        "agreement": agree,
        "rows": rows,
        "winner_vs_b0_within_noise": within_noise(rows[0], rows[1]),
        "winner_vs_mobilenetv2_within_noise": within_noise(rows[0], rows[2]),
    }
    print_report(report, format_flops, len(b0.stages))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0


def replay(path: Path) -> int:
    """Print a saved report again, its per-stage agreement recomputed from the winner's code."""
    from nas.search.reward import format_flops
    from scaling_search.official import official_arch
    from search_spaces.codes import arch_from_code

    report = json.loads(path.read_text())
    b0 = official_arch(0)
    report["stages"], report["agreement"] = agreement(arch_from_code(report["winner_code"]), b0)
    print_report(report, format_flops, len(b0.stages))
    return 0


def print_report(report: dict[str, Any], format_flops: Any, n_stages: int) -> None:
    a = report["args"]
    epochs, subset = a["epochs"] or "preset", a["train_subset"] or "preset"
    print(
        f"rediscovery: {a['n_trials']} trained candidates, proxy {a['proxy']} (epochs {epochs}, subset "
        f"{subset}), {a['dataset']}, T = {TARGET}, sampler tpe seed {a['seed']}, device {a['device']}; "
        f"search {report['search_s']:.0f}s, all {report['total_s']:.0f}s"
    )
    print(f"winner: trial {report['winner_trial']}  {report['winner_code']}")
    print("\nper stage (winner | B0):")
    print(f"{'stage':>5}  " + "  ".join(f"{d:>19}" for d in DIMENSIONS))
    for row in report["stages"]:
        cells = [f"{row['winner'][d]!s:>8} | {row['b0'][d]!s:<8}" for d in DIMENSIONS]
        print(f"{row['stage']:>5}  " + "  ".join(f"{c:>19}" for c in cells))
    agree = report["agreement"]
    print("agree  " + "  ".join(f"{agree[d]:>16}/{n_stages}" for d in DIMENSIONS))
    seeds = ", ".join(str(s) for s in report["seeds"])
    print(f"\nsame proxy, training seeds {seeds} (reward = accuracy x (MACs/T)^-0.07):")
    print(f"{'network':<28} {'MACs':>9} {'accuracy per seed':>24} {'reward mean ± std':>20}")
    for row in report["rows"]:
        accs = " ".join(f"{x:.4f}" for x in row["accuracies"])
        print(
            f"{row['name']:<28} {format_flops(row['macs']):>9} {accs:>24} "
            f"{row['mean_reward']:.4f} ± {row['std_reward']:.4f}"
        )
    for other in ("B0", "MobileNetV2"):
        close = report[f"winner_vs_{other.lower()}_within_noise"]
        verdict = "within noise (gap < 2 standard errors)" if close else "a gap beyond the seeds' spread"
        print(f"winner vs {other}: {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
