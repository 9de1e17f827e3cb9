"""The constrained grid of compound-scaling coefficients (EfficientNet, section 3.3, step 1).

EfficientNet fixes phi = 1 and grid-searches depth, width and resolution multipliers alpha, beta,
gamma >= 1 under ``alpha * beta**2 * gamma**2 ~= 2`` (Eq. 3), so that every unit of phi roughly
doubles the FLOPS. The paper's own point, alpha = 1.2, beta = 1.1, gamma = 1.15, has a product of
1.92: the "~=" needs a tolerance, and :func:`candidate_grid` keeps a point when
``|alpha * beta**2 * gamma**2 - 2| <= tolerance`` (default 0.1).

Bounds. Every multiplier starts at 1.0 and grows in steps of ``step``. Because the other two
factors are >= 1, no point with ``alpha > 2 + tolerance`` or ``beta, gamma > sqrt(2 + tolerance)``
can satisfy the constraint, so those implied bounds are the grid's bounds: nothing that could
qualify is cut off, and nothing that cannot is enumerated.

Floating point. Values are built as ``round(1 + i * step, 9)`` (never by repeated addition) and the
product and its distance to the target are rounded to 1e-9 before the comparison, so that a point
exactly on the tolerance edge (e.g. alpha = 1.9, beta = gamma = 1 with tolerance 0.1) is kept on
every platform.

When the grid is larger than the user's budget (``--max-candidates``), :func:`spread_subset` picks
a deterministic, well-spread subset by farthest-point selection in "FLOPs-share" coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scaling_search.coefficients_file import PAPER
from search_spaces.errors import UserError

#: Target of the constraint (Eq. 3): each unit of phi doubles the FLOPS.
TARGET = 2.0
DEFAULT_STEP = 0.05
DEFAULT_TOLERANCE = 0.1
#: The coefficients the paper found for B0 (:data:`scaling_search.coefficients_file.PAPER`, their
#: one home): the default start of the spread subset.
PAPER_POINT = (PAPER.alpha, PAPER.beta, PAPER.gamma)
#: Refuse grids that would enumerate more points than this (a step far too small).
MAX_GRID_VALUES = 2001
_DIGITS = 9


@dataclass(frozen=True, order=True)
class GridPoint:
    """One candidate (alpha, beta, gamma): depth, width and resolution bases of compound scaling."""

    alpha: float
    beta: float
    gamma: float

    @property
    def constraint(self) -> float:
        """``alpha * beta**2 * gamma**2`` rounded to 1e-9: the FLOPS multiplier per unit of phi."""
        return round(self.alpha * self.beta**2 * self.gamma**2, _DIGITS)

    def flops_share(self) -> tuple[float, float, float]:
        """How the FLOPS growth splits between depth, width and resolution (log shares).

        ``(ln alpha, 2 ln beta, 2 ln gamma) / ln 2``: the three add up to ``log2(constraint)``,
        about 1, so points are compared by how they spend the doubling, not by raw multipliers.
        """
        return (
            math.log(self.alpha) / math.log(2),
            2 * math.log(self.beta) / math.log(2),
            2 * math.log(self.gamma) / math.log(2),
        )

    def label(self) -> str:
        return f"a{self.alpha:g}_b{self.beta:g}_g{self.gamma:g}"


def _check_step_tolerance(step: float, tolerance: float) -> None:
    if not isinstance(step, (int, float)) or math.isnan(step) or not (0 < step <= 1):
        raise UserError(f"--grid-step must be within (0, 1], got {step}")
    if not isinstance(tolerance, (int, float)) or math.isnan(tolerance) or not (0 <= tolerance < 1):
        raise UserError(f"--tolerance must be within [0, 1), got {tolerance}")


def _values(step: float, upper: float) -> list[float]:
    """``1, 1 + step, ...`` up to ``upper`` (inclusive after rounding to 1e-9)."""
    count = math.floor(round((upper - 1.0) / step, _DIGITS)) + 1
    if count > MAX_GRID_VALUES:
        raise UserError(
            f"--grid-step {step} is too fine: {count} values per axis (at most {MAX_GRID_VALUES})"
        )
    return [round(1.0 + i * step, _DIGITS) for i in range(count)]


def keeps(point: GridPoint, tolerance: float = DEFAULT_TOLERANCE, target: float = TARGET) -> bool:
    """Whether a point satisfies ``|alpha * beta**2 * gamma**2 - target| <= tolerance`` (to 1e-9)."""
    return round(abs(point.constraint - target), _DIGITS) <= round(tolerance, _DIGITS)


def candidate_grid(step: float = DEFAULT_STEP, tolerance: float = DEFAULT_TOLERANCE) -> tuple[GridPoint, ...]:
    """Every grid point that satisfies the constraint, sorted by (alpha, beta, gamma).

    Raises :class:`UserError` for a bad step/tolerance or a grid that keeps no point (e.g. a step
    so coarse that no combination lands near 2 with a tight tolerance).
    """
    _check_step_tolerance(step, tolerance)
    alphas = _values(step, TARGET + tolerance)
    others = _values(step, math.sqrt(TARGET + tolerance))
    kept = [
        point
        for alpha in alphas
        for beta in others
        for gamma in others
        if keeps(point := GridPoint(alpha, beta, gamma), tolerance)
    ]
    if not kept:
        raise UserError(
            f"the coefficient grid keeps no point: no alpha*beta^2*gamma^2 on a {step:g} grid is within "
            f"{tolerance:g} of {TARGET:g}; use a finer --grid-step or a larger --tolerance"
        )
    return tuple(kept)


def _distance(a: GridPoint, b: GridPoint) -> float:
    return math.dist(a.flops_share(), b.flops_share())


def spread_subset(
    points: Sequence[GridPoint], k: int, start: tuple[float, float, float] = PAPER_POINT
) -> tuple[GridPoint, ...]:
    """A deterministic, well-spread subset of ``k`` points (all of them when ``k >= len(points)``).

    Farthest-point selection in :meth:`GridPoint.flops_share` coordinates: begin with the point
    nearest ``start`` (the paper's 1.2/1.1/1.15 by default, so the published choice is always
    judged when it is on the grid), then repeatedly add the point whose distance to the chosen set
    is largest. Ties are broken by the points' sorted order (alpha, beta, gamma), so the result
    depends only on the inputs. The subset is returned sorted, like :func:`candidate_grid`.
    """
    if k < 1:
        raise UserError(f"--max-candidates must be at least 1, got {k}")
    pool = sorted(set(points))
    if k >= len(pool):
        return tuple(pool)
    anchor = GridPoint(*start)
    first = min(pool, key=lambda p: (round(_distance(p, anchor), _DIGITS), p))
    chosen = [first]
    nearest = {p: _distance(p, first) for p in pool}
    while len(chosen) < k:
        # max distance; among equals the earliest in sorted order (negated key for min()).
        best = min(
            (p for p in pool if p not in chosen),
            key=lambda p: (-round(nearest[p], _DIGITS), p),
        )
        chosen.append(best)
        for p in pool:
            nearest[p] = min(nearest[p], _distance(p, best))
    return tuple(sorted(chosen))


__all__ = [
    "DEFAULT_STEP",
    "DEFAULT_TOLERANCE",
    "PAPER_POINT",
    "TARGET",
    "GridPoint",
    "candidate_grid",
    "keeps",
    "spread_subset",
]
