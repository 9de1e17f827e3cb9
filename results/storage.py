"""Opening an Optuna storage read-only, listing its studies and loading one.

A report must never create anything: ``optuna.load_study("sqlite:///typo.db")`` would silently
create an empty database file and the Optuna tables in it. Here a SQLite file has to exist and
hold Optuna's tables before it is opened, and :class:`optuna.storages.RDBStorage` is created with
``skip_table_creation=True``. Every problem a user can cause (a misspelt path or study name, an
unreachable server, a database written by an incompatible Optuna) is one :class:`UserError` whose
message never shows a password.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nas.studies.records import ACCURACY, CREATED_BY_KEY, KIND_KEY
from nas.studies.storage_faults import remember
from nas.studies.storage_url import DEFAULT_STORAGE, mask_secrets, normalize_url, require_driver
from search_spaces.errors import UserError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna


def _first_line(exc: BaseException, url: str = "") -> str:
    """The most specific message of an exception chain (Optuna wraps driver errors), one line,
    with the password of ``url`` hidden wherever the driver quotes it."""
    causes = [exc]
    while causes[-1].__cause__ is not None or causes[-1].__context__ is not None:
        nxt = causes[-1].__cause__ or causes[-1].__context__
        if nxt is None or nxt in causes or len(causes) > 10:
            break
        causes.append(nxt)
    deepest = causes[-1]
    text = str(getattr(deepest, "orig", None) or deepest).strip() or type(deepest).__name__
    return mask_secrets(text.splitlines()[0], known=[url])


def sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite://`` URL (``None`` for other schemes).

    Raises :class:`UserError` for an in-memory URL: it cannot hold a study another process wrote.
    """
    if not url.lower().startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(url).database
    except ArgumentError as exc:
        raise UserError(f"malformed storage URL {mask_secrets(url)!r}: {_first_line(exc, url)}") from None
    if not database or database == ":memory:":
        raise UserError(f"storage {url!r} is an in-memory SQLite database; it holds no studies to read")
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    return Path(database)


def _check_sqlite_file(url: str, path: Path) -> None:
    """Refuse a missing file, a non-SQLite file and a SQLite file without Optuna's tables."""
    if not path.exists():
        raise UserError(f"storage {url!r}: file {str(path)!r} does not exist (run a search first?)")
    if not path.is_file():
        raise UserError(f"storage {url!r}: {str(path)!r} is not a file")
    try:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=30)
        try:
            found = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('studies', 'trials')"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"storage {url!r}: {str(path)!r} is not a SQLite database ({exc})") from None
    if len(found) < 2:
        raise UserError(f"storage {url!r}: {str(path)!r} is not an Optuna storage (no studies table)")


def open_storage(url: str | None = None) -> optuna.storages.BaseStorage:
    """An existing RDB storage (SQLite file or server URL), opened without creating anything."""
    import optuna

    given = (url or DEFAULT_STORAGE).strip()
    shown = mask_secrets(given)
    if "://" not in given:
        hint = "e.g. sqlite:///runs/effsearch.db or postgresql://user@host/db"
        if Path(given).is_file():
            hint = f"did you mean sqlite:///{given}?"
        raise UserError(f"storage {shown!r} is not a URL; {hint}")
    url = normalize_url(given)
    require_driver(url)
    path = sqlite_path(url)
    engine_kwargs: dict[str, Any] = {}
    if path is not None:
        _check_sqlite_file(given, path)
        remember(path)  # a fault met while reading (a corrupt page) names this file
        # a search may be writing right now: wait for its write lock instead of failing at once
        engine_kwargs = {"connect_args": {"timeout": 60}}
    try:
        storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, skip_table_creation=True)
        storage.get_all_studies()  # connects and reads once: surfaces unreachable servers here
    except UserError:
        raise
    except Exception as exc:  # sqlalchemy / driver / schema-version errors all mean "cannot read it"
        raise UserError(f"cannot open storage {shown!r}: {_first_line(exc, given)}") from None
    return storage


@dataclass(frozen=True)
class StudyInfo:
    """One line of ``effsearch report`` without ``--study``."""

    name: str
    kind: str
    directions: tuple[str, ...]
    n_trials: int
    states: dict[str, int] = field(default_factory=dict)
    best_value: float | None = None
    best_trial: int | None = None
    best_accuracy: float | None = None
    last_activity: datetime | None = None
    created_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO text)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "directions": list(self.directions),
            "n_trials": self.n_trials,
            "states": dict(self.states),
            "best_value": self.best_value,
            "best_trial": self.best_trial,
            "best_accuracy": self.best_accuracy,
            "last_activity": self.last_activity.isoformat(sep=" ") if self.last_activity else None,
            "created_by": self.created_by,
        }


def _study_info(storage: optuna.storages.BaseStorage, frozen: Any) -> StudyInfo:
    import math

    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    trials = storage.get_all_trials(frozen._study_id, deepcopy=False)
    states: dict[str, int] = {}
    stamps = []
    for trial in trials:
        states[trial.state.name.lower()] = states.get(trial.state.name.lower(), 0) + 1
        stamps += [t for t in (trial.datetime_start, trial.datetime_complete) if t is not None]
    directions = tuple(d.name.lower() for d in frozen.directions)
    best_value = best_trial = best_acc = None
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
    if len(frozen.directions) == 1 and complete:
        sign = 1.0 if frozen.directions[0] == StudyDirection.MAXIMIZE else -1.0
        finite = [t for t in complete if math.isfinite(t.values[0])]
        if finite:
            best = max(finite, key=lambda t: sign * t.values[0])
            best_value, best_trial = float(best.values[0]), best.number
    recorded = [t.user_attrs.get(ACCURACY) for t in complete]
    accs = [float(a) for a in recorded if isinstance(a, (int, float)) and math.isfinite(a)]
    if accs:
        best_acc = max(accs)
    return StudyInfo(
        name=frozen.study_name,
        kind=str(frozen.user_attrs.get(KIND_KEY, "")),
        directions=directions,
        n_trials=len(trials),
        states=states,
        best_value=best_value,
        best_trial=best_trial,
        best_accuracy=best_acc,
        last_activity=max(stamps) if stamps else None,
        created_by=str(frozen.user_attrs.get(CREATED_BY_KEY, "")),
    )


def list_studies(storage: optuna.storages.BaseStorage) -> list[StudyInfo]:
    """Every study in ``storage`` with its kind, trial counts, best value and last activity."""
    return [_study_info(storage, frozen) for frozen in storage.get_all_studies()]


def load_study(storage: optuna.storages.BaseStorage | str | None, study_name: str) -> optuna.Study:
    """Load an existing study; an unknown name is a :class:`UserError` that lists what exists."""
    import optuna

    if storage is None or isinstance(storage, str):
        storage = open_storage(storage)
    names = [s.study_name for s in storage.get_all_studies()]
    if study_name not in names:
        where = mask_secrets(getattr(storage, "url", "the storage"))
        if names:
            shown = ", ".join(sorted(names)[:20]) + (" ..." if len(names) > 20 else "")
            raise UserError(f"no study named {study_name!r} in {where}; studies there: {shown}")
        raise UserError(f"no study named {study_name!r} in {where}; it holds no studies yet")
    return optuna.load_study(study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler())


__all__ = [
    "StudyInfo",
    "list_studies",
    "load_study",
    "open_storage",
    "sqlite_path",
]
