"""What a coefficient study trains: its settings and the candidates they define (EfficientNet Eq. 3).

:class:`CoefficientConfig` is everything that decides the numbers of a study (stored in the study
and compared on resume); :class:`Candidate` is one network to train -- a grid point scaled at phi,
the unscaled reference (phi = 0) or a single-dimension model for the Figure 8 comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scaling_search.grid import TARGET, GridPoint, candidate_grid, spread_subset
from scaling_search.scale import scale
from scaling_search.single import single_dimension_family
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

STUDY_KIND = "coefficients"
CREATED_BY = "effsearch 0.1.0"
ROLE_REFERENCE = "reference"
ROLE_COEFFICIENTS = "coefficients"
#: Training failures that would repeat on a rerun (the candidate is not retried).
FINAL_FAILURES = ("nan loss", "out of memory")
INTERRUPTED = "interrupted"
#: The Optuna parameter of a grid trial: the candidate index.
PARAM = "candidate"


@dataclass(frozen=True)
class Candidate:
    """One network to train: its role, spec (at the search resolution) and training resolution."""

    role: str
    arch: ArchSpec
    train_resolution: int
    macs: int
    params: int
    macs_ratio: float
    point: GridPoint | None = None
    index: int | None = None
    multiplier: float | None = None
    target_macs: int | None = None

    @property
    def label(self) -> str:
        if self.point is not None:
            return f"#{self.index} a={self.point.alpha:g} b={self.point.beta:g} g={self.point.gamma:g}"
        if self.multiplier is not None:
            return f"{self.role} x{self.multiplier:.3g}"
        return self.role


@dataclass(frozen=True)
class CoefficientConfig:
    """Everything that decides the numbers of a coefficient study (compared on resume)."""

    base: ArchSpec
    phi: float
    dataset: str
    proxy: Any  # nas.training.proxy.ProxyConfig: to_dict(), resolution, epochs
    num_classes: int
    in_channels: int
    grid_step: float = 0.05
    tolerance: float = 0.1
    max_candidates: int = 4
    repeats: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.phi, (int, float)) or not math.isfinite(self.phi) or self.phi <= 0:
            raise UserError(f"--phi must be a finite number > 0, got {self.phi}")
        if self.repeats < 1:
            raise UserError(f"--repeats must be at least 1, got {self.repeats}")
        if self.max_candidates < 1:
            raise UserError(f"--max-candidates must be at least 1, got {self.max_candidates}")

    def settings(self) -> dict[str, Any]:
        """The study's ``settings`` user attr."""
        return {
            "base": arch_code(self.base),
            "phi": float(self.phi),
            "dataset": self.dataset,
            "num_classes": int(self.num_classes),
            "in_channels": int(self.in_channels),
            "proxy": self.proxy.to_dict(),
            "search_resolution": int(self.base.resolution),
            "grid_step": float(self.grid_step),
            "tolerance": float(self.tolerance),
            "constraint_target": TARGET,
            "max_candidates": int(self.max_candidates),
            "repeats": int(self.repeats),
            "seed": int(self.seed),
            "objective": "accuracy",
        }

    def points(self) -> tuple[GridPoint, ...]:
        """The candidates' (alpha, beta, gamma), in grid order."""
        return spread_subset(candidate_grid(self.grid_step, self.tolerance), self.max_candidates)

    def cost(self, arch: ArchSpec) -> tuple[int, int]:
        cost = count_cost(arch, self.num_classes, self.in_channels)
        return int(cost.macs), int(cost.params)

    def train_resolution(self, multiplier: float) -> int:
        """The proxy resolution scaled like the search resolution (at least 8 pixels)."""
        return max(8, round(int(self.proxy.resolution) * multiplier))

    def reference(self) -> Candidate:
        macs, params = self.cost(self.base)
        return Candidate(ROLE_REFERENCE, self.base, self.train_resolution(1.0), macs, params, 1.0)

    def candidates(self) -> tuple[Candidate, ...]:
        """Every grid candidate scaled at phi; UserError if phi makes them too large."""
        base_macs, _ = self.cost(self.base)
        out = []
        for index, point in enumerate(self.points()):
            arch = scale(self.base, point.alpha, point.beta, point.gamma, self.phi)
            macs, params = self.cost(arch)
            out.append(
                Candidate(
                    ROLE_COEFFICIENTS,
                    arch,
                    self.train_resolution(point.gamma**self.phi),
                    macs,
                    params,
                    macs / base_macs,
                    point=point,
                    index=index,
                )
            )
        return tuple(out)

    def singles(self, target_macs: int) -> tuple[Candidate, ...]:
        """Width-, depth- and resolution-only models at ``target_macs`` (the winner's MACs)."""
        base_macs, _ = self.cost(self.base)
        out = []
        for model in single_dimension_family(self.base, target_macs, self.num_classes, self.in_channels):
            res_mult = model.arch.resolution / self.base.resolution
            out.append(
                Candidate(
                    model.role,
                    model.arch,
                    self.train_resolution(res_mult),
                    model.macs,
                    model.params,
                    model.macs / base_macs,
                    multiplier=model.multiplier,
                    target_macs=int(target_macs),
                )
            )
        return tuple(out)
