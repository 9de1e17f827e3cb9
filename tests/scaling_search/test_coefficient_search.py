"""The coefficient study: candidates, realised MACs, winner ties, resume and refusal (real trainer)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import optuna
import pytest

from nas.data.datasets import load_dataset
from nas.studies.storage import open_storage
from nas.training.proxy import DEFAULT_PROXY
from nas.training.trainer import evaluate
from scaling_search.coefficient_search import (
    ROLE_COEFFICIENTS,
    CoefficientConfig,
    pick_winner,
    run_coefficient_search,
)
from scaling_search.grid import GridPoint
from scaling_search.scale import scale
from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.arch_yaml import reference_b0
from search_spaces.cost import count_cost
from search_spaces.errors import UserError

TINY = ArchSpec(
    stages=(
        StageSpec("mbconv", 3, 1, 1, 0.25, True, 8, 1),
        StageSpec("mbconv", 3, 2, 3, 0.25, True, 16, 1),
        StageSpec("mbconv", 3, 2, 3, 0.0, True, 24, 1),
    ),
    stem_channels=8,
    head_channels=32,
    resolution=64,
)
PROXY = replace(
    DEFAULT_PROXY,
    name="tiny",
    epochs=1,
    train_subset=96,
    val_size=48,
    resolution=12,
    batch_size=32,
    eval_batch_size=64,
    crop_padding=1,
    warmup_epochs=0.0,
)
DATASET = "synthetic:classes=3,size=12,channels=1,train=300,test=60"


@pytest.fixture(scope="module")
def data():
    return load_dataset(DATASET, val_size=PROXY.val_size, seed=0)


def _config(**changes) -> CoefficientConfig:
    values = dict(
        base=TINY,
        phi=1.0,
        dataset=DATASET,
        proxy=PROXY,
        num_classes=3,
        in_channels=1,
        max_candidates=2,
        repeats=1,
    )
    values.update(changes)
    return CoefficientConfig(**values)


class Counting:
    """The real trainer, counting its runs; optionally Ctrl-C on the n-th run."""

    def __init__(self, data, interrupt_at: int | None = None) -> None:
        self.data = data
        self.calls: list[tuple[int, int]] = []
        self.interrupt_at = interrupt_at

    def __call__(self, arch, proxy, seed, on_epoch):
        self.calls.append((proxy.resolution, seed))
        if self.interrupt_at is not None and len(self.calls) == self.interrupt_at:
            raise KeyboardInterrupt
        return evaluate(arch, self.data, proxy, device="cpu", on_epoch=on_epoch, seed=seed)


def test_winner_is_the_most_accurate() -> None:
    assert pick_winner([(0, 0.5, 100), (1, 0.7, 300), (2, 0.6, 50)]) == 1


def test_winner_ties_go_to_fewer_macs_then_lower_index() -> None:
    assert pick_winner([(0, 0.7, 300), (1, 0.7, 200), (2, 0.5, 10)]) == 1
    assert pick_winner([(0, 0.7, 200), (1, 0.7 + 1e-12, 200)]) == 0
    assert pick_winner([(3, 0.7, 200), (1, 0.7, 200)]) == 1


def test_failed_candidates_never_win() -> None:
    assert pick_winner([(0, None, 10), (1, 0.1, 900)]) == 1
    assert pick_winner([(0, None, 10)]) is None


def test_realised_macs_are_those_of_the_rounded_network() -> None:
    config = _config(base=reference_b0(), num_classes=1000, in_channels=3, max_candidates=200)
    base_macs = count_cost(reference_b0()).macs
    paper = next(c for c in config.candidates() if c.point == GridPoint(1.2, 1.1, 1.15))
    scaled = scale(reference_b0(), 1.2, 1.1, 1.15, 1.0)
    assert paper.arch == scaled and scaled.resolution == round(224 * 1.15)
    assert paper.macs == count_cost(scaled).macs
    assert paper.macs_ratio == pytest.approx(paper.macs / base_macs)
    # nominal 1.92; ceil(layers * 1.2) makes B0 deeper than nominal, so the realised ratio is higher
    assert paper.point.constraint == pytest.approx(1.92027)
    assert 2.3 < paper.macs_ratio < 2.9
    assert paper.train_resolution == round(PROXY.resolution * 1.15)


def test_candidates_are_a_deterministic_spread_subset() -> None:
    b0 = dict(base=reference_b0(), num_classes=1000, in_channels=3)
    first = [c.point for c in _config(max_candidates=5, **b0).candidates()]
    assert first == [c.point for c in _config(max_candidates=5, seed=7, **b0).candidates()]
    assert GridPoint(1.2, 1.1, 1.15) in first and len(set(first)) == 5
    # distinct networks, all compound (no single-dimension corner takes a place)
    candidates = _config(max_candidates=5, **b0).candidates()
    assert len({c.arch for c in candidates}) == 5
    assert all(c.network.compound for c in candidates)


def test_phi_must_be_positive() -> None:
    with pytest.raises(UserError):
        _config(phi=0.0)


def test_run_records_the_contract_and_resumes_after_ctrl_c(tmp_path: Path, data) -> None:
    storage = open_storage(f"sqlite:///{tmp_path}/s.db")
    first = Counting(data, interrupt_at=3)  # reference, candidate A, then Ctrl-C in candidate B
    with pytest.raises(KeyboardInterrupt):
        run_coefficient_search(_config(), first, storage, "c")
    study = optuna.load_study(study_name="c", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL"]
    assert study.trials[2].user_attrs["reason"] == "interrupted"

    second = Counting(data)
    outcome = run_coefficient_search(_config(), second, storage, "c")
    assert len(second.calls) == 1  # only the interrupted candidate is trained again
    assert sorted(outcome.trials) == [0, 1]
    assert outcome.reference_trial.number == 0
    assert outcome.winner in (0, 1)

    trial = outcome.trials[outcome.winner]
    attrs = trial.user_attrs
    assert attrs["role"] == ROLE_COEFFICIENTS and attrs["reason"] == ""
    for key in ("alpha", "beta", "gamma", "phi", "constraint", "macs", "macs_ratio", "params", "arch_code"):
        assert key in attrs
    assert attrs["accuracy"] == trial.value and attrs["accuracy_std"] == 0.0
    assert attrs["epochs_run"] == 1 and attrs["wall_s"] > 0 and attrs["device"]
    assert attrs["constraint"] == pytest.approx(attrs["alpha"] * attrs["beta"] ** 2 * attrs["gamma"] ** 2)
    loaded = optuna.load_study(study_name="c", storage=storage)
    assert loaded.user_attrs["kind"] == "coefficients"
    assert loaded.user_attrs["settings"]["tolerance"] == 0.1

    third = Counting(data)
    again = run_coefficient_search(_config(), third, storage, "c")
    assert third.calls == [] and again.winner == outcome.winner


def test_repeats_use_different_seeds_and_store_the_spread(tmp_path: Path, data) -> None:
    storage = open_storage(f"sqlite:///{tmp_path}/s.db")
    counting = Counting(data)
    outcome = run_coefficient_search(_config(max_candidates=1, repeats=2), counting, storage, "r")
    assert [seed for _, seed in counting.calls] == [0, 1, 0, 1]
    attrs = outcome.trials[0].user_attrs
    assert len(attrs["accuracies"]) == 2
    assert attrs["accuracy"] == pytest.approx(sum(attrs["accuracies"]) / 2)
    assert attrs["accuracy_std"] >= 0.0


def test_a_study_made_with_other_settings_is_refused(tmp_path: Path, data) -> None:
    storage = open_storage(f"sqlite:///{tmp_path}/s.db")
    run_coefficient_search(_config(max_candidates=1), Counting(data), storage, "c")
    with pytest.raises(UserError, match="different settings"):
        run_coefficient_search(_config(max_candidates=1, phi=0.5), Counting(data), storage, "c")


def test_compare_single_trains_three_models_at_the_winners_macs(tmp_path: Path, data) -> None:
    storage = open_storage(f"sqlite:///{tmp_path}/s.db")
    outcome = run_coefficient_search(
        _config(max_candidates=1), Counting(data), storage, "c", compare_single=True
    )
    roles = [single.role for single, _ in outcome.singles]
    assert roles == ["single-width", "single-depth", "single-resolution"]
    target = outcome.winner_candidate.macs
    for single, trial in outcome.singles:
        assert trial.user_attrs["role"] == single.role
        assert trial.user_attrs["target_macs"] == target
        assert abs(single.macs / target - 1) < 0.35  # tiny nets: one step of 8 channels is coarse
        assert trial.user_attrs["accuracy"] is not None
