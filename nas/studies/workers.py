"""Many workers on one study: an exact global budget, worker identity and seeds, crashes and Ctrl-C.

Optuna is the distributed engine (DESIGN.md section 3): every worker runs the same command against
one storage and study name, on as many GPUs and machines as there are. MnasNet trained ~8,000
candidates (Tan et al. 2019, section 4); at that scale workers die and users press Ctrl-C, and
nothing finished may be lost or counted twice. This module makes the shared loop safe:

- **An exact global budget.** ``--n-trials`` counts trained candidates of the whole study. Optuna's
  ``MaxTrialsCallback`` looks after a trial ends, so N workers overshoot by up to N-1. Here a
  worker starts a trial only while *counted + running < n* (no trial is created otherwise; it
  polls, because a running trial may still end uncounted: rejected, duplicate, failed, dead).
  Two workers can pass that check at the same moment, so each new trial then looks at the trials
  numbered *below* it (the storage hands out numbers atomically): while those could still fill the
  budget it waits, and if they do, it ends at once, untrained, as FAIL with reason
  ``"not run: ..."`` (counted nowhere). The lower number always wins, so the count is exact and no
  trial ever waits on a higher-numbered one (no deadlock).
- **Queued twins.** Trials queued with fixed parameters (the B0 reference that every freshly
  started worker queues, retried trials) wait for a lower-numbered running trial with the same
  parameters and are then served from it as a duplicate instead of training it again.
- **Identity and seeds.** Every trial records ``worker`` = ``host:pid``. A sampler seed is offset
  per worker (``--worker-id``, or derived from host and pid on a server storage) so that workers do
  not propose the same candidates; the grid sampler's grid is the same everywhere.
- **Crashes.** With heartbeats (RDB storages, :func:`heartbeat_settings`), a worker killed with
  SIGKILL leaves a RUNNING trial whose heartbeat goes stale; the next worker (or a restart) marks
  it FAIL and queues it again with the same parameters (Optuna 5's
  ``RetryHeartbeatStaleTrialCallback``, set up by :func:`nas.studies.storage.open_storage`). On SQLite,
  which serves one machine, a RUNNING trial of a dead process of this host is failed at once.
- **Ctrl-C / SIGTERM.** The running trial is recorded as FAIL with reason ``"interrupted"`` and
  queued again with the same parameters; ``KeyboardInterrupt`` then reaches the CLI (exit 130).
- **SQLite is for one process.** A second live process in the same SQLite file is warned about,
  once, on stderr.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import socket
import sys
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from search_spaces.errors import UserError

WORKER_ATTR = "worker"
INTERRUPTED = "interrupted"
NOT_RUN = "not run"
ENV_INTERVAL = "EFFSEARCH_HEARTBEAT_INTERVAL"
ENV_GRACE = "EFFSEARCH_GRACE_PERIOD"
ENV_POLL = "EFFSEARCH_POLL_SECONDS"
#: Seconds between heartbeats of a running trial (a thread writes one row per beat).
DEFAULT_HEARTBEAT_INTERVAL = 30  # nas.studies.storage.HEARTBEAT_INTERVAL
#: A running trial silent this long is stale: failed and retried by the next worker. Four missed
#: beats: a training step that holds the GIL for a few seconds never looks like a dead worker.
DEFAULT_GRACE_PERIOD = 120
_RETRY_KEYS = ("failed_trial", "retry_history")


class NotRun(Exception):
    """A trial ended before training because lower-numbered trials fill the budget."""


# -- identity, seeds, heartbeats -------------------------------------------------------------------


def worker_name() -> str:
    """``host:pid``: stored on every trial (user attr ``worker``) so reports say who ran what."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _positive_int(environ: Mapping[str, str], key: str, default: int) -> int:
    text = environ.get(key, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{key} must be a whole number of seconds, got {text!r}") from None
    if value < 1:
        raise UserError(f"{key} must be at least 1 second, got {value}")
    return value


def heartbeat_settings(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(heartbeat interval, grace period) in seconds, from ``EFFSEARCH_HEARTBEAT_INTERVAL`` and
    ``EFFSEARCH_GRACE_PERIOD`` (defaults 30 and 120). Short values make tests and small clusters
    recover dead workers faster; the grace period must exceed the interval."""
    env = os.environ if environ is None else environ
    interval = _positive_int(env, ENV_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL)
    grace = _positive_int(env, ENV_GRACE, max(DEFAULT_GRACE_PERIOD, 2 * interval))
    if grace <= interval:
        raise UserError(
            f"{ENV_GRACE} ({grace}s) must be longer than {ENV_INTERVAL} ({interval}s), "
            "or every running trial looks dead"
        )
    return interval, grace


def poll_seconds(storage: Any = None) -> float:
    """How often an idle worker looks at the study again (``EFFSEARCH_POLL_SECONDS``, default
    min(2 s, heartbeat interval))."""
    text = os.environ.get(ENV_POLL, "").strip()
    if text:
        try:
            value = float(text)
        except ValueError:
            raise UserError(f"{ENV_POLL} must be a number of seconds, got {text!r}") from None
        if not 0 < value <= 3600:
            raise UserError(f"{ENV_POLL} must be within (0, 3600], got {value}")
        return value
    interval = getattr(storage, "heartbeat_interval", None)
    return float(min(2, interval)) if interval else 2.0


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


# -- the study's trials ------------------------------------------------------------------------------


def _storage(study: optuna.Study) -> Any:
    return study._storage


def _backend(study: optuna.Study) -> Any:
    """The RDBStorage under Optuna's cache wrapper (for its URL and heartbeat settings)."""
    storage = study._storage
    return getattr(storage, "_backend", storage)


def stale_trial_ids(study: optuna.Study) -> set[int]:
    """Trial ids whose heartbeat is older than the grace period (empty without heartbeats)."""
    storage = _storage(study)
    if getattr(_backend(study), "heartbeat_interval", None) is None or not hasattr(
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
    getter = getattr(_storage(study), "get_heartbeat_stale_trial_callback", None)
    return getter() if getter else None


def fail_dead_local(study: optuna.Study) -> list[int]:
    """SQLite only: fail (and retry) RUNNING trials of processes of this host that no longer exist.

    A SQLite file serves one machine, so a trial whose ``worker`` names a dead pid of this host
    was left by a killed worker: a restart need not wait for its heartbeat to go stale. (Not done
    on server storages, where two machines may share a host name.)
    """
    storage = _storage(study)
    if not is_sqlite(_backend(study)):
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

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream
        self.warned = False

    def check(self, study: optuna.Study) -> bool:
        if self.warned or not is_sqlite(_backend(study)):
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


# -- the budget ---------------------------------------------------------------------------------------


def tally(
    trials: Sequence[FrozenTrial],
    is_counted: Callable[[FrozenTrial], bool],
    is_free: Callable[[FrozenTrial], bool],
) -> tuple[int, int, int]:
    """(counted, free, running) over ``trials``."""
    counted = free = running = 0
    for trial in trials:
        if trial.state == TrialState.RUNNING:
            running += 1
        elif trial.state.is_finished():
            if is_counted(trial):
                counted += 1
            elif trial.state != TrialState.FAIL and is_free(trial):
                free += 1
    return counted, free, running


def _same_params(trial: FrozenTrial, fixed: Mapping[str, Any]) -> bool:
    params = trial.system_attrs.get("fixed_params", trial.params)
    return dict(params) == dict(fixed)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cluster scheduler stopping the job) ends the run like Ctrl-C (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class SharedLoop:
    """Run ``objective`` trials on a study shared with other workers until ``n_trials`` are counted.

    ``is_counted(trial)`` says whether a finished trial counts toward the budget, ``is_free`` whether
    it cost nothing (rejected, duplicate); more than ``max_free`` free trials also stop the loop.
    :meth:`run` returns why it stopped: ``"budget"``, ``"free"`` or ``"timeout"``.
    """

    def __init__(
        self,
        study: optuna.Study,
        objective: Callable[[optuna.trial.Trial], Any],
        *,
        n_trials: int,
        is_counted: Callable[[FrozenTrial], bool],
        is_free: Callable[[FrozenTrial], bool],
        max_free: int,
        timeout: float | None = None,
        callbacks: Sequence[Callable[[optuna.Study, FrozenTrial], None]] = (),
        poll_s: float | None = None,
    ) -> None:
        self.study = study
        self.objective = objective
        self.n_trials = int(n_trials)
        self.is_counted = is_counted
        self.is_free = is_free
        self.max_free = int(max_free)
        self.timeout = timeout
        self.callbacks = list(callbacks)
        self.poll_s = poll_s if poll_s is not None else poll_seconds(_backend(study))
        self.me = worker_name()
        self.share_warning = SqliteShareWarning()
        self.current: optuna.trial.Trial | None = None
        self.started = time.monotonic()

    # each trial starts here
    def _guarded(self, trial: optuna.trial.Trial) -> Any:
        self.current = trial
        try:
            trial.set_user_attr(WORKER_ATTR, self.me)
            self._wait_for_lower(trial)
            return self.objective(trial)
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                trial.set_user_attr("reason", INTERRUPTED)
            raise

    def _wait_for_lower(self, trial: optuna.trial.Trial) -> None:
        """Wait while lower-numbered trials could still fill the budget or are training this very
        candidate (a queued twin); raise :class:`NotRun` once they fill it."""
        frozen = _storage(self.study).get_trial(trial._trial_id)
        fixed = frozen.system_attrs.get("fixed_params") or dict(frozen.params) or None
        while True:
            below = [t for t in self.study.get_trials(deepcopy=False) if t.number < trial.number]
            counted, _, running = tally(below, self.is_counted, self.is_free)
            if counted >= self.n_trials:
                trial.set_user_attr(
                    "reason", f"{NOT_RUN}: the study's budget of {self.n_trials} was reached by other workers"
                )
                raise NotRun(trial.number)
            twin = fixed is not None and any(
                t.state == TrialState.RUNNING and _same_params(t, fixed) for t in below
            )
            if not twin and counted + running < self.n_trials:
                return
            time.sleep(self.poll_s)
            fail_stale(self.study)

    def _record_interrupt(self) -> None:
        """After Ctrl-C: make sure the running trial is FAIL "interrupted" and queue it again."""
        trial = self.current
        if trial is None:
            return
        storage = _storage(self.study)
        frozen = storage.get_trial(trial._trial_id)
        if frozen.state == TrialState.RUNNING:
            with contextlib.suppress(Exception):
                storage.set_trial_user_attr(trial._trial_id, "reason", INTERRUPTED)
                storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
            frozen = storage.get_trial(trial._trial_id)
        interrupted = frozen.state == TrialState.FAIL and frozen.user_attrs.get("reason") == INTERRUPTED
        if interrupted and (frozen.params or frozen.system_attrs.get("fixed_params")):
            requeue(self.study, frozen)

    def _timed_out(self) -> bool:
        return self.timeout is not None and time.monotonic() - self.started >= self.timeout

    def run(self) -> str:
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        with sigterm_as_interrupt():
            while True:
                fail_stale(self.study)
                self.share_warning.check(self.study)
                counted, free, running = tally(
                    self.study.get_trials(deepcopy=False), self.is_counted, self.is_free
                )
                if counted >= self.n_trials:
                    return "budget"
                if free >= self.max_free:
                    return "free"
                if self._timed_out():
                    return "timeout"
                if counted + running >= self.n_trials:
                    time.sleep(self.poll_s)  # others are finishing the budget; one may fail
                    continue
                self.current = None
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                        self.study.optimize(
                            self._guarded,
                            n_trials=1,
                            callbacks=self.callbacks,
                            catch=(NotRun,),
                            gc_after_trial=False,
                        )
                except KeyboardInterrupt:
                    self._record_interrupt()
                    raise


def optimize_shared(
    study: optuna.Study,
    objective: Callable[[optuna.trial.Trial], Any],
    **kwargs: Any,
) -> str:
    """:class:`SharedLoop` ``(study, objective, **kwargs).run()``."""
    return SharedLoop(study, objective, **kwargs).run()


__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "INTERRUPTED",
    "NOT_RUN",
    "NotRun",
    "SharedLoop",
    "SqliteShareWarning",
    "WORKER_ATTR",
    "fail_dead_local",
    "fail_stale",
    "heartbeat_settings",
    "is_sqlite",
    "optimize_shared",
    "other_live_workers",
    "poll_seconds",
    "requeue",
    "stale_trial_ids",
    "tally",
    "worker_name",
    "worker_seed",
]
