"""The ``effsearch`` command: a thin argparse front with one handler module per subcommand.

Each subcommand lives in its own module of the ``commands`` package (listed in
:data:`COMMAND_MODULES`) and exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``. Heavy imports (torch, optuna) happen inside ``run`` so ``effsearch --help``
stays fast. Every subparser uses :class:`commands.flags.HelpFormatter`, so every flag's help ends
with its default in one style.

Errors a user can cause raise :class:`search_spaces.errors.UserError`; they end here as one line
on stderr and exit code 2. Storage passwords are masked in every message.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from commands.config_file import add_config_flag
from commands.config_output import RESULTS_FOLDERS, Planned
from commands.flags import HelpFormatter
from nas.studies.storage_url import mask_secrets
from search_spaces.errors import UserError

#: (module path) of every subcommand, in the order ``effsearch --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "commands.space",
    "commands.evaluate",
    "commands.baseline",
    "commands.supernet",
    "commands.cost",
    "commands.scale",
    "commands.coefficients",
    "commands.sweep",
    "commands.export",
    "commands.report",
    "commands.dashboard",
    "commands.completion",
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {mask_secrets(message)}\n")
        raise SystemExit(2)


def _load_commands() -> list[ModuleType]:
    modules = []
    for path in COMMAND_MODULES:
        try:
            modules.append(importlib.import_module(path))
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    """The full parser; every subcommand registers its own flags."""
    parser = _Parser(
        prog="effsearch",
        description=(
            "EfficientNet's pipeline on your data: MnasNet-style baseline search, "
            "compound-coefficient search and scaling, with results in Optuna."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _load_commands():
        sub = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.HELP, formatter_class=HelpFormatter
        )
        module.add_arguments(sub)
        if module.NAME in RESULTS_FOLDERS:
            add_config_flag(sub, module.NAME)
        sub.set_defaults(_handler=module.run)
    return parser


def subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of one subcommand (``effsearch <command> ...``)."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[command]


def with_config(
    parser: argparse.ArgumentParser, args: argparse.Namespace, argv: Sequence[str] | None
) -> tuple[argparse.Namespace, Planned | None]:
    """``--config``: the file's values become the subcommand's defaults and the command line is
    parsed again (so it wins); returns the final flags and the effective config to write
    (commands/config_file.py, commands/config_output.py). Every refusal is a UserError."""
    from commands import config_file
    from commands.config_output import plan

    if args.command not in RESULTS_FOLDERS:
        return args, None
    sub = subparser(parser, args.command)
    if args.config:
        from_file = config_file.apply(sub, args.config)
        args = parser.parse_args(argv)
        config_file.refuse_masked(from_file, args, args.config)
    return args, plan(sub, args, args.command)


def version() -> str:
    """The installed package's version (``effsearch --version``)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("effsearch")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``effsearch`` console script; bare ``effsearch`` prints the help (exit 0)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    command, config = args.command, None
    try:
        args, config = with_config(parser, args, argv)
        args._parser = parser  # `effsearch completion` describes the whole command line
        code = int(args._handler(args) or 0)
        if config is not None:
            config.write()
        return code
    except UserError as exc:
        sys.stderr.write(f"effsearch {command}: error: {mask_secrets(str(exc))}\n")
        return 2
    except KeyboardInterrupt:
        if config is not None:
            config.write()  # the study holds what ran: the config resumes it
        sys.stderr.write(f"effsearch {command}: interrupted\n")
        return 130
    except Exception as exc:  # a storage fault met mid-run (disk full): one line, not a traceback
        from nas.studies.storage_faults import storage_fault

        fault = storage_fault(exc)
        if fault is None:
            raise
        sys.stderr.write(f"effsearch {command}: error: {mask_secrets(fault)}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
