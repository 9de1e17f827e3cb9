"""What a coefficient search leaves on disk: ``coefficients.yaml`` with its evidence, and the base.

``coefficients.yaml`` (:mod:`scaling_search.coefficients_file`) holds the winner and, under
``evidence``, how it was found: the grid before and after judging by realised MACs (points,
distinct networks, realised range), the rule that decided (tolerance or soft,
:mod:`scaling_search.realised`), every judged network with all its (alpha, beta, gamma), its
nominal ``alpha * beta**2 * gamma**2`` and its realised MACs ratio to ``2**phi x base``, and the
verdict on the winner's lead against the seed noise (:mod:`scaling_search.verdict`).
``baseline.yaml`` next to it is the base, so ``effsearch scale`` can be pointed at both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scaling_search.coefficient_config import Candidate
from scaling_search.coefficients_file import Coefficients, save_coefficients
from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code
from search_spaces.errors import UserError


def default_study_name(base_name: str, phi: float, dataset: str) -> str:
    """``coefficients-b0-phi1-fashion-mnist``."""
    from nas.search.settings import dataset_slug

    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", base_name).strip("-") or "base"
    return f"coefficients-{slug}-phi{phi:g}-{dataset_slug(dataset)}"


def _judged_row(candidate: Candidate, trial: Any | None) -> dict[str, Any]:
    attrs = trial.user_attrs if trial is not None else {}
    network = candidate.network
    assert candidate.point is not None and network is not None
    return {
        "alpha": candidate.point.alpha,
        "beta": candidate.point.beta,
        "gamma": candidate.point.gamma,
        "members": [[p.alpha, p.beta, p.gamma] for p in network.points],
        "constraint": candidate.point.constraint,
        "macs": candidate.macs,
        "macs_ratio": round(candidate.macs_ratio, 6),
        "realised_ratio": round(network.ratio, 6),
        "train_resolution": candidate.train_resolution,
        "accuracy": attrs.get("accuracy"),
        "accuracy_std": attrs.get("accuracy_std"),
        "trial": None if trial is None else trial.number,
    }


def grid_summary(outcome: Any) -> dict[str, Any]:
    """The grid before and after judging by realised MACs (also printed by the command)."""
    plan = outcome.config.plan
    low, high = plan.ratio_range
    return {
        "points": plan.grid_points,
        "distinct_networks": len(plan.networks),
        "compound_networks": sum(1 for n in plan.networks if n.compound),
        "inside_tolerance": len(plan.inside),
        "realised_ratio_range": [round(low, 6), round(high, 6)],
        "candidates": len(plan.pool),
        "judged": len(outcome.candidates),
    }


def evidence(outcome: Any, storage_label: str) -> dict[str, Any]:
    """What coefficients.yaml keeps about how the winner was found."""
    config, plan = outcome.config, outcome.config.plan
    winner = outcome.winner_candidate
    trial = outcome.trials[winner.index]
    data: dict[str, Any] = {
        "study": outcome.study.study_name,
        "storage": storage_label,
        "dataset": config.dataset,
        "repeats": config.repeats,
        "grid_step": config.grid_step,
        "tolerance": config.tolerance,
        "flops_tolerance": config.flops_tolerance,
        "rule": plan.rule,
        "rule_text": plan.describe_rule(),
        "grid": grid_summary(outcome),
        "winner": {
            "trial": trial.number,
            "accuracy": trial.user_attrs.get("accuracy"),
            "accuracy_std": trial.user_attrs.get("accuracy_std"),
            "macs": winner.macs,
            "macs_ratio": round(winner.macs_ratio, 6),
            "target_ratio": 2.0**config.phi,
            "realised_ratio": round(winner.network.ratio, 6),
            "inside_tolerance": winner.network.inside(config.flops_tolerance),
        },
        "verdict": outcome.verdict.to_dict(),
        "reference": {
            "macs": outcome.reference.macs,
            "accuracy": None
            if outcome.reference_trial is None
            else outcome.reference_trial.user_attrs.get("accuracy"),
        },
        "candidates": [_judged_row(c, outcome.trials.get(c.index)) for c in outcome.candidates],
    }
    if outcome.singles:
        data["single_dimension"] = [
            {
                "scaling": single.role,
                "multiplier": single.multiplier,
                "macs": single.macs,
                "accuracy": None if t is None else t.user_attrs.get("accuracy"),
                "accuracy_std": None if t is None else t.user_attrs.get("accuracy_std"),
            }
            for single, t in outcome.singles
        ]
    return data


def check_baseline_file(path: Path, base: ArchSpec) -> bool:
    """Whether ``path`` already holds ``base``; UserError when it holds another architecture.

    Called before any training, so a run never ends unable to write its files."""
    from search_spaces.arch_yaml import load_arch_file

    if not path.exists():
        return False
    try:
        same = arch_code(load_arch_file(path)) == arch_code(base)
    except UserError:
        same = False
    if not same:
        raise UserError(f"{path} exists and holds another architecture; use another --study or --out")
    return True


def write_outputs(
    outcome: Any,
    out_dir: Path,
    base_name: str,
    storage_label: str,
    inputs: Mapping[Path, str] | None = None,
) -> tuple[Path, Path, Coefficients]:
    """Write ``coefficients.yaml`` and ``baseline.yaml`` (atomically, never over one of
    ``inputs``: :mod:`nas.files`); (their paths, the coefficients)."""
    from nas.files import write_atomic
    from search_spaces.arch_yaml import arch_to_yaml

    config, winner = outcome.config, outcome.winner_candidate
    coeffs = Coefficients(
        winner.point.alpha,
        winner.point.beta,
        winner.point.gamma,
        source=f"effsearch coefficients, study {outcome.study.study_name}",
        base_code=arch_code(config.base),
    )
    baseline_path = out_dir / "baseline.yaml"
    if not check_baseline_file(baseline_path, config.base):
        write_atomic(baseline_path, arch_to_yaml(config.base, base_name), inputs=inputs)
    coeff_path = save_coefficients(
        coeffs,
        out_dir / "coefficients.yaml",
        evidence(outcome, storage_label),
        config.phi,
        config.proxy.to_dict(),
        inputs,
    )
    return coeff_path, baseline_path, coeffs


__all__ = ["check_baseline_file", "default_study_name", "evidence", "grid_summary", "write_outputs"]
