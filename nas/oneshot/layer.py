"""One layer position of a supernet stage: a branch per op, the skip path and stochastic depth.

The residual rule is the builder's (:class:`search_spaces.plan.BlockPlan`): the identity skip is
used only when the candidate asks for it, the block's stride is 1 and its input and output
widths are equal; the pooling skip (:func:`search_spaces.blocks.pool_shortcut`) on every block
that asks for it; then the branch output goes through stochastic depth (Huang et al. 2016;
EfficientNet's "drop connect") with the block's rate before the addition. Neither skip has
weights, so switching one on or off changes nothing that is stored.
"""

from __future__ import annotations

from torch import Tensor, nn

from nas.oneshot.bounds import LayerBounds
from nas.oneshot.branches import BRANCHES, Branch
from nas.oneshot.families import families, weight_family
from search_spaces.blocks import pool_shortcut
from search_spaces.plan import BlockPlan


def drop_path(x: Tensor, p: float, training: bool) -> Tensor:
    """Stochastic depth as :class:`search_spaces.blocks.StochasticDepth` computes it.

    Whole samples are dropped with probability ``p`` and survivors scaled by ``1 / (1 - p)``;
    the identity outside training or at ``p = 0``.
    """
    if not training or p == 0.0:
        return x
    keep = 1.0 - p
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask.div_(keep)


class ElasticLayer(nn.Module):
    """The branches of one layer position, one per weight family of its stage's ``ops``.

    ``share_dsconv`` runs DSConv on the MBConv branch where the stage offers both
    (:mod:`nas.oneshot.families`); off, every op has a branch of its own.
    """

    def __init__(
        self, bounds: LayerBounds, kernel_transform: bool = False, share_dsconv: bool = True
    ) -> None:
        super().__init__()
        self.bounds = bounds
        self.share_dsconv = share_dsconv
        self.branches = nn.ModuleDict(
            {
                op: BRANCHES[op](bounds, kernel_transform=kernel_transform)
                for op in families(bounds.ops, share_dsconv)
            }
        )

    def branch(self, op: str) -> Branch:
        """The branch ``op`` runs on (a clear error when the op is not a choice here)."""
        if op not in self.bounds.ops:
            raise ValueError(f"op {op!r} is not a choice of this layer ({', '.join(self.bounds.ops)})")
        branch = self.branches[weight_family(op, self.bounds.ops, self.share_dsconv)]
        assert isinstance(branch, Branch)
        return branch

    def forward(self, x: Tensor, plan: BlockPlan, drop_connect: bool = True) -> Tensor:
        """Run the block ``plan``; ``drop_connect=False`` switches stochastic depth off."""
        out = self.branch(plan.op)(x, plan)
        if plan.residual:
            p = plan.drop_prob if drop_connect else 0.0
            skip = pool_shortcut(x, plan.out_channels, plan.stride) if plan.shortcut == "pooling" else x
            out = drop_path(out, p, self.training) + skip
        return out

    def active_state(self, plan: BlockPlan, prefix: str) -> dict[str, Tensor]:
        """The block's weights under the builder's names (``{prefix}body.{i}.…``)."""
        return self.branch(plan.op).active_state(plan, prefix + "body.")


__all__ = ["ElasticLayer", "drop_path"]
