"""Compound-scaling coefficients (alpha, beta, gamma) and their small YAML file.

The paper fixes phi = 1, grid-searches alpha, beta, gamma under ``alpha * beta**2 * gamma**2 ~= 2``
with ``alpha, beta, gamma >= 1`` and finds 1.2, 1.1, 1.15 for B0 (Tan & Le 2019, section 3.3,
Eq. 3). Coefficients found for one baseline say nothing about another, so a file records the
architecture code of the base it was searched on and :func:`check_base` refuses to apply it to a
different one. The file is plain YAML (``yaml.safe_load``; numbers are coerced, PyYAML reads
``1e-3`` as a string)::

    alpha: 1.2
    beta: 1.1
    gamma: 1.15
    base: stem_c32_k3_s2|mbconv_r1_k3_s1_e1_c16_se0.25|...|head_c1280|res224_do0.2_sd0.2
    phi: 1.0                # the phi the search ran at
    proxy: {...}            # the proxy the candidates were judged with (free-form mapping)
    evidence: {...}         # whatever the search wants to keep (grid, accuracies, trials)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from search_spaces.arch import ArchSpec
from search_spaces.codes import arch_code, arch_from_code
from search_spaces.errors import UserError
from search_spaces.yaml_io import quote, read_yaml_file

_KEYS = ("alpha", "beta", "gamma", "base", "phi", "proxy", "evidence", "source", "created_by", "notes")


@dataclass(frozen=True)
class Coefficients:
    """alpha (depth), beta (width), gamma (resolution); where they came from; the base they fit.

    ``base_code`` is the :func:`search_spaces.codes.arch_code` of the baseline, or None when the
    coefficients are not tied to one (the paper's, which were found for B0).
    """

    alpha: float
    beta: float
    gamma: float
    source: str
    base_code: str | None = None

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise UserError(f"{name} must be a number, got {quote(value)}")
            if not math.isfinite(value) or value < 1.0:
                raise UserError(f"{name} must be a finite number >= 1 (paper Eq. 3), got {value}")
            object.__setattr__(self, name, float(value))

    @property
    def constraint(self) -> float:
        """``alpha * beta**2 * gamma**2``: the FLOPS factor per unit of phi (paper: ~2)."""
        return self.alpha * self.beta**2 * self.gamma**2


#: The paper's coefficients for EfficientNet-B0 (section 3.3; their constraint product is 1.92).
PAPER = Coefficients(1.2, 1.1, 1.15, "paper", None)


def _number(data: Mapping[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if value is None:
        raise UserError(f"{where}: missing key {quote(key)}")
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise UserError(f"{where}: {key} must be a number, got {quote(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
        raise UserError(f"{where}: {key} must be a number, got {quote(value)}") from None
    if not math.isfinite(number):
        raise UserError(f"{where}: {key} must be finite, got {quote(value)}")
    return number


def coefficients_from_dict(data: Any, where: str = "coefficients") -> Coefficients:
    """Coefficients from the file's mapping; unknown keys and bad values are UserErrors."""
    if not isinstance(data, Mapping):
        raise UserError(f"{where}: expected a mapping with alpha, beta, gamma, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_KEYS)}")
    base = data.get("base")
    if base is not None:
        if not isinstance(base, str):
            raise UserError(f"{where}: base must be an architecture code string, got {quote(base)}")
        try:
            arch_from_code(base)
        except UserError as exc:
            raise UserError(f"{where}: base: {exc}") from None
    if "phi" in data:
        _number(data, "phi", where)
    try:
        return Coefficients(
            _number(data, "alpha", where),
            _number(data, "beta", where),
            _number(data, "gamma", where),
            source=str(data.get("source") or where),
            base_code=base,
        )
    except UserError as exc:
        if str(exc).startswith(where):
            raise
        raise UserError(f"{where}: {exc}") from None


def load_coefficients(path: str | Path) -> Coefficients:
    """Read a coefficients YAML file (see the module docstring); ``source`` becomes the path."""
    path = Path(path)
    data = read_yaml_file(path, "coefficients file")
    coeffs = coefficients_from_dict(data, str(path))
    return replace(coeffs, source=str(path))


def _plain(value: Any) -> Any:
    """``value`` as plain YAML-safe types (tuples -> lists, numpy scalars -> numbers, else str)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return _plain(value.item())
    return str(value)


def save_coefficients(
    coeffs: Coefficients,
    path: str | Path,
    evidence: dict | None = None,
    phi: float = 1.0,
    proxy: dict | None = None,
    inputs: Mapping[Path, str] | None = None,
) -> Path:
    """Write ``coeffs`` (and what they were found with) as YAML; returns the path written.

    Written atomically, never over one of ``inputs`` (:mod:`nas.files`)."""
    data: dict[str, Any] = {"alpha": coeffs.alpha, "beta": coeffs.beta, "gamma": coeffs.gamma}
    if coeffs.base_code is not None:
        data["base"] = coeffs.base_code
    data["phi"] = float(phi)
    if proxy is not None:
        data["proxy"] = _plain(proxy)
    if evidence is not None:
        data["evidence"] = _plain(evidence)
    from nas.files import write_atomic

    return write_atomic(Path(path), yaml.safe_dump(data, sort_keys=False, width=100), inputs=inputs)


def _settings_free(code: str) -> str:
    """An arch code with dropout and stochastic depth zeroed: they do not change what scales."""
    return arch_code(replace(arch_from_code(code), dropout=0.0, drop_connect=0.0))


def check_base(coeffs: Coefficients, base: ArchSpec) -> None:
    """Refuse coefficients that were searched on another base architecture.

    Stem, stages, head and resolution must match; dropout and stochastic depth may differ.
    Coefficients without a recorded base (the paper's) fit any base.
    """
    if coeffs.base_code is None:
        return
    if _settings_free(coeffs.base_code) != _settings_free(arch_code(base)):
        raise UserError(f"coefficients in {coeffs.source} were found for another base architecture")


__all__ = [
    "PAPER",
    "Coefficients",
    "check_base",
    "coefficients_from_dict",
    "load_coefficients",
    "save_coefficients",
]
