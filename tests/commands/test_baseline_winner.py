"""The baseline search keeps its winner's weights (``<out>/<study>/winner.pt``): they load into the
network the file names and reproduce the validation accuracy the study recorded for the winner."""

from __future__ import annotations

import optuna
import torch
import yaml

import cli
from nas.data.datasets import load_dataset
from nas.search.driver import ranked
from nas.training.checkpoint import load_into, read_weights
from nas.training.device_data import prepare
from nas.training.loop import validate
from nas.training.proxy import load_proxy
from search_spaces.builder import build_model
from search_spaces.codes import arch_from_code
from tests.nas.search.conftest import tiny_setup
from tests.nas.search.test_driver import DATASET


def test_the_winners_weights_reproduce_its_recorded_accuracy(tmp_path):
    tiny = tiny_setup(tmp_path)
    assert cli.main([*tiny["args"], "--n-trials", "3", "--quiet"]) == 0
    folder = tiny["dir"] / "runs" / "tiny"
    notes = yaml.safe_load((folder / "baseline.yaml").read_text())["notes"]
    assert notes["weights"] == str(folder / "winner.pt")
    study = optuna.load_study(study_name="tiny", storage=tiny["storage"])
    best = ranked(study)[0]
    kept = read_weights(folder / "winner.pt")
    assert kept.notes["arch_code"] == best.user_attrs["arch_code"]
    proxy = load_proxy(tiny["proxy"])
    assert kept.arch == proxy.train_arch(arch_from_code(best.user_attrs["arch_code"]))
    model = build_model(kept.arch, kept.num_classes, kept.in_channels)
    load_into(model, kept.state_dict, "winner.pt")
    data = load_dataset(DATASET, val_size=proxy.val_size, seed=proxy.seed)
    device_data = prepare(data, proxy, torch.device("cpu"))
    accuracy = validate(model, device_data, proxy.eval_batch_size, amp=False, channels_last=False)
    assert accuracy == best.user_attrs["accuracy"]


def test_a_oneshot_search_keeps_the_promoted_winners_first_seed(oneshot_db):
    from pathlib import Path

    from results.oneshot import promotion_of
    from tests.oneshot_fixtures import ONESHOT_STUDY

    folder = Path(oneshot_db.removeprefix("sqlite:///")).parent / "runs" / ONESHOT_STUDY
    promotion = promotion_of(optuna.load_study(study_name=ONESHOT_STUDY, storage=oneshot_db))
    assert promotion is not None and promotion.winner is not None and promotion.winner.role == "promoted"
    kept = read_weights(folder / "winner.pt")
    assert kept.notes["arch_code"] == promotion.winner.arch_code and kept.notes["seed"] == 0
    assert yaml.safe_load((folder / "baseline.yaml").read_text())["notes"]["weights"] == str(
        Path("runs") / ONESHOT_STUDY / "winner.pt"
    )
