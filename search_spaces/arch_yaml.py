"""ArchSpec <-> YAML, and loading an architecture by name or file.

The YAML form is meant to be read and edited by people, so it spells every field out::

    name: efficientnet-b0
    resolution: 224
    stem: {channels: 32, kernel: 3, stride: 2}
    head: {channels: 1280}
    dropout: 0.2
    drop_connect: 0.2
    stages:
      - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, skip: true,
         out_channels: 16, layers: 1}

Fields added later are optional and default to what files written before them meant:
``activation`` (top level: stem and head, and the default of every stage; per stage: ``silu``,
``relu`` or ``relu6``; default ``silu``), ``stem: {pool: true}`` (ResNet's max-pool), ``head:
{channels: 0}`` (no head conv), and ``skip`` may name the skip op (``identity``, ``pooling``,
``projection`` or ``none``; ``true``/``false`` mean identity/none). The writer leaves them out
when they hold the default, so B0's file reads as it always did.

Only ``yaml.safe_load`` is used, and every value is coerced to its declared type (PyYAML reads
``1e-3`` as a string), so a malformed file gives one :class:`SpecError`, never a traceback.
A file that holds a ``code:`` key instead of ``stages:`` is parsed as an architecture code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from search_spaces.arch import SKIP_OPS, ArchSpec, StageSpec, skip_fields
from search_spaces.codes import arch_code, arch_from_code
from search_spaces.errors import SpecError
from search_spaces.yaml_io import parse_yaml, quote, read_yaml_file

_STAGE_KEYS = {
    "op": str,
    "kernel": int,
    "stride": int,
    "expansion": int,
    "se_ratio": float,
    "skip": str,
    "out_channels": int,
    "layers": int,
    "activation": str,
}
_TOP_KEYS = {
    "name",
    "resolution",
    "stem",
    "head",
    "dropout",
    "drop_connect",
    "stages",
    "code",
    "notes",
    "activation",
    # What the file was searched/costed for (a search's baseline.yaml): read by the resolver
    # (scaling_search/arch_resolver.py) as defaults, not part of the architecture.
    "num_classes",
    "in_channels",
    "search_resolution",
}
#: Largest whole number any architecture field may hold: far above every channel count, layer count
#: or resolution, and small enough that the value stays exact and its message short.
_MAX_WHOLE = 2**31 - 1
_STEM_KEYS = {"channels", "kernel", "stride", "pool"}
_HEAD_KEYS = {"channels"}


def _skip_op(value: Any, where: str) -> str:
    """A YAML skip value as a skip op name: booleans mean identity/none, or a name."""
    if isinstance(value, bool):
        return "identity" if value else "none"
    text = str(value).lower() if isinstance(value, str) else ""
    if text in {"true", "false"}:
        return "identity" if text == "true" else "none"
    if text not in SKIP_OPS:
        raise SpecError(f"{where} must be true/false or one of {', '.join(SKIP_OPS)}, got {quote(value)}")
    return text


def _coerce(value: Any, kind: type, where: str) -> Any:
    """Coerce one YAML scalar to ``kind`` or raise a SpecError naming ``where``."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "identity", "none"}:
            return value.lower() in {"true", "identity"}
        raise SpecError(f"{where} must be true/false, got {quote(value)}")
    if kind is str:
        if not isinstance(value, str):
            raise SpecError(f"{where} must be a string, got {quote(value)}")
        return value
    if isinstance(value, bool) or isinstance(value, (list, dict)) or value is None:
        raise SpecError(f"{where} must be a number, got {quote(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
        raise SpecError(f"{where} must be a number, got {quote(value)}") from None
    if not math.isfinite(number):  # .nan / .inf would crash int() and poison every cost
        raise SpecError(f"{where} must be a finite number, got {quote(value)}")
    if kind is int:
        if abs(number) > _MAX_WHOLE:
            raise SpecError(f"{where} is out of range, got {quote(value)}")
        if number != int(number):
            raise SpecError(f"{where} must be a whole number, got {quote(value)}")
        return int(number)
    return number


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{where} must be a mapping, got {type(value).__name__}")
    return value


def stage_from_dict(data: Any, where: str = "stage", activation: str = "silu") -> StageSpec:
    """Build a StageSpec from a YAML mapping, refusing unknown or missing keys.

    ``activation`` is the default of a stage that names none (the network's).
    """
    data = _mapping(data, where)
    unknown = set(data) - set(_STAGE_KEYS)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    values = dict(data)
    values.setdefault("expansion", 1)
    values.setdefault("se_ratio", 0.0)
    values.setdefault("skip", True)
    values.setdefault("stride", 1)
    values.setdefault("activation", activation)
    missing = set(_STAGE_KEYS) - set(values)
    if missing:
        raise SpecError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    skip = _skip_op(values.pop("skip"), f"{where}.skip")
    kwargs = {
        key: _coerce(values[key], kind, f"{where}.{key}")
        for key, kind in _STAGE_KEYS.items()
        if key != "skip"
    }
    return StageSpec(**kwargs, **skip_fields(skip))


def arch_from_dict(data: Any) -> ArchSpec:
    """Build an ArchSpec from the YAML mapping described in the module docstring."""
    data = _mapping(data, "architecture")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SpecError(f"architecture: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if "code" in data:
        return arch_from_code(_coerce(data["code"], str, "code"))
    stages = data.get("stages")
    if not isinstance(stages, list) or not stages:
        raise SpecError("architecture: 'stages' must be a non-empty list")
    stem = _mapping(data.get("stem", {}), "stem")
    head = _mapping(data.get("head", {}), "head")
    for part, keys, where in ((stem, _STEM_KEYS, "stem"), (head, _HEAD_KEYS, "head")):
        unknown = set(part) - keys
        if unknown:
            raise SpecError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    activation = _coerce(data.get("activation", "silu"), str, "activation")
    kwargs: dict[str, Any] = {
        "stages": tuple(stage_from_dict(s, f"stages[{i}]", activation) for i, s in enumerate(stages)),
        "stem_channels": _coerce(stem.get("channels", 32), int, "stem.channels"),
        "stem_kernel": _coerce(stem.get("kernel", 3), int, "stem.kernel"),
        "stem_stride": _coerce(stem.get("stride", 2), int, "stem.stride"),
        "head_channels": _coerce(head.get("channels", 1280), int, "head.channels"),
        "resolution": _coerce(data.get("resolution", 224), int, "resolution"),
        "dropout": _coerce(data.get("dropout", 0.2), float, "dropout"),
        "drop_connect": _coerce(data.get("drop_connect", 0.2), float, "drop_connect"),
        "activation": activation,
        "stem_pool": _coerce(stem.get("pool", False), bool, "stem.pool"),
    }
    return ArchSpec(**kwargs)


def arch_to_dict(arch: ArchSpec, name: str | None = None) -> dict[str, Any]:
    """The YAML mapping of an architecture (with its code, for people who grep)."""
    data: dict[str, Any] = {}
    if name:
        data["name"] = name
    data["resolution"] = arch.resolution
    if arch.activation != "silu":
        data["activation"] = arch.activation
    data["stem"] = {"channels": arch.stem_channels, "kernel": arch.stem_kernel, "stride": arch.stem_stride}
    if arch.stem_pool:
        data["stem"]["pool"] = True
    data["head"] = {"channels": arch.head_channels}
    data["dropout"] = arch.dropout
    data["drop_connect"] = arch.drop_connect
    data["stages"] = [_stage_dict(s, arch.activation) for s in arch.stages]
    data["notes"] = {"code": arch_code(arch)}
    return data


def _stage_dict(stage: StageSpec, activation: str) -> dict[str, Any]:
    """One stage's mapping; ``skip`` stays a boolean unless the skip op needs its name."""
    data: dict[str, Any] = {
        "op": stage.op,
        "kernel": stage.kernel,
        "stride": stage.stride,
        "expansion": stage.expansion,
        "se_ratio": stage.se_ratio,
        "skip": stage.skip if stage.shortcut == "identity" else stage.skip_op,
        "out_channels": stage.out_channels,
        "layers": stage.layers,
    }
    if stage.activation != activation:
        data["activation"] = stage.activation
    return data


def arch_to_yaml(arch: ArchSpec, name: str | None = None) -> str:
    """YAML text for an architecture; :func:`arch_from_yaml` reads it back exactly."""
    return yaml.safe_dump(arch_to_dict(arch, name), sort_keys=False, default_flow_style=None, width=100)


def arch_from_yaml(text: str, source: str = "<text>") -> ArchSpec:
    """Parse YAML text (the limited safe reader of :mod:`search_spaces.yaml_io`) into an ArchSpec."""
    return _arch_from_data(parse_yaml(text, source, SpecError), source)


def _arch_from_data(data: Any, source: str) -> ArchSpec:
    """An ArchSpec from parsed YAML (bare or under ``architecture:``); errors name ``source``."""
    if isinstance(data, Mapping) and "architecture" in data and "stages" not in data:
        data = data["architecture"]
    try:
        return arch_from_dict(data)
    except SpecError as exc:
        raise SpecError(f"{source}: {exc}") from None


def load_arch_file(path: str | Path) -> ArchSpec:
    """Read an architecture YAML file; a missing, unreadable or hostile file is a SpecError."""
    return _arch_from_data(read_yaml_file(path, "architecture file", SpecError), str(path))


def builtin_yaml(name: str) -> str:
    """Text of a YAML file shipped inside this package (``b0.yaml``, ``mnasnet.yaml``)."""
    return resources.files("search_spaces").joinpath(name).read_text(encoding="utf-8")


def reference_b0() -> ArchSpec:
    """EfficientNet-B0 exactly as the paper's Table 1 (from the packaged ``b0.yaml``)."""
    return arch_from_yaml(builtin_yaml("b0.yaml"), "b0.yaml")
