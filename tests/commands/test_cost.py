"""``effsearch cost``: numbers, formats, the fvcore audit and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cli import main
from search_spaces.arch_yaml import arch_to_yaml, reference_b0
from search_spaces.codes import arch_code


def _json(capsys, *argv: str) -> dict:
    assert main(["cost", "--format", "json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_b0_json_reports_the_exact_counts(capsys):
    data = _json(capsys)
    assert (data["params"], data["macs"], data["resolution"]) == (5_288_548, 385_814_752, 224)
    assert "fvcore_macs" not in data


def test_audit_adds_fvcore_and_agreement(capsys):
    data = _json(capsys, "--audit", "--resolution", "33")
    assert data["fvcore_macs"] == data["macs"] == 21_692_992
    assert data["agree"] is True


def test_table_shows_parts_and_totals(capsys):
    assert main(["cost", "--arch", "b0", "--audit", "--resolution", "64"]) == 0
    out = capsys.readouterr().out
    assert "stage7" in out and "5,288,548" in out and "agree" in out


def test_yaml_file_classes_and_grayscale(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text(arch_to_yaml(reference_b0(), name="mine"), encoding="utf-8")
    data = _json(capsys, "--arch", str(path), "--classes", "10", "--in-channels", "1")
    assert data["arch"] == "mine.yaml"
    assert data["params"] == 5_288_548 - 990 * 1281 - 2 * 27 * 32 // 3


def test_architecture_code_is_accepted(capsys):
    data = _json(capsys, "--arch", arch_code(reference_b0()))
    assert data["macs"] == 385_814_752


def test_released_b3_is_costed_at_its_own_resolution(capsys):
    data = _json(capsys, "--arch", "b3")
    assert (data["params"], data["resolution"]) == (12_233_232, 300)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--arch", "nope"], "unknown architecture"),
        (["--arch", "b9"], "b9"),
        (["--arch", "missing.yaml"], "not found"),
        (["--resolution", "4"], "resolution"),
        (["--resolution", "100000"], "resolution"),
        (["--classes", "0"], "classes"),
        (["--in-channels", "0"], "input channels"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_two(argv, message, capsys):
    assert main(["cost", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_malformed_yaml_file_is_one_line_and_exit_code_two(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("stages: [\n", encoding="utf-8")
    assert main(["cost", "--arch", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not valid YAML" in err and err.count("\n") == 1


def test_console_script_error_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "cost", "--arch", str(tmp_path / "absent.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and proc.stdout == ""
