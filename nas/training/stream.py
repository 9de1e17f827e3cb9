"""Streamed ImageFolder trees: training batches decoded by DataLoader workers every epoch.

A tree too large to keep on the device is read through a DataLoader with decoder workers; the
validation images (a few thousand) are still decoded once and kept on the device.

One DataLoader serves every epoch of a candidate, with persistent workers: starting the worker
processes (and importing torch in each) every epoch would cost seconds per epoch on a GPU whose
epochs take about one. The order of epoch ``e`` comes from its own sampler seed, so it is the
same for any number of workers and whether or not the workers persist.
"""

from __future__ import annotations

from typing import Any

import torch

from nas.data.augment import channel_stats
from nas.training.device_data import DeviceData, subset_indices
from nas.training.proxy import ProxyConfig


class StreamSource:
    """Training batches decoded by DataLoader workers each epoch; validation kept on the device."""

    def __init__(self, data: Any, proxy: ProxyConfig, device: torch.device) -> None:
        from nas.data.imagefolder import DecodeDataset, decode_all

        items = list(data.train)
        idx = subset_indices(len(items), proxy.train_subset, proxy.seed)
        if idx is not None:
            items = [items[i] for i in idx.tolist()]
        self.items = items
        self.n_train = len(items)
        self.device = device
        self.proxy = proxy
        self.workers = data.workers
        self.dataset = DecodeDataset(items, proxy.resolution, data.in_channels)
        # Normalisation statistics from (up to) 2,000 training images; validation decoded once.
        sample = items[: min(2000, len(items))]
        sx, _ = decode_all(sample, proxy.resolution, data.in_channels, self.workers)
        mean, std = channel_stats(sx.to(device))
        val_items = list(data.val)[: proxy.val_size]
        vx, vy = decode_all(val_items, proxy.resolution, data.in_channels, self.workers)
        self.device_data = DeviceData(
            train_x=torch.empty(0, dtype=torch.uint8),
            train_y=torch.empty(0, dtype=torch.int64),
            val_x=vx.to(device),
            val_y=vy.to(device),
            mean=mean,
            inv_std=1.0 / std,
        )
        self.loader: torch.utils.data.DataLoader | None = None
        self._order = torch.Generator()

    def train_batches(self, epoch: int, batch: int):
        """Batches of epoch ``epoch`` (1-based) on the device, shuffled by a per-epoch seed."""
        loader = self._loader(batch)
        self._order.manual_seed(self.proxy.seed * 100_003 + epoch)
        for x, y in loader:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    def _loader(self, batch: int) -> torch.utils.data.DataLoader:
        if self.loader is None or self.loader.batch_size != batch:
            self.close()
            self._order = torch.Generator()
            sampler = torch.utils.data.RandomSampler(self.dataset, generator=self._order)
            self.loader = torch.utils.data.DataLoader(
                self.dataset,
                batch_size=batch,
                sampler=sampler,
                drop_last=True,
                num_workers=self.workers,
                # Worker seeds only (the order has its own generator); the dataset draws nothing.
                generator=torch.Generator().manual_seed(self.proxy.seed),
                pin_memory=self.device.type == "cuda",
                persistent_workers=self.workers > 0,
            )
        return self.loader

    def close(self) -> None:
        """Stop the persistent workers (the trainer calls this when the candidate is done)."""
        loader, self.loader = self.loader, None
        iterator = getattr(loader, "_iterator", None)
        if iterator is not None and hasattr(iterator, "_shutdown_workers"):
            iterator._shutdown_workers()


def stream_source(data: Any, proxy: ProxyConfig, device: torch.device) -> StreamSource:
    from nas.data.imagefolder import StreamSplits

    if not isinstance(data, StreamSplits):
        raise TypeError(f"data must be Splits or StreamSplits, got {type(data).__name__}")
    return StreamSource(data, proxy, device)
