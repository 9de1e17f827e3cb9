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
from nas.oneshot.families import DEFAULT_LAYOUT, branch_of, branches, check_layout
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
    """The branches of one layer position under a branch ``layout`` (:mod:`nas.oneshot.families`).

    By default the unexpanded blocks (DSConv, MBConv with expansion 1), the expanding MBConvs and
    the regular conv each have a branch of their own.
    """

    def __init__(
        self, bounds: LayerBounds, kernel_transform: bool = False, layout: str = DEFAULT_LAYOUT
    ) -> None:
        super().__init__()
        self.bounds = bounds
        self.layout = check_layout(layout)
        self.branches = nn.ModuleDict(
            {
                key: BRANCHES[key](bounds, kernel_transform=kernel_transform)
                for key in branches(bounds.ops, bounds.expansions, layout)
            }
        )

    def branch(self, plan: BlockPlan) -> Branch:
        """The branch the block ``plan`` runs on (a clear error when its op is not a choice here)."""
        if plan.op not in self.bounds.ops:
            raise ValueError(f"op {plan.op!r} is not a choice of this layer ({', '.join(self.bounds.ops)})")
        expansion = 2 if plan.expands else 1  # only "expands or not" decides a branch
        branch = self.branches[branch_of(plan.op, expansion, self.bounds.ops, self.layout)]
        assert isinstance(branch, Branch)
        return branch

    def forward(self, x: Tensor, plan: BlockPlan, drop_connect: bool = True) -> Tensor:
        """Run the block ``plan``; ``drop_connect=False`` switches stochastic depth off."""
        out = self.branch(plan)(x, plan)
        if plan.residual:
            p = plan.drop_prob if drop_connect else 0.0
            skip = pool_shortcut(x, plan.out_channels, plan.stride) if plan.shortcut == "pooling" else x
            out = drop_path(out, p, self.training) + skip
        return out

    def active_state(self, plan: BlockPlan, prefix: str) -> dict[str, Tensor]:
        """The block's weights under the builder's names (``{prefix}body.{i}.…``)."""
        return self.branch(plan).active_state(plan, prefix + "body.")


__all__ = ["ElasticLayer", "drop_path"]
