"""The search space: schema, errors, size, sampling inside the space, MAC range, `effsearch space`."""

from __future__ import annotations

import itertools
import json
import math

import optuna
import pytest

import cli
from search_spaces.arch_yaml import reference_b0
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError
from search_spaces.space import round_channels
from search_spaces.space_yaml import load_space

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

# A small space whose architectures can be enumerated: two searched stages, the rest fixed.
SMALL = """
name: small
reference: b0
choices: {}
stages:
  1: {op: [mbconv, dsconv, conv], kernel: [3, 5], expansion: [1, 6]}
  2: {filters: [0.75, 1.0], layers: [0, 1], skip: [identity, none]}
"""


def write(tmp_path, text: str, name: str = "space.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_packaged_space_has_b0_stages_and_paper_choices():
    space = load_space("efficientnet-local")
    assert space.name == "efficientnet-local"
    assert space.reference == reference_b0()
    assert len(space.stages) == 7
    stage = space.stages[2]
    assert stage.ops == ("mbconv", "dsconv", "conv")
    assert stage.kernels == (3, 5)
    assert stage.expansions == (1, 3, 4, 6)
    assert stage.se_ratios == (0.0, 0.25)
    assert stage.skips == ("identity", "none")
    assert stage.channels == (32, 40, 48)  # 0.75, 1.0, 1.25 x 40, multiples of 8
    assert stage.layers == (1, 2, 3)
    assert [c.stride for c in space.stages] == [1, 2, 2, 2, 1, 2, 1]


def test_filters_are_rounded_and_deduplicated():
    space = load_space("efficientnet-local")
    # 0.75 x 16 = 12 rounds to 16 (same as 1.0); 0.75 x 24 = 18 rounds to 16 < 0.9 x 18, so 24.
    assert space.stages[0].channels == (16, 24)
    assert space.stages[1].channels == (24, 32)
    assert round_channels(112, 1.25) == 144
    # One-layer stages cannot go below one layer.
    assert space.stages[0].layers == (1, 2)


def test_size_of_packaged_space_counts_expansion_only_for_mbconv():
    space = load_space("efficientnet-local")
    per_block = 2 * 4 + 2 + 2  # mbconv: kernels x expansions; dsconv, conv: kernels
    expected = 1
    for stage in space.stages:
        expected *= per_block * 2 * 2 * len(stage.channels) * len(stage.layers)
    assert space.size() == expected == 554_652_776_685_109_248


def test_size_matches_brute_force_enumeration(tmp_path):
    space = load_space(write(tmp_path, SMALL))
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    codes = set()

    def objective(trial):
        codes.add(arch_code(space.sample(trial)))
        return 0.0

    study.optimize(objective, n_trials=200)
    # stage 1: 2 kernels x 2 expansions + 2 + 2 = 8; stage 2: filters {24} (0.75 x 24 rounds back
    # to 24) x layers {2, 3} x 2 skips = 4
    assert space.size() == 8 * 4 == len(codes)


def test_sampled_architectures_are_in_the_space_and_round_trip():
    space = load_space()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(300):
        trial = study.ask()
        arch = space.sample(trial)
        assert space.contains(arch)
        assert space.arch_from_params(trial.params) == arch
        assert space.params_of(arch) == trial.params
        study.tell(trial, 0.0)


def test_parameter_names_are_stable_and_expansion_is_conditional():
    space = load_space()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen_without_expansion = False
    for _ in range(50):
        trial = study.ask()
        arch = space.sample(trial)
        for i, stage in enumerate(arch.stages, 1):
            keys = {name for name in trial.params if name.startswith(f"s{i}.")}
            expected = {f"s{i}.{k}" for k in ("op", "kernel", "se", "skip", "filters", "layers")}
            if stage.op == "mbconv":
                expected.add(f"s{i}.expansion")
            else:
                seen_without_expansion = True
                assert stage.expansion == 1
            assert keys == expected
        study.tell(trial, 0.0)
    assert seen_without_expansion


def test_b0_is_in_the_packaged_space():
    space = load_space("efficientnet-local")
    params = space.params_of(reference_b0())
    assert params["s1.expansion"] == 1 and params["s6.filters"] == 192 and params["s6.layers"] == 4
    assert space.arch_from_params(params) == reference_b0()


def test_mac_range_is_exact_on_an_enumerable_space(tmp_path):
    space = load_space(write(tmp_path, SMALL))
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    macs = []

    def objective(trial):
        macs.append(count_cost(space.sample(trial)).macs)
        return 0.0

    study.optimize(objective, n_trials=200)
    found = space.mac_range()
    assert (found.min_macs, found.max_macs) == (min(macs), max(macs))
    assert space.contains(found.min_arch) and space.contains(found.max_arch)


def test_mac_range_bounds_samples_of_the_packaged_space():
    space = load_space()
    found = space.mac_range()
    b0 = count_cost(reference_b0()).macs
    assert found.min_macs < b0 < found.max_macs
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(200):
        trial = study.ask()
        assert found.min_macs <= count_cost(space.sample(trial)).macs <= found.max_macs
        study.tell(trial, 0.0)


def test_with_resolution_changes_only_the_costing_size():
    space = load_space().with_resolution(128)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    arch = space.sample(study.ask())
    assert arch.resolution == 128
    assert load_space().contains(arch)


def test_missing_choice_keys_keep_the_reference_value(tmp_path):
    space = load_space(write(tmp_path, "reference: b0\nchoices: {kernel: [3, 5, 7]}\n"))
    assert space.size() == 3**7
    assert all(stage.ops == ("mbconv",) and len(stage.channels) == 1 for stage in space.stages)


def test_fingerprint_ignores_file_location_and_follows_content(tmp_path):
    text = "reference: b0\nchoices: {kernel: [3, 5]}\n"
    a = load_space(write(tmp_path, text, "a.yaml"))
    b = load_space(write(tmp_path, text, "b.yaml"))
    c = load_space(write(tmp_path, "reference: b0\nchoices: {kernel: [3]}\n", "c.yaml"))
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reference: b0\nchoices: {kernel: [3, 4]}\n", "kernel: 4 is not supported"),
        ("reference: b0\nchoices: {op: [mbconv, octconv]}\n", "unknown op 'octconv'"),
        ("reference: b0\nchoices: {kernel: []}\n", "empty list"),
        ("reference: b0\nchoices: {kernels: [3]}\n", "unknown key(s) kernels"),
        ("reference: b0\nchoise: {kernel: [3]}\n", "unknown key(s) choise"),
        ("choices: {kernel: [3]}\n", "missing key 'reference'"),
        ("reference: b0\nchoices: {expansion: [5]}\n", "expansion: 5 is not supported"),
        ("reference: b0\nchoices: {se: [0, 1.5]}\n", "must be within [0, 1]"),
        ("reference: b0\nchoices: {skip: [identity, maybe]}\n", "not a skip op"),
        ("reference: b0\nchoices: {filters: [0, 1.0]}\n", "multiplier 0.0 must be within"),
        ("reference: b0\nchoices: {layers: [0.5]}\n", "not a whole number"),
        ("reference: b0\nchoices: {kernel: 3}\n", "must be a list"),
        ("reference: b0\nchoices: {kernel: [3, 3]}\n", "lists 3 twice"),
        ("reference: b0\nstages: {9: {kernel: [3]}}\n", "no stage 9"),
        ("reference: nothere.yaml\n", "not found"),
        ("reference: b0\nchoices: [kernel]\n", "must be a mapping"),
        ("- just\n- a list\n", "must be a mapping"),
        ("reference: b0\nchoices: {kernel: [3\n", "not valid YAML"),
    ],
)
def test_invalid_spaces_are_one_clear_user_error(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as info:
        load_space(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_space_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_space(tmp_path / "nope.yaml")


def test_stage_overrides_and_inline_reference(tmp_path):
    text = """
reference:
  resolution: 64
  stem: {channels: 8}
  head: {channels: 64}
  stages:
    - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, out_channels: 8, layers: 1}
    - {op: mbconv, kernel: 3, stride: 2, expansion: 4, se_ratio: 0.25, out_channels: 16, layers: 2}
choices: {kernel: [3, 5]}
stages:
  2: {kernel: [3], op: [mbconv, dsconv]}
"""
    space = load_space(write(tmp_path, text))
    assert space.stages[0].kernels == (3, 5) and space.stages[0].ops == ("mbconv",)
    assert space.stages[1].kernels == (3,) and space.stages[1].ops == ("mbconv", "dsconv")
    assert space.size() == 2 * 2


def test_cli_space_prints_size_and_mac_range(capsys):
    assert cli.main(["space", "--space", "efficientnet-local"]) == 0
    out = capsys.readouterr().out
    assert "554,652,776,685,109,248" in out
    assert "min 48.47M" in out and "max 2.00B" in out


def test_cli_space_json(capsys):
    assert cli.main(["space", "--format", "json", "--resolution", "112"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["size"] == load_space().size()
    assert data["resolution"] == 112
    assert data["min_macs"] < data["max_macs"]
    assert len(data["stages"]) == 7 and data["stages"][0]["filters"] == [16, 24]


def test_cli_space_rejects_a_bad_file_with_exit_2(tmp_path, capsys):
    path = write(tmp_path, "reference: b0\nchoices: {kernel: [4]}\n")
    assert cli.main(["space", "--space", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "kernel: 4 is not supported" in err


def test_small_space_enumeration_matches_itertools(tmp_path):
    """Independent count of the SMALL space, without Optuna."""
    space = load_space(write(tmp_path, SMALL))
    s1, s2 = space.stages[0], space.stages[1]
    blocks = [
        (op, k, e) for op in s1.ops for k in s1.kernels for e in (s1.expansions if op == "mbconv" else (1,))
    ]
    second = list(itertools.product(s2.channels, s2.layers, s2.skips))
    assert len(blocks) * len(second) == space.size()
    assert math.prod(c.count() for c in space.stages) == space.size()
