"""How a channel count is rounded: the released EfficientNet rule and the search space's choices.

Both the compound scaler (``scaling_search.rounding``, through :func:`round_channels`) and the
search spaces (:mod:`search_spaces.space_yaml`, through :func:`round_filter_choice`) round here,
so there is one home for the arithmetic.
"""

from __future__ import annotations

from search_spaces.errors import UserError

#: How a space's filter multiplier becomes a channel count (see :func:`round_filter_choice`).
ROUNDINGS: tuple[str, ...] = ("efficientnet", "nearest")


def round_channels(channels: int, multiplier: float, divisor: int = 8) -> int:
    """``channels * multiplier`` rounded as the released EfficientNet ``round_filters`` does.

    Nearest multiple of ``divisor`` (ties up), at least ``divisor``, plus ``divisor`` when rounding
    lost more than 10%; 0 channels (no such layer) stay 0. This is the one home of the rule:
    ``scaling_search.rounding.round_filters`` (compound scaling) validates its inputs and calls
    this, since imports point one way.
    """
    if channels == 0:  # an absent layer (``head_channels: 0``) stays absent at every width
        return 0
    scaled = channels * multiplier
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def round_filter_choice(
    channels: int, multiplier: float, divisor: int = 8, rule: str = "efficientnet"
) -> int:
    """A search space's filter choice: ``channels * multiplier`` as a multiple of ``divisor``.

    ``efficientnet`` is :func:`round_channels` (with its +10% correction). ``nearest`` is the
    nearest multiple (ties up, at least ``divisor``) without the correction: MnasNet's paper gives
    the ratios {0.75, 1.0, 1.25} of MobileNetV2's filters (section 4.1) but no rounding rule, and
    with the correction 0.75 x 24 = 18 becomes 24 again, so the 0.75 choice of a 24-channel stage
    would silently vanish; ``nearest`` keeps it (16), which the paper's three-way choice implies.
    """
    if rule == "efficientnet":
        return round_channels(channels, multiplier, divisor)
    if rule != "nearest":
        raise UserError(f"unknown rounding {rule!r}; expected one of {', '.join(ROUNDINGS)}")
    return max(divisor, int(channels * multiplier + divisor / 2) // divisor * divisor)


__all__ = ["ROUNDINGS", "round_channels", "round_filter_choice"]
