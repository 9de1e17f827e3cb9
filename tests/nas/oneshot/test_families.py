"""DSConv shares MBConv's weights (expansion 1) where a stage offers both; the regular conv never."""

from __future__ import annotations

from dataclasses import replace

import torch

from nas.oneshot.bn_calibration import recalibrate_bn
from nas.oneshot.families import families, weight_family
from nas.oneshot.sampling import random_archs
from nas.oneshot.supernet import Supernet
from search_spaces.arch import ArchSpec
from tests.nas.oneshot.spaces import all_spaces, batches, scramble

MNASNET = all_spaces()["mnasnet"]


def test_dsconv_joins_mbconv_only_where_both_are_choices():
    assert families(("mbconv", "dsconv", "conv")) == {"mbconv": ("mbconv", "dsconv"), "conv": ("conv",)}
    assert weight_family("dsconv", ("dsconv", "conv")) == "dsconv"
    assert weight_family("dsconv", ("mbconv", "dsconv"), share=False) == "dsconv"
    assert families(("mbconv", "dsconv"), share=False) == {"mbconv": ("mbconv",), "dsconv": ("dsconv",)}


def _twins(arch: ArchSpec) -> tuple[ArchSpec, ArchSpec]:
    """``arch`` with every stage as DSConv, and as MBConv with expansion 1."""
    ds = arch.with_stages(tuple(replace(s, op="dsconv", expansion=1) for s in arch.stages))
    mb = arch.with_stages(tuple(replace(s, op="mbconv", expansion=1) for s in arch.stages))
    return ds, mb


def _eval_output(net: Supernet, arch: ArchSpec) -> torch.Tensor:
    net.set_active(arch)
    recalibrate_bn(net, batches(2))
    net.eval()
    with torch.no_grad():
        return net(batches(1, seed=1)[0])


def test_a_dsconv_candidate_computes_its_mbconv_expansion_1_twin():
    torch.manual_seed(0)
    net = Supernet(MNASNET, num_classes=5, in_channels=1)
    scramble(net)
    ds, mb = _twins(random_archs(MNASNET, 1, seed=2)[0])
    torch.testing.assert_close(_eval_output(net, ds), _eval_output(net, mb), rtol=0, atol=0)
    net.set_active(ds)
    shared = net.active_state()
    net.set_active(mb)
    for name, tensor in net.active_state().items():
        assert tensor.data_ptr() == shared[name].data_ptr(), name  # the same storage, not a copy


def test_without_sharing_the_twins_keep_separate_weights():
    torch.manual_seed(0)
    net = Supernet(MNASNET, num_classes=5, in_channels=1, share_dsconv=False)
    scramble(net)
    ds, mb = _twins(random_archs(MNASNET, 1, seed=2)[0])
    assert not torch.allclose(_eval_output(net, ds), _eval_output(net, mb))
