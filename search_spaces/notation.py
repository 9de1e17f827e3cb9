"""How counts and architectures are written for people: one notation for every layer.

``400M`` for a FLOPs target in a study name (``nas.search.reward.format_flops``), ``385.8M`` in
the search's progress lines, ``M6k5x2/40`` for a stage in a leaderboard: the search's live display
(:mod:`nas.search.progress`), the terminal report (:mod:`results.terminal`) and the HTML
dashboard (:mod:`results.formatting`) all print through these two functions, so the same network
reads the same everywhere. It lives at the lowest layer because the search names its studies
with it.
"""

from __future__ import annotations

from search_spaces.arch import ArchSpec

#: Decimal prefixes, largest first (a count, not bytes).
_PREFIXES: tuple[tuple[str, float], ...] = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3))
_OPS = {"mbconv": "M", "dsconv": "D", "conv": "C"}


def si_count(value: float, spec: str = ".6g", *, kilo: str = "K") -> str:
    """``value`` with a decimal prefix: ``si_count(400e6) == "400M"``, ``si_count(1.5e9, ".1f")
    == "1.5G"``; below 1000 the plain number. ``kilo`` spells the thousands (``K`` or ``k``)."""
    for unit, scale in _PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:{spec}}{kilo if unit == 'K' else unit}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def short_arch(arch: ArchSpec) -> str:
    """A compact per-stage summary: ``M6k5x2/40`` = MBConv6, kernel 5, 2 layers, 40 channels
    (``D`` dsconv, ``C`` conv; SE present is not marked, ``-`` marks no SE, ``!`` no skip)."""
    parts = []
    for stage in arch.stages:
        op = f"M{stage.expansion}" if stage.op == "mbconv" else _OPS.get(stage.op, stage.op)
        flags = ("" if stage.se_ratio else "-") + ("" if stage.skip else "!")
        parts.append(f"{op}k{stage.kernel}x{stage.layers}/{stage.out_channels}{flags}")
    return " ".join(parts)


__all__ = ["si_count", "short_arch"]
