"""Where studies live: opening an Optuna RDB storage from a URL, with clear errors.

Optuna is both the search engine and the database (``docs/baseline_search.md``): every trial and
its user attributes (:mod:`nas.studies.records`) go to an RDB storage. SQLite
(``sqlite:///runs/effsearch.db``, the default) serves one machine; PostgreSQL
(``postgresql://user:pw@host/db``) lets many workers on many machines run the same command against
the same study (``docs/cluster.md``).

Stale-trial recovery uses the heartbeat settings of :mod:`nas.studies.heartbeat`; the default URL,
driver routing and password masking are those of :mod:`nas.studies.storage_url`.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from nas.studies.heartbeat import MAX_RETRY, heartbeat_settings
from nas.studies.storage_faults import check_sqlite_file, remember
from nas.studies.storage_url import DEFAULT_STORAGE, mask_secrets, normalize_url, require_driver
from search_spaces.errors import UserError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna


def _sqlite_prepare(url: str) -> bool:
    """Create the parent folder of a SQLite file and switch it to WAL; returns whether it is in memory.

    A search writes a dozen user attributes per trial, each its own commit. In SQLite's default
    rollback-journal mode every commit is a full fsync; write-ahead logging with
    ``synchronous=NORMAL`` (see :func:`_sqlite_pragmas`) keeps the database consistent after a
    crash, makes commits an order of magnitude cheaper, and lets readers (optuna-dashboard, a
    report) read while the search writes.
    """
    import sqlite3

    from sqlalchemy.engine import make_url

    database = make_url(url).database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return True
    path = Path(database).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot create the folder {path.parent} for storage {url}: {exc.strerror or exc}"
        ) from None
    if path.is_dir():
        raise UserError(f"storage {url} points to a directory, not a database file")
    check_sqlite_file(path)  # read-only or corrupt: refused before any work starts
    remember(path)
    # Switching the journal mode needs the file to itself; workers started together on a fresh
    # file can find it locked for a moment (the busy timeout does not cover this), so retry.
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = sqlite3.connect(path, timeout=60)
            try:
                connection.execute("PRAGMA journal_mode=WAL")
            finally:
                connection.close()
            return False
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise UserError(f"cannot open SQLite database {path}: {exc}") from None
            time.sleep(0.1)
        except sqlite3.Error as exc:
            raise UserError(f"cannot open SQLite database {path}: {exc}") from None


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """Per-connection SQLite setting: WAL commits without a full fsync each."""
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _create_rdb(factory: type, url: str, engine_kwargs: dict, kwargs: dict) -> optuna.storages.RDBStorage:
    """``RDBStorage(...)``, retried while another worker is creating the same tables.

    N workers started together on a fresh PostgreSQL database all run Optuna's ``CREATE TABLE``s
    and version stamps; all but one fail on a duplicate catalog entry or row. Once the first one
    commits, a retry finds the tables. Any other error is raised at once.
    """
    import sqlalchemy.exc
    from optuna.exceptions import StorageInternalError

    attempts = 10
    for attempt in range(attempts):
        try:
            return factory(url, engine_kwargs=engine_kwargs, **kwargs)
        except (
            sqlalchemy.exc.IntegrityError,
            sqlalchemy.exc.ProgrammingError,
            sqlalchemy.exc.OperationalError,  # SQLite: "table studies already exists"
            StorageInternalError,
        ) as exc:
            text = str(getattr(exc, "orig", None) or exc).lower()
            racing = any(word in text for word in ("duplicate", "already exists", "unique"))
            if not racing or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def refuse_in_memory(url: str | None) -> None:
    """UserError for an in-memory SQLite URL (``sqlite://``, ``sqlite:///:memory:``): every result
    would vanish when the command ends. Cheap: commands call it before any work starts."""
    text = normalize_url(str(url or DEFAULT_STORAGE))
    if not text.lower().startswith("sqlite") or "://" not in text:
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(text).database or ""
    except (ArgumentError, ValueError):
        return  # open_storage reports a malformed URL
    if database in ("", ":memory:") or database.startswith("file::memory:") or "mode=memory" in text:
        raise UserError(
            f"storage {mask_secrets(text)} is an in-memory SQLite database: every result would vanish "
            "when the command ends; give a file, e.g. sqlite:///runs/effsearch.db"
        )


def open_storage(url: str | None = None, *, heartbeat: bool = True) -> optuna.storages.RDBStorage:
    """An Optuna RDB storage for ``url`` (default :data:`DEFAULT_STORAGE`), tables created.

    Raises :class:`UserError` (password masked) for a malformed URL, an unknown database kind, a
    missing driver or an unreachable server.
    """
    import optuna
    import sqlalchemy
    import sqlalchemy.event
    import sqlalchemy.exc
    from optuna.exceptions import ExperimentalWarning
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    raw = DEFAULT_STORAGE if url is None else str(url)
    if not raw.strip():
        raise UserError("--storage is empty; give e.g. sqlite:///runs/effsearch.db")
    url = normalize_url(raw)
    shown = mask_secrets(raw)
    if "://" not in url:
        raise UserError(
            f"storage {shown!r} is not a database URL; expected e.g. sqlite:///runs/effsearch.db "
            "or postgresql://user:password@host/db"
        )
    kwargs: dict = {}
    engine_kwargs: dict = {}
    try:
        refuse_in_memory(raw)
        require_driver(url)
        in_memory = url.startswith("sqlite") and _sqlite_prepare(url)
        if url.startswith("sqlite"):
            engine_kwargs = {"connect_args": {"timeout": 60}}
        if heartbeat and not in_memory:
            interval, grace = heartbeat_settings()
            kwargs = {"heartbeat_interval": interval, "grace_period": grace}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            if kwargs:
                kwargs["heartbeat_stale_trial_callback"] = RetryHeartbeatStaleTrialCallback(
                    max_retry=MAX_RETRY
                )
            storage = _create_rdb(RDBStorage, url, engine_kwargs, kwargs)
        if url.startswith("sqlite") and not in_memory:
            sqlalchemy.event.listen(storage.engine, "connect", _sqlite_pragmas)
            storage.engine.dispose()  # connections opened so far lack the pragma
        return storage
    except UserError as exc:
        raise UserError(mask_secrets(str(exc), known=[raw])) from None
    except (
        sqlalchemy.exc.SQLAlchemyError,
        ImportError,
        ValueError,
        OSError,
        optuna.exceptions.OptunaError,
    ) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = detail[0] if detail else type(exc).__name__
        raise UserError(f"cannot open storage {shown}: {mask_secrets(first, known=[raw])}") from None


__all__ = ["open_storage", "refuse_in_memory"]
