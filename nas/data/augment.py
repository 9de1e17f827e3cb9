"""Batch augmentation and normalisation that run on the training device.

A per-sample torchvision pipeline in DataLoader workers costs more than the whole forward pass
of a proxy network on a GPU. Here a batch of uint8 images is augmented with one gather: every
sample gets its own random crop offset (after zero padding, the CIFAR recipe of He et al. 2016)
and, optionally, a horizontal flip folded into the same column index. The result comes out
channels-last (N, H, W, C in memory), which is the layout the convolutions want anyway.

All randomness comes from an explicit ``torch.Generator`` on the device, so a run is
reproducible from its seed and independent of any other code's use of the global RNG.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def crop_flip(images: Tensor, padding: int, flip: bool, generator: torch.Generator | None = None) -> Tensor:
    """Random crop of the zero-padded batch back to its size, plus random horizontal flips.

    ``images``: (N, C, H, W) of any dtype (uint8 keeps the gather 4x cheaper). Returns the same
    shape, channels-last strided. ``padding=0, flip=False`` returns the input unchanged.
    """
    if padding == 0 and not flip:
        return images
    n, _, h, w = images.shape
    device = images.device
    padded = F.pad(images, (padding, padding, padding, padding)) if padding else images
    rows = torch.arange(h, device=device).expand(n, h)
    cols = torch.arange(w, device=device).expand(n, w)
    if padding:
        span = 2 * padding + 1
        oy = torch.randint(0, span, (n, 1), device=device, generator=generator)
        ox = torch.randint(0, span, (n, 1), device=device, generator=generator)
        rows = rows + oy
        cols = cols + ox
    if flip:
        mirror = torch.rand((n, 1), device=device, generator=generator) < 0.5
        cols = torch.where(mirror, cols.flip(1), cols)
    batch = torch.arange(n, device=device).view(n, 1, 1)
    # Advanced indices around a slice: the result is (N, H, W, C); permuting back gives an
    # (N, C, H, W) view that is already channels_last in memory.
    out = padded[batch, :, rows.unsqueeze(2), cols.unsqueeze(1)]
    return out.permute(0, 3, 1, 2)


def normalize(images: Tensor, mean: Tensor, inv_std: Tensor, channels_last: bool) -> Tensor:
    """uint8/float (N, C, H, W) -> float32 ``(x - mean) * inv_std`` in the requested memory format."""
    x = images.float().sub_(mean).mul_(inv_std)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return x.contiguous(memory_format=fmt)


def resize_images(images: Tensor, size: int, chunk: int = 4096) -> Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, size, size), bilinear with antialiasing, in chunks.

    Done once per dataset and resolution (not per step), on the device the data lives on.
    """
    if images.shape[2] == size and images.shape[3] == size:
        return images
    out = torch.empty((images.shape[0], images.shape[1], size, size), dtype=torch.uint8, device=images.device)
    for start in range(0, images.shape[0], chunk):
        part = images[start : start + chunk].float()
        resized = F.interpolate(part, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out[start : start + chunk] = resized.round_().clamp_(0, 255).to(torch.uint8)
    return out


def channel_stats(images: Tensor, chunk: int = 8192) -> tuple[Tensor, Tensor]:
    """Per-channel mean and std (float32, shape (1, C, 1, 1)) of uint8 images, in float64 sums."""
    c = images.shape[1]
    total = torch.zeros(c, dtype=torch.float64, device=images.device)
    total_sq = torch.zeros(c, dtype=torch.float64, device=images.device)
    for start in range(0, images.shape[0], chunk):
        part = images[start : start + chunk].to(torch.float64)
        total += part.sum(dim=(0, 2, 3))
        total_sq += (part * part).sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / max(count, 1)
    var = (total_sq / max(count, 1) - mean * mean).clamp_min(0.0)
    std = var.sqrt().clamp_min(1.0)  # a constant channel must not divide by ~0
    return mean.float().view(1, c, 1, 1), std.float().view(1, c, 1, 1)


__all__ = ["channel_stats", "crop_flip", "normalize", "resize_images"]
