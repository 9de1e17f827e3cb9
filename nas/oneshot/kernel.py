"""Elastic kernel size: every kxk kernel of a layer is taken from its one largest kernel.

Once-for-All (Cai et al. 2020, "elastic kernel size") stores only the largest kernel
of a layer; a smaller kernel is its centre, so a 3x3 candidate and a 5x5 candidate share their
middle nine weights. Sharing the centre forces those weights to serve two roles (the centre of a
big receptive field and a whole small one), so OFA passes each crop through a small learned
``k^2 x k^2`` matrix per pair of neighbouring sizes (7 -> 5, 5 -> 3), shared by all channels of the
layer and initialised to the identity. :class:`KernelTransform` is that option, behind a flag so
its effect can be measured; with it off, a smaller kernel is exactly the centre crop.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def centre_crop(weight: Tensor, kernel: int) -> Tensor:
    """The central ``kernel x kernel`` window of a conv weight ``(out, in, K, K)``.

    Odd kernels with padding ``(k - 1) // 2`` keep the output aligned, so the centre of the
    larger kernel looks at the same pixels as the whole smaller one.
    """
    size = weight.shape[-1]
    if kernel > size or (size - kernel) % 2:
        raise ValueError(f"cannot take a {kernel}x{kernel} kernel from a {size}x{size} one")
    start = (size - kernel) // 2
    return weight[..., start : start + kernel, start : start + kernel]


def _matrix_name(big: int, small: int) -> str:
    return f"k{big}_to_k{small}"


class KernelTransform(nn.Module):
    """OFA's kernel transformation matrices for one layer (identity at initialisation).

    ``kernels`` are the sizes the layer may use; for each neighbouring pair (big, small) a
    ``small^2 x small^2`` matrix maps the centre of the (already transformed) big kernel to the
    small one. A 3x3 kernel taken from a 7x7 one goes 7 -> 5 -> 3, as in OFA.
    """

    def __init__(self, kernels: tuple[int, ...]) -> None:
        super().__init__()
        self.kernels = tuple(sorted(set(kernels)))
        self.matrices = nn.ParameterDict(
            {
                _matrix_name(big, small): nn.Parameter(torch.eye(small * small))
                for small, big in zip(self.kernels, self.kernels[1:], strict=False)
            }
        )

    def forward(self, weight: Tensor, kernel: int) -> Tensor:
        """The ``kernel``-sized weight derived from the largest one, ``weight`` (out, in, K, K)."""
        if kernel not in self.kernels:
            raise ValueError(f"kernel {kernel} is not one of this layer's sizes {self.kernels}")
        out = weight
        for big, small in zip(reversed(self.kernels), reversed(self.kernels[:-1]), strict=False):
            if big <= kernel:
                break
            crop = centre_crop(out, small)
            flat = crop.reshape(-1, small * small)
            out = (flat @ self.matrices[_matrix_name(big, small)].t()).reshape(crop.shape)
        return out


__all__ = ["KernelTransform", "centre_crop"]
