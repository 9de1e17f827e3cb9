"""A study as a DataFrame: one row per trial, the architecture decoded per stage."""

from __future__ import annotations

from collections.abc import Callable

import optuna

from results.tables import (
    BASE_COLUMNS,
    STAGE_CHOICES,
    frame_for_export,
    stage_columns,
    target_macs,
    trial_status,
    trials_frame,
)
from search_spaces.arch_yaml import reference_b0


def test_every_trial_is_a_row_with_the_base_columns(load: Callable[[str], optuna.Study]) -> None:
    study = load("toy-baseline")
    frame = trials_frame(study)
    assert len(frame) == len(study.trials)
    assert list(frame["number"]) == sorted(frame["number"])
    assert set(BASE_COLUMNS) <= set(frame.columns)


def test_architecture_is_decoded_into_per_stage_columns(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("tiny"))
    expected = [f"s{i}.{c}" for i in range(1, 8) for c in STAGE_CHOICES]
    assert stage_columns(frame) == expected
    b0 = reference_b0()
    row = frame.iloc[0]  # the reference: EfficientNet-B0 (paper Table 1)
    for i, stage in enumerate(b0.stages, start=1):
        assert row[f"s{i}.op"] == stage.op
        assert row[f"s{i}.kernel"] == stage.kernel
        assert row[f"s{i}.expansion"] == stage.expansion
        assert row[f"s{i}.se"] == stage.se_ratio
        assert bool(row[f"s{i}.skip"]) is stage.skip
        assert row[f"s{i}.filters"] == stage.out_channels
        assert row[f"s{i}.layers"] == stage.layers
    assert row["resolution"] == 224
    assert frame.iloc[1]["s2.kernel"] == 5  # the k5 variant of the tiny study


def test_status_refines_the_state_with_the_recorded_reason(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("toy-baseline"))
    counts = frame["status"].value_counts().to_dict()
    assert {"complete", "pruned", "rejected", "duplicate", "failed", "running"} <= set(counts)
    rejected = frame[frame["status"] == "rejected"]
    assert (rejected["state"] == "complete").all()  # as nas.search.objective records them
    assert rejected["accuracy"].isna().all() and rejected["macs"].notna().all()
    running = frame[frame["status"] == "running"]
    assert running["value"].isna().all()


def test_trial_status_words() -> None:
    assert trial_status("complete", "") == "complete"
    assert trial_status("complete", "rejected: MACs 900M above band") == "rejected"
    assert trial_status("pruned", "duplicate of trial 3") == "duplicate"
    assert trial_status("fail", "nan loss") == "failed"
    assert trial_status("running", "") == "running"


def test_numbers_keep_their_types_and_missing_values(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("tiny"))
    assert str(frame["macs"].dtype) == "Int64"
    assert frame.loc[frame["number"] == 5, "accuracy"].isna().all()  # rejected: never trained
    assert frame.loc[frame["number"] == 0, "macs"].iloc[0] == 390_000_000
    assert frame.loc[frame["number"] == 0, "duration_s"].iloc[0] == 60.0


def test_empty_study_gives_the_columns_and_no_rows(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("empty"))
    assert len(frame) == 0
    assert set(BASE_COLUMNS) <= set(frame.columns)


def test_coefficient_trials_carry_their_coefficients(load: Callable[[str], optuna.Study]) -> None:
    frame = trials_frame(load("toy-coefficients"))
    grid = frame[frame["role"] == "coefficients"]
    assert {"alpha", "beta", "gamma", "phi", "constraint", "macs_ratio"} <= set(frame.columns)
    assert grid["alpha"].notna().all()
    assert (abs(grid["constraint"] - grid["alpha"] * grid["beta"] ** 2 * grid["gamma"] ** 2) < 1e-6).all()


def test_stage_columns_fall_back_to_sampled_params(tmp_path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'p.db'}", direction="maximize")
    dist = optuna.distributions.CategoricalDistribution(("identity", "none"))
    study.add_trial(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.FAIL, params={"s3.skip": "none"}, distributions={"s3.skip": dist}
        )
    )
    frame = trials_frame(study)
    assert frame.loc[0, "s3.skip"] is False or frame.loc[0, "s3.skip"] == False  # noqa: E712
    assert frame.loc[0, "arch_code"] == ""


def test_export_frame_has_text_cells(load: Callable[[str], optuna.Study]) -> None:
    out = frame_for_export(trials_frame(load("tiny")))
    assert out.loc[0, "curve"] == "[0.9]"


def test_target_is_read_from_numbers_and_text(load: Callable[[str], optuna.Study]) -> None:
    assert target_macs(load("toy-baseline")) == 400_000_000
    assert target_macs(load("tiny")) == 400_000_000  # stored as "400M"
    assert target_macs(load("toy-coefficients")) is None


def test_list_attributes_survive_csv_export_as_json(tmp_path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'l.db'}", direction="maximize")
    attrs = {"accuracy": 0.5, "accuracies": [0.4, 0.6], "curve": [0.3, 0.5]}
    study.add_trial(optuna.trial.create_trial(value=0.5, user_attrs=attrs))
    frame = trials_frame(study)
    assert frame.loc[0, "accuracies"] == [0.4, 0.6]
    out = frame_for_export(frame)
    assert out.loc[0, "accuracies"] == "[0.4, 0.6]" and out.loc[0, "curve"] == "[0.3, 0.5]"


def test_two_objective_study_keeps_both_values(tmp_path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'm.db'}", directions=["maximize", "minimize"])
    study.add_trial(
        optuna.trial.create_trial(values=[0.9, 4e8], user_attrs={"accuracy": 0.9, "macs": 400_000_000})
    )
    frame = trials_frame(study)
    assert frame.loc[0, "value_0"] == 0.9 and frame.loc[0, "value_1"] == 4e8
    assert frame["value"].isna().all()
