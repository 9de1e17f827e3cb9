"""A study as one pandas DataFrame: a row per trial, the architecture decoded into columns.

The search stores every candidate's architecture as a compact code (``arch_code`` of the trial
record, :mod:`nas.studies.records`); decoding it with :func:`search_spaces.codes.arch_from_code`
gives the per-stage choices of the MnasNet factorized space (MnasNet section 4.1: op, kernel,
expansion, SE ratio, skip, filters, layers), so a reader can group, filter and plot by any choice
without knowing how the search sampled it. Trials that never got an architecture (failed before
sampling finished) fall back to the sampled parameters ``s{i}.<choice>`` if present, else stay
empty.

The table works on any study: one still being written (running trials have no values yet), an
empty one (a frame with the columns and no rows), and one with failed, pruned or rejected trials.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from nas.search.reward import parse_flops
from nas.studies.records import (
    ACCURACY,
    ARCH_CODE,
    COEFFICIENT_KEYS,
    CURVE,
    DEVICE,
    EPOCHS_RUN,
    FIDELITY,
    IMAGES_PER_S,
    KIND_KEY,
    MACS,
    PARAMS,
    REASON,
    REWARD,
    ROLE,
    SETTINGS_KEY,
    TARGET_FLOPS,
    WALL_S,
    fidelity_of,
    trial_status,
)
from search_spaces.codes import arch_from_code
from search_spaces.errors import UserError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna
    import pandas as pd

#: Per-stage choices, in the order the MnasNet space lists them (column ``s{stage}.{choice}``).
STAGE_CHOICES: tuple[str, ...] = ("op", "kernel", "expansion", "se", "skip", "filters", "layers")

#: Columns every frame has, in this order (stage and extra columns follow).
BASE_COLUMNS: tuple[str, ...] = (
    "number",
    "state",
    "status",
    "role",
    "fidelity",
    "value",
    "reward",
    "accuracy",
    "macs",
    "params",
    "epochs_run",
    "wall_s",
    "images_per_s",
    "device",
    "reason",
    "datetime_start",
    "datetime_complete",
    "duration_s",
    "resolution",
    "arch_code",
)

#: Attributes of compound-coefficient trials (EfficientNet Eq. 3), present on those studies only.
COEFFICIENT_COLUMNS: tuple[str, ...] = COEFFICIENT_KEYS

_KNOWN_ATTRS = frozenset(
    {ARCH_CODE, MACS, PARAMS, ACCURACY, REWARD, EPOCHS_RUN, WALL_S, IMAGES_PER_S}
    | {DEVICE, CURVE, REASON, ROLE, FIDELITY}
    | set(COEFFICIENT_COLUMNS)
)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _float(value)
    return int(round(number)) if number is not None else None


def _stage_columns_from_code(code: str) -> dict[str, Any] | None:
    try:
        arch = arch_from_code(code)
    except UserError:
        return None
    row: dict[str, Any] = {"resolution": arch.resolution}
    for i, stage in enumerate(arch.stages, start=1):
        row[f"s{i}.op"] = stage.op
        row[f"s{i}.kernel"] = stage.kernel
        row[f"s{i}.expansion"] = stage.expansion
        row[f"s{i}.se"] = stage.se_ratio
        row[f"s{i}.skip"] = stage.skip
        row[f"s{i}.filters"] = stage.out_channels
        row[f"s{i}.layers"] = stage.layers
    return row


def _stage_columns_from_params(params: dict[str, Any]) -> dict[str, Any]:
    """Stage columns from sampled parameters (``skip`` is stored as ``identity``/``none`` there)."""
    row = {}
    for name, value in params.items():
        if name.startswith("s") and "." in name and name.split(".", 1)[1] in STAGE_CHOICES:
            if name.endswith(".skip") and isinstance(value, str):
                value = value.lower() not in ("none", "no", "false", "0")
            row[name] = value
    return row


def trial_row(trial: optuna.trial.FrozenTrial, n_objectives: int = 1) -> dict[str, Any]:
    """One trial as a flat dict (the frame's row); tolerant of any missing attribute."""
    attrs = trial.user_attrs
    state = trial.state.name.lower()
    reason = str(attrs.get(REASON) or "")
    start, complete = trial.datetime_start, trial.datetime_complete
    row: dict[str, Any] = {
        "number": trial.number,
        "state": state,
        "status": trial_status(state, reason),
        "role": str(attrs.get(ROLE) or ""),
        "fidelity": fidelity_of(trial),
        "reward": _float(attrs.get(REWARD)),
        "accuracy": _float(attrs.get(ACCURACY)),
        "macs": _int(attrs.get(MACS)),
        "params": _int(attrs.get(PARAMS)),
        "epochs_run": _int(attrs.get(EPOCHS_RUN)),
        "wall_s": _float(attrs.get(WALL_S)),
        "images_per_s": _float(attrs.get(IMAGES_PER_S)),
        "device": str(attrs.get(DEVICE) or ""),
        "reason": reason,
        "datetime_start": start,
        "datetime_complete": complete,
        "duration_s": (complete - start).total_seconds() if start and complete else None,
        "resolution": None,
        "arch_code": str(attrs.get(ARCH_CODE) or ""),
    }
    values = trial.values or []
    if n_objectives == 1:
        row["value"] = _float(values[0]) if values else None
    else:
        row["value"] = None
        for i in range(n_objectives):
            row[f"value_{i}"] = _float(values[i]) if i < len(values) else None
    for name in COEFFICIENT_COLUMNS:
        if name in attrs:
            row[name] = _float(attrs[name])
    stages = _stage_columns_from_code(row["arch_code"]) if row["arch_code"] else None
    row.update(stages if stages is not None else _stage_columns_from_params(trial.params))
    curve = attrs.get(CURVE)
    row["curve"] = [_float(x) for x in curve] if isinstance(curve, (list, tuple)) else []
    for name, value in attrs.items():
        if (
            name not in _KNOWN_ATTRS
            and name not in row
            and isinstance(value, (str, int, float, bool, list, dict))
        ):
            row[name] = value
    return row


def _stage_sort_key(column: str) -> tuple[int, int]:
    stage, choice = column.split(".", 1)
    try:
        index = int(stage[1:])
    except ValueError:
        index = 10**6
    return (index, STAGE_CHOICES.index(choice) if choice in STAGE_CHOICES else len(STAGE_CHOICES))


def stage_columns(frame: pd.DataFrame) -> list[str]:
    """The ``s{i}.{choice}`` columns of ``frame``, ordered by stage then choice."""
    found = [
        c for c in frame.columns if c.startswith("s") and "." in c and c.split(".", 1)[1] in STAGE_CHOICES
    ]
    return sorted(found, key=_stage_sort_key)


def stage_indices(frame: pd.DataFrame) -> list[int]:
    """The stage numbers present in ``frame`` (1-based, as in the EfficientNet paper's Table 1)."""
    indices = []
    for column in stage_columns(frame):
        index = _stage_sort_key(column)[0]
        if index < 10**6 and index not in indices:
            indices.append(index)
    return indices


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """Every trial of ``study`` (any state), one row each, sorted by trial number."""
    import pandas as pd

    n_objectives = len(study.directions)
    rows = [trial_row(t, n_objectives) for t in study.get_trials(deepcopy=False)]
    frame = pd.DataFrame(rows)
    columns = list(BASE_COLUMNS)
    if n_objectives > 1:
        columns += [f"value_{i}" for i in range(n_objectives)]
    columns += [c for c in COEFFICIENT_COLUMNS if c in frame.columns]
    columns += stage_columns(frame)
    columns += ["curve"]
    columns += [c for c in frame.columns if c not in columns]
    frame = frame.reindex(columns=columns)
    for name in ("macs", "params", "epochs_run", "resolution"):
        frame[name] = pd.array(
            [None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v) for v in frame[name]],
            dtype="Int64",
        )
    for name in ("value", "reward", "accuracy", "wall_s", "images_per_s", "duration_s"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in ("datetime_start", "datetime_complete"):
        frame[name] = pd.to_datetime(frame[name])
    if len(frame):
        frame = frame.sort_values("number", kind="stable").reset_index(drop=True)
    return frame


def study_settings(study: optuna.Study) -> dict[str, Any]:
    """The study's ``settings`` user attribute (empty dict if absent or malformed)."""
    settings = study.user_attrs.get(SETTINGS_KEY)
    return dict(settings) if isinstance(settings, dict) else {}


def study_kind(study: optuna.Study) -> str:
    """``baseline`` or ``coefficients`` (:mod:`nas.studies.records`), or ``""`` for another tool's."""
    return str(study.user_attrs.get(KIND_KEY) or "")


def target_macs(study: optuna.Study) -> int | None:
    """The search's FLOPs target T (multiply-adds) from the study settings, if it has one."""
    settings = study_settings(study)
    value = settings.get(TARGET_FLOPS)
    if value is not None:
        number = _float(value)
        if number is None and isinstance(value, str):
            try:
                number = float(parse_flops(value))
            except UserError:  # an unreadable target just means "no T line"
                number = None
        if number is not None and number > 0:
            return int(number)
    return None


def flops_band(study: optuna.Study) -> tuple[float, float] | None:
    """The accepted MACs band ``[low*T, high*T]`` as multiples of T (settings ``flops_band``)."""
    band = study_settings(study).get("flops_band")
    if isinstance(band, (list, tuple)) and len(band) == 2:
        low, high = _float(band[0]), _float(band[1])
        if low is not None and high is not None and 0 <= low < high:
            return (low, high)
    return None


def reward_exponent(study: optuna.Study) -> float:
    """The reward's exponent w (MnasNet Eq. 2; soft constraint w = -0.07 by default)."""
    number = _float(study_settings(study).get("w"))
    return number if number is not None else -0.07


def frame_for_export(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text-safe cells for CSV: lists and dicts (the curve, ...) as JSON text."""
    import json

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, (list, dict))).any():
            out[column] = [json.dumps(v) if isinstance(v, (list, dict)) else v for v in out[column]]
    out["curve"] = [c if isinstance(c, str) else "[]" for c in out["curve"]]
    return out


__all__ = [
    "BASE_COLUMNS",
    "COEFFICIENT_COLUMNS",
    "STAGE_CHOICES",
    "flops_band",
    "frame_for_export",
    "reward_exponent",
    "stage_columns",
    "stage_indices",
    "study_kind",
    "study_settings",
    "target_macs",
    "trial_row",
    "trial_status",
    "trials_frame",
]
