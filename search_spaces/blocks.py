"""The building blocks of the MnasNet/EfficientNet space as torch modules.

- :class:`MBConv`: mobile inverted bottleneck (MobileNetV2; MnasNet Fig. 7(b); EfficientNet
  Table 1): 1x1 expand (only when the expansion is not 1) -> kxk depthwise -> SE -> 1x1 project
  (linear, no activation).
- :class:`DSConv`: depthwise-separable conv (MnasNet Fig. 7(c)): kxk depthwise -> SE -> 1x1.
- :class:`ConvBlock`: a regular kxk conv (MnasNet's "ConvOp" choice) with optional SE.
- :class:`SepConv`: MobileNetV1's depthwise-separable conv (Howard et al. 2017, Fig. 3): kxk
  depthwise + BN + act -> [SE] -> 1x1 + BN + act (the pointwise is *not* linear, unlike DSConv).
- :class:`Bottleneck`: ResNet's bottleneck (He et al. 2016, Fig. 5; torchvision's layout, stride
  on the kxk conv): 1x1 + BN + act -> kxk + BN + act -> [SE] -> 1x1 + BN, added to the shortcut,
  then the activation.
- :class:`SqueezeExcite` (Hu et al. 2018; EfficientNet uses ratio 0.25 of the block input) and
  :class:`StochasticDepth` (Huang et al. 2016; EfficientNet's "drop connect").

Layout matches torchvision's EfficientNet so a built B0..B7 has exactly its parameter count:
convs carry no bias (BatchNorm follows), only the SE convs do; the plan's activation (SiLU/swish
for EfficientNet; ReLU6 reproduces torchvision's MobileNetV2, ReLU its ResNet-50); BatchNorm
with PyTorch's defaults, which is what torchvision uses for B0..B4 (eps 1e-5, momentum 0.1; the
faster-moving statistics also suit the few-epoch proxy training). Padding is ``(k - 1) // 2``, so
a stride-s conv maps size n to ``ceil(n / s)`` (see :mod:`search_spaces.plan`).

Every block takes a :class:`search_spaces.plan.BlockPlan`, so channel and skip rules live in one
place shared with the cost model.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from search_spaces.plan import BlockPlan

BN_EPS = 1e-5
BN_MOMENTUM = 0.1

#: The activation modules by name (:data:`search_spaces.arch.ACTIVATIONS`).
_ACTIVATIONS: dict[str, type[nn.Module]] = {"silu": nn.SiLU, "relu": nn.ReLU, "relu6": nn.ReLU6}


def make_activation(name: str) -> nn.Module:
    """The in-place activation module called ``name``."""
    return _ACTIVATIONS[name](inplace=True)


class ConvBNAct(nn.Sequential):
    """Conv (no bias) + BatchNorm + optional activation, padding ``(k - 1) // 2``.

    ``activation`` names the activation (``True`` = SiLU, the EfficientNet default; ``False`` or
    ``None``: none, e.g. the linear projection of an MBConv).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        groups: int = 1,
        activation: bool | str | None = True,
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
            layers.append(make_activation("silu" if activation is True else str(activation)))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention: mean over (H, W) -> 1x1 conv -> act -> 1x1 conv -> sigmoid -> scale.

    The pooling is a plain mean (deterministic backward on CUDA, unlike AdaptiveAvgPool2d). The
    activation is the block's (SiLU in EfficientNet, as torchvision's).
    """

    def __init__(self, channels: int, squeeze_channels: int, activation: str = "silu") -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1, bias=True)
        self.act = make_activation(activation)
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


def pool_shortcut(x: Tensor, out_channels: int, stride: int) -> Tensor:
    """The parameter-free ``pooling`` skip: average-pool by the stride, then match the channels.

    MnasNet (Fig. 4) lists "pooling" among the skip ops without defining it; here it is ResNet's
    option A shortcut (He et al. 2016, section 3.3) with averaging instead of subsampling: a
    ``ceil_mode`` average pool with kernel = stride (so the size is ``ceil(n / stride)``, as the
    body's), then zero channels appended (wider output) or the first ``out_channels`` kept
    (narrower). It has no weights and no multiply-adds, so it can sit on every block.
    """
    if stride != 1:
        x = F.avg_pool2d(x, stride, stride, ceil_mode=True)
    extra = out_channels - x.shape[1]
    if extra > 0:
        return F.pad(x, (0, 0, 0, 0, 0, extra))
    return x[:, :out_channels] if extra < 0 else x


class _Block(nn.Module):
    """Shared residual logic: ``x + drop(body(x))`` when the plan has a skip path, else ``body(x)``.

    The skip path is the identity, the pooling shortcut (:func:`pool_shortcut`) or a projection
    (1x1 conv + BN, ``self.shortcut``) as the plan says; ``post`` is the activation a ResNet
    block applies after the addition (none for the mobile blocks, whose projection is linear).
    """

    def __init__(self, plan: BlockPlan, body: nn.Sequential, post: nn.Module | None = None) -> None:
        super().__init__()
        self.plan = plan
        self.body = body
        self.residual = plan.residual
        self.drop = StochasticDepth(plan.drop_prob) if plan.residual else nn.Identity()
        if plan.projects:
            self.shortcut = ConvBNAct(plan.in_channels, plan.out_channels, 1, plan.stride, activation=None)
        self.post = post if post is not None else nn.Identity()

    def skip_path(self, x: Tensor) -> Tensor:
        """What the body's output is added to."""
        if self.plan.projects:
            return self.shortcut(x)
        if self.plan.shortcut == "pooling":
            return pool_shortcut(x, self.plan.out_channels, self.plan.stride)
        return x

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(x)
        if self.residual:
            out = self.drop(out) + self.skip_path(x)
        return self.post(out)


def _se(plan: BlockPlan) -> list[nn.Module]:
    if not plan.se_channels:
        return []
    return [SqueezeExcite(plan.mid_channels, plan.se_channels, plan.activation)]


class MBConv(_Block):
    """Mobile inverted bottleneck: [1x1 expand] -> kxk depthwise -> [SE] -> 1x1 linear project."""

    def __init__(self, plan: BlockPlan) -> None:
        mid, act = plan.mid_channels, plan.activation
        layers: list[nn.Module] = []
        if plan.expands:
            layers.append(ConvBNAct(plan.in_channels, mid, 1, activation=act))
        layers.append(ConvBNAct(mid, mid, plan.kernel, plan.stride, groups=mid, activation=act))
        layers += _se(plan)
        layers.append(ConvBNAct(mid, plan.out_channels, 1, activation=None))
        super().__init__(plan, nn.Sequential(*layers))


class DSConv(_Block):
    """Depthwise-separable conv: kxk depthwise -> [SE] -> 1x1 pointwise (linear)."""

    def __init__(self, plan: BlockPlan) -> None:
        c = plan.in_channels
        layers: list[nn.Module] = [
            ConvBNAct(c, c, plan.kernel, plan.stride, groups=c, activation=plan.activation)
        ]
        layers += _se(plan)
        layers.append(ConvBNAct(c, plan.out_channels, 1, activation=None))
        super().__init__(plan, nn.Sequential(*layers))


class SepConv(_Block):
    """MobileNetV1's separable conv: kxk depthwise + BN + act -> [SE] -> 1x1 + BN + act."""

    def __init__(self, plan: BlockPlan) -> None:
        c, act = plan.in_channels, plan.activation
        layers: list[nn.Module] = [ConvBNAct(c, c, plan.kernel, plan.stride, groups=c, activation=act)]
        layers += _se(plan)
        layers.append(ConvBNAct(c, plan.out_channels, 1, activation=act))
        super().__init__(plan, nn.Sequential(*layers))


class ConvBlock(_Block):
    """Regular kxk conv + BN + act, then [SE] on its output."""

    def __init__(self, plan: BlockPlan) -> None:
        layers: list[nn.Module] = [
            ConvBNAct(
                plan.in_channels, plan.out_channels, plan.kernel, plan.stride, activation=plan.activation
            )
        ]
        layers += _se(plan)
        super().__init__(plan, nn.Sequential(*layers))


class Bottleneck(_Block):
    """ResNet bottleneck: 1x1 + BN + act -> kxk (stride) + BN + act -> [SE] -> 1x1 + BN; + skip; act.

    torchvision's ``Bottleneck`` (ResNet "v1.5": the stride sits on the kxk conv); its projection
    shortcut is ``self.shortcut`` (1x1 conv with the stride + BN), built where the shape changes.
    """

    def __init__(self, plan: BlockPlan) -> None:
        mid, act = plan.mid_channels, plan.activation
        layers: list[nn.Module] = [
            ConvBNAct(plan.in_channels, mid, 1, activation=act),
            ConvBNAct(mid, mid, plan.kernel, plan.stride, activation=act),
        ]
        layers += _se(plan)
        layers.append(ConvBNAct(mid, plan.out_channels, 1, activation=None))
        super().__init__(plan, nn.Sequential(*layers), post=make_activation(act))


BLOCKS: dict[str, Callable[[BlockPlan], _Block]] = {
    "mbconv": MBConv,
    "dsconv": DSConv,
    "conv": ConvBlock,
    "sepconv": SepConv,
    "bottleneck": Bottleneck,
}


def make_block(plan: BlockPlan) -> nn.Module:
    """The module for one planned block."""
    return BLOCKS[plan.op](plan)


__all__ = [
    "BN_EPS",
    "BN_MOMENTUM",
    "BLOCKS",
    "Bottleneck",
    "ConvBNAct",
    "ConvBlock",
    "DSConv",
    "MBConv",
    "SepConv",
    "SqueezeExcite",
    "StochasticDepth",
    "make_activation",
    "make_block",
    "pool_shortcut",
]
