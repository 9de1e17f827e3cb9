"""What the reports read of the comparison network and of rejected candidates: the choice chart
measures filters and layers against the *searched space's* reference (not the comparison network,
which need not lie in the space), and a rejected candidate stored PRUNED still reads as rejected."""

from __future__ import annotations

import optuna

from results.choice_charts import _reference_arch, space_reference
from results.tables import trials_frame
from search_spaces.arch_yaml import reference_b0
from search_spaces.codes import arch_code
from search_spaces.space_yaml import load_space

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _study_with_b0_comparison() -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    b0 = {"role": "reference", "arch_code": arch_code(reference_b0()), "reason": "", "reward": 0.5}
    study.add_trial(optuna.trial.create_trial(value=0.5, user_attrs=b0))
    study.add_trial(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.PRUNED,
            user_attrs={"role": "candidate", "reason": "rejected: MACs 900M above band", "arch_code": ""},
            constraints={"macs_band": 0.75},
        )
    )
    return study


def test_the_choice_chart_measures_against_the_spaces_reference_not_the_comparison():
    space = load_space("mnasnet")
    settings = {"space": "mnasnet", "space_fingerprint": space.fingerprint(), "compare": "b0-code"}
    frame = trials_frame(_study_with_b0_comparison())
    assert space_reference(settings) == space.reference
    assert _reference_arch(frame, settings) == space.reference != reference_b0()


def test_a_rejected_candidate_stored_pruned_reads_as_rejected():
    frame = trials_frame(_study_with_b0_comparison())
    assert frame["status"].tolist()[1] == "rejected"
