"""Search spaces the one-shot tests run on: every packaged YAML, plus one that uses every choice.

A packaged YAML with a ``reference`` key is a search space; one without (``b0.yaml``) is an
architecture, tested as the space that holds only it. ``WIDE`` is small (an 8-channel stem, three
stages) but exercises every choice the schema allows -- kernel 7, expansion 2, SE 0.5, filter
multipliers that round apart, +2 layers, stride-1 first stages with and without equal widths, and
per-stage overrides -- so shapes the packaged spaces never produce are checked too.
"""

from __future__ import annotations

from pathlib import Path

import torch
import yaml

import search_spaces
from search_spaces.space import SearchSpace
from search_spaces.space_yaml import load_space, space_from_dict

PACKAGED = sorted(Path(search_spaces.__file__).parent.glob("*.yaml"))

WIDE = """
name: wide
divisor: 8
reference:
  stem: {channels: 16, kernel: 3, stride: 2}
  head: {channels: 48}
  dropout: 0.3
  drop_connect: 0.2
  stages:
    - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.5, skip: true, out_channels: 16, layers: 1}
    - {op: dsconv, kernel: 5, stride: 2, expansion: 1, se_ratio: 0.0, skip: true, out_channels: 24, layers: 2}
    - {op: conv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, skip: false, out_channels: 32, layers: 1}
choices:
  op: [mbconv, dsconv, conv]
  kernel: [3, 5, 7]
  expansion: [1, 2, 6]
  se: [0, 0.25, 0.5]
  skip: [identity, none]
  filters: [0.5, 1.0, 1.5]
  layers: [-1, 0, 2]
stages:
  1: {op: [mbconv, conv], kernel: [3, 7]}
  3: {expansion: [4], se: [0.25]}
"""


def packaged_space(path: Path) -> SearchSpace:
    """The space a packaged YAML describes (an architecture file: the space of that one network)."""
    data = yaml.safe_load(path.read_text())
    if "reference" in data:
        return load_space(path)
    return space_from_dict({"name": path.stem, "reference": path.name}, str(path), path.parent)


def wide_space() -> SearchSpace:
    return space_from_dict(yaml.safe_load(WIDE), "wide.yaml")


def all_spaces() -> dict[str, SearchSpace]:
    """Every space the tests cover, by a short id."""
    spaces = {path.stem: packaged_space(path) for path in PACKAGED}
    spaces["wide"] = wide_space()
    return spaces


def scramble(module: torch.nn.Module, seed: int = 0) -> None:
    """Move every bias, BN affine and kernel-transform entry off its initial value.

    Fresh BN scales are 1 and biases 0, which would hide a slice taken from the wrong channels.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if param.ndim == 1 or "matrices" in name:
                param.add_(0.1 * torch.randn(param.shape, generator=generator))


def batches(count: int, size: int = 4, channels: int = 1, resolution: int = 32, seed: int = 0):
    """``count`` reproducible random image batches."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(size, channels, resolution, resolution, generator=generator) for _ in range(count)]
