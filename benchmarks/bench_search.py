"""Samplers side by side: tpe, random, rl (REINFORCE) and nsga2 on the same budget and seeds.

Objective: the real baseline-search driver (``nas.search.driver.run_search``: the MnasNet space, the exact
cost model at 224x224 with 10 classes and 1 input channel, the soft reward with T = 400M, the
0.5-1.5 x T rejection band, duplicate serving, B0 trained once as the ``--compare`` network
that no sampler learns from), with the proxy
trainer replaced by a **synthetic accuracy**: a deterministic function of the architecture (so it
costs microseconds instead of minutes). It is NOT a measured accuracy. It rewards what real
ConvNets tend to reward (capacity with diminishing returns, SE, MBConv expansion, 5x5 kernels in
the deep stages, identity skips, depth in the middle stages) plus a fixed per-architecture
jitter of +-0.3% (a hash of the architecture code) standing in for training noise.

Run:  python benchmarks/bench_search.py [--trials 100] [--seeds 0 1 2 3 4] [--samplers tpe random rl nsga2]

Prints the best reward found per sampler and seed (the reference B0 excluded), the mean, and the
ratio of each sampler's mean best reward to random's. The learning samplers are expected
to beat random on average.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optuna  # noqa: E402

from nas.search.driver import SearchConfig, run_search  # noqa: E402
from nas.search.objective import Band  # noqa: E402
from nas.training.trainer import EvalResult  # noqa: E402
from search_spaces.arch import ArchSpec  # noqa: E402
from search_spaces.codes import arch_code  # noqa: E402
from search_spaces.cost import count_cost  # noqa: E402
from search_spaces.space_yaml import load_space  # noqa: E402

TARGET = 400_000_000
CLASSES, CHANNELS = 10, 1


@dataclass(frozen=True)
class SyntheticProxy:
    """Stands in for nas.training.proxy.ProxyConfig: one 'epoch', no training."""

    epochs: int = 1

    def to_dict(self) -> dict:
        return {"kind": "synthetic-accuracy", "epochs": self.epochs}


def synthetic_accuracy(arch: ArchSpec) -> float:
    """Deterministic accuracy-like score in about [0.80, 0.95] (see the module docstring)."""
    cost = count_cost(arch, CLASSES, CHANNELS)
    acc = 0.80 + 0.06 * (1 - math.exp(-cost.params / 2.5e6))  # capacity, diminishing returns
    n = len(arch.stages)
    for index, stage in enumerate(arch.stages):
        deep = index >= n // 2
        if stage.se_ratio > 0:
            acc += 0.004
        if stage.op == "mbconv":
            acc += 0.003 * math.log2(stage.expansion)  # e6: +0.0078
        elif stage.op == "conv":
            acc -= 0.004
        else:  # dsconv
            acc -= 0.002
        if stage.kernel == 5:
            acc += 0.004 if deep else -0.002
        if stage.skip and stage.layers > 1:
            acc += 0.002
        if 2 <= index <= 4:
            acc += 0.002 * (stage.layers - stage.layers // 2)
    jitter = int(hashlib.sha256(arch_code(arch).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return min(0.999, acc + (jitter - 0.5) * 0.006)


def evaluator(arch: ArchSpec, on_epoch) -> EvalResult:
    accuracy = synthetic_accuracy(arch)
    on_epoch(1, accuracy)
    return EvalResult("ok", accuracy, (accuracy,), 1, 0.0, 0.0, "synthetic")


def run_one(sampler: str, seed: int, trials: int) -> tuple[float, float, int, int, float]:
    """(best reward without B0, B0 reward, trained, free, seconds) of one search."""
    from commands.baseline_compare import resolve_compare

    space = load_space()
    config = SearchConfig(
        target=TARGET,
        space=space.with_resolution(224),
        dataset="synthetic-accuracy",
        proxy=SyntheticProxy(),
        num_classes=CLASSES,
        in_channels=CHANNELS,
        storage="memory",
        study_name=f"bench-{sampler}-{seed}",
        n_trials=trials,
        seed=seed,
        sampler=sampler,
        pruner="none",
        band=Band(0.5, 1.5),
        compare=resolve_compare("b0", 224),
    )
    start = time.perf_counter()
    outcome = run_search(config, evaluator, optuna.storages.InMemoryStorage())
    seconds = time.perf_counter() - start
    candidates = [t for t in outcome.ranking if t.user_attrs.get("role") != "reference"]
    best = float(candidates[0].user_attrs["reward"]) if candidates else float("nan")
    b0 = float(outcome.reference.user_attrs["reward"]) if outcome.reference else float("nan")
    return best, b0, outcome.trained, outcome.free, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100, help="trained candidates per search (default 100)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--samplers", nargs="+", default=["tpe", "random", "rl", "nsga2"])
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.ERROR)

    print(
        "objective: real driver + exact cost model (224x224, 10 classes, 1 channel), soft reward "
        "T=400M, band 0.5-1.5xT;\n"
        "           accuracy = SYNTHETIC deterministic function of the architecture (not trained)"
    )
    print(f"budget: {args.trials} candidates per search (+ B0 as comparison), seeds {args.seeds}\n")
    results: dict[str, list[tuple[float, float, int, int, float]]] = {}
    for sampler in args.samplers:
        results[sampler] = [run_one(sampler, seed, args.trials) for seed in args.seeds]

    b0 = results[args.samplers[0]][0][1]
    print(f"B0 reward (synthetic): {b0:.4f}\n")
    header = f"{'sampler':8} " + " ".join(f"seed{s:<5}" for s in args.seeds)
    header += "  mean     std     vs B0     /random   rejected+dup  s/search"
    print(header)
    base = results.get("random")
    base_mean = statistics.mean(r[0] for r in base) if base else None
    for sampler, rows in results.items():
        bests = [r[0] for r in rows]
        mean = statistics.mean(bests)
        std = statistics.pstdev(bests)
        gain = mean - b0
        ratio = f"{mean / base_mean:8.4f}x" if base_mean else "      n/a"
        line = f"{sampler:8} " + " ".join(f"{b:.4f}   " for b in bests)
        line += f"  {mean:.4f}  {std:.4f}  {gain:+.4f}  {ratio}  {statistics.mean(r[3] for r in rows):12.1f}"
        line += f"  {statistics.mean(r[4] for r in rows):8.1f}"
        print(line)
    if base:
        rmean = statistics.mean(r[0] for r in base)
        verdict = {
            s: statistics.mean(r[0] for r in rows) > rmean for s, rows in results.items() if s != "random"
        }
        print(
            "\nbeats random on average: "
            + ", ".join(f"{s}: {'yes' if v else 'NO'}" for s, v in verdict.items())
        )
        return 0 if all(verdict.values()) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
