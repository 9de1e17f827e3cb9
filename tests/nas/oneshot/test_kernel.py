"""Elastic kernels: smaller kernels are the centre of the largest, optionally transformed (OFA)."""

from __future__ import annotations

import pytest
import torch

from nas.oneshot.elastic_conv import ChannelSlice, ElasticConv2d
from nas.oneshot.kernel import KernelTransform, centre_crop


def test_centre_crop_takes_the_middle_window():
    weight = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).reshape(2, 1, 5, 5)
    assert torch.equal(centre_crop(weight, 3), weight[:, :, 1:4, 1:4])
    assert torch.equal(centre_crop(weight, 5), weight)
    with pytest.raises(ValueError):
        centre_crop(weight, 4)


def test_transform_starts_as_the_plain_centre_crop():
    weight = torch.randn(4, 1, 7, 7)
    transform = KernelTransform((3, 5, 7))
    for kernel in (3, 5, 7):
        torch.testing.assert_close(transform(weight, kernel), centre_crop(weight, kernel))


def test_a_small_kernel_goes_through_every_larger_transform():
    weight = torch.randn(4, 1, 7, 7)
    transform = KernelTransform((3, 5, 7))
    with torch.no_grad():
        transform.matrices["k7_to_k5"].mul_(2.0)
    assert torch.allclose(transform(weight, 5), 2 * centre_crop(weight, 5))
    assert torch.allclose(transform(weight, 3), 2 * centre_crop(weight, 3))  # 7 -> 5 -> 3


def test_depthwise_slice_uses_the_first_channels_and_the_kernel_centre():
    conv = ElasticConv2d(8, 8, (3, 5), depthwise=True)
    x = torch.randn(2, 6, 9, 9)
    out = conv(x, ChannelSlice(6, 6, 3), stride=2)
    expected = torch.nn.functional.conv2d(x, conv.weight[:6, :, 1:4, 1:4], stride=2, padding=1, groups=6)
    torch.testing.assert_close(out, expected)


def test_slices_beyond_the_largest_shape_are_refused():
    conv = ElasticConv2d(8, 16, (3,))
    with pytest.raises(ValueError):
        conv.active_weight(ChannelSlice(9, 16, 3))
    with pytest.raises(ValueError):
        conv.active_weight(ChannelSlice(8, 16, 5))
