"""The dashboard's "search cost and settings" section: two readable tables instead of a JSON dump.

Keys are named in words (``target_flops`` reads "FLOPs target T"), a nested group such as the
proxy's settings becomes one row per entry ("proxy · epochs"), and every value goes through the
project's formatters (:mod:`results.formatting`, :mod:`search_spaces.notation`): counts with
thousands separators, multiply-adds in SI notation, seconds as durations, and floats to four
significant digits, so no 17-digit float reaches the page. Values are escaped and secrets masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nas.studies.storage_url import mask_secrets
from results.formatting import MISSING, duration, number
from results.html_sections import esc, table_html
from search_spaces.notation import si_count

if TYPE_CHECKING:  # pragma: no cover - typing only
    from results.stats import SearchCost

#: Words for the keys a study's settings and its search cost hold; other keys are spelled out
#: from their snake_case name.
LABELS: dict[str, str] = {
    "n_trials": "trials",
    "by_status": "trials by outcome",
    "n_trained": "trials that trained",
    "total_train_s": "training time, total",
    "mean_train_s": "training time per trial, mean",
    "median_train_s": "training time per trial, median",
    "total_epochs": "epochs trained, total",
    "elapsed_s": "elapsed (first start to last finish)",
    "candidates_per_hour": "candidates judged per hour",
    "trained_per_hour": "candidates trained per hour",
    "mean_images_per_s": "training images per second, mean",
    "devices": "devices",
    "target_flops": "FLOPs target T (multiply-adds)",
    "space": "search space",
    "space_fingerprint": "search space fingerprint",
    "num_classes": "classes",
    "in_channels": "input channels",
    "w": "reward exponent w",
    "reward_kind": "reward constraint",
    "search_resolution": "search resolution (px)",
    "flops_band": "MACs band (× T)",
    "base": "base architecture",
    "phi": "compound coefficient φ",
    "grid_step": "grid step",
    "tolerance": "tolerance around α·β²·γ²",
    "constraint_target": "α·β²·γ² target",
    "max_candidates": "candidates at most",
    "val_size": "validation images (configured)",
    "train_subset": "training images used",
    "lr": "learning rate",
    "amp": "mixed precision",
    "bn_recalibration_batches": "BN recalibration batches",
    "hflip": "horizontal flips",
    "nesterov": "Nesterov momentum",
}
#: Keys whose integer value is a count of multiply-adds, shown as ``400M``.
MACS_KEYS = frozenset({"target_flops", "target", "macs", "target_macs"})
#: Between a group's name and an entry's: "proxy · epochs".
GROUP_SEP = " · "


def label(key: str) -> str:
    """``key`` in words: from :data:`LABELS`, else its snake_case name with spaces."""
    return LABELS.get(key, key.replace("_", " "))


def value_text(key: str, value: Any) -> str:
    """One setting as plain text, formatted by the project's formatters."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{si_count(value, '.4g')} ({value:,})" if key in MACS_KEYS and value >= 1000 else f"{value:,}"
    if isinstance(value, float):
        if key.endswith("_per_hour"):
            return number(value, ".1f", " /h")
        if key.endswith("_per_s"):
            return number(value, ".1f", " /s")
        if key.endswith("_s"):  # seconds
            return duration(value)
        return number(value, ".4g")
    if isinstance(value, dict):
        return ", ".join(f"{label(str(k))} {value_text(str(k), v)}" for k, v in value.items()) or MISSING
    if isinstance(value, (list, tuple)):
        if key == "flops_band" and len(value) == 2:
            return f"{value_text('', value[0])} to {value_text('', value[1])}"
        return ", ".join(value_text(key, v) for v in value) or MISSING
    return str(value)


def rows(data: dict[str, Any], nested: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(label, text) per entry; the dicts named in ``nested`` give one row per inner entry."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        if key in nested and isinstance(value, dict):
            out += [(f"{label(key)}{GROUP_SEP}{lab}", text) for lab, text in rows(value)]
        else:
            out.append((label(str(key)), value_text(str(key), value)))
    return out


def settings_html(cost: SearchCost, settings: dict[str, Any]) -> str:
    """The search's cost and the study's settings as two two-column tables (pre-escaped HTML)."""
    cost_rows = rows(cost.to_dict())
    setting_rows = rows(settings, nested=frozenset(k for k, v in settings.items() if isinstance(v, dict)))
    parts = []
    for title, entries in (("search cost", cost_rows), ("setting", setting_rows)):
        if entries:
            body = [[esc(name), esc(mask_secrets(text))] for name, text in entries]
            parts.append(table_html([(title, "key"), ("value", "value")], body))
    return '<div class="settings">' + "".join(parts) + "</div>"


__all__ = ["LABELS", "label", "rows", "settings_html", "value_text"]
