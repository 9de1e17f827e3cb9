"""``effsearch evaluate``: train one architecture on the proxy task and print what the search would see.

Examples::

    effsearch evaluate                                  # B0, default proxy, Fashion-MNIST, CPU/GPU auto
    effsearch evaluate --arch b0 --proxy gpu --device cuda --format json
    effsearch evaluate --arch runs/best.yaml --dataset imagefolder:~/photos --epochs 5
    effsearch evaluate --epochs 10 --train-subset all --test   # + test accuracy, for final reports

The accuracy printed is the proxy's *validation* accuracy (a seeded split of the training set);
``--test`` additionally reports test-split accuracy after training -- never use it to choose
between candidates. MACs/params are those of the unmodified architecture at its own resolution
(the cost model), not of the proxy-adapted network that is trained.

Exit code 0 when training finished (or was stopped), 1 when it ended in ``nan`` or ``oom``,
2 for a user error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from commands import flags
from scaling_search.arch_resolver import resolve_arch

if TYPE_CHECKING:
    from nas.training.proxy import ProxyConfig
    from nas.training.trainer import EvalResult
    from search_spaces.arch import ArchSpec

NAME = "evaluate"
HELP = "train one architecture on the proxy task and report validation accuracy, time and images/s"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_arch(parser, "--arch")
    flags.add_dataset(parser)
    flags.add_proxy(parser, subset_all=True)
    parser.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="override the proxy's input size " + flags.default("the proxy's"),
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="override the proxy's batch size " + flags.default("the proxy's"),
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="override the proxy's peak lr (per 256 images) " + flags.default("the proxy's"),
    )
    flags.add_device(parser, threads=True)
    flags.add_seed(parser, None, "training seed " + flags.default("the proxy's"))
    parser.add_argument(
        "--test", action="store_true", help="also report test-split accuracy (final reports only)"
    )
    flags.add_format(parser, ("table", "json"))
    flags.add_quiet(parser)
    parser.add_argument(
        "--json-out",
        default=None,
        metavar="FILE",
        help="also write the JSON report to this file " + flags.default("none"),
    )
    parser.add_argument(
        "--save",
        default=None,
        metavar="FILE",
        help="keep the trained weights with the architecture as trained, its classes, channels and input "
        "normalisation in FILE (for export --weights, effsearch.create_model) " + flags.default("not kept"),
    )


def _subset(text: str | None) -> Any:
    from search_spaces.errors import UserError

    if text is None:
        return None, False
    if text.strip().lower() in {"all", "none", "full"}:
        return None, True
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"--train-subset must be a positive integer or 'all', got {text!r}") from None
    if value < 1:
        raise UserError(f"--train-subset must be a positive integer or 'all', got {text!r}")
    return value, False


def _proxy(args: argparse.Namespace) -> ProxyConfig:
    """The proxy preset or file with the command line's overrides applied."""
    from dataclasses import replace

    from nas.training.proxy import load_proxy

    proxy = load_proxy(args.proxy).with_overrides(
        epochs=args.epochs, resolution=args.resolution, batch_size=args.batch_size, lr=args.lr
    )
    subset, all_images = _subset(args.train_subset)
    if subset is not None or all_images:
        proxy = replace(proxy, train_subset=subset)
    return proxy


def _train(
    args: argparse.Namespace, arch: ArchSpec, data: Any, proxy: ProxyConfig, device: Any, keep: Any = None
) -> tuple[EvalResult, float | None]:
    """Train with a progress bar (unless --quiet); test accuracy only with --test; ``keep`` gets the model."""
    from nas.training.trainer import evaluate, train_and_test

    progress, bar = _progress_bar(args, proxy)
    on_epoch = bar.on_epoch if bar else None
    try:
        if args.test:
            return train_and_test(
                arch, data, proxy, device, seed=args.seed, on_epoch=on_epoch, progress=progress, keep=keep
            )
        result = evaluate(
            arch, data, proxy, device, on_epoch=on_epoch, seed=args.seed, progress=progress, keep=keep
        )
        return result, None
    finally:
        if bar:
            bar.stop()


def _inputs(args: argparse.Namespace) -> Any:
    """The files the command reads (--arch, --proxy): never written over (nas.files)."""
    from nas.files import inputs_of

    return inputs_of(arch=args.arch, proxy=args.proxy)


def _save(
    args: argparse.Namespace, arch: ArchSpec, data: Any, proxy: ProxyConfig, kept: dict, report: dict
) -> None:
    """--save: the trained network with the architecture as trained (nas.training.checkpoint)."""
    from nas.files import atomic_target
    from nas.training.checkpoint import save_checkpoint

    if "model" not in kept:
        return
    stats = kept["data"]
    notes = {
        "arch": str(args.arch),
        "source_code": report["arch_code"],
        "dataset": report["dataset"],
        "proxy": proxy.name,
        "accuracy": report["accuracy"],
        "status": report["status"],
    }
    with atomic_target(args.save, inputs=_inputs(args), flag="--save") as tmp:
        save_checkpoint(
            tmp, kept["model"], proxy.train_arch(arch), data.num_classes, data.in_channels,
            resolution=proxy.resolution, mean=stats.mean, std=1.0 / stats.inv_std, notes=notes,
        )  # fmt: skip
    report["saved"] = str(args.save)


def run(args: argparse.Namespace) -> int:
    from nas.data.datasets import load_dataset
    from nas.files import check_output
    from nas.training.device import resolve_device, use_cpu_threads
    from search_spaces.codes import arch_code
    from search_spaces.cost import count_cost

    if args.json_out:  # checked before training: never over an input, a folder or a device
        check_output(args.json_out, inputs=_inputs(args), flag="--json-out")
    if args.save:
        check_output(args.save, inputs=_inputs(args), flag="--save")
    arch = resolve_arch(args.arch, "--arch").arch
    proxy = _proxy(args)
    device = resolve_device(args.device)
    use_cpu_threads(device, args.threads)
    data = load_dataset(
        args.dataset, args.data_dir, val_size=proxy.val_size, seed=proxy.seed, image_size=proxy.resolution
    )
    cost = count_cost(arch, num_classes=data.num_classes, in_channels=data.in_channels)
    kept: dict[str, Any] = {}
    result, test_accuracy = _train(args, arch, data, proxy, device, kept if args.save else None)
    report = result.to_dict()
    report.update(
        arch=args.arch,
        arch_code=arch_code(arch),
        macs=cost.macs,
        params=cost.params,
        cost_resolution=arch.resolution,
        dataset=data.name,
        dataset_summary=data.summary(),
        proxy=proxy.to_dict(),
    )
    if args.test:
        report["test_accuracy"] = test_accuracy
    if args.save and result.status in ("ok", "stopped"):
        _save(args, arch, data, proxy, kept, report)
    _emit(args, report)
    return 0 if result.status in ("ok", "stopped") else 1


def _emit(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """The report on stdout (table or JSON), and as JSON in --json-out when given."""

    text = json.dumps(report, indent=2) + "\n"
    if args.json_out:
        from nas.files import write_atomic

        write_atomic(args.json_out, text, inputs=_inputs(args), flag="--json-out")
    if args.format == "json":
        sys.stdout.write(text)
    else:
        _print_table(report)


class _Bar:
    """A rich progress bar on stderr: one bar over all steps, the last validation accuracy beside it."""

    def __init__(self, total_epochs: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]training[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("steps"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.total_epochs = total_epochs
        self.task = self.progress.add_task(f"epoch 1/{total_epochs}", total=None)
        self.progress.start()
        self.last = ""

    def step(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)

    def on_epoch(self, epoch: int, accuracy: float) -> bool:
        self.last = f" · val acc {accuracy:.2%}"
        nxt = min(epoch + 1, self.total_epochs)
        self.progress.update(self.task, description=f"epoch {nxt}/{self.total_epochs}{self.last}")
        return False

    def stop(self) -> None:
        self.progress.stop()


def _progress_bar(args: argparse.Namespace, proxy: ProxyConfig) -> tuple[Any, _Bar | None]:
    if args.quiet:
        return None, None
    bar = _Bar(proxy.epochs)
    return bar.step, bar


def _print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    acc = report["accuracy"]
    proxy = report["proxy"]
    subset = f"{report['train_images']:,}"
    rows = [
        (
            "architecture",
            f"{report['arch']} ({report['macs']:,} MACs, {report['params']:,} params "
            f"at {report['cost_resolution']}px)",
        ),
        ("dataset", report["dataset_summary"]),
        (
            "proxy",
            f"{proxy['name']}: {report['epochs_run']}/{proxy['epochs']} epochs on {subset} images "
            f"({report['val_images']:,} val) at {proxy['resolution']}px, "
            f"batch {proxy['batch_size']}, {proxy['optimizer']}",
        ),
        ("status", report["status"] + (f" ({report['reason']})" if report["reason"] else "")),
        ("val accuracy", "-" if acc is None else f"{acc:.2%}"),
        ("curve", " ".join(f"{a:.2%}" for a in report["curve"]) or "-"),
        ("wall time", f"{report['wall_s']:.1f} s"),
        ("images/s", f"{report['images_per_s']:,.0f} (training)"),
        ("device", report["device"]),
    ]
    if "test_accuracy" in report:
        test = report["test_accuracy"]
        rows.append(("test accuracy", "-" if test is None else f"{test:.2%} (final reports only)"))
    if "saved" in report:
        rows.append(("weights", f"{report['saved']} (use with export --weights or effsearch.create_model)"))
    for key, value in rows:
        table.add_row(key, value)
    Console().print(table)
