"""Datasets for proxy training: Fashion-MNIST, CIFAR-10/100, any ImageFolder tree, and a synthetic set.

Every source ends as a :class:`Splits`: uint8 tensors ``(N, C, H, W)`` for a training split, a
validation split carved out of the training set with a seeded permutation, and the dataset's own
test split. The search only ever sees ``train`` and ``val`` (MnasNet section 4 searched on a
held-out part of the training set; :mod:`nas.data.splits`); ``test`` is for final reports only, and the
two are disjoint by construction (val comes from the training files, test from the test files).

Where the files come from (``--data-dir``, Debian's packages, a cache, torchvision's downloader)
is :mod:`nas.data.data_sources`; each dataset has its own reader module. Large ImageFolder trees are
not decoded into memory but streamed (:class:`nas.data.imagefolder.StreamSplits`).
"""

from __future__ import annotations

from nas.data.cifar import CIFAR_SPECS, load_cifar
from nas.data.data_sources import SYSTEM_DIRS, cache_dir, offline
from nas.data.fashion_mnist import FMNIST_CLASSES, find_fmnist_dir, load_fashion_mnist
from nas.data.splits import Splits, capped_val_size, carve_validation
from nas.data.synthetic import parse_synthetic, synthetic_images
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
    apply to ImageFolder trees (see :func:`nas.data.imagefolder.load_imagefolder`): the stored image
    size, a declared channel count, streaming and decoder workers. For a large tree the result is
    a :class:`nas.data.imagefolder.StreamSplits` (same metadata, images decoded per epoch).
    """
    if not isinstance(name, str) or not name.strip():
        raise UserError("dataset name is empty")
    text = name.strip()
    head, sep, rest = text.partition(":")
    key = head.lower()
    if key == "imagefolder":
        if not sep or not rest:
            raise UserError("imagefolder needs a path: --dataset imagefolder:PATH")
        from nas.data.imagefolder import load_imagefolder

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
        num_classes = CIFAR_SPECS[canonical].classes
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
