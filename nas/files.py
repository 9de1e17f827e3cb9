"""Where results are written: the one output-safety rule of every command that writes a file.

Every writer (``report --out``, ``baseline.yaml`` and ``report.html`` of a search,
``coefficients.yaml``, ``sweep.csv``, ``export --out``, ``evaluate --json-out``) goes through
this module, so a result never destroys what the command reads and a long run never ends unable
to save what it found:

- :func:`check_output` runs *before any training*: it resolves the path (symlinks, ``..``),
  refuses a path that is one of the same command's inputs (the SQLite storage file and its
  ``-wal``/``-shm``/``-journal`` companions, ``--coefficients``, ``--base``/``--arch``,
  ``--space``, ``--proxy``, ``--weights``; hard links included, compared by inode), refuses a
  folder, a device or any other non-regular file, and checks that the file, or the folder that
  will hold it, can be written (``os.access``: read-only mounts and ``chattr +i`` included).
- :func:`write_atomic` and :func:`atomic_target` write a sibling temporary file, ``fsync`` it and
  ``os.replace`` it over the target, which must be absent or a regular file (checked again just
  before the swap), so an interrupted or failed write (disk full) leaves the old file whole, and a
  device is never swapped for a regular file.
- :func:`check_study_name` and :func:`folder_name` are the one rule for study names that become
  folders (``<out>/<study>/...``): letters, digits and ``_ . @ + = , : -`` and spaces, not
  starting with a dot or ending in a dot or space, at most 200 characters.

Every refusal is a :class:`~search_spaces.errors.UserError` naming the flag and the file.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from search_spaces.errors import UserError

#: A study name that is safe as one folder name under ``--out``.
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+=,: -]{0,199}$")
_UNSAFE_CHAR = re.compile(r"[^A-Za-z0-9_.@+=,: -]+")
#: Files SQLite keeps beside a database: writing over any of them corrupts it.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def check_study_name(name: str, flag: str = "--study") -> str:
    """``name`` if it can be the folder ``<out>/<name>``, else a UserError (before any training)."""
    if not SAFE_NAME.match(name) or name.rstrip(" .") != name:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise UserError(
            f"{flag} {shown!r} cannot name the output folder: use letters, digits and _ . - "
            "(no path separators, not starting with a dot, at most 200 characters)"
        )
    return name


def folder_name(name: str) -> str:
    """``name`` made safe as a folder name by the rule of :func:`check_study_name` (never refused)."""
    safe = _UNSAFE_CHAR.sub("_", name).lstrip(".").rstrip(" .")[:200].rstrip(" .")
    safe = safe.lstrip(" ")
    return safe if safe and SAFE_NAME.match(safe) else "study"


def sqlite_file(url: str | None) -> Path | None:
    """The database file of a ``sqlite:///`` URL (None for other storages and in-memory SQLite)."""
    if not url or not str(url).strip().lower().startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(str(url).strip()).database or ""
    except (ArgumentError, ValueError):
        return None
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def inputs_of(storage: str | None = None, **files: str | os.PathLike[str] | None) -> dict[Path, str]:
    """The files a command reads, by resolved path, with the flag that named each.

    ``storage`` is a storage URL (its SQLite file and companions count); ``files`` maps a flag
    (``space="--space"`` style: keyword = flag without dashes, ``_`` for ``-``) to a path or to a
    value that is not a file (a preset name like ``b0`` or ``paper``), which is ignored.
    """
    found: dict[Path, str] = {}
    database = sqlite_file(storage)
    if database is not None:
        for suffix in SQLITE_COMPANIONS:
            found[_resolve(Path(f"{database}{suffix}"))] = "--storage"
    for key, value in files.items():
        if value is None or not str(value).strip():
            continue
        path = Path(str(value)).expanduser()
        if _exists(path):
            found[_resolve(path)] = "--" + key.replace("_", "-")
    return found


def _exists(path: Path) -> bool:
    """Whether ``path`` names a file; a value no file system accepts (an architecture code longer
    than a file name may be) is simply not a file."""
    try:
        return path.exists()
    except OSError:
        return False


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: keep it as given
        return path.absolute()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_folder(folder: Path, shown: Path, flag: str) -> None:
    """The nearest existing ancestor of ``folder`` is a folder this process may write into."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UserError(f"{flag}: cannot write {shown}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"{flag}: cannot write {shown}: the folder {probe} is not writable")


def check_output(
    path: str | os.PathLike[str], *, inputs: Mapping[Path, str] | None = None, flag: str = "--out"
) -> Path:
    """The resolved ``path`` if a result may be written there, else a UserError; writes nothing.

    Refused: one of ``inputs`` (see :func:`inputs_of`), a folder, a device or other non-regular
    file, a file or folder this process cannot write.
    """
    given = Path(path).expanduser()
    target = _resolve(given)
    for known, owner in (inputs or {}).items():
        if target == known or _same_file(target, known):
            raise UserError(
                f"{flag}: refusing to write {given}: it is this command's {owner} input, which the "
                "result would destroy; give another file"
            )
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UserError(f"{flag}: cannot write {given}: {_reason(exc)}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise UserError(f"{flag}: refusing to write {given}: it is {_kind(mode)}, not a regular file")
    if mode is not None and not os.access(target, os.W_OK):
        raise UserError(f"{flag}: cannot write {given}: the file is not writable")
    _check_folder(target.parent, given, flag)
    return target


def check_outputs(
    folder: str | os.PathLike[str],
    names: Iterable[str],
    *,
    inputs: Mapping[Path, str] | None = None,
    flag: str = "--out",
) -> Path:
    """:func:`check_output` for every ``folder/name``; the folder itself must not be a file."""
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{flag}: cannot write {folder}: it is a file, not a folder")
    for name in names:
        check_output(folder / name, inputs=inputs, flag=flag)
    return folder


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"{exc.strerror} (disk full or file size limit)"
    return exc.strerror or str(exc)


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_target(
    path: str | os.PathLike[str], *, inputs: Mapping[Path, str] | None = None, flag: str = "--out"
) -> Iterator[Path]:
    """A temporary sibling of ``path`` to write into; swapped over ``path`` when the block ends well.

    On any error the temporary file is removed and ``path`` is left as it was; an ``OSError``
    (disk full, read-only) becomes one UserError line naming the file.
    """
    target = check_output(path, inputs=inputs, flag=flag)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent
        )
        os.close(fd)
    except OSError as exc:
        raise UserError(f"{flag}: cannot write {path}: {_reason(exc)}") from None
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(target))
        check_output(target, flag=flag)  # still absent or a regular file: never swap out a device
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{flag}: cannot write {path}: {_reason(exc)}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    inputs: Mapping[Path, str] | None = None,
    flag: str = "--out",
) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically (see :func:`atomic_target`); returns it."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_target(path, inputs=inputs, flag=flag) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(payload)
    return Path(path)


__all__ = [
    "SAFE_NAME",
    "SQLITE_COMPANIONS",
    "atomic_target",
    "check_output",
    "check_outputs",
    "check_study_name",
    "folder_name",
    "inputs_of",
    "sqlite_file",
    "write_atomic",
]
