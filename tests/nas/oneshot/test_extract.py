"""Extraction is exact: a candidate taken out of the supernet computes what the supernet computes."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from nas.oneshot.bn_calibration import recalibrate_bn
from nas.oneshot.extract import extract
from nas.oneshot.sampling import largest_arch, random_archs, smallest_arch
from nas.oneshot.supernet import Supernet
from search_spaces.arch import ArchSpec
from search_spaces.builder import EffNet
from tests.nas.oneshot.spaces import all_spaces, batches, scramble

SPACES = all_spaces()
CANDIDATES = 4  # random candidates per space, besides the largest and the smallest


def _supernet(space_id: str, kernel_transform: bool = False, layout: str = "by-expansion") -> Supernet:
    torch.manual_seed(0)
    net = Supernet(
        SPACES[space_id],
        num_classes=5,
        in_channels=1,
        kernel_transform=kernel_transform,
        layout=layout,
    )
    scramble(net)
    return net


def _assert_exact(net: Supernet, arch: ArchSpec) -> None:
    """Recalibrate ``arch``'s BN in the supernet, then compare eval outputs with its extraction."""
    net.set_active(arch)
    recalibrate_bn(net, batches(2))
    net.eval()
    x = batches(1, seed=1)[0]
    with torch.no_grad():
        expected = net(x)
        model = extract(net, arch).eval()
        got = model(x)
    assert isinstance(model, EffNet) and model.arch == arch
    assert expected.abs().max() > 1e-3  # a real signal, not vanished activations
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5 * float(expected.abs().max()))


def _candidates() -> list[tuple[str, str, ArchSpec]]:
    """(space, label, arch): largest, smallest and random candidates, each distinct arch once."""
    out = []
    for space_id, space in sorted(SPACES.items()):
        named = {"largest": largest_arch(space, 5, 1), "smallest": smallest_arch(space, 5, 1)}
        named.update({f"random{i}": arch for i, arch in enumerate(random_archs(space, CANDIDATES, seed=7))})
        seen: set[ArchSpec] = set()
        for label, arch in named.items():
            if arch not in seen:
                seen.add(arch)
                out.append((space_id, label, arch))
    return out


@pytest.fixture(scope="module")
def supernets() -> dict[str, Supernet]:
    return {}


@pytest.mark.parametrize(
    ("space_id", "arch"), [(s, a) for s, _, a in _candidates()], ids=[f"{s}-{n}" for s, n, _ in _candidates()]
)
def test_extracted_candidate_computes_the_supernets_output(supernets, space_id, arch):
    if space_id not in supernets:
        supernets[space_id] = _supernet(space_id)
    _assert_exact(supernets[space_id], arch)


@pytest.mark.parametrize("space_id", ["mnasnet", "wide"])
def test_extraction_bakes_in_the_learned_kernel_transform(space_id):
    net = _supernet(space_id, kernel_transform=True)
    matrices = [name for name, _ in net.named_parameters() if "matrices" in name]
    assert matrices  # scrambled away from the identity, so the transform changes the kernels
    # The smallest has the smallest kernel everywhere, so every transform matrix is on its path.
    for arch in (net.smallest, random_archs(net.space, 1, seed=3)[0]):
        _assert_exact(net, arch)


@pytest.mark.parametrize("layout", ["dsconv-in-mbconv", "per-op"])
@pytest.mark.parametrize("space_id", ["mnasnet", "wide"])
def test_extraction_is_exact_with_the_other_branch_layouts_too(space_id, layout):
    net = _supernet(space_id, layout=layout)
    for arch in random_archs(net.space, 3, seed=9):
        _assert_exact(net, arch)


def test_extraction_follows_the_proxys_small_input_adaptation():
    net = _supernet("mnasnet")
    base = random_archs(net.space, 1, seed=5)[0]
    stages = tuple(replace(s, stride=1) if s.stride == 2 and i < 3 else s for i, s in enumerate(base.stages))
    adapted = replace(base, stem_stride=1, dropout=0.0, drop_connect=0.0, stages=stages)
    _assert_exact(net, adapted)


def test_training_mode_pass_matches_the_built_model_and_its_bn_updates():
    net = _supernet("wide")
    arch = replace(random_archs(net.space, 1, seed=11)[0], dropout=0.0, drop_connect=0.0)
    net.set_active(arch)
    model = extract(net, arch).train()
    net.train()
    x = batches(1, size=6, seed=2)[0]
    torch.testing.assert_close(model(x), net(x), rtol=1e-5, atol=1e-5)
    after = extract(net, arch).state_dict()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(after[name], value, rtol=1e-6, atol=1e-7, msg=name)


def test_extraction_copies_and_keeps_the_active_candidate():
    net = _supernet("wide")
    first, second = random_archs(net.space, 2, seed=1)
    net.set_active(second)
    before = {name: t.detach().clone() for name, t in net.active_state().items()}
    net.set_active(first)
    model = extract(net, second)
    assert net.active == first
    with torch.no_grad():
        for param in model.parameters():
            param.zero_()
    net.set_active(second)
    for name, tensor in net.active_state().items():
        assert torch.equal(tensor, before[name]), name
