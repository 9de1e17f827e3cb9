"""Regularisation that grows with the model: dropout (and stochastic depth) as a function of phi.

Bigger networks overfit more, so the released B-series raise the classifier dropout with size:
0.2 (B0, B1), 0.3 (B2, B3), 0.4 (B4, B5), 0.5 (B6, B7) -- the ``dropout`` column of
:data:`scaling_search.official.OFFICIAL` (released ``efficientnet_params``; the paper, section
4, only says "we linearly increase dropout from 0.2 for B0 to 0.5 for B7"). Compound scaling at any
phi follows the same table:

- **integer phi 0..7**: the table's value for B<phi>;
- **any other phi in [0, 7]**: linear interpolation between the two neighbouring rows (phi = 1.5
  gives 0.25; the released models never used such a phi, and a straight line between two released
  points is the least surprising model in between);
- **phi > 7**: held at B7's 0.5 (the released code has nothing beyond B7; dropout above 0.5 on the
  classifier of a 600 px network is untested territory, so we do not extrapolate);
- **a base whose dropout is not B0's 0.2** keeps its own ratio to the table:
  ``dropout(phi) = base_dropout * table(phi) / table(0)``, so a searched baseline with dropout
  0.1 gets 0.25 at phi = 7, and a base without dropout stays without it.

**Stochastic depth** (``drop_connect``): every released B-series model uses the same final rate,
0.2 (:data:`scaling_search.official.DROP_CONNECT`; the per-block rate already rises linearly with
the block index, so a deeper network drops more blocks in absolute number). Following the table
therefore means *keeping* the base's rate at every phi; :func:`drop_connect_for` states that rule
in one place so a later table with a growing rate changes only this module.
"""

from __future__ import annotations

import math

from scaling_search.official import OFFICIAL
from search_spaces.arch import ArchSpec

#: (phi, dropout) of the released table, phi = 0..7.
DROPOUT_TABLE: tuple[tuple[int, float], ...] = tuple((row.phi, row.dropout) for row in OFFICIAL)
#: Largest classifier dropout we set (above it a scaled model stops learning its head).
MAX_DROPOUT = 0.9
_DIGITS = 9


def table_dropout(phi: float) -> float:
    """B0's dropout scaled to ``phi``: the released table, interpolated, held at B7 beyond phi = 7."""
    phi = float(phi)
    if not math.isfinite(phi) or phi < 0:
        raise ValueError(f"phi must be a finite number >= 0, got {phi}")
    last_phi, last_dropout = DROPOUT_TABLE[-1]
    if phi >= last_phi:
        return last_dropout
    low = int(math.floor(phi))
    (phi0, d0), (_, d1) = DROPOUT_TABLE[low], DROPOUT_TABLE[low + 1]
    return round(d0 + (d1 - d0) * (phi - phi0), _DIGITS)


def dropout_for(base: ArchSpec, phi: float) -> float:
    """The classifier dropout of ``base`` scaled to ``phi`` (module docstring: table ratio)."""
    start = DROPOUT_TABLE[0][1]
    return round(min(MAX_DROPOUT, base.dropout * table_dropout(phi) / start), _DIGITS)


def drop_connect_for(base: ArchSpec, phi: float) -> float:
    """The final stochastic-depth rate at ``phi``: the base's own, as every released model keeps 0.2."""
    table_dropout(phi)  # same phi rule (raises for a negative or non-finite phi)
    return base.drop_connect


__all__ = ["DROPOUT_TABLE", "MAX_DROPOUT", "drop_connect_for", "dropout_for", "table_dropout"]
