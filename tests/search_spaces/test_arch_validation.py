"""Invalid specs are refused with a SpecError (a UserError: one line, exit code 2)."""

from __future__ import annotations

import pytest

from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.arch_yaml import arch_from_yaml, load_arch_file
from search_spaces.codes import arch_from_code, stage_from_code
from search_spaces.errors import SpecError, UserError

GOOD = {
    "op": "mbconv",
    "kernel": 3,
    "stride": 1,
    "expansion": 6,
    "se_ratio": 0.25,
    "skip": True,
    "out_channels": 16,
    "layers": 1,
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"op": "transformer"}, "unknown op"),
        ({"kernel": 4}, "kernel 4"),
        ({"stride": 3}, "stride 3"),
        ({"expansion": 5}, "expansion 5"),
        ({"op": "dsconv", "expansion": 6}, "no expansion"),
        ({"se_ratio": 1.5}, "se_ratio"),
        ({"se_ratio": float("nan")}, "se_ratio"),
        ({"out_channels": 0}, "out_channels"),
        ({"layers": 0}, "layers"),
        ({"layers": 1000}, "layers"),
    ],
)
def test_bad_stage_is_a_spec_error(change, message):
    with pytest.raises(SpecError, match=message):
        StageSpec(**{**GOOD, **change})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stages": ()}, "at least one stage"),
        ({"resolution": 4}, "resolution"),
        ({"resolution": 100_000}, "resolution"),
        ({"dropout": 1.0}, "dropout"),
        ({"stem_stride": 4}, "stem_stride"),
        ({"stem_kernel": 2}, "stem_kernel"),
        ({"head_channels": -1}, "head_channels"),
    ],
)
def test_bad_arch_is_a_spec_error(change, message):
    with pytest.raises(SpecError, match=message):
        ArchSpec(**{"stages": (StageSpec(**GOOD),), **change})


def test_spec_error_is_a_user_error():
    assert issubclass(SpecError, UserError)


@pytest.mark.parametrize("code", ["mbconv_k3", "mbconv_r1_k3_s1_e6_c16_seX", "mbconv_r1_k4_s1_e6_c16_se0.25"])
def test_malformed_or_invalid_stage_code_is_refused(code):
    with pytest.raises(SpecError):
        stage_from_code(code)


def test_malformed_arch_code_is_refused():
    with pytest.raises(SpecError, match="stem"):
        arch_from_code("stam_c32_k3_s2|mbconv_r1_k3_s1_e1_c16_se0.25|head_c1280|res224_do0.2_sd0.2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stages: [\n", "not valid YAML"),
        ("- 1\n- 2\n", "mapping"),
        ("stages: []\n", "non-empty"),
        ("stages:\n  - {op: mbconv, kernel: 3, out_channels: 16, layers: 1, colour: red}\n", "unknown key"),
        ("stages:\n  - {op: mbconv, kernel: 3, layers: 1}\n", "missing key"),
        ("stages:\n  - {op: mbconv, kernel: three, out_channels: 16, layers: 1}\n", "number"),
        ("stages:\n  - {op: mbconv, kernel: 3.5, out_channels: 16, layers: 1}\n", "whole number"),
    ],
)
def test_malformed_yaml_is_a_spec_error(text, message):
    with pytest.raises(SpecError, match=message):
        arch_from_yaml(text)


def test_yaml_reads_exponent_notation_as_a_number():
    text = "drop_connect: 2e-1\nstages:\n  - {op: conv, kernel: 3, out_channels: 8, layers: 1}\n"
    assert arch_from_yaml(text).drop_connect == pytest.approx(0.2)


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_arch_file(tmp_path / "absent.yaml")
