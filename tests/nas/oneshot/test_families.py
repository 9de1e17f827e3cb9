"""Branch layouts: unexpanded blocks (DSConv, MBConv e1) share one branch; expanding MBConv has its own."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from nas.oneshot.bn_calibration import recalibrate_bn
from nas.oneshot.families import branch_of, branches, family_pins
from nas.oneshot.sampling import random_archs
from nas.oneshot.supernet import Supernet
from search_spaces.arch import ArchSpec
from tests.nas.oneshot.spaces import all_spaces, batches, scramble

MNASNET = all_spaces()["mnasnet"]


OPS = ("mbconv", "dsconv", "conv")


def test_by_expansion_puts_unexpanded_blocks_on_one_branch_and_expanding_mbconv_on_another():
    assert branches(OPS, (1, 3, 6)) == ("dsconv", "mbconv", "conv")
    assert [branch_of("mbconv", e, OPS) for e in (1, 3, 6)] == ["dsconv", "mbconv", "mbconv"]
    assert branch_of("dsconv", 1, OPS) == "dsconv"
    assert branches(("mbconv",), (3, 6)) == ("mbconv",)  # no unexpanded block: no such branch
    assert branches(("mbconv",), (1,)) == ("dsconv",)


def test_the_earlier_layouts_stay_available():
    assert branches(OPS, (1, 3, 6), "dsconv-in-mbconv") == ("mbconv", "conv")
    assert branch_of("dsconv", 1, ("dsconv", "conv"), "dsconv-in-mbconv") == "dsconv"
    assert branches(OPS, (1, 3, 6), "per-op") == OPS
    with pytest.raises(ValueError, match="layout"):
        branches(OPS, (1,), "shared")


def test_family_pins_pin_the_expansion_only_where_a_branch_takes_part_of_it():
    assert family_pins(OPS, (1, 3, 6)) == [
        {"op": ("mbconv", "dsconv"), "expansion": (1,)},
        {"op": ("mbconv",), "expansion": (3, 6)},
        {"op": ("conv",)},
    ]
    earlier = [{"op": ("mbconv", "dsconv")}, {"op": ("conv",)}]
    assert family_pins(OPS, (1, 3, 6), "dsconv-in-mbconv") == earlier


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
    net = Supernet(MNASNET, num_classes=5, in_channels=1, layout="per-op")
    scramble(net)
    ds, mb = _twins(random_archs(MNASNET, 1, seed=2)[0])
    assert not torch.allclose(_eval_output(net, ds), _eval_output(net, mb))
