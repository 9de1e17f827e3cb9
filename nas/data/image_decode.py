"""One image file -> uint8 ``(C, S, S)`` array, with every way a user's file can fail named by path.

An ImageFolder tree is the user's input, so a file in it that cannot be decoded is a user error,
not a bug: it ends as one line naming the file (:class:`ImageReadError`). Three cases matter:

- a corrupt or truncated file, or one that is not an image at all;
- a decompression bomb: a tiny file whose header claims billions of pixels. PIL only *warns*
  above ``Image.MAX_IMAGE_PIXELS`` (and refuses at twice that); here the warning is an error, so
  nothing larger than the limit is ever decoded. The check reads the header only;
- the failure happening inside a DataLoader worker process. PyTorch re-raises a worker's exception
  in the parent as ``type(exc)(text)`` where the text holds the worker's whole traceback;
  :class:`ImageReadError` keeps only its own one-line message from that text, so no worker
  traceback reaches the user.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from search_spaces.errors import UserError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from PIL import Image as PILImage

Item = tuple[str, int]
#: Longest text of a decoder's own error message quoted after the file name.
MAX_REASON_CHARS = 160


class ImageReadError(UserError):
    """An image file of the user's that cannot be decoded (or is refused); the message names it.

    Built from a DataLoader worker's re-raised text (``"Caught ImageReadError in DataLoader worker
    process 0.\\nOriginal Traceback ..."``), it keeps just the original one-line message.
    """

    def __init__(self, message: str = "") -> None:
        text = str(message)
        if text.startswith("Caught ") and "\nOriginal " in text:
            marker = f"{type(self).__name__}: "
            last = next((line for line in reversed(text.splitlines()) if marker in line), "")
            text = last.split(marker, 1)[1] if last else text.splitlines()[0]
        super().__init__(text)


def _reason(exc: BaseException) -> str:
    """A decoder's message on one line, at most :data:`MAX_REASON_CHARS` characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."


@contextmanager
def open_image(path: str | Path) -> Iterator[PILImage.Image]:
    """``PIL.Image.open`` with decompression bombs refused; any decode failure an :class:`ImageReadError`.

    Errors raised while the caller decodes inside the ``with`` block are converted too.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                yield image
    except ImageReadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageReadError(
            f"image {path} refused as a possible decompression bomb (over {Image.MAX_IMAGE_PIXELS:,} "
            f"pixels): {_reason(exc)}"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        raise ImageReadError(f"cannot read image {path}: {_reason(exc)}") from None


def decode_image(path: str | Path, size: int, channels: int) -> np.ndarray:
    """One image as uint8 ``(channels, size, size)``: convert, resize shorter side, centre-crop."""
    from PIL import Image

    with open_image(path) as image:
        image = image.convert("L" if channels == 1 else "RGB")
        w, h = image.size
        scale = size / min(w, h)
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        if (nw, nh) != (w, h):
            image = image.resize((nw, nh), Image.Resampling.BILINEAR)
        left, top = (nw - size) // 2, (nh - size) // 2
        image = image.crop((left, top, left + size, top + size))
        array = np.array(image, dtype=np.uint8)
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
    """Decode every item into one uint8 tensor (N, C, S, S) and int64 labels, in item order.

    Workers are used only above 256 images, where starting them pays off.
    """
    x = torch.empty((len(items), channels, size, size), dtype=torch.uint8)
    y = torch.tensor([label for _, label in items], dtype=torch.int64)
    loader = torch.utils.data.DataLoader(
        DecodeDataset(items, size, channels),
        batch_size=64,
        shuffle=False,
        num_workers=workers if len(items) > 256 else 0,
    )
    batches = iter(loader)
    try:
        start = 0
        for batch, _ in batches:
            x[start : start + len(batch)] = batch
            start += len(batch)
    finally:
        _stop_workers(batches)
    return x, y


def _stop_workers(batches: object) -> None:
    """Stop a DataLoader iterator's worker processes now.

    Left to garbage collection after a worker's error, their shutdown waits out a timeout of several
    seconds per worker; stopping them here makes a refused file end the command at once.
    """
    shutdown = getattr(batches, "_shutdown_workers", None)
    if shutdown is not None:
        shutdown()


__all__ = [
    "MAX_REASON_CHARS",
    "DecodeDataset",
    "ImageReadError",
    "decode_all",
    "decode_image",
    "default_workers",
    "open_image",
]
