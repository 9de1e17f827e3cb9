"""A tiny procedurally generated dataset, for tests only: learnable in seconds on one CPU core."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from search_spaces.errors import UserError
from search_spaces.yaml_io import quote

_SYNTHETIC_DEFAULTS = {"classes": 4, "size": 16, "channels": 1, "train": 1200, "test": 300}
#: Most pixels (images x channels x size x size, train and test together) a synthetic set may have:
#: 32 Mi, i.e. 32 MiB of uint8 images but about 50x that in float64 while they are drawn. The
#: default set has 0.4 Mi; a larger request is refused before anything is allocated.
MAX_SYNTHETIC_PIXELS = 2**25


def parse_synthetic(spec: str) -> dict[str, int]:
    """Options of ``synthetic[:key=value,...]`` (classes, size, channels, train, test)."""
    options = dict(_SYNTHETIC_DEFAULTS)
    if spec:
        for item in spec.split(","):
            key, _, value = item.partition("=")
            key = key.strip()
            if key not in options:
                raise UserError(f"synthetic: unknown option {quote(key)}; expected {', '.join(options)}")
            try:
                options[key] = int(value)
            except ValueError:
                raise UserError(f"synthetic: {key} must be an integer, got {quote(value)}") from None
    if not 2 <= options["classes"] <= 64:
        raise UserError("synthetic: classes must be within 2..64")
    if not 8 <= options["size"] <= 256:
        raise UserError("synthetic: size must be within 8..256")
    if options["channels"] not in (1, 3):
        raise UserError("synthetic: channels must be 1 or 3")
    if options["train"] < 10 or options["test"] < 1:
        raise UserError("synthetic: need train >= 10 and test >= 1")
    pixels = (options["train"] + options["test"]) * options["channels"] * options["size"] ** 2
    if pixels > MAX_SYNTHETIC_PIXELS:
        images, side = options["train"] + options["test"], options["size"]
        raise UserError(
            f"synthetic: {images:,} images of {options['channels']}x{side}x{side} is {pixels:,} pixels,"
            f" over the {MAX_SYNTHETIC_PIXELS:,} limit (a test dataset; use fewer or smaller images)"
        )
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
