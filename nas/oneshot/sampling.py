"""Which candidates a supernet trains: the largest, the smallest and seeded random ones.

BigNAS's sandwich rule (Yu et al. 2020, section 3.1) trains, at every step, the largest and the
smallest child plus a few random ones: the largest bounds how good shared weights can be, the
smallest keeps the low end of the space from being starved. Our space also chooses the op, so
"largest" and "smallest" are taken by multiply-adds: :meth:`SearchSpace.mac_range` picks the
dearest (cheapest) kernel, expansion, SE ratio, filters and layers everywhere and, per stage,
the op that costs most (least) -- exact arithmetic, no guessing. The skip op costs nothing; both
extremes use the identity residual wherever the stage offers it, since a residual network is
the better teacher and the easier student.

Random candidates go through :meth:`SearchSpace.sample` itself -- the one function that knows
which parameters exist and when (expansion only for MBConv) -- with a stand-in trial that picks
uniformly from each choice list with a seeded ``random.Random``. So no Optuna study is needed and
the validity rules cannot drift from the search's own.

*Stratified* random candidates (:func:`stratified_archs`) fix two things the uniform draw leaves
to chance: which weight family (:mod:`nas.oneshot.families`) and which skip op each stage of each
child uses. Per stage, the step's children take the families, and separately the skips, in a
shuffled round robin, so with as many children as families every family's weights train in every
stage at every step (uniform sampling leaves a stage's regular-conv weights untrained in
(2/3)^2 = 44% of the steps with two children), and the skips the largest and smallest never use
(pooling, none) are trained as often as the space allows. A child still mixes families and skips
across stages, as the candidates it must rank do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from nas.oneshot.families import DEFAULT_LAYOUT, family_pins
from search_spaces.arch import ArchSpec
from search_spaces.space import SearchSpace


def _with_skips(space: SearchSpace, arch: ArchSpec) -> ArchSpec:
    stages = tuple(
        replace(stage, skip=True, shortcut="identity") if "identity" in choice.skips else stage
        for choice, stage in zip(space.stages, arch.stages, strict=True)
    )
    return arch.with_stages(stages)


def _preferring(space: SearchSpace, op: str | None) -> SearchSpace:
    """``space`` with every stage that offers ``op`` restricted to it (unchanged when None)."""
    if op is None:
        return space
    stages = tuple(replace(choice, ops=(op,)) if op in choice.ops else choice for choice in space.stages)
    return replace(space, stages=stages)


def largest_arch(
    space: SearchSpace, num_classes: int = 1000, in_channels: int = 3, op: str | None = None
) -> ArchSpec:
    """The space's most expensive candidate (by conv + linear MACs), with identity skips.

    ``op`` (e.g. ``mbconv``) restricts every stage that offers it to that op before taking the
    maximum: in the MnasNet space the dearest op is the regular conv, so the plain maximum is an
    all-conv network (about 1.6x the MACs of the largest all-MBConv one) whose op-specific
    weights no MBConv candidate shares.
    """
    return _with_skips(space, _preferring(space, op).mac_range(num_classes, in_channels).max_arch)


def smallest_arch(
    space: SearchSpace, num_classes: int = 1000, in_channels: int = 3, op: str | None = None
) -> ArchSpec:
    """The space's cheapest candidate (by conv + linear MACs), with identity skips (``op``: as above)."""
    return _with_skips(space, _preferring(space, op).mac_range(num_classes, in_channels).min_arch)


#: How a sandwich step draws its random children: independently per choice, or with each stage's
#: op families spread over the children (:func:`stratified_archs`).
SAMPLINGS: tuple[str, ...] = ("uniform", "stratified")


class _UniformChoices:
    """A stand-in for an Optuna trial: each ``suggest_categorical`` is a seeded uniform pick.

    ``pinned`` narrows a parameter to a subset of its choices (still a uniform pick within it).
    """

    def __init__(self, rng: random.Random, pinned: dict[str, Sequence[Any]] | None = None) -> None:
        self.rng = rng
        self.pinned = pinned or {}

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        allowed = [c for c in choices if c in self.pinned[name]] if name in self.pinned else list(choices)
        return self.rng.choice(allowed)


def random_arch(space: SearchSpace, rng: random.Random) -> ArchSpec:
    """A uniformly random candidate of ``space`` (per stage, per choice), drawn from ``rng``."""
    return space.sample(_UniformChoices(rng))  # type: ignore[arg-type]


def random_archs(space: SearchSpace, count: int, seed: int = 0) -> tuple[ArchSpec, ...]:
    """``count`` random candidates from a fresh generator seeded with ``seed`` (reproducible)."""
    rng = random.Random(seed)
    return tuple(random_arch(space, rng) for _ in range(count))


def stratified_archs(
    space: SearchSpace, rng: random.Random, count: int, layout: str = DEFAULT_LAYOUT
) -> tuple[ArchSpec, ...]:
    """``count`` random candidates whose weight families and skips are spread evenly per stage.

    For each stage the families of its blocks under ``layout`` (:func:`family_pins`: by default
    unexpanded, expanding MBConv, regular conv) are shuffled and dealt to the children in turn, and
    so are its skip ops; each child then draws its op (and expansion) within the family it was
    dealt, and every other choice, uniformly through :meth:`SearchSpace.sample`.
    """
    pinned: list[dict[str, Sequence[Any]]] = [{} for _ in range(count)]
    for number, choice in enumerate(space.stages, 1):
        fams = family_pins(choice.ops, choice.expansions, layout)
        skips = [(skip,) for skip in choice.skips]
        rng.shuffle(fams)
        rng.shuffle(skips)
        for j in range(count):
            for name, values in fams[j % len(fams)].items():
                pinned[j][f"s{number}.{name}"] = values
            pinned[j][f"s{number}.skip"] = skips[j % len(skips)]
    return tuple(space.sample(_UniformChoices(rng, pins)) for pins in pinned)  # type: ignore[arg-type]


def sandwich_archs(
    space: SearchSpace,
    rng: random.Random,
    num_random: int,
    largest: ArchSpec,
    smallest: ArchSpec,
    sampling: str = "uniform",
    layout: str = DEFAULT_LAYOUT,
) -> tuple[ArchSpec, ...]:
    """One step's candidates: ``largest`` first (the teacher), ``smallest``, then random ones.

    ``sampling`` is one of :data:`SAMPLINGS`: ``uniform`` draws each random child on its own,
    ``stratified`` spreads op families over them (:func:`stratified_archs`).
    """
    if sampling == "stratified":
        children = stratified_archs(space, rng, num_random, layout)
    elif sampling == "uniform":
        children = tuple(random_arch(space, rng) for _ in range(num_random))
    else:
        raise ValueError(f"sampling must be one of {', '.join(SAMPLINGS)}, got {sampling!r}")
    return (largest, smallest, *children)


__all__ = [
    "SAMPLINGS",
    "largest_arch",
    "random_arch",
    "random_archs",
    "sandwich_archs",
    "smallest_arch",
    "stratified_archs",
]
