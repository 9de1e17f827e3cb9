"""``runs/<study>/config.yaml``: the effective config of a search or scaling run, written beside its results.

Why: a run's results should say how they were made, and the same file replays the run --
``effsearch baseline --config runs/<study>/config.yaml`` resumes the same study, because the file
holds every flag's final value (:func:`commands.config_file.effective`) with the study name
resolved. Storage passwords are masked (give ``--storage`` on the command line to replay such a run).

Where each command writes is derived from its flags the same way the command derives it
(:data:`RESULTS_FOLDERS`). The path is checked by the one output rule of :mod:`nas.files` before
the command runs (never one of the run's inputs, ``--config`` included), and the file is written
when the command returns or is interrupted -- never for a run refused by its checks, which leaves
no trace. Replaying a config file in place rewrites nothing when the effective config is the same;
a different one (a flag changed on the command line) would destroy the input and is refused.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from search_spaces.errors import UserError

#: The file name, inside ``<out-dir>/<study>/``.
FILE_NAME = "config.yaml"


def _baseline_folder(args: argparse.Namespace) -> tuple[str, Path]:
    """The folder ``commands.baseline_checks`` gives the run (one naming rule for both)."""
    from commands.baseline_checks import study_name_of

    study = study_name_of(args)
    return study, Path(args.out) / study


def _coefficients_folder(args: argparse.Namespace) -> tuple[str, Path]:
    from commands.coefficients import results_folder

    return results_folder(args)


def _sweep_folder(args: argparse.Namespace) -> tuple[str, Path]:
    from commands.sweep import results_folder

    return results_folder(args)


#: command -> (args -> (study name, results folder)): the commands that take ``--config``.
RESULTS_FOLDERS: dict[str, Callable[[argparse.Namespace], tuple[str, Path]]] = {
    "baseline": _baseline_folder,
    "coefficients": _coefficients_folder,
    "sweep": _sweep_folder,
}


@dataclass(frozen=True)
class Planned:
    """The effective config of one run: where it goes, its text, and whether it must be written."""

    path: Path
    text: str
    inputs: dict[Path, str]
    unchanged: bool

    def write(self) -> Path | None:
        """Write the file (atomically, by the rule of :mod:`nas.files`); None when already there."""
        from nas.files import write_atomic

        if self.unchanged:
            return None
        return write_atomic(self.path, self.text, inputs=self.inputs, flag="--out-dir")


def _inputs(args: argparse.Namespace) -> dict[Path, str]:
    """Every file the run reads: the storage, --config and any flag whose value names a file."""
    from nas.files import inputs_of
    from nas.studies.storage_url import DEFAULT_STORAGE

    files = {k: v for k, v in vars(args).items() if isinstance(v, str) and not k.startswith("_")}
    files.pop("storage", None)
    return inputs_of(args.storage or DEFAULT_STORAGE, **files)


def plan(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> Planned:
    """The effective config of this run, its path checked before the command starts."""
    from commands.config_file import dump, effective
    from nas.files import check_output, check_study_name

    study, folder = RESULTS_FOLDERS[command](args)
    check_study_name(study)
    config = effective(parser, args)
    config["study"] = study  # resolved: a replay resumes this study whatever the defaults become
    text = dump(config, command)
    path = folder / FILE_NAME
    inputs = _inputs(args)
    given = getattr(args, "config", None)
    if given and _same(Path(given), path):
        if Path(given).read_text(encoding="utf-8", errors="replace") == text:
            return Planned(path, text, inputs, unchanged=True)
        raise UserError(
            f"--config {given} is where this run's effective config goes, and flags given on the "
            "command line change it: pass a copy of the file instead (cp it elsewhere), or no such flags"
        )
    check_output(path, inputs=inputs, flag="--out-dir")
    return Planned(path, text, inputs, unchanged=False)


def _same(a: Path, b: Path) -> bool:
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


__all__ = ["FILE_NAME", "RESULTS_FOLDERS", "Planned", "plan"]
