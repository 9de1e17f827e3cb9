"""Any class-per-folder image tree (``root/<class>/<image>``) as a proxy-training dataset.

Layouts: ``root/<class>/*`` (the test split is then a seeded tenth of the images), or
``root/train/<class>/*`` next to ``root/test/<class>/*`` (or ``val/``), which are used as given.
Images may have any size and mode: each is converted to the tree's channel count (the declared one,
else the majority of the images' modes -- grayscale trees stay one channel, a few stray RGB files
are converted to L and vice versa), its shorter side resized to ``image_size`` and centre-cropped
(the usual ImageNet evaluation transform), giving uint8 ``(C, S, S)``.

Small trees are decoded once, in parallel DataLoader workers, into tensors (a :class:`Splits`);
trees whose decoded size exceeds ``max_bytes`` become a :class:`StreamSplits`, which the trainer
streams through a DataLoader with workers every epoch instead of holding them in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from nas.data.splits import Splits, capped_val_size
from search_spaces.errors import UserError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm")
#: Stored image size when the caller gives none (the trainer resizes to the proxy resolution).
DEFAULT_IMAGE_SIZE = 64
#: Decoded trees larger than this are streamed rather than held in memory.
DEFAULT_MAX_BYTES = 2 * 1024**3
#: Fraction of a single-folder tree held out as its test split.
TEST_FRACTION = 0.1
#: How many images are opened to vote on the channel count (headers only).
CHANNEL_VOTE_SAMPLE = 2000
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F", "La"}

Item = tuple[str, int]


@dataclass(frozen=True, eq=False)
class StreamSplits:
    """A large ImageFolder tree as file lists; the trainer decodes images per epoch.

    Carries the same metadata as :class:`nas.data.splits.Splits` so callers need not care.
    """

    train: tuple[Item, ...]
    val: tuple[Item, ...]
    test: tuple[Item, ...]
    num_classes: int
    in_channels: int
    name: str
    classes: tuple[str, ...] = ()
    source: str = ""
    image_size: int = DEFAULT_IMAGE_SIZE
    workers: int = 2

    def summary(self) -> str:
        return (
            f"{self.name}: train {len(self.train)}, val {len(self.val)}, test {len(self.test)} "
            f"images (streamed), {self.in_channels} channel(s), {self.num_classes} classes"
        )


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def scan_classes(root: Path) -> dict[str, list[Path]]:
    """Class name -> sorted image paths (recursive inside each class folder); empty classes dropped."""
    classes: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        images = sorted(p for p in folder.rglob("*") if _is_image(p))
        if images:
            classes[folder.name] = images
    return classes


def _presplit(root: Path) -> tuple[Path, Path] | None:
    train = root / "train"
    for name in ("test", "val", "valid", "validation"):
        test = root / name
        if train.is_dir() and test.is_dir() and scan_classes(train) and scan_classes(test):
            return train, test
    return None


def channels_of_mode(mode: str) -> int:
    """1 for grayscale PIL modes, 3 for everything else (RGB, RGBA, P, CMYK, YCbCr...)."""
    return 1 if mode in _GRAY_MODES else 3


def vote_channels(paths: list[Path], seed: int = 0) -> int:
    """The majority channel count over (a sample of) ``paths``; ties go to 3 (keeps colour)."""
    from PIL import Image

    if len(paths) > CHANNEL_VOTE_SAMPLE:
        rng = np.random.default_rng(seed)
        paths = [paths[i] for i in rng.choice(len(paths), CHANNEL_VOTE_SAMPLE, replace=False)]
    gray = 0
    for path in paths:
        try:
            with Image.open(path) as image:
                gray += channels_of_mode(image.mode) == 1
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read image {path}: {exc}") from None
    return 1 if gray * 2 > len(paths) else 3


def decode_image(path: str | Path, size: int, channels: int) -> np.ndarray:
    """One image as uint8 ``(channels, size, size)``: convert, resize shorter side, centre-crop."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            w, h = image.size
            scale = size / min(w, h)
            nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
            if (nw, nh) != (w, h):
                image = image.resize((nw, nh), Image.Resampling.BILINEAR)
            left, top = (nw - size) // 2, (nh - size) // 2
            image = image.crop((left, top, left + size, top + size))
            array = np.array(image, dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read image {path}: {exc}") from None
    if array.ndim == 2:
        array = array[None]
    else:
        array = array.transpose(2, 0, 1)
    return np.ascontiguousarray(array)


class DecodeDataset(torch.utils.data.Dataset):
    """(path, label) items -> (uint8 (C, S, S) tensor, label): what DataLoader workers run."""

    def __init__(self, items: tuple[Item, ...] | list[Item], size: int, channels: int) -> None:
        self.items = items
        self.size = size
        self.channels = channels

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        path, label = self.items[index]
        return torch.from_numpy(decode_image(path, self.size, self.channels)), label


def default_workers() -> int:
    """Decoder processes: the CPUs this process may use, at most 8, 0 on a single CPU."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return 0 if cpus <= 1 else min(8, cpus)


def decode_all(
    items: list[Item] | tuple[Item, ...], size: int, channels: int, workers: int
) -> tuple[Tensor, Tensor]:
    """Decode every item into one uint8 tensor (N, C, S, S) and int64 labels, in item order."""
    x = torch.empty((len(items), channels, size, size), dtype=torch.uint8)
    y = torch.tensor([label for _, label in items], dtype=torch.int64)
    loader = torch.utils.data.DataLoader(
        DecodeDataset(items, size, channels),
        batch_size=64,
        shuffle=False,
        num_workers=workers if len(items) > 256 else 0,
    )
    start = 0
    for batch, _ in loader:
        x[start : start + len(batch)] = batch
        start += len(batch)
    return x, y


def load_imagefolder(
    path: str,
    val_size: int = 5000,
    seed: int = 0,
    *,
    image_size: int | None = None,
    in_channels: int | None = None,
    stream: bool | None = None,
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
):
    """Load the tree at ``path`` (see the module docstring); returns Splits or StreamSplits."""
    root = Path(path).expanduser()
    if not root.exists():
        raise UserError(f"imagefolder: {path} does not exist")
    if not root.is_dir():
        raise UserError(f"imagefolder: {path} is not a directory")
    size = DEFAULT_IMAGE_SIZE if image_size is None else int(image_size)
    if not 8 <= size <= 1024:
        raise UserError(f"imagefolder: image size must be within 8..1024, got {size}")
    if in_channels is not None and in_channels not in (1, 3):
        raise UserError(f"imagefolder: channels must be 1 or 3, got {in_channels}")
    workers = default_workers() if workers is None else max(0, int(workers))

    presplit = _presplit(root)
    if presplit:
        train_classes, test_classes = scan_classes(presplit[0]), scan_classes(presplit[1])
        names = sorted(set(train_classes) | set(test_classes))
    else:
        train_classes, test_classes = scan_classes(root), {}
        names = sorted(train_classes)
    if not names:
        raise UserError(
            f"imagefolder: no images under {path}; expected one sub-folder per class holding "
            f"{', '.join(IMAGE_EXTENSIONS[:4])}... files"
        )
    if len(names) < 2:
        raise UserError(f"imagefolder: {path} has a single class ({names[0]}); need at least 2 class folders")
    index = {name: i for i, name in enumerate(names)}
    train_items: list[Item] = [(str(p), index[c]) for c in sorted(train_classes) for p in train_classes[c]]
    test_items: list[Item] = [(str(p), index[c]) for c in sorted(test_classes) for p in test_classes[c]]
    rng = np.random.default_rng(seed)
    if not presplit:
        order = rng.permutation(len(train_items))
        n_test = max(1, int(round(len(train_items) * TEST_FRACTION)))
        test_items = [train_items[i] for i in sorted(order[:n_test])]
        train_items = [train_items[i] for i in sorted(order[n_test:])]
    if len(train_items) < 2:
        raise UserError(f"imagefolder: {path} has too few images ({len(train_items)} for training)")
    channels = in_channels or vote_channels([Path(p) for p, _ in train_items], seed)
    n_val = capped_val_size(val_size, len(train_items))
    perm = torch.randperm(len(train_items), generator=torch.Generator().manual_seed(int(seed))).tolist()
    val_items = [train_items[i] for i in perm[:n_val]]
    train_items = [train_items[i] for i in sorted(perm[n_val:])]
    name = f"imagefolder:{root}"
    source = f"{root} ({'train/test folders' if presplit else 'single tree, test = seeded 10%'})"
    total = len(train_items) + len(val_items) + len(test_items)
    if stream is None:
        stream = total * channels * size * size > max_bytes
    if stream:
        return StreamSplits(
            train=tuple(train_items),
            val=tuple(val_items),
            test=tuple(test_items),
            num_classes=len(names),
            in_channels=channels,
            name=name,
            classes=tuple(names),
            source=source,
            image_size=size,
            workers=workers,
        )
    tx, ty = decode_all(train_items, size, channels, workers)
    vx, vy = decode_all(val_items, size, channels, workers)
    sx, sy = decode_all(test_items, size, channels, workers)
    return Splits(
        train_x=tx,
        train_y=ty,
        val_x=vx,
        val_y=vy,
        test_x=sx,
        test_y=sy,
        num_classes=len(names),
        in_channels=channels,
        name=name,
        classes=tuple(names),
        source=source,
    )


__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "IMAGE_EXTENSIONS",
    "DecodeDataset",
    "StreamSplits",
    "channels_of_mode",
    "decode_all",
    "decode_image",
    "load_imagefolder",
    "scan_classes",
    "vote_channels",
]
