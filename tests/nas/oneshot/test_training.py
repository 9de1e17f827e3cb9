"""Supernet training: store settings, refusal of a mismatch, reuse, resume after SIGKILL, and
``baseline --strategy oneshot`` end to end (fidelity per trial, promotion, reuse across targets)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import torch
import yaml

import cli
from nas.data.datasets import load_dataset
from nas.oneshot.store import SupernetStore
from nas.oneshot.training import supernet_settings, train_supernet
from nas.training.proxy import load_proxy
from search_spaces.errors import UserError
from search_spaces.space_yaml import load_space
from tests.nas.search.test_driver import DATASET, TINY_PROXY, TINY_SPACE

ROOT = Path(__file__).resolve().parents[3]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "space.yaml").write_text(TINY_SPACE)
    (tmp_path / "proxy.yaml").write_text(TINY_PROXY)
    proxy = load_proxy(tmp_path / "proxy.yaml")
    data = load_dataset(DATASET, val_size=proxy.val_size, seed=proxy.seed)
    space = load_space(tmp_path / "space.yaml")
    return tmp_path, space, proxy, data


def _settings(space, proxy, data, epochs=1):
    return supernet_settings(space, DATASET, data, proxy, epochs=epochs, train_subset=proxy.train_subset)


def test_matching_supernet_is_reused_and_a_mismatch_refused(tiny):
    tmp, space, proxy, data = tiny
    store = SupernetStore(tmp / "sn")
    first = train_supernet(space, data, _settings(space, proxy, data), store, device="cpu")
    assert first.resumed_from == 0 and len(first.history) == 1
    stored = json.loads(store.settings_path.read_text())
    assert stored["epochs_done"] == 1 and stored["settings"]["space_hash"] == space.fingerprint()
    assert {"largest_loss", "smallest_val_acc"} <= set(stored["history"][0])
    again = train_supernet(space, data, _settings(space, proxy, data), store, device="cpu")
    assert again.reused and again.history == first.history
    for a, b in zip(first.supernet.state_dict().values(), again.supernet.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(UserError, match=r"epochs: 1 \(stored\) vs 2 \(now\)"):
        train_supernet(space, data, _settings(space, proxy, data, epochs=2), store, device="cpu")
    other = proxy.with_overrides(lr=0.05)
    with pytest.raises(UserError, match=r"proxy\.lr"):
        train_supernet(space, data, _settings(space, other, data), store, device="cpu")


SCRIPT = """
import sys, time, torch
torch.set_num_threads(1)
from nas.data.datasets import load_dataset
from nas.oneshot.store import SupernetStore
from nas.oneshot.training import supernet_settings, train_supernet
from nas.training.proxy import load_proxy
from search_spaces.space_yaml import load_space
tmp = sys.argv[1]
proxy = load_proxy(tmp + "/proxy.yaml")
data = load_dataset(sys.argv[2], val_size=proxy.val_size, seed=proxy.seed)
space = load_space(tmp + "/space.yaml")
s = supernet_settings(space, sys.argv[2], data, proxy, epochs=3, train_subset=proxy.train_subset)
store = SupernetStore(tmp + "/sn")
train_supernet(space, data, s, store, device="cpu", progress=lambda a, b: time.sleep(0.5))
"""


@pytest.mark.slow
def test_training_resumes_after_sigkill(tiny):
    tmp, space, proxy, data = tiny
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp), DATASET], cwd=ROOT, env=env)
    store = SupernetStore(tmp / "sn")
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if store.settings_path.exists() and store.epochs_done() >= 1:
                break
            time.sleep(0.2)
        assert child.poll() is None, "the child finished before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    done = store.epochs_done()
    assert 1 <= done < 3
    resumed = train_supernet(space, data, _settings(space, proxy, data, epochs=3), store, device="cpu")
    assert resumed.resumed_from == done and [m["epoch"] for m in resumed.history] == [1, 2, 3]


@pytest.mark.slow
def test_baseline_oneshot_end_to_end_promotes_and_reuses_the_supernet(tiny, monkeypatch, capsys):
    tmp, *_ = tiny
    monkeypatch.chdir(tmp)
    storage = f"sqlite:///{tmp}/study.db"
    args = [
        "baseline",
        "--strategy",
        "oneshot",
        "--space",
        "space.yaml",
        "--proxy",
        "proxy.yaml",
        "--dataset",
        DATASET,
        "--search-resolution",
        "32",
        "--device",
        "cpu",
        "--storage",
        storage,
        "--n-trials",
        "6",
        "--supernet-epochs",
        "1",
        "--promote",
        "2",
        "--repeats",
        "2",
        "--quiet",
    ]
    assert cli.main([*args, "--target-flops", "400K", "--study", "a"]) == 0
    out = capsys.readouterr().out
    assert "supernet: training" in out and "winner" in out
    study = optuna.load_study(study_name="a", storage=storage)  # plain Optuna reader
    by_fidelity = {}
    for t in study.trials:
        by_fidelity.setdefault(t.user_attrs.get("fidelity"), []).append(t)
    assert set(by_fidelity) == {"supernet", "standalone"}
    promoted = [t for t in by_fidelity["standalone"] if t.state == optuna.trial.TrialState.COMPLETE]
    assert {t.user_attrs["seed"] for t in promoted} == {0, 1}
    assert {t.user_attrs["role"] for t in promoted} == {"promoted", "reference"}
    means = {}
    for t in promoted:
        means.setdefault(t.user_attrs["arch_code"], []).append(t.user_attrs["reward"])
    best_code = max(means, key=lambda c: sum(means[c]) / len(means[c]))
    found = next(tmp.glob("runs/a/baseline.yaml"))
    notes = yaml.safe_load(found.read_text())["notes"]
    assert notes["reward"] == pytest.approx(sum(means[best_code]) / len(means[best_code]))
    assert study.user_attrs["supernet_history"][0]["epoch"] == 1
    # Another target reuses the supernet (no training) and a changed recipe is refused.
    assert cli.main([*args, "--target-flops", "300K", "--study", "b"]) == 0
    assert "supernet: reusing" in capsys.readouterr().out
    assert cli.main([*args, "--target-flops", "300K", "--study", "c", "--supernet-epochs", "2"]) == 2
    assert "trained with other settings" in capsys.readouterr().err
