"""Which ops of a stage share weights in the supernet: the op *families* (torch-free).

A depthwise-separable conv is an MBConv with expansion 1 (MobileNetV2, Sandler et al. 2018: the
inverted bottleneck with t = 1 has no expansion conv): kxk depthwise + BN + SiLU -> [SE] -> 1x1
linear + BN, in the builder as well (:class:`search_spaces.blocks.DSConv` vs ``MBConv``). So where
a stage offers both, DSConv runs on the MBConv branch's first ``in`` channels and the two ops are
one *family* of weights; the regular conv's ``out x in x k x k`` kernels nest in neither and keep
a family of their own. :func:`weight_family` is that rule, used by the supernet's layers (which
branch holds the weights) and by the sampler (which families a step's children must cover).
"""

from __future__ import annotations

from collections.abc import Sequence

#: Op -> the op whose branch holds its weights when both are choices of the stage.
SHARES_WITH: dict[str, str] = {"dsconv": "mbconv"}


def weight_family(op: str, ops: Sequence[str], share: bool = True) -> str:
    """The op whose branch ``op`` runs on in a stage offering ``ops`` (``op`` itself if unshared)."""
    home = SHARES_WITH.get(op)
    if share and home is not None and home in ops:
        return home
    return op


def families(ops: Sequence[str], share: bool = True) -> dict[str, tuple[str, ...]]:
    """The stage's families: branch op -> the ops that run on it, in the order of ``ops``."""
    out: dict[str, list[str]] = {}
    for op in ops:
        out.setdefault(weight_family(op, ops, share), []).append(op)
    return {home: tuple(members) for home, members in out.items()}


__all__ = ["SHARES_WITH", "families", "weight_family"]
