"""``baseline.yaml``: the architecture a baseline search found, with where it came from.

The file is an ordinary architecture YAML (:mod:`search_spaces.arch_yaml`), so ``--base`` and
``--arch`` load it like any other. ``num_classes``, ``in_channels`` and ``search_resolution`` are
top-level fields: the network the search costed, which every command reading the file defaults
to (``effsearch cost --arch runs/<study>/baseline.yaml`` prints the MACs the search recorded). The
search's numbers (study, trial, reward, accuracy, MACs,
params, target, proxy, dataset) ride along in its ``notes``, which loading ignores
(``docs/baseline_search.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from nas.files import write_atomic
from nas.search.driver import SearchConfig, SearchOutcome
from nas.studies.records import ACCURACY, ARCH_CODE, MACS, PARAMS, REWARD
from search_spaces.arch_yaml import arch_to_dict
from search_spaces.codes import arch_from_code


def write_baseline(
    outcome: SearchOutcome,
    config: SearchConfig,
    path: Path,
    storage_shown: str,
    inputs: Mapping[Path, str] | None = None,
    weights: Path | None = None,
) -> Path:
    """``baseline.yaml``: the best architecture (loadable by ``--base``), with its provenance and,
    when the search kept them, the file of its trained weights (``notes.weights``).

    Written atomically by :func:`nas.files.write_atomic`, never over one of ``inputs``."""
    best = outcome.best
    assert best is not None
    attrs = best.user_attrs
    arch = arch_from_code(attrs[ARCH_CODE])
    data = arch_to_dict(arch, name=f"{config.study_name}-baseline")
    # What the search costed the network for, as fields (not notes): every command reading the
    # file defaults to them (scaling_search/arch_resolver.py), so `cost` prints the search's MACs.
    data["num_classes"] = int(config.num_classes)
    data["in_channels"] = int(config.in_channels)
    data["search_resolution"] = int(config.search_resolution)
    data["notes"] = data.pop("notes")  # provenance stays last in the file
    reference = outcome.reference
    data["notes"].update(
        {
            "study": config.study_name,
            "storage": storage_shown,
            "trial": best.number,
            "reward": attrs[REWARD],
            "accuracy": attrs[ACCURACY],
            "macs": attrs[MACS],
            "params": attrs[PARAMS],
            "target_flops": config.target,
            "reward_kind": config.reward.kind,
            "w": config.reward.w,
            "reference_reward": reference.user_attrs[REWARD] if reference else None,
            "weights": str(weights) if weights is not None else None,
            "proxy": config.proxy.to_dict(),
            "dataset": config.dataset,
        }
    )
    header = (
        f"# Baseline found by `effsearch baseline` (study {config.study_name}, trial {best.number}).\n"
        f"# reward {attrs[REWARD]:.4f} = proxy accuracy {attrs[ACCURACY]:.4f} x "
        f"(MACs {attrs[MACS]:,} / {config.target:,}) ** {config.reward.w:g} ({config.reward.kind}); "
        f"params {attrs[PARAMS]:,}.\n"
        f"# MACs: conv+linear multiply-adds at {arch.resolution}x{arch.resolution}, "
        f"{config.in_channels} input channel(s), {config.num_classes} classes.\n"
        "# Use it with --base runs/<study>/baseline.yaml; `notes` is ignored when loading.\n"
    )
    text = header + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
    return write_atomic(path, text, inputs=inputs)


__all__ = ["write_baseline"]
