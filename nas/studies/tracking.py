"""Experiment trackers for a search: ``--log-to tensorboard|mlflow`` through Optuna's integration
callbacks (the ``optuna-integration`` package).

Each tracker is an extra, installed only by those who want it: ``pip install
'effsearch[tensorboard]'`` (optuna-integration, TensorBoard and the TensorFlow summary writer its
callback uses) or ``'effsearch[mlflow]'``. Asking for one that is not installed is refused before
anything runs, in one line that names the extra. The callbacks write next to the study's other
files: ``<out>/tensorboard/`` (one run per trial, with the sampled parameters as hparams) and
``<out>/mlflow.db`` (one MLflow run per trial, in MLflow's SQLite backend; ``MLFLOW_TRACKING_URI``
points elsewhere when set).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search_spaces.errors import UserError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna
    from optuna.trial import FrozenTrial

#: What ``--log-to`` accepts; each name is also the extra that installs it.
TRACKERS: tuple[str, ...] = ("tensorboard", "mlflow")
#: The modules each tracker's callback imports.
REQUIRED_MODULES: dict[str, tuple[str, ...]] = {
    "tensorboard": ("optuna_integration", "tensorboard", "tensorflow"),
    "mlflow": ("optuna_integration", "mlflow"),
}

Callback = Callable[["optuna.Study", "FrozenTrial"], None]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that cannot be imported
        return False


def check_installed(tracker: str) -> None:
    """Refuse ``tracker`` in one line naming its extra when a module it needs is missing."""
    if tracker not in REQUIRED_MODULES:
        raise UserError(f"--log-to {tracker!r} is not one of {', '.join(TRACKERS)}")
    missing = [m.replace("_", "-") for m in REQUIRED_MODULES[tracker] if not _installed(m)]
    if missing:
        raise UserError(
            f"--log-to {tracker} needs {', '.join(missing)}, not installed: "
            f"pip install 'effsearch[{tracker}]'"
        )


def tracking_callbacks(
    trackers: Sequence[str] | str | None, out_dir: str | os.PathLike[str], metric_names: Sequence[str]
) -> list[Callback]:
    """Optuna callbacks that log every finished trial to ``trackers`` (none: an empty list).

    ``metric_names`` name the study's objectives (``["reward"]``, or ``["accuracy", "macs"]`` for
    NSGA-II). TensorBoard's callback logs one objective, so it refuses a two-objective study.
    Everything is checked before any callback is built, so a refusal leaves nothing behind.
    """
    if not trackers:
        return []
    chosen = [trackers] if isinstance(trackers, str) else list(dict.fromkeys(trackers))
    for tracker in chosen:
        check_installed(tracker)
    if "tensorboard" in chosen and len(metric_names) != 1:
        raise UserError(
            f"--log-to tensorboard logs one objective; this study has {len(metric_names)} "
            f"({', '.join(metric_names)}): use --log-to mlflow"
        )
    out = Path(out_dir)
    return [_build(tracker, out, list(metric_names)) for tracker in chosen]


def _build(tracker: str, out: Path, metric_names: list[str]) -> Any:
    integration = importlib.import_module("optuna_integration")  # an extra: untyped here
    with warnings.catch_warnings():  # Optuna marks both callbacks experimental or deprecated
        warnings.simplefilter("ignore")
        if tracker == "tensorboard":
            return integration.TensorBoardCallback(str(out / "tensorboard"), metric_name=metric_names[0])

        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:  # MLflow's file store is frozen; its SQLite backend is the local default now
            out.mkdir(parents=True, exist_ok=True)
            uri = f"sqlite:///{(out / 'mlflow.db').resolve()}"
        names = metric_names[0] if len(metric_names) == 1 else metric_names
        return integration.MLflowCallback(tracking_uri=uri, metric_name=names)


__all__ = ["REQUIRED_MODULES", "TRACKERS", "check_installed", "tracking_callbacks"]
