"""Reading a compound-coefficient study: the constraint band, the winner, the scaling comparison
and the scaled family.

EfficientNet step 1 (section 3.3) fixes phi = 1 and grid-searches alpha, beta, gamma >= 1 under
``alpha * beta**2 * gamma**2 ~= 2`` (Eq. 3); step 2 scales the baseline with phi. Its Figure 8
compares compound scaling with scaling one dimension; the trials with role ``single-width`` /
``single-depth`` / ``single-resolution`` are that comparison. The scaled family (params and MACs
against phi) is computed here from the spec, with the exact cost model, and set beside the
published B0–B7 (paper Table 2, :mod:`scaling_search.official`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nas.studies.records import ALPHA, CONSTRAINT_TARGET, ROLE, ROLE_COEFFICIENTS, TOLERANCE
from results.leaderboard import finished, rank_column
from scaling_search import official
from scaling_search.coefficients_file import PAPER
from scaling_search.grid import DEFAULT_TOLERANCE, TARGET
from scaling_search.realised import RULE_SOFT, score
from scaling_search.scale import scale
from scaling_search.single import SINGLE_ROLES
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from search_spaces.arch import ArchSpec

#: alpha, beta, gamma the paper found for B0 (section 4; :data:`scaling_search.coefficients_file.PAPER`).
PAPER_COEFFICIENTS: tuple[float, float, float] = (PAPER.alpha, PAPER.beta, PAPER.gamma)


def constraint_band(settings: dict[str, Any]) -> tuple[float, float]:
    """The accepted interval of ``alpha * beta**2 * gamma**2``: target ± tolerance (default 2 ± 0.1)."""
    target, tolerance = float(TARGET), float(DEFAULT_TOLERANCE)
    if isinstance(settings.get(CONSTRAINT_TARGET), (int, float)):
        target = float(settings[CONSTRAINT_TARGET])
    if isinstance(settings.get(TOLERANCE), (int, float)):
        tolerance = float(settings[TOLERANCE])
    return (target - tolerance, target + tolerance)


def coefficient_trials(frame: pd.DataFrame) -> pd.DataFrame:
    """The grid trials (role ``coefficients``) that carry alpha, beta and gamma."""
    if not {"alpha", "beta", "gamma"} <= set(frame.columns):
        return frame.iloc[0:0]
    rows = frame[(frame[ROLE] == ROLE_COEFFICIENTS) & frame[ALPHA].notna()]
    return rows.sort_values("number", kind="stable")


def winner(frame: pd.DataFrame, band: tuple[float, float] | None = None) -> pd.Series | None:
    """The best finished grid trial, inside the constraint band when any finished trial is."""
    grid = finished(coefficient_trials(frame))
    by = rank_column(grid) if len(grid) else "reward"
    grid = grid[grid[by].notna()] if by in grid.columns else grid.iloc[0:0]
    if not len(grid):
        return None
    if "phi" in grid.columns and (grid["phi"] == 1).any():
        grid = grid[grid["phi"] == 1]  # step 1 of the method fixes phi = 1; larger phi are step 2
    if band is not None and "constraint" in grid.columns:
        inside = grid[(grid["constraint"] >= band[0] - 1e-9) & (grid["constraint"] <= band[1] + 1e-9)]
        if len(inside):
            grid = inside
    if {"rule", "realised_ratio"} <= set(grid.columns) and (grid["rule"] == RULE_SOFT).all():
        # the soft rule of scaling_search.realised decided: rank as `effsearch coefficients` did
        soft = [score(a, r, RULE_SOFT) for a, r in zip(grid["accuracy"], grid["realised_ratio"], strict=True)]
        grid, by = grid.assign(soft_reward=soft), "soft_reward"
    best = grid.sort_values([by, "number"], ascending=[False, True], kind="stable").iloc[0]
    return best


def scaling_comparison(frame: pd.DataFrame, band: tuple[float, float] | None = None) -> pd.DataFrame:
    """Finished trials of each scaling method with MACs and accuracy (EfficientNet Figure 8).

    ``method`` is ``baseline`` (role reference), ``compound`` (the winner's coefficients, every
    phi tried with them) or one of :data:`SINGLE_ROLES`; the baseline row is repeated at the start
    of every method so each line starts from the same model.
    """
    import pandas as pd

    done = finished(frame)
    done = done[done["accuracy"].notna() & done["macs"].notna()]
    parts = []
    base = done[done["role"] == "reference"]
    best = winner(frame, band)
    if best is not None:
        grid = done[done["role"] == "coefficients"]
        same = grid[
            (grid["alpha"] == best["alpha"])
            & (grid["beta"] == best["beta"])
            & (grid["gamma"] == best["gamma"])
        ]
        parts.append(same.assign(method="compound"))
    for role in SINGLE_ROLES:
        rows = done[done["role"] == role]
        if len(rows):
            parts.append(rows.assign(method=role))
    if not parts:
        return done.iloc[0:0].assign(method=pd.Series(dtype="str"))
    methods = [p["method"].iloc[0] for p in parts]
    if len(base):
        parts = [base.head(1).assign(method="baseline")] + parts
        parts += [base.head(1).assign(method=m) for m in methods]
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["method", "macs"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class FamilyMember:
    """One model of a scaled family at the ImageNet setting (1000 classes, 3 channels)."""

    phi: int
    resolution: int
    params: int
    macs: int
    arch_code: str


def scaled_family(
    base: ArchSpec,
    alpha: float,
    beta: float,
    gamma: float,
    phis: range = range(8),
    base_resolution: int = 224,
) -> list[FamilyMember]:
    """``base`` scaled by phi = 0..7 (Eq. 3), costed exactly (up to the first phi too large to build).

    The base is first set to ``base_resolution`` (224, B0's) so params and MACs compare with the
    published B0–B7, whatever resolution the proxy search ran at.
    """
    base = replace(base, resolution=base_resolution)
    members = []
    for phi in phis:
        try:
            arch = scale(base, alpha, beta, gamma, phi)
            cost = count_cost(arch, num_classes=1000, in_channels=3)
        except UserError:
            break
        members.append(FamilyMember(phi, arch.resolution, int(cost.params), int(cost.macs), arch_code(arch)))
    return members


def published_family() -> list[dict[str, Any]]:
    """B0–B7 as published (paper Table 2) and as released (torchvision)."""
    rows = []
    for model in official.OFFICIAL:
        paper_params: float | None
        paper_macs: float | None
        try:
            paper_params = official.printed_value(model.paper_params)
            paper_macs = official.printed_value(model.paper_flops)
        except (AttributeError, ValueError):
            paper_params = paper_macs = None
        rows.append(
            {
                "name": str(model.name).upper(),
                "phi": int(model.phi),
                "resolution": int(model.resolution),
                "width": float(model.width),
                "depth": float(model.depth),
                "paper_params": paper_params,
                "paper_macs": paper_macs,
                "params": int(model.torchvision_params) or None,
                "macs": int(model.torchvision_macs) or None,
                "top1": float(model.top1),
            }
        )
    return rows


__all__ = [
    "PAPER_COEFFICIENTS",
    "SINGLE_ROLES",
    "FamilyMember",
    "coefficient_trials",
    "constraint_band",
    "published_family",
    "scaled_family",
    "scaling_comparison",
    "winner",
]
