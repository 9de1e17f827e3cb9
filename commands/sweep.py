"""``effsearch sweep``: the paper's scaling experiments (Figures 3 and 4) on your data and proxy.

    effsearch sweep                                       # Figure 3: width, depth, resolution of B0
    effsearch sweep --dimension width --values 1,1.4 --base b0
    effsearch sweep --dimension figure4                   # width at d, r in {1, 2} x {1, 1.3}
    effsearch sweep --dimension depth --base runs/<study>/baseline.yaml --format csv

Trains every network of the sweep (:mod:`scaling_search.sweep`) in a resumable study
(:mod:`scaling_search.sweep_study`), prints accuracy against MACs per series (table, CSV or JSON),
writes ``<out>/<study>/sweep.csv`` and ``report.html``, whose charts read like the paper's
figures (log-scale MACs axis, one line per series).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from commands import flags

NAME = "sweep"
HELP = "Scale one dimension (Figure 3) or width at several depth/resolution (Figure 4) and train each."
COLUMNS = ("series", "width", "depth", "resolution", "blocks", "macs", "macs_ratio", "params", "accuracy")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dimension",
        default="all",
        help="width, depth, resolution, all (Figure 3: the three) "
        "or figure4 (width at d, r in {1,2} x {1,1.3})",
    )
    parser.add_argument(
        "--values",
        default=None,
        help="comma-separated multipliers of the base "
        + flags.default("width 1..2.6, depth 1..8, resolution 1..2.5"),
    )
    flags.add_arch(parser, "--base")
    parser.add_argument(
        "--repeats", type=int, default=1, help="train each network K times (seeds), report mean"
    )
    flags.add_dataset(parser)
    flags.add_proxy(parser)
    flags.add_device(parser, threads=True)
    flags.add_quiet(parser)
    flags.add_seed(parser, 0, "seed of training")
    flags.add_storage(parser)
    flags.add_study(parser, "sweep-<base>-<dimension>-<dataset>")
    flags.add_out_dir(parser, "folder for <study>/sweep.csv and <study>/report.html")
    flags.add_format(parser, ("table", "csv", "json"))


def default_study_name(args: argparse.Namespace, base_name: str) -> str:
    """``sweep-<base>-<dimension>-<dataset>``: the study when ``--study`` is not given."""
    from nas.search.settings import dataset_slug

    return f"sweep-{base_name}-{args.dimension}-{dataset_slug(args.dataset)}"


def results_folder(args: argparse.Namespace) -> tuple[str, Path]:
    """(study name, ``<out-dir>/<study>``): where this run writes, derived as :func:`_prepare` does."""
    from scaling_search.inputs import load_base

    study = args.study.strip() if args.study else default_study_name(args, load_base(args.base)[0])
    return study, Path(args.out) / study


def _prepare(args: argparse.Namespace) -> tuple[Any, Any]:
    """(training run, config): flags checked, data read and every network sized before training."""
    from commands.coefficients import run_inputs
    from nas.files import check_outputs, check_study_name
    from nas.studies.storage import refuse_in_memory
    from scaling_search.sweep import SweepConfig, parse_values
    from scaling_search.training_run import check_counts, prepare

    values = parse_values(args.values, args.dimension)
    check_counts(args.epochs, args.train_subset, args.study)
    refuse_in_memory(args.storage)  # before the data is read
    run = prepare(
        args.base, args.proxy, args.epochs, args.train_subset, args.device, args.dataset,
        args.data_dir, args.storage, args.study, args.out, lambda name: default_study_name(args, name),
    )  # fmt: skip
    config = SweepConfig(
        run.base, args.dimension, values, args.dataset, run.proxy, run.num_classes, run.in_channels,
        args.repeats, args.seed,
    )  # fmt: skip
    config.points()  # sizes checked (a network too large to train is refused here)
    check_study_name(run.study_name)
    check_outputs(run.out_dir, ("sweep.csv", "report.html"), inputs=run_inputs(run, args), flag="--out-dir")
    return run, config


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """The rows as a table, CSV or JSON text."""
    import csv
    import io
    import json

    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    from rich.console import Console
    from rich.table import Table

    from results.formatting import number
    from scaling_search.progress import size

    table = Table(title="accuracy against MACs per series (EfficientNet Figure 3/4)", title_justify="left")
    for header in ("series", "w", "d", "r", "res", "blocks", "MACs", "MACs/base", "params", "accuracy"):
        table.add_column(header, justify="right")
    for row in rows:
        acc = number(row["accuracy"], ".4f") if row["trial"] is not None else "-"
        if row["accuracy_std"]:
            acc += f" ± {row['accuracy_std']:.4f}"
        table.add_row(
            row["series"], f"{row['width']:g}", f"{row['depth']:g}", f"{row['resolution_multiplier']:g}",
            str(row["train_resolution"]), str(row["blocks"]), size(row["macs"]),
            f"{row['macs_ratio']:.2f}", size(row["params"]), acc,
        )  # fmt: skip
    console = Console(record=True, width=160, file=io.StringIO(), color_system=None)
    console.print(table)
    return console.export_text()


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from commands.coefficients import run_inputs, write_report
    from nas.files import write_atomic
    from nas.studies.storage import open_storage
    from nas.studies.storage_url import mask_secrets
    from nas.training.device import use_cpu_threads
    from scaling_search.progress import Progress
    from scaling_search.sweep_study import rows, run_sweep

    job, config = _prepare(args)
    use_cpu_threads(job.device, args.threads)
    console = Console(highlight=False, soft_wrap=True, file=sys.stderr if args.format != "table" else None)
    storage = open_storage(job.storage_url)
    console.print(
        f"sweep {config.dimension} of {job.base_name}: {len(config.points())} network(s), {config.dataset}, "
        f"proxy {job.proxy.name} ({job.proxy.epochs} epochs), device {job.device}, "
        f"storage {mask_secrets(job.storage_url)}"
    )
    try:
        display = lambda: Progress(console, int(job.proxy.epochs), config.repeats, "network(s)")  # noqa: E731
        with flags.unless_quiet(args, display) as progress:
            outcome = run_sweep(config, job.evaluator(), storage, job.study_name, on_event=progress)
    except KeyboardInterrupt:
        console.print(f"interrupted: finished networks are kept in study {job.study_name}; rerun to resume")
        raise
    table = rows(outcome)
    sys.stdout.write(render(table, args.format))
    inputs = run_inputs(job, args)
    path = write_atomic(job.out_dir / "sweep.csv", render(table, "csv"), inputs=inputs, flag="--out-dir")
    console.print(f"{outcome.trained} training(s) this run, {outcome.wall_s:.0f} s; wrote {path}")
    write_report(console, job.storage_url, job.study_name, job.out_dir / "report.html", NAME, inputs)
    return 0
