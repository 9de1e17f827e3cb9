"""Who runs a trial, and which running trials belong to workers that are gone.

Every trial records ``worker`` = ``host:pid`` (:data:`WORKER_ATTR`) so reports say who ran what,
and a sampler seed is offset per worker so that workers sharing a study do not propose the same
candidates (:func:`worker_seed`). A worker killed with SIGKILL leaves a RUNNING trial behind:
:func:`fail_stale` fails it once its heartbeat is stale (:mod:`nas.studies.heartbeat`) or, on a
SQLite file of this host, at once when its process no longer exists, and queues it again with the
same parameters. A second live process in one SQLite file is warned about once
(:class:`SqliteShareWarning`; ``docs/cluster.md`` explains why PostgreSQL serves many workers).
"""

from __future__ import annotations

import copy
import os
import socket
import sys
import warnings
import zlib
from collections.abc import Callable
from typing import Any, TextIO

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.studies.records import WORKER
from search_spaces.errors import UserError

#: The trial attribute naming the worker, ``host:pid`` (:data:`nas.studies.records.WORKER`).
WORKER_ATTR = WORKER


def worker_name() -> str:
    """``host:pid``: stored on every trial (user attr ``worker``) so reports say who ran what."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_sqlite(storage_or_url: Any) -> bool:
    url = storage_or_url if isinstance(storage_or_url, str) else getattr(storage_or_url, "url", "")
    return str(url).strip().lower().startswith("sqlite")


def worker_seed(seed: int | None, worker_id: int | None, storage_url: str | None) -> int | None:
    """The sampler seed of this worker: ``seed + worker_id``.

    Workers with the same seed propose the same candidates (TPE's random start-up trials, the
    random and RL samplers), so each worker needs its own offset. ``--worker-id K`` gives a
    reproducible one; without it, a server storage (several machines) derives one from host and
    pid, and SQLite (one process) keeps the seed as given.
    """
    if seed is None:
        return None
    if worker_id is None:
        if storage_url is None or is_sqlite(storage_url):
            return seed
        worker_id = 1 + zlib.crc32(worker_name().encode()) % 1_000_000
    if worker_id < 0:
        raise UserError(f"--worker-id must be at least 0, got {worker_id}")
    return seed + worker_id


def storage_of(study: optuna.Study) -> Any:
    """The storage a study reads and writes through (Optuna's cache wrapper included)."""
    return study._storage


def backend_of(study: optuna.Study) -> Any:
    """The RDBStorage under Optuna's cache wrapper (for its URL and heartbeat settings)."""
    storage = study._storage
    return getattr(storage, "_backend", storage)


def stale_trial_ids(study: optuna.Study) -> set[int]:
    """Trial ids whose heartbeat is older than the grace period (empty without heartbeats)."""
    storage = storage_of(study)
    if getattr(backend_of(study), "heartbeat_interval", None) is None or not hasattr(
        storage, "_get_stale_trial_ids"
    ):
        return set()
    return set(storage._get_stale_trial_ids(study._study_id))


def _pid_of(worker: str, host: str) -> int | None:
    """The pid in ``host:pid`` when it names a process of this host, else None."""
    name, _, pid = str(worker).rpartition(":")
    if name != host or not pid.isdigit():
        return None
    return int(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _retry_callback(study: optuna.Study) -> Callable[[optuna.Study, FrozenTrial], None] | None:
    getter = getattr(storage_of(study), "get_heartbeat_stale_trial_callback", None)
    return getter() if getter else None


def fail_dead_local(study: optuna.Study) -> list[int]:
    """SQLite only: fail (and retry) RUNNING trials of processes of this host that no longer exist.

    A SQLite file serves one machine, so a trial whose ``worker`` names a dead pid of this host
    was left by a killed worker: a restart need not wait for its heartbeat to go stale. (Not done
    on server storages, where two machines may share a host name.)
    """
    storage = storage_of(study)
    if not is_sqlite(backend_of(study)):
        return []
    host, me = socket.gethostname(), os.getpid()
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = _pid_of(trial.user_attrs.get(WORKER_ATTR, ""), host)
        if pid is None or pid == me or _alive(pid):
            continue
        try:
            if storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                failed.append(trial._trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
    callback = _retry_callback(study)
    if callback is not None:
        for trial_id in failed:
            callback(study, copy.deepcopy(storage.get_trial(trial_id)))
    return failed


def fail_stale(study: optuna.Study) -> None:
    """Fail stale trials (heartbeat) and trials of dead local processes; both are queued again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    fail_dead_local(study)


def requeue(study: optuna.Study, trial: FrozenTrial) -> None:
    """Queue ``trial`` again with the same parameters and user attributes (retry history kept)."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        RetryHeartbeatStaleTrialCallback(max_retry=None)(study, trial)


def other_live_workers(study: optuna.Study, me: str | None = None) -> list[str]:
    """Workers other than ``me`` with a RUNNING trial whose heartbeat is fresh (and, on this host,
    whose process exists)."""
    me = me or worker_name()
    host = socket.gethostname()
    stale = stale_trial_ids(study)
    names = set()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR)
        if not worker or worker == me or trial._trial_id in stale:
            continue
        pid = _pid_of(worker, host)
        if pid is not None and not _alive(pid):
            continue
        names.add(str(worker))
    return sorted(names)


class SqliteShareWarning:
    """Warn once on stderr when another live process runs trials in the same SQLite file."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.warned = False

    def check(self, study: optuna.Study) -> bool:
        if self.warned or not is_sqlite(backend_of(study)):
            return False
        others = other_live_workers(study)
        if not others:
            return False
        self.warned = True
        stream = self.stream or sys.stderr
        stream.write(
            f"warning: {len(others)} other process(es) ({', '.join(others[:3])}) run trials in this "
            "SQLite file; SQLite serves one process: use PostgreSQL for several workers "
            "(docs/cluster.md)\n"
        )
        stream.flush()
        return True


__all__ = [
    "WORKER_ATTR",
    "SqliteShareWarning",
    "backend_of",
    "fail_dead_local",
    "fail_stale",
    "is_sqlite",
    "other_live_workers",
    "requeue",
    "stale_trial_ids",
    "storage_of",
    "worker_name",
    "worker_seed",
]
