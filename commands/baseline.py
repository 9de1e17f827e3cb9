"""``effsearch baseline``: MnasNet-style search for a baseline network at a FLOPs target.

The first half of EfficientNet (Tan & Le 2019, section 4): search the MnasNet space for the
network maximising ACC(m) * (FLOPS(m)/T)^w. ACC is the proxy's validation accuracy (see
``--proxy``, ``--epochs``, ``--train-subset``); FLOPS are the exact conv+linear multiply-adds at
``--search-resolution`` for the dataset's classes and input channels. Results go to an Optuna
study (``--storage``, ``--study``); rerunning the same command resumes it; the best network is
written to ``<out>/<study>/baseline.yaml`` for ``--base`` of the other commands.

Defaults finish in minutes on a 2-core CPU with real Fashion-MNIST: 10 trained candidates with
the trainer's ``default`` proxy (3 epochs on 2,000 images at 32 px) and, when neither
``--n-trials`` nor ``--timeout`` is given, no new candidate after 6 minutes (a busy machine ends
early; rerunning continues the study). The faithful setting on a GPU is e.g.
``--proxy gpu --n-trials 500 --device cuda`` (MnasNet trained ~8,000 candidates for 5 epochs).

After the search, ``<out>/<study>/report.html`` is written when the ``results`` package is
installed: it is imported at run time with importlib (imports point one way, results <- nas, so
nas never imports results statically) and silently skipped when absent.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import time
from pathlib import Path

from search_spaces.errors import UserError

NAME = "baseline"
HELP = "Search a MnasNet-style space for the best baseline at a FLOPs target (EfficientNet step 1)."

#: Trained candidates (B0 included) of the default run: about 5 minutes on 2 idle CPU cores.
DEFAULT_TRIALS = 10
#: Without --n-trials and --timeout, the run also starts no candidate after this many seconds, so
#: the README command ends within 10 minutes even on a busy 2-core machine (measured there: one
#: B0-size candidate of the default proxy takes 1-4 minutes at load ~7, about 30 s when idle).
DEFAULT_TIMEOUT_S = 360.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("target and reward")
    g.add_argument(
        "--target-flops",
        default="400M",
        help="FLOPs (multiply-adds) target T: 400M, 0.4G, 4e8 (default 400M)",
    )
    g.add_argument(
        "--reward", choices=("soft", "hard"), default="soft", help="MnasNet reward constraint (default soft)"
    )
    g.add_argument(
        "--w", type=float, default=None, help="reward exponent (default -0.07 soft, -1 above T for hard)"
    )
    g.add_argument(
        "--flops-band",
        default="0.5,1.5",
        help="LOW,HIGH: candidates with MACs outside LOW*T..HIGH*T are rejected untrained (default 0.5,1.5)",
    )
    g.add_argument(
        "--search-resolution", type=int, default=224, help="input size MACs are counted at (default 224)"
    )

    g = parser.add_argument_group("search")
    g.add_argument(
        "--n-trials",
        type=int,
        default=None,
        help="trained candidates in the study, B0 included, all runs and workers together "
        f"(default {DEFAULT_TRIALS}); rejected and duplicate candidates cost nothing and do not count",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="stop starting new candidates after this many seconds (default: none; "
        f"{DEFAULT_TIMEOUT_S:g} when --n-trials is not given either)",
    )
    g.add_argument(
        "--sampler",
        choices=("tpe", "random", "rl", "nsga2"),
        default="tpe",
        help="search strategy (default tpe)",
    )
    g.add_argument(
        "--pruner",
        choices=("none", "median", "hyperband"),
        default=None,
        help="stop weak candidates early from their per-epoch reward (default median; none for nsga2)",
    )
    g.add_argument("--seed", type=int, default=0, help="sampler seed (training is seeded by the proxy)")
    g.add_argument(
        "--worker-id",
        type=int,
        default=None,
        help="index of this worker when several run one study: its sampler seed is seed+ID "
        "(default: 0 on SQLite, derived from host and pid on a server storage); see docs/cluster.md",
    )
    g.add_argument("--space", default=None, help="search-space YAML (default: the packaged MnasNet space)")
    g.add_argument("--top", type=int, default=10, help="leaderboard rows (default 10)")

    g = parser.add_argument_group("proxy training")
    g.add_argument(
        "--dataset",
        default="fashion-mnist",
        help="fashion-mnist, cifar10, cifar100, imagefolder:PATH, synthetic",
    )
    g.add_argument("--data-dir", default=None, help="where the dataset is (default: system package, cache)")
    g.add_argument(
        "--proxy",
        default=None,
        help="proxy preset (default, gpu, long) or YAML file (default: default)",
    )
    g.add_argument("--epochs", type=int, default=None, help="override the proxy's epochs")
    g.add_argument("--train-subset", type=int, default=None, help="override the proxy's training images")
    g.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default auto)")
    g.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU training threads (default: the cores not already busy, at least 1)",
    )

    g = parser.add_argument_group("storage and output")
    g.add_argument("--storage", default=None, help="Optuna storage URL (default sqlite:///runs/effsearch.db)")
    g.add_argument("--study", default=None, help="study name (default baseline-<target>-<dataset>)")
    g.add_argument("--out", default="runs", help="folder for baseline.yaml and report.html (default runs/)")


def cpu_threads(requested: int | None = None) -> int:
    """Intra-op threads for CPU training: ``requested``, else the cores not already busy (>= 1).

    OpenMP threads wait for each other at every parallel region; on a CPU that other processes
    already keep busy, a descheduled thread stalls the rest. Measured on this project's 2-core
    machine at load ~7: B0 trained at 52 images/s with 1 thread and at 10 images/s with 2.
    An idle machine gets all its cores.
    """
    if requested is not None:
        return int(requested)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def resolve_budget(n_trials: int | None, timeout: float | None) -> tuple[int, float | None]:
    """(n_trials, timeout): the demo budget (DEFAULT_TRIALS or DEFAULT_TIMEOUT_S) when neither is given."""
    if n_trials is None and timeout is None:
        return DEFAULT_TRIALS, DEFAULT_TIMEOUT_S
    return (DEFAULT_TRIALS if n_trials is None else n_trials), timeout


def parse_band(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` multiples of the target; ``inf`` allowed for HIGH."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise UserError(f"--flops-band must be LOW,HIGH like 0.5,1.5, got {text!r}") from None
    if math.isnan(low) or math.isnan(high) or not (0 <= low <= 1 <= high):
        raise UserError(f"--flops-band needs 0 <= LOW <= 1 <= HIGH, got {text!r}")
    return low, high


def write_report(storage_url: str, study_name: str, path: Path) -> Path | None:
    """Call ``results.html.write_report`` when the results package is importable, else skip."""
    try:
        module = importlib.import_module("results.html")
    except ModuleNotFoundError:
        return None
    function = getattr(module, "write_report", None)
    if function is None:
        return None
    return Path(function(storage_url, study_name, path))


def run(args: argparse.Namespace) -> int:
    import optuna
    from rich.console import Console

    from nas.search.driver import SearchConfig, default_study_name, is_trained, run_search
    from nas.search.objective import Band
    from nas.search.reward import Reward, format_flops, parse_flops
    from nas.studies.liveness import worker_seed
    from nas.studies.storage import open_storage
    from nas.studies.storage_url import DEFAULT_STORAGE
    from nas.studies.storage_url import mask_secrets as mask_url
    from nas.training.proxy import load_proxy
    from search_spaces.space_yaml import load_space

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    target = parse_flops(args.target_flops)
    low, high = parse_band(args.flops_band)
    args.n_trials, args.timeout = resolve_budget(args.n_trials, args.timeout)
    if args.n_trials < 1:
        raise UserError(f"--n-trials must be at least 1, got {args.n_trials}")
    if args.timeout is not None and not args.timeout > 0:
        raise UserError(f"--timeout must be positive, got {args.timeout}")
    if args.worker_id is not None and args.worker_id < 0:
        raise UserError(f"--worker-id must be at least 0, got {args.worker_id}")
    if args.top < 1:
        raise UserError(f"--top must be at least 1, got {args.top}")
    if args.w is not None and not (math.isfinite(args.w) and args.w <= 0):
        raise UserError(f"--w must be a finite number <= 0, got {args.w}")
    if not 8 <= args.search_resolution <= 4096:
        raise UserError(f"--search-resolution must be within 8..4096, got {args.search_resolution}")
    pruner = args.pruner or ("none" if args.sampler == "nsga2" else "median")
    if args.sampler == "nsga2" and pruner != "none":
        raise UserError(
            "pruning needs a single objective; nsga2 searches two (accuracy, MACs): use --pruner none"
        )
    Reward.make(target, args.reward, args.w)  # validates
    space = load_space(args.space).with_resolution(args.search_resolution)
    proxy = load_proxy(args.proxy).with_overrides(epochs=args.epochs, train_subset=args.train_subset)

    from nas.training.device import describe_device, resolve_device

    device = resolve_device(args.device)
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    if device.type == "cpu":
        import torch

        torch.set_num_threads(cpu_threads(args.threads))
    storage_url = args.storage or DEFAULT_STORAGE
    storage = open_storage(storage_url)
    shown = mask_url(storage_url)
    console = Console(highlight=False)

    from nas.data.datasets import load_dataset
    from nas.training.trainer import evaluate

    loading = time.monotonic()
    data = load_dataset(args.dataset, args.data_dir, val_size=proxy.val_size, seed=proxy.seed)
    study_name = args.study or default_study_name(target, args.dataset, args.sampler)
    config = SearchConfig(
        target=target,
        space=space,
        dataset=args.dataset,
        proxy=proxy,
        num_classes=int(data.num_classes),
        in_channels=int(data.in_channels),
        storage=storage_url,
        study_name=study_name,
        n_trials=args.n_trials,
        timeout=args.timeout,
        seed=worker_seed(args.seed, args.worker_id, storage_url),
        sampler=args.sampler,
        pruner=pruner,
        reward_kind=args.reward,
        w=args.w,
        search_resolution=args.search_resolution,
        band=Band(low, high),
    )
    reward = config.reward
    subset = "all" if proxy.train_subset is None else f"{proxy.train_subset:,}"
    console.print(f"[bold]effsearch baseline[/bold] · study {study_name} in {shown}")
    console.print(f"data: {data.summary()} (loaded in {time.monotonic() - loading:.1f}s)")
    console.print(
        f"space: {space.name} ({space.size():.2e} architectures) · sampler {args.sampler} · "
        f"pruner {pruner} · budget {args.n_trials} trained candidates (B0 first)"
        + (f" · timeout {args.timeout:g}s" if args.timeout else "")
    )
    console.print(
        f"objective: {reward.describe()}; MACs outside {config.band.describe(target)} rejected untrained"
    )
    console.print(
        f"  MACs = conv+linear multiply-adds at {args.search_resolution}x{args.search_resolution}, "
        f"{data.in_channels} input channel(s), {data.num_classes} classes"
    )
    console.print(
        f"  accuracy = proxy '{proxy.name}' validation accuracy: {proxy.epochs} epoch(s) on {subset} "
        f"training images at {proxy.resolution}px, {proxy.val_size:,} validation images · "
        f"device {describe_device(device)}"
    )

    def evaluator(arch, on_epoch):  # type: ignore[no-untyped-def]
        return evaluate(arch, data, proxy, device=str(device), on_epoch=on_epoch)

    from nas.search.driver import open_study
    from nas.search.search_report import (
        LiveDisplay,
        arch_lines,
        counts,
        leaderboard,
        leaderboard_rows,
        pareto_table,
        training_seconds,
        write_baseline,
    )

    already = sum(1 for t in open_study(config, storage).get_trials(deepcopy=False) if is_trained(t))
    if already:
        console.print(f"resuming: the study already holds {already} trained candidate(s)")
    started = time.monotonic()
    display = LiveDisplay(console, config, already)
    try:
        with display:
            if already:
                display.seed_from(open_study(config, storage))
            outcome = run_search(
                config, evaluator, storage, on_event=display.on_event, callbacks=[display.on_trial]
            )
    except KeyboardInterrupt:
        console.print(f"interrupted: finished trials are saved in {shown}; rerun the same command to resume")
        raise
    elapsed = time.monotonic() - started

    console.print(leaderboard(outcome, target, args.top))
    console.print(arch_lines(leaderboard_rows(outcome, args.top)), soft_wrap=True)
    front = pareto_table(outcome, target)
    if front is not None:
        console.print(front)
    n = counts(outcome)
    train_s = training_seconds(outcome)
    per_hour = n["trained"] / train_s * 3600 if train_s > 0 else float("nan")
    console.print(
        f"trials: {n['total']} · trained {n['trained']} ({n['complete']} complete, {n['pruned']} pruned, "
        f"{n['failed']} failed) · rejected {n['rejected']} · duplicates {n['duplicates']} · "
        f"this run {elapsed:.0f}s · training {train_s:.0f}s in all "
        f"({per_hour:.0f} candidates per device-hour)"
    )
    if outcome.trained < args.n_trials and not outcome.stopped_for_free:
        console.print(
            f"{outcome.trained} of {args.n_trials} candidates trained when the {args.timeout:g}s timeout "
            "stopped this run; rerun the same command to continue the study"
        )
    if outcome.stopped_for_free:
        console.print("stopped: too many rejected/duplicate proposals; widen --flops-band or change --space")
    best = outcome.best
    if best is None:
        console.print(
            "no trained candidate inside the band yet; rerun the same command to resume"
            + (" (the timeout stopped this run)" if args.timeout else "")
        )
        return 1
    out_dir = Path(args.out) / study_name
    path = write_baseline(outcome, config, out_dir / "baseline.yaml", shown)
    a = best.user_attrs
    reference = outcome.reference
    versus = ""
    if reference is not None:
        b0 = float(reference.user_attrs["reward"])
        versus = f" vs B0 {b0:.4f} ({a['reward'] / b0 - 1:+.2%})"
        if reference.number == best.number:
            versus += ": no candidate beat B0 yet (more trials or a longer proxy may)"
    console.print(
        f"best: trial {best.number} reward {a['reward']:.4f}{versus}; accuracy {a['accuracy']:.4f}, "
        f"MACs {format_flops(int(a['macs']))} ({a['macs'] / target:.2f}xT), params {a['params'] / 1e6:.2f}M"
    )
    console.print(f"wrote {path}")
    try:
        report = write_report(storage_url, study_name, out_dir / "report.html")
    except UserError:
        raise
    except Exception as exc:  # the report is a convenience: the search result stands without it
        console.print(f"report.html not written: {type(exc).__name__}: {mask_url(str(exc))}")
        report = None
    if report is not None:
        console.print(f"wrote {report}")
    console.print(
        f"resume or extend: rerun this command (e.g. --n-trials {args.n_trials * 2}); "
        f"live dashboard: effsearch dashboard --storage {shown}"
    )
    return 0
