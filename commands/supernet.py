"""``effsearch supernet``: train (or resume, or reuse) the weight-sharing supernet of a space.

One supernet per space, dataset and proxy recipe serves every FLOPs target (``nas.oneshot``):
``effsearch baseline --strategy oneshot`` trains it on first use and reuses it afterwards; this
command trains it ahead of time and shows its training curve. It is stored under
``runs/supernets/<space>-<dataset>/`` with the settings it was trained with, checkpointed every
epoch: rerunning the command after an interruption (Ctrl-C, a kill) continues from the last
finished epoch, and a supernet stored with other settings is refused, never reused silently.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commands import flags
from search_spaces.errors import UserError

if TYPE_CHECKING:
    from rich.console import Console

NAME = "supernet"
HELP = "Train the weight-sharing supernet of a search space (one-shot search; reused by baseline)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nas.oneshot.defaults import DEFAULT_SUPERNET_EPOCHS
    from nas.oneshot.progressive import DEFAULT_SCHEDULE, SCHEDULES

    g = parser.add_argument_group("supernet")
    g.add_argument(
        "--space", default=None, help="search-space YAML " + flags.default("the packaged MnasNet space")
    )
    g.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="supernet training epochs " + flags.default(str(DEFAULT_SUPERNET_EPOCHS)),
    )
    g.add_argument(
        "--train-subset", type=int, default=None, help="training images " + flags.default("the proxy's")
    )
    g.add_argument(
        "--kernel-transform",
        action="store_true",
        help="Once-for-All's learned kernel transform for smaller kernels",
    )
    g.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default=DEFAULT_SCHEDULE,
        help="sandwich over the whole space from the first step, or Once-for-All's progressive "
        "shrinking " + flags.default(DEFAULT_SCHEDULE),
    )
    g.add_argument("--store-dir", default=None, help="folder of supernets " + flags.default("runs/supernets"))
    g = parser.add_argument_group("data and device")
    flags.add_dataset(g)
    g.add_argument("--proxy", default=None, help=f"{flags.PROXY_HELP} {flags.default('default')}")
    flags.add_device(g, threads=True)
    flags.add_quiet(g)


def check_numbers(epochs: int | None, subset: int | None, threads: int | None = None) -> None:
    """The supernet's flags, checked before anything is loaded or trained."""
    if epochs is not None and not 1 <= epochs <= 10_000:
        raise UserError(f"--epochs must be within 1..10000, got {epochs}")
    if subset is not None and subset < 1:
        raise UserError(f"--train-subset must be at least 1, got {subset}")
    if threads is not None and threads < 1:
        raise UserError(f"--threads must be at least 1, got {threads}")


def _epoch_line(m: dict[str, Any]) -> str:
    return (
        f"epoch {m['epoch']}: largest loss {m['largest_loss']:.3f} train {m['largest_train_acc']:.1%} "
        f"val {m['largest_val_acc']:.1%} · smallest loss {m['smallest_loss']:.3f} "
        f"train {m['smallest_train_acc']:.1%} val {m['smallest_val_acc']:.1%} · {m['train_s']:.0f}s"
    )


def trained_supernet(
    console: Console,
    space: Any,
    data: Any,
    settings: Any,
    store: Any,
    device: Any,
    quiet: bool = False,
) -> Any:
    """Train/resume/reuse with a rich progress bar and one line per epoch; the TrainedSupernet."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from nas.oneshot.training import train_supernet

    done = store.check(settings)
    epochs_done = int(done.get("epochs_done", 0)) if done else 0
    if epochs_done >= settings.epochs:
        console.print(f"supernet: reusing {store.folder} ({epochs_done} epochs, settings match)")
    elif epochs_done:
        console.print(f"supernet: resuming {store.folder} after epoch {epochs_done} of {settings.epochs}")
    else:
        console.print(f"supernet: training {store.folder} for {settings.epochs} epoch(s)")
    columns = (TextColumn("supernet"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"))
    bar = Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=console, disable=quiet)
    with bar:
        task = bar.add_task("train", total=None)

        def progress(step: int, total: int) -> None:
            bar.update(task, completed=step, total=total)

        def on_epoch(metrics: dict[str, Any]) -> None:
            console.print(_epoch_line(metrics))

        try:
            return train_supernet(
                space, data, settings, store, device=device, on_epoch=on_epoch, progress=progress
            )
        except KeyboardInterrupt:
            console.print(f"interrupted: finished epochs are saved in {store.folder}; rerun to continue")
            raise


def settings_and_store(
    args: argparse.Namespace, space: Any, data: Any, proxy: Any, epochs: int, subset: Any
) -> Any:
    from nas.oneshot.progressive import DEFAULT_SCHEDULE
    from nas.oneshot.store import SUPERNETS_DIR, SupernetStore
    from nas.oneshot.training import supernet_settings

    settings = supernet_settings(
        space,
        args.dataset,
        data,
        proxy,
        epochs=epochs,
        train_subset=subset,
        kernel_transform=args.kernel_transform,
        schedule=getattr(args, "schedule", DEFAULT_SCHEDULE),
    )
    root = Path(args.store_dir) if getattr(args, "store_dir", None) else SUPERNETS_DIR
    return settings, SupernetStore.for_settings(settings, root)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nas.data.datasets import load_dataset
    from nas.oneshot.defaults import DEFAULT_SUPERNET_EPOCHS
    from nas.training.device import resolve_device, use_cpu_threads
    from nas.training.proxy import load_proxy
    from search_spaces.space_yaml import load_space

    check_numbers(args.epochs, args.train_subset, args.threads)
    space = load_space(args.space)
    proxy = load_proxy(args.proxy)
    device = resolve_device(args.device)
    use_cpu_threads(device, args.threads)
    data = load_dataset(args.dataset, args.data_dir, val_size=proxy.val_size, seed=proxy.seed)
    subset = args.train_subset if args.train_subset is not None else proxy.train_subset
    settings, store = settings_and_store(
        args, space, data, proxy, args.epochs or DEFAULT_SUPERNET_EPOCHS, subset
    )
    store.check(settings)  # a mismatch is refused before the progress display starts
    console = Console(highlight=False)
    trained = trained_supernet(console, space, data, settings, store, device, args.quiet)
    last = trained.history[-1] if trained.history else None
    if last is not None:
        console.print(
            f"supernet ready: {store.folder} · {len(trained.history)} epochs · "
            f"largest {last['largest_val_acc']:.1%}, smallest {last['smallest_val_acc']:.1%} "
            "validation accuracy (BN recalibrated)"
        )
    return 0


__all__ = ["check_numbers", "settings_and_store", "trained_supernet"]
