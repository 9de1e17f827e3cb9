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

The handler runs in steps: :func:`check_args` refuses every bad flag before anything is opened,
including an output folder that cannot be written and a study name that is not a safe folder name
(a search must never end unable to save its result); :func:`prepare` opens the storage and data
and builds the :class:`~nas.search.driver.SearchConfig`; :func:`search` runs it with the live
display; :func:`write_results` writes ``baseline.yaml`` and then ``report.html`` (the search's
composition with ``results``, which only ``commands`` may make).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commands import flags
from commands.baseline_checks import (
    DEFAULT_TIMEOUT_S,
    DEFAULT_TRIALS,
    Checked,
    check_args,
    resolve_budget,
)
from commands.baseline_compare import add_compare_flag
from commands.baseline_lines import best_line, no_result_line
from search_spaces.errors import UserError

if TYPE_CHECKING:
    import torch
    from rich.console import Console

    from nas.data.splits import Splits
    from nas.search.driver import SearchConfig, SearchOutcome
    from nas.training.proxy import ProxyConfig

NAME = "baseline"
HELP = "Search a MnasNet-style space for the best baseline at a FLOPs target (EfficientNet step 1)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _add_target_flags(parser.add_argument_group("target and reward"))
    _add_search_flags(parser.add_argument_group("search"))
    from commands.baseline_oneshot import add_arguments as add_oneshot_flags

    add_oneshot_flags(parser.add_argument_group("one-shot (supernet) search"))
    g = parser.add_argument_group("proxy training")
    flags.add_dataset(g)
    flags.add_proxy(g)
    flags.add_device(g, threads=True)
    flags.add_quiet(g)
    g = parser.add_argument_group("storage and output")
    flags.add_storage(g)
    flags.add_study(g, "baseline-<target>-<dataset>")
    flags.add_out_dir(g, "folder for <study>/baseline.yaml and <study>/report.html")
    flags.add_log_to(g)


def _add_target_flags(g: Any) -> None:
    g.add_argument("--target-flops", default="400M", help="FLOPs (multiply-adds) target T: 400M, 0.4G, 4e8")
    g.add_argument("--reward", choices=("soft", "hard"), default="soft", help="MnasNet reward constraint")
    g.add_argument(
        "--w",
        type=float,
        default=None,
        help="reward exponent " + flags.default("-0.07 soft, -1 above T for hard"),
    )
    g.add_argument(
        "--flops-band",
        default="0.5,1.5",
        help="LOW,HIGH: candidates with MACs outside LOW*T..HIGH*T are rejected untrained",
    )
    g.add_argument("--search-resolution", type=int, default=224, help="input size MACs are counted at")


def _add_search_flags(g: Any) -> None:
    g.add_argument(
        "--n-trials",
        type=int,
        default=None,
        help="trained candidates in the study, all runs and workers together (--compare's network is extra); "
        f"rejected and duplicate ones cost nothing and do not count {flags.default(str(DEFAULT_TRIALS))}",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="stop starting new candidates after this many seconds "
        + flags.default(f"none; {DEFAULT_TIMEOUT_S:g} when --n-trials is not given either"),
    )
    g.add_argument(
        "--sampler", choices=("tpe", "random", "rl", "nsga2"), default="tpe", help="search strategy"
    )
    g.add_argument(
        "--pruner",
        choices=("none", "median", "hyperband"),
        default=None,
        help="stop weak candidates early from their per-epoch reward "
        + flags.default("median; none for nsga2"),
    )
    flags.add_seed(g, 0, "sampler seed (training is seeded by the proxy)")
    g.add_argument(
        "--worker-id",
        type=int,
        default=None,
        help="index of this worker when several run one study: its sampler seed is seed+ID; see "
        "docs/cluster.md " + flags.default("0 on SQLite, derived from host and pid on a server storage"),
    )
    g.add_argument(
        "--space", default=None, help="search-space YAML " + flags.default("the packaged MnasNet space")
    )
    add_compare_flag(g)
    flags.add_top(g)


def cpu_threads(requested: int | None = None) -> int:
    """CPU training threads for ``--threads``: the rule lives in :func:`nas.training.device.cpu_threads`."""
    from nas.training.device import cpu_threads as rule

    return rule(requested)


@dataclass(frozen=True)
class Prepared:
    """What the search runs on: its config, the data, proxy and device, and the open storage."""

    config: SearchConfig
    data: Splits
    proxy: ProxyConfig
    device: torch.device
    storage: Any
    load_s: float
    quiet: bool = False
    #: runs/<study>/trials.jsonl: one JSON line per finished trial, appended as the run goes
    trial_log: Path | None = None
    #: runs/<study>/winner.pt: the best candidate's weights (commands/baseline_winner.py)
    winner: Path | None = None


def prepare(args: argparse.Namespace, checked: Checked) -> Prepared:
    """Load the space and proxy, pick the device, open the storage, load the data, build the config."""
    from nas.data.datasets import load_dataset
    from nas.data.fingerprint import fingerprint
    from nas.search.driver import SearchConfig
    from nas.search.objective import Band
    from nas.studies.liveness import worker_seed
    from nas.studies.storage import open_storage
    from nas.training.device import resolve_device, use_cpu_threads
    from nas.training.proxy import load_proxy
    from search_spaces.space_yaml import load_space

    space = load_space(args.space).with_resolution(args.search_resolution)
    proxy = load_proxy(args.proxy).with_overrides(epochs=args.epochs, train_subset=args.train_subset)
    device = resolve_device(args.device)
    use_cpu_threads(device, args.threads)
    storage = open_storage(checked.storage_url)
    loading = time.monotonic()
    data = load_dataset(args.dataset, args.data_dir, val_size=proxy.val_size, seed=proxy.seed)
    band = Band(*checked.band)
    band.check_reachable(space, checked.target, int(data.num_classes), int(data.in_channels))
    config = SearchConfig(
        target=checked.target,
        space=space,
        dataset=args.dataset,
        proxy=proxy,
        num_classes=int(data.num_classes),
        in_channels=int(data.in_channels),
        storage=checked.storage_url,
        study_name=checked.study_name,
        n_trials=checked.n_trials,
        timeout=checked.timeout,
        seed=worker_seed(args.seed, args.worker_id, checked.storage_url),
        sampler=args.sampler,
        pruner=checked.pruner,
        reward_kind=args.reward,
        w=args.w,
        search_resolution=args.search_resolution,
        band=band,
        data_fingerprint=fingerprint(args.dataset, data),
        compare=checked.compare,
    )
    return Prepared(
        config, data, proxy, device, storage, time.monotonic() - loading, args.quiet,
        checked.out_dir / "trials.jsonl", checked.out_dir / "winner.pt",
    )  # fmt: skip


def describe(console: Console, prep: Prepared, shown: str) -> None:
    """What is about to be searched, on what, judged how."""
    from nas.data.splits import val_images_used as used_val
    from nas.training.device import describe_device

    config, data, proxy = prep.config, prep.data, prep.proxy
    res = config.search_resolution
    subset = "all" if proxy.train_subset is None else f"{proxy.train_subset:,}"
    console.print(f"[bold]effsearch baseline[/bold] · study {config.study_name} in {shown}")
    console.print(f"data: {data.summary()} (loaded in {prep.load_s:.1f}s)")
    console.print(
        f"space: {config.space.name} ({config.space.size():.2e} architectures) · sampler {config.sampler} · "
        f"pruner {config.pruner} · budget {config.n_trials} trained candidates · compared with "
        + (config.compare.name if config.compare else "no network (--compare none)")
        + (f" · timeout {config.timeout:g}s" if config.timeout else "")
    )
    console.print(
        f"objective: {config.reward.describe()}; MACs outside {config.band.describe(config.target)} "
        "rejected untrained"
    )
    console.print(
        f"  MACs = conv+linear multiply-adds at {res}x{res}, "
        f"{data.in_channels} input channel(s), {data.num_classes} classes"
    )
    console.print(
        f"  accuracy = proxy '{proxy.name}' validation accuracy: {proxy.epochs} epoch(s) on {subset} "
        f"training images at {proxy.resolution}px, {used_val(data, proxy.val_size):,} validation images · "
        f"device {describe_device(prep.device)}"
    )


def search(
    console: Console, prep: Prepared, shown: str, evaluator: Any = None, tracking: Sequence[Any] = ()
) -> tuple[SearchOutcome, float]:
    """Run (or resume) the study with the live display; (outcome, seconds this run took).

    ``evaluator`` judges a candidate (default: stand-alone proxy training, keeping the best
    candidate's weights in ``prep.winner``: :mod:`commands.baseline_winner`)."""
    from nas.search.comparison import stored_comparison
    from nas.search.driver import open_study, run_search
    from nas.search.progress import LiveDisplay
    from nas.studies.records import counts_toward_budget
    from nas.studies.trial_log import TrialLog

    config, storage = prep.config, prep.storage
    study = open_study(config, storage)
    if evaluator is None:  # stand-alone training that keeps the best candidate's weights
        from commands.baseline_winner import WinnerKeeper

        evaluator = WinnerKeeper(prep, study, prep.winner)
    already = sum(1 for t in study.get_trials(deepcopy=False) if counts_toward_budget(t))
    compared = stored_comparison(study) is not None
    if already or compared:
        extra = " and its comparison network" if compared else ""
        console.print(f"resuming: the study already holds {already} trained candidate(s){extra}")
    started = time.monotonic()
    display = LiveDisplay(console, config, already, quiet=prep.quiet)
    try:
        with display:
            if already or compared:
                display.seed_from(study)
            logs = [*([TrialLog(prep.trial_log)] if prep.trial_log is not None else []), *tracking]
            outcome = run_search(
                config, evaluator, storage, on_event=display.on_event, callbacks=[display.on_trial, *logs]
            )
    except KeyboardInterrupt:
        console.print(f"interrupted: finished trials are saved in {shown}; rerun the same command to resume")
        raise
    return outcome, time.monotonic() - started


def summarise(console: Console, outcome: SearchOutcome, checked: Checked, top: int, elapsed: float) -> None:
    """Leaderboard, Pareto front, trial counts and why the run stopped."""
    from results.search_summary import (
        arch_lines,
        counts,
        leaderboard,
        leaderboard_rows,
        pareto_table,
        training_seconds,
    )

    console.print(leaderboard(outcome, checked.target, top))
    console.print(arch_lines(leaderboard_rows(outcome, top)), soft_wrap=True)
    front = pareto_table(outcome, checked.target)
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
    if outcome.trained < checked.n_trials and not outcome.stopped_for_free:
        console.print(
            f"{outcome.trained} of {checked.n_trials} candidates trained when the {checked.timeout:g}s "
            "timeout stopped this run; rerun the same command to continue the study"
        )
    if outcome.stopped_for_free:
        console.print("stopped: too many rejected/duplicate proposals; widen --flops-band or change --space")


def write_report(
    console: Console, storage_url: str, study_name: str, path: Path, inputs: Mapping[Path, str] | None = None
) -> None:
    """The HTML dashboard of the study: a convenience, so a failure is reported and the run stands."""
    from nas.studies.storage_url import mask_secrets
    from results.html import write_report as write_html

    try:
        console.print(f"wrote {write_html(storage_url, study_name, path, inputs=inputs)}")
    except UserError:
        raise
    except Exception as exc:  # the search result stands without the report
        console.print(f"report.html not written: {type(exc).__name__}: {mask_secrets(str(exc))}")


def write_results(
    console: Console, outcome: SearchOutcome, prep: Prepared, checked: Checked, shown: str
) -> int:
    """baseline.yaml and report.html of the best candidate; 1 when there is none yet."""
    from nas.search.baseline_file import write_baseline

    if outcome.best is None:
        console.print(no_result_line(outcome, checked))
        return 1
    from commands.baseline_winner import WINNER_FILE, winner_weights

    weights = winner_weights(str(outcome.best.user_attrs["arch_code"]), checked.out_dir / WINNER_FILE)
    out = checked.out_dir / "baseline.yaml"
    path = write_baseline(outcome, prep.config, out, shown, checked.inputs, weights=weights)
    console.print(best_line(outcome, checked.target))
    console.print(f"wrote {path}")
    console.print(
        f"weights of the winner: {weights}"
        if weights is not None
        else "weights of the winner: not kept "
        "(it was trained by an earlier run or another worker; `effsearch evaluate --arch "
        f"{path} --save FILE` trains them again)"
    )
    write_report(
        console, checked.storage_url, checked.study_name, checked.out_dir / "report.html", checked.inputs
    )
    console.print(
        f"resume or extend: rerun this command (e.g. --n-trials {checked.n_trials * 2}); "
        f"live dashboard: effsearch dashboard --storage {shown}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    import optuna
    from rich.console import Console

    from nas.studies.storage_url import mask_secrets

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if args.strategy == "oneshot":
        from commands.baseline_oneshot import run_oneshot

        return run_oneshot(args, sys.modules[__name__])
    checked = check_args(args)
    prep = prepare(args, checked)
    tracking = flags.log_to_callbacks(args, checked.out_dir, prep.config.multi_objective)
    shown = mask_secrets(checked.storage_url)
    console = Console(highlight=False)
    describe(console, prep, shown)
    outcome, elapsed = search(console, prep, shown, tracking=tracking)
    summarise(console, outcome, checked, args.top, elapsed)
    return write_results(console, outcome, prep, checked, shown)


__all__ = ["DEFAULT_TIMEOUT_S", "DEFAULT_TRIALS", "check_args", "cpu_threads", "resolve_budget", "run"]
