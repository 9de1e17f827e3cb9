"""Opening storages: SQLite folders are created, bad or unreachable URLs are one masked error."""

from __future__ import annotations

import optuna
import pytest

from nas.studies.storage import open_storage
from nas.studies.storage_url import mask_secrets, normalize_url
from search_spaces.errors import UserError


def test_sqlite_parent_folders_are_created(tmp_path):
    url = f"sqlite:///{tmp_path}/deep/er/effsearch.db"
    storage = open_storage(url)
    study = optuna.create_study(storage=storage, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert (tmp_path / "deep" / "er" / "effsearch.db").exists()
    assert storage.heartbeat_interval and storage.grace_period


def test_heartbeat_retries_stale_trials_with_the_optuna5_callback(tmp_path):
    storage = open_storage(f"sqlite:///{tmp_path}/h.db")
    assert type(storage.heartbeat_stale_trial_callback).__name__ == "RetryHeartbeatStaleTrialCallback"


def test_unreachable_server_is_a_user_error_with_the_password_masked():
    with pytest.raises(UserError) as info:
        open_storage("postgresql://alice:s3cr3t-pw@127.0.0.1:1/effsearch")
    message = str(info.value)
    assert "s3cr3t-pw" not in message
    assert "alice:***@127.0.0.1" in message


@pytest.mark.parametrize("url", ["not-a-url", "nosuchdb://x/y", "", "sqlite:////proc/no/such/dir/x.db"])
def test_invalid_urls_are_user_errors(url):
    with pytest.raises(UserError):
        open_storage(url)


def test_mask_secrets_hides_only_the_password():
    assert mask_secrets("postgresql+psycopg://u:p%40ss@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"
    assert mask_secrets("sqlite:///runs/effsearch.db") == "sqlite:///runs/effsearch.db"
    assert mask_secrets("error at postgresql://u:pw@h/db now") == "error at postgresql://u:***@h/db now"


def test_plain_postgresql_urls_use_psycopg3_when_psycopg2_is_missing():
    pytest.importorskip("psycopg")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    else:
        assert normalize_url("postgresql://u:p@h/db") == "postgresql://u:p@h/db"


@pytest.mark.postgres
def test_postgresql_storage_opens(postgres_url):
    storage = open_storage(postgres_url)
    study = optuna.create_study(storage=storage, study_name="pg")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2
