"""Fashion-MNIST (Xiao et al. 2017), the default dataset: the original IDX files, gzipped or not.

70,000 28x28 grayscale images of 10 clothing classes (60,000 train, 10,000 test): small enough
to keep on any device, hard enough that architectures differ (unlike MNIST).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from nas.data.data_sources import resolve_dir, torchvision_download
from nas.data.idx import read_idx
from search_spaces.errors import UserError

FMNIST_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
FMNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _idx_file(directory: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (directory / name).is_file():
            return directory / name
    return None


def _read_part(directory: Path, base: str) -> np.ndarray:
    """One of the four arrays from a directory :func:`find_fmnist_dir` chose."""
    file = _idx_file(directory, base)
    if file is None:
        raise UserError(f"{directory}: no {base}[.gz] file")
    return read_idx(file)


def find_fmnist_dir(root: Path) -> Path | None:
    """The directory under ``root`` holding the four IDX files (plain layout or torchvision's)."""
    for candidate in (root, root / "fashion-mnist", root / "FashionMNIST" / "raw", root / "fashion_mnist"):
        if all(_idx_file(candidate, base) for base in FMNIST_FILES.values()):
            return candidate
    return None


def _download_fmnist(target: Path) -> Path:
    from torchvision.datasets import FashionMNIST

    torchvision_download(lambda: FashionMNIST(str(target), train=True, download=True), "Fashion-MNIST")
    torchvision_download(lambda: FashionMNIST(str(target), train=False, download=True), "Fashion-MNIST")
    found = find_fmnist_dir(target)
    if found is None:  # pragma: no cover - torchvision changed its layout
        raise UserError(f"downloaded Fashion-MNIST into {target} but could not find its IDX files there")
    return found


def load_fashion_mnist(data_dir: str | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor, str]:
    """(train_x, train_y, test_x, test_y, source) of Fashion-MNIST as uint8 (N, 1, 28, 28)."""
    how = (
        "Install it with `apt-get install dataset-fashion-mnist`, or pass --data-dir DIR with the four "
        "IDX files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz."
    )
    directory, source = resolve_dir("fashion-mnist", data_dir, find_fmnist_dir, _download_fmnist, how)
    arrays = {key: _read_part(directory, base) for key, base in FMNIST_FILES.items()}
    for part in ("train", "test"):
        x, y = arrays[f"{part}_x"], arrays[f"{part}_y"]
        if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
            raise UserError(f"{directory}: {part} images {x.shape} and labels {y.shape} do not match")
        if y.size and int(y.max()) >= len(FMNIST_CLASSES):
            raise UserError(
                f"{directory}: {part} labels go up to {int(y.max())}, Fashion-MNIST has 10 classes"
            )
    tensors = [
        torch.from_numpy(np.ascontiguousarray(arrays["train_x"])).unsqueeze(1),
        torch.from_numpy(arrays["train_y"].astype(np.int64)),
        torch.from_numpy(np.ascontiguousarray(arrays["test_x"])).unsqueeze(1),
        torch.from_numpy(arrays["test_y"].astype(np.int64)),
    ]
    return tensors[0], tensors[1], tensors[2], tensors[3], source
