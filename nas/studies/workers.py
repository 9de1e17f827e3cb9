"""Many workers on one study: an exact global budget, worker identity and seeds, crashes and Ctrl-C.

Optuna is the distributed engine (``docs/cluster.md``): every worker runs the same command against
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
- **Queued twins.** Trials queued with fixed parameters (retried trials, trials a user
  enqueued) wait for a lower-numbered running trial with the same
  parameters and are then served from it as a duplicate instead of training it again.
- **Identity and seeds.** Every trial records ``worker`` = ``host:pid``; each worker's sampler
  seed is offset (:mod:`nas.studies.liveness`), so workers do not propose the same candidates.
- **Crashes.** With heartbeats (RDB storages, :mod:`nas.studies.heartbeat`), a worker killed with
  SIGKILL leaves a RUNNING trial whose heartbeat goes stale; the next worker (or a restart) marks
  it FAIL and queues it again with the same parameters (Optuna 5's
  ``RetryHeartbeatStaleTrialCallback``, set up by :func:`nas.studies.storage.open_storage`). On SQLite,
  which serves one machine, a RUNNING trial of a dead process of this host is failed at once.
- **Ctrl-C / SIGTERM.** The running trial is recorded as FAIL with reason ``"interrupted"`` and
  queued again with the same parameters; ``KeyboardInterrupt`` then reaches the CLI (exit 130).
- **SQLite is for one process.** A second live process in the same SQLite file is warned about,
  once, on stderr (:class:`nas.studies.liveness.SqliteShareWarning`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.studies.heartbeat import poll_seconds
from nas.studies.liveness import (
    SqliteShareWarning,
    backend_of,
    fail_stale,
    requeue,
    storage_of,
    worker_name,
)
from nas.studies.records import INTERRUPTED, NOT_RUN, REASON, WORKER


class NotRun(Exception):
    """A trial ended before training because lower-numbered trials fill the budget."""


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
        self.poll_s = poll_s if poll_s is not None else poll_seconds(backend_of(study))
        self.me = worker_name()
        self.share_warning = SqliteShareWarning()
        self.current: optuna.trial.Trial | None = None
        self.started = time.monotonic()

    # each trial starts here
    def _guarded(self, trial: optuna.trial.Trial) -> Any:
        self.current = trial
        try:
            trial.set_user_attr(WORKER, self.me)
            self._wait_for_lower(trial)
            return self.objective(trial)
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                trial.set_user_attr(REASON, INTERRUPTED)
            raise

    def _wait_for_lower(self, trial: optuna.trial.Trial) -> None:
        """Wait while lower-numbered trials could still fill the budget or are training this very
        candidate (a queued twin); raise :class:`NotRun` once they fill it."""
        frozen = storage_of(self.study).get_trial(trial._trial_id)
        fixed = frozen.system_attrs.get("fixed_params") or dict(frozen.params) or None
        while True:
            below = [t for t in self.study.get_trials(deepcopy=False) if t.number < trial.number]
            counted, _, running = tally(below, self.is_counted, self.is_free)
            if counted >= self.n_trials:
                trial.set_user_attr(
                    REASON, f"{NOT_RUN}: the study's budget of {self.n_trials} was reached by other workers"
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
        storage = storage_of(self.study)
        frozen = storage.get_trial(trial._trial_id)
        if frozen.state == TrialState.RUNNING:
            with contextlib.suppress(Exception):
                storage.set_trial_user_attr(trial._trial_id, REASON, INTERRUPTED)
                storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
            frozen = storage.get_trial(trial._trial_id)
        interrupted = frozen.state == TrialState.FAIL and frozen.user_attrs.get(REASON) == INTERRUPTED
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
    "INTERRUPTED",
    "NOT_RUN",
    "NotRun",
    "SharedLoop",
    "optimize_shared",
    "sigterm_as_interrupt",
    "tally",
]
