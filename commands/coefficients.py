"""``effsearch coefficients``: find alpha, beta, gamma for a baseline (EfficientNet step 1).

    effsearch coefficients --phi 1                                  # on B0, Fashion-MNIST, CPU-sized
    effsearch coefficients --base runs/baseline-400M-fashion-mnist/baseline.yaml --compare-single
    effsearch coefficients --max-candidates 12 --repeats 5 --proxy gpu --device cuda

Realises every kept (alpha, beta, gamma) of the constrained grid at phi, merges the points that
build the same network and judges the compound networks by their real MACs against
``2**phi x base`` (:mod:`scaling_search.realised`), trains them ``--repeats`` times
(:mod:`scaling_search.coefficient_search`), prints the table, the rule that decided and whether
the winner's lead beats the seed noise (:mod:`scaling_search.verdict`), and writes
``<out>/<study>/coefficients.yaml`` (:mod:`scaling_search.coefficient_output`), ``baseline.yaml``
and ``report.html``, so that::

    effsearch scale --phi 0-7 --base <out>/<study>/baseline.yaml \\
        --coefficients <out>/<study>/coefficients.yaml

gives the scaled family.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from commands import flags

NAME = "coefficients"
HELP = "Grid-search compound-scaling coefficients alpha, beta, gamma for a baseline (phi = 1)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from scaling_search.coefficient_config import DEFAULT_MAX_CANDIDATES, DEFAULT_REPEATS
    from scaling_search.grid import DEFAULT_STEP, DEFAULT_TOLERANCE
    from scaling_search.realised import DEFAULT_FLOPS_TOLERANCE

    parser.add_argument("--phi", type=float, default=1.0, help="phi the grid is judged at (paper: 1)")
    flags.add_arch(parser, "--base")
    parser.add_argument(
        "--grid-step", type=float, default=DEFAULT_STEP, help="grid step of alpha, beta, gamma"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help="nominal grid: keep |alpha*beta^2*gamma^2 - 2| <= this (the paper's point is 1.92)",
    )
    parser.add_argument(
        "--flops-tolerance",
        type=float,
        default=DEFAULT_FLOPS_TOLERANCE,
        help="judge networks whose realised MACs are within this fraction of 2^phi x base; with fewer "
        "than 2 inside, the soft reward ACC*(MACs/(2^phi*base))^-0.07 decides",
    )
    parser.add_argument(
        "--max-candidates",
        type=int,
        default=DEFAULT_MAX_CANDIDATES,
        help="train at most this many distinct compound networks, a deterministic spread subset",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=DEFAULT_REPEATS,
        help="train each candidate K times (seeds): mean and seed noise",
    )
    parser.add_argument(
        "--compare-single",
        action="store_true",
        help="also train width-only, depth-only and resolution-only scaling at the winner's MACs",
    )
    flags.add_dataset(parser)
    flags.add_proxy(parser)
    flags.add_device(parser, threads=True)
    flags.add_quiet(parser)
    flags.add_seed(parser, 0, "seed of the grid order and of training")
    flags.add_storage(parser)
    flags.add_study(parser, "coefficients-<base>-phi<phi>-<dataset>")
    flags.add_out_dir(parser, "folder for <study>/coefficients.yaml, baseline.yaml and report.html")


def results_folder(args: argparse.Namespace) -> tuple[str, Path]:
    """(study name, ``<out-dir>/<study>``): where this run writes, derived as :func:`_prepare` does."""
    from scaling_search.coefficient_output import default_study_name
    from scaling_search.inputs import load_base

    study = (
        args.study.strip()
        if args.study
        else default_study_name(load_base(args.base)[0], args.phi, args.dataset)
    )
    return study, Path(args.out) / study


def _prepare(args: argparse.Namespace) -> tuple[Any, Any]:
    """(training run, config): every flag checked and the grid realised before any training."""
    from nas.studies.storage import refuse_in_memory
    from scaling_search.coefficient_config import CoefficientConfig
    from scaling_search.coefficient_output import check_baseline_file, default_study_name
    from scaling_search.training_run import prepare

    refuse_in_memory(args.storage)  # before the data is read
    run = prepare(
        args.base, args.proxy, args.epochs, args.train_subset, args.device, args.dataset,
        args.data_dir, args.storage, args.study, args.out,
        lambda name: default_study_name(name, args.phi, args.dataset),
    )  # fmt: skip
    config = CoefficientConfig(
        run.base, args.phi, args.dataset, run.proxy, run.num_classes, run.in_channels, args.grid_step,
        args.tolerance, args.max_candidates, args.repeats, args.seed, args.flops_tolerance,
    )  # fmt: skip
    config.candidates()  # the grid realised once, here: a too-large phi is refused before training
    check_run_outputs(run, ("coefficients.yaml", "report.html"), args)
    check_baseline_file(run.out_dir / "baseline.yaml", run.base)
    return run, config


def run_inputs(run: Any, args: argparse.Namespace) -> Any:
    """The files a scaling run reads (storage, --base, --proxy): never written over (nas.files)."""
    from nas.files import inputs_of

    return inputs_of(run.storage_url, base=args.base, proxy=args.proxy)


def check_run_outputs(run: Any, names: tuple[str, ...], args: argparse.Namespace) -> None:
    """Study name and output files checked by the one rule of :mod:`nas.files`, before training."""
    from nas.files import check_output, check_outputs, check_study_name, inputs_of

    check_study_name(run.study_name)
    check_outputs(run.out_dir, names, inputs=run_inputs(run, args), flag="--out-dir")
    # baseline.yaml may be --base itself: it is then kept, not written (check_baseline_file)
    check_output(
        run.out_dir / "baseline.yaml", inputs=inputs_of(run.storage_url, proxy=args.proxy), flag="--out-dir"
    )


def write_report(
    console: Any, storage_url: str, study_name: str, path: Path, command: str, inputs: Any = None
) -> None:
    """The study's HTML dashboard; a failure is one line on stderr and the stored results stand."""
    from nas.studies.storage_url import mask_secrets
    from results.html import write_report as write_html
    from search_spaces.errors import UserError

    try:
        console.print(f"report: {write_html(storage_url, study_name, path, inputs=inputs)}", soft_wrap=True)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - the results are stored; a report problem must not hide them
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"effsearch {command}: report not written: {mask_secrets(first)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nas.studies.heartbeat import GRACE_PERIOD
    from nas.studies.storage import open_storage
    from nas.studies.storage_url import mask_secrets
    from nas.training.device import use_cpu_threads
    from results.coefficient_tables import candidates_table, comparison_table, summary_lines
    from scaling_search.coefficient_output import write_outputs
    from scaling_search.coefficient_search import run_coefficient_search
    from scaling_search.progress import Progress
    from search_spaces.errors import UserError

    job, config = _prepare(args)
    use_cpu_threads(job.device, args.threads)
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    storage, shown = open_storage(job.storage_url), mask_secrets(job.storage_url)
    console.print(
        f"coefficient search on {job.base_name} at phi={config.phi:g}: {config.dataset}, proxy "
        f"{job.proxy.name} ({job.proxy.epochs} epochs, {job.proxy.resolution}px x gamma^phi), "
        f"{config.repeats} repeat(s), device {job.device}, storage {shown}"
    )
    try:
        with flags.unless_quiet(
            args, lambda: Progress(console, int(job.proxy.epochs), config.repeats)
        ) as progress:
            outcome = run_coefficient_search(
                config, job.evaluator(), storage, job.study_name, compare_single=args.compare_single,
                on_event=progress,
            )  # fmt: skip
    except KeyboardInterrupt:
        console.print(f"interrupted: finished candidates are kept in study {job.study_name}; rerun to resume")
        raise
    console.print(candidates_table(outcome))
    for line in summary_lines(outcome):
        console.print(line)
    if outcome.running_elsewhere:
        console.print(
            f"{len(outcome.running_elsewhere)} candidate(s) are running in another process; rerun when "
            f"they finish (a killed run's trials go stale after {GRACE_PERIOD} s and are retried)"
        )
    if outcome.winner is None:
        raise UserError(f"no candidate of study {job.study_name!r} finished training; nothing to write")
    if outcome.singles:
        console.print(comparison_table(outcome))
    inputs = run_inputs(job, args)
    coeff_path, baseline_path, coeffs = write_outputs(outcome, job.out_dir, job.base_name, shown, inputs)
    established = outcome.verdict is not None and outcome.verdict.established
    title = "winner" if established else "leading (not established)"
    console.print(
        f"{title}: alpha={coeffs.alpha:g} beta={coeffs.beta:g} gamma={coeffs.gamma:g}; "
        f"{outcome.trained} training(s) this run, {outcome.wall_s:.0f} s"
    )
    console.print(f"wrote {coeff_path} and {baseline_path}", soft_wrap=True)
    console.print(f"scale it: effsearch scale --phi 0-7 --base {baseline_path} --coefficients {coeff_path}")
    write_report(console, job.storage_url, job.study_name, job.out_dir / "report.html", NAME, inputs)
    return 0
