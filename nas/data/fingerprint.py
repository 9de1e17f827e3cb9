"""What data a study was judged on: a fingerprint stored in the study and compared on resume.

Two runs of one study must judge their candidates on the same images, or the ranking mixes
accuracies that are not comparable. The dataset's *name* is already part of the study's settings;
this adds what the name does not pin down:

- an ImageFolder tree (``imagefolder:PATH``): every image file the loader would read (hidden files
  and folders skipped, like :func:`nas.data.imagefolder.scan_classes`), by relative path, size and
  modification time, hashed into one digest (a stat per file, no image is read);
- a packaged set (Fashion-MNIST, CIFAR, synthetic): its name, the sizes of its splits, the number
  of classes and the image shape.

:func:`check_same` compares a stored fingerprint with the current one and refuses a resume on
changed data with one line saying what changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from nas.studies.records import DATA_FINGERPRINT_KEY as FINGERPRINT_KEY
from search_spaces.errors import UserError


def _imagefolder(root: Path) -> dict[str, Any]:
    from nas.data.imagefolder import scan_classes

    digest = hashlib.sha256()
    files = total = 0
    try:
        classes = scan_classes(root)
    except OSError as exc:
        raise UserError(f"cannot list {root}: {exc.strerror or exc}") from None
    for name in sorted(classes):
        for path in classes[name]:
            info = path.stat()
            digest.update(f"{path.relative_to(root)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
            files += 1
            total += info.st_size
    return {"kind": "imagefolder", "files": files, "bytes": total, "digest": digest.hexdigest()[:32]}


def fingerprint(dataset: str, data: Any) -> dict[str, Any]:
    """The fingerprint of ``data`` as loaded from ``dataset`` (a ``--dataset`` value)."""
    head, sep, rest = dataset.strip().partition(":")
    if head.lower() == "imagefolder" and sep and rest:
        return _imagefolder(Path(rest).expanduser())
    sizes = {}
    for part in ("train", "val", "test"):
        x = getattr(data, f"{part}_x", None)
        if x is not None:
            sizes[part] = int(x.shape[0])
    shape = list(data.train_x.shape[1:]) if hasattr(data, "train_x") else []
    return {
        "kind": "packaged",
        "name": str(getattr(data, "name", dataset)),
        "classes": int(data.num_classes),
        "shape": [int(v) for v in shape],
        **sizes,
    }


def _describe(print_: dict[str, Any]) -> str:
    if print_.get("kind") == "imagefolder":
        return f"{print_.get('files', 0):,} files, {print_.get('bytes', 0):,} bytes"
    parts = [f"{k} {print_[k]:,}" for k in ("train", "val", "test") if k in print_]
    return f"{print_.get('name', '?')} ({', '.join(parts)}, {print_.get('classes', '?')} classes)"


def check_same(stored: dict[str, Any] | None, current: dict[str, Any], study_name: str) -> None:
    """UserError when ``stored`` (the study's) differs from ``current``; None stored passes."""
    if not stored or stored == current:
        return
    if stored.get("kind") == current.get("kind") == "imagefolder" and (
        stored.get("files"),
        stored.get("bytes"),
    ) == (current.get("files"), current.get("bytes")):
        change = "the same number and size of files, but some were renamed or modified"
    else:
        change = f"now {_describe(current)}, the study's had {_describe(stored)}"
    raise UserError(
        f"study {study_name!r} was judged on other data ({change}); resuming would mix accuracies "
        "measured on different images: restore the data or give a new --study name"
    )


__all__ = ["FINGERPRINT_KEY", "check_same", "fingerprint"]
