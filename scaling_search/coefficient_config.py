"""What a coefficient study trains: its settings and the candidates they define (EfficientNet Eq. 3).

:class:`CoefficientConfig` is everything that decides the numbers of a study (stored in the study
and compared on resume); :class:`Candidate` is one network to train -- a distinct network of the
grid realised at phi (:mod:`scaling_search.realised`: every (alpha, beta, gamma) that builds it,
its MACs against ``2**phi x base``), the unscaled reference (phi = 0) or a single-dimension model
for the Figure 8 comparison. The grid is realised once per config (``plan``, cached).

Defaults: 6 candidates x 3 repeats. Three runs per candidate are the fewest that measure the seed
spread with any confidence (:mod:`scaling_search.verdict`), and 6 compound networks cover the
grid's corners and its middle (the paper's point first) without the single-dimension corners that
used to take 3 of 4 places; 18 proxy trainings of ~2x B0 at 32 px are ~20 min on two CPU cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from nas.studies.records import CREATED_BY as CREATED_BY
from nas.studies.records import FINAL_FAILURES as FINAL_FAILURES
from nas.studies.records import INTERRUPTED as INTERRUPTED
from nas.studies.records import KIND_COEFFICIENTS
from nas.studies.records import ROLE_COEFFICIENTS as ROLE_COEFFICIENTS
from nas.studies.records import ROLE_REFERENCE as ROLE_REFERENCE
from nas.training.proxy import ProxyConfig
from scaling_search.grid import TARGET, GridPoint
from scaling_search.realised import DEFAULT_FLOPS_TOLERANCE, GridPlan, Network, plan_grid
from scaling_search.scale import check_phi
from scaling_search.single import single_dimension_family
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

#: The study kind (trial-record names have one home: :mod:`nas.studies.records`).
STUDY_KIND = KIND_COEFFICIENTS
#: The Optuna parameter of a grid trial: the candidate index.
PARAM = "candidate"
#: Largest phi the coefficient search trains at: every candidate is ~2**phi x the base, trained.
MAX_SEARCH_PHI = 4.0
DEFAULT_MAX_CANDIDATES = 6
DEFAULT_REPEATS = 3


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
    #: The realised network of a grid candidate: every point that builds it, MACs vs 2**phi x base.
    network: Network | None = None

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
    proxy: ProxyConfig
    num_classes: int
    in_channels: int
    grid_step: float = 0.05
    tolerance: float = 0.1
    max_candidates: int = DEFAULT_MAX_CANDIDATES
    repeats: int = DEFAULT_REPEATS
    seed: int = 0
    flops_tolerance: float = DEFAULT_FLOPS_TOLERANCE

    def __post_init__(self) -> None:
        check_phi(self.phi, flag="--phi", positive=True, upper=MAX_SEARCH_PHI)
        if not 1 <= self.repeats <= 100:
            raise UserError(f"--repeats must be within 1..100, got {self.repeats}")
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
            "flops_tolerance": float(self.flops_tolerance),
            "rule": self.plan.rule,
            "objective": "accuracy" if self.plan.rule == "tolerance" else "soft reward",
        }

    @cached_property
    def plan(self) -> GridPlan:
        """The grid realised at phi with the user's classes and channels (computed once)."""
        return plan_grid(
            self.base,
            self.phi,
            self.grid_step,
            self.tolerance,
            self.flops_tolerance,
            self.max_candidates,
            self.num_classes,
            self.in_channels,
        )

    def points(self) -> tuple[GridPoint, ...]:
        """The candidates' representative (alpha, beta, gamma), in grid order."""
        return tuple(network.point for network in self.plan.chosen)

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
        """The grid candidates (built once per config: see :attr:`_candidates`)."""
        return self._candidates

    @cached_property
    def _candidates(self) -> tuple[Candidate, ...]:
        """The chosen networks of :attr:`plan`, trained at the proxy resolution times the realised
        resolution multiplier (identical networks train identically); UserError if too large."""
        return tuple(
            Candidate(
                ROLE_COEFFICIENTS,
                network.arch,
                self.train_resolution(network.arch.resolution / self.base.resolution),
                network.macs,
                network.params,
                network.macs / self.plan.base_macs,
                point=network.point,
                index=index,
                network=network,
            )
            for index, network in enumerate(self.plan.chosen)
        )

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
