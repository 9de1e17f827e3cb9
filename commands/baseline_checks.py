"""Checks of ``effsearch baseline``'s flags that need neither storage, data nor training.

They all run before the search opens anything, so a mistake costs nothing and leaves no trace:
among them the two a long search would otherwise only meet at its very end, an output folder that
cannot be written and a study name that cannot be a folder name (``<out>/<study>/baseline.yaml``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nas.files import check_outputs, check_study_name, inputs_of
from search_spaces.errors import UserError

if TYPE_CHECKING:
    from nas.search.comparison import Comparison

#: Trained candidates of the default run (B0, the comparison, comes on top): about 5 minutes on 2 idle
#: CPU cores.
DEFAULT_TRIALS = 10
#: Without --n-trials and --timeout, the run also starts no candidate after this many seconds, so
#: the README command ends within 10 minutes even on a busy 2-core machine (measured there: one
#: B0-size candidate of the default proxy takes 1-4 minutes at load ~7, about 30 s when idle).
DEFAULT_TIMEOUT_S = 360.0
#: What a search writes into ``<out>/<study>/``.
OUTPUTS = ("baseline.yaml", "report.html", "winner.pt")


def resolve_budget(n_trials: int | None, timeout: float | None) -> tuple[int, float | None]:
    """(n_trials, timeout): the demo budget (DEFAULT_TRIALS or DEFAULT_TIMEOUT_S) when neither is given."""
    if n_trials is None and timeout is None:
        return DEFAULT_TRIALS, DEFAULT_TIMEOUT_S
    return (DEFAULT_TRIALS if n_trials is None else n_trials), timeout


def parse_band(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` multiples of the target; ``inf`` allowed for HIGH."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise UserError(f"--flops-band must be LOW,HIGH like 0.5,1.5, got {text!r}") from None
    if math.isnan(low) or math.isnan(high) or not (0 <= low <= 1 <= high):
        raise UserError(f"--flops-band needs 0 <= LOW <= 1 <= HIGH, got {text!r}")
    return low, high


def check_writable(folder: Path, inputs: Mapping[Path, str] | None = None) -> Path:
    """``folder`` if ``baseline.yaml`` and ``report.html`` can be written there, else a UserError.

    Checked before the search (the output-safety rule of :mod:`nas.files`), so that hours of
    training never end unable to save the result or writing over one of ``inputs``; nothing is
    created here (a refused run leaves no trace).
    """
    return check_outputs(folder, OUTPUTS, inputs=inputs)


@dataclass(frozen=True)
class Checked:
    """The flags after every check that needs no storage, data or training."""

    target: int
    band: tuple[float, float]
    n_trials: int
    timeout: float | None
    pruner: str
    study_name: str
    out_dir: Path
    storage_url: str
    #: Files the run reads (storage, --space, --proxy, --compare): never written over (nas.files).
    inputs: Mapping[Path, str] = field(default_factory=dict)
    #: The network the search is compared against (``--compare``), at the search resolution.
    compare: Comparison | None = None


#: Flags that only one strategy reads: a flag the run would ignore is refused, not dropped.
ONESHOT_ONLY = ("supernet_epochs", "promote", "repeats")
STANDALONE_ONLY = ("log_to",)


def refuse_other_strategy_flags(args: argparse.Namespace) -> None:
    """A flag of the other ``--strategy`` (it would be silently ignored) ends the run up front."""
    strategy = getattr(args, "strategy", "standalone")
    ignored = STANDALONE_ONLY if strategy == "oneshot" else ONESHOT_ONLY
    for name in ignored:
        if getattr(args, name, None) is not None:
            flag = "--" + name.replace("_", "-")
            other = "standalone" if strategy == "oneshot" else "oneshot"
            raise UserError(f"{flag} applies only to --strategy {other} (this run is --strategy {strategy})")


def _check_numbers(args: argparse.Namespace, n_trials: int, timeout: float | None) -> None:
    if n_trials < 1:
        raise UserError(f"--n-trials must be at least 1, got {n_trials}")
    if timeout is not None and not timeout > 0:
        raise UserError(f"--timeout must be positive, got {timeout}")
    if args.worker_id is not None and args.worker_id < 0:
        raise UserError(f"--worker-id must be at least 0, got {args.worker_id}")
    if args.top < 1:
        raise UserError(f"--top must be at least 1, got {args.top}")
    if args.w is not None and not (math.isfinite(args.w) and args.w <= 0):
        raise UserError(f"--w must be a finite number <= 0, got {args.w}")
    if not 8 <= args.search_resolution <= 4096:
        raise UserError(f"--search-resolution must be within 8..4096, got {args.search_resolution}")
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")


def study_name_of(args: argparse.Namespace) -> str:
    """The baseline study's name: ``--study``, or the default from target, dataset and sampler, with
    ``-oneshot`` appended for the one-shot strategy (so the two strategies never share a study)."""
    from nas.search.reward import parse_flops
    from nas.search.settings import default_study_name

    if args.study:
        return str(args.study)
    name = default_study_name(parse_flops(args.target_flops), args.dataset, args.sampler)
    return name + ("-oneshot" if getattr(args, "strategy", "standalone") == "oneshot" else "")


def check_args(args: argparse.Namespace) -> Checked:
    """Every check that needs neither storage nor data, output folder and study name included."""
    from commands.baseline_compare import resolve_compare
    from nas.search.reward import Reward, parse_flops
    from nas.studies.storage import refuse_in_memory
    from nas.studies.storage_url import DEFAULT_STORAGE

    target = parse_flops(args.target_flops)
    band = parse_band(args.flops_band)
    n_trials, timeout = resolve_budget(args.n_trials, args.timeout)
    _check_numbers(args, n_trials, timeout)
    refuse_other_strategy_flags(args)
    pruner = args.pruner or ("none" if args.sampler == "nsga2" else "median")
    if args.sampler == "nsga2" and pruner != "none":
        raise UserError(
            "pruning needs a single objective; nsga2 searches two (accuracy, MACs): use --pruner none"
        )
    Reward.make(target, args.reward, args.w)  # validates
    compare = resolve_compare(getattr(args, "compare", None), args.search_resolution)
    study_name = check_study_name(study_name_of(args))
    storage_url = args.storage or DEFAULT_STORAGE
    refuse_in_memory(storage_url)
    inputs = inputs_of(
        storage_url, space=args.space, proxy=args.proxy, compare=getattr(args, "compare", None)
    )
    out_dir = check_writable(Path(args.out) / study_name, inputs)
    return Checked(target, band, n_trials, timeout, pruner, study_name, out_dir, storage_url, inputs, compare)


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_TRIALS",
    "OUTPUTS",
    "Checked",
    "check_args",
    "check_study_name",
    "study_name_of",
    "check_writable",
    "parse_band",
    "resolve_budget",
]
