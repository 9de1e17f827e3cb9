"""The coefficient grid judged by the networks it realises (EfficientNet Eq. 3, after rounding).

Step 1 of compound scaling maximises accuracy *subject to* the scaled network costing about
``2**phi`` times the baseline (Tan & Le 2019, Eq. 3); ``alpha * beta**2 * gamma**2 ~= 2`` is only
the ideal-arithmetic stand-in for that constraint. After the released rounding (channels to
multiples of 8, layers rounded up; :mod:`scaling_search.rounding`) it no longer holds: on B0 at
phi = 1 the 111 points of the default grid realise 1.93x to 3.33x B0's MACs, because any alpha in
(1, 1.25] turns B0's 16 blocks into 23. So every grid point is turned into the network it
actually builds and judged on that network's exact MACs:

1. **merge**: points that build the same network (same :class:`~search_spaces.arch.ArchSpec`,
   resolution included) are one candidate, keeping every (alpha, beta, gamma) that maps to it;
2. **compound only**: a candidate is compound when the *realised* width, depth and resolution
   (:func:`scaling_search.resize.realised_multipliers`) all grew; single-dimension networks belong
   to the ``--compare-single`` ablation (Figure 8), not to the grid;
3. **the tolerance rule**: a network is inside when its realised MACs are within
   ``flops_tolerance`` (default +-10%) of ``2**phi x base``; when at least
   :data:`MIN_INSIDE` compound networks are inside (fewer only if fewer candidates were asked
   for), the candidates are those, and the winner is the most accurate;
4. **the soft rule**: otherwise rounding left too few networks inside, and the candidates are
   every compound network, judged by the MnasNet/EfficientNet soft reward
   ``ACC * (MACs / (2**phi * base))**-0.07`` (:data:`nas.search.reward.SOFT_W`: doubling the
   FLOPs must buy 5% relative accuracy), so a network that rounding made bigger pays for it.

Which rule decided is recorded in the study's settings and in ``coefficients.yaml``. Of the
candidate pool, :func:`scaling_search.grid.spread_subset` picks the ``max_candidates`` to train,
in FLOPs-share coordinates of each network's representative point (the paper's point when it is
a member, so the published choice is judged whenever it is compound).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scaling_search.grid import PAPER_POINT, TARGET, GridPoint, candidate_grid, spread_subset
from scaling_search.resize import realised_multipliers
from scaling_search.scale import scale
from search_spaces.arch import ArchSpec
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

#: Default half-width of the accepted band of realised MACs around 2**phi x base (Eq. 3's "~=").
DEFAULT_FLOPS_TOLERANCE = 0.1
#: Networks inside the band needed to compare by accuracy alone: one is no comparison.
MIN_INSIDE = 2
RULE_TOLERANCE = "tolerance"
RULE_SOFT = "soft"
RULES: tuple[str, ...] = (RULE_TOLERANCE, RULE_SOFT)
_DIGITS = 9


@dataclass(frozen=True)
class Network:
    """One distinct network of the grid at phi, with every (alpha, beta, gamma) that builds it."""

    arch: ArchSpec
    points: tuple[GridPoint, ...]
    macs: int
    params: int
    #: realised MACs / (2**phi x base MACs): 1.0 is exactly on the constraint.
    ratio: float
    #: (width, depth, resolution) multipliers rounding produced (channel sums, blocks, pixels).
    realised: tuple[float, float, float]

    @property
    def point(self) -> GridPoint:
        """The representative point: the paper's when it is a member, else the one whose nominal
        ``alpha * beta**2 * gamma**2`` is nearest the target (ties: sorted order)."""
        paper = GridPoint(*PAPER_POINT)
        if paper in self.points:
            return paper
        return min(self.points, key=lambda p: (round(abs(p.constraint - TARGET), _DIGITS), p))

    @property
    def compound(self) -> bool:
        """All three dimensions really grew (after rounding), not only nominally."""
        return all(m > 1 + 1e-12 for m in self.realised)

    def inside(self, tolerance: float) -> bool:
        return round(abs(self.ratio - 1.0), _DIGITS) <= round(tolerance, _DIGITS)


@dataclass(frozen=True)
class GridPlan:
    """The grid before and after judging by realised MACs, and the candidates it leaves."""

    phi: float
    base_macs: int
    flops_tolerance: float
    grid_points: int
    networks: tuple[Network, ...]
    rule: str
    pool: tuple[Network, ...]
    chosen: tuple[Network, ...]

    @property
    def target_macs(self) -> float:
        return 2.0**self.phi * self.base_macs

    @property
    def inside(self) -> tuple[Network, ...]:
        return tuple(n for n in self.networks if n.compound and n.inside(self.flops_tolerance))

    @property
    def ratio_range(self) -> tuple[float, float]:
        ratios = [n.ratio for n in self.networks]
        return min(ratios), max(ratios)

    def describe_rule(self) -> str:
        """One line naming the rule that decides the winner, and why."""
        band = f"within ±{self.flops_tolerance:.0%} of 2^phi x base"
        if self.rule == RULE_TOLERANCE:
            return f"tolerance rule: {len(self.inside)} compound network(s) {band}; most accurate wins"
        return (
            f"soft rule: only {len(self.inside)} compound network(s) {band} after rounding, so every "
            "compound network is judged by ACC x (MACs / (2^phi x base))^-0.07"
        )


def check_flops_tolerance(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < 1):
        raise UserError(f"--flops-tolerance must be within (0, 1), got {value}")
    return float(value)


def realise(
    base: ArchSpec,
    points: Sequence[GridPoint],
    phi: float,
    num_classes: int = 1000,
    in_channels: int = 3,
) -> tuple[tuple[Network, ...], int]:
    """(distinct networks in the order first built, base MACs) for ``points`` scaled at ``phi``."""
    base_macs = count_cost(base, num_classes, in_channels).macs
    members: dict[ArchSpec, list[GridPoint]] = {}
    for point in points:
        members.setdefault(scale(base, point.alpha, point.beta, point.gamma, phi), []).append(point)
    networks = []
    for arch, found in members.items():
        cost = count_cost(arch, num_classes, in_channels)
        ratio = cost.macs / (2.0**phi * base_macs)
        realised = realised_multipliers(base, arch)
        networks.append(Network(arch, tuple(sorted(found)), cost.macs, cost.params, ratio, realised))
    return tuple(networks), base_macs


def plan_grid(
    base: ArchSpec,
    phi: float,
    step: float,
    tolerance: float,
    flops_tolerance: float,
    max_candidates: int,
    num_classes: int = 1000,
    in_channels: int = 3,
) -> GridPlan:
    """The grid of ``step``/``tolerance`` realised at ``phi`` and cut to ``max_candidates``.

    Raises :class:`UserError` when no compound network is left (a base or step where every point
    only grows one or two dimensions after rounding).
    """
    flops_tolerance = check_flops_tolerance(flops_tolerance)
    points = candidate_grid(step, tolerance)
    networks, base_macs = realise(base, points, phi, num_classes, in_channels)
    compound = [n for n in networks if n.compound]
    if not compound:
        raise UserError(
            f"no point of the grid (step {step:g}) grows depth, width and resolution all at once after "
            "rounding; use a larger --phi or a finer --grid-step"
        )
    inside = [n for n in compound if n.inside(flops_tolerance)]
    rule = RULE_TOLERANCE if len(inside) >= min(MIN_INSIDE, max_candidates) else RULE_SOFT
    pool = inside if rule == RULE_TOLERANCE else compound
    by_point = {n.point: n for n in pool}
    chosen = tuple(by_point[p] for p in spread_subset(list(by_point), max_candidates))
    return GridPlan(phi, base_macs, flops_tolerance, len(points), networks, rule, tuple(pool), chosen)


def score(accuracy: float | None, ratio: float, rule: str) -> float | None:
    """What the winner maximises: accuracy (tolerance rule) or the soft reward (soft rule)."""
    from nas.search.reward import SOFT_W

    if accuracy is None or (isinstance(accuracy, float) and math.isnan(accuracy)):
        return None
    if rule == RULE_TOLERANCE:
        return float(accuracy)
    if rule == RULE_SOFT:
        return float(accuracy) * ratio**SOFT_W
    raise ValueError(f"unknown rule {rule!r}; expected one of {RULES}")


__all__ = [
    "DEFAULT_FLOPS_TOLERANCE",
    "MIN_INSIDE",
    "RULES",
    "RULE_SOFT",
    "RULE_TOLERANCE",
    "GridPlan",
    "Network",
    "check_flops_tolerance",
    "plan_grid",
    "realise",
    "score",
]
