"""Architecture codes and YAML are exact, readable round trips."""

from __future__ import annotations

from hypothesis import given, settings

from search_spaces.arch import StageSpec
from search_spaces.arch_yaml import arch_from_yaml, arch_to_yaml, load_arch_file, reference_b0
from search_spaces.codes import arch_code, arch_from_code, stage_code, stage_from_code, stages_code
from tests.search_spaces.arch_strategies import FIXED, archs, stages


def test_b0_stage_codes_read_like_the_released_block_strings():
    codes = stages_code(reference_b0()).split("|")
    assert codes[0] == "mbconv_r1_k3_s1_e1_c16_se0.25"
    assert codes[2] == "mbconv_r2_k5_s2_e6_c40_se0.25"
    assert len(codes) == 7


def test_noskip_suffix_marks_a_stage_without_identity_skip():
    stage = StageSpec("dsconv", 5, 1, 1, 0.0, False, 24, 2)
    assert stage_code(stage) == "dsconv_r2_k5_s1_e1_c24_se0_noskip"
    assert stage_from_code(stage_code(stage)) == stage


@settings(**FIXED)
@given(stages())
def test_stage_code_round_trips(stage):
    assert stage_from_code(stage_code(stage)) == stage


@settings(max_examples=60, **FIXED)
@given(archs())
def test_arch_code_round_trips(arch):
    assert arch_from_code(arch_code(arch)) == arch


@settings(max_examples=40, **FIXED)
@given(archs())
def test_yaml_round_trips(arch):
    assert arch_from_yaml(arch_to_yaml(arch, name="x")) == arch


def test_b0_yaml_file_round_trips_through_disk(tmp_path):
    path = tmp_path / "b0.yaml"
    path.write_text(arch_to_yaml(reference_b0(), name="efficientnet-b0"), encoding="utf-8")
    assert load_arch_file(path) == reference_b0()


def test_yaml_with_code_key_is_parsed_as_a_code():
    code = arch_code(reference_b0())
    assert arch_from_yaml(f"code: '{code}'\n") == reference_b0()
