"""The samplers and pruners of ``--sampler`` / ``--pruner``, blind to the comparison network.

A baseline study holds one trial that no sampler proposed: the comparison network (``--compare``,
B0 by default; :mod:`nas.search.comparison`), trained under the same proxy so every report can
say how the found network compares. It must not steer the search (the issue's rule: reference
models are comparisons, not starting points). It is added with ``study.add_trial`` with *no*
parameters or distributions (the architecture is in its ``arch_code`` user attribute), so no
sampler hook ever runs for it. What each sampler then does with it, read from Optuna 5.1's source:

- **TPE** would still see it: ``_sample_relative`` counts COMPLETE and PRUNED trials against
  ``n_startup_trials``, ``_sample`` counts them for ``gamma(n)``, and ``_split_trials`` sorts every
  COMPLETE trial by value into the below/above sets, so a good comparison would take one "below"
  slot (its missing parameters keep it out of the Parzen estimators, not out of the split).
  :class:`ComparisonBlindTPE` therefore hands TPE a read-through view of the study without the
  comparison trial(s): exactly the trials TPE would have seen had it never been evaluated.
- **random** reads no trials.
- **NSGA-II** builds its populations from COMPLETE trials carrying its generation system
  attribute, which only trials it sampled have (``optuna.samplers._ga``), so the comparison is in
  no population; but its relative search space is the *intersection* of the distributions of every
  COMPLETE trial (``IntersectionSearchSpace``), and the comparison's empty one would empty it: no
  crossover ever, only random sampling. :class:`ComparisonBlindNSGAII` computes that intersection
  on the view without the comparison (only there: the GA's generation cache indexes the trial list
  by trial number, which a filtered list would break).
- **rl** (:class:`nas.search.rl_sampler.ReinforceSampler`) skips trials with ``role: reference``
  and trials without sampled parameters.

``tests/nas/search/test_comparison.py`` checks, per sampler family, that seeded suggestions with
and without a comparison trial are identical. The pruners read only intermediate values, which the
comparison does not report; it does count toward the median pruner's five startup trials.
"""

from __future__ import annotations

import warnings
from collections.abc import Container
from typing import Any, cast

import optuna
from optuna.distributions import BaseDistribution
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from nas.studies.records import is_comparison
from search_spaces.errors import UserError

SAMPLERS: tuple[str, ...] = ("tpe", "random", "rl", "nsga2")
PRUNERS: tuple[str, ...] = ("none", "median", "hyperband")


class _WithoutComparison:
    """A read-through view of a study whose trial lists leave out the comparison network."""

    def __init__(self, study: Study) -> None:
        self._study = study

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)

    def _get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None, use_cache: bool = False
    ) -> list[FrozenTrial]:
        trials = self._study._get_trials(deepcopy=deepcopy, states=states, use_cache=use_cache)
        return [t for t in trials if not is_comparison(t)]

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return [t for t in self._study.get_trials(deepcopy=deepcopy, states=states) if not is_comparison(t)]

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()


def without_comparison(study: Study) -> Study:
    """``study`` as a sampler should see it: the comparison trial(s) left out."""
    return cast(Study, _WithoutComparison(study))


class ComparisonBlindTPE(optuna.samplers.TPESampler):
    """Optuna's TPE, shown the study without its comparison trial (see the module docstring)."""

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return super().infer_relative_search_space(without_comparison(study), trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return super().sample_relative(without_comparison(study), trial, search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return super().sample_independent(without_comparison(study), trial, param_name, param_distribution)


class ComparisonBlindNSGAII(optuna.samplers.NSGAIISampler):
    """Optuna's NSGA-II, whose search space ignores the comparison trial (module docstring)."""

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return super().infer_relative_search_space(without_comparison(study), trial)


def make_sampler(name: str, seed: int | None, n_trials: int) -> optuna.samplers.BaseSampler:
    """The Optuna sampler for ``--sampler``."""
    from optuna.exceptions import ExperimentalWarning

    from nas.search.rl_sampler import ReinforceSampler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        if name == "tpe":
            return ComparisonBlindTPE(
                seed=seed,
                multivariate=True,
                group=True,
                constant_liar=True,
                n_startup_trials=max(3, min(10, n_trials // 3)),
            )
        if name == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        if name == "rl":
            return ReinforceSampler(seed=seed)
        if name == "nsga2":
            return ComparisonBlindNSGAII(seed=seed, population_size=max(8, min(50, n_trials // 3)))
    raise UserError(f"unknown sampler {name!r}; expected one of {', '.join(SAMPLERS)}")


def make_pruner(name: str, epochs: int) -> optuna.pruners.BasePruner:
    """The Optuna pruner for ``--pruner`` (on the per-epoch reward)."""
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        # Epochs are reported 1-based; not on epoch 1: short proxies are still warming up (near chance).
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs), reduction_factor=3)
    raise UserError(f"unknown pruner {name!r}; expected one of {', '.join(PRUNERS)}")


__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "ComparisonBlindNSGAII",
    "ComparisonBlindTPE",
    "make_pruner",
    "make_sampler",
    "without_comparison",
]
