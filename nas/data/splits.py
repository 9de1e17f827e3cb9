"""The in-memory form every dataset ends as, and the seeded validation carve-out.

A :class:`Splits` holds uint8 tensors for a training split, a validation split carved from the
training set (MnasNet section 4 searched on held-out training images), and the dataset's own test
split. Both the readers of :mod:`nas.data.datasets` and the ImageFolder reader build one, so it
lives below both of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from search_spaces.errors import UserError


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


def val_images_used(data: object, val_size: int) -> int:
    """How many validation images the trainer uses: the proxy's ``val_size``, at most the split's
    size (which :func:`capped_val_size` may have made smaller). ``data`` is a :class:`Splits` or
    a streamed ImageFolder (its ``val`` items)."""
    held = getattr(data, "val_y", None)
    return min(int(val_size), int(held.shape[0]) if held is not None else len(getattr(data, "val", ())))


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
