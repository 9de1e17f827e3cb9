"""The supernet holds exactly the space's candidates and runs the one made active."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from nas.oneshot.families import branches
from nas.oneshot.sampling import random_archs
from nas.oneshot.supernet import Supernet
from search_spaces.space import SpaceError
from tests.nas.oneshot.spaces import all_spaces, batches

SPACE = all_spaces()["wide"]


@pytest.fixture(scope="module")
def supernet() -> Supernet:
    torch.manual_seed(0)
    return Supernet(SPACE, num_classes=3, in_channels=1)


def test_the_largest_candidate_is_active_after_construction(supernet):
    fresh = Supernet(SPACE, num_classes=3, in_channels=1)
    assert fresh.active == fresh.largest


def test_forward_with_an_arch_makes_it_active(supernet):
    arch = random_archs(SPACE, 1, seed=1)[0]
    out = supernet(batches(1)[0], arch)
    assert out.shape == (4, 3)
    assert supernet.active == arch


@pytest.mark.parametrize(
    "change",
    [
        {"op": "dsconv", "expansion": 1, "stage": 1},  # stage 1 offers mbconv and conv only
        {"kernel": 5, "stage": 1},  # stage 1 offers kernels 3 and 7
        {"stem_channels": 24},
        {"head_channels": 64},
        {"out_channels": 56, "stage": 2},
        {"layers": 5, "stage": 1},
    ],
    ids=["op", "kernel", "stem", "head", "filters", "layers"],
)
def test_candidates_outside_the_space_are_refused(supernet, change):
    arch = random_archs(SPACE, 1, seed=2)[0]
    change = dict(change)
    stage = change.pop("stage", None)
    if stage is None:
        arch = replace(arch, **change)
    else:
        stages = list(arch.stages)
        stages[stage - 1] = replace(stages[stage - 1], **change)
        arch = arch.with_stages(stages)
    with pytest.raises(SpaceError):
        supernet.set_active(arch)


def test_strides_dropout_and_drop_connect_are_the_active_archs(supernet):
    arch = random_archs(SPACE, 1, seed=3)[0]
    adapted = replace(arch, stem_stride=1, dropout=0.0, drop_connect=0.0, resolution=64)
    supernet.set_active(adapted)
    assert supernet(batches(1)[0]).shape == (4, 3)


def test_each_layer_position_has_one_branch_per_weight_family_of_its_stage(supernet):
    for choice, positions in zip(SPACE.stages, supernet.stages, strict=True):
        assert len(positions) == max(choice.layers)
        for layer in positions:
            assert tuple(layer.branches) == branches(choice.ops, choice.expansions)


def test_with_the_per_op_layout_each_op_has_its_own_branch():
    net = Supernet(SPACE, num_classes=3, in_channels=1, layout="per-op")
    for choice, positions in zip(SPACE.stages, net.stages, strict=True):
        for layer in positions:
            assert tuple(layer.branches) == choice.ops
