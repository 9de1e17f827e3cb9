"""``effsearch evaluate``: JSON/table output, progress to stderr, every user error is exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from search_spaces.arch_yaml import arch_to_yaml
from tests.nas.training.trainer_helpers import tiny_arch  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--dataset", "synthetic", "--resolution", "16", "--epochs", "2", "--device", "cpu", "--quiet"]


@pytest.fixture
def arch_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(arch_to_yaml(tiny_arch(), "tiny"))
    return str(path)


def test_json_output(arch_file, capsys):
    code = cli.main(["evaluate", "--arch", arch_file, *FAST, "--batch-size", "64", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads(out)
    for key in ("accuracy", "wall_s", "images_per_s", "curve", "status", "epochs_run", "macs", "params"):
        assert key in report
    assert report["status"] == "ok" and len(report["curve"]) == 2 and report["proxy"]["resolution"] == 16
    assert "test_accuracy" not in report


def test_json_out_file_holds_only_the_report(arch_file, tmp_path, capsys):
    target = tmp_path / "report.json"
    code = cli.main(["evaluate", "--arch", arch_file, *FAST, "--batch-size", "64", "--json-out", str(target)])
    assert code == 0
    report = json.loads(target.read_text())  # the whole file parses: nothing but JSON in it
    assert report["status"] == "ok" and len(report["curve"]) == 2
    assert "val accuracy" in capsys.readouterr().out  # the table still goes to the terminal


def test_table_output_with_test_accuracy(arch_file, capsys):
    code = cli.main(["evaluate", "--arch", arch_file, *FAST, "--train-subset", "320", "--test"])
    out = capsys.readouterr().out
    assert code == 0
    assert "val accuracy" in out and "test accuracy" in out and "images/s" in out and "320" in out


def test_nan_exits_1(arch_file, capsys):
    code = cli.main(["evaluate", "--arch", arch_file, *FAST, "--lr", "1e8", "--format", "json"])
    assert code == 1
    assert json.loads(capsys.readouterr().out)["status"] == "nan"


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--dataset", "nope"], "unknown dataset"),
        (["--data-dir", "/does/not/exist"], "does not exist"),
        (["--resolution", "4"], "resolution must be within 8"),
        (["--resolution", "100000"], "resolution must be within"),
        (["--proxy", "/no/such/proxy.yaml"], "proxy file not found"),
        (["--arch", "b99"], "--arch"),
        (["--device", "tpu"], "unknown device"),
        (["--train-subset", "lots"], "--train-subset"),
        (["--epochs", "0"], "epochs must be within"),
    ],
)
def test_user_errors_exit_2(argv, match, capsys):
    assert cli.main(["evaluate", *argv]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1


def test_imagefolder_errors_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "one" / "cats").mkdir(parents=True)
    from PIL import Image

    Image.new("L", (8, 8)).save(tmp_path / "one" / "cats" / "a.png")
    assert cli.main(["evaluate", "--dataset", f"imagefolder:{tmp_path / 'empty'}"]) == 2
    assert "no images" in capsys.readouterr().err
    assert cli.main(["evaluate", "--dataset", f"imagefolder:{tmp_path / 'one'}"]) == 2
    assert "single class" in capsys.readouterr().err


def test_bad_proxy_yaml_exits_2(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text("lr: fast\n")
    assert cli.main(["evaluate", "--proxy", str(path)]) == 2
    assert "lr must be a number" in capsys.readouterr().err


def test_script_prints_one_line_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "evaluate", "--dataset", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_arch_by_name_file_or_code(arch_file):
    from scaling_search.arch_resolver import resolve_arch
    from search_spaces.arch_yaml import reference_b0
    from search_spaces.codes import arch_code

    assert resolve_arch("b0").arch == reference_b0()
    assert resolve_arch("efficientnet-b1").arch.resolution == 240
    assert resolve_arch(arch_file).arch == tiny_arch()
    assert resolve_arch(arch_code(tiny_arch())).arch == tiny_arch()
