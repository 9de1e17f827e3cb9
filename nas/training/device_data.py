"""Datasets as tensors on the training device: subset, resize and move once, reuse per candidate.

Proxy networks are tiny, so a per-batch DataLoader (Python work per sample) would dominate a step.
The training subset and validation images are resized to the proxy resolution once and kept as
uint8 tensors on the device; the trainer indexes batches from them and augments on the device
(:mod:`nas.data.augment`). A few recent combinations are cached, because a search trains hundreds of
candidates on the same data and the coefficient search alternates between resolutions.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from nas.data.augment import channel_stats, resize_images
from nas.data.datasets import Splits
from nas.training.proxy import ProxyConfig
from search_spaces.errors import UserError


@dataclass(eq=False)
class DeviceData:
    train_x: Tensor
    train_y: Tensor
    val_x: Tensor
    val_y: Tensor
    mean: Tensor
    inv_std: Tensor


#: Device copies of recent (dataset, resolution, subset, ...) combinations, newest last. A few
#: entries, because the coefficient search alternates between resolutions.
_CACHE: list[tuple[tuple, Any, DeviceData]] = []
CACHE_ENTRIES = 4


def subset_indices(n: int, subset: int | None, seed: int) -> Tensor | None:
    if subset is None or subset >= n:
        return None
    generator = torch.Generator().manual_seed(int(seed))
    return torch.randperm(n, generator=generator)[:subset].sort().values


def prepare(data: Splits, proxy: ProxyConfig, device: torch.device) -> DeviceData:
    """Subset, move and resize once; reuse for every candidate with the same data and settings."""
    key = (id(data), proxy.resolution, proxy.train_subset, proxy.val_size, proxy.seed, str(device))
    for entry in list(_CACHE):
        if entry[1]() is None:  # that dataset is gone: drop its device copy
            _CACHE.remove(entry)
        elif entry[0] == key and entry[1]() is data:
            _CACHE.remove(entry)
            _CACHE.append(entry)
            return entry[2]
    if any(entry[1]() is not data for entry in _CACHE):
        _CACHE.clear()  # another dataset: free its device copies first
    del _CACHE[: max(0, len(_CACHE) - CACHE_ENTRIES + 1)]
    idx = subset_indices(int(data.train_y.shape[0]), proxy.train_subset, proxy.seed)
    train_x = data.train_x if idx is None else data.train_x[idx]
    train_y = data.train_y if idx is None else data.train_y[idx]
    n_val = min(proxy.val_size, int(data.val_y.shape[0]))
    if n_val < 1:
        raise UserError(f"dataset {data.name} has no validation images")
    train_x = resize_images(train_x.to(device), proxy.resolution)
    val_x = resize_images(data.val_x[:n_val].to(device), proxy.resolution)
    mean, std = channel_stats(train_x)
    value = DeviceData(
        train_x=train_x,
        train_y=train_y.to(device),
        val_x=val_x,
        val_y=data.val_y[:n_val].to(device),
        mean=mean,
        inv_std=1.0 / std,
    )
    _CACHE.append((key, weakref.ref(data), value))
    return value


def clear_cache() -> None:
    """Drop the cached device copies of datasets (frees GPU memory between studies)."""
    _CACHE.clear()
