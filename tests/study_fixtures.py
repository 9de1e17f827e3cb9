"""Real Optuna studies for the results tests, written with optuna directly (no search is run).

Trials carry the contract's trial record (user attrs ``arch_code``, ``macs``, ``params``,
``accuracy``, ``reward``, ``epochs_run``, ``wall_s``, ``images_per_s``, ``device``, ``curve``,
``reason``, ``role``; coefficient trials also ``alpha``, ``beta``, ``gamma``, ``phi``,
``constraint``, ``macs_ratio``). Architectures are sampled from the real MnasNet space and costed
with the real cost model; accuracies come from a small deterministic formula, since what is under
test is the reading, not the training.

The builders are plain functions so ``docs/`` screenshots can be made from the same studies.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import optuna
import pytest

from search_spaces.arch import ArchSpec
from search_spaces.arch_yaml import reference_b0
from search_spaces.codes import arch_code
from search_spaces.cost import count_cost

optuna.logging.set_verbosity(optuna.logging.WARNING)

TARGET = 400_000_000
W = -0.07
START = datetime(2026, 1, 5, 9, 0, 0)
BASELINE_SETTINGS: dict[str, Any] = {
    "target_flops": TARGET,
    "space": "mnasnet",
    "dataset": "fashion-mnist",
    "proxy": {"epochs": 5, "train_subset": 10000, "resolution": 224, "batch_size": 128},
    "w": W,
    "reward_kind": "soft",
    "search_resolution": 224,
    "flops_band": [0.55, 1.45],
    "objective": "reward",
}


def reward(accuracy: float, macs: int, target: int = TARGET, w: float = W) -> float:
    """MnasNet Eq. 2, soft constraint."""
    return accuracy * (macs / target) ** w


def _add(
    study: optuna.Study,
    state: optuna.trial.TrialState,
    start: datetime,
    seconds: float,
    attrs: dict[str, Any],
    value: float | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, Any] | None = None,
) -> None:
    curve = attrs.get("curve") or []
    study.add_trial(
        optuna.trial.FrozenTrial(
            number=0,
            state=state,
            value=value,
            datetime_start=start,
            datetime_complete=start + timedelta(seconds=seconds),
            params=params or {},
            distributions=distributions or {},
            user_attrs=attrs,
            system_attrs={},
            intermediate_values={i: float(a) for i, a in enumerate(curve)},
            trial_id=0,
        )
    )


def _record(arch: ArchSpec, role: str, **extra: Any) -> dict[str, Any]:
    cost = count_cost(arch, num_classes=10, in_channels=1)
    record = {
        "arch_code": arch_code(arch),
        "macs": cost.macs,
        "params": cost.params,
        "accuracy": None,
        "reward": None,
        "epochs_run": 0,
        "wall_s": 0.0,
        "images_per_s": 0.0,
        "device": "cpu",
        "curve": [],
        "reason": "",
        "role": role,
    }
    record.update(extra)
    return record


def _accuracy(arch: ArchSpec, macs: int, rng: random.Random) -> float:
    """A plausible proxy accuracy: MACs help with diminishing returns (so the soft reward peaks a
    little above T), SE and 5x5 kernels in the middle stages help, regular convs hurt."""
    x = math.log2(macs / TARGET)
    acc = 0.90 + 0.06 * x - 0.04 * x * x
    for i, stage in enumerate(arch.stages, start=1):
        acc += 0.0025 if stage.se_ratio > 0 else 0.0
        acc += 0.0015 if stage.kernel == 5 and i in (3, 5, 6) else 0.0
        acc -= {"conv": 0.004, "dsconv": 0.0015}.get(stage.op, 0.0)
        acc += 0.0005 if stage.skip else 0.0
    return min(max(acc + rng.gauss(0.0, 0.003), 0.5), 0.975)


def _curve(final: float, epochs: int) -> list[float]:
    return [round(final * (1 - 0.35 * math.exp(-1.1 * e)), 5) for e in range(epochs)]


def build_baseline_study(
    storage: str, name: str = "toy-baseline", n_trials: int = 48, seed: int = 0, running: bool = True
) -> optuna.Study:
    """A baseline study: B0 reference, candidates, rejected, pruned, failed, duplicate, running."""
    from search_spaces.space_yaml import load_space

    rng = random.Random(seed)
    space = load_space(None)
    # TPE on the synthetic reward, so the study improves over time like a real search does
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=12)
    scratch = optuna.create_study(direction="maximize", sampler=sampler)
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study.set_user_attr("kind", "baseline")
    study.set_user_attr("settings", dict(BASELINE_SETTINGS))  # keys as nas.search.driver.study_settings
    study.set_user_attr("created_by", "effsearch 0.1.0")
    clock = START
    b0 = reference_b0()
    rec = _record(b0, "reference")
    acc = 0.897
    rec.update(
        accuracy=acc,
        reward=reward(acc, rec["macs"]),
        epochs_run=5,
        wall_s=182.0,
        images_per_s=275.0,
        curve=_curve(acc, 5),
    )
    _add(study, optuna.trial.TrialState.COMPLETE, clock, 185.0, rec, value=rec["reward"])
    clock += timedelta(seconds=190)
    seen: dict[str, int] = {}
    for number in range(1, n_trials):
        trial = scratch.ask()
        arch = space.sample(trial)
        params, dists = dict(trial.params), dict(trial.distributions)
        rec = _record(arch, "candidate")
        ratio = rec["macs"] / TARGET
        code = rec["arch_code"]
        if number == 9 and seen:  # one duplicate of an earlier candidate
            first = min(seen.values())
            earlier = study.trials[first]
            rec = dict(earlier.user_attrs, reason=f"duplicate of trial {first}", wall_s=0.0, epochs_run=0)
            _add(
                study,
                optuna.trial.TrialState.COMPLETE,
                clock,
                0.05,
                rec,
                earlier.value,
                earlier.params,
                earlier.distributions,
            )
            scratch.tell(trial, earlier.value)
            clock += timedelta(seconds=1)
            continue
        if ratio > 1.45 or ratio < 0.55:
            low, high = 0.55 * TARGET / 1e6, 1.45 * TARGET / 1e6
            rec["reason"] = f"rejected: {rec['macs'] / 1e6:.0f}M MACs outside [{low:.0f}M, {high:.0f}M]"
            # as nas.search.objective records them: COMPLETE with objective 0, no accuracy, reason "rejected"
            _add(study, optuna.trial.TrialState.COMPLETE, clock, 0.01, rec, 0.0, params, dists)
            scratch.tell(trial, 0.0)
            clock += timedelta(seconds=1)
            continue
        acc = _accuracy(arch, rec["macs"], rng)
        wall = 120.0 + 90.0 * ratio + rng.uniform(-10, 10)
        if number in (7, 23):
            rec.update(reason="nan loss" if number == 7 else "out of memory", epochs_run=1, wall_s=wall / 5)
            _add(study, optuna.trial.TrialState.FAIL, clock, wall / 5 + 2, rec, None, params, dists)
            scratch.tell(trial, state=optuna.trial.TrialState.FAIL)
            clock += timedelta(seconds=wall / 5 + 5)
            continue
        if number % 6 == 5:
            curve = _curve(acc - 0.03, 2)
            rec.update(
                accuracy=curve[-1],
                reason="pruned at epoch 2",
                epochs_run=2,
                wall_s=wall * 2 / 5,
                images_per_s=270.0,
                curve=curve,
            )
            _add(study, optuna.trial.TrialState.PRUNED, clock, wall * 2 / 5 + 2, rec, None, params, dists)
            scratch.tell(trial, state=optuna.trial.TrialState.PRUNED)
            clock += timedelta(seconds=wall * 2 / 5 + 5)
            continue
        rec.update(
            accuracy=acc,
            reward=reward(acc, rec["macs"]),
            epochs_run=5,
            wall_s=wall,
            images_per_s=260.0 + rng.uniform(0, 30),
            curve=_curve(acc, 5),
        )
        _add(study, optuna.trial.TrialState.COMPLETE, clock, wall + 3, rec, rec["reward"], params, dists)
        scratch.tell(trial, rec["reward"])
        seen.setdefault(code, number)
        clock += timedelta(seconds=wall + 5)
    if running:  # a worker is still training this one
        trial = study.ask()
        for key, value in _record(b0.with_stages(b0.stages), "candidate").items():
            trial.set_user_attr(key, value)
    return study


def build_coefficients_study(
    storage: str, name: str = "toy-coefficients", seed: int = 1, candidates: int = 14
) -> optuna.Study:
    """A coefficients study as ``effsearch coefficients`` writes it: the base (phi 0, role
    reference), grid points at phi 1 (one failed), and width/depth/resolution-only models matched
    to the winner's MACs. The objective is the mean accuracy; ``reward`` is None."""
    from scaling_search.grid import candidate_grid, spread_subset
    from scaling_search.scale import scale
    from scaling_search.single import single_dimension_family

    rng = random.Random(seed)
    base = reference_b0()
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study.set_user_attr("kind", "coefficients")
    study.set_user_attr(
        "settings",
        {
            "base": arch_code(base),
            "phi": 1.0,
            "dataset": "fashion-mnist",
            "num_classes": 10,
            "in_channels": 1,
            "proxy": {"epochs": 5, "resolution": 224},
            "search_resolution": 224,
            "grid_step": 0.05,
            "tolerance": 0.1,
            "constraint_target": 2.0,
            "max_candidates": candidates,
            "repeats": 1,
            "seed": 0,
            "objective": "accuracy",
        },
    )
    study.set_user_attr("created_by", "effsearch 0.1.0")
    clock = START
    base_macs = count_cost(base, num_classes=10, in_channels=1).macs
    base_acc = 0.897

    def add(arch: ArchSpec, role: str, acc: float | None, **extra: Any) -> None:
        nonlocal clock
        rec = _record(arch, role, **extra)
        rec["macs_ratio"] = rec["macs"] / base_macs
        if acc is None:
            rec["reason"] = "nan loss"
            _add(study, optuna.trial.TrialState.FAIL, clock, 40.0, rec)
            clock += timedelta(seconds=45)
            return
        wall = 180.0 * rec["macs_ratio"]
        rec.update(accuracy=acc, epochs_run=5, wall_s=wall, images_per_s=250.0, curve=_curve(acc, 5))
        _add(study, optuna.trial.TrialState.COMPLETE, clock, wall + 2, rec, acc)
        clock += timedelta(seconds=wall + 5)

    add(base, "reference", base_acc, phi=0.0)
    ideal = (0.26, 0.28, 0.40)  # a balanced split of the doubling (the paper's point is close)
    best_acc, best_arch = -1.0, base
    for n, point in enumerate(spread_subset(candidate_grid(0.05, 0.1), candidates)):
        acc = base_acc + 0.022 - 0.03 * math.dist(point.flops_share(), ideal) + rng.gauss(0, 0.0015)
        arch = scale(base, point.alpha, point.beta, point.gamma, 1)
        failed = n == 3
        add(
            arch,
            "coefficients",
            None if failed else acc,
            alpha=point.alpha,
            beta=point.beta,
            gamma=point.gamma,
            phi=1.0,
            constraint=point.constraint,
        )
        if not failed and acc > best_acc:
            best_acc, best_arch = acc, arch
    target = count_cost(best_arch, num_classes=10, in_channels=1).macs
    gains = {"single-width": 0.009, "single-depth": 0.006, "single-resolution": 0.011}
    for single in single_dimension_family(base, target, num_classes=10, in_channels=1):
        add(single.arch, single.role, base_acc + gains[single.role] + rng.gauss(0, 0.001), phi=1.0)
    return study


def build_tiny_study(storage: str, name: str = "tiny") -> optuna.Study:
    """Eight hand-made trials with known numbers (for exact leaderboard/Pareto/statistics checks)."""
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study.set_user_attr("kind", "baseline")
    study.set_user_attr("settings", {"target_flops": "400M", "w": W, "dataset": "synthetic"})
    b0 = reference_b0()
    k5 = b0.with_stages([replace(s, kernel=5) if i == 1 else s for i, s in enumerate(b0.stages)])
    rows = [  # (state, macs, accuracy, reason, arch)
        ("complete", 390e6, 0.90, "", b0, "reference"),
        ("complete", 300e6, 0.88, "", k5, "candidate"),
        ("complete", 500e6, 0.93, "", k5, "candidate"),
        ("complete", 450e6, 0.89, "", b0, "candidate"),
        ("pruned", 350e6, 0.70, "pruned at epoch 1", b0, "candidate"),
        ("complete", 900e6, None, "rejected: MACs 900M above band [0.5T, 1.5T]", b0, "candidate"),
        ("fail", 420e6, None, "nan loss", b0, "candidate"),
        ("complete", 250e6, 0.85, "", k5, "candidate"),
    ]
    states = {
        "complete": optuna.trial.TrialState.COMPLETE,
        "pruned": optuna.trial.TrialState.PRUNED,
        "fail": optuna.trial.TrialState.FAIL,
    }
    for n, (state, macs, acc, reason, arch, role) in enumerate(rows):
        value = reward(acc, int(macs)) if acc is not None and state == "complete" else None
        if state == "complete" and acc is None:
            value = 0.0  # rejected
        rec = {
            "arch_code": arch_code(arch),
            "macs": int(macs),
            "params": 5_000_000 + n,
            "accuracy": acc,
            "reward": value if acc is not None else None,
            "epochs_run": 3 if state == "complete" else 1,
            "wall_s": 0.0 if acc is None else 100.0 if state == "complete" else 10.0,
            "images_per_s": 200.0,
            "device": "cpu",
            "curve": [acc] if acc is not None else [],
            "reason": reason,
            "role": role,
        }
        _add(study, states[state], START + timedelta(minutes=10 * n), 60.0, rec, value)
    return study


def build_sweep_study(storage: str, name: str = "toy-sweep") -> optuna.Study:
    """An ``effsearch sweep`` study of B0 over every dimension (Figure 3), through the real
    :func:`scaling_search.sweep_study.run_sweep` with an evaluator that trains nothing: accuracy
    grows with the log of the network's MACs."""
    from nas.studies.storage import open_storage
    from nas.training.proxy import DEFAULT_PROXY
    from nas.training.trainer import EvalResult
    from scaling_search.sweep import SweepConfig
    from scaling_search.sweep_study import run_sweep

    def evaluator(arch: ArchSpec, proxy: Any, seed: int, on_epoch: Any) -> EvalResult:
        macs = count_cost(arch, num_classes=10, in_channels=1).macs
        accuracy = min(0.99, 0.80 + 0.05 * math.log10(macs / 1e8))
        return EvalResult(
            status="ok", accuracy=accuracy, curve=(accuracy,), epochs_run=1, wall_s=1.0,
            images_per_s=100.0, device="cpu",
        )  # fmt: skip

    config = SweepConfig(reference_b0(), "all", (1.0,), "fashion-mnist", DEFAULT_PROXY, 10, 1)
    run_sweep(config, evaluator, open_storage(storage), name)
    return optuna.load_study(study_name=name, storage=storage)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def studies_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite storage holding ``toy-baseline``, ``toy-coefficients``, ``tiny`` and ``empty``."""
    url = sqlite_url(tmp_path_factory.mktemp("studies") / "effsearch.db")
    build_baseline_study(url)
    build_coefficients_study(url)
    build_tiny_study(url)
    empty = optuna.create_study(study_name="empty", storage=url, direction="maximize")
    empty.set_user_attr("kind", "baseline")
    return url


@pytest.fixture(scope="session")
def sweep_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite storage holding the sweep study ``toy-sweep`` (:func:`build_sweep_study`)."""
    url = sqlite_url(tmp_path_factory.mktemp("sweep") / "sweep.db")
    build_sweep_study(url)
    return url


@pytest.fixture
def load(studies_db: str) -> Callable[[str], optuna.Study]:
    """Load one of the session studies by name (through results.storage, as a reader would)."""
    from results.storage import load_study

    return lambda name: load_study(studies_db, name)
