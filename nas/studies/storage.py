"""Where studies live: opening an Optuna RDB storage from a URL, with clear errors.

Optuna is both the search engine and the database (DESIGN.md section 3): every trial and its user
attributes go to an RDB storage. SQLite (``sqlite:///runs/effsearch.db``, the default) serves one
machine; PostgreSQL (``postgresql://user:pw@host/db``) lets many workers on many machines run the
same command against the same study.

Workers die (preemption, Ctrl-C, OOM kill). With a heartbeat every ``HEARTBEAT_INTERVAL`` seconds,
a running trial whose heartbeat is older than ``GRACE_PERIOD`` is marked FAIL by the next worker
and re-queued once more with the same parameters by Optuna 5's
``RetryHeartbeatStaleTrialCallback`` (``RetryFailedTrialCallback`` is its deprecated alias), so an
interrupted search loses nothing but the interrupted trial's partial training.

``mask_url`` hides the password of a URL in every message (``cli.mask_secrets`` does the same for
the CLI, which packages must not import).
"""

from __future__ import annotations

import importlib.util
import re
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from search_spaces.errors import UserError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna

DEFAULT_STORAGE = "sqlite:///runs/effsearch.db"
#: Seconds between heartbeats of a running trial (``EFFSEARCH_HEARTBEAT_INTERVAL`` overrides it).
HEARTBEAT_INTERVAL = 30
#: A running trial silent for this long is stale: failed and retried by the next worker
#: (``EFFSEARCH_GRACE_PERIOD`` overrides it; see :func:`nas.studies.workers.heartbeat_settings`).
GRACE_PERIOD = 120
#: How often one trial may be retried after going stale.
MAX_RETRY = 2

_PASSWORD_RE = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<tail>@)")


def mask_url(text: str) -> str:
    """Replace the password of any ``scheme://user:password@host`` in ``text`` with ``***``."""
    return _PASSWORD_RE.sub(lambda m: f"{m['head']}***{m['tail']}", str(text))


def normalize_url(url: str) -> str:
    """Pick an installed PostgreSQL driver: ``postgresql://`` means psycopg2 to SQLAlchemy, but
    effsearch depends on psycopg 3, so plain URLs are routed to ``postgresql+psycopg://``."""
    url = url.strip()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix) and importlib.util.find_spec("psycopg2") is None:
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


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
    shown = mask_url(raw)
    if "://" not in url:
        raise UserError(
            f"storage {shown!r} is not a database URL; expected e.g. sqlite:///runs/effsearch.db "
            "or postgresql://user:password@host/db"
        )
    kwargs: dict = {}
    engine_kwargs: dict = {}
    try:
        in_memory = url.startswith("sqlite") and _sqlite_prepare(url)
        if url.startswith("sqlite"):
            engine_kwargs = {"connect_args": {"timeout": 60}}
        if heartbeat and not in_memory:
            from nas.studies.workers import heartbeat_settings  # env overrides (tests, small clusters)

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
        raise UserError(mask_url(str(exc))) from None
    except (
        sqlalchemy.exc.SQLAlchemyError,
        ImportError,
        ValueError,
        OSError,
        optuna.exceptions.OptunaError,
    ) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = detail[0] if detail else type(exc).__name__
        raise UserError(f"cannot open storage {shown}: {mask_url(first)}") from None


__all__ = ["DEFAULT_STORAGE", "GRACE_PERIOD", "HEARTBEAT_INTERVAL", "MAX_RETRY", "mask_url", "open_storage"]
