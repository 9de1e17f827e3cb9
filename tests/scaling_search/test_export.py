"""`effsearch export`: every format round-trips to the same outputs as the original network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

import cli
from scaling_search.coefficients_file import Coefficients, save_coefficients
from scaling_search.export import build, example_input, export
from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.arch_yaml import arch_to_yaml, load_arch_file
from search_spaces.codes import arch_code

TINY = ArchSpec(
    stages=(
        StageSpec("mbconv", 3, 1, 1, 0.25, True, 8, 1),
        StageSpec("mbconv", 5, 2, 3, 0.25, True, 16, 2),
        StageSpec("dsconv", 3, 2, 1, 0.0, True, 24, 1),
    ),
    stem_channels=8,
    head_channels=32,
    resolution=32,
)


def _need(module: str) -> None:
    """Skip where an optional ONNX package is missing (pyproject's test extra should bring them)."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


@pytest.fixture
def original() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = build(TINY, num_classes=10, in_channels=1)
    x = example_input(TINY, 1)
    with torch.no_grad():
        return model, x, model(x)


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_torchscript_gives_the_same_outputs(tmp_path: Path, original) -> None:
    model, x, expected = original
    export(TINY, "torchscript", tmp_path / "m.pt", num_classes=10, in_channels=1)
    loaded = torch.jit.load(str(tmp_path / "m.pt")).eval()
    # the exported network is a fresh init, so load the same weights into it first
    loaded.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_torchscript_of_loaded_weights_matches_without_touching_it(tmp_path: Path, original) -> None:
    model, x, expected = original
    torch.save(model.state_dict(), tmp_path / "w.pt")
    export(TINY, "torchscript", tmp_path / "m.pt", weights=tmp_path / "w.pt", num_classes=10, in_channels=1)
    loaded = torch.jit.load(str(tmp_path / "m.pt")).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("exporter", ["legacy", "dynamo"])
def test_onnx_gives_the_same_outputs(tmp_path: Path, original, exporter: str) -> None:
    _need("onnx")
    _need("onnxruntime")
    if exporter == "dynamo":
        _need("onnxscript")
    import onnx
    import onnxruntime

    model, x, expected = original
    torch.save(model.state_dict(), tmp_path / "w.pt")
    path = tmp_path / "m.onnx"
    result = export(
        TINY, "onnx", path, weights=tmp_path / "w.pt", num_classes=10, in_channels=1, exporter=exporter
    )
    assert result.exporter == exporter
    onnx.checker.check_model(str(path))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    torch.testing.assert_close(torch.from_numpy(got), expected, rtol=1e-4, atol=1e-5)
    # the batch axis is dynamic
    x3 = torch.randn(3, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    (got3,) = session.run(None, {"input": x3.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(got3), model(x3), rtol=1e-4, atol=1e-5)


def test_state_dict_loads_back(tmp_path: Path, original) -> None:
    model, x, expected = original
    torch.save(model.state_dict(), tmp_path / "w.pt")
    export(TINY, "state-dict", tmp_path / "sd.pt", weights=tmp_path / "w.pt", num_classes=10, in_channels=1)
    torch.manual_seed(123)
    fresh = build(TINY, num_classes=10, in_channels=1)
    fresh.load_state_dict(torch.load(tmp_path / "sd.pt", weights_only=True))
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(x), expected)


def test_yaml_export_reads_back_as_the_same_architecture(tmp_path: Path) -> None:
    export(TINY, "yaml", tmp_path / "a.yaml")
    assert load_arch_file(tmp_path / "a.yaml") == TINY


def test_cli_exports_the_scaled_network(tmp_path: Path, capsys) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(arch_to_yaml(TINY))
    coeffs = tmp_path / "coefficients.yaml"
    save_coefficients(Coefficients(1.2, 1.1, 1.15, "test", arch_code(TINY)), coeffs)
    out = tmp_path / "scaled.yaml"
    argv = ["export", "--base", str(base), "--coefficients", str(coeffs), "--phi", "2"]
    assert cli.main([*argv, "--format", "yaml", "--out", str(out)]) == 0
    scaled = load_arch_file(out)
    assert scaled.resolution == round(32 * 1.15**2)
    assert [s.layers for s in scaled.stages] == [2, 3, 2]  # ceil(n * 1.44)
    assert "wrote" in capsys.readouterr().out


def _one_line_error(capsys, argv: list[str], needle: str) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err


def test_base_that_is_not_an_architecture_is_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("alpha: 1.2\nbeta: 1.1\n")
    _one_line_error(
        capsys, ["export", "--base", str(bad), "--format", "yaml", "--out", str(tmp_path / "o")], "bad.yaml"
    )


def test_coefficients_of_another_base_are_refused(tmp_path: Path, capsys) -> None:
    coeffs = tmp_path / "c.yaml"
    save_coefficients(Coefficients(1.2, 1.1, 1.15, "test", arch_code(TINY)), coeffs)
    argv = ["export", "--base", "b0", "--coefficients", str(coeffs), "--phi", "1", "--format", "yaml"]
    _one_line_error(capsys, [*argv, "--out", str(tmp_path / "o.yaml")], "another base")


def test_weights_that_do_not_fit_are_one_line(tmp_path: Path, capsys) -> None:
    torch.save(build(TINY, num_classes=10, in_channels=1).state_dict(), tmp_path / "w.pt")
    argv = ["export", "--base", "b0", "--format", "state-dict", "--weights", str(tmp_path / "w.pt")]
    _one_line_error(capsys, [*argv, "--out", str(tmp_path / "o.pt")], "do not fit")


def test_phi_without_coefficients_is_one_line(tmp_path: Path, capsys) -> None:
    argv = ["export", "--phi", "1", "--format", "yaml", "--out", str(tmp_path / "o.yaml")]
    _one_line_error(capsys, argv, "--coefficients and --phi")


def test_absurd_phi_is_one_line(tmp_path: Path, capsys) -> None:
    argv = ["export", "--coefficients", "paper", "--phi", "60", "--format", "yaml"]
    _one_line_error(capsys, [*argv, "--out", str(tmp_path / "o.yaml")], "too large")
