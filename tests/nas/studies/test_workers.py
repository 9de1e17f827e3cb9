"""Many workers on one study, crash recovery and Ctrl-C (nas.studies.workers, effsearch baseline).

The process tests run real ``python -m cli baseline`` workers (see ``worker_helpers``) against a
real SQLite file or a real throwaway PostgreSQL server, and send real signals.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from nas.studies.heartbeat import heartbeat_settings
from nas.studies.liveness import WORKER_ATTR, SqliteShareWarning, fail_dead_local, worker_seed
from nas.studies.records import NOT_RUN
from nas.studies.storage import open_storage
from nas.studies.workers import NotRun, SharedLoop, tally
from search_spaces.errors import UserError
from tests.nas.studies.worker_helpers import (
    baseline_args,
    is_trained,
    signal_mid_training,
    snapshot,
    start_worker,
    trials,
    worker_of,
)

optuna.logging.set_verbosity(optuna.logging.ERROR)


# -- settings and seeds -----------------------------------------------------------------------------


def test_heartbeat_settings_default_and_from_the_environment():
    assert heartbeat_settings({}) == (30, 120)
    env = {"EFFSEARCH_HEARTBEAT_INTERVAL": "1", "EFFSEARCH_GRACE_PERIOD": "3"}
    assert heartbeat_settings(env) == (1, 3)


@pytest.mark.parametrize(
    "env",
    [
        {"EFFSEARCH_HEARTBEAT_INTERVAL": "soon"},
        {"EFFSEARCH_HEARTBEAT_INTERVAL": "0"},
        {"EFFSEARCH_HEARTBEAT_INTERVAL": "10", "EFFSEARCH_GRACE_PERIOD": "5"},
    ],
)
def test_bad_heartbeat_settings_are_user_errors(env):
    with pytest.raises(UserError):
        heartbeat_settings(env)


def test_storages_use_the_heartbeat_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("EFFSEARCH_HEARTBEAT_INTERVAL", "2")
    monkeypatch.setenv("EFFSEARCH_GRACE_PERIOD", "7")
    storage = open_storage(f"sqlite:///{tmp_path}/h.db")
    assert (storage.heartbeat_interval, storage.grace_period) == (2, 7)


def test_worker_seeds_differ_per_worker_and_stay_on_sqlite():
    assert worker_seed(5, None, "sqlite:///runs/x.db") == 5
    assert worker_seed(5, 3, "sqlite:///runs/x.db") == 8
    assert worker_seed(5, 0, "postgresql+psycopg://u@h/db") == 5
    derived = worker_seed(5, None, "postgresql+psycopg://u@h/db")
    assert derived is not None and derived != 5
    assert worker_seed(None, 2, "postgresql+psycopg://u@h/db") is None
    with pytest.raises(UserError):
        worker_seed(0, -1, None)


# -- the budget, in one process ---------------------------------------------------------------------


def counted(trial):
    return trial.state == TrialState.COMPLETE and not trial.user_attrs.get("reason")


def free(trial):
    return str(trial.user_attrs.get("reason", "")).startswith("rejected")


def loop(study, n, **kwargs):
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if x < 0.3:
            trial.set_user_attr("reason", "rejected: small")
        return x

    return SharedLoop(
        study, objective, n_trials=n, is_counted=counted, is_free=free, max_free=50, poll_s=0.01, **kwargs
    )


def test_free_trials_do_not_count_toward_the_budget(tmp_path):
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path}/b.db"), study_name="b")
    assert loop(study, 5).run() == "budget"
    rows = study.get_trials()
    assert tally(rows, counted, free)[0] == 5
    assert all(t.user_attrs[WORKER_ATTR] == f"{socket.gethostname()}:{os.getpid()}" for t in rows)


def test_a_trial_numbered_after_a_full_budget_ends_untrained(tmp_path):
    """Two workers passed the pre-check together: the higher number yields without training."""
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path}/c.db"), study_name="c")
    first, second = study.ask(), study.ask()  # second was created while first was running
    study.tell(first, 0.9)
    shared = loop(study, 1)
    with pytest.raises(NotRun):
        shared._guarded(second)
    assert second.user_attrs["reason"].startswith(NOT_RUN)


def test_no_trial_is_started_while_running_ones_can_fill_the_budget(tmp_path):
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path}/d.db"), study_name="d")
    other = study.ask()  # another worker's trial, still running
    shared = loop(study, 1, timeout=0.3)
    assert shared.run() == "timeout"
    assert [t.number for t in study.get_trials()] == [other.number]  # nothing new was created
    study.tell(other, 0.9)
    assert loop(study, 1).run() == "budget"
    assert len(study.get_trials()) == 1


def test_a_running_trial_of_a_dead_local_process_is_failed_and_retried(tmp_path):
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path}/e.db"), study_name="e")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    trial = study.ask()
    trial.suggest_int("k", 0, 9)
    trial.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{dead.pid}")
    alive = study.ask()
    alive.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{os.getpid()}")
    assert len(fail_dead_local(study)) == 1
    rows = {t.number: t for t in study.get_trials()}
    assert rows[trial.number].state == TrialState.FAIL
    assert rows[alive.number].state == TrialState.RUNNING
    (retry,) = [t for t in rows.values() if t.state == TrialState.WAITING]
    assert retry.params == rows[trial.number].params
    assert retry.system_attrs["failed_trial"] == trial.number


def test_a_second_live_process_on_sqlite_is_warned_about_once(tmp_path):
    import io

    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path}/f.db"), study_name="f")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        trial = study.ask()
        trial.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{other.pid}")
        stream = io.StringIO()
        warning = SqliteShareWarning(stream)
        assert warning.check(study) and not warning.check(study)
    finally:
        other.kill()
        other.wait()
    assert stream.getvalue().count("\n") == 1
    assert "PostgreSQL" in stream.getvalue()


# -- real worker processes --------------------------------------------------------------------------


def run_workers(folder, storage, n_trials, count, *extra):
    processes = [
        start_worker(baseline_args(folder, storage, n_trials, *extra), folder / f"worker{i}.log")
        for i in range(count)
    ]
    codes = [p.wait(timeout=300) for p in processes]
    logs = [(folder / f"worker{i}.log").read_text() for i in range(count)]
    assert codes == [0] * count, "\n".join(log[-3000:] for log in logs)
    return processes, logs


def check_exact_budget(rows, n_trials):
    numbers = [t.number for t in rows]
    assert sorted(numbers) == list(range(len(rows)))  # none lost, none twice
    assert sum(1 for t in rows if is_trained(t)) == n_trials
    assert not [t for t in rows if t.state == TrialState.RUNNING]
    trained_codes = Counter(t.user_attrs["arch_code"] for t in rows if is_trained(t))
    served = [t for t in rows if str(t.user_attrs.get("reason", "")).startswith("duplicate")]
    for trial in served:  # a duplicate is served from a trained twin, never trained again
        assert trial.user_attrs["arch_code"] in trained_codes
        assert trial.user_attrs["epochs_run"] == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_four_workers_share_one_budget_on_postgresql(tmp_path, postgres_url):
    processes, logs = run_workers(tmp_path, postgres_url, 8, 4)
    rows = trials(postgres_url)
    check_exact_budget(rows, 8)
    workers = {t.user_attrs.get(WORKER_ATTR) for t in rows if is_trained(t)}
    assert workers <= {worker_of(p) for p in processes}
    assert len(workers) >= 2, "the workers never overlapped; the test proved nothing"
    references = [t for t in rows if t.user_attrs.get("role") == "reference"]
    assert [t.state for t in references] == [TrialState.COMPLETE]  # the comparison, trained once
    assert not any("SQLite" in log for log in logs)


@pytest.mark.slow
def test_two_workers_on_one_sqlite_file_keep_the_budget_and_are_warned(tmp_path):
    storage = f"sqlite:///{tmp_path}/shared.db"
    _, logs = run_workers(tmp_path, storage, 8, 2)
    check_exact_budget(trials(storage), 8)
    warned = [log.count("other process(es)") for log in logs]
    assert max(warned) == 1, warned  # the overlap was seen, and said once per process at most


def kill_restart(tmp_path, storage):
    args = baseline_args(tmp_path, storage, 5)
    log = tmp_path / "killed.log"
    _, victim = signal_mid_training(args, storage, log, signal.SIGKILL, TrialState.RUNNING)
    before = snapshot(trials(storage))
    restart = start_worker(args, tmp_path / "restart.log")
    assert restart.wait(timeout=300) == 0, (tmp_path / "restart.log").read_text()[-3000:]
    rows = trials(storage)
    by_number = {t.number: t for t in rows}
    assert by_number[victim.number].state == TrialState.FAIL
    retries = [t for t in rows if t.system_attrs.get("failed_trial") == victim.number]
    assert len(retries) == 1
    assert retries[0].state == TrialState.COMPLETE
    assert retries[0].params == victim.params
    assert retries[0].user_attrs["arch_code"] == victim.user_attrs["arch_code"]
    assert retries[0].user_attrs[WORKER_ATTR] == worker_of(restart)
    after = snapshot(rows)
    for number, record in before.items():  # every finished trial intact
        assert after[number] == record
    check_exact_budget(rows, 5)


@pytest.mark.slow
def test_sigkill_mid_trial_then_restart_retries_it_on_sqlite(tmp_path):
    kill_restart(tmp_path, f"sqlite:///{tmp_path}/crash.db")


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_mid_trial_then_restart_retries_it_on_postgresql(tmp_path, postgres_url):
    kill_restart(tmp_path, postgres_url)


@pytest.mark.slow
def test_ctrl_c_records_the_trial_as_interrupted_and_a_rerun_retries_it(tmp_path):
    storage = f"sqlite:///{tmp_path}/int.db"
    args = baseline_args(tmp_path, storage, 4)
    worker, victim = signal_mid_training(args, storage, tmp_path / "int.log", signal.SIGINT, TrialState.FAIL)
    assert worker.returncode == 130
    log = (tmp_path / "int.log").read_text()
    assert "Traceback" not in log and "interrupted" in log
    rows = {t.number: t for t in trials(storage)}
    assert rows[victim.number].state == TrialState.FAIL
    assert rows[victim.number].user_attrs["reason"] == "interrupted"
    (queued,) = [t for t in rows.values() if t.system_attrs.get("failed_trial") == victim.number]
    assert queued.state == TrialState.WAITING and queued.params == victim.params
    before = snapshot(rows.values())
    rerun = start_worker(args, tmp_path / "rerun.log")
    assert rerun.wait(timeout=300) == 0, (tmp_path / "rerun.log").read_text()[-3000:]
    after = {t.number: t for t in trials(storage)}
    assert after[queued.number].state == TrialState.COMPLETE
    assert after[queued.number].params == victim.params
    assert all(snapshot(after.values())[n] == record for n, record in before.items())
    check_exact_budget(list(after.values()), 4)


# -- many workers creating the tables of a fresh storage at once -----------------------------------


def _open_after(barrier, url, results):
    barrier.wait()
    try:
        open_storage(url)
        results.put("ok")
    except UserError as exc:
        results.put(str(exc))


def open_together(url: str, count: int = 6) -> list[str]:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(count), context.Queue()
    processes = [context.Process(target=_open_after, args=(barrier, url, results)) for _ in range(count)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    return outcomes


def test_workers_starting_together_on_a_fresh_sqlite_file_all_open_it(tmp_path):
    assert open_together(f"sqlite:///{tmp_path}/fresh.db") == ["ok"] * 6


@pytest.mark.postgres
def test_workers_starting_together_on_a_fresh_postgresql_database_all_open_it(postgres_url):
    assert open_together(postgres_url) == ["ok"] * 6
