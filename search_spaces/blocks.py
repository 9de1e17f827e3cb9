"""The building blocks of the MnasNet/EfficientNet space as torch modules.

- :class:`MBConv`: mobile inverted bottleneck (MobileNetV2; MnasNet Fig. 7(b); EfficientNet
  Table 1): 1x1 expand (only when the expansion is not 1) -> kxk depthwise -> SE -> 1x1 project
  (linear, no activation).
- :class:`DSConv`: depthwise-separable conv (MnasNet Fig. 7(c)): kxk depthwise -> SE -> 1x1.
- :class:`ConvBlock`: a regular kxk conv (MnasNet's "ConvOp" choice) with optional SE.
- :class:`SqueezeExcite` (Hu et al. 2018; EfficientNet uses ratio 0.25 of the block input) and
  :class:`StochasticDepth` (Huang et al. 2016; EfficientNet's "drop connect").

Layout matches torchvision's EfficientNet so a built B0..B7 has exactly its parameter count:
convs carry no bias (BatchNorm follows), only the SE convs do; SiLU (swish) everywhere; BatchNorm
with PyTorch's defaults, which is what torchvision uses for B0..B4 (eps 1e-5, momentum 0.1; the
faster-moving statistics also suit the few-epoch proxy training). Padding is ``(k - 1) // 2``, so
a stride-s conv maps size n to ``ceil(n / s)`` (see :mod:`search_spaces.plan`).

Every block takes a :class:`search_spaces.plan.BlockPlan`, so channel and skip rules live in one
place shared with the cost model.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from search_spaces.plan import BlockPlan

BN_EPS = 1e-5
BN_MOMENTUM = 0.1


class ConvBNAct(nn.Sequential):
    """Conv (no bias) + BatchNorm + optional SiLU, padding ``(k - 1) // 2``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        groups: int = 1,
        activation: bool = True,
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel,
                stride=stride,
                padding=(kernel - 1) // 2,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOMENTUM),
        ]
        if activation:
            layers.append(nn.SiLU(inplace=True))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention: mean over (H, W) -> 1x1 conv -> SiLU -> 1x1 conv -> sigmoid -> scale.

    The pooling is a plain mean (deterministic backward on CUDA, unlike AdaptiveAvgPool2d).
    """

    def __init__(self, channels: int, squeeze_channels: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1, bias=True)
        self.act = nn.SiLU(inplace=True)
        self.expand = nn.Conv2d(squeeze_channels, channels, 1, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        scale = x.mean(dim=(2, 3), keepdim=True)
        scale = self.expand(self.act(self.reduce(scale)))
        return x * torch.sigmoid(scale)


class StochasticDepth(nn.Module):
    """Drops the residual branch of whole samples with probability ``p`` while training.

    Survivors are scaled by ``1 / (1 - p)`` so the expectation is unchanged; identity in eval.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"drop probability must be within [0, 1), got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype, device=x.device)
        return x * mask.bernoulli_(keep).div_(keep)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _Block(nn.Module):
    """Shared residual logic: ``x + drop(body(x))`` when the plan allows the skip, else ``body(x)``."""

    def __init__(self, plan: BlockPlan, body: nn.Sequential) -> None:
        super().__init__()
        self.plan = plan
        self.body = body
        self.residual = plan.residual
        self.drop = StochasticDepth(plan.drop_prob) if plan.residual else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(x)
        if self.residual:
            out = self.drop(out) + x
        return out


def _se(plan: BlockPlan) -> list[nn.Module]:
    return [SqueezeExcite(plan.mid_channels, plan.se_channels)] if plan.se_channels else []


class MBConv(_Block):
    """Mobile inverted bottleneck: [1x1 expand] -> kxk depthwise -> [SE] -> 1x1 linear project."""

    def __init__(self, plan: BlockPlan) -> None:
        mid = plan.mid_channels
        layers: list[nn.Module] = []
        if plan.expands:
            layers.append(ConvBNAct(plan.in_channels, mid, 1))
        layers.append(ConvBNAct(mid, mid, plan.kernel, plan.stride, groups=mid))
        layers += _se(plan)
        layers.append(ConvBNAct(mid, plan.out_channels, 1, activation=False))
        super().__init__(plan, nn.Sequential(*layers))


class DSConv(_Block):
    """Depthwise-separable conv: kxk depthwise -> [SE] -> 1x1 pointwise (linear)."""

    def __init__(self, plan: BlockPlan) -> None:
        c = plan.in_channels
        layers: list[nn.Module] = [ConvBNAct(c, c, plan.kernel, plan.stride, groups=c)]
        layers += _se(plan)
        layers.append(ConvBNAct(c, plan.out_channels, 1, activation=False))
        super().__init__(plan, nn.Sequential(*layers))


class ConvBlock(_Block):
    """Regular kxk conv + BN + SiLU, then [SE] on its output."""

    def __init__(self, plan: BlockPlan) -> None:
        layers: list[nn.Module] = [ConvBNAct(plan.in_channels, plan.out_channels, plan.kernel, plan.stride)]
        layers += _se(plan)
        super().__init__(plan, nn.Sequential(*layers))


BLOCKS: dict[str, type[_Block]] = {"mbconv": MBConv, "dsconv": DSConv, "conv": ConvBlock}


def make_block(plan: BlockPlan) -> nn.Module:
    """The module for one planned block."""
    return BLOCKS[plan.op](plan)


__all__ = [
    "BN_EPS",
    "BN_MOMENTUM",
    "BLOCKS",
    "ConvBNAct",
    "ConvBlock",
    "DSConv",
    "MBConv",
    "SqueezeExcite",
    "StochasticDepth",
    "make_block",
]
