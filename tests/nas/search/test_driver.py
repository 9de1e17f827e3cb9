"""The baseline search end to end: trial record, rejection, duplicates, pruning, resume, refusal.

Searches run the real trainer on the ``synthetic`` dataset with a tiny space (two small stages)
and a tiny proxy, so a candidate trains in a fraction of a second; one slow test runs the README
command shape on real Fashion-MNIST.
"""

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
import yaml

import cli
from nas.data.datasets import load_dataset
from nas.search.comparison import Comparison
from nas.search.driver import SearchConfig, open_study, run_search
from nas.search.objective import Band, Objective
from nas.search.reward import Reward
from nas.studies.storage import open_storage
from nas.training.proxy import load_proxy
from nas.training.trainer import evaluate
from search_spaces.arch_yaml import load_arch_file
from search_spaces.codes import arch_code, arch_from_code
from search_spaces.cost import count_cost
from search_spaces.space_yaml import load_space, space_from_dict

optuna.logging.set_verbosity(optuna.logging.ERROR)

DATASET = "synthetic:classes=4,size=16,channels=1,train=400,test=50"
TARGET = 400_000  # the tiny reference has 371,488 MACs at 32 px (4 classes, 1 channel)
TINY_SPACE = """
name: tiny
reference:
  resolution: 32
  stem: {channels: 8, kernel: 3, stride: 2}
  head: {channels: 32}
  dropout: 0.0
  drop_connect: 0.0
  stages:
    - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, out_channels: 8, layers: 1}
    - {op: mbconv, kernel: 3, stride: 2, expansion: 4, se_ratio: 0.25, out_channels: 16, layers: 2}
choices:
  op: [mbconv, dsconv, conv]
  kernel: [3, 5]
  expansion: [1, 4]
  se: [0, 0.25]
  filters: [0.5, 1.0, 2.0]
  layers: [-1, 0, 1]
"""
TINY_PROXY = """
epochs: 2
train_subset: 128
val_size: 64
resolution: 16
batch_size: 64
eval_batch_size: 64
crop_padding: 2
"""
RECORD_TYPES = {
    "arch_code": str,
    "macs": int,
    "params": int,
    "epochs_run": int,
    "wall_s": float,
    "images_per_s": float,
    "device": str,
    "curve": list,
    "reason": str,
    "role": str,
}


def tiny_reference() -> Comparison:
    """The tiny space's own reference as the comparison network (B0 would dwarf a 400K target)."""
    space = space_from_dict(yaml.safe_load(TINY_SPACE)).with_resolution(32)
    return Comparison("tiny-reference", space.reference)


def load(tiny) -> optuna.Study:
    return optuna.load_study(study_name="tiny", storage=tiny["storage"])


def finished(study):
    return [t for t in study.trials if t.state.is_finished()]


class Counting:
    """The real trainer, counting its calls (what 'no training' means)."""

    def __init__(self, data, proxy):
        self.data, self.proxy, self.calls = data, proxy, []

    def __call__(self, arch, on_epoch):
        self.calls.append(arch_code(arch))
        return evaluate(arch, self.data, self.proxy, device="cpu", on_epoch=on_epoch)


def config_for(tiny, **changes) -> tuple[SearchConfig, Counting]:
    proxy = load_proxy(tiny["proxy"])
    data = load_dataset(DATASET, val_size=proxy.val_size, seed=proxy.seed)
    values = dict(
        target=TARGET,
        space=load_space(tiny["space"]).with_resolution(32),
        dataset=DATASET,
        proxy=proxy,
        num_classes=data.num_classes,
        in_channels=data.in_channels,
        storage=tiny["storage"],
        study_name="tiny",
        n_trials=3,
        seed=0,
        sampler="random",
        pruner="none",
    )
    values.update(changes)
    return SearchConfig(**values), Counting(data, proxy)


def test_trial_record_study_attrs_and_baseline_file(tiny, capsys):
    assert cli.main([*tiny["args"], "--n-trials", "3"]) == 0
    out = capsys.readouterr().out
    study = load(tiny)
    assert study.user_attrs["kind"] == "baseline"
    assert study.user_attrs["created_by"] == "effsearch 0.1.0"
    settings = study.user_attrs["settings"]
    assert settings["target_flops"] == TARGET and settings["search_resolution"] == 32
    assert settings["proxy"]["epochs"] == 2 and settings["dataset"] == DATASET
    first = study.trials[0]
    space = load_space(tiny["space"]).with_resolution(32)
    assert first.user_attrs["role"] == "reference"
    assert arch_from_code(first.user_attrs["arch_code"]) == space.reference
    for trial in finished(study):
        attrs = trial.user_attrs
        for key, kind in RECORD_TYPES.items():
            assert isinstance(attrs[key], kind), (trial.number, key)
        assert attrs["macs"] == count_cost(arch_from_code(attrs["arch_code"]), 4, 1).macs
        assert "accuracy" in attrs and "reward" in attrs
        if attrs["reason"] == "" and trial.state == optuna.trial.TrialState.COMPLETE:
            assert attrs["reward"] == pytest.approx(Reward.make(TARGET)(attrs["accuracy"], attrs["macs"]))
            assert trial.value == pytest.approx(attrs["reward"])
            assert attrs["epochs_run"] == 2 and len(attrs["curve"]) == 2
    baseline = tiny["dir"] / "runs" / "tiny" / "baseline.yaml"
    arch = load_arch_file(baseline)
    assert space.contains(arch)
    macs = count_cost(arch, 4, 1).macs
    assert 0.5 * TARGET <= macs <= 1.5 * TARGET
    assert "leaderboard" in out and str(baseline) in out.replace("\n", "")
    # the file records what the search costed for; `cost` defaults to it and prints the same MACs
    fields = yaml.safe_load(baseline.read_text())
    assert (fields["num_classes"], fields["in_channels"], fields["search_resolution"]) == (4, 1, 32)
    assert cli.main(["cost", "--arch", str(baseline), "--format", "json"]) == 0
    costed = json.loads(capsys.readouterr().out)
    assert costed["macs"] == fields["notes"]["macs"] == macs and costed["classes"] == 4


def test_rejected_candidates_are_recorded_and_never_trained(tiny):
    config, evaluator = config_for(tiny, band=Band(0.95, 1.2), n_trials=3, compare=tiny_reference())
    outcome = run_search(config, evaluator, open_storage(tiny["storage"]))
    trials = finished(outcome.study)
    rejected = [t for t in trials if t.user_attrs["reason"].startswith("rejected")]
    trained = [t for t in trials if not t.user_attrs["reason"].startswith(("rejected", "duplicate"))]
    assert rejected, "a narrow band must reject some candidates"
    # rejections do not count toward the budget, nor does the comparison network
    assert len(evaluator.calls) == len(trained) == 3 + 1
    for trial in rejected:
        attrs = trial.user_attrs
        assert attrs["arch_code"] not in evaluator.calls
        assert attrs["epochs_run"] == 0 and attrs["wall_s"] == 0.0 and attrs["curve"] == []
        assert attrs["accuracy"] is None and attrs["reward"] is None
        assert trial.constraints["macs_band"] > 0
        assert not (0.95 * TARGET <= attrs["macs"] <= 1.2 * TARGET)
    # The comparison (0.93xT) is trained even outside the band, and is never ranked.
    reference = trials[0]
    assert reference.user_attrs["role"] == "reference" and reference.user_attrs["accuracy"] is not None
    assert reference.constraints["macs_band"] > 0
    assert all(
        t.constraints["macs_band"] <= 0 and t.user_attrs["role"] == "candidate" for t in outcome.ranking
    )


def test_rejected_candidates_end_pruned_not_complete_with_zero(tiny):
    """optuna-dashboard's history and importances read COMPLETE trials: no made-up zeros there."""
    config, evaluator = config_for(tiny, band=Band(0.95, 1.2), n_trials=2)
    study = run_search(config, evaluator, open_storage(tiny["storage"])).study
    rejected = [t for t in finished(study) if t.user_attrs["reason"].startswith("rejected")]
    assert rejected
    assert all(t.state == optuna.trial.TrialState.PRUNED and t.values is None for t in rejected)
    history = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert history and not [t for t in history if t.user_attrs["reason"].startswith("rejected")]
    assert all(t.value > 0 for t in history)


def test_duplicates_are_served_from_the_study(tiny):
    config, evaluator = config_for(tiny, n_trials=2)
    storage = open_storage(tiny["storage"])
    study = open_study(config, storage)
    params = config.space.params_of(config.space.reference)
    study.enqueue_trial(params)
    study.enqueue_trial(params)  # the same network again
    outcome = run_search(config, evaluator, storage)
    trials = finished(outcome.study)
    original, duplicate = trials[0], trials[1]
    assert duplicate.user_attrs["reason"] == f"duplicate of trial {original.number}"
    assert duplicate.user_attrs["arch_code"] == original.user_attrs["arch_code"]
    assert duplicate.value == original.value
    assert duplicate.user_attrs["accuracy"] == original.user_attrs["accuracy"]
    assert duplicate.user_attrs["epochs_run"] == 0 and duplicate.user_attrs["wall_s"] == 0.0
    assert evaluator.calls.count(original.user_attrs["arch_code"]) == 1
    assert len(evaluator.calls) == 2  # the duplicate did not use up the budget


def test_pruned_candidates_record_the_epoch(tiny):
    config, evaluator = config_for(tiny)
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=2.0))
    objective = Objective(
        config.space,
        config.reward,
        config.band,
        evaluator,
        num_classes=config.num_classes,
        in_channels=config.in_channels,
        epochs=config.proxy.epochs,
    )
    study.enqueue_trial(config.space.params_of(config.space.reference))
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert trial.user_attrs["reason"] == "pruned at epoch 1"
    assert trial.user_attrs["epochs_run"] == 1 and trial.user_attrs["reward"] is None
    assert trial.user_attrs["accuracy"] == trial.user_attrs["curve"][-1]
    assert list(trial.intermediate_values) == [1]


def test_resume_after_a_crash_loses_nothing(tiny):
    """Kill -9 a running search after two trials, rerun the same command: all earlier trials stay."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "cli", *tiny["args"], "--n-trials", "6"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    before = []
    try:
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
            try:
                done = [t for t in finished(load(tiny)) if t.state == optuna.trial.TrialState.COMPLETE]
            except (KeyError, Exception):  # study not created yet
                continue
            if len(done) >= 2:
                break
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    before = {t.number: (t.state, t.params, t.user_attrs, t.values) for t in finished(load(tiny))}
    assert len(before) >= 2
    assert cli.main([*tiny["args"], "--n-trials", "6"]) == 0
    after = {t.number: (t.state, t.params, t.user_attrs, t.values) for t in finished(load(tiny))}
    for number, record in before.items():
        assert after[number] == record
    trained = [
        t
        for t in finished(load(tiny))
        if not t.user_attrs.get("reason", "").startswith(("rejected", "duplicate"))
        and t.state != optuna.trial.TrialState.FAIL
        and t.user_attrs.get("role") == "candidate"
    ]
    assert len(trained) == 6
    assert sum(1 for t in load(tiny).trials if t.user_attrs.get("role") == "reference") == 1


def test_rerun_with_a_larger_budget_continues(tiny):
    assert cli.main([*tiny["args"], "--n-trials", "2"]) == 0
    first = [t.number for t in finished(load(tiny))]
    assert cli.main([*tiny["args"], "--n-trials", "2"]) == 0  # budget reached: nothing new
    assert [t.number for t in finished(load(tiny))] == first
    assert cli.main([*tiny["args"], "--n-trials", "3"]) == 0
    assert len(finished(load(tiny))) > len(first)


@pytest.mark.parametrize(
    ("flag", "value", "key"),
    [
        ("--epochs", "1", "proxy.epochs"),
        ("--target-flops", "500K", "target_flops"),
        ("--reward", "hard", "reward_kind"),
        ("--flops-band", "0.8,1.2", "flops_band"),
    ],
)
def test_mismatched_study_is_refused(tiny, capsys, flag, value, key):
    assert cli.main([*tiny["args"], "--n-trials", "1"]) == 0
    count = len(load(tiny).trials)
    capsys.readouterr()
    assert cli.main([*tiny["args"], "--n-trials", "2", flag, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "different settings" in err and key in err
    assert len(load(tiny).trials) == count


def test_mismatched_space_is_refused(tiny, capsys):
    assert cli.main([*tiny["args"], "--n-trials", "1"]) == 0
    other = tiny["dir"] / "other.yaml"
    other.write_text(TINY_SPACE.replace("kernel: [3, 5]", "kernel: [3, 5, 7]"))
    args = [a if a != str(tiny["space"]) else str(other) for a in tiny["args"]]
    capsys.readouterr()
    assert cli.main([*args, "--n-trials", "2"]) == 2
    assert "space_fingerprint" in capsys.readouterr().err


@pytest.mark.parametrize("sampler", ["tpe", "random", "rl", "nsga2"])
def test_every_sampler_runs_a_search(tiny, sampler):
    assert cli.main([*tiny["args"], "--n-trials", "3", "--sampler", sampler]) == 0
    study = load(tiny)
    assert len(study.directions) == (2 if sampler == "nsga2" else 1)
    assert study.trials[0].user_attrs["role"] == "reference"
    baseline = tiny["dir"] / "runs" / "tiny" / "baseline.yaml"
    assert load_space(tiny["space"]).contains(load_arch_file(baseline))


def test_nsga2_refuses_pruning(tiny, capsys):
    assert cli.main([*tiny["args"], "--sampler", "nsga2", "--pruner", "median"]) == 2
    assert "single objective" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--flops-band", "2,3"], "--flops-band"),
        (["--n-trials", "0"], "--n-trials"),
        (["--device", "tpu"], "unknown device"),
        (["--storage", "postgresql://u:hunter2@127.0.0.1:1/db"], "u:***@"),
        (["--w", "0.3"], "--w"),
    ],
)
def test_bad_flags_are_one_line_errors(tiny, capsys, flags, message):
    assert cli.main([*tiny["args"], *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "hunter2" not in err


@pytest.mark.slow
def test_readme_command_on_fashion_mnist(tmp_path, capsys):
    """`effsearch baseline --target-flops 400M` with a tiny budget, on real Fashion-MNIST."""
    pytest.importorskip("torchvision")
    if not Path("/usr/share/datasets/fashion-mnist").exists() and not os.environ.get("EFFSEARCH_CACHE"):
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    args = [
        "baseline",
        "--target-flops",
        "400M",
        "--n-trials",
        "2",
        "--epochs",
        "1",
        "--train-subset",
        "256",
        "--device",
        "cpu",
        "--storage",
        f"sqlite:///{tmp_path}/effsearch.db",
        "--out",
        str(tmp_path / "runs"),
    ]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    baseline = tmp_path / "runs" / "baseline-400M-fashion-mnist" / "baseline.yaml"
    arch = load_arch_file(baseline)
    macs = count_cost(arch, 10, 1).macs
    assert 200_000_000 <= macs <= 600_000_000
    assert load_space().contains(arch)
    assert "fashion-mnist" in out and "leaderboard" in out


def test_default_budget_is_ten_candidates_or_six_minutes():
    from commands.baseline import resolve_budget

    assert resolve_budget(None, None) == (10, 360.0)
    assert resolve_budget(50, None) == (50, None)  # an explicit budget has no hidden time limit
    assert resolve_budget(None, 60.0) == (10, 60.0)


def test_cpu_threads_are_the_idle_cores_unless_given():
    from commands.baseline import cpu_threads

    assert cpu_threads(3) == 3
    assert 1 <= cpu_threads() <= len(os.sched_getaffinity(0))


def test_nan_candidates_fail_with_their_reason_and_use_budget(tiny):
    from dataclasses import replace

    config, evaluator = config_for(tiny, n_trials=2)
    diverging = replace(config.proxy, lr=1e6, warmup_epochs=0.0, label_smoothing=0.0)
    config = replace(config, proxy=diverging)
    evaluator.proxy = diverging
    outcome = run_search(config, evaluator, open_storage(tiny["storage"]))
    failed = [t for t in outcome.study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert failed, "a learning rate of 1e6 must diverge"
    for trial in failed:
        assert trial.user_attrs["reason"] == "nan loss"
        assert trial.user_attrs["accuracy"] is None and trial.user_attrs["reward"] is None
    assert outcome.trained == 2 == len(evaluator.calls)


def test_trials_jsonl_grows_trial_by_trial(tiny):
    from nas.studies.trial_log import read_trial_log

    assert cli.main([*tiny["args"], "--n-trials", "2", "--quiet"]) == 0
    log = tiny["dir"] / "runs" / "tiny" / "trials.jsonl"
    records = read_trial_log(log)
    study = load(tiny)
    finished_numbers = [t.number for t in finished(study)]
    assert [r["number"] for r in records] == finished_numbers
    first = records[0]
    assert first["study"] == "tiny" and first["user_attrs"]["role"] == "reference"
    assert first["user_attrs"]["arch_code"] == study.trials[0].user_attrs["arch_code"]
    assert cli.main([*tiny["args"], "--n-trials", "3", "--quiet"]) == 0  # a resumed run appends
    assert len(read_trial_log(log)) == len(finished(load(tiny))) > len(records)
