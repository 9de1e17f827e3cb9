"""The released EfficientNet-B0..B7: their scaling table, published sizes and exact builds.

The paper (Tan & Le 2019, Table 2) derives B1..B7 from B0 by compound scaling, but the released
models do not follow ``alpha**phi`` exactly: they use the hand-picked (width, depth, resolution,
dropout) below (released ``efficientnet_builder.efficientnet_params``; torchvision and timm use the
same numbers). Built with the released rounding (:mod:`scaling_search.rounding`) they have exactly
torchvision's parameter counts, which is the check that our builder and our rounding are right.

Published sizes are kept as the paper printed them (``"7.8M"``, ``"0.70B"``) so a report can
show ours at the same precision (:func:`printed_like`). The paper's FLOPS are not all what the
released models compute: conv+linear multiply-adds of the released B1, B4, B5, B7 at their own
resolutions print as 0.69B, 4.4B, 10.3B, 38B (paper 0.70B, 4.2B, 9.9B, 37B), and B2 has 9.1M
parameters (paper 9.2M); independent counters find the same gaps (Lyken17/pytorch-OpCounter
issue 69), so they are the paper's, not the rounding's. ``torchvision_macs`` records the released
numbers (fvcore, conv+linear, torchvision 0.29.1, 1000 classes) so both can be shown side by side.

:data:`SEEDS` holds the other networks the paper scales (Table 3) next to our exact builds of
them (:mod:`search_spaces.references`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from search_spaces.arch import ArchSpec
from search_spaces.arch_yaml import reference_b0
from search_spaces.errors import UserError

#: Final stochastic-depth rate of every released B-series model (``drop_connect_rate`` = 0.2).
DROP_CONNECT = 0.2


@dataclass(frozen=True)
class OfficialModel:
    """One row of the released B-series table."""

    name: str
    phi: int
    width: float
    depth: float
    resolution: int
    dropout: float
    #: Parameters and FLOPS (multiply-adds) as the paper's Table 2 prints them.
    paper_params: str
    paper_flops: str
    #: ImageNet top-1 (%) from the paper's Table 2.
    top1: float
    #: Exact parameter count of torchvision's ``efficientnet_bN()`` (1000 classes).
    torchvision_params: int
    #: Conv+linear multiply-adds of torchvision's model at ``resolution`` (fvcore, 1000 classes).
    torchvision_macs: int


OFFICIAL: tuple[OfficialModel, ...] = (
    OfficialModel("b0", 0, 1.0, 1.0, 224, 0.2, "5.3M", "0.39B", 77.1, 5_288_548, 385_814_752),
    OfficialModel("b1", 1, 1.0, 1.1, 240, 0.2, "7.8M", "0.70B", 79.1, 7_794_184, 686_802_832),
    OfficialModel("b2", 2, 1.1, 1.2, 260, 0.3, "9.2M", "1.0B", 80.1, 9_109_994, 993_561_872),
    OfficialModel("b3", 3, 1.2, 1.4, 300, 0.3, "12M", "1.8B", 81.6, 12_233_232, 1_827_141_392),
    OfficialModel("b4", 4, 1.4, 1.8, 380, 0.4, "19M", "4.2B", 82.9, 19_341_616, 4_393_771_024),
    OfficialModel("b5", 5, 1.6, 2.2, 456, 0.4, "30M", "9.9B", 83.6, 30_389_784, 10_266_384_752),
    OfficialModel("b6", 6, 1.8, 2.6, 528, 0.5, "43M", "19B", 84.0, 43_040_704, 19_067_593_536),
    OfficialModel("b7", 7, 2.0, 3.1, 600, 0.5, "66M", "37B", 84.3, 66_347_960, 37_745_884_192),
)


@dataclass(frozen=True)
class SeedModel:
    """A seed network the paper scales in Table 3, with its published and its exact sizes."""

    name: str
    #: FLOPS of the unscaled network as EfficientNet's Table 3 prints it.
    paper_flops: str
    #: Exact parameters of torchvision's build (None: torchvision has no such model).
    torchvision_params: int | None
    #: Conv+linear multiply-adds of our build at 224 (equal to fvcore's on it; for MobileNetV2 and
    #: ResNet-50 also on torchvision's model).
    macs: int


#: EfficientNet Table 3 (compound scaling of MobileNetV1, MobileNetV2 and ResNet-50): the
#: baselines' FLOPS. Ours at 224 print as the paper's baseline:
#: 568,740,352 -> 0.6B, 300,774,272 -> 0.3B, 4,089,184,256 -> 4.1B.
SEEDS: tuple[SeedModel, ...] = (
    SeedModel("mobilenetv1", "0.6B", None, 568_740_352),
    SeedModel("mobilenetv2", "0.3B", 3_504_872, 300_774_272),
    SeedModel("resnet50", "4.1B", 25_557_032, 4_089_184_256),
)


def seed_model(name: str) -> SeedModel:
    """The Table 3 row of ``mobilenetv1``, ``mobilenetv2`` or ``resnet50`` (any spelling)."""
    from search_spaces.references import normalise_name

    key = normalise_name(name)
    for row in SEEDS:
        if row.name == key:
            return row
    raise UserError(f"unknown seed network {name!r}; expected {', '.join(r.name for r in SEEDS)}")


_UNITS = {"K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_PRINTED_RE = re.compile(r"^(?P<num>\d+(?:\.(?P<dec>\d+))?)(?P<unit>[KMBGT])$")


def printed_value(printed: str) -> float:
    """The number a printed size stands for: ``"7.8M"`` -> 7.8e6."""
    match = _PRINTED_RE.match(printed)
    if not match:
        raise ValueError(f"not a printed size: {printed!r}")
    return float(match["num"]) * _UNITS[match["unit"]]


def printed_like(value: float, printed: str) -> str:
    """``value`` printed with the unit and number of decimals of ``printed`` (``"0.70B"``).

    This is how our exact counts are compared with the paper's table: 686,802,832 MACs printed
    like ``"0.70B"`` is ``"0.69B"``.
    """
    match = _PRINTED_RE.match(printed)
    if not match:
        raise ValueError(f"not a printed size: {printed!r}")
    decimals = len(match["dec"] or "")
    return f"{value / _UNITS[match['unit']]:.{decimals}f}{match['unit']}"


def official_model(name_or_phi: str | int) -> OfficialModel:
    """The table row for ``'b0'..'b7'`` (any case, ``efficientnet-`` prefix allowed) or 0..7."""
    if isinstance(name_or_phi, bool):
        raise UserError(f"unknown EfficientNet model {name_or_phi!r}; expected b0..b7 or 0..7")
    if isinstance(name_or_phi, int):
        index = name_or_phi
    elif isinstance(name_or_phi, str):
        text = name_or_phi.strip().lower().removeprefix("efficientnet-").removeprefix("efficientnet_")
        match = re.fullmatch(r"b?([0-9])", text)
        index = int(match[1]) if match else -1
    else:
        index = -1
    if not 0 <= index < len(OFFICIAL):
        raise UserError(f"unknown EfficientNet model {name_or_phi!r}; expected b0..b7 or 0..7")
    return OFFICIAL[index]


def official_arch(name_or_phi: str | int) -> ArchSpec:
    """The released EfficientNet-BN as an ArchSpec: B0 scaled by the released table, not by phi.

    Stem, every stage and the head are rounded with :func:`~scaling_search.rounding.round_filters`,
    layers with :func:`~scaling_search.rounding.round_repeats`; dropout from the table, stochastic
    depth 0.2 for all (released ``drop_connect_rate``).
    """
    from scaling_search.resize import scale_arch

    row = official_model(name_or_phi)
    base = replace(reference_b0(), drop_connect=DROP_CONNECT)
    return scale_arch(base, row.width, row.depth, row.resolution, dropout=row.dropout)


def official_point(name_or_phi: str | int):
    """The released model as a :class:`~scaling_search.resize.ScaledPoint` (nominal = table values)."""
    from scaling_search.resize import ScaledPoint

    row = official_model(name_or_phi)
    base = replace(reference_b0(), drop_connect=DROP_CONNECT)
    return ScaledPoint.of(
        base, row.phi, row.width, row.depth, official_arch(row.phi), row.resolution / base.resolution
    )


__all__ = [
    "DROP_CONNECT",
    "OFFICIAL",
    "OfficialModel",
    "SEEDS",
    "SeedModel",
    "official_arch",
    "official_model",
    "official_point",
    "printed_like",
    "printed_value",
    "seed_model",
]
