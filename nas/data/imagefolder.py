"""Any class-per-folder image tree (``root/<class>/<image>``) as a proxy-training dataset.

Layouts: ``root/<class>/*`` (the test split is then a seeded tenth of the images), or
``root/train/<class>/*`` next to ``root/test/<class>/*`` (or ``val/``), which are used as given.
Images may have any size and mode: each is converted to the tree's channel count (the declared one,
else the majority of the images' modes -- grayscale trees stay one channel, a few stray RGB files
are converted to L and vice versa), its shorter side resized to ``image_size`` and centre-cropped
(the usual ImageNet evaluation transform), giving uint8 ``(C, S, S)``.

Hidden files and folders (names starting with '.') are skipped at every level. Decoding (and
refusing corrupt files and decompression bombs, by path) lives in :mod:`nas.data.image_decode`.

Small trees are decoded once, in parallel DataLoader workers, into tensors (a :class:`Splits`);
trees whose decoded size exceeds ``max_bytes`` become a :class:`StreamSplits`, which the trainer
streams through a DataLoader with workers every epoch instead of holding them in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nas.data.image_decode import (
    DecodeDataset,
    ImageReadError,
    Item,
    decode_all,
    decode_image,
    default_workers,
    open_image,
)
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


def _is_hidden(name: str) -> bool:
    """Names starting with '.' (``.DS_Store``, ``.ipynb_checkpoints``, ``.git``): tool litter, not data."""
    return name.startswith(".")


def _images_under(folder: Path) -> list[Path]:
    """Sorted image files anywhere below ``folder``, never entering hidden folders.

    Hidden folders are pruned while walking, so a ``.cache`` of thumbnails inside a class folder is
    neither read as data nor walked at all.
    """
    found: list[Path] = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not _is_hidden(d)]
        for name in files:
            path = Path(parent) / name
            if not _is_hidden(name) and path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file():
                found.append(path)
    return sorted(found)


def scan_classes(root: Path) -> dict[str, list[Path]]:
    """Class name -> sorted image paths (recursive inside each class folder); empty classes and
    hidden files and folders (names starting with '.') skipped."""
    classes: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not _is_hidden(p.name)):
        images = _images_under(folder)
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
    if len(paths) > CHANNEL_VOTE_SAMPLE:
        rng = np.random.default_rng(seed)
        paths = [paths[i] for i in rng.choice(len(paths), CHANNEL_VOTE_SAMPLE, replace=False)]
    gray = 0
    for path in paths:
        with open_image(path) as image:  # header only; refuses bombs before any pixel is decoded
            gray += channels_of_mode(image.mode) == 1
    return 1 if gray * 2 > len(paths) else 3


def _checked_root(path: str, image_size: int | None, in_channels: int | None) -> tuple[Path, int]:
    """The tree's folder and the stored image size, after refusing what cannot work."""
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
    return root, size


def _class_items(root: Path, path: str) -> tuple[list[str], list[Item], list[Item], bool]:
    """Class names, (path, label) items of the train and given test folders, and whether pre-split."""
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
    return names, train_items, test_items, presplit is not None


def _hold_out_test(
    train_items: list[Item], test_items: list[Item], presplit: bool, seed: int, path: str
) -> tuple[list[Item], list[Item]]:
    """(train, test) items: a single tree gives a seeded tenth of its images to the test split."""
    if not presplit:
        order = np.random.default_rng(seed).permutation(len(train_items))
        n_test = max(1, int(round(len(train_items) * TEST_FRACTION)))
        test_items = [train_items[i] for i in sorted(order[:n_test])]
        train_items = [train_items[i] for i in sorted(order[n_test:])]
    if len(train_items) < 2:
        raise UserError(f"imagefolder: {path} has too few images ({len(train_items)} for training)")
    return train_items, test_items


def _hold_out_val(train_items: list[Item], val_size: int, seed: int) -> tuple[list[Item], list[Item]]:
    """(train, val) items: a seeded validation split carved from the training images."""
    n_val = capped_val_size(val_size, len(train_items))
    perm = torch.randperm(len(train_items), generator=torch.Generator().manual_seed(int(seed))).tolist()
    return [train_items[i] for i in sorted(perm[n_val:])], [train_items[i] for i in perm[:n_val]]


def _decoded(
    parts: tuple[list[Item], list[Item], list[Item]], size: int, channels: int, workers: int, **meta: Any
) -> Splits:
    """The three splits decoded into memory as a :class:`Splits` carrying ``meta``."""
    (tx, ty), (vx, vy), (sx, sy) = (decode_all(items, size, channels, workers) for items in parts)
    return Splits(
        train_x=tx, train_y=ty, val_x=vx, val_y=vy, test_x=sx, test_y=sy, in_channels=channels, **meta
    )


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
) -> Splits | StreamSplits:
    """Load the tree at ``path`` (see the module docstring); returns Splits or StreamSplits."""
    root, size = _checked_root(path, image_size, in_channels)
    workers = default_workers() if workers is None else max(0, int(workers))
    names, train_items, test_items, presplit = _class_items(root, path)
    train_items, test_items = _hold_out_test(train_items, test_items, presplit, seed, path)
    channels = in_channels or vote_channels([Path(p) for p, _ in train_items], seed)
    train_items, val_items = _hold_out_val(train_items, val_size, seed)
    meta: dict[str, Any] = {
        "num_classes": len(names),
        "name": f"imagefolder:{root}",
        "classes": tuple(names),
        "source": f"{root} ({'train/test folders' if presplit else 'single tree, test = seeded 10%'})",
    }
    total = len(train_items) + len(val_items) + len(test_items)
    if stream is None:
        stream = total * channels * size * size > max_bytes
    if stream:
        return StreamSplits(
            train=tuple(train_items),
            val=tuple(val_items),
            test=tuple(test_items),
            in_channels=channels,
            image_size=size,
            workers=workers,
            **meta,
        )
    return _decoded((train_items, val_items, test_items), size, channels, workers, **meta)


__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "IMAGE_EXTENSIONS",
    "DecodeDataset",
    "ImageReadError",
    "StreamSplits",
    "channels_of_mode",
    "decode_all",
    "decode_image",
    "default_workers",
    "load_imagefolder",
    "scan_classes",
    "vote_channels",
]
