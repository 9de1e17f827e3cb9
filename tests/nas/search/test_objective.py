"""The objective's rejection rule: outside the MACs band a candidate ends PRUNED, untrained, and
constraint-aware TPE ranks it below every trial it learns from."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from nas.search.objective import CONSTRAINT, Band, Objective
from search_spaces.cost import count_cost
from tests.nas.search.test_driver import TARGET, config_for

optuna.logging.set_verbosity(optuna.logging.ERROR)
BAND = Band(0.95, 1.2)


def _proposals(space, n=40):
    """Seeded random proposals of the tiny space: (params, distributions, MACs) each."""
    scratch = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    out = []
    for _ in range(n):
        trial = scratch.ask()
        arch = space.sample(trial)
        frozen = scratch.tell(trial, 0.0)
        out.append((frozen.params, frozen.distributions, count_cost(arch, 4, 1).macs))
    return out


def test_a_rejected_candidate_is_pruned_untrained_and_in_tpes_above_set(tiny):
    from optuna.samplers._tpe.sampler import _split_trials

    config, evaluator = config_for(tiny)
    proposals = _proposals(config.space)
    outside = next(p for p in proposals if BAND.violation(p[2], TARGET) > 0)
    inside = [p for p in proposals if BAND.violation(p[2], TARGET) <= 0][:4]
    study = optuna.create_study(direction="maximize")
    for i, (params, distributions, macs) in enumerate(inside):
        violation = BAND.violation(macs, TARGET)
        study.add_trial(
            optuna.trial.create_trial(
                params=params,
                distributions=distributions,
                value=0.1 * (i + 1),
                constraints={CONSTRAINT: violation},
            )
        )
    objective = Objective(
        config.space, config.reward, BAND, evaluator, num_classes=4, in_channels=1, epochs=2
    )
    study.enqueue_trial(outside[0])
    study.optimize(objective, n_trials=1)
    rejected = study.trials[-1]
    assert rejected.state == TrialState.PRUNED and rejected.user_attrs["reason"].startswith("rejected")
    assert evaluator.calls == []
    trials = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    below, above = _split_trials(study, trials, len(trials) - 1)  # every slot but one is "below"
    assert rejected.number in [t.number for t in above]
    assert [t.number for t in below] == [t.number for t in trials if t.number != rejected.number]
