"""Reading a search space from YAML, with every mistake reported as one line naming the place.

The schema is the packaged ``mnasnet.yaml`` (MnasNet section 4.1's factorized space, referenced on
MobileNetV2's stages): a reference architecture, default choices and per-stage overrides. Two
spaces are packaged (:data:`PACKAGED_SPACES`): ``mnasnet``, the published space and the default,
and ``efficientnet-local``, the older space centred on EfficientNet-B0 itself. Unknown keys, duplicate or
unsupported choices and absurd filter multipliers or layer offsets are refused
(:class:`search_spaces.space.SpaceError`) rather than guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from search_spaces.arch import EXPANSIONS, KERNELS, OPS, ArchSpec, StageSpec
from search_spaces.arch_yaml import arch_from_dict, builtin_yaml, load_arch_file, reference_b0
from search_spaces.errors import UserError
from search_spaces.filters import ROUNDINGS, round_filter_choice
from search_spaces.references import reference_arch, reference_names
from search_spaces.space import CHOICE_KEYS, SPACE_SKIPS, SearchSpace, SpaceError, StageChoices, skip_name
from search_spaces.yaml_io import parse_yaml, quote, read_yaml_file

DEFAULT_SPACE = "mnasnet.yaml"
#: The packaged spaces by name (the file is ``<name>.yaml``), the default first.
PACKAGED_SPACES: dict[str, str] = {
    "mnasnet": "MnasNet's published space: MobileNetV2's stages, pooling/identity/none skips",
    "efficientnet-local": "the neighbourhood of EfficientNet-B0 (filters x0.75/1/1.25 of B0's, layers +-1)",
}
_TOP_KEYS = {"name", "reference", "divisor", "choices", "stages", "notes", "rounding"}
_MAX_FILTER_MULTIPLIER = 8.0
_MAX_LAYER_OFFSET = 16


def _choice_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SpaceError(f"{where} must be a list of choices, got {quote(value)}")
    if not value:
        raise SpaceError(f"{where} is an empty list; give at least one choice")
    if any(isinstance(v, (list, dict)) or v is None for v in value):
        raise SpaceError(f"{where} must hold plain values, got {quote(value)}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise SpaceError(f"{where}: {quote(value)} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
        raise SpaceError(f"{where}: {quote(value)} is not a number") from None
    if not math.isfinite(number):
        raise SpaceError(f"{where}: {quote(value)} is not a finite number")
    return number


def _integer(value: Any, where: str) -> int:
    number = _number(value, where)
    if number != int(number):
        raise SpaceError(f"{where}: {quote(value)} is not a whole number")
    return int(number)


def _unique(values: list[Any], where: str) -> tuple[Any, ...]:
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise SpaceError(f"{where} lists {quote(value)} twice")
        seen.append(value)
    return tuple(seen)


def _distinct(values: list[Any]) -> tuple[Any, ...]:
    """Keep first occurrences: resolved filters/layers may coincide (16 x 0.75 rounds to 16)."""
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return tuple(sorted(out))


def _parse_choices(data: Any, where: str) -> dict[str, list[Any]]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise SpaceError(f"{where} must be a mapping of choice lists, got {type(data).__name__}")
    unknown = [str(key) for key in data if key not in CHOICE_KEYS]
    if unknown:
        raise SpaceError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(CHOICE_KEYS)}"
        )
    return {key: _choice_list(value, f"{where}.{key}") for key, value in data.items()}


def _resolve_stage(
    reference: StageSpec, given: Mapping[str, list[Any]], divisor: int, where: str, rounding: str
) -> StageChoices:
    """Validate one stage's choice lists against the reference stage."""
    ops = _unique([str(v) for v in given.get("op", [reference.op])], f"{where}.op")
    for op in ops:
        if op not in OPS:
            raise SpaceError(f"{where}.op: unknown op {quote(op)}; expected one of {', '.join(OPS)}")
    kernels = _unique(
        [_integer(v, f"{where}.kernel") for v in given.get("kernel", [reference.kernel])], f"{where}.kernel"
    )
    for kernel in kernels:
        if kernel not in KERNELS:
            raise SpaceError(f"{where}.kernel: {kernel} is not supported; expected one of {KERNELS}")
    expansions = _unique(
        [_integer(v, f"{where}.expansion") for v in given.get("expansion", [reference.expansion])],
        f"{where}.expansion",
    )
    for expansion in expansions:
        if expansion not in EXPANSIONS:
            raise SpaceError(f"{where}.expansion: {expansion} is not supported; expected one of {EXPANSIONS}")
    se_ratios = _unique(
        [_number(v, f"{where}.se") for v in given.get("se", [reference.se_ratio])], f"{where}.se"
    )
    for ratio in se_ratios:
        if not 0.0 <= ratio <= 1.0:
            raise SpaceError(f"{where}.se: ratio {ratio} must be within [0, 1]")
    skips_raw = given.get("skip", [skip_name(reference.skip_op)])
    # A reference's own projection shortcut (ResNet) is kept as a fixed value; it is not a choice
    # beside others, since it costs MACs and the exact MAC range assumes skip ops are free.
    allowed = SPACE_SKIPS + (("projection",) if reference.skip_op == "projection" else ())
    skips = []
    for value in skips_raw:
        if isinstance(value, bool):
            skips.append(skip_name(value))
        elif isinstance(value, str) and value.lower() in allowed:
            skips.append(value.lower())
        else:
            raise SpaceError(
                f"{where}.skip: {quote(value)} is not a skip op; expected one of {', '.join(allowed)}"
            )
    if "projection" in skips and len(skips) > 1:
        raise SpaceError(f"{where}.skip: the projection shortcut cannot be searched against other skip ops")
    skips_t = _unique(skips, f"{where}.skip")
    multipliers = _unique(
        [_number(v, f"{where}.filters") for v in given.get("filters", [1.0])], f"{where}.filters"
    )
    for mult in multipliers:
        if not 0.0 < mult <= _MAX_FILTER_MULTIPLIER:
            raise SpaceError(
                f"{where}.filters: multiplier {mult} must be within (0, {_MAX_FILTER_MULTIPLIER:g}]"
            )
    offsets = _unique([_integer(v, f"{where}.layers") for v in given.get("layers", [0])], f"{where}.layers")
    for offset in offsets:
        if abs(offset) > _MAX_LAYER_OFFSET:
            raise SpaceError(f"{where}.layers: offset {offset} is beyond +-{_MAX_LAYER_OFFSET}")
    channels = _distinct(
        [round_filter_choice(reference.out_channels, m, divisor, rounding) for m in multipliers]
    )
    layers = _distinct([max(1, reference.layers + offset) for offset in offsets])
    return StageChoices(
        reference=reference,
        ops=ops,
        kernels=kernels,
        expansions=expansions,
        se_ratios=se_ratios,
        skips=skips_t,
        channels=channels,
        layers=layers,
        filter_multipliers=multipliers,
        layer_offsets=offsets,
    )


def _resolve_reference(value: Any, base: Path | None) -> ArchSpec:
    if isinstance(value, Mapping):
        return arch_from_dict(value)
    if not isinstance(value, str) or not value.strip():
        raise SpaceError(
            f"reference must be b0, {', '.join(reference_names())}, an architecture file or a mapping, "
            f"got {quote(value)}"
        )
    text = value.strip()
    if text.lower() in {"b0", "efficientnet-b0", "efficientnet_b0"}:
        return reference_b0()
    seed = reference_arch(text)
    if seed is not None:
        return seed
    path = Path(text)
    if not path.is_absolute() and base is not None:
        path = base / path
    return load_arch_file(path)


def space_from_dict(data: Any, source: str = "<space>", base: Path | None = None) -> SearchSpace:
    """Build and validate a space from its YAML mapping; errors name ``source``."""
    try:
        if not isinstance(data, Mapping):
            raise SpaceError(f"a search space must be a mapping, got {type(data).__name__}")
        unknown = [str(key) for key in data if key not in _TOP_KEYS]
        if unknown:
            raise SpaceError(
                f"unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_TOP_KEYS))}"
            )
        if "reference" not in data:
            raise SpaceError("missing key 'reference' (e.g. reference: b0)")
        reference = _resolve_reference(data["reference"], base)
        divisor = _integer(data.get("divisor", 8), "divisor")
        if not 1 <= divisor <= 64:
            raise SpaceError(f"divisor must be within 1..64, got {divisor}")
        rounding = str(data.get("rounding", "efficientnet"))
        if rounding not in ROUNDINGS:
            raise SpaceError(f"rounding must be one of {', '.join(ROUNDINGS)}, got {quote(rounding)}")
        common = _parse_choices(data.get("choices"), "choices")
        overrides = data.get("stages") or {}
        if not isinstance(overrides, Mapping):
            raise SpaceError("stages must map stage numbers (1 = first) to choice overrides")
        per_stage: dict[int, dict[str, list[Any]]] = {}
        for key, value in overrides.items():
            number = _integer(key, "stages") if not isinstance(key, bool) else 0
            if not 1 <= number <= len(reference.stages):
                raise SpaceError(
                    f"stages: no stage {quote(key)}; the reference has stages 1..{len(reference.stages)}"
                )
            per_stage[number] = _parse_choices(value, f"stages.{number}")
        stages = tuple(
            _resolve_stage(stage, {**common, **per_stage.get(n, {})}, divisor, f"stage {n}", rounding)
            for n, stage in enumerate(reference.stages, 1)
        )
        name = str(data.get("name") or (Path(source).stem if source else "space"))
        return SearchSpace(
            name=name, reference=reference, stages=stages, divisor=divisor, source=source, rounding=rounding
        )
    except UserError as exc:
        raise SpaceError(f"{source}: {exc}") from None


def packaged_name(path: str | Path | None) -> str | None:
    """The packaged space ``path`` names (``None`` is the default), or None for a user's file."""
    if path is None:
        return "mnasnet"
    text = str(path).removesuffix(".yaml")
    return text if text in PACKAGED_SPACES and not Path(str(path)).exists() else None


def load_space(path: str | Path | None = None) -> SearchSpace:
    """Read a search space: ``None`` or ``mnasnet`` is the packaged MnasNet space, a name of
    :data:`PACKAGED_SPACES` that packaged space, else a YAML file."""
    name = packaged_name(path)
    if name is not None or path is None:  # packaged_name(None) is the default space's name
        source, base = f"{name}.yaml", None
        data = parse_yaml(builtin_yaml(source), source, SpaceError)
    else:
        file = Path(path).expanduser()
        source, base = str(file), file.parent
        data = read_yaml_file(file, "search space file", SpaceError)
    return space_from_dict(data, source, base)
