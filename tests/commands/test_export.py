"""``effsearch export``: timm's arch_def for timm users, and a candidate with its supernet weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import optuna
import pytest
import torch
import yaml

from cli import main
from nas.data.datasets import load_dataset
from nas.oneshot.scoring import Scorer
from nas.oneshot.store import SupernetSettings, SupernetStore
from nas.oneshot.supernet import Supernet
from nas.oneshot.training import recipe_of, supernet_settings, train_supernet
from nas.training.device_data import prepare
from nas.training.proxy import load_proxy
from search_spaces.codes import arch_code
from search_spaces.space_yaml import load_space
from tests.nas.search.test_driver import DATASET, TINY_PROXY, TINY_SPACE


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_timm_arch_def_goes_to_stdout_without_out(capsys):
    assert main(["export", "--arch", "b0", "--format", "timm-arch-def"]) == 0
    d = yaml.safe_load(capsys.readouterr().out)
    assert d["arch_def"][1] == ["ir_r2_k3_s2_e6_c24_se0.25"] and d["act_layer"] == "swish"
    assert d["kwargs"]["num_features"] == 1280 and d["kwargs"]["stem_size"] == 32


def test_timm_arch_def_to_a_file(tmp_path, capsys):
    out = tmp_path / "b1.timm.yaml"
    assert main(["export", "--arch", "b1", "--format", "timm-arch-def", "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["arch_def"][1] == ["ir_r3_k3_s2_e6_c24_se0.25"]
    assert "architecture only" in capsys.readouterr().out


def test_timm_arch_def_refuses_what_timm_lacks(capsys):
    line = _refused(["export", "--arch", "resnet50", "--format", "timm-arch-def"], capsys)
    assert "bottleneck" in line


def test_a_binary_format_needs_out(capsys):
    assert "--out FILE" in _refused(["export", "--arch", "b0", "--format", "onnx", "--random-init"], capsys)


@pytest.fixture(scope="module")
def tiny_supernet(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny supernet trained for one epoch on synthetic data, and a candidate of its space."""
    folder = tmp_path_factory.mktemp("supernet")
    (folder / "space.yaml").write_text(TINY_SPACE)
    (folder / "proxy.yaml").write_text(TINY_PROXY)
    proxy = load_proxy(folder / "proxy.yaml")
    data = load_dataset(DATASET, val_size=proxy.val_size, seed=proxy.seed)
    space = load_space(folder / "space.yaml")
    settings = supernet_settings(space, DATASET, data, proxy, epochs=1, train_subset=proxy.train_subset)
    store = SupernetStore(folder / "supernets" / "tiny-synthetic")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_supernet(space, data, settings, store, device="cpu")
    finally:
        torch.set_num_threads(threads)
    arch = space.sample(optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1)).ask())
    return {"folder": folder, "store": store.folder, "space": space, "data": data, "arch": arch}


def _supernet_outputs(tiny: dict, x: torch.Tensor) -> torch.Tensor:
    """What the supernet computes with the candidate active, after the scorer's BN calibration."""
    store = SupernetStore(tiny["store"])
    settings = SupernetSettings.from_dict(store.read()["settings"])
    recipe = recipe_of(settings)
    supernet = Supernet(
        tiny["space"],
        settings.num_classes,
        settings.in_channels,
        settings.kernel_transform,
        settings.layout,
    )
    supernet.load_state_dict(store.load_checkpoint()["supernet"])
    scorer = Scorer(
        supernet.eval(), prepare(tiny["data"], recipe, torch.device("cpu")), recipe, seed=recipe.seed
    )
    scorer.accuracy(tiny["arch"])
    supernet.set_active(recipe.train_arch(tiny["arch"]))
    with torch.no_grad():
        return supernet.eval()(x)


def _export_argv(tiny: dict, *more: str) -> list[str]:
    space = str(tiny["folder"] / "space.yaml")
    source = ["--weights-from-supernet", str(tiny["store"]), "--space", space]
    return ["export", "--arch", arch_code(tiny["arch"]), *source, *more]


def test_exported_candidate_computes_what_the_supernet_does(tiny_supernet, tmp_path):
    out = tmp_path / "inherited.pt"
    assert main(_export_argv(tiny_supernet, "--format", "torchscript", "--out", str(out))) == 0
    x = torch.randn(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        exported = torch.jit.load(str(out)).eval()(x)
    torch.testing.assert_close(exported, _supernet_outputs(tiny_supernet, x), rtol=1e-5, atol=1e-5)


def test_arch_outside_the_space_is_refused(tiny_supernet, capsys):
    argv = _export_argv(tiny_supernet, "--format", "onnx", "--out", "x.onnx")
    argv[2] = "b0"
    assert "not a candidate" in _refused(argv, capsys)


@pytest.mark.parametrize("other", [["--random-init"], ["--weights", "w.pt"]])
def test_other_weight_sources_are_refused(tiny_supernet, other, capsys):
    line = _refused(_export_argv(tiny_supernet, "--format", "onnx", "--out", "x.onnx", *other), capsys)
    assert "give one" in line


def test_unfinished_supernet_is_refused(tiny_supernet, tmp_path, capsys):
    unfinished = tmp_path / "unfinished"
    shutil.copytree(tiny_supernet["store"], unfinished)
    record = json.loads((unfinished / "settings.json").read_text())
    (unfinished / "settings.json").write_text(json.dumps({**record, "epochs_done": 0}))
    argv = _export_argv(tiny_supernet, "--format", "onnx", "--out", str(tmp_path / "x.onnx"))
    argv[argv.index(str(tiny_supernet["store"]))] = str(unfinished)
    assert "unfinished" in _refused(argv, capsys)


def test_missing_supernet_is_refused(tiny_supernet, tmp_path, capsys):
    argv = _export_argv(tiny_supernet, "--format", "onnx", "--out", str(tmp_path / "x.onnx"))
    argv[argv.index(str(tiny_supernet["store"]))] = str(tmp_path)
    assert "no supernet" in _refused(argv, capsys)


def test_a_space_from_a_file_must_be_given(tiny_supernet, tmp_path, capsys):
    argv = _export_argv(tiny_supernet, "--format", "onnx", "--out", str(tmp_path / "x.onnx"))
    cut = argv.index("--space")
    assert "--space" in _refused(argv[:cut] + argv[cut + 2 :], capsys)
    assert not Path(tmp_path / "x.onnx").exists()
