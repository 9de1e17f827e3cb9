"""Where dataset files come from: the search order shared by every built-in dataset.

In order (first hit wins):

1. ``data_dir`` when given (it must exist); torchvision's layouts inside it are recognised too;
2. Debian's dataset packages (Fashion-MNIST: ``dataset-fashion-mnist`` at
   /usr/share/datasets/fashion-mnist);
3. the download cache, ``$EFFSEARCH_CACHE`` or ``~/.cache/effsearch``;
4. torchvision's downloader into ``data_dir`` (or the cache) when the machine is online and
   ``EFFSEARCH_OFFLINE`` is not ``1``.

If nothing works the error names every place looked in and says exactly how to get the data.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from search_spaces.errors import UserError

#: Where Debian's dataset packages put their files.
SYSTEM_DIRS: dict[str, tuple[str, ...]] = {"fashion-mnist": ("/usr/share/datasets/fashion-mnist",)}
#: Seconds a download may stall before we give up (a firewalled machine should fail fast).
DOWNLOAD_TIMEOUT_S = 30.0


def cache_dir() -> Path:
    """Download cache: ``$EFFSEARCH_CACHE``, else ``$XDG_CACHE_HOME/effsearch`` or ``~/.cache/effsearch``."""
    if os.environ.get("EFFSEARCH_CACHE"):
        return Path(os.environ["EFFSEARCH_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "effsearch"


def offline() -> bool:
    """True when downloads are disabled (``EFFSEARCH_OFFLINE=1``)."""
    return os.environ.get("EFFSEARCH_OFFLINE", "") in {"1", "true", "yes"}


def torchvision_download(call: Any, what: str) -> None:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        call()
    except Exception as exc:  # any network/IO failure of the downloader
        raise DownloadFailed(
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)


class DownloadFailed(Exception):
    pass


def resolve_dir(
    name: str, data_dir: str | None, finder: Any, downloader: Any, how_to_get: str
) -> tuple[Path, str]:
    """Run the search order of the module docstring; returns (directory, where-it-came-from)."""
    looked: list[str] = []
    roots: list[tuple[Path, str]] = []
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise UserError(f"--data-dir {data_dir} does not exist or is not a directory")
        roots.append((root, "--data-dir"))
    roots += [(Path(p), "system package") for p in SYSTEM_DIRS.get(name, ())]
    roots.append((cache_dir(), "cache"))
    for root, label in roots:
        found = finder(root)
        if found is not None:
            return found, f"{found} ({label})"
        looked.append(str(root))
    target = Path(data_dir).expanduser() if data_dir is not None else cache_dir()
    if offline():
        reason = "downloads are disabled (EFFSEARCH_OFFLINE=1)"
    else:
        try:
            target.mkdir(parents=True, exist_ok=True)
            found = downloader(target)
            return found, f"{found} (downloaded)"
        except DownloadFailed as exc:
            reason = f"download failed ({exc})"
        except OSError as exc:
            reason = f"cannot write to {target} ({exc.strerror or exc})"
    raise UserError(f"{name} not found (looked in {', '.join(looked)}); {reason}. {how_to_get}")
