"""The paper's scaling experiments on the user's data: Figure 3 and Figure 4 (Tan & Le 2019).

- **Figure 3** (section 3.2, Observation 1): scale *one* dimension of the base -- width ``w``,
  depth ``d`` or resolution ``r`` -- over a list of multipliers and train each network: accuracy
  rises and saturates as FLOPs grow, differently per dimension. Defaults are the paper's ranges:
  ``w`` 1.0..2.6, ``d`` 1..8, ``r`` 1.0..2.5 (224..560 px for a 224 px base).
- **Figure 4** (Observation 2): width scaling at (depth, resolution) in {(1, 1), (2, 1), (1, 1.3),
  (2, 1.3)}: deeper *and* higher-resolution networks turn the same width into more accuracy, the
  case for compound scaling.

Every network is made by :func:`scaling_search.resize.scale_arch` (the released rounding),
costed exactly at the base's resolution times ``r`` and trained at the proxy's resolution times
the realised ``r`` with the baseline search's proxy. Dropout and stochastic depth stay the base's
(the figures vary one thing at a time). A network that appears in several series (the base is in
all of them) is trained once. The study stores one trial per network; its kind is ``sweep``
(:mod:`scaling_search.sweep_study` runs and resumes it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from nas.training.proxy import ProxyConfig
from scaling_search.resize import TooLarge, scale_arch
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

#: What ``--dimension`` accepts: one dimension, all three (Figure 3) or the Figure 4 grid.
DIMENSIONS: tuple[str, ...] = ("width", "depth", "resolution", "all", "figure4")
#: The paper's Figure 3 multipliers (resolution as a multiple of the base's: 224 -> 560 px).
DEFAULT_VALUES: dict[str, tuple[float, ...]] = {
    "width": (1.0, 1.4, 1.8, 2.2, 2.6),
    "depth": (1.0, 2.0, 3.0, 4.0, 6.0, 8.0),
    "resolution": (1.0, 1.3, 1.5, 1.7, 2.0, 2.5),
}
#: Figure 4's (depth, resolution) settings; width follows ``--values`` (default Figure 3's width).
FIGURE4_SETTINGS: tuple[tuple[float, float], ...] = ((1.0, 1.0), (2.0, 1.0), (1.0, 1.3), (2.0, 1.3))
#: Multipliers accepted: below 0.25 a B0 stage has fewer than 8 channels; above 8 the paper has none.
VALUE_RANGE = (0.25, 8.0)
MAX_VALUES = 24


def check_values(values: tuple[float, ...], shown: str) -> tuple[float, ...]:
    """Multipliers in :data:`VALUE_RANGE`, distinct, 1..:data:`MAX_VALUES` of them, sorted."""
    low, high = VALUE_RANGE
    for value in values:
        if not math.isfinite(value) or not low <= value <= high:
            raise UserError(
                f"--values {shown!r}: {value:g} is outside {low:g}..{high:g} (a multiplier of the base)"
            )
    if len(set(values)) != len(values):
        raise UserError(f"--values {shown!r} repeats a value")
    if not 1 <= len(values) <= MAX_VALUES:
        raise UserError(f"--values {shown!r}: give 1..{MAX_VALUES} values")
    return tuple(sorted(float(v) for v in values))


def parse_values(text: str | None, dimension: str) -> tuple[float, ...]:
    """``"1,1.4,1.8"`` -> (1.0, 1.4, 1.8); None -> the paper's defaults. UserError if bad."""
    if dimension not in DIMENSIONS:
        raise UserError(f"--dimension {dimension!r} is not one of {', '.join(DIMENSIONS)}")
    if text is None:
        return DEFAULT_VALUES["width" if dimension in ("all", "figure4") else dimension]
    if dimension == "all":
        raise UserError("--values needs one --dimension (width, depth, resolution or figure4), not all")
    values = []
    for item in str(text).split(","):
        try:
            values.append(float(item.strip()))
        except ValueError:
            raise UserError(f"--values {text!r}: {item.strip()!r} is not a number") from None
    return check_values(tuple(values), str(text))


@dataclass(frozen=True)
class SweepPoint:
    """One network of the sweep: its multipliers, the series it belongs to, its spec and cost."""

    index: int
    series: tuple[str, ...]
    width: float
    depth: float
    resolution: float
    arch: ArchSpec
    train_resolution: int
    macs: int
    params: int
    macs_ratio: float

    @property
    def label(self) -> str:
        return f"#{self.index} w={self.width:g} d={self.depth:g} r={self.resolution:g}"


def series_name(depth: float, resolution: float) -> str:
    """Figure 4's line label: ``d=2, r=1.3``."""
    return f"d={depth:g}, r={resolution:g}"


@dataclass(frozen=True)
class SweepConfig:
    """Everything that decides the numbers of a sweep study (compared on resume)."""

    base: ArchSpec
    dimension: str
    values: tuple[float, ...]
    dataset: str
    proxy: ProxyConfig
    num_classes: int
    in_channels: int
    repeats: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise UserError(f"--dimension {self.dimension!r} is not one of {', '.join(DIMENSIONS)}")
        check_values(tuple(self.values), ",".join(f"{v:g}" for v in self.values))
        if not 1 <= self.repeats <= 100:
            raise UserError(f"--repeats must be within 1..100, got {self.repeats}")

    def settings(self) -> dict[str, Any]:
        """The study's ``settings`` user attr."""
        return {
            "base": arch_code(self.base),
            "dimension": self.dimension,
            "values": [float(v) for v in self.values],
            "dataset": self.dataset,
            "num_classes": int(self.num_classes),
            "in_channels": int(self.in_channels),
            "proxy": self.proxy.to_dict(),
            "search_resolution": int(self.base.resolution),
            "repeats": int(self.repeats),
            "seed": int(self.seed),
            "objective": "accuracy",
        }

    def multipliers(self) -> list[tuple[str, float, float, float]]:
        """(series, width, depth, resolution) of every point, in plotting order."""
        if self.dimension == "figure4":
            return [(series_name(d, r), w, d, r) for d, r in FIGURE4_SETTINGS for w in self.values]
        dims = ("width", "depth", "resolution") if self.dimension == "all" else (self.dimension,)
        out: list[tuple[str, float, float, float]] = []
        for dim in dims:
            values = DEFAULT_VALUES[dim] if self.dimension == "all" else self.values
            for v in values:
                width, depth, resolution = (v if dim == d else 1.0 for d in ("width", "depth", "resolution"))
                out.append((dim, width, depth, resolution))
        return out

    def points(self) -> tuple[SweepPoint, ...]:
        """The distinct networks (built once per config); UserError if one is too large."""
        return self._points

    @cached_property
    def _points(self) -> tuple[SweepPoint, ...]:
        base_macs = count_cost(self.base, self.num_classes, self.in_channels).macs
        found: dict[ArchSpec, list[Any]] = {}
        for series, w, d, r in self.multipliers():
            try:
                arch = scale_arch(self.base, w, d, max(8, round(self.base.resolution * r)))
            except TooLarge as exc:
                raise UserError(
                    f"w={w:g} d={d:g} r={r:g} gives a network too large to train ({exc})"
                ) from None
            entry = found.setdefault(arch, [[], w, d, r])
            if series not in entry[0]:
                entry[0].append(series)
        points = []
        for index, (arch, (series, w, d, r)) in enumerate(found.items()):
            cost = count_cost(arch, self.num_classes, self.in_channels)
            res = max(8, round(int(self.proxy.resolution) * arch.resolution / self.base.resolution))
            macs_ratio = cost.macs / base_macs
            points.append(
                SweepPoint(index, tuple(series), w, d, r, arch, res, cost.macs, cost.params, macs_ratio)
            )
        return tuple(points)


__all__ = [
    "DEFAULT_VALUES",
    "DIMENSIONS",
    "FIGURE4_SETTINGS",
    "SweepConfig",
    "SweepPoint",
    "check_values",
    "parse_values",
    "series_name",
]
