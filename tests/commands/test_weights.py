"""Weights that can be kept: `evaluate --save` -> `export --weights` -> ONNX equal to the trained model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cli
import effsearch
from nas.training.checkpoint import FORMAT, read_weights

DATA = "synthetic:classes=4,size=16,channels=1,train=200,test=20"
FAST = ["--dataset", DATA, "--resolution", "16", "--epochs", "1", "--train-subset", "64", "--device", "cpu"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short training of B0 kept with --save (shared by the tests of this module)."""
    before = torch.get_num_threads()
    path = tmp_path_factory.mktemp("weights") / "w.pt"
    try:
        assert (
            cli.main(["evaluate", "--arch", "b0", *FAST, "--quiet", "--threads", "1", "--save", str(path)])
            == 0
        )
    finally:
        torch.set_num_threads(before)
    return path


def test_the_file_holds_weights_architecture_and_shape(trained):
    raw = torch.load(trained, map_location="cpu", weights_only=True)
    assert raw["format"] == FORMAT and (raw["num_classes"], raw["in_channels"], raw["resolution"]) == (
        4,
        1,
        16,
    )
    kept = read_weights(trained)
    assert kept.arch is not None and kept.arch.stem_stride == 1  # the proxy's small-input adaptation
    assert len(kept.mean) == len(kept.std) == 1
    model = effsearch.create_model("b0", weights=trained)
    assert model.classifier[-1].out_features == 4
    assert torch.equal(model.state_dict()["classifier.1.weight"], kept.state_dict["classifier.1.weight"])


def test_onnx_export_matches_the_trained_model(trained, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "m.onnx"
    assert (
        cli.main(["export", "--arch", "b0", "--weights", str(trained), "--format", "onnx", "--out", str(out)])
        == 0
    )
    assert "trained weights from" in capsys.readouterr().out
    model = effsearch.create_model("b0", weights=trained).eval()
    x = torch.randn(3, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(x).numpy()
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_export_refuses_an_untrained_network_unless_asked(tmp_path, capsys):
    out = tmp_path / "m.pt"
    assert cli.main(["export", "--arch", "b0", "--format", "state-dict", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--random-init" in err and not out.exists()
    argv = ["export", "--base", "b0", "--format", "state-dict", "--random-init", "--out", str(out)]
    assert cli.main(argv) == 0 and out.is_file()
    assert "untrained" in capsys.readouterr().out


def test_weights_of_evaluate_do_not_take_a_phi(trained, tmp_path, capsys):
    argv = ["export", "--weights", str(trained), "--coefficients", "paper", "--phi", "1", "--format", "onnx"]
    assert cli.main([*argv, "--out", str(tmp_path / "m.onnx")]) == 2
    assert "drop --phi" in capsys.readouterr().err
