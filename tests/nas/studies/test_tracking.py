"""``--log-to tensorboard|mlflow``: refused in one line naming the extra when it is not installed;
when it is, a real study's trials are written to the tracker and read back."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import optuna
import pytest

from nas.studies.tracking import REQUIRED_MODULES, TRACKERS, check_installed, tracking_callbacks
from search_spaces.errors import UserError


def _hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # find_spec then reports it missing


@pytest.mark.parametrize("tracker", TRACKERS)
def test_a_missing_tracker_is_refused_with_its_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tracker: str
) -> None:
    _hide(monkeypatch, *REQUIRED_MODULES[tracker])
    with pytest.raises(UserError) as caught:
        tracking_callbacks(tracker, tmp_path / "out", ["reward"])
    message = str(caught.value)
    assert "\n" not in message
    assert f"pip install 'effsearch[{tracker}]'" in message and "optuna-integration" in message
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_unknown_tracker_and_nothing_asked(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not one of tensorboard, mlflow"):
        check_installed("wandb")
    assert tracking_callbacks(None, tmp_path, ["reward"]) == []
    assert tracking_callbacks([], tmp_path, ["reward"]) == []


def test_tensorboard_refuses_two_objectives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("nas.studies.tracking.check_installed", lambda tracker: None)
    with pytest.raises(UserError, match="logs one objective.*accuracy, macs.*--log-to mlflow"):
        tracking_callbacks("tensorboard", tmp_path, ["accuracy", "macs"])


def _run(callbacks: list, directions: list[str]) -> optuna.Study:
    study = optuna.create_study(directions=directions)
    study.optimize(lambda t: [t.suggest_float("x", 0, 1)] * len(directions), n_trials=3, callbacks=callbacks)
    return study


def _missing(tracker: str) -> list[str]:
    return [m for m in REQUIRED_MODULES[tracker] if importlib.util.find_spec(m) is None]


@pytest.mark.skipif(
    bool(_missing("mlflow")),
    reason=f"mlflow tracking needs {', '.join(_missing('mlflow'))} (pip install 'effsearch[mlflow]'; "
    "heavy, so not part of the test extra)",
)
def test_mlflow_writes_one_run_per_trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _run(tracking_callbacks("mlflow", tmp_path, ["accuracy", "macs"]), ["maximize", "minimize"])
    client = mlflow.tracking.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = [r for e in client.search_experiments() for r in client.search_runs([e.experiment_id])]
    assert len(runs) == 3
    assert all({"accuracy", "macs"} <= set(r.data.metrics) and "x" in r.data.params for r in runs)


@pytest.mark.skipif(
    bool(_missing("tensorboard")),
    reason=f"TensorBoard tracking needs {', '.join(_missing('tensorboard'))} "
    "(pip install 'effsearch[tensorboard]'; TensorFlow is heavy, so not part of the test extra)",
)
def test_tensorboard_writes_one_run_per_trial(tmp_path: Path) -> None:
    _run(tracking_callbacks("tensorboard", tmp_path, ["reward"]), ["maximize"])
    runs = sorted(p.name for p in (tmp_path / "tensorboard").iterdir() if p.is_dir())
    assert runs == ["trial-0", "trial-1", "trial-2"]
    assert all(list((tmp_path / "tensorboard" / r).glob("events.out.tfevents.*")) for r in runs)
