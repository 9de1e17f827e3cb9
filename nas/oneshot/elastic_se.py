"""Squeeze-and-excite with elastic width and elastic bottleneck (Hu et al. 2018; OFA's DynamicSE).

The builder's SE (:class:`search_spaces.blocks.SqueezeExcite`) acts on the block's ``mid``
channels with a bottleneck of ``max(1, int(block_in * se_ratio))``
(:func:`search_spaces.plan.se_channels`). Both sizes change with the candidate, so both 1x1
convs are sliced from their largest shape: reduce ``(max_se, max_mid)`` and expand
``(max_mid, max_se)``, first channels first, biases alike. Switching SE off is the layer's job
(it skips this module), so the weights of the SE-on candidates are untouched by SE-off ones.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nas.oneshot.elastic_conv import ChannelSlice


class ElasticSqueezeExcite(nn.Module):
    """Mean over (H, W) -> 1x1 reduce -> SiLU -> 1x1 expand -> sigmoid -> scale, sliced per call.

    ``part.in_channels`` is the number of channels excited (the block's ``mid``),
    ``part.out_channels`` the bottleneck width. Parameter names match the builder's SE
    (``reduce``/``expand`` convs with bias), so extraction copies them one to one.
    """

    def __init__(self, max_channels: int, max_squeeze: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(max_channels, max_squeeze, 1, bias=True)
        self.expand = nn.Conv2d(max_squeeze, max_channels, 1, bias=True)

    def _weights(self, part: ChannelSlice) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        mid, squeeze = part.in_channels, part.out_channels
        if mid > self.reduce.in_channels or squeeze > self.reduce.out_channels:
            raise ValueError(
                f"SE slice {mid}/{squeeze} exceeds {self.reduce.in_channels}/{self.reduce.out_channels}"
            )
        reduce_bias, expand_bias = self.reduce.bias, self.expand.bias
        assert reduce_bias is not None and expand_bias is not None  # built with bias=True
        return (
            self.reduce.weight[:squeeze, :mid],
            reduce_bias[:squeeze],
            self.expand.weight[:mid, :squeeze],
            expand_bias[:mid],
        )

    def forward(self, x: Tensor, part: ChannelSlice) -> Tensor:
        reduce_w, reduce_b, expand_w, expand_b = self._weights(part)
        scale = x.mean(dim=(2, 3), keepdim=True)
        scale = F.conv2d(F.silu(F.conv2d(scale, reduce_w, reduce_b)), expand_w, expand_b)
        return x * torch.sigmoid(scale)

    def active_state(self, part: ChannelSlice, prefix: str) -> dict[str, Tensor]:
        """The sliced weights under the builder's SE names (``reduce.weight``, ...)."""
        reduce_w, reduce_b, expand_w, expand_b = self._weights(part)
        return {
            prefix + "reduce.weight": reduce_w,
            prefix + "reduce.bias": reduce_b,
            prefix + "expand.weight": expand_w,
            prefix + "expand.bias": expand_b,
        }


__all__ = ["ElasticSqueezeExcite"]
