"""Single-dimension scaling to a MACs budget: the baselines of EfficientNet's central claim.

Figure 3 and Figure 8 of the paper (section 3.2, 4) compare scaling width only, depth only or
resolution only against compound scaling at the same FLOPS. To reproduce that on the user's data,
each single-dimension model is sized to the *realised* MACs of the compound winner: the one
multiplier is found by bisection on the exact MACs from :func:`search_spaces.cost.count_cost` of
the rounded network (channels to multiples of 8, ceil of layers, integer resolution), because the
nominal ``w**2 ~= ratio`` is off by the rounding.

Realised MACs are a non-decreasing step function of each multiplier, so the bisection brackets the
first step at or above the target and then keeps whichever of the two neighbouring steps is closer
to it (in log ratio; ties to the smaller network). The other two dimensions stay those of the base.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scaling_search.resize import TooLarge, scale_arch
from search_spaces.arch import ArchSpec
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

#: (role, dimension) of the three single-dimension baselines, as the trial record names them.
SINGLE_ROLES: tuple[str, ...] = ("single-width", "single-depth", "single-resolution")
_ITERATIONS = 60
_MAX_MULTIPLIER = 64.0


@dataclass(frozen=True)
class SingleScaled:
    """The base scaled along one dimension to (about) ``target_macs``."""

    role: str
    multiplier: float
    arch: ArchSpec
    macs: int
    params: int
    target_macs: int

    @property
    def dimension(self) -> str:
        return self.role.removeprefix("single-")


def _builder(base: ArchSpec, role: str) -> Callable[[float], ArchSpec]:
    if role == "single-width":
        return lambda m: scale_arch(base, m, 1.0, base.resolution)
    if role == "single-depth":
        return lambda m: scale_arch(base, 1.0, m, base.resolution)
    if role == "single-resolution":
        return lambda m: scale_arch(base, 1.0, 1.0, max(8, round(base.resolution * m)))
    raise ValueError(f"unknown single-dimension role {role!r}; expected one of {SINGLE_ROLES}")


def match_macs(
    base: ArchSpec, role: str, target_macs: int, num_classes: int = 1000, in_channels: int = 3
) -> SingleScaled:
    """Scale ``base`` along one dimension (``role``) so its realised MACs are closest to the target.

    The multiplier is >= 1 (a target at or below the base's MACs gives the base itself). Raises
    :class:`UserError` if no multiplier up to x64 (or the size limits) reaches the target.
    """
    make = _builder(base, role)

    def macs_of(multiplier: float) -> int:
        return count_cost(make(multiplier), num_classes, in_channels).macs

    low, high = 1.0, 2.0
    if macs_of(low) >= target_macs:
        high = low
    else:
        while True:
            try:
                reached = macs_of(high) >= target_macs
            except TooLarge:
                reached = None
            if reached:
                break
            if reached is None or high >= _MAX_MULTIPLIER:
                raise UserError(
                    f"{role}: no {role.removeprefix('single-')} multiplier up to the size limits reaches "
                    f"{target_macs:,} MACs"
                )
            low, high = high, min(high * 2, _MAX_MULTIPLIER)
        for _ in range(_ITERATIONS):
            middle = (low + high) / 2
            if macs_of(middle) >= target_macs:
                high = middle
            else:
                low = middle
    options = [high] if high == 1.0 else [low, high]
    best = min(options, key=lambda m: (abs(math.log(macs_of(m) / target_macs)), macs_of(m)))
    arch = make(best)
    cost = count_cost(arch, num_classes, in_channels)
    return SingleScaled(role, best, arch, cost.macs, cost.params, int(target_macs))


def single_dimension_family(
    base: ArchSpec, target_macs: int, num_classes: int = 1000, in_channels: int = 3
) -> tuple[SingleScaled, ...]:
    """Width-only, depth-only and resolution-only versions of ``base`` at ``target_macs``."""
    return tuple(match_macs(base, role, target_macs, num_classes, in_channels) for role in SINGLE_ROLES)


__all__ = ["SINGLE_ROLES", "SingleScaled", "match_macs", "single_dimension_family"]
