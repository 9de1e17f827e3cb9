"""Datasets for proxy training: Fashion-MNIST, CIFAR-10/100, any ImageFolder tree, and a synthetic set.

Every source ends as a :class:`Splits`: uint8 tensors ``(N, C, H, W)`` for a training split, a
validation split carved out of the training set with a seeded permutation, and the dataset's own
test split. The search only ever sees ``train`` and ``val`` (MnasNet section 4 searched on a
held-out part of the training set; DESIGN section 3); ``test`` is for final reports only, and the
two are disjoint by construction (val comes from the training files, test from the test files).

Where data comes from, in order (first hit wins):

1. ``data_dir`` when given (it must exist); torchvision's layouts inside it are recognised too;
2. Fashion-MNIST only: Debian's ``dataset-fashion-mnist`` at /usr/share/datasets/fashion-mnist;
3. the download cache, ``$EFFSEARCH_CACHE`` or ``~/.cache/effsearch``;
4. torchvision's downloader into ``data_dir`` (or the cache) when the machine is online and
   ``EFFSEARCH_OFFLINE`` is not ``1``.

If nothing works the error says exactly how to get the data. Large ImageFolder trees are not
decoded into memory but streamed (:class:`nas.imagefolder.StreamSplits`).
"""

from __future__ import annotations

import os
import pickle
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from nas.idx import read_idx
from search_spaces.errors import UserError

DEFAULT_DATASET = "fashion-mnist"
#: Where Debian's dataset packages put their files.
SYSTEM_DIRS: dict[str, tuple[str, ...]] = {"fashion-mnist": ("/usr/share/datasets/fashion-mnist",)}
#: Seconds a download may stall before we give up (a firewalled machine should fail fast).
DOWNLOAD_TIMEOUT_S = 30.0

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


def cache_dir() -> Path:
    """Download cache: ``$EFFSEARCH_CACHE``, else ``$XDG_CACHE_HOME/effsearch`` or ``~/.cache/effsearch``."""
    if os.environ.get("EFFSEARCH_CACHE"):
        return Path(os.environ["EFFSEARCH_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "effsearch"


def offline() -> bool:
    """True when downloads are disabled (``EFFSEARCH_OFFLINE=1``)."""
    return os.environ.get("EFFSEARCH_OFFLINE", "") in {"1", "true", "yes"}


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


# ----------------------------------------------------------------------------------------------
# Fashion-MNIST
# ----------------------------------------------------------------------------------------------


def _idx_file(directory: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (directory / name).is_file():
            return directory / name
    return None


def find_fmnist_dir(root: Path) -> Path | None:
    """The directory under ``root`` holding the four IDX files (plain layout or torchvision's)."""
    for candidate in (root, root / "fashion-mnist", root / "FashionMNIST" / "raw", root / "fashion_mnist"):
        if all(_idx_file(candidate, base) for base in FMNIST_FILES.values()):
            return candidate
    return None


def _download_fmnist(target: Path) -> Path:
    from torchvision.datasets import FashionMNIST

    _torchvision_download(lambda: FashionMNIST(str(target), train=True, download=True), "Fashion-MNIST")
    _torchvision_download(lambda: FashionMNIST(str(target), train=False, download=True), "Fashion-MNIST")
    found = find_fmnist_dir(target)
    if found is None:  # pragma: no cover - torchvision changed its layout
        raise UserError(f"downloaded Fashion-MNIST into {target} but could not find its IDX files there")
    return found


def _torchvision_download(call: Any, what: str) -> None:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        call()
    except Exception as exc:  # any network/IO failure of the downloader
        raise _DownloadFailed(
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)


class _DownloadFailed(Exception):
    pass


def _resolve_dir(
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
        except _DownloadFailed as exc:
            reason = f"download failed ({exc})"
        except OSError as exc:
            reason = f"cannot write to {target} ({exc.strerror or exc})"
    raise UserError(f"{name} not found (looked in {', '.join(looked)}); {reason}. {how_to_get}")


def load_fashion_mnist(data_dir: str | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor, str]:
    """(train_x, train_y, test_x, test_y, source) of Fashion-MNIST as uint8 (N, 1, 28, 28)."""
    how = (
        "Install it with `apt-get install dataset-fashion-mnist`, or pass --data-dir DIR with the four "
        "IDX files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz."
    )
    directory, source = _resolve_dir("fashion-mnist", data_dir, find_fmnist_dir, _download_fmnist, how)
    arrays = {key: read_idx(_idx_file(directory, base)) for key, base in FMNIST_FILES.items()}  # type: ignore[arg-type]
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


# ----------------------------------------------------------------------------------------------
# CIFAR-10 / CIFAR-100 (the "python version" pickles, read with a restricted unpickler)
# ----------------------------------------------------------------------------------------------

_CIFAR = {
    "cifar10": {
        "folder": "cifar-10-batches-py",
        "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
        "test": ("test_batch",),
        "labels": b"labels",
        "meta": ("batches.meta", b"label_names"),
        "classes": 10,
    },
    "cifar100": {
        "folder": "cifar-100-python",
        "train": ("train",),
        "test": ("test",),
        "labels": b"fine_labels",
        "meta": ("meta", b"fine_label_names"),
        "classes": 100,
    },
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
    spec = _CIFAR[name]
    files = spec["train"] + spec["test"]
    for candidate in (root, root / spec["folder"]):
        if all((candidate / f).is_file() for f in files):
            return candidate
    return None


def _download_cifar(name: str, target: Path) -> Path:
    from torchvision.datasets import CIFAR10, CIFAR100

    cls = CIFAR10 if name == "cifar10" else CIFAR100
    _torchvision_download(lambda: cls(str(target), train=True, download=True), name)
    found = find_cifar_dir(target, name)
    if found is None:  # pragma: no cover
        raise UserError(f"downloaded {name} into {target} but could not find its batches there")
    return found


def load_cifar(name: str, data_dir: str | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor, str, tuple]:
    """(train_x, train_y, test_x, test_y, source, classes) of CIFAR-10/100, uint8 (N, 3, 32, 32)."""
    spec = _CIFAR[name]
    how = (
        f"Pass --data-dir DIR holding {spec['folder']}/ (the 'python version' from "
        "https://www.cs.toronto.edu/~kriz/cifar.html), or run once on a machine that is online."
    )
    directory, source = _resolve_dir(
        name, data_dir, lambda root: find_cifar_dir(root, name), lambda t: _download_cifar(name, t), how
    )

    def read(files: tuple[str, ...]) -> tuple[Tensor, Tensor]:
        xs, ys = [], []
        for file in files:
            batch = _read_pickle(directory / file)
            if b"data" not in batch or spec["labels"] not in batch:
                raise UserError(f"{directory / file}: missing 'data' or labels")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise UserError(f"{directory / file}: data has shape {data.shape}, expected (N, 3072)")
            xs.append(data.reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch[spec["labels"]], dtype=np.int64))
        x, y = np.concatenate(xs), np.concatenate(ys)
        if x.shape[0] != y.shape[0] or (y.size and (y.min() < 0 or y.max() >= spec["classes"])):
            raise UserError(f"{directory}: labels do not match the images or are out of range")
        return torch.from_numpy(x), torch.from_numpy(y)

    train_x, train_y = read(spec["train"])
    test_x, test_y = read(spec["test"])
    classes: tuple[str, ...] = ()
    meta_file, meta_key = spec["meta"]
    if (directory / meta_file).is_file():
        meta = _read_pickle(directory / meta_file)
        names = meta.get(meta_key, [])
        classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    return train_x, train_y, test_x, test_y, source, classes


# ----------------------------------------------------------------------------------------------
# Synthetic (tests only)
# ----------------------------------------------------------------------------------------------

_SYNTHETIC_DEFAULTS = {"classes": 4, "size": 16, "channels": 1, "train": 1200, "test": 300}


def parse_synthetic(spec: str) -> dict[str, int]:
    """Options of ``synthetic[:key=value,...]`` (classes, size, channels, train, test)."""
    options = dict(_SYNTHETIC_DEFAULTS)
    if spec:
        for item in spec.split(","):
            key, _, value = item.partition("=")
            key = key.strip()
            if key not in options:
                raise UserError(f"synthetic: unknown option {key!r}; expected {', '.join(options)}")
            try:
                options[key] = int(value)
            except ValueError:
                raise UserError(f"synthetic: {key} must be an integer, got {value!r}") from None
    if not 2 <= options["classes"] <= 64:
        raise UserError("synthetic: classes must be within 2..64")
    if not 8 <= options["size"] <= 256:
        raise UserError("synthetic: size must be within 8..256")
    if options["channels"] not in (1, 3):
        raise UserError("synthetic: channels must be 1 or 3")
    if options["train"] < 10 or options["test"] < 1:
        raise UserError("synthetic: need train >= 10 and test >= 1")
    return options


def synthetic_images(n: int, classes: int, size: int, channels: int, seed: int) -> tuple[Tensor, Tensor]:
    """``n`` procedurally drawn images: class k is a sine grating at orientation +-90deg*k/(classes-1).

    Random phase, frequency, contrast, the sign of the angle and Gaussian noise make every image
    different, while the absolute orientation stays a clean, learnable signal that survives the
    trainer's augmentation (a crop shifts the phase; a horizontal flip only negates the angle).
    Pure numpy with a fixed seed, so every machine draws the same set.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=n)
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    sign = rng.choice([-1.0, 1.0], size=n)
    theta = sign * (0.5 * np.pi * labels / (classes - 1) + rng.normal(0.0, 0.03, size=n))
    freq = rng.uniform(2.0, 3.5, size=n) / size
    phase = rng.uniform(0, 2 * np.pi, size=n)
    proj = xx[None] * np.cos(theta)[:, None, None] + yy[None] * np.sin(theta)[:, None, None]
    wave = np.cos(2 * np.pi * freq[:, None, None] * proj + phase[:, None, None])
    contrast = rng.uniform(60.0, 110.0, size=n)[:, None, None]
    images = 128.0 + contrast * wave
    stack = []
    for _ in range(channels):
        gain = rng.uniform(0.8, 1.2, size=n)[:, None, None]
        stack.append(images * gain + rng.normal(0.0, 20.0, size=images.shape))
    x = np.clip(np.stack(stack, axis=1), 0, 255).astype(np.uint8)
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------


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
        num_classes = _CIFAR[canonical]["classes"]
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
