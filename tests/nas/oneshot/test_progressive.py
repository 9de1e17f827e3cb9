"""Progressive shrinking: the phases, their sub-spaces, and the candidates a training step takes."""

from __future__ import annotations

import random

import pytest
import torch

from nas.data.datasets import load_dataset
from nas.oneshot.progressive import PHASES, phase_at, phase_space
from nas.oneshot.sampling import largest_arch
from nas.oneshot.supernet import Supernet
from nas.oneshot.training import _Loop, supernet_settings
from nas.training.proxy import load_proxy
from tests.nas.oneshot.spaces import all_spaces
from tests.nas.search.test_driver import DATASET, TINY_PROXY

MNASNET = all_spaces()["mnasnet"]
TEACHER = largest_arch(MNASNET, op="mbconv")


def test_phases_start_with_the_teacher_alone_and_end_with_the_whole_space():
    assert [phase_at(s, 100) for s in (0, 24, 25, 44, 45, 69, 70, 99)] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert phase_space(MNASNET, TEACHER, PHASES[0].free) is None
    assert phase_space(MNASNET, TEACHER, PHASES[-1].free) is MNASNET


def test_kernel_and_layers_phase_pins_everything_else_to_the_teacher():
    sub = phase_space(MNASNET, TEACHER, PHASES[1].free)
    for full, choice, stage in zip(MNASNET.stages, sub.stages, TEACHER.stages, strict=True):
        assert (choice.kernels, choice.layers) == (full.kernels, full.layers)
        assert choice.ops == (stage.op,) and choice.expansions == (stage.expansion,)
        assert choice.channels == (stage.out_channels,) and choice.skips == (stage.skip_op,)
        assert choice.se_ratios == (stage.se_ratio,)


def test_slices_phase_frees_the_nested_expansions_but_not_expansion_1():
    sub = phase_space(MNASNET, TEACHER, PHASES[2].free)
    for full, choice in zip(MNASNET.stages, sub.stages, strict=True):
        assert choice.expansions == tuple(e for e in full.expansions if e != 1)
        assert choice.channels == full.channels and choice.se_ratios == full.se_ratios
        assert len(choice.ops) == 1 and choice.skips == ("identity",)


@pytest.fixture
def loop(tmp_path):
    (tmp_path / "proxy.yaml").write_text(TINY_PROXY)
    proxy = load_proxy(tmp_path / "proxy.yaml")
    data = load_dataset(DATASET, val_size=proxy.val_size, seed=proxy.seed)
    settings = supernet_settings(
        MNASNET, DATASET, data, proxy, epochs=4, train_subset=proxy.train_subset, schedule="progressive"
    )
    net = Supernet(MNASNET, settings.num_classes, settings.in_channels, layout=settings.layout)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    return _Loop(net, opt, settings, proxy, data, torch.device("cpu"))


def test_a_progressive_step_trains_only_its_phase_candidates(loop):
    rng = random.Random(0)
    assert loop._candidates(0, rng) == (loop.teacher,)
    step = int(PHASES[1].start * loop.total) + 1
    candidates = loop._candidates(step, rng)
    assert candidates[0] == loop.teacher and len(candidates) == 2 + loop.settings.num_random
    for arch in candidates[1:]:
        for stage, teacher in zip(arch.stages, loop.teacher.stages, strict=True):
            assert (stage.op, stage.expansion, stage.out_channels) == (
                teacher.op,
                teacher.expansion,
                teacher.out_channels,
            )
    last = loop._candidates(loop.total - 1, rng)
    assert last[1] == loop.smallest  # the whole space: the sandwich's own smallest
