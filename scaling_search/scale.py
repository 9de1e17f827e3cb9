"""Compound scaling of an architecture (Tan & Le 2019, section 3.3, Eq. 3).

``scale(arch, alpha, beta, gamma, phi)`` multiplies depth by ``d = alpha**phi``, width by
``w = beta**phi`` and the input size by ``gamma**phi``; with ``alpha * beta**2 * gamma**2 ~= 2``
the FLOPS grow by about ``2**phi`` *before rounding* (after it they do not: judge a scaled network
by its own MACs, :mod:`scaling_search.realised`). The whole numbers are made with the released
rounding rules by :func:`scaling_search.resize.scale_arch`, the resolution is
``round(arch.resolution * gamma**phi)``, and dropout grows with phi like the released B-series
(:mod:`scaling_search.regularisation`). The released B1..B7 themselves are *not* ``alpha**phi``
of B0: they use a hand-picked table (:mod:`scaling_search.official`).

``phi`` may be any finite real >= 0 (phi = 0.5 is a model between B0 and B1); :func:`check_phi`
is the one home of that rule, with the search's and the export's extra bounds as options. A phi
that would give a network no machine can build or train is refused before anything is built.
"""

from __future__ import annotations

import math

from scaling_search.regularisation import drop_connect_for, dropout_for
from scaling_search.resize import (
    MAX_MACS,
    MAX_PARAMS,
    ScaledPoint,
    TooLarge,
    check_multiplier,
    check_size,
    realised_multipliers,
    scale_arch,
)
from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError


def check_phi(phi: float, *, flag: str = "phi", positive: bool = False, upper: float | None = None) -> float:
    """``phi`` as a float: a finite number >= 0 (> 0 when ``positive``; at most ``upper``).

    The one check of phi for every caller: ``scale`` (any phi >= 0), the coefficient search
    (``positive``: phi = 0 is the base itself; ``upper``: every candidate is ~2**phi x the base,
    trained) and the export. ``flag`` names it in the message (``--phi`` at the command line).
    """
    if isinstance(phi, bool) or not isinstance(phi, (int, float)):
        raise UserError(f"{flag} must be a number, got {phi!r}")
    phi = float(phi)
    if not math.isfinite(phi):
        raise UserError(f"{flag} must be a finite number {'> 0' if positive else '>= 0'}, got {phi:g}")
    if positive and phi <= 0:
        raise UserError(f"{flag} must be > 0 (phi = 0 is the base itself), got {phi:g}")
    if phi < 0:
        raise UserError(f"{flag} must be a finite number >= 0, got {phi:g}")
    if upper is not None and phi > upper:
        raise UserError(f"{flag} {phi:g} is absurd here: at most {upper:g} (B7 is phi = 7)")
    return phi


def scale_point(arch: ArchSpec, alpha: float, beta: float, gamma: float, phi: float) -> ScaledPoint:
    """Compound-scale ``arch`` by ``phi`` and keep the nominal and realised multipliers."""
    phi = check_phi(phi)
    alpha = check_multiplier(alpha, "alpha")
    beta = check_multiplier(beta, "beta")
    gamma = check_multiplier(gamma, "gamma")
    try:
        depth, width, res_mult = alpha**phi, beta**phi, gamma**phi
        nominal_res = arch.resolution * res_mult
        if not all(math.isfinite(x) for x in (depth, width, nominal_res)):
            raise OverflowError
    except OverflowError:
        too_large = f"phi={phi:g} gives a network too large to build/train"
        raise UserError(f"{too_large} (multipliers overflow)") from None
    try:
        scaled = scale_arch(
            arch,
            width,
            depth,
            max(8, round(nominal_res)),
            dropout=dropout_for(arch, phi),
            drop_connect=drop_connect_for(arch, phi),
        )
    except TooLarge as exc:
        raise UserError(f"phi={phi:g} gives a network too large to build/train ({exc})") from None
    return ScaledPoint.of(arch, phi, width, depth, scaled, res_mult)


def scale(arch: ArchSpec, alpha: float, beta: float, gamma: float, phi: float) -> ArchSpec:
    """Compound scaling (Eq. 3): depth ``alpha**phi``, width ``beta**phi``, input ``gamma**phi``.

    Resolution is ``round(arch.resolution * gamma**phi)``; dropout follows the released table
    (:func:`scaling_search.regularisation.dropout_for`: 0.2 at phi <= 1, 0.5 at phi = 7),
    stochastic depth stays the base's (every released model keeps 0.2). Refuses a negative, NaN or
    infinite phi and a phi that gives a network too large to build or train (UserError naming the
    limit).
    """
    return scale_point(arch, alpha, beta, gamma, phi).arch


__all__ = [
    "MAX_MACS",
    "MAX_PARAMS",
    "ScaledPoint",
    "TooLarge",
    "check_phi",
    "check_size",
    "realised_multipliers",
    "scale",
    "scale_arch",
    "scale_point",
]
