"""A MnasNet-style policy-gradient controller, written as an Optuna sampler.

MnasNet (Tan et al. 2019, section 4.2) samples architectures from a controller whose policy is a
sequence of categorical choices, one per search-space decision, and trains it to maximise the
expected reward J = E[R(m)] with policy gradients (they used PPO on an RNN controller). This is
the simplest faithful form of that idea:

- the policy is *independent categorical*: one logit vector per parameter (``s3.kernel``...), so
  a choice's probability is ``softmax(logits / temperature)``, mixed with ``epsilon`` of uniform
  probability to keep exploring;
- the update is REINFORCE with a moving-average baseline (Williams 1992):
  ``logits[p] += lr * A * (onehot(choice) - pi[p]) / temperature`` for every parameter p of a
  finished trial -- the gradient of ``log pi(choice)`` with ``pi = softmax(logits / temperature)``,
  the policy itself: the epsilon mixture only widens what is *sampled* (exploration), it is not
  the distribution being learned; the advantage is ``A = (R - b) / std(R)`` clipped to
  +-``clip``; ``b`` is an exponential moving average of the rewards (``baseline_decay``), ``std``
  their running standard deviation, so the step size does not depend on the reward's scale;
- only trials the controller sampled update it: an enqueued trial (Optuna's ``fixed_params``) or
  the comparison network (user attribute ``role: reference``, added without parameters) was not
  drawn from the policy, so its log-probability gradient means nothing and it is skipped, and
  neither moves the baseline nor the reward statistics;
- a trial that violated a constraint (``trial.set_constraint``, e.g. a candidate rejected for its
  FLOPs before training, which ends PRUNED) gets the fixed advantage ``infeasible_advantage``
  whatever its state, and any other pruned trial ``pruned_advantage``; neither moves the baseline,
  so rejections do not distort it.

How it differs from MnasNet's controller (section 4.2): MnasNet trains an RNN (LSTM) whose
choices condition on earlier ones, with Proximal Policy Optimization (a clipped surrogate
objective, several epochs per batch of sampled models, many parallel samplers); here the
choices are independent, each finished trial is one plain policy-gradient step, and there is no
trust region beyond clipping the advantage. It is meant for a few hundred trials, not 8,000.

Being an Optuna sampler means the controller uses the same storage, resume, multi-worker and
dashboards as TPE. It keeps no state of its own that matters: the policy is replayed from the
study's finished trials in trial-number order (cached up to the first unfinished trial), so a
resumed study or a second worker rebuilds the same policy from the database. Non-categorical
parameters fall back to :class:`optuna.samplers.RandomSampler`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from nas.studies.records import ROLE, ROLE_REFERENCE

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass
class PolicyState:
    """Logits per parameter plus the reward statistics of the baseline (replayable, copyable)."""

    logits: dict[str, np.ndarray] = field(default_factory=dict)
    choices: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    baseline: float | None = None
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    updates: int = 0

    def copy(self) -> PolicyState:
        return PolicyState(
            logits={k: v.copy() for k, v in self.logits.items()},
            choices=dict(self.choices),
            baseline=self.baseline,
            count=self.count,
            mean=self.mean,
            m2=self.m2,
            updates=self.updates,
        )

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0

    def logits_for(self, name: str, choices: tuple[Any, ...]) -> np.ndarray:
        """The logit vector of ``name``; a parameter seen for the first time starts uniform."""
        if self.choices.get(name) != choices:
            self.choices[name] = choices
            self.logits[name] = np.zeros(len(choices))
        return self.logits[name]


class ReinforceSampler(BaseSampler):
    """REINFORCE with a moving-average baseline over independent categorical choices.

    Args:
        learning_rate: step size of the logit update (per unit of normalized advantage).
        baseline_decay: weight of the old baseline in its moving average.
        epsilon: probability mass spread uniformly over the choices of every parameter.
        temperature: softmax temperature (above 1 flattens the policy).
        clip: advantages are clipped to +-clip (in standard deviations).
        infeasible_advantage: advantage of a finished trial that violated a constraint.
        pruned_advantage: advantage of a pruned trial.
        seed: seed of the sampling random state (and of the fallback sampler).
    """

    def __init__(
        self,
        *,
        learning_rate: float = 0.3,
        baseline_decay: float = 0.8,
        epsilon: float = 0.05,
        temperature: float = 1.0,
        clip: float = 3.0,
        infeasible_advantage: float = -1.0,
        pruned_advantage: float = -0.5,
        seed: int | None = None,
    ) -> None:
        if learning_rate <= 0 or not 0 <= baseline_decay < 1 or not 0 <= epsilon <= 1 or temperature <= 0:
            raise ValueError(
                "need learning_rate > 0, 0 <= baseline_decay < 1, 0 <= epsilon <= 1, temperature > 0"
            )
        self.learning_rate = learning_rate
        self.baseline_decay = baseline_decay
        self.epsilon = epsilon
        self.temperature = temperature
        self.clip = clip
        self.infeasible_advantage = infeasible_advantage
        self.pruned_advantage = pruned_advantage
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        self._fallback = RandomSampler(seed=seed)
        # (storage, study) -> (number of the first unfinished trial, policy after every trial before it)
        self._prefix: dict[tuple[int, int], tuple[int, PolicyState]] = {}
        # (storage, study), trial number -> policy used to sample that trial
        self._current: tuple[tuple[int, int], int, PolicyState] | None = None

    # -- Optuna sampler API -----------------------------------------------------------------------

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()
        self._fallback.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._raise_error_if_multi_objective(study)
        self._current = None

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if not isinstance(param_distribution, CategoricalDistribution):
            return self._fallback.sample_independent(study, trial, param_name, param_distribution)
        state = self._policy_for(study, trial.number)
        choices = tuple(param_distribution.choices)
        probs = self._probs(state.logits_for(param_name, choices))
        return choices[int(self._rng.choice(len(choices), p=probs))]

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._fallback.after_trial(study, trial, state, values)

    # -- the policy -------------------------------------------------------------------------------

    def _policy(self, logits: np.ndarray) -> np.ndarray:
        """The policy ``pi = softmax(logits / temperature)``: what the update differentiates."""
        z = logits / self.temperature
        z = np.exp(z - z.max())
        return z / z.sum()

    def _probs(self, logits: np.ndarray) -> np.ndarray:
        """What is sampled: the policy mixed with ``epsilon`` of uniform probability."""
        probs = (1 - self.epsilon) * self._policy(logits) + self.epsilon / len(logits)
        return probs / probs.sum()

    @staticmethod
    def sampled_by_policy(trial: FrozenTrial) -> bool:
        """Whether the trial's parameters were drawn from the policy (not enqueued or fixed)."""
        if "fixed_params" in trial.system_attrs:
            return False
        return trial.user_attrs.get(ROLE) != ROLE_REFERENCE

    def probabilities(self, study: Study) -> dict[str, dict[Any, float]]:
        """The current policy: for every parameter seen so far, choice -> probability."""
        state = self._replay(study)
        return {
            name: dict(zip(state.choices[name], self._probs(logits).tolist(), strict=True))
            for name, logits in state.logits.items()
        }

    @staticmethod
    def _key(study: Study) -> tuple[int, int]:
        return (id(study._storage), study._study_id)

    def _policy_for(self, study: Study, number: int) -> PolicyState:
        key = self._key(study)
        if self._current is None or self._current[:2] != (key, number):
            self._current = (key, number, self._replay(study))
        return self._current[2]

    def _replay(self, study: Study) -> PolicyState:
        """Replay the updates of every finished trial, in trial-number order.

        The policy after the longest prefix of finished trials is cached; finished trials beyond
        the first unfinished one (other workers) are applied to a copy, so the result depends only
        on what the storage holds.
        """
        key = self._key(study)
        trials = study.get_trials(deepcopy=False)
        start, state = self._prefix.get(key, (0, PolicyState()))
        state = state.copy()
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        index = start
        while index < len(trials) and trials[index].state in _FINISHED:
            self._update(state, trials[index], sign)
            index += 1
        self._prefix[key] = (index, state.copy())
        for trial in trials[index:]:
            if trial.state in _FINISHED:
                self._update(state, trial, sign)
        return state

    def _update(self, state: PolicyState, trial: FrozenTrial, sign: float) -> None:
        """One REINFORCE step from a finished trial the policy sampled."""
        if trial.state == TrialState.FAIL or not self.sampled_by_policy(trial):
            return
        if any(v > 0 for v in trial.constraints.values()):  # rejected: PRUNED with the constraint
            advantage = self.infeasible_advantage
        elif trial.state == TrialState.PRUNED:
            advantage = self.pruned_advantage
        else:
            if trial.value is None or not math.isfinite(trial.value):
                return
            reward = sign * float(trial.value)
            if state.baseline is None:
                advantage = 0.0
                state.baseline = reward
            else:
                std = state.std
                advantage = (
                    (reward - state.baseline) / std if std > 0 else float(np.sign(reward - state.baseline))
                )
                advantage = float(np.clip(advantage, -self.clip, self.clip))
                state.baseline = self.baseline_decay * state.baseline + (1 - self.baseline_decay) * reward
            state.count += 1
            delta = reward - state.mean
            state.mean += delta / state.count
            state.m2 += delta * (reward - state.mean)
        for name, value in trial.params.items():
            distribution = trial.distributions.get(name)
            if not isinstance(distribution, CategoricalDistribution):
                continue
            choices = tuple(distribution.choices)
            logits = state.logits_for(name, choices)
            if advantage == 0.0:
                continue
            onehot = np.zeros(len(choices))
            onehot[choices.index(value)] = 1.0
            grad = (onehot - self._policy(logits)) / self.temperature  # d log pi(choice) / d logits
            logits += self.learning_rate * advantage * grad
        state.updates += 1


__all__ = ["PolicyState", "ReinforceSampler"]
