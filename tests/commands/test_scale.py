"""``effsearch scale``: JSON/YAML/table output, phi ranges, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import cli
from commands.scale import parse_phis
from scaling_search.coefficients_file import PAPER, Coefficients, save_coefficients
from scaling_search.official import OFFICIAL, official_arch
from scaling_search.scale import scale
from search_spaces.arch_yaml import arch_from_dict, arch_from_yaml, arch_to_yaml, reference_b0
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["scale", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, *argv: str) -> list[dict]:
    code, out, err = _run(capsys, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_json_has_the_documented_keys_as_integers(capsys):
    (row,) = _json(capsys, "--phi", "1")
    assert {"phi", "width", "depth", "resolution", "params", "macs"} <= set(row)
    assert all(isinstance(row[k], int) for k in ("resolution", "params", "macs"))
    arch = scale(reference_b0(), PAPER.alpha, PAPER.beta, PAPER.gamma, 1)
    cost = count_cost(arch)
    assert (row["phi"], row["resolution"], row["params"], row["macs"]) == (1, 258, cost.params, cost.macs)
    assert row["width"] == pytest.approx(1.1) and row["depth"] == pytest.approx(1.2)
    assert row["code"] == arch_code(arch)


def test_range_is_inclusive(capsys):
    rows = _json(capsys, "--phi", "0-7")
    assert [r["phi"] for r in rows] == list(range(8))
    assert rows[0]["macs_ratio"] == 1.0 and rows[0]["macs"] == 385_814_752


def test_paper_coefficients_grow_about_two_to_the_phi(capsys):
    rows = _json(capsys, "--phi", "0-7")
    ratios = [r["macs_ratio"] / 2 ** r["phi"] for r in rows]
    assert all(0.75 < ratio < 1.35 for ratio in ratios), ratios


def test_classes_change_the_classifier_cost(capsys):
    (row,) = _json(capsys, "--phi", "0", "--classes", "10")
    assert row["params"] == 5_288_548 - 1281 * 990 and row["classes"] == 10


def test_official_reports_torchvisions_sizes_and_the_paper(capsys):
    rows = _json(capsys, "--phi", "0-7", "--coefficients", "official")
    assert [r["params"] for r in rows] == [m.torchvision_params for m in OFFICIAL]
    assert [r["macs"] for r in rows] == [m.torchvision_macs for m in OFFICIAL]
    assert [r["paper_flops"] for r in rows] == [m.paper_flops for m in OFFICIAL]
    assert [r["resolution"] for r in rows] == [m.resolution for m in OFFICIAL]


def test_yaml_round_trip_single(capsys):
    code, out, _ = _run(capsys, "--phi", "1.5", "--format", "yaml")
    assert code == 0
    assert arch_from_yaml(out) == scale(reference_b0(), 1.2, 1.1, 1.15, 1.5)


def test_yaml_round_trip_many(capsys):
    code, out, _ = _run(capsys, "--phi", "0-2", "--coefficients", "official", "--format", "yaml")
    assert code == 0
    docs = list(yaml.safe_load_all(out))
    assert [d["name"] for d in docs] == ["efficientnet-b0", "efficientnet-b1", "efficientnet-b2"]
    assert [arch_from_dict(d) for d in docs] == [official_arch(i) for i in range(3)]


def test_table_shows_ratios_and_the_paper_side_by_side(capsys):
    code, out, _ = _run(capsys, "--phi", "0-7", "--coefficients", "official")
    assert code == 0
    assert "MACs/phi0" in out and "2^phi" in out and "worst" in out
    assert "0.70B/0.69B*" in out and "7.8M/7.8M" in out and "19B/19B" in out


def test_table_for_paper_coefficients(capsys):
    code, out, _ = _run(capsys, "--phi", "0,0.5,1")
    assert code == 0 and "alpha=1.2 beta=1.1 gamma=1.15" in out and "0.5" in out


def test_out_writes_the_file(capsys, tmp_path):
    target = tmp_path / "deep" / "family.json"
    code, out, _ = _run(capsys, "--phi", "0-1", "--format", "json", "--out", str(target))
    assert code == 0 and str(target) in out
    assert len(json.loads(target.read_text())) == 2


def test_out_table(capsys, tmp_path):
    target = tmp_path / "t.txt"
    assert _run(capsys, "--phi", "0-3", "--out", str(target))[0] == 0
    assert "worst" in target.read_text()


def test_base_file_and_matching_coefficients_file(capsys, tmp_path):
    base = official_arch("b1")
    base_path = tmp_path / "base.yaml"
    base_path.write_text(arch_to_yaml(base))
    coeffs = save_coefficients(Coefficients(1.1, 1.1, 1.1, "s", arch_code(base)), tmp_path / "c.yaml")
    rows = _json(capsys, "--phi", "2", "--base", str(base_path), "--coefficients", str(coeffs))
    assert rows[0]["code"] == arch_code(scale(base, 1.1, 1.1, 1.1, 2))


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1.5", [1.5]),
        ("0-3", [0, 1, 2, 3]),
        ("2-2", [2]),
        (" 0 - 1 , 2.5", [0, 1, 2.5]),
        ("0,1e0", [0, 1]),
    ],
)
def test_parse_phis(text, expected):
    assert parse_phis(text) == expected


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "abc", "3-1", "0.5-2", "1-2-3", "", "1,,2", "0-5000"])
def test_parse_phis_refuses(text):
    with pytest.raises(UserError):
        parse_phis(text)


def _b1_coefficients(tmp_path: Path) -> str:
    path = save_coefficients(
        Coefficients(1.2, 1.1, 1.15, "s", arch_code(official_arch("b1"))), tmp_path / "b1_coefficients.yaml"
    )
    return str(path)


ERROR_CASES = {
    "negative": (["--phi=-1"], "phi must be a finite number >= 0"),
    "nan": (["--phi", "nan"], "phi must be a finite number >= 0"),
    "inf": (["--phi", "inf"], "phi must be a finite number >= 0"),
    "not a number": (["--phi", "two"], "neither a number nor a range"),
    "backwards range": (["--phi", "7-0"], "runs backwards"),
    "real range": (["--phi", "0.5-2"], "neither a number nor a range"),
    "too large": (["--phi", "30"], "phi=30 gives a network too large to build/train"),
    "huge range": (["--phi", "0-100000"], "more than 1000 models"),
    "unknown coefficients": (["--phi", "1", "--coefficients", "magic"], "unknown coefficients 'magic'"),
    "official beyond b7": (["--phi", "8", "--coefficients", "official"], "covers integer phi 0..7"),
    "official real phi": (["--phi", "1.5", "--coefficients", "official"], "covers integer phi 0..7"),
    "missing base": (["--phi", "1", "--base", "no/such.yaml"], "file not found"),
    "bad classes": (["--phi", "1", "--classes", "0"], "--classes must be at least 1"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_errors_are_one_line_and_exit_code_2(capsys, case):
    argv, message = ERROR_CASES[case]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and err.startswith("effsearch scale: error:")


def test_file_errors_are_one_line_and_exit_code_2(capsys, tmp_path):
    bad_base = tmp_path / "bad.yaml"
    bad_base.write_text("stages: [{op: warp}]\n")
    bad_coeffs = tmp_path / "bad_c.yaml"
    bad_coeffs.write_text("alpha: x\n")
    b1_base = tmp_path / "b1.yaml"
    b1_base.write_text(arch_to_yaml(official_arch("b1")))
    cases = [
        (["--base", str(bad_base)], str(bad_base)),
        (["--coefficients", str(bad_coeffs)], "alpha must be a number"),
        (["--coefficients", _b1_coefficients(tmp_path)], "were found for another base architecture"),
        (["--base", str(b1_base), "--coefficients", "official"], "scales EfficientNet-B0 only"),
        (["--out", str(tmp_path)], "cannot write"),
    ]
    for argv, message in cases:
        code, out, err = _run(capsys, "--phi", "1", *argv)
        assert code == 2 and err.count("\n") == 1 and message in err, (argv, err)


def test_the_installed_command_exits_2_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cli", "scale", "--phi", "-3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "phi must be" in result.stderr


def test_the_installed_command_prints_json():
    result = subprocess.run(
        [sys.executable, "-m", "cli", "scale", "--phi", "0-1", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [r["phi"] for r in json.loads(result.stdout)] == [0, 1]


@pytest.mark.parametrize("argv", [["--phi", "1", "--format", "xml"], [], ["--phi", "1", "--classes", "ten"]])
def test_flag_errors_are_one_line_and_exit_code_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(["scale", *argv])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1


@pytest.mark.parametrize("coefficients", ["official", "paper"])
def test_phi_7_has_b7_dropout(capsys, coefficients):
    (row,) = _json(capsys, "--phi", "7", "--coefficients", coefficients)
    assert row["dropout"] == 0.5 and row["drop_connect"] == 0.2


def test_dropout_is_interpolated_between_released_rows(capsys):
    rows = _json(capsys, "--phi", "0,1.5,2")
    assert [r["dropout"] for r in rows] == [0.2, 0.25, 0.3]
