"""``--config run.yaml``: a command's flags read from a YAML file, the command line winning.

Why: a search or a scaling run has a dozen flags; a file keeps them together, can be versioned
next to the results, and replays a run exactly. The keys are the flags' long names, written with
dashes or underscores (``target-flops: 400M``, ``n_trials: 6``, ``out-dir: runs``); an alias of a
flag is accepted too (``base`` for ``--arch``, ``out`` for ``--out-dir``).

How it works, generically over argparse (no command reads the file itself): :func:`apply` loads
the file with the project's one safe YAML reader (:mod:`search_spaces.yaml_io`), checks every key
against the subcommand's own actions and converts every value through that action's ``type`` and
``choices`` -- exactly what the command line would do with the same text -- and installs the
values as the subparser's defaults (``set_defaults``). The caller then parses the command line
again, so a flag given there overrides the file. Unknown keys, values of the wrong type, values
outside the choices and a key given twice are refused before anything is opened or trained: one
:class:`~search_spaces.errors.UserError` naming the key and the file.

:func:`effective` is the other direction: every flag's final value as a mapping that
:func:`apply` reads back to the same namespace, with storage passwords masked by the project's one
masker (:func:`nas.studies.storage_url.mask_secrets`). A masked value cannot be replayed as it is:
:func:`refuse_masked` asks for the secret on the command line instead.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from search_spaces.errors import UserError

#: The flag itself: its dest in the parsed namespace.
DEST = "config"
#: How a value of each plain argparse ``type`` is described when a file's value does not convert.
_KINDS: dict[Any, str] = {int: "a whole number", float: "a number"}
#: Actions that are not settings of a run (help, version, the config file itself).
_NOT_SETTINGS = (argparse._HelpAction, argparse._VersionAction)


def add_config_flag(parser: argparse.ArgumentParser, command: str) -> None:
    """``--config FILE``: every other flag of ``command`` may be set in it (the command line wins)."""
    parser.add_argument(
        "--config",
        dest=DEST,
        default=None,
        metavar="FILE",
        help=f"YAML file of this command's flags (keys: the long flag names, e.g. device: cuda); flags "
        f"given on the command line win; runs/<study>/config.yaml of an earlier run replays it "
        f"(effsearch {command} --config runs/<study>/config.yaml) (default: none)",
    )


def settings(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The actions of ``parser`` a config file may set: every optional flag but help and --config."""
    return [
        action
        for action in parser._actions
        if action.option_strings and not isinstance(action, _NOT_SETTINGS) and action.dest != DEST
    ]


def key_of(action: argparse.Action) -> str:
    """The key an action is written under: its first long option without the dashes."""
    long = [o for o in action.option_strings if o.startswith("--")]
    return (long or action.option_strings)[0].lstrip("-")


def _by_key(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Every accepted key (each long option and alias, with ``-``) -> its action."""
    found: dict[str, argparse.Action] = {}
    for action in settings(parser):
        for option in action.option_strings:
            if option.startswith("--"):
                found[option[2:]] = action
    return found


def load(path: str) -> dict[str, Any]:
    """The file's mapping of keys to values (an empty file is an empty mapping)."""
    from search_spaces.yaml_io import read_yaml_file

    data = read_yaml_file(path, "config file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(
            f"config file {path}: expected a mapping of flag names to values, got {type(data).__name__}"
        )
    return data


def convert(action: argparse.Action, key: str, value: Any, path: str) -> Any:
    """``value`` as the command line would make it for ``action``; a UserError naming key and file."""
    from search_spaces.yaml_io import quote

    where = f"config file {path}: {key}"
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        if not isinstance(value, bool):
            raise UserError(f"{where}: expected true or false, got {quote(value)}")
        return value
    if not isinstance(action, argparse._StoreAction):
        raise UserError(f"{where}: --{key} cannot be set in a config file")
    if value is None:
        if action.default is None:
            return None
        raise UserError(f"{where}: null is not a value (leave the key out for the default)")
    if isinstance(value, (bool, list, dict)):
        raise UserError(f"{where}: expected a single value like the command line's, got {quote(value)}")
    text = str(value)
    try:
        converted = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, UserError) as exc:  # the type's own message, as on the command line
        raise UserError(f"{where}: {exc}") from None
    except (TypeError, ValueError):
        kind = _KINDS.get(action.type, "a valid value")
        raise UserError(f"{where}: expected {kind}, got {quote(value)}") from None
    if action.choices is not None and converted not in action.choices:
        choices = ", ".join(str(c) for c in action.choices)
        raise UserError(f"{where}: {quote(value)} is not one of {choices}")
    return converted


def values(parser: argparse.ArgumentParser, path: str) -> dict[str, Any]:
    """The file's settings, checked and converted, by ``dest``: refused before anything runs."""
    known = _by_key(parser)
    found: dict[str, Any] = {}
    named: dict[str, str] = {}
    for raw, value in load(path).items():
        key = str(raw).strip().replace("_", "-")
        if key == DEST:
            raise UserError(f"config file {path}: config: a config file cannot name another one")
        action = known.get(key)
        if action is None:
            raise UserError(
                f"config file {path}: unknown key {raw!r} (not a flag of this command; see --help)"
            )
        if action.dest in named:
            raise UserError(f"config file {path}: {raw!r} and {named[action.dest]!r} set the same flag")
        named[action.dest] = str(raw)
        found[action.dest] = convert(action, key, value, path)
    return found


def apply(parser: argparse.ArgumentParser, path: str) -> dict[str, Any]:
    """Install the file's settings as ``parser``'s defaults (the command line still wins); returns them."""
    found = values(parser, path)
    parser.set_defaults(**found)
    return found


def effective(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """Every flag's final value by key, secrets masked: the text of ``runs/<study>/config.yaml``."""
    from nas.studies.storage_url import mask_secrets

    out: dict[str, Any] = {}
    for action in settings(parser):
        value = getattr(args, action.dest, action.default)
        out[key_of(action)] = mask_secrets(value) if isinstance(value, str) else value
    return out


def refuse_masked(file_values: Mapping[str, Any], args: argparse.Namespace, path: str) -> None:
    """A masked secret from the file still in force: refused, asking for the flag on the command line."""
    from nas.studies.storage_url import MASK

    for dest, value in file_values.items():
        if isinstance(value, str) and MASK in value and getattr(args, dest, None) == value:
            flag = "--" + dest.replace("_", "-")
            raise UserError(
                f"config file {path}: {dest.replace('_', '-')} has its password masked ({MASK}); "
                f"give {flag} with the secret on the command line"
            )


def dump(config: Mapping[str, Any], command: str) -> str:
    """The effective config as YAML text, with a comment saying how to replay it."""
    import yaml

    header = (
        f"# effsearch {command}: every flag's value for this run (passwords masked).\n"
        f"# Replay or resume: effsearch {command} --config <this file> (command-line flags win).\n"
    )
    return header + yaml.safe_dump(dict(config), sort_keys=False, default_flow_style=False)


__all__ = [
    "DEST",
    "add_config_flag",
    "apply",
    "convert",
    "dump",
    "effective",
    "key_of",
    "refuse_masked",
    "settings",
    "values",
]
