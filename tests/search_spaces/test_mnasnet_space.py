"""The packaged spaces: ``mnasnet`` (MnasNet's published space, MobileNetV2-referenced, the
default) and ``efficientnet-local`` (the B0-centred space it replaced as the default)."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
import yaml

import cli
from search_spaces import reference_b0
from search_spaces.builder import build_model
from search_spaces.cost import count_cost
from search_spaces.errors import UserError
from search_spaces.filters import round_channels, round_filter_choice
from search_spaces.references import mobilenet_v2
from search_spaces.space_yaml import PACKAGED_SPACES, load_space, space_from_dict


class _Uniform:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def suggest_categorical(self, name, choices):
        return self.rng.choice(list(choices))


def test_default_space_is_mnasnet_referenced_on_mobilenet_v2() -> None:
    space = load_space()
    assert space.name == "mnasnet" and list(PACKAGED_SPACES)[0] == "mnasnet"
    v2 = mobilenet_v2()
    ours = [(c.reference.out_channels, c.reference.layers, c.stride) for c in space.stages]
    assert ours == [(s.out_channels, s.layers, s.stride) for s in v2.stages]
    assert (space.reference.stem_channels, space.reference.head_channels) == (32, 1280)
    for choice in space.stages:  # MnasNet Fig. 4
        assert choice.ops == ("mbconv", "dsconv", "conv")
        assert choice.kernels == (3, 5) and choice.se_ratios == (0.0, 0.25)
        assert choice.skips == ("pooling", "identity", "none")
    # layers -1/0/+1 of MobileNetV2's, at least 1
    layers = [(1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (2, 3, 4), (2, 3, 4), (1, 2)]
    assert [c.layers for c in space.stages] == layers


def test_filters_are_mnasnet_ratios_of_mobilenet_v2_rounded_to_the_nearest_8() -> None:
    space = load_space()
    assert [c.channels for c in space.stages] == [
        (16, 24),  # 12 -> 16
        (16, 24, 32),  # 18 -> 16: EfficientNet's +10% rule would merge it into 24
        (24, 32, 40),
        (48, 64, 80),
        (72, 96, 120),
        (120, 160, 200),
        (240, 320, 400),
    ]
    assert round_channels(24, 0.75) == 24 and round_filter_choice(24, 0.75, 8, "nearest") == 16


def test_b0_is_outside_mnasnet_but_inside_efficientnet_local() -> None:
    assert "stage 5" in (load_space().problem(reference_b0()) or "")
    assert load_space("efficientnet-local").contains(reference_b0())
    silu_v2 = replace(mobilenet_v2(), activation="silu", drop_connect=0.2)
    stages = tuple(replace(s, activation="silu") for s in silu_v2.stages)
    assert load_space().contains(silu_v2.with_stages(stages))


def test_efficientnet_local_keeps_the_old_fingerprint() -> None:
    # The B0-centred space was packaged as `mnasnet` before; its studies must still match it.
    assert load_space("efficientnet-local").fingerprint() == "cc8dc162f733"


@pytest.mark.parametrize("seed", range(6))
def test_sampled_candidates_with_pooling_skips_build_at_their_cost(seed: int) -> None:
    space = load_space().with_resolution(64)
    arch = space.sample(_Uniform(seed))
    assert space.contains(arch) and space.arch_from_params(space.params_of(arch)) == arch
    model = build_model(arch, num_classes=10)
    assert sum(p.numel() for p in model.parameters()) == count_cost(arch, num_classes=10).params


def test_pooling_skip_parameter_value_round_trips() -> None:
    space = load_space()
    arch = space.sample(_Uniform(3))
    stages = tuple(replace(s, skip=True, shortcut="pooling") for s in arch.stages)
    pooled = arch.with_stages(stages)
    params = space.params_of(pooled)
    assert {params[f"s{i}.skip"] for i in range(1, 8)} == {"pooling"}
    assert space.arch_from_params(params) == pooled


def test_a_projection_skip_or_unknown_rounding_is_refused(tmp_path) -> None:
    with pytest.raises(UserError, match="skip op"):
        space_from_dict({"reference": "b0", "choices": {"skip": ["projection"]}})
    with pytest.raises(UserError, match="rounding"):
        space_from_dict({"reference": "b0", "rounding": "floor"})


def test_seed_networks_can_be_references() -> None:
    space = space_from_dict({"reference": "resnet50", "choices": {"kernel": [3, 5]}})
    assert space.reference.stem_pool and space.stages[0].reference.op == "bottleneck"
    arch = space.sample(_Uniform(0))
    assert all(s.activation == "relu" and s.skip_op == "projection" for s in arch.stages)


def test_supernet_refuses_what_it_cannot_hold() -> None:
    from nas.oneshot import Supernet

    for reference in ("resnet50", "mobilenetv1", "mobilenetv2"):
        with pytest.raises(UserError, match="cannot run on a supernet"):
            Supernet(space_from_dict({"name": reference, "reference": reference}), num_classes=10)


def test_cli_space_default_shows_mobilenet_v2_reference_and_pooling(capsys) -> None:
    assert cli.main(["space", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "mnasnet" and data["rounding"] == "nearest"
    assert [s["out_channels"] for s in data["reference"]["stages"]] == [16, 24, 32, 64, 96, 160, 320]
    assert all(s["skip"] == ["pooling", "identity", "none"] for s in data["stages"])


def test_packaged_files_hold_the_names_they_are_listed_under() -> None:
    import search_spaces

    folder = __import__("pathlib").Path(search_spaces.__file__).parent
    for name in PACKAGED_SPACES:
        assert yaml.safe_load((folder / f"{name}.yaml").read_text())["name"] == name
