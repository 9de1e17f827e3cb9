"""The candidates a supernet trains: largest, smallest and seeded random members of the space."""

from __future__ import annotations

import random

import pytest

from nas.oneshot.families import branch_of, branches
from nas.oneshot.sampling import (
    largest_arch,
    random_arch,
    random_archs,
    sandwich_archs,
    smallest_arch,
    stratified_archs,
)
from search_spaces.cost import count_cost
from tests.nas.oneshot.spaces import all_spaces

SPACES = all_spaces()


@pytest.mark.parametrize("space_id", sorted(SPACES))
def test_largest_and_smallest_are_members_of_the_space(space_id):
    space = SPACES[space_id]
    for arch in (largest_arch(space), smallest_arch(space)):
        assert space.problem(arch) is None


@pytest.mark.parametrize("space_id", sorted(SPACES))
def test_largest_and_smallest_bound_the_macs_of_random_candidates(space_id):
    space = SPACES[space_id]
    low = count_cost(smallest_arch(space)).macs
    high = count_cost(largest_arch(space)).macs
    for arch in random_archs(space, 30, seed=0):
        assert low <= count_cost(arch).macs <= high


def test_extremes_use_the_identity_skip_where_the_stage_offers_it():
    space = SPACES["mnasnet"]
    assert all(stage.skip for stage in largest_arch(space).stages)
    assert all(stage.skip for stage in smallest_arch(space).stages)


@pytest.mark.parametrize("space_id", sorted(SPACES))
def test_random_candidates_are_members_and_reproducible(space_id):
    space = SPACES[space_id]
    archs = random_archs(space, 20, seed=4)
    assert all(space.problem(arch) is None for arch in archs)
    assert archs == random_archs(space, 20, seed=4)
    if space.size() > 1:
        assert archs != random_archs(space, 20, seed=5)


def test_random_candidates_reach_every_choice_of_every_stage():
    space = SPACES["wide"]
    archs = random_archs(space, 400, seed=0)
    for number, choice in enumerate(space.stages):
        stages = [arch.stages[number] for arch in archs]
        assert {s.op for s in stages} == set(choice.ops)
        assert {s.kernel for s in stages} == set(choice.kernels)
        assert {s.expansion for s in stages if s.op == "mbconv"} == set(choice.expansions)
        assert {s.expansion for s in stages if s.op != "mbconv"} <= {1}
        assert {s.se_ratio for s in stages} == set(choice.se_ratios)
        assert {s.skip_op for s in stages} == set(choice.skips)
        assert {s.out_channels for s in stages} == set(choice.channels)
        assert {s.layers for s in stages} == set(choice.layers)


def test_sandwich_puts_the_teacher_first_then_the_smallest_then_random_ones():
    space = SPACES["wide"]
    big, small = largest_arch(space), smallest_arch(space)
    archs = sandwich_archs(space, random.Random(0), 3, big, small)
    assert archs[:2] == (big, small)
    rng = random.Random(0)
    assert archs[2:] == tuple(random_arch(space, rng) for _ in range(3))


def test_extremes_can_prefer_an_op_and_stay_members():
    space = SPACES["wide"]
    big = largest_arch(space, op="dsconv")
    small = smallest_arch(space, op="conv")
    assert space.problem(big) is None and space.problem(small) is None
    for choice, b, s in zip(space.stages, big.stages, small.stages, strict=True):
        assert b.op == ("dsconv" if "dsconv" in choice.ops else b.op)
        assert s.op == ("conv" if "conv" in choice.ops else s.op)
    assert count_cost(big).macs <= count_cost(largest_arch(space)).macs


@pytest.mark.parametrize("space_id", ["mnasnet", "wide"])
def test_stratified_children_cover_every_op_family_and_skip_of_every_stage_each_step(space_id):
    space = SPACES[space_id]
    rng = random.Random(0)
    for _ in range(20):
        children = stratified_archs(space, rng, 3)
        for number, choice in enumerate(space.stages):
            ops = choice.ops
            dealt = [branch_of(s.op, s.expansion, ops) for s in (c.stages[number] for c in children)]
            wanted = set(branches(ops, choice.expansions))
            assert set(dealt) == wanted  # every branch once per step (3 children >= branches)
            counts = [dealt.count(f) for f in wanted]
            assert max(counts) - min(counts) <= 1  # dealt evenly
            skips = [child.stages[number].skip_op for child in children]
            assert len(set(skips)) == min(3, len(choice.skips))  # skips dealt too
        assert all(space.problem(child) is None for child in children)


def test_stratified_children_still_reach_every_op_and_mix_families_across_stages():
    space = SPACES["mnasnet"]
    rng = random.Random(1)
    children = [child for _ in range(100) for child in stratified_archs(space, rng, 2)]
    for number, choice in enumerate(space.stages):
        assert {child.stages[number].op for child in children} == set(choice.ops)
    mixed = [c for c in children if len({branch_of(s.op, s.expansion, ("mbconv",)) for s in c.stages}) > 1]
    assert len(mixed) > len(children) // 2


def test_sandwich_draws_stratified_children_when_asked():
    space = SPACES["wide"]
    big, small = largest_arch(space), smallest_arch(space)
    archs = sandwich_archs(space, random.Random(4), 2, big, small, "stratified")
    assert archs[:2] == (big, small)
    assert archs[2:] == stratified_archs(space, random.Random(4), 2)
    with pytest.raises(ValueError, match="sampling"):
        sandwich_archs(space, random.Random(4), 2, big, small, "sideways")
