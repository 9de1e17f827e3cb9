"""``effsearch coefficients``: find alpha, beta, gamma for a baseline (EfficientNet step 1).

    effsearch coefficients --phi 1                                  # on B0, Fashion-MNIST, CPU-sized
    effsearch coefficients --base runs/baseline-400M-fashion-mnist/baseline.yaml --compare-single
    effsearch coefficients --max-candidates 12 --repeats 3 --proxy gpu --device cuda

Trains the baseline scaled by every kept (alpha, beta, gamma) of the constrained grid at phi
(:mod:`scaling_search.coefficient_search`), prints the candidates as a table, writes
``<out>/<study>/coefficients.yaml`` (the winner, the base it belongs to, the proxy and the
evidence) and ``<out>/<study>/baseline.yaml`` (the base), so that::

    effsearch scale --phi 0-7 --base <out>/<study>/baseline.yaml \\
        --coefficients <out>/<study>/coefficients.yaml

gives the scaled family. At the end, ``<out>/<study>/report.html`` is written by
``results.html.write_report`` when the ``results`` package is importable. Imports point one way
(search_spaces <- nas <- scaling_search <- results), so this module imports ``results`` lazily
with :func:`importlib.import_module` at run time and never at import time.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path
from typing import Any

NAME = "coefficients"
HELP = "Grid-search compound-scaling coefficients alpha, beta, gamma for a baseline (phi = 1)."

#: Largest phi the coefficient search trains at: every candidate is ~2**phi x the base, trained.
MAX_SEARCH_PHI = 4.0
DEFAULT_MAX_CANDIDATES = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from scaling_search.grid import DEFAULT_STEP, DEFAULT_TOLERANCE

    parser.add_argument("--phi", type=float, default=1.0, help="phi the grid is judged at (paper: 1)")
    parser.add_argument(
        "--base",
        default="b0",
        help="baseline: b0..b7 or an architecture YAML (e.g. runs/<study>/baseline.yaml)",
    )
    parser.add_argument(
        "--grid-step",
        type=float,
        default=DEFAULT_STEP,
        help=f"grid step of alpha, beta, gamma ({DEFAULT_STEP})",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"keep |alpha*beta^2*gamma^2 - 2| <= this ({DEFAULT_TOLERANCE}; the paper's point is 1.92)",
    )
    parser.add_argument(
        "--max-candidates",
        type=int,
        default=DEFAULT_MAX_CANDIDATES,
        help=f"train at most this many grid points, a deterministic spread subset ({DEFAULT_MAX_CANDIDATES})",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="train each candidate K times (seeds), report mean"
    )
    parser.add_argument(
        "--compare-single",
        action="store_true",
        help="also train width-only, depth-only and resolution-only scaling at the winner's MACs",
    )
    parser.add_argument(
        "--dataset", default="fashion-mnist", help="fashion-mnist, cifar10, cifar100, imagefolder:PATH"
    )
    parser.add_argument("--data-dir", help="where the dataset files are (default: the usual places)")
    parser.add_argument("--proxy", help="proxy preset (default, gpu, long) or YAML file (default: default)")
    parser.add_argument("--epochs", type=int, help="override the proxy's epochs")
    parser.add_argument("--train-subset", type=int, help="override the proxy's training subset size")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--seed", type=int, default=0, help="seed of the grid order and of training (0)")
    parser.add_argument("--storage", help="Optuna storage URL (default sqlite:///runs/effsearch.db)")
    parser.add_argument("--study", help="study name (default coefficients-<base>-phi<phi>-<dataset>)")
    parser.add_argument("--out", default="runs", help="output folder (default runs/)")


def default_study_name(base_name: str, phi: float, dataset: str) -> str:
    """``coefficients-b0-phi1-fashion-mnist``."""
    from nas.search.driver import dataset_slug

    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", base_name).strip("-") or "base"
    return f"coefficients-{slug}-phi{phi:g}-{dataset_slug(dataset)}"


def _check_args(args: argparse.Namespace) -> None:
    from scaling_search.inputs import check_positive_phi
    from search_spaces.errors import UserError

    check_positive_phi(args.phi, MAX_SEARCH_PHI)
    if args.repeats < 1 or args.repeats > 100:
        raise UserError(f"--repeats must be within 1..100, got {args.repeats}")
    if args.max_candidates < 1:
        raise UserError(f"--max-candidates must be at least 1, got {args.max_candidates}")
    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be at least 1, got {args.epochs}")
    if args.train_subset is not None and args.train_subset < 1:
        raise UserError(f"--train-subset must be at least 1, got {args.train_subset}")
    if args.study is not None and not args.study.strip():
        raise UserError("--study is empty")


def _evaluator(data: Any, device: str):
    from nas.training.trainer import evaluate

    def run(arch, proxy, seed, on_epoch):
        return evaluate(arch, data, proxy, device=device, on_epoch=on_epoch, seed=seed)

    return run


class _Progress:
    """Live progress: one rich bar over the epochs of the current training, a line per trial."""

    def __init__(self, console: Any, epochs: int, repeats: int) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.epochs = epochs
        self.repeats = repeats
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("epoch {task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = None
        self.label = ""

    def __enter__(self) -> _Progress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "start":
            n = len(payload["candidates"])
            self.console.print(
                f"{n} candidate(s) + the base (reference); study {payload['study'].study_name}"
            )
        elif kind == "train":
            candidate = payload["candidate"]
            label = f"{candidate.label} @{candidate.train_resolution}px"
            if self.repeats > 1:
                label += f" repeat {payload['repeat'] + 1}/{self.repeats}"
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.label = label
            self.task = self.progress.add_task(label, total=self.epochs)
        elif kind == "epoch" and self.task is not None:
            self.progress.update(
                self.task,
                completed=int(payload["epoch"]),
                description=f"{self.label} acc {payload['accuracy']:.3f}",
            )
        elif kind == "trial":
            candidate, judged = payload["candidate"], payload["judged"]
            if judged.ok:
                spread = f" ± {judged.accuracy_std:.3f}" if self.repeats > 1 else ""
                result = f"accuracy {judged.accuracy:.4f}{spread}"
            else:
                result = f"failed: {judged.reason}"
            self.console.print(
                f"trial {payload['number']}: {candidate.label}: {result}, MACs {_size(candidate.macs)} "
                f"(x{candidate.macs_ratio:.2f}), {judged.wall_s:.1f} s",
                highlight=False,
            )


def _size(value: float) -> str:
    """``385814752`` -> ``385.8M``; three significant figures and a unit (k, M, G)."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.4g}{unit}"
    return f"{value:g}"


def _acc(trial: Any) -> str:
    if trial is None:
        return "-"
    acc = trial.user_attrs.get("accuracy")
    if acc is None:
        return f"failed ({trial.user_attrs.get('reason') or trial.state.name.lower()})"
    std = trial.user_attrs.get("accuracy_std") or 0.0
    repeats = int(trial.user_attrs.get("repeats") or 1)
    return f"{acc:.4f} ± {std:.4f}" if repeats > 1 else f"{acc:.4f}"


def candidates_table(outcome: Any) -> Any:
    """The rich table of every candidate (the winner starred) and the reference."""
    from rich.table import Table

    phi = outcome.config.phi
    table = Table(
        title=f"compound coefficients at phi={phi:g} (alpha*beta^2*gamma^2 within "
        f"{outcome.config.tolerance:g} of 2; MACs at {outcome.config.base.resolution}px x gamma^phi)",
        title_justify="left",
    )
    for header in (
        "",
        "alpha",
        "beta",
        "gamma",
        "a*b^2*g^2",
        "res",
        "MACs",
        "MACs/base",
        "2^phi",
        "params",
        "accuracy",
    ):
        table.add_column(header, justify="right")
    ref = outcome.reference
    table.add_row(
        "base",
        "1",
        "1",
        "1",
        "1",
        str(ref.train_resolution),
        _size(ref.macs),
        "1.00",
        "1",
        _size(ref.params),
        _acc(outcome.reference_trial),
    )
    for candidate in outcome.candidates:
        point = candidate.point
        mark = "★" if candidate.index == outcome.winner else f"#{candidate.index}"
        table.add_row(
            mark,
            f"{point.alpha:g}",
            f"{point.beta:g}",
            f"{point.gamma:g}",
            f"{point.constraint:.3f}",
            str(candidate.train_resolution),
            _size(candidate.macs),
            f"{candidate.macs_ratio:.2f}",
            f"{2.0**phi:.3g}",
            _size(candidate.params),
            _acc(outcome.trials.get(candidate.index)),
        )
    return table


def comparison_table(outcome: Any) -> Any:
    """Compound winner vs width-only, depth-only, resolution-only at the same MACs (paper Fig. 8)."""
    from rich.table import Table

    winner = outcome.winner_candidate
    table = Table(title="compound vs single-dimension scaling at the same MACs", title_justify="left")
    for header in ("scaling", "multiplier(s)", "res", "blocks", "MACs", "MACs/base", "params", "accuracy"):
        table.add_column(header, justify="right")
    point = winner.point
    table.add_row(
        "compound ★",
        f"a={point.alpha:g} b={point.beta:g} g={point.gamma:g}",
        str(winner.train_resolution),
        str(winner.arch.num_blocks),
        _size(winner.macs),
        f"{winner.macs_ratio:.2f}",
        _size(winner.params),
        _acc(outcome.trials.get(winner.index)),
    )
    for single, trial in outcome.singles:
        table.add_row(
            single.role.removeprefix("single-") + " only",
            f"x{single.multiplier:.3f}",
            str(single.train_resolution),
            str(single.arch.num_blocks),
            _size(single.macs),
            f"{single.macs_ratio:.2f}",
            _size(single.params),
            _acc(trial),
        )
    return table


def evidence(outcome: Any, storage_label: str) -> dict[str, Any]:
    """What coefficients.yaml keeps about how the winner was found."""
    rows = []
    for candidate in outcome.candidates:
        trial = outcome.trials.get(candidate.index)
        attrs = trial.user_attrs if trial is not None else {}
        rows.append(
            {
                "alpha": candidate.point.alpha,
                "beta": candidate.point.beta,
                "gamma": candidate.point.gamma,
                "constraint": candidate.point.constraint,
                "macs": candidate.macs,
                "macs_ratio": round(candidate.macs_ratio, 6),
                "train_resolution": candidate.train_resolution,
                "accuracy": attrs.get("accuracy"),
                "accuracy_std": attrs.get("accuracy_std"),
                "trial": None if trial is None else trial.number,
            }
        )
    winner = outcome.winner_candidate
    data: dict[str, Any] = {
        "study": outcome.study.study_name,
        "storage": storage_label,
        "dataset": outcome.config.dataset,
        "repeats": outcome.config.repeats,
        "grid_step": outcome.config.grid_step,
        "tolerance": outcome.config.tolerance,
        "winner": {
            "trial": outcome.trials[winner.index].number,
            "accuracy": outcome.trials[winner.index].user_attrs.get("accuracy"),
            "accuracy_std": outcome.trials[winner.index].user_attrs.get("accuracy_std"),
            "macs": winner.macs,
            "macs_ratio": round(winner.macs_ratio, 6),
            "target_ratio": 2.0**outcome.config.phi,
        },
        "reference": {
            "macs": outcome.reference.macs,
            "accuracy": None
            if outcome.reference_trial is None
            else outcome.reference_trial.user_attrs.get("accuracy"),
        },
        "candidates": rows,
    }
    if outcome.singles:
        data["single_dimension"] = [
            {
                "scaling": single.role,
                "multiplier": single.multiplier,
                "macs": single.macs,
                "accuracy": None if trial is None else trial.user_attrs.get("accuracy"),
                "accuracy_std": None if trial is None else trial.user_attrs.get("accuracy_std"),
            }
            for single, trial in outcome.singles
        ]
    return data


def _write_baseline(path: Path, base: Any, name: str, check_only: bool = False) -> None:
    """Keep the base next to the coefficients (refuse to overwrite a different one).

    ``check_only`` does the refusal without writing (run before any training)."""
    from search_spaces.arch_yaml import arch_to_yaml, load_arch_file
    from search_spaces.codes import arch_code
    from search_spaces.errors import UserError

    if path.exists():
        try:
            same = arch_code(load_arch_file(path)) == arch_code(base)
        except UserError:
            same = False
        if same:
            return
        raise UserError(f"{path} exists and holds another architecture; use another --study or --out")
    if check_only:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(arch_to_yaml(base, name), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_report(storage_url: str | None, study_name: str, path: Path) -> Path | None:
    """``results.html.write_report`` if the results package is importable (lazy: imports point one way)."""
    try:
        html = importlib.import_module("results.html")
    except ImportError:
        return None
    return html.write_report(storage_url, study_name, path)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nas.data.datasets import load_dataset
    from nas.studies.heartbeat import GRACE_PERIOD
    from nas.studies.storage import open_storage
    from nas.studies.storage_url import DEFAULT_STORAGE
    from nas.studies.storage_url import mask_secrets as mask_url
    from nas.training.device import resolve_device
    from nas.training.proxy import load_proxy
    from scaling_search.coefficient_search import CoefficientConfig, run_coefficient_search
    from scaling_search.coefficients_file import Coefficients, save_coefficients
    from scaling_search.inputs import load_base
    from search_spaces.codes import arch_code
    from search_spaces.errors import UserError

    _check_args(args)
    base_name, base = load_base(args.base)
    proxy = load_proxy(args.proxy).with_overrides(epochs=args.epochs, train_subset=args.train_subset)
    device = resolve_device(args.device)
    study_name = args.study.strip() if args.study else default_study_name(base_name, args.phi, args.dataset)
    out_dir = Path(args.out) / study_name
    storage_url = args.storage or DEFAULT_STORAGE
    # Cheap checks (grid, sizes at phi) before loading any data or opening the storage.
    probe = CoefficientConfig(
        base,
        args.phi,
        args.dataset,
        proxy,
        10,
        3,
        args.grid_step,
        args.tolerance,
        args.max_candidates,
        args.repeats,
        args.seed,
    )
    probe.candidates()

    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    data = load_dataset(args.dataset, args.data_dir, val_size=proxy.val_size, seed=proxy.seed)
    config = CoefficientConfig(
        base=base,
        phi=args.phi,
        dataset=args.dataset,
        proxy=proxy,
        num_classes=int(data.num_classes),
        in_channels=int(data.in_channels),
        grid_step=args.grid_step,
        tolerance=args.tolerance,
        max_candidates=args.max_candidates,
        repeats=args.repeats,
        seed=args.seed,
    )
    storage = open_storage(storage_url)
    console.print(
        f"coefficient search on {base_name} ({arch_code(base)[:60]}...) at phi={args.phi:g}: "
        f"{args.dataset}, proxy {proxy.name} ({proxy.epochs} epochs, subset {proxy.train_subset}, "
        f"{proxy.resolution}px x gamma^phi), device {device}, storage {mask_url(storage_url)}"
    )
    _write_baseline(out_dir / "baseline.yaml", base, base_name, check_only=True)
    try:
        with _Progress(console, int(proxy.epochs), args.repeats) as progress:
            outcome = run_coefficient_search(
                config,
                _evaluator(data, str(device)),
                storage,
                study_name,
                compare_single=args.compare_single,
                on_event=progress,
            )
    except KeyboardInterrupt:
        console.print(f"interrupted: finished candidates are kept in study {study_name}; rerun to resume")
        raise
    console.print(candidates_table(outcome))
    if outcome.running_elsewhere:
        console.print(
            f"{len(outcome.running_elsewhere)} candidate(s) are running in another process; rerun the "
            "command when they finish (a killed run's trials go stale after "
            f"{GRACE_PERIOD} s and are then retried)"
        )
    if outcome.winner is None:
        raise UserError(f"no candidate of study {study_name!r} finished training; nothing to write")
    if outcome.singles:
        console.print(comparison_table(outcome))
    winner = outcome.winner_candidate
    coeffs = Coefficients(
        winner.point.alpha,
        winner.point.beta,
        winner.point.gamma,
        source=f"effsearch coefficients, study {study_name}",
        base_code=arch_code(base),
    )
    baseline_path = out_dir / "baseline.yaml"
    _write_baseline(baseline_path, base, base_name)
    coeff_path = save_coefficients(
        coeffs,
        out_dir / "coefficients.yaml",
        evidence(outcome, mask_url(storage_url)),
        args.phi,
        proxy.to_dict(),
    )
    trial = outcome.trials[winner.index]
    console.print(
        f"winner: alpha={coeffs.alpha:g} beta={coeffs.beta:g} gamma={coeffs.gamma:g} "
        f"(alpha*beta^2*gamma^2 = {winner.point.constraint:.3f}), accuracy {_acc(trial)}, "
        f"MACs x{winner.macs_ratio:.2f} vs 2^phi = {2.0**args.phi:.3g}; "
        f"{outcome.trained} training(s) this run, {outcome.wall_s:.0f} s"
    )
    console.print(f"wrote {coeff_path} and {baseline_path}", soft_wrap=True)
    console.print(
        f"scale it: effsearch scale --phi 0-7 --base {baseline_path} --coefficients {coeff_path}",
        soft_wrap=True,
    )
    try:
        report = write_report(args.storage, study_name, out_dir / "report.html")
    except Exception as exc:  # noqa: BLE001 - the results are stored; a report problem must not hide them
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"effsearch coefficients: report not written: {mask_url(first)}", file=sys.stderr)
        report = None
    if report is not None:
        console.print(f"report: {report}", soft_wrap=True)
    return 0
