"""What names a baseline study and what must match before a run resumes it.

A study is shared by every run and worker that gives the same name (``docs/baseline_search.md``):
the settings that decide which numbers a trial gets (target, space, dataset, proxy, reward,
resolution, band, objective) are stored once as the study's ``settings`` attribute
(:data:`nas.studies.records.SETTINGS_KEY`) and compared on every resume, so two searches are never
mixed into one ranking. The coefficient study (:mod:`scaling_search.coefficient_study`) compares
its own settings the same way.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from nas.search.objective import Band
from nas.search.reward import Reward, format_flops
from nas.studies.records import TARGET_FLOPS
from search_spaces.space import SearchSpace

#: Settings that do not decide which numbers a trial gets (shown, not compared on resume).
_INFORMATIONAL = {"space"}


def dataset_slug(dataset: str) -> str:
    """A study-name-safe label for a dataset (``imagefolder:/data/birds`` -> ``imagefolder-birds``)."""
    if ":" in dataset:
        kind, _, path = dataset.partition(":")
        dataset = f"{kind}-{Path(path.rstrip('/')).name}"
    slug = re.sub(r"[^a-z0-9]+", "-", dataset.lower()).strip("-")
    return slug or "data"


def default_study_name(target: int, dataset: str, sampler: str = "tpe") -> str:
    """``baseline-400M-fashion-mnist`` (``-pareto`` for nsga2, whose study has two objectives)."""
    name = f"baseline-{format_flops(target)}-{dataset_slug(dataset)}"
    return name + "-pareto" if sampler == "nsga2" else name


def study_settings(
    *,
    target: int,
    space: SearchSpace,
    dataset: str,
    proxy: dict[str, Any],
    reward: Reward,
    search_resolution: int,
    band: Band,
    multi_objective: bool,
    num_classes: int,
    in_channels: int,
) -> dict[str, Any]:
    """What defines a baseline study: two runs mix only if all of it (but ``space``) matches."""
    return {
        TARGET_FLOPS: int(target),
        "space": space.source,
        "space_fingerprint": space.fingerprint(),
        "dataset": dataset,
        "num_classes": int(num_classes),
        "in_channels": int(in_channels),
        "proxy": proxy,
        "w": float(reward.w),
        "reward_kind": reward.kind,
        "search_resolution": int(search_resolution),
        "flops_band": [float(band.low), float(band.high)],
        "objective": "accuracy,macs" if multi_objective else "reward",
    }


def flatten_settings(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``{"a.b.c": value}``, so two of them compare key by key."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten_settings(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


def settings_differences(stored: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """Human lines ``key: stored -> wanted`` for every setting that differs."""
    old, new = flatten_settings(stored), flatten_settings(wanted)
    lines = []
    for key in sorted(set(old) | set(new)):
        if key.split(".")[0] in _INFORMATIONAL:
            continue
        a, b = old.get(key, "<unset>"), new.get(key, "<unset>")
        if isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-12):
            continue
        if a != b:
            lines.append(f"{key}: {a!r} (study) vs {b!r} (now)")
    return lines


__all__ = ["dataset_slug", "default_study_name", "settings_differences", "study_settings"]
