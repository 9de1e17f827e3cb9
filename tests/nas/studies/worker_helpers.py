"""Real ``effsearch baseline`` worker processes for the many-workers and crash tests.

Each worker is ``python -m cli baseline`` on the ``synthetic`` dataset with a tiny space and a tiny
proxy (one candidate trains in about a second on one CPU thread), pointed at a shared storage.
Heartbeats are made short through the environment (1 s beat, 3 s grace) so that a killed worker's
trial goes stale within the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

REPO = Path(__file__).resolve().parents[3]
DATASET = "synthetic:classes=4,size=16,channels=1,train=600,test=50"
STUDY = "workers"
FINAL_FAILURES = ("nan loss", "out of memory")
TINY_SPACE = """
name: tiny-workers
reference:
  resolution: 32
  stem: {channels: 8, kernel: 3, stride: 2}
  head: {channels: 32}
  dropout: 0.0
  drop_connect: 0.0
  stages:
    - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, out_channels: 8, layers: 1}
    - {op: mbconv, kernel: 3, stride: 2, expansion: 3, se_ratio: 0.25, out_channels: 16, layers: 1}
    - {op: mbconv, kernel: 3, stride: 2, expansion: 3, se_ratio: 0.25, out_channels: 24, layers: 1}
choices:
  op: [mbconv, dsconv, conv]
  kernel: [3, 5]
  expansion: [1, 3, 6]
  se: [0, 0.25]
  filters: [0.75, 1.0, 1.25]
  layers: [-1, 0, 1]
"""
TINY_PROXY = """
epochs: 3
train_subset: 256
val_size: 64
resolution: 16
batch_size: 64
eval_batch_size: 64
augment: false
"""


def write_inputs(folder: Path) -> tuple[Path, Path]:
    space, proxy = folder / "space.yaml", folder / "proxy.yaml"
    space.write_text(TINY_SPACE)
    proxy.write_text(TINY_PROXY)
    return space, proxy


def worker_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "EFFSEARCH_HEARTBEAT_INTERVAL": "1",
        "EFFSEARCH_GRACE_PERIOD": "3",
        "EFFSEARCH_POLL_SECONDS": "0.2",
        **extra,
    }


def baseline_args(folder: Path, storage: str, n_trials: int, *extra: str) -> list[str]:
    space, proxy = write_inputs(folder)
    return [
        "baseline",
        "--target-flops",
        "1M",
        "--flops-band",
        "0,inf",
        "--space",
        str(space),
        "--proxy",
        str(proxy),
        "--dataset",
        DATASET,
        "--search-resolution",
        "32",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--sampler",
        "random",
        "--pruner",
        "none",
        "--storage",
        storage,
        "--study",
        STUDY,
        "--out",
        str(folder / "runs"),
        "--n-trials",
        str(n_trials),
        *extra,
    ]


def start_worker(args: list[str], log: Path) -> subprocess.Popen:
    """``python -m cli ARGS`` in the repository, stdout and stderr to ``log`` (read it after)."""
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        env=worker_env(),
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )


def worker_of(process: subprocess.Popen) -> str:
    return f"{socket.gethostname()}:{process.pid}"


def trials(storage: str) -> list[FrozenTrial]:
    """The study's trials, or [] before a worker created it."""
    try:
        return optuna.load_study(study_name=STUDY, storage=storage).get_trials(deepcopy=True)
    except KeyError:
        return []


def wait_for(
    storage: str, predicate: Callable[[list[FrozenTrial]], FrozenTrial | None], process, limit: float = 120
):
    """Poll the storage until ``predicate(trials)`` gives a trial (fails if ``process`` ends first)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = predicate(trials(storage))
        if found is not None:
            return found
        if process.poll() is not None:
            raise AssertionError(f"worker ended (rc {process.returncode}) before the awaited state")
        time.sleep(0.05)
    raise AssertionError("the awaited storage state never came")


def training_trial_of(worker: str) -> Callable[[list[FrozenTrial]], FrozenTrial | None]:
    """A RUNNING candidate of ``worker`` that has sampled its architecture (so it is training),
    once at least one trial is complete (so there is something that must not be lost)."""

    def predicate(rows: list[FrozenTrial]) -> FrozenTrial | None:
        if not any(t.state == TrialState.COMPLETE for t in rows):
            return None
        for trial in rows:
            if (
                trial.state == TrialState.RUNNING
                and trial.user_attrs.get("worker") == worker
                and trial.user_attrs.get("arch_code")
                and trial.user_attrs.get("role") == "candidate"
            ):
                return trial
        return None

    return predicate


def signal_mid_training(
    args: list[str], storage: str, log: Path, signum: int, victim_state: TrialState, attempts: int = 3
) -> tuple[subprocess.Popen, FrozenTrial]:
    """Start a worker, send ``signum`` while one of its candidates trains, and return the worker and
    that candidate as the storage holds it once the worker is gone.

    The victim is read after the signal, not before: a candidate seen training can finish in the
    moment before the signal lands (one trains in about a second). When that race is lost, no trial
    of the worker is left in ``victim_state`` with an architecture; the study is deleted and the
    scenario runs again, up to ``attempts`` times.
    """
    for _ in range(attempts):
        worker = start_worker(args, log)
        try:
            wait_for(storage, training_trial_of(worker_of(worker)), worker)
        finally:
            worker.send_signal(signum)
            worker.wait(timeout=120)
        for trial in trials(storage):
            if (
                trial.state == victim_state
                and trial.user_attrs.get("worker") == worker_of(worker)
                and trial.user_attrs.get("arch_code")
                and trial.user_attrs.get("role") == "candidate"
            ):
                return worker, trial
        optuna.delete_study(study_name=STUDY, storage=storage)
    raise AssertionError(f"the signal never landed mid-training in {attempts} attempts")


def is_trained(trial: FrozenTrial) -> bool:
    """Counts toward --n-trials: trained (complete or pruned), not rejected, not a duplicate, not the
    ``--compare`` network (trained once for the report, outside the budget)."""
    if trial.user_attrs.get("role") == "reference":
        return False
    if trial.state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return trial.state == TrialState.FAIL and trial.user_attrs.get("reason") in FINAL_FAILURES
    return not str(trial.user_attrs.get("reason", "")).startswith(("rejected", "duplicate"))


def snapshot(rows: list[FrozenTrial]) -> dict[int, tuple]:
    """number -> everything a finished trial stores (to compare before and after a crash)."""
    return {
        t.number: (t.state, t.params, t.values, t.user_attrs, t.datetime_complete)
        for t in rows
        if t.state.is_finished()
    }
