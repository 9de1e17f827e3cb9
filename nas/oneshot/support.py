"""Which search spaces the supernet can hold, and a clear refusal for the others.

The supernet's elastic branches (:mod:`nas.oneshot.branches`) are MBConv, DSConv and the regular
conv with SiLU (EfficientNet's activation), a stem conv and a 1x1 head conv, and the identity and
pooling skips (:mod:`nas.oneshot.layer`): every packaged search space. The seed networks'
extras (MobileNetV1's ``sepconv``, ResNet's ``bottleneck`` and projection shortcut, ReLU/ReLU6,
the stem max-pool, no head conv) build and cost exactly but have no elastic counterpart yet; a
space using them is refused here with one line rather than failing deep inside a forward pass.
Such a space can still be searched with stand-alone proxy training.
"""

from __future__ import annotations

from search_spaces.space import SearchSpace

#: Ops the supernet has branches for.
SUPPORTED_OPS: tuple[str, ...] = ("mbconv", "dsconv", "conv")
#: The one activation the elastic units apply.
SUPPORTED_ACTIVATION = "silu"
#: Skip ops the supernet computes.
SUPPORTED_SKIPS: tuple[str, ...] = ("identity", "pooling", "none")


def unsupported(space: SearchSpace) -> str | None:
    """Why the supernet cannot hold ``space`` (None when it can)."""
    ref = space.reference
    if ref.activation != SUPPORTED_ACTIVATION:
        return f"its activation is {ref.activation}; the supernet computes {SUPPORTED_ACTIVATION} only"
    if ref.stem_pool:
        return "its stem has a max-pool, which the supernet lacks"
    if not ref.head_channels:
        return "it has no head conv (head channels 0), which the supernet assumes"
    for number, choice in enumerate(space.stages, 1):
        ops = [op for op in choice.ops if op not in SUPPORTED_OPS]
        if ops:
            return f"stage {number} offers op {ops[0]}; the supernet has {', '.join(SUPPORTED_OPS)}"
        if choice.reference.activation != SUPPORTED_ACTIVATION:
            return f"stage {number} uses {choice.reference.activation}; the supernet computes silu only"
        skips = [skip for skip in choice.skips if skip not in SUPPORTED_SKIPS]
        if skips:
            return f"stage {number} offers skip {skips[0]}; the supernet has {', '.join(SUPPORTED_SKIPS)}"
    return None


__all__ = ["SUPPORTED_ACTIVATION", "SUPPORTED_OPS", "SUPPORTED_SKIPS", "unsupported"]
