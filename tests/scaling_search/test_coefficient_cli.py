"""`effsearch coefficients` end to end: table, files that `effsearch scale` reads, resume, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import cli
from nas.training.proxy import proxy_to_yaml
from scaling_search.coefficients_file import check_base, load_coefficients
from search_spaces.arch_yaml import arch_to_yaml, load_arch_file, reference_b0
from tests.scaling_search.test_coefficient_search import DATASET, PROXY, TINY


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "tiny.yaml").write_text(arch_to_yaml(TINY))
    (tmp_path / "proxy.yaml").write_text(proxy_to_yaml(PROXY))
    return {
        "base": str(tmp_path / "tiny.yaml"),
        "proxy": str(tmp_path / "proxy.yaml"),
        "storage": f"sqlite:///{tmp_path}/runs/effsearch.db",
        "out": str(tmp_path / "runs"),
    }


def _argv(files: dict[str, str], *extra: str) -> list[str]:
    return [
        "coefficients",
        "--base",
        files["base"],
        "--proxy",
        files["proxy"],
        "--dataset",
        DATASET,
        "--device",
        "cpu",
        "--storage",
        files["storage"],
        "--out",
        files["out"],
        "--study",
        "coef",
        "--repeats",
        "1",
        *extra,
    ]


def test_coefficients_then_scale(files: dict[str, str], capsys) -> None:
    assert cli.main(_argv(files, "--max-candidates", "2", "--compare-single")) == 0
    out = capsys.readouterr().out
    assert "compound coefficients at phi=1" in out and ("★" in out or "☆" in out)
    assert "width only" in out and "depth only" in out and "resolution only" in out
    assert "distinct networks after rounding" in out and "rule:" in out
    assert "seed noise not measured" in out and "leading (not established)" in out  # 1 repeat

    folder = Path(files["out"]) / "coef"
    coeffs = load_coefficients(folder / "coefficients.yaml")
    base = load_arch_file(folder / "baseline.yaml")
    assert base == TINY
    check_base(coeffs, base)  # the file belongs to the base
    assert abs(coeffs.constraint - 2) <= 0.1 + 1e-9
    assert (folder / "report.html").exists()
    evidence = yaml.safe_load((folder / "coefficients.yaml").read_text())["evidence"]
    assert evidence["rule"] in ("tolerance", "soft") and evidence["rule"] in evidence["rule_text"]
    for row in evidence["candidates"]:
        assert row["realised_ratio"] == pytest.approx(row["macs_ratio"] / 2, rel=1e-5)
        assert [row["alpha"], row["beta"], row["gamma"]] in row["members"]
    winner = evidence["winner"]
    assert winner["inside_tolerance"] or evidence["rule"] == "soft"
    assert (
        evidence["verdict"]["established"] is False
        and evidence["grid"]["points"] >= evidence["grid"]["distinct_networks"]
    )

    # the dashboard crowns the same network as coefficients.yaml (same rule)
    from results.coefficients import winner
    from results.storage import load_study, open_storage
    from results.tables import trials_frame

    best = winner(trials_frame(load_study(open_storage(files["storage"]), "coef")))
    assert (best["alpha"], best["beta"], best["gamma"]) == (coeffs.alpha, coeffs.beta, coeffs.gamma)

    argv = ["scale", "--phi", "0-3", "--base", str(folder / "baseline.yaml")]
    assert cli.main([*argv, "--coefficients", str(folder / "coefficients.yaml"), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["phi"] for row in rows] == [0, 1, 2, 3]
    assert rows[1]["macs"] > rows[0]["macs"]

    # the same command again resumes: nothing is trained, the same winner is written
    assert cli.main(_argv(files, "--max-candidates", "2", "--compare-single")) == 0
    assert "0 training(s) this run" in capsys.readouterr().out
    assert load_coefficients(folder / "coefficients.yaml") == coeffs


def test_other_settings_on_the_same_study_are_refused(files: dict[str, str], capsys) -> None:
    assert cli.main(_argv(files, "--max-candidates", "1")) == 0
    capsys.readouterr()
    assert cli.main(_argv(files, "--max-candidates", "1", "--repeats", "2")) == 2
    err = capsys.readouterr().err
    assert "different settings" in err and "repeats" in err and len(err.strip().splitlines()) == 1


def test_scale_refuses_coefficients_of_another_base(files: dict[str, str], tmp_path: Path, capsys) -> None:
    assert cli.main(_argv(files, "--max-candidates", "1")) == 0
    capsys.readouterr()
    (tmp_path / "b0.yaml").write_text(arch_to_yaml(reference_b0()))
    coefficients = str(Path(files["out"]) / "coef" / "coefficients.yaml")
    argv = ["scale", "--phi", "1", "--base", str(tmp_path / "b0.yaml"), "--coefficients", coefficients]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "another base" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--phi", "0"], "--phi must be > 0"),
        (["--phi", "-1"], "--phi must be > 0"),
        (["--phi", "nan"], "--phi must be a finite number"),
        (["--phi", "40"], "absurd"),
        (["--grid-step", "0.3", "--tolerance", "0.01"], "keeps no point"),
        (["--grid-step", "0"], "--grid-step"),
        (["--tolerance", "-0.1"], "--tolerance"),
        (["--repeats", "0"], "--repeats"),
        (["--max-candidates", "0"], "--max-candidates"),
        (["--flops-tolerance", "0"], "--flops-tolerance"),
        (["--flops-tolerance", "1.5"], "--flops-tolerance"),
        (["--repeats", "101"], "--repeats"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(
    files: dict[str, str], capsys, extra: list[str], needle: str
) -> None:
    assert cli.main(_argv(files, *extra)) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err
    assert not Path(files["out"], "coef").exists()


def test_a_base_that_is_not_an_architecture_is_one_line(
    files: dict[str, str], tmp_path: Path, capsys
) -> None:
    (tmp_path / "notarch.yaml").write_text("alpha: 1.2\nbeta: 1.1\ngamma: 1.15\n")
    argv = _argv(files)
    argv[argv.index("--base") + 1] = str(tmp_path / "notarch.yaml")
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "notarch.yaml" in err and len(err.strip().splitlines()) == 1
    argv[argv.index("--base") + 1] = str(tmp_path / "missing.yaml")
    assert cli.main(argv) == 2
    assert "missing.yaml" in capsys.readouterr().err


@pytest.mark.slow
def test_fashion_mnist_phi_1_with_compare_single(tmp_path: Path, capsys) -> None:
    """The real thing on a tiny budget: B0 on Fashion-MNIST, one candidate (the paper's point) and
    the three single-dimension models, one epoch on 128 images, the stem at its published stride 2."""
    proxy = tmp_path / "proxy.yaml"
    proxy.write_text("base: default\nepochs: 1\ntrain_subset: 128\nval_size: 200\nstem_stride: 2\n")
    argv = [
        "coefficients",
        "--phi",
        "1",
        "--max-candidates",
        "1",
        "--repeats",
        "1",
        "--compare-single",
        "--proxy",
        str(proxy),
        "--device",
        "cpu",
        "--storage",
        f"sqlite:///{tmp_path}/effsearch.db",
        "--out",
        str(tmp_path / "runs"),
    ]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "resolution only" in out
    assert "a=1.2 b=1.1 g=1.15" in out
    folder = next((tmp_path / "runs").iterdir())
    coeffs = load_coefficients(folder / "coefficients.yaml")
    check_base(coeffs, reference_b0())
    argv = ["scale", "--phi", "0-2", "--base", str(folder / "baseline.yaml")]
    assert cli.main([*argv, "--coefficients", str(folder / "coefficients.yaml")]) == 0


def test_another_baseline_in_the_output_folder_is_refused_before_training(
    files: dict[str, str], capsys
) -> None:
    folder = Path(files["out"]) / "coef"
    folder.mkdir(parents=True)
    (folder / "baseline.yaml").write_text(arch_to_yaml(reference_b0()))
    assert cli.main(_argv(files, "--max-candidates", "1")) == 2
    err = capsys.readouterr().err
    assert "holds another architecture" in err and len(err.strip().splitlines()) == 1
    assert not (folder / "coefficients.yaml").exists()
