"""One elastic body per op type: MBConv, depthwise-separable conv and regular conv.

The three ops of the MnasNet space (Tan et al. 2019, section 4.1) do not nest: a regular kxk conv
has ``out x in x k x k`` weights, a depthwise one ``channels x 1 x k x k``, so a layer of the
supernet keeps one branch per op type (as ENAS, Pham et al. 2018, keeps one per candidate op) and
shares weights only *within* a branch, where kernels, expansion ratios, filters and SE widths
nest. Each branch mirrors the body of the builder's block (:mod:`search_spaces.blocks`) step for
step, so the same list of steps drives both the forward pass and the names under which
extraction copies each slice (``body.{i}.*``):

- MBConv: [1x1 expand + BN + SiLU] -> kxk depthwise + BN + SiLU -> [SE] -> 1x1 project + BN;
- DSConv: kxk depthwise + BN + SiLU -> [SE] -> 1x1 pointwise + BN;
- conv: kxk conv + BN + SiLU -> [SE].

With this builder DSConv computes the same function as MBConv with expansion 1, so by default a
layer that offers both runs DSConv on the MBConv branch (:mod:`nas.oneshot.families`): the steps
and their names are the same, only the expand conv is skipped. ``DSConvBranch`` holds DSConv's
weights where MBConv is not a choice, or when sharing is switched off.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from nas.oneshot.bounds import LayerBounds
from nas.oneshot.elastic_conv import ChannelSlice
from nas.oneshot.elastic_se import ElasticSqueezeExcite
from nas.oneshot.elastic_unit import ElasticConvBNAct
from search_spaces.plan import BlockPlan


@dataclass(frozen=True, eq=False)
class Step:
    """One module of a branch as a candidate uses it: the slice and the stride."""

    module: ElasticConvBNAct | ElasticSqueezeExcite
    part: ChannelSlice
    stride: int = 1

    def __call__(self, x: Tensor) -> Tensor:
        if isinstance(self.module, ElasticSqueezeExcite):
            return self.module(x, self.part)
        return self.module(x, self.part, self.stride)

    def active_state(self, prefix: str) -> dict[str, Tensor]:
        return self.module.active_state(self.part, prefix)


class Branch(nn.Module):
    """An op's elastic body; subclasses list the steps a planned block takes."""

    se: ElasticSqueezeExcite | None

    def steps(self, plan: BlockPlan) -> list[Step]:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: Tensor, plan: BlockPlan) -> Tensor:
        for step in self.steps(plan):
            x = step(x)
        return x

    def active_state(self, plan: BlockPlan, prefix: str) -> dict[str, Tensor]:
        """The candidate's weights under the builder's names (``{prefix}{i}.…``, i = step)."""
        state: dict[str, Tensor] = {}
        for index, step in enumerate(self.steps(plan)):
            state.update(step.active_state(f"{prefix}{index}."))
        return state

    def _se_step(self, plan: BlockPlan) -> list[Step]:
        if not plan.se_channels:
            return []
        if self.se is None:
            raise ValueError("this layer was built without squeeze-and-excite")
        return [Step(self.se, ChannelSlice(plan.mid_channels, plan.se_channels))]


def _se(max_mid: int, bounds: LayerBounds) -> ElasticSqueezeExcite | None:
    return ElasticSqueezeExcite(max_mid, bounds.max_se) if bounds.max_se else None


class MBConvBranch(Branch):
    """Mobile inverted bottleneck (MobileNetV2; MnasNet Fig. 7(b)) with elastic e, k, filters, SE."""

    def __init__(self, bounds: LayerBounds, kernel_transform: bool = False) -> None:
        super().__init__()
        mid = bounds.max_mid("mbconv")
        self.expand: ElasticConvBNAct | None = None
        if bounds.has_expansion:
            self.expand = ElasticConvBNAct(bounds.max_in, mid)
        self.depthwise = ElasticConvBNAct(
            mid, mid, bounds.kernels, depthwise=True, kernel_transform=kernel_transform
        )
        self.se = _se(mid, bounds)
        self.project = ElasticConvBNAct(mid, bounds.max_out, activation=False)

    def steps(self, plan: BlockPlan) -> list[Step]:
        mid = plan.mid_channels
        steps: list[Step] = []
        if plan.expands:
            if self.expand is None:
                raise ValueError("this layer was built without the MBConv expansion conv")
            steps.append(Step(self.expand, ChannelSlice(plan.in_channels, mid)))
        steps.append(Step(self.depthwise, ChannelSlice(mid, mid, plan.kernel), plan.stride))
        steps += self._se_step(plan)
        steps.append(Step(self.project, ChannelSlice(mid, plan.out_channels)))
        return steps


class DSConvBranch(Branch):
    """Depthwise-separable conv (MnasNet Fig. 7(c)) with elastic k, filters and SE."""

    def __init__(self, bounds: LayerBounds, kernel_transform: bool = False) -> None:
        super().__init__()
        channels = bounds.max_mid("dsconv")
        self.depthwise = ElasticConvBNAct(
            channels, channels, bounds.kernels, depthwise=True, kernel_transform=kernel_transform
        )
        self.se = _se(channels, bounds)
        self.pointwise = ElasticConvBNAct(channels, bounds.max_out, activation=False)

    def steps(self, plan: BlockPlan) -> list[Step]:
        c = plan.in_channels
        steps = [Step(self.depthwise, ChannelSlice(c, c, plan.kernel), plan.stride)]
        steps += self._se_step(plan)
        steps.append(Step(self.pointwise, ChannelSlice(c, plan.out_channels)))
        return steps


class ConvBranch(Branch):
    """Regular kxk conv (MnasNet's ConvOp) with elastic k (centre of the largest), filters, SE."""

    def __init__(self, bounds: LayerBounds, kernel_transform: bool = False) -> None:
        super().__init__()
        self.conv = ElasticConvBNAct(
            bounds.max_in, bounds.max_out, bounds.kernels, kernel_transform=kernel_transform
        )
        self.se = _se(bounds.max_mid("conv"), bounds)

    def steps(self, plan: BlockPlan) -> list[Step]:
        part = ChannelSlice(plan.in_channels, plan.out_channels, plan.kernel)
        return [Step(self.conv, part, plan.stride), *self._se_step(plan)]


BRANCHES: dict[str, type[Branch]] = {"mbconv": MBConvBranch, "dsconv": DSConvBranch, "conv": ConvBranch}

__all__ = ["BRANCHES", "Branch", "ConvBranch", "DSConvBranch", "MBConvBranch", "Step"]
