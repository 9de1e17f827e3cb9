"""The REINFORCE controller: its update moves probability toward rewarded choices, from storage."""

from __future__ import annotations

import optuna
import pytest

from nas.search.rl_sampler import ReinforceSampler
from search_spaces.space_yaml import load_space

optuna.logging.set_verbosity(optuna.logging.WARNING)

REWARD = {"a": 0.9, "b": 0.5, "c": 0.4, "d": 0.3}


def objective(trial):
    choice = trial.suggest_categorical("x", list(REWARD))
    trial.suggest_categorical("y", [1, 2, 3])  # irrelevant to the reward
    return REWARD[choice]


def test_update_shifts_probability_toward_the_rewarded_choice():
    sampler = ReinforceSampler(seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=40)
    probs = sampler.probabilities(study)["x"]
    assert probs["a"] > 0.6 > 0.25  # started uniform at 0.25
    assert probs["a"] == max(probs.values())


def test_one_positive_step_raises_the_chosen_probability():
    """A single trial above the baseline: its choice gains, the others lose."""
    sampler = ReinforceSampler(seed=0, epsilon=0.0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    dist = {"x": optuna.distributions.CategoricalDistribution(list(REWARD))}
    study.add_trial(
        optuna.create_trial(params={"x": "c"}, distributions=dist, value=0.4)
    )  # sets the baseline
    before = sampler.probabilities(study)["x"]
    study.add_trial(optuna.create_trial(params={"x": "b"}, distributions=dist, value=0.8))
    after = sampler.probabilities(study)["x"]
    assert after["b"] > before["b"]
    assert all(after[k] < before[k] for k in ("a", "c", "d"))


def test_minimizing_studies_reward_low_values():
    sampler = ReinforceSampler(seed=1)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=40)
    probs = sampler.probabilities(study)["x"]
    assert probs["d"] == max(probs.values())


def test_infeasible_trials_push_probability_away():
    sampler = ReinforceSampler(seed=0, epsilon=0.0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    dist = {"x": optuna.distributions.CategoricalDistribution(list(REWARD))}
    study.add_trial(optuna.create_trial(params={"x": "a"}, distributions=dist, value=0.5))
    for _ in range(3):
        study.add_trial(
            optuna.create_trial(
                params={"x": "d"},
                distributions=dist,
                value=0.0,
                system_attrs={"constraints:macs_band": 0.3},
            )
        )
    probs = sampler.probabilities(study)["x"]
    assert probs["d"] < 0.25 < probs["a"]


def test_policy_is_rebuilt_from_storage(tmp_path):
    """A resumed run (new sampler, same storage) sees the same policy: nothing lives in memory only."""
    url = f"sqlite:///{tmp_path}/rl.db"
    first = ReinforceSampler(seed=0)
    study = optuna.create_study(storage=url, study_name="rl", direction="maximize", sampler=first)
    study.optimize(objective, n_trials=15)
    second = ReinforceSampler(seed=123)
    loaded = optuna.load_study(storage=url, study_name="rl", sampler=second)
    rebuilt, original = second.probabilities(loaded), first.probabilities(study)
    assert rebuilt.keys() == original.keys() == {"x", "y"}
    for name in original:
        assert rebuilt[name] == pytest.approx(original[name])


def test_non_categorical_parameters_fall_back_to_random():
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))

    def mixed(trial):
        x = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        assert 1e-4 <= x <= 1e-1
        return trial.suggest_int("n", 1, 5) + x

    study.optimize(mixed, n_trials=5)
    assert len(study.trials) == 5


def test_samples_the_search_space_with_stable_names():
    space = load_space()
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
    for _ in range(5):
        trial = study.ask()
        arch = space.sample(trial)
        assert space.contains(arch)
        study.tell(trial, 0.5)


def test_same_seed_same_proposals():
    def run():
        study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=7))
        study.optimize(objective, n_trials=10)
        return [t.params for t in study.trials]

    assert run() == run()


def _dist(choices=("a", "b", "c")):
    return {"x": optuna.distributions.CategoricalDistribution(list(choices))}


def test_update_is_the_softmax_gradient_with_temperature():
    """Hand-computed REINFORCE step: logits += lr * A * (onehot - softmax(logits / T)) / T.

    With epsilon 0.5 the sampled probabilities differ from the policy; the gradient must use the
    policy (softmax), not the epsilon mixture, and include 1 / T.
    """
    import numpy as np

    lr, temperature = 0.3, 2.0
    sampler = ReinforceSampler(learning_rate=lr, temperature=temperature, epsilon=0.5, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    # trial 0: sets the baseline (advantage 0, no step); trial 1: reward above it, std 0 -> A = +1
    study.add_trial(optuna.create_trial(params={"x": "a"}, distributions=_dist(), value=0.2))
    study.add_trial(optuna.create_trial(params={"x": "b"}, distributions=_dist(), value=0.8))
    state = sampler._replay(study)
    # the first step starts from zero logits: softmax is uniform, 1/3 each
    expected = lr * 1.0 * (np.array([0.0, 1.0, 0.0]) - np.full(3, 1 / 3)) / temperature
    assert np.allclose(state.logits["x"], expected)
    # a third step: the advantage is (R - b) / std over the rewards seen so far, clipped to 3
    study.add_trial(optuna.create_trial(params={"x": "c"}, distributions=_dist(), value=0.5))
    baseline = 0.8 * 0.2 + 0.2 * 0.8  # after trial 1 (decay 0.8)
    std = float(np.std([0.2, 0.8], ddof=1))
    advantage = (0.5 - baseline) / std
    z = np.exp(expected / temperature)
    policy = z / z.sum()
    expected = expected + lr * advantage * (np.array([0.0, 0.0, 1.0]) - policy) / temperature
    assert np.allclose(sampler._replay(study).logits["x"], expected)


def test_enqueued_trials_do_not_update_the_policy():
    """A reference enqueued for comparison was not sampled: no step, no baseline, no statistics."""
    sampler = ReinforceSampler(seed=0, epsilon=0.0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.enqueue_trial({"x": "a"}, user_attrs={"role": "reference"})
    study.optimize(lambda t: REWARD[t.suggest_categorical("x", list(REWARD))], n_trials=1)
    assert "fixed_params" in study.trials[0].system_attrs
    state = sampler._replay(study)
    assert state.updates == 0 and state.baseline is None and state.count == 0
    assert set(sampler.probabilities(study).get("x", {"a": 0.25}).values()) <= {0.25}


def test_a_reference_role_alone_also_excludes_the_trial():
    sampler = ReinforceSampler(seed=0, epsilon=0.0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    trial = optuna.create_trial(
        params={"x": "a"}, distributions=_dist(), value=0.9, user_attrs={"role": "reference"}
    )
    study.add_trial(trial)
    study.add_trial(optuna.create_trial(params={"x": "b"}, distributions=_dist(), value=0.1))
    state = sampler._replay(study)
    assert state.count == 1 and state.baseline == 0.1  # only the sampled trial counted


def test_a_rejected_candidate_gets_the_infeasible_advantage_though_it_ends_pruned():
    """Rejected candidates end PRUNED with the macs_band constraint: the constraint decides."""
    dist = {"x": optuna.distributions.CategoricalDistribution(list(REWARD))}
    probs = {}
    for kind, constraints in (("rejected", {"macs_band": 0.3}), ("pruned", {"macs_band": -0.1})):
        sampler = ReinforceSampler(seed=0, epsilon=0.0)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.add_trial(
            optuna.create_trial(
                state=optuna.trial.TrialState.PRUNED,
                params={"x": "a"},
                distributions=dist,
                constraints=constraints,
            )
        )
        probs[kind] = sampler.probabilities(study)["x"]["a"]
    assert probs["rejected"] < probs["pruned"] < 0.25  # -1 (infeasible) moves it further than -0.5
