"""The MnasNet reward: accuracy traded against cost, and the parser for FLOPs budgets.

MnasNet (Tan et al. 2019, Eq. 2) scores a candidate m for a target T as

    ACC(m) * (FLOPS(m) / T) ** w,   w = alpha if FLOPS(m) <= T else beta

- soft constraint: alpha = beta = -0.07. Doubling FLOPs must buy about 5% relative accuracy to
  break even (``w = -ln(1.05) / ln(2)``); EfficientNet's baseline search used exactly this with
  FLOPS in place of latency and T = 400M (Tan & Le 2019, section 4).
- hard constraint: alpha = 0, beta = -1: no reward for being cheaper than T, a steep penalty
  above it.

FLOPS are conv+linear multiply-adds (one fused multiply-add = 1), the papers' convention.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from search_spaces.errors import UserError
from search_spaces.notation import si_count

#: Soft-constraint exponent (MnasNet section 3): 2x FLOPs is worth +5% relative accuracy.
SOFT_W = -0.07
#: Hard-constraint exponent above the target (MnasNet: beta = -1); 0 at or below it.
HARD_W = -1.0
KINDS: tuple[str, ...] = ("soft", "hard")

_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "b": 10**9, "t": 10**12}
_FLOPS_RE = re.compile(
    r"^\s*(?P<num>[+-]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:e[+-]?[0-9]+)?|\.[0-9]+(?:e[+-]?[0-9]+)?))"
    r"\s*(?P<unit>[kmgbt]?)\s*(?:flops|macs)?\s*$",
    re.IGNORECASE,
)


def parse_flops(text: str | int | float) -> int:
    """A FLOPs budget from ``400M``, ``0.4G``, ``4e8``, ``400000000`` (also K, B = G, T).

    Raises :class:`UserError` for anything unparsable, non-finite, zero or negative.
    """
    if isinstance(text, bool):
        raise UserError(f"FLOPs target must be a number like 400M, 0.4G or 4e8, got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        match = _FLOPS_RE.match(str(text))
        if not match:
            raise UserError(f"cannot parse FLOPs target {text!r}; write it like 400M, 0.4G, 4e8 or 400000000")
        value = float(match["num"].replace("_", "")) * _UNITS[match["unit"].lower()]
    if not math.isfinite(value):
        raise UserError(f"FLOPs target must be finite, got {text!r}")
    if value <= 0:
        raise UserError(f"FLOPs target must be positive, got {text!r}")
    if value < 1:
        raise UserError(f"FLOPs target must be at least 1 multiply-add, got {text!r}")
    return int(round(value))


def format_flops(value: int) -> str:
    """Short text for a FLOPs count: ``400M``, ``1.5G``, ``386.81M`` (used in study names; the
    notation is :func:`search_spaces.notation.si_count`'s)."""
    return si_count(value)


def default_w(kind: str) -> float:
    """The paper's exponent for a reward kind: -0.07 (soft), -1 above the target (hard)."""
    if kind not in KINDS:
        raise UserError(f"unknown reward kind {kind!r}; expected soft or hard")
    return SOFT_W if kind == "soft" else HARD_W


def exponent(macs: int, target: int, w: float | None = None, kind: str = "soft") -> float:
    """The exponent MnasNet Eq. 2 applies to ``macs / target`` for this candidate."""
    w = default_w(kind) if w is None else float(w)
    if kind == "soft":
        return w
    return 0.0 if macs <= target else w


def reward(
    accuracy: float | None, macs: int, target: int, w: float | None = None, kind: str = "soft"
) -> float | None:
    """``accuracy * (macs / target) ** w`` (MnasNet Eq. 2); None when there is no accuracy.

    ``kind="soft"`` applies ``w`` on both sides of the target; ``kind="hard"`` applies 0 at or
    below the target and ``w`` above it. ``w=None`` (default) means the kind's paper value:
    -0.07 for soft, -1 for hard, so ``reward(acc, m, t)`` is EfficientNet's soft reward and
    ``reward(acc, m, t, kind="hard")`` MnasNet's hard constraint.
    """
    if kind not in KINDS:
        raise UserError(f"unknown reward kind {kind!r}; expected soft or hard")
    if accuracy is None:
        return None
    if macs <= 0 or target <= 0:
        raise ValueError(f"MACs and target must be positive, got macs={macs}, target={target}")
    return float(accuracy) * (macs / target) ** exponent(macs, target, w, kind)


@dataclass(frozen=True)
class Reward:
    """A reward definition (target, exponent, kind), as stored in a study's settings."""

    target: int
    w: float = SOFT_W
    kind: str = "soft"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UserError(f"unknown reward kind {self.kind!r}; expected soft or hard")
        if self.target < 1:
            raise UserError(f"FLOPs target must be positive, got {self.target}")
        if not math.isfinite(self.w) or self.w > 0:
            raise UserError(f"reward exponent w must be a finite number <= 0, got {self.w}")

    @classmethod
    def make(cls, target: int, kind: str = "soft", w: float | None = None) -> Reward:
        """The reward with the kind's paper exponent unless ``w`` is given."""
        return cls(target=target, w=default_w(kind) if w is None else float(w), kind=kind)

    def __call__(self, accuracy: float | None, macs: int) -> float | None:
        if accuracy is None:
            return None
        return float(accuracy) * (macs / self.target) ** exponent(macs, self.target, self.w, self.kind)

    def describe(self) -> str:
        """One line for the output: the formula with its numbers."""
        if self.kind == "soft":
            return f"reward = accuracy * (MACs / {format_flops(self.target)}) ** {self.w:g} (soft)"
        return (
            f"reward = accuracy if MACs <= {format_flops(self.target)}, "
            f"else accuracy * (MACs / {format_flops(self.target)}) ** {self.w:g} (hard)"
        )


__all__ = [
    "HARD_W",
    "KINDS",
    "SOFT_W",
    "Reward",
    "default_w",
    "exponent",
    "format_flops",
    "parse_flops",
    "reward",
]
