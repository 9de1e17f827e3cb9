"""Rounding of scaled widths and depths, exactly as the released EfficientNet code does it.

Compound scaling (Tan & Le 2019, Eq. 3) multiplies every stage's channels by ``w = beta**phi`` and
its layers by ``d = alpha**phi``. Real networks need whole numbers, so the released code
(``efficientnet_model.py``: ``round_filters`` / ``round_repeats``; torchvision's
``_make_divisible`` and ``MBConvConfig.adjust_depth`` follow it) rounds:

- channels ``c -> c*w`` rounded to the *nearest* multiple of 8, at least 8, plus 8 more when that
  nearest multiple lost more than 10% (falls below ``0.9 * c*w``);
- layers ``n -> ceil(n*d)``.

These two rules are what make the released B1..B7 have exactly the parameter counts torchvision
and timm reproduce (DESIGN.md section 1), so every scaled model in effsearch goes through them.
"""

from __future__ import annotations

import math

from search_spaces.errors import UserError
from search_spaces.space import round_channels

#: Channel counts are multiples of this (the released ``depth_divisor``).
DIVISOR = 8

#: A product ``layers * depth`` that is a whole number up to float noise (``10 * 1.1`` is
#: ``11.000000000000002``) must not gain a layer; no released B-series count is this close.
_DEPTH_EPS = 1e-9


def _check_multiplier(value: float, name: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{name} multiplier must be a positive finite number, got {value}")
    return value


def round_filters(channels: int, width: float, divisor: int = DIVISOR) -> int:
    """Scaled channel count ``channels * width`` as the released EfficientNet code rounds it.

    Nearest multiple of ``divisor`` (ties round up: ``int(x + divisor/2) // divisor * divisor``),
    never below ``divisor``, and ``divisor`` is added back when rounding removed more than 10% of
    ``channels * width``. E.g. B0's 1280 head at width 1.1 (B2) is 1408, 40 at 1.4 (B4) is 56,
    and 16 at 0.75 is 16 (12 would round to 16; the 90% rule is not needed). The arithmetic lives
    once, in :func:`search_spaces.space.round_channels` (the search space's filter choices use it
    too); this adds the checks a user's multiplier needs.
    """
    if divisor < 1:
        raise UserError(f"divisor must be at least 1, got {divisor}")
    if channels < 0:  # 0 is an absent layer (no head conv: MobileNetV1, ResNet) and stays 0
        raise UserError(f"channels must be at least 0, got {channels}")
    return round_channels(channels, _check_multiplier(width, "width"), divisor)


def round_repeats(layers: int, depth: float) -> int:
    """Scaled layer count of a stage: ``ceil(layers * depth)`` (released ``round_repeats``).

    Ceiling, not rounding: B1 (depth 1.1) turns B0's 1-layer stages into 2-layer stages. A product
    that is whole up to float noise is not bumped up (see ``_DEPTH_EPS``).
    """
    if layers < 1:
        raise UserError(f"layers must be at least 1, got {layers}")
    return max(1, math.ceil(layers * _check_multiplier(depth, "depth") - _DEPTH_EPS))


__all__ = ["DIVISOR", "round_filters", "round_repeats"]
