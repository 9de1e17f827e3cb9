"""CIFAR-10 and CIFAR-100 (Krizhevsky 2009): the "python version" pickles, read with a restricted unpickler.

A pickle can run arbitrary code; the unpickler here only resolves numpy's array reconstruction,
so a tampered batch file is refused instead of executed.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from nas.data.data_sources import resolve_dir, torchvision_download
from search_spaces.errors import UserError


@dataclass(frozen=True)
class CifarSpec:
    """Where one CIFAR variant keeps its batches and what its pickles call things."""

    #: torchvision's folder name for the extracted archive
    folder: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    #: the batch dict's key of the labels
    labels: bytes
    #: (file, key) of the class names
    meta: tuple[str, bytes]
    classes: int


CIFAR_SPECS = {
    "cifar10": CifarSpec(
        folder="cifar-10-batches-py",
        train=tuple(f"data_batch_{i}" for i in range(1, 6)),
        test=("test_batch",),
        labels=b"labels",
        meta=("batches.meta", b"label_names"),
        classes=10,
    ),
    "cifar100": CifarSpec(
        folder="cifar-100-python",
        train=("train",),
        test=("test",),
        labels=b"fine_labels",
        meta=("meta", b"fine_label_names"),
        classes=100,
    ),
}
#: The only globals a CIFAR pickle may name: numpy's array reconstruction (no code execution).
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _read_pickle(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            data = _SafeUnpickler(handle, encoding="bytes").load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise UserError(f"cannot read CIFAR batch {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a CIFAR batch (expected a dict)")
    return data


def find_cifar_dir(root: Path, name: str) -> Path | None:
    """``root`` itself or ``root/<torchvision folder>`` when it holds every batch file."""
    spec = CIFAR_SPECS[name]
    files = spec.train + spec.test
    for candidate in (root, root / spec.folder):
        if all((candidate / f).is_file() for f in files):
            return candidate
    return None


def _download_cifar(name: str, target: Path) -> Path:
    from torchvision.datasets import CIFAR10, CIFAR100

    cls = CIFAR10 if name == "cifar10" else CIFAR100
    torchvision_download(lambda: cls(str(target), train=True, download=True), name)
    found = find_cifar_dir(target, name)
    if found is None:  # pragma: no cover
        raise UserError(f"downloaded {name} into {target} but could not find its batches there")
    return found


def load_cifar(
    name: str, data_dir: str | None = None
) -> tuple[Tensor, Tensor, Tensor, Tensor, str, tuple[str, ...]]:
    """(train_x, train_y, test_x, test_y, source, classes) of CIFAR-10/100, uint8 (N, 3, 32, 32)."""
    spec = CIFAR_SPECS[name]
    how = (
        f"Pass --data-dir DIR holding {spec.folder}/ (the 'python version' from "
        "https://www.cs.toronto.edu/~kriz/cifar.html), or run once on a machine that is online."
    )
    directory, source = resolve_dir(
        name, data_dir, lambda root: find_cifar_dir(root, name), lambda t: _download_cifar(name, t), how
    )

    def read(files: tuple[str, ...]) -> tuple[Tensor, Tensor]:
        xs, ys = [], []
        for file in files:
            batch = _read_pickle(directory / file)
            if b"data" not in batch or spec.labels not in batch:
                raise UserError(f"{directory / file}: missing 'data' or labels")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise UserError(f"{directory / file}: data has shape {data.shape}, expected (N, 3072)")
            xs.append(data.reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch[spec.labels], dtype=np.int64))
        x, y = np.concatenate(xs), np.concatenate(ys)
        if x.shape[0] != y.shape[0] or (y.size and (y.min() < 0 or y.max() >= spec.classes)):
            raise UserError(f"{directory}: labels do not match the images or are out of range")
        return torch.from_numpy(x), torch.from_numpy(y)

    train_x, train_y = read(spec.train)
    test_x, test_y = read(spec.test)
    classes: tuple[str, ...] = ()
    meta_file, meta_key = spec.meta
    if (directory / meta_file).is_file():
        meta = _read_pickle(directory / meta_file)
        names = meta.get(meta_key, [])
        classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    return train_x, train_y, test_x, test_y, source, classes
