"""Which blocks of a stage share weights in the supernet: the branch *layouts* (torch-free).

A depthwise-separable conv is an MBConv with expansion 1 (MobileNetV2, Sandler et al. 2018: the
inverted bottleneck with t = 1 has no expansion conv): kxk depthwise + BN + SiLU -> [SE] -> 1x1
linear + BN, in the builder as well (:class:`search_spaces.blocks.DSConv` vs ``MBConv``). The
regular conv's ``out x in x k x k`` kernels nest in nothing else. What remains a choice is where
the *unexpanded* blocks (DSConv, MBConv with expansion 1) live; :data:`LAYOUTS` are the options:

- ``by-expansion`` (the default): the unexpanded blocks have a branch of their own, the expanding
  MBConvs (expansion > 1) another, the regular conv a third. An unexpanded block's depthwise conv
  filters the block's *input*; an expanding one's filters the 1x1 expansion's *output*. Slicing
  one depthwise kernel for both asks the same weights to do two jobs: measured on Fashion-MNIST
  (``benchmarks/spaces/mnasnet-mbconv.yaml`` with only the expansion free, 124 sandwich steps,
  2 CPU cores), random children scored 24-34% on one shared branch while the largest and the
  smallest reached 49%; with only the kernel, the filters or the layers free, children scored
  within a few points of the extremes.
- ``dsconv-in-mbconv``: DSConv runs on the MBConv branch (with MBConv's expansion-1 candidates);
  the earlier default.
- ``per-op``: one branch per op, MBConv of every expansion in one.

:func:`branch_of` is the rule, used by the supernet's layers (which branch holds the weights) and
by the sampler (:func:`family_pins`: which families a step's children must cover).
"""

from __future__ import annotations

from collections.abc import Sequence

#: Branch layouts, default first (see the module docstring).
LAYOUTS: tuple[str, ...] = ("by-expansion", "dsconv-in-mbconv", "per-op")
DEFAULT_LAYOUT = LAYOUTS[0]


def check_layout(layout: str) -> str:
    """``layout`` itself, or a ValueError naming the layouts."""
    if layout not in LAYOUTS:
        raise ValueError(f"branch layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    return layout


def branch_of(op: str, expansion: int, ops: Sequence[str], layout: str = DEFAULT_LAYOUT) -> str:
    """The branch (named after the op whose body it holds) a block runs on in a stage offering ``ops``."""
    check_layout(layout)
    if layout == "by-expansion" and op == "mbconv" and expansion == 1:
        return "dsconv"
    if layout == "dsconv-in-mbconv" and op == "dsconv" and "mbconv" in ops:
        return "mbconv"
    return op


def branches(ops: Sequence[str], expansions: Sequence[int], layout: str = DEFAULT_LAYOUT) -> tuple[str, ...]:
    """The branches a layer offering ``ops`` (MBConv at ``expansions``) needs, in first-use order."""
    out: list[str] = []
    for op in ops:
        for expansion in expansions if op == "mbconv" else (1,):
            key = branch_of(op, expansion, ops, layout)
            if key not in out:
                out.append(key)
    return tuple(out)


def family_pins(
    ops: Sequence[str], expansions: Sequence[int], layout: str = DEFAULT_LAYOUT
) -> list[dict[str, tuple]]:
    """One entry per branch: the ``op`` (and where needed ``expansion``) choices that run on it.

    The stratified sampler (:func:`nas.oneshot.sampling.stratified_archs`) deals these to a
    step's children, so every branch of a stage trains at every step when there are enough
    children. ``expansion`` is pinned only where a branch takes some of MBConv's expansions and
    not others; it is suggested only when the op drawn is MBConv, so a DSConv draw ignores it.
    """
    pins: list[dict[str, tuple]] = []
    for key in branches(ops, expansions, layout):
        mine = [e for e in expansions if "mbconv" in ops and branch_of("mbconv", e, ops, layout) == key]
        members = [
            op
            for op in ops
            if (op == "mbconv" and mine) or (op != "mbconv" and branch_of(op, 1, ops, layout) == key)
        ]
        entry: dict[str, tuple] = {"op": tuple(members)}
        if mine and len(mine) < len(expansions):
            entry["expansion"] = tuple(mine)
        pins.append(entry)
    return pins


__all__ = ["DEFAULT_LAYOUT", "LAYOUTS", "branch_of", "branches", "check_layout", "family_pins"]
