"""SQLite storage faults as one line naming the problem and the file.

A study database can be read-only (a file or folder this user may not write, ``chattr +i``, a
read-only mount), corrupt (a damaged page, a file that is not a database) or on a full disk.
:func:`check_sqlite_file` finds the first two when the storage is opened, before any work
starts; a disk that fills up during a run is only met when SQLite writes, deep inside Optuna, so
:func:`storage_fault` turns any exception whose chain holds such a SQLite error into the same kind
of line (the CLI prints it and exits with code 2).

Nothing already stored is lost in either case: SQLite commits are atomic, so a write that fails
(disk full, read-only) leaves every earlier commit, hence every finished trial, as it was
(``tests/test_faults.py`` checks this with ``PRAGMA quick_check`` and an SQL dump).
"""

from __future__ import annotations

import os
from pathlib import Path

from search_spaces.errors import UserError

#: (text in SQLite's message, what it means for the user); first match wins.
_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("readonly database", "is read-only (the file or its folder cannot be written)"),
    ("read-only file system", "is on a read-only file system"),
    ("database or disk is full", "cannot grow: the disk is full"),
    ("no space left", "cannot grow: the disk is full"),
    ("disk i/o error", "had a disk I/O error (a full disk, a file size limit or a failing disk)"),
    ("database disk image is malformed", "is corrupt (database disk image is malformed)"),
    ("file is not a database", "is corrupt or not a SQLite database (file is not a database)"),
    ("unable to open database file", "cannot be opened (its folder is missing or not accessible)"),
)
_CORRUPT_HINT = "restore a backup, or recover what is readable with: sqlite3 FILE .recover"

#: SQLite files this process opened as storages, newest last (named in fault messages).
_OPENED: list[Path] = []


def remember(path: Path) -> None:
    """Note that ``path`` is a storage of this process (the newest one is named in messages)."""
    if path in _OPENED:
        _OPENED.remove(path)
    _OPENED.append(path)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [getattr(item, "orig", None), item.__cause__, item.__context__]
    return seen


def _meaning(text: str) -> str | None:
    lowered = text.lower()
    for needle, meaning in _PROBLEMS:
        if needle in lowered:
            return meaning
    return None


def describe(path: Path | str, meaning: str) -> str:
    """``storage FILE <meaning>; <what happened to stored data>`` as one line."""
    if "corrupt" in meaning:
        return f"storage {path} {meaning}; {_CORRUPT_HINT.replace('FILE', str(path))}"
    return f"storage {path} {meaning}; trials stored before this were kept, rerun to resume once it is fixed"


def storage_fault(exc: BaseException) -> str | None:
    """One line for a SQLite fault anywhere in ``exc``'s chain, or None when it is not one."""
    import sqlite3

    for item in _chain(exc):
        if isinstance(item, sqlite3.Error) or type(item).__module__.startswith(("sqlalchemy", "optuna")):
            meaning = _meaning(str(item))
            if meaning is not None:
                return describe(_OPENED[-1] if _OPENED else "(SQLite)", meaning)
        if isinstance(item, OSError) and item.errno is not None and _OPENED:
            meaning = _meaning(item.strerror or "")
            if meaning is not None and str(getattr(item, "filename", "") or "").startswith(str(_OPENED[-1])):
                return describe(_OPENED[-1], meaning)
    return None


def check_sqlite_file(path: Path) -> None:
    """UserError when the existing database ``path`` cannot be written or is corrupt.

    Read-only: the file, or its folder (SQLite writes its ``-wal`` and ``-shm`` there), is not
    writable for this process. Corrupt: ``PRAGMA quick_check`` reports a problem (it reads every
    page once: milliseconds for a study database).
    """
    import sqlite3

    if not path.exists():
        return
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        raise UserError(describe(path, _PROBLEMS[0][1]).split(";")[0] + "; nothing was changed")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
        try:
            verdict = [row[0] for row in connection.execute("PRAGMA quick_check(3)")]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        meaning = _meaning(str(exc))
        if meaning is None:
            raise UserError(f"cannot open SQLite database {path}: {exc}") from None
        raise UserError(describe(path, meaning)) from None
    if verdict != ["ok"]:
        first = str(verdict[0]).splitlines()[0][:120] if verdict else "no answer"
        raise UserError(describe(path, f"is corrupt (quick_check: {first})"))


__all__ = ["check_sqlite_file", "describe", "remember", "storage_fault"]
