"""Many workers on one study: trials per minute with 1, 2 and 4 ``effsearch baseline`` workers.

The same small, real search each time: real Fashion-MNIST (Debian's ``dataset-fashion-mnist``), a
small three-stage space around a B0-like reference (kernel, expansion, SE, skip and layers
searched), a short proxy (2 epochs on 2,048 images at 16 px), the random sampler with a fixed
``--worker-id`` per worker, no pruning and no rejection band, so every trial is a real training.
Every worker is a separate ``python -m cli baseline`` process with one intra-op thread (as each
would own one GPU), all pointed at one study in a throwaway PostgreSQL server (started the way
``tests/conftest.py`` does it, a fresh database per worker count) with one global ``--n-trials``.

Run:  python benchmarks/bench_workers.py [--workers 1 2 4] [--trials 12] [--threads 1]

Prints, per worker count: trained trials (must equal --trials exactly: the global budget), wall
time (process start to last exit), search time (first trial start to last trial end, from the
storage: excludes interpreter start-up and data loading), trials per minute over the search time
and the speed-up against 1 worker. On a 2-core machine the speed-up is bounded by 2 (4 workers
share 2 cores); with one GPU per worker it grows with the number of GPUs.

Each worker is started in its own session: Linux's scheduler autogroups (``sched_autogroup``)
give all processes of one session a single share of the CPU, so workers started from one shell
on a busy machine would split one share between them instead of each getting one, as separate
jobs or machines do.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import optuna  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from tests.conftest import PostgresServer, _pg_bindir  # noqa: E402

SPACE = """
name: bench-workers
reference:
  resolution: 32
  stem: {channels: 16, kernel: 3, stride: 1}
  head: {channels: 64}
  dropout: 0.0
  drop_connect: 0.0
  stages:
    - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, out_channels: 16, layers: 1}
    - {op: mbconv, kernel: 3, stride: 2, expansion: 4, se_ratio: 0.25, out_channels: 24, layers: 1}
    - {op: mbconv, kernel: 5, stride: 2, expansion: 4, se_ratio: 0.25, out_channels: 40, layers: 1}
choices:
  kernel: [3, 5]
  expansion: [3, 4]
  se: [0, 0.25]
  skip: [identity, none]
  layers: [0, 1]
stages: {1: {expansion: [1]}}
"""
PROXY = """
epochs: 2
train_subset: 2048
val_size: 500
resolution: 16
batch_size: 64
augment: false
"""
STUDY = "bench-workers"


def command(folder: Path, storage: str, trials: int, worker: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cli",
        "baseline",
        "--dataset",
        "fashion-mnist",
        "--space",
        str(folder / "space.yaml"),
        "--proxy",
        str(folder / "proxy.yaml"),
        "--target-flops",
        "4M",
        "--search-resolution",
        "32",
        "--flops-band",
        "0,inf",
        "--sampler",
        "random",
        "--pruner",
        "none",
        "--device",
        "cpu",
        "--n-trials",
        str(trials),
        "--worker-id",
        str(worker),
        "--threads",
        str(threads),
        "--storage",
        storage,
        "--study",
        STUDY,
        "--out",
        str(folder / "runs"),
    ]


def is_trained(trial: optuna.trial.FrozenTrial) -> bool:
    reason = str(trial.user_attrs.get("reason", ""))
    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED) and not reason.startswith(
        ("rejected", "duplicate")
    )


def run(server: PostgresServer, folder: Path, workers: int, trials: int, threads: int) -> dict:
    storage = server.create_database()
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "EFFSEARCH_POLL_SECONDS": "0.5"}
    started = time.monotonic()
    logs = [(folder / f"w{workers}-{i}.log").open("w") for i in range(workers)]
    processes = [
        subprocess.Popen(
            command(folder, storage, trials, i, threads),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own scheduler autogroup, like a job on its own machine
        )
        for i, log in enumerate(logs)
    ]
    codes = [p.wait() for p in processes]
    wall = time.monotonic() - started
    if any(codes):
        tail = (folder / f"w{workers}-{codes.index(next(c for c in codes if c))}.log").read_text()[-3000:]
        raise SystemExit(f"a worker failed (exit codes {codes}):\n{tail}")
    rows = optuna.load_study(study_name=STUDY, storage=storage).get_trials()
    trained = [t for t in rows if is_trained(t)]
    first = min(t.datetime_start for t in trained)
    last = max(t.datetime_complete for t in trained)
    search = (last - first).total_seconds()
    training = sum(float(t.user_attrs.get("wall_s") or 0.0) for t in trained)
    return {
        "workers": workers,
        "trained": len(trained),
        "not_run": sum(1 for t in rows if str(t.user_attrs.get("reason", "")).startswith("not run")),
        "used": len({t.user_attrs.get("worker") for t in trained}),
        "wall": wall,
        "search": search,
        "per_min": len(trained) / search * 60,
        "train_per_trial": training / len(trained),
        # worker-seconds of the search span not spent training: start-up stagger, storage, waiting
        "overhead_per_trial": max(0.0, search * workers - training) / len(trained),
        "best": max(float(t.user_attrs["accuracy"]) for t in trained),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--trials", type=int, default=12, help="global budget of every run (default 12)")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per worker (default 1)")
    args = parser.parse_args()
    bindir = _pg_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer(bindir)
    server.start()
    print(
        f"{os.cpu_count()} CPU cores · {args.threads} thread(s) per worker · {args.trials} trials per run · "
        "Fashion-MNIST, 2 epochs x 2,048 images at 16 px · PostgreSQL on loopback",
        flush=True,
    )
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
            folder = Path(tmp)
            (folder / "space.yaml").write_text(SPACE)
            (folder / "proxy.yaml").write_text(PROXY)
            for workers in args.workers:
                result = run(server, folder, workers, args.trials, args.threads)
                results.append(result)
                print(
                    f"  {workers} worker(s): {result['trained']} trained in {result['search']:.1f}s "
                    f"(wall {result['wall']:.1f}s)",
                    flush=True,
                )
    finally:
        server.stop()
    base = results[0]["per_min"]
    print()
    print(
        "| workers | trained (budget) | not run | used | wall s | search s | train s/trial "
        "| other s/trial | trials/min | speed-up |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['workers']} | {r['trained']} ({args.trials}) | {r['not_run']} | {r['used']} | "
            f"{r['wall']:.1f} | {r['search']:.1f} | {r['train_per_trial']:.2f} | "
            f"{r['overhead_per_trial']:.2f} | {r['per_min']:.1f} | {r['per_min'] / base:.2f}x |"
        )
    print(
        "\ntrain s/trial: mean training wall time of one candidate (grows when workers outnumber free "
        "cores);\nother s/trial: worker time in the search span not spent training (start-up stagger, "
        "storage, waiting for the last trials)"
    )
    exact = all(r["trained"] == args.trials for r in results)
    print(f"\nglobal budget exact in every run: {'yes' if exact else 'NO'}")
    if not exact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
