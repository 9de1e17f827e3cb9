"""Opening storages read-only, listing studies, loading one, and the errors a user can cause."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from nas.studies.storage_url import mask_secrets
from results.storage import list_studies, load_study, open_storage
from search_spaces.errors import UserError


def test_lists_every_study_with_kind_counts_and_best(studies_db: str) -> None:
    infos = {info.name: info for info in list_studies(open_storage(studies_db))}
    assert set(infos) == {"toy-baseline", "toy-coefficients", "tiny", "empty"}
    tiny = infos["tiny"]
    assert tiny.kind == "baseline"
    assert tiny.n_trials == 8
    assert tiny.states == {"complete": 6, "pruned": 1, "fail": 1}
    assert tiny.best_trial == 2  # 500M MACs at 93%: the best soft reward of the eight
    assert tiny.best_accuracy == pytest.approx(0.93)
    assert infos["toy-baseline"].states.get("running") == 1
    assert infos["empty"].n_trials == 0 and infos["empty"].best_value is None
    assert infos["empty"].last_activity is None


def test_unknown_study_names_the_ones_that_exist(studies_db: str) -> None:
    with pytest.raises(UserError, match="no study named 'nope'.*toy-baseline"):
        load_study(studies_db, "nope")


def test_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "typo.db"
    with pytest.raises(UserError, match="does not exist"):
        open_storage(f"sqlite:///{path}")
    assert not path.exists() and not path.parent.exists()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n")
    with pytest.raises(UserError, match="not a SQLite database"):
        open_storage(f"sqlite:///{path}")


def test_a_sqlite_file_without_optuna_tables_is_refused_and_left_alone(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (x INTEGER)")
    with pytest.raises(UserError, match="not an Optuna storage"):
        open_storage(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"things"}


def test_a_plain_path_gets_a_sqlite_url_hint(studies_db: str) -> None:
    plain = studies_db.removeprefix("sqlite:///")
    with pytest.raises(UserError, match="did you mean sqlite:///"):
        open_storage(plain)


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(UserError, match="in-memory"):
        open_storage("sqlite:///:memory:")


def test_unreachable_server_is_one_error_without_the_password() -> None:
    with pytest.raises(UserError) as info:
        open_storage("postgresql://user:hunter2secret@127.0.0.1:1/db")
    assert "hunter2secret" not in str(info.value)
    assert "***" in str(info.value)


def test_mask_secrets_hides_only_the_password() -> None:
    text = "cannot reach postgresql+psycopg://ann:s3cr3t@db.example:5432/runs"
    assert mask_secrets(text) == "cannot reach postgresql+psycopg://ann:***@db.example:5432/runs"


@pytest.mark.postgres
def test_reads_a_study_from_postgresql(postgres_url: str) -> None:
    study = optuna.create_study(study_name="pg", storage=postgres_url, direction="maximize")
    study.set_user_attr("kind", "baseline")
    study.add_trial(optuna.trial.create_trial(value=0.5, user_attrs={"accuracy": 0.5, "macs": 1000}))
    infos = list_studies(open_storage(postgres_url))
    assert [(i.name, i.kind, i.n_trials) for i in infos] == [("pg", "baseline", 1)]
    assert load_study(postgres_url, "pg").trials[0].user_attrs["macs"] == 1000
