"""The flags several ``effsearch`` subcommands share, defined once, and the help style they all use.

Why: ``--dataset``, ``--proxy``, ``--device``, ``--storage`` ... used to be written out again in
every command, each with its own wording and its own way of stating (or hiding) the default. Here
every shared flag has one name, one default, one set of accepted values and one help line.

How to use it in a command module::

    from commands import flags

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        flags.add_arch(parser, "--base")           # b0..b7, YAML file or code (scaling_search.arch_resolver)
        flags.add_dataset(parser)                  # --dataset, --data-dir
        flags.add_proxy(parser)                    # --proxy, --epochs, --train-subset
        flags.add_device(parser, threads=True)     # --device (and --threads)
        flags.add_seed(parser, value=0, why="seed of the grid order and of training")
        flags.add_storage(parser)                  # --storage
        flags.add_study(parser, "coefficients-<base>-phi<phi>-<dataset>")
        flags.add_out_dir(parser)                  # --out-dir runs (--out is the same flag)

Help style: write the help text *without* its default. :class:`HelpFormatter` (installed on every
subparser by ``cli.py``) appends `` (default: X)`` to every optional flag whose default is a
value, and `` (default: off)`` to switches. A flag whose default is ``None`` means "computed
later"; say what it becomes with ``(default: ...)`` in the help itself (see :func:`default`).
Help texts are %-formatted by argparse, so a literal percent sign is written ``%%``.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from nas.seeds import seed_argument
from nas.studies.storage_url import DEFAULT_STORAGE
from nas.studies.tracking import TRACKERS
from scaling_search.arch_resolver import GRAMMAR

#: Where the ``add_*`` helpers add their flags: a parser or one of its argument groups (argparse's
#: common base of the two, as typeshed names it).
Flags = argparse._ActionsContainer

#: Datasets ``nas.data.datasets.load_dataset`` reads (see nas/data/).
DATASETS_HELP = "fashion-mnist, cifar10, cifar100, imagefolder:PATH or synthetic[:classes=N,...]"
#: Proxy presets of ``nas.training.proxy.load_proxy``.
PROXY_HELP = "proxy preset (default, gpu, long) or a proxy YAML file"
#: What ``--arch`` and ``--base`` accept: the resolver's own grammar (scaling_search/arch_resolver.py).
ARCH_HELP = GRAMMAR

_HAS_DEFAULT = re.compile(r"\(default[: ]", re.IGNORECASE)


def default(text: str) -> str:
    """The help suffix for a flag whose default is computed later: ``(default: <text>)``."""
    return f"(default: {text})"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, plus `` (default: X)`` after every optional flag's help.

    Like ``argparse.ArgumentDefaultsHelpFormatter``, but it does not print ``None`` (the help says
    what the flag then means) nor repeat a default the help already states, and switches show
    ``off``/``on`` rather than ``False``/``True``.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if text == argparse.SUPPRESS or not action.option_strings or action.required:
            return text
        if _HAS_DEFAULT.search(text) or action.default in (None, argparse.SUPPRESS):
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return f"{text} (default: {'on' if action.default else 'off'})"
        if isinstance(action, argparse._HelpAction):
            return text
        return f"{text} (default: %(default)s)"


def add_arch(parser: Flags, flag: str = "--arch", default_arch: str = "b0") -> None:
    """``--arch``, with ``--base`` as its alias everywhere: one grammar, read by
    ``scaling_search.arch_resolver.resolve_arch``. ``flag`` names the attribute the command reads
    (``args.arch`` or ``args.base``), so a command keeps its own wording in messages."""
    parser.add_argument(
        "--arch",
        "--base",
        dest=flag.lstrip("-").replace("-", "_"),
        default=default_arch,
        metavar="ARCH",
        help=f"{ARCH_HELP} (--base is the same flag)",
    )


def add_dataset(parser: Flags) -> None:
    """``--dataset`` and ``--data-dir``."""
    parser.add_argument("--dataset", default="fashion-mnist", help=DATASETS_HELP)
    add_data_dir(parser)


def add_data_dir(parser: Flags) -> None:
    """``--data-dir`` alone, for a command whose dataset is recorded elsewhere (a supernet's store)."""
    parser.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="where the dataset files are, searched first " + default("the system package, then the cache"),
    )


def add_proxy(parser: Flags, subset_all: bool = False) -> None:
    """``--proxy``, ``--epochs`` and ``--train-subset`` (``subset_all``: also accept ``all``)."""
    parser.add_argument("--proxy", default=None, help=f"{PROXY_HELP} {default('default')}")
    parser.add_argument(
        "--epochs", type=int, default=None, help="override the proxy's epochs " + default("the proxy's")
    )
    if subset_all:
        parser.add_argument(
            "--train-subset",
            default=None,
            help="override the proxy's training images: a number or 'all' " + default("the proxy's"),
        )
    else:
        parser.add_argument(
            "--train-subset",
            type=int,
            default=None,
            help="override the proxy's training images " + default("the proxy's"),
        )


def add_device(parser: Flags, threads: bool = False) -> None:
    """``--device`` (and ``--threads`` for commands that train on the CPU for long)."""
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    if threads:
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="CPU training threads " + default("the cores not already busy, at least 1"),
        )


def add_seed(parser: Flags, value: int | None = 0, why: str = "seed") -> None:
    """``--seed`` defaulting to ``value``; ``why`` says what it seeds (commands differ)."""
    parser.add_argument("--seed", type=seed_argument, default=value, help=why)  # 0..2^32-1 (nas/seeds.py)


def add_storage(parser: Flags) -> None:
    """``--storage``: the Optuna storage URL; ``None`` means the default SQLite file."""
    parser.add_argument(
        "--storage",
        default=None,
        metavar="URL",
        help=f"Optuna storage URL {default(DEFAULT_STORAGE)}",
    )


def add_study(parser: Flags, when_absent: str) -> None:
    """``--study``; ``when_absent`` says what happens without it (a name pattern, or an action)."""
    parser.add_argument("--study", default=None, metavar="NAME", help=f"study name {default(when_absent)}")


def add_out_dir(parser: Flags, what: str = "output folder") -> None:
    """``--out-dir``: the folder runs write into (``runs``, never inside the packages).

    ``--out`` is its older spelling, kept as an alias; the value lands in ``args.out`` either way.
    Why two names: in every other command ``--out`` is a *file* (``export``, ``scale``,
    ``report``), so the folder-valued flag gets a name that says it is a folder.
    """
    parser.add_argument(
        "--out-dir",
        "--out",
        dest="out",
        default="runs",
        metavar="DIR",
        help=f"{what} (--out is the same flag)",
    )


def add_top(parser: Flags) -> None:
    """``--top``: leaderboard rows."""
    parser.add_argument("--top", type=int, default=10, metavar="K", help="leaderboard rows")


def add_quiet(parser: Flags) -> None:
    """``--quiet``: no progress display (every command that trains has it, with ``--threads``)."""
    parser.add_argument("--quiet", action="store_true", help="no progress display; results only")


def add_log_to(parser: Flags) -> None:
    """``--log-to tensorboard|mlflow``: Optuna's tracker callbacks, each an extra of that name."""
    parser.add_argument(
        "--log-to",
        choices=TRACKERS,
        default=None,
        help="also log every finished trial to TensorBoard (<study>/tensorboard/) or MLflow "
        "(<study>/mlflow.db, or MLFLOW_TRACKING_URI); needs pip install 'effsearch[tensorboard]' "
        "or 'effsearch[mlflow]' " + default("none"),
    )


def log_to_callbacks(args: argparse.Namespace, out_dir: Any, multi_objective: bool) -> list[Any]:
    """The callbacks ``--log-to`` asks for (refused in one line naming the extra if not installed)."""
    from nas.search.driver import metric_names
    from nas.studies.tracking import tracking_callbacks

    return tracking_callbacks(getattr(args, "log_to", None), out_dir, metric_names(multi_objective))


def unless_quiet(args: argparse.Namespace, make_display: Any) -> Any:
    """The context ``make_display()`` builds, or a do-nothing one (it yields None) with ``--quiet``."""
    import contextlib

    return contextlib.nullcontext() if getattr(args, "quiet", False) else make_display()


def add_format(parser: Flags, choices: tuple[str, ...], what: str = "output format") -> None:
    """``--format`` with the first choice as the default."""
    parser.add_argument("--format", choices=choices, default=choices[0], help=what)


#: What --classes/--in-channels mean when neither the flag nor the architecture file says (ImageNet, RGB).
DEFAULT_CLASSES, DEFAULT_IN_CHANNELS = 1000, 3
_RECORDED = "what the architecture or weights file records (a search's baseline.yaml does), else"


def add_network_shape(parser: Flags) -> None:
    """``--classes`` and ``--in-channels``: the classifier and input the costs are counted for."""
    parser.add_argument(
        "--classes",
        type=int,
        default=None,
        help="number of classes " + default(f"{_RECORDED} {DEFAULT_CLASSES}"),
    )
    parser.add_argument(
        "--in-channels",
        type=int,
        default=None,
        help="input channels, 1 for grayscale " + default(f"{_RECORDED} {DEFAULT_IN_CHANNELS}"),
    )


def network_shape(
    args: argparse.Namespace, classes: int | None = None, channels: int | None = None
) -> tuple[int, int]:
    """(classes, in_channels): the flags, else what a file records (``classes``/``channels``), else 1000/3."""
    from search_spaces.errors import UserError

    found = (
        args.classes if args.classes is not None else classes or DEFAULT_CLASSES,
        args.in_channels if args.in_channels is not None else channels or DEFAULT_IN_CHANNELS,
    )
    for flag, what, value in zip(
        ("--classes", "--in-channels"), ("classes", "input channels"), found, strict=True
    ):
        if value < 1:
            raise UserError(f"{flag} must be at least 1 ({what}), got {value}")
    return int(found[0]), int(found[1])


__all__ = [
    "ARCH_HELP",
    "DATASETS_HELP",
    "HelpFormatter",
    "add_arch",
    "add_data_dir",
    "add_dataset",
    "add_device",
    "add_format",
    "add_network_shape",
    "add_out_dir",
    "add_proxy",
    "add_quiet",
    "add_seed",
    "add_storage",
    "add_study",
    "add_top",
    "default",
    "network_shape",
    "unless_quiet",
]
