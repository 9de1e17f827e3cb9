"""Small architectures and proxies that train in about a second on one CPU core (test helpers)."""

from __future__ import annotations

from dataclasses import replace

from nas.training.proxy import DEFAULT_PROXY, ProxyConfig
from search_spaces.arch import ArchSpec, StageSpec


def tiny_arch() -> ArchSpec:
    """Three MBConv stages, 16-32 channels: the B0 layout in miniature (SE, skip, stride 2)."""
    return ArchSpec(
        stages=(
            StageSpec("mbconv", 3, 1, 1, 0.25, True, 16, 1),
            StageSpec("mbconv", 3, 2, 4, 0.25, True, 24, 2),
            StageSpec("mbconv", 5, 2, 4, 0.25, True, 32, 1),
        ),
        stem_channels=16,
        head_channels=64,
        resolution=32,
    )


def tiny_proxy(**changes: object) -> ProxyConfig:
    """The default recipe at 16 px on the synthetic set: 3 epochs, batch 64."""
    base = replace(DEFAULT_PROXY, resolution=16, epochs=3, batch_size=64, val_size=240, train_subset=None)
    return replace(base, **changes)
