"""ArchSpec -> torch network (EfficientNet layout, Tan & Le 2019, Table 1).

stem (kxk conv, stride ``stem_stride``, BN, activation[, ResNet's 3x3 stride-2 max-pool]) ->
stages of blocks -> head (1x1 conv to ``head_channels``, BN, activation; absent when 0, as in
MobileNetV1 and ResNet) -> mean over (H, W) -> dropout -> linear classifier.

The global pooling is ``x.mean((2, 3))`` rather than ``AdaptiveAvgPool2d``: the same numbers, but
a deterministic backward on CUDA. Weight init follows torchvision's EfficientNet (Kaiming-normal
fan-out convs, uniform(+-1/sqrt(out)) linear, BN ones/zeros), so a built B0 matches torchvision
module for module in shape and parameter count (5,288,548 for 1000 classes).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from search_spaces.arch import ArchSpec
from search_spaces.blocks import ConvBNAct, make_block
from search_spaces.plan import block_plans, check_io


def init_module(module: nn.Module) -> None:
    """torchvision's EfficientNet initialisation of one layer: Kaiming-normal fan-out convs with zero
    biases, BatchNorm at ones/zeros, linear layers uniform in +-1/sqrt(out features). Other modules
    are left as they are. The supernet (nas/oneshot/supernet.py) starts from the same rule."""
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out")
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        bound = 1.0 / math.sqrt(module.out_features)
        nn.init.uniform_(module.weight, -bound, bound)
        nn.init.zeros_(module.bias)


class EffNet(nn.Module):
    """The network: ``features`` (stem + stages), ``head`` (1x1 conv), pooling, ``classifier``."""

    def __init__(self, arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3) -> None:
        super().__init__()
        check_io(num_classes, in_channels)
        self.arch = arch
        plans = block_plans(arch)
        conv = ConvBNAct(
            in_channels, arch.stem_channels, arch.stem_kernel, arch.stem_stride, activation=arch.activation
        )
        stem: nn.Module = conv
        if arch.stem_pool:
            stem = nn.Sequential(*conv, nn.MaxPool2d(3, stride=2, padding=1))
        stages: list[nn.Module] = []
        start = 0
        for stage in arch.stages:
            stages.append(nn.Sequential(*(make_block(p) for p in plans[start : start + stage.layers])))
            start += stage.layers
        self.features = nn.Sequential(stem, *stages)
        self.head: nn.Module = nn.Identity()
        if arch.head_channels:
            self.head = ConvBNAct(
                arch.stages[-1].out_channels, arch.head_channels, 1, activation=arch.activation
            )
        self.classifier = nn.Sequential(nn.Dropout(p=arch.dropout), nn.Linear(arch.features, num_classes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torchvision's EfficientNet initialisation."""
        for module in self.modules():
            init_module(module)

    def forward_features(self, x: Tensor) -> Tensor:
        """Pooled features (N, ``arch.features``), before dropout and the classifier."""
        return self.head(self.features(x)).mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.forward_features(x))


def build_model(arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3) -> nn.Module:
    """Build ``arch`` for ``num_classes`` outputs and ``in_channels`` input planes (1 = grayscale)."""
    return EffNet(arch, num_classes=num_classes, in_channels=in_channels)


__all__ = ["EffNet", "build_model"]
