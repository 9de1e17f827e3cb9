"""A convolution whose width and kernel are chosen per call, by slicing one largest weight.

Once-for-All's elastic width (Cai et al. 2020) and BigNAS (Yu et al. 2020) keep one
weight tensor of the largest shape; a candidate with fewer channels uses the *first* output and
input channels, and a smaller kernel uses the centre of the largest (see
:mod:`nas.oneshot.kernel`). Nested slices mean every candidate trains the weights of all smaller
ones, which is what lets one training serve thousands of candidates.

Three kinds of conv appear in the search space, all covered here:

- pointwise 1x1 (MBConv expansion and projection, DSConv's pointwise, the head): slice out x in;
- depthwise kxk (MBConv and DSConv): one filter per channel, slice channels and kernel;
- regular kxk (the "conv" op): slice out x in and kernel.

Like the builder's convs (:mod:`search_spaces.blocks`) they carry no bias (BatchNorm follows) and
pad by ``(k - 1) // 2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nas.oneshot.kernel import KernelTransform, centre_crop


@dataclass(frozen=True)
class ChannelSlice:
    """Which part of an elastic module a candidate uses: the first channels, and a kernel size."""

    in_channels: int
    out_channels: int
    kernel: int = 1


class ElasticConv2d(nn.Module):
    """Conv with weight ``(max_out, max_in or 1, K, K)``, K the largest of ``kernels``.

    ``depthwise`` makes it a per-channel conv (``max_in`` must equal ``max_out``; a slice must
    keep in == out). ``kernel_transform`` adds OFA's learned matrices for the smaller kernels.
    """

    def __init__(
        self,
        max_in: int,
        max_out: int,
        kernels: tuple[int, ...] = (1,),
        depthwise: bool = False,
        kernel_transform: bool = False,
    ) -> None:
        super().__init__()
        if depthwise and max_in != max_out:
            raise ValueError(f"a depthwise conv keeps its channels, got {max_in} -> {max_out}")
        self.max_in = max_in
        self.max_out = max_out
        self.kernels = tuple(sorted(set(kernels)))
        self.depthwise = depthwise
        size = self.kernels[-1]
        self.weight = nn.Parameter(torch.empty(max_out, 1 if depthwise else max_in, size, size))
        use_transform = kernel_transform and len(self.kernels) > 1
        self.transform = KernelTransform(self.kernels) if use_transform else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-normal fan-out over the largest weight, the builder's (torchvision's) init."""
        nn.init.kaiming_normal_(self.weight, mode="fan_out")

    def active_weight(self, part: ChannelSlice) -> Tensor:
        """The weight a candidate with this slice uses (what extraction copies into its conv)."""
        if part.kernel not in self.kernels:
            raise ValueError(f"kernel {part.kernel} is not one of this conv's sizes {self.kernels}")
        if part.out_channels > self.max_out or part.in_channels > self.max_in:
            raise ValueError(
                f"slice {part.in_channels}->{part.out_channels} exceeds {self.max_in}->{self.max_out}"
            )
        if self.depthwise:
            if part.in_channels != part.out_channels:
                raise ValueError("a depthwise slice keeps its channels")
            weight = self.weight[: part.out_channels]
        else:
            weight = self.weight[: part.out_channels, : part.in_channels]
        if self.transform is not None:
            return self.transform(weight, part.kernel)
        return centre_crop(weight, part.kernel)

    def forward(self, x: Tensor, part: ChannelSlice, stride: int = 1) -> Tensor:
        """Convolve with the sliced weight; the stride is the caller's (the active arch's)."""
        groups = part.in_channels if self.depthwise else 1
        return F.conv2d(x, self.active_weight(part), None, stride, (part.kernel - 1) // 2, 1, groups)

    def extra_repr(self) -> str:
        kind = "depthwise" if self.depthwise else "dense"
        return f"{kind}, max {self.max_in}->{self.max_out}, kernels={self.kernels}"


__all__ = ["ChannelSlice", "ElasticConv2d"]
