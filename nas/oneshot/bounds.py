"""The largest shape each layer position of a supernet must hold, derived from a search space.

A supernet layer at position j of stage i serves every candidate that has at least j + 1 layers
in stage i. Its input is the previous stage's output (first layer; the stem for stage 1) or its
own stage's output (later layers), so its largest input is the largest filters choice of that
stage; its largest output is the largest filters choice of its own stage. The inner sizes follow
the builder's rules (:func:`search_spaces.plan.block_plans`): MBConv widens to
``block_in * expansion``, DSConv works on ``block_in``, the regular conv on ``out``; the SE
bottleneck is ``max(1, int(block_in * se_ratio))``. Each is largest at the largest input and the
largest ratio, so the bounds are those values taken at the maxima.
"""

from __future__ import annotations

from dataclasses import dataclass

from search_spaces.plan import se_channels
from search_spaces.space import SearchSpace, StageChoices


@dataclass(frozen=True)
class LayerBounds:
    """Largest sizes and the choice sets one layer position of the supernet must support."""

    ops: tuple[str, ...]
    kernels: tuple[int, ...]
    expansions: tuple[int, ...]
    max_in: int
    max_out: int
    #: Largest SE bottleneck (0 when no SE ratio above 0 is a choice).
    max_se: int

    def max_mid(self, op: str) -> int:
        """Largest channel count the depthwise conv / SE of ``op`` works on."""
        if op == "mbconv":
            return self.max_in * max(self.expansions)
        if op == "dsconv":
            return self.max_in
        return self.max_out

    @property
    def has_expansion(self) -> bool:
        """Whether some MBConv candidate widens (expansion != 1) and so needs the 1x1 expand conv."""
        return "mbconv" in self.ops and any(e != 1 for e in self.expansions)


def _bounds(choice: StageChoices, max_in: int) -> LayerBounds:
    return LayerBounds(
        ops=choice.ops,
        kernels=tuple(sorted(choice.kernels)),
        expansions=tuple(sorted(choice.expansions)),
        max_in=max_in,
        max_out=max(choice.channels),
        max_se=se_channels(max_in, max(choice.se_ratios)),
    )


def layer_bounds(space: SearchSpace) -> tuple[tuple[LayerBounds, ...], ...]:
    """Per stage, per layer position (up to the stage's most layers): the bounds of that layer."""
    stages = []
    previous_out = space.reference.stem_channels
    for choice in space.stages:
        first = _bounds(choice, previous_out)
        rest = _bounds(choice, max(choice.channels))
        stages.append((first,) + (rest,) * (max(choice.layers) - 1))
        previous_out = max(choice.channels)
    return tuple(stages)


__all__ = ["LayerBounds", "layer_bounds"]
