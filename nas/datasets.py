"""Datasets for proxy training: Fashion-MNIST, CIFAR-10/100, any ImageFolder tree, and a synthetic set.

Every source ends as a :class:`Splits`: uint8 tensors ``(N, C, H, W)`` for a training split, a
validation split carved out of the training set with a seeded permutation, and the dataset's own
test split. The search only ever sees ``train`` and ``val`` (MnasNet section 4 searched on a
held-out part of the training set; DESIGN section 3); ``test`` is for final reports only, and the
two are disjoint by construction (val comes from the training files, test from the test files).

Where the files come from (``--data-dir``, Debian's packages, a cache, torchvision's downloader)
is :mod:`nas.data_sources`; each dataset has its own reader module. Large ImageFolder trees are
not decoded into memory but streamed (:class:`nas.imagefolder.StreamSplits`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from nas.cifar import CIFAR_SPECS, load_cifar
from nas.data_sources import SYSTEM_DIRS, cache_dir, offline
from nas.fashion_mnist import FMNIST_CLASSES, find_fmnist_dir, load_fashion_mnist
from nas.synthetic import parse_synthetic, synthetic_images
from search_spaces.errors import UserError

DEFAULT_DATASET = "fashion-mnist"
_ALIASES = {
    "fashion-mnist": "fashion-mnist",
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "fmnist": "fashion-mnist",
    "cifar10": "cifar10",
    "cifar-10": "cifar10",
    "cifar100": "cifar100",
    "cifar-100": "cifar100",
    "synthetic": "synthetic",
}
DATASET_NAMES = ("fashion-mnist", "cifar10", "cifar100", "imagefolder:PATH", "synthetic")


@dataclass(frozen=True, eq=False)
class Splits:
    """A dataset held as uint8 tensors ``(N, C, H, W)`` with int64 labels.

    ``val`` is a seeded random part of the original training set and ``train`` the rest; ``test``
    is the dataset's own test split. ``eq=False``: two Splits are the same only if they are the same
    object (comparing tensors element-wise is never what a caller means), which also makes a
    Splits usable as a cache key.
    """

    train_x: Tensor
    train_y: Tensor
    val_x: Tensor
    val_y: Tensor
    test_x: Tensor
    test_y: Tensor
    num_classes: int
    in_channels: int
    name: str
    classes: tuple[str, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        for part in ("train", "val", "test"):
            x, y = getattr(self, f"{part}_x"), getattr(self, f"{part}_y")
            if x.dtype != torch.uint8 or x.ndim != 4:
                raise ValueError(
                    f"{part}_x must be a uint8 (N, C, H, W) tensor, got {x.dtype} {tuple(x.shape)}"
                )
            if x.shape[1] != self.in_channels:
                raise ValueError(f"{part}_x has {x.shape[1]} channels, expected {self.in_channels}")
            if y.ndim != 1 or y.shape[0] != x.shape[0]:
                raise ValueError(f"{part}_y must hold one label per image")
        if self.val_x.shape[2:] != self.train_x.shape[2:]:
            raise ValueError("train and val images must have the same size")

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W) of the stored images (the trainer resizes to the proxy resolution)."""
        return int(self.train_x.shape[2]), int(self.train_x.shape[3])

    def summary(self) -> str:
        """One line: name, split sizes, image shape, classes."""
        h, w = self.image_size
        return (
            f"{self.name}: train {len(self.train_y)}, val {len(self.val_y)}, test {len(self.test_y)} "
            f"images of {self.in_channels}x{h}x{w}, {self.num_classes} classes"
        )


def capped_val_size(val_size: int, n_train: int) -> int:
    """The validation size actually used: at most a fifth of the training images.

    Small trees (a few hundred images) would otherwise lose their whole training set to the
    default 5,000-image validation split.
    """
    if isinstance(val_size, bool) or not isinstance(val_size, int) or val_size < 1:
        raise UserError(f"validation size must be a positive integer, got {val_size!r}")
    cap = max(1, n_train // 5)
    return min(val_size, cap)


def carve_validation(x: Tensor, y: Tensor, val_size: int, seed: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Split a training set into (train_x, train_y, val_x, val_y) with a seeded permutation.

    Validation takes the first ``val_size`` of a permutation drawn from ``torch.Generator`` seeded
    with ``seed``; the training part keeps the original order, so a subset drawn later is the
    same for everyone using the same seeds.
    """
    n = int(y.shape[0])
    if n < 2:
        raise UserError(f"need at least 2 training images to carve a validation split, got {n}")
    val_size = capped_val_size(val_size, n)
    generator = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(n, generator=generator)
    val_idx = perm[:val_size]
    train_idx = perm[val_size:].sort().values
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def load_dataset(
    name: str = DEFAULT_DATASET,
    data_dir: str | None = None,
    val_size: int = 5000,
    seed: int = 0,
    *,
    image_size: int | None = None,
    in_channels: int | None = None,
    stream: bool | None = None,
    workers: int | None = None,
) -> Splits:
    """Load ``name`` and carve a seeded validation split of ``val_size`` images out of its training set.

    ``name``: ``fashion-mnist`` (default), ``cifar10``, ``cifar100``, ``imagefolder:PATH`` or
    ``synthetic[:classes=4,size=16,channels=1,train=1200,test=300]``. The keyword-only options
    apply to ImageFolder trees (see :func:`nas.imagefolder.load_imagefolder`): the stored image
    size, a declared channel count, streaming and decoder workers. For a large tree the result is
    a :class:`nas.imagefolder.StreamSplits` (same metadata, images decoded per epoch).
    """
    if not isinstance(name, str) or not name.strip():
        raise UserError("dataset name is empty")
    text = name.strip()
    head, sep, rest = text.partition(":")
    key = head.lower()
    if key == "imagefolder":
        if not sep or not rest:
            raise UserError("imagefolder needs a path: --dataset imagefolder:PATH")
        from nas.imagefolder import load_imagefolder

        return load_imagefolder(  # type: ignore[return-value]
            rest,
            val_size=val_size,
            seed=seed,
            image_size=image_size,
            in_channels=in_channels,
            stream=stream,
            workers=workers,
        )
    canonical = _ALIASES.get(key)
    if canonical is None or (sep and canonical != "synthetic"):
        raise UserError(f"unknown dataset {name!r}; expected one of {', '.join(DATASET_NAMES)}")
    if canonical == "synthetic":
        opts = parse_synthetic(rest)
        train_x, train_y = synthetic_images(opts["train"], opts["classes"], opts["size"], opts["channels"], 1)
        test_x, test_y = synthetic_images(opts["test"], opts["classes"], opts["size"], opts["channels"], 2)
        source, classes = "procedurally generated", tuple(f"orientation{k}" for k in range(opts["classes"]))
        num_classes = opts["classes"]
    elif canonical == "fashion-mnist":
        train_x, train_y, test_x, test_y, source = load_fashion_mnist(data_dir)
        classes, num_classes = FMNIST_CLASSES, 10
    else:
        train_x, train_y, test_x, test_y, source, classes = load_cifar(canonical, data_dir)
        num_classes = CIFAR_SPECS[canonical]["classes"]
    tx, ty, vx, vy = carve_validation(train_x, train_y, val_size, seed)
    return Splits(
        train_x=tx,
        train_y=ty,
        val_x=vx,
        val_y=vy,
        test_x=test_x,
        test_y=test_y,
        num_classes=int(num_classes),
        in_channels=int(train_x.shape[1]),
        name=canonical,
        classes=tuple(classes),
        source=source,
    )


__all__ = [
    "DATASET_NAMES",
    "DEFAULT_DATASET",
    "FMNIST_CLASSES",
    "SYSTEM_DIRS",
    "Splits",
    "cache_dir",
    "capped_val_size",
    "carve_validation",
    "find_fmnist_dir",
    "load_cifar",
    "load_dataset",
    "load_fashion_mnist",
    "offline",
    "synthetic_images",
]
