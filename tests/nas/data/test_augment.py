"""On-device augmentation, resizing and normalisation statistics."""

from __future__ import annotations

import torch

from nas.data.augment import channel_stats, crop_flip, normalize, resize_images


def test_crop_keeps_shape_and_content_shifts_within_padding():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6) + 1
    out = crop_flip(x, padding=2, flip=False, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.is_contiguous(memory_format=torch.channels_last)
    for i in range(2):
        nonzero = out[i][out[i] > 0]
        # every surviving pixel comes from the same image, and the crop is a pure translation
        assert set(nonzero.tolist()) <= set(x[i].flatten().tolist())
        assert len(nonzero) >= 16  # at most 2 of 6 rows/cols padded away


def test_flip_only_mirrors_some_samples():
    x = torch.randn(64, 3, 5, 5)
    out = crop_flip(x, padding=0, flip=True, generator=torch.Generator().manual_seed(0))
    flipped = [torch.equal(out[i], x[i].flip(-1)) for i in range(64)]
    kept = [torch.equal(out[i], x[i]) for i in range(64)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 10 < sum(flipped) < 54


def test_same_generator_same_augmentation():
    x = torch.randint(0, 255, (8, 1, 10, 10), dtype=torch.uint8)
    a = crop_flip(x, 3, True, torch.Generator().manual_seed(5))
    b = crop_flip(x, 3, True, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.dtype == torch.uint8


def test_no_augmentation_is_identity():
    x = torch.randn(2, 1, 4, 4)
    assert crop_flip(x, 0, False) is x


def test_resize_and_stats():
    x = torch.full((3, 2, 28, 28), 100, dtype=torch.uint8)
    x[:, 1] = 200
    resized = resize_images(x, 32)
    assert resized.shape == (3, 2, 32, 32) and resized.dtype == torch.uint8
    assert torch.all(resized[:, 0] == 100) and torch.all(resized[:, 1] == 200)
    mean, std = channel_stats(resized)
    assert mean.flatten().tolist() == [100.0, 200.0]
    assert std.flatten().tolist() == [1.0, 1.0]  # constant channels: clamped, never divide by 0
    out = normalize(resized, mean, 1.0 / std, channels_last=True)
    assert out.dtype == torch.float32 and float(out.abs().max()) == 0.0
