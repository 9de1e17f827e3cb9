"""Compact string codes for stages and networks.

A stage code reads like the released EfficientNet block strings, extended with the op and the skip
choice of the MnasNet space: ``mbconv_r2_k5_s2_e6_c40_se0.25`` (op, repeats, kernel, stride,
expansion, output channels, SE ratio); then the skip op when it is not the identity
(``_noskip``, ``_poolskip``, ``_projskip``) and the activation when it is not SiLU (``_relu``,
``_relu6``), so every code written before those choices existed still reads the same. A network
code joins the stem, the stage codes, the head and the global settings with ``|``::

    stem_c32_k3_s2|mbconv_r1_k3_s1_e1_c16_se0.25|...|head_c1280|res224_do0.2_sd0.2

The stem gets ``_pool`` for ResNet's max-pool, ``head_c0`` means no head conv, and the settings
end with the network's activation when it is not SiLU (``res224_do0_sd0_relu6``).

Codes are exact: ``arch_from_code(arch_code(a)) == a`` for every valid ``a``. They are what the
search stores per trial, so a plain ``optuna.load_study`` reader can rebuild any candidate.
"""

from __future__ import annotations

import re

from search_spaces.arch import ArchSpec, StageSpec, skip_fields
from search_spaces.errors import SpecError

#: Skip op -> code suffix (the identity, the common case, has none).
_SKIP_SUFFIX = {"identity": "", "none": "_noskip", "pooling": "_poolskip", "projection": "_projskip"}
_SUFFIX_SKIP = {suffix: op for op, suffix in _SKIP_SUFFIX.items() if suffix}
_ACT = r"(?:_(?P<act>relu6|relu|silu))?"
_STAGE_RE = re.compile(
    r"^(?P<op>[a-z]+)_r(?P<layers>\d+)_k(?P<kernel>\d+)_s(?P<stride>\d+)_e(?P<expansion>\d+)"
    r"_c(?P<out>\d+)_se(?P<se>[0-9.]+(?:[eE][+-]?\d+)?)(?P<skip>_noskip|_poolskip|_projskip)?" + _ACT + "$"
)
_STEM_RE = re.compile(r"^stem_c(?P<c>\d+)_k(?P<k>\d+)_s(?P<s>\d+)(?P<pool>_pool)?$")
_HEAD_RE = re.compile(r"^head_c(?P<c>\d+)$")
_FLOAT = r"[0-9.]+(?:[eE][+-]?\d+)?"
_GLOBAL_RE = re.compile(rf"^res(?P<r>\d+)_do(?P<do>{_FLOAT})_sd(?P<sd>{_FLOAT})" + _ACT + "$")


def _act(name: str) -> str:
    """The code suffix of an activation: none for SiLU (the default)."""
    return "" if name == "silu" else f"_{name}"


def _num(value: float) -> str:
    """Shortest exact text for a float (``0.25``, ``0``), so codes are stable and round-trip."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def stage_code(stage: StageSpec) -> str:
    """The compact code of one stage, e.g. ``mbconv_r2_k5_s2_e6_c40_se0.25``."""
    return (
        f"{stage.op}_r{stage.layers}_k{stage.kernel}_s{stage.stride}_e{stage.expansion}"
        f"_c{stage.out_channels}_se{_num(stage.se_ratio)}{_SKIP_SUFFIX[stage.skip_op]}{_act(stage.activation)}"
    )


def stage_from_code(code: str) -> StageSpec:
    """Parse a stage code; raises :class:`SpecError` with the offending text."""
    match = _STAGE_RE.match(code.strip())
    if not match:
        raise SpecError(
            f"malformed stage code {code!r}; expected e.g. "
            "mbconv_r2_k5_s2_e6_c40_se0.25[_noskip|_poolskip|_projskip][_relu|_relu6]"
        )
    return StageSpec(
        op=match["op"],
        kernel=int(match["kernel"]),
        stride=int(match["stride"]),
        expansion=int(match["expansion"]),
        se_ratio=float(match["se"]),
        out_channels=int(match["out"]),
        layers=int(match["layers"]),
        activation=match["act"] or "silu",
        **skip_fields(_SUFFIX_SKIP.get(match["skip"] or "", "identity")),
    )


def arch_code(arch: ArchSpec) -> str:
    """The compact code of a whole network (see the module docstring)."""
    pool = "_pool" if arch.stem_pool else ""
    parts = [f"stem_c{arch.stem_channels}_k{arch.stem_kernel}_s{arch.stem_stride}{pool}"]
    parts += [stage_code(stage) for stage in arch.stages]
    parts.append(f"head_c{arch.head_channels}")
    parts.append(
        f"res{arch.resolution}_do{_num(arch.dropout)}_sd{_num(arch.drop_connect)}{_act(arch.activation)}"
    )
    return "|".join(parts)


def stages_code(arch: ArchSpec) -> str:
    """Only the stage codes, joined with ``|``: the part a search varies."""
    return "|".join(stage_code(stage) for stage in arch.stages)


def arch_from_code(code: str) -> ArchSpec:
    """Parse a network code produced by :func:`arch_code`."""
    parts = [part.strip() for part in code.strip().split("|")]
    if len(parts) < 4:
        raise SpecError(f"malformed architecture code {code!r}: needs stem|stages...|head|globals")
    stem, head, glob = _STEM_RE.match(parts[0]), _HEAD_RE.match(parts[-2]), _GLOBAL_RE.match(parts[-1])
    if not stem:
        raise SpecError(f"malformed stem code {parts[0]!r}; expected e.g. stem_c32_k3_s2")
    if not head:
        raise SpecError(f"malformed head code {parts[-2]!r}; expected e.g. head_c1280")
    if not glob:
        raise SpecError(f"malformed settings code {parts[-1]!r}; expected e.g. res224_do0.2_sd0.2")
    return ArchSpec(
        stages=tuple(stage_from_code(part) for part in parts[1:-2]),
        stem_channels=int(stem["c"]),
        stem_kernel=int(stem["k"]),
        stem_stride=int(stem["s"]),
        head_channels=int(head["c"]),
        resolution=int(glob["r"]),
        dropout=float(glob["do"]),
        drop_connect=float(glob["sd"]),
        activation=glob["act"] or "silu",
        stem_pool=stem["pool"] is not None,
    )
