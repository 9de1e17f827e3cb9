"""Elastic conv + BatchNorm + optional SiLU: the supernet's counterpart of the builder's ConvBNAct.

:class:`search_spaces.blocks.ConvBNAct` is ``Sequential(conv, bn[, SiLU])``; its state-dict
names are ``0.weight`` and ``1.*``. :meth:`ElasticConvBNAct.active_state` returns a candidate's
slice under those names, so extraction is a plain ``load_state_dict`` into the built model.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from nas.oneshot.elastic_conv import ChannelSlice, ElasticConv2d
from nas.oneshot.elastic_norm import ElasticBatchNorm2d

#: The builder's BatchNorm settings (search_spaces.blocks.BN_EPS / BN_MOMENTUM: PyTorch's defaults).
from search_spaces.blocks import BN_EPS, BN_MOMENTUM


class ElasticConvBNAct(nn.Module):
    """Elastic conv (no bias) -> elastic BN -> SiLU when ``activation``."""

    def __init__(
        self,
        max_in: int,
        max_out: int,
        kernels: tuple[int, ...] = (1,),
        depthwise: bool = False,
        activation: bool = True,
        kernel_transform: bool = False,
    ) -> None:
        super().__init__()
        self.conv = ElasticConv2d(max_in, max_out, kernels, depthwise, kernel_transform)
        self.bn = ElasticBatchNorm2d(max_out, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.activation = activation

    def forward(self, x: Tensor, part: ChannelSlice, stride: int = 1) -> Tensor:
        out = self.bn(self.conv(x, part, stride))
        return F.silu(out) if self.activation else out

    def active_state(self, part: ChannelSlice, prefix: str) -> dict[str, Tensor]:
        """The slice under ``ConvBNAct``'s names: ``{prefix}0.weight`` and ``{prefix}1.*``."""
        state = {prefix + "0.weight": self.conv.active_weight(part)}
        state.update(self.bn.active_state(part.out_channels, prefix + "1."))
        return state


__all__ = ["ElasticConvBNAct"]
