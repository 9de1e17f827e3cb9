"""The comparison network (``--compare``): trained once under the same proxy, stored with
``role: reference``, reused on resume, refused when it differs, and invisible to every sampler.

The sampler tests ask each sampler for candidates of the tiny search space twice, from the same
seed: once in a study that holds a comparison trial (trained for real by the tiny proxy) and once
in one that does not. Candidates are scored by a fixed formula of the architecture (what is under
test is what the sampler reads, not training), with the real ``macs_band`` constraint.
"""

from __future__ import annotations

from dataclasses import replace

import optuna
import pytest

import cli
from nas.search.comparison import NO_COMPARISON, Comparison, evaluate_comparison, stored_comparison
from nas.search.driver import run_search
from nas.search.objective import CONSTRAINT, Band
from nas.search.samplers import make_sampler
from nas.studies.storage import open_storage
from search_spaces.cost import count_cost
from tests.nas.search.test_driver import TARGET, config_for, load, tiny_reference

optuna.logging.set_verbosity(optuna.logging.ERROR)

CANDIDATES = 14


def _score(arch) -> float:
    """A fixed, architecture-dependent score in (0, 1): 5x5 kernels and SE help, conv hurts."""
    value = 0.4
    for stage in arch.stages:
        value += 0.05 * (stage.kernel == 5) + 0.03 * (stage.se_ratio > 0) - 0.06 * (stage.op == "conv")
        value += 0.01 * stage.layers + 0.002 * stage.out_channels
    return value


def _ask_candidates(study: optuna.Study, space, sampler: str, n: int = CANDIDATES) -> list[dict]:
    band = Band()
    for _ in range(n):
        trial = study.ask()
        arch = space.sample(trial)
        macs = count_cost(arch, 4, 1).macs
        trial.set_constraint(CONSTRAINT, band.violation(macs, TARGET))
        study.tell(trial, (_score(arch), float(macs)) if sampler == "nsga2" else _score(arch))
    return [t.params for t in study.trials if t.user_attrs.get("role") != "reference"]


@pytest.fixture(scope="module")
def trained_comparison(tmp_path_factory):
    """One real training of the tiny reference by the tiny proxy, shared by the sampler tests."""
    folder = tmp_path_factory.mktemp("comparison")
    config, evaluator = config_for(
        {"space": _space_file(folder), "proxy": _proxy_file(folder), "storage": ""}
    )
    result = evaluator(tiny_reference().arch, lambda epoch, accuracy: False)
    assert result.status == "ok"
    return config, result


def _space_file(folder):
    from tests.nas.search.test_driver import TINY_SPACE

    path = folder / "space.yaml"
    path.write_text(TINY_SPACE)
    return path


def _proxy_file(folder):
    from tests.nas.search.test_driver import TINY_PROXY

    path = folder / "proxy.yaml"
    path.write_text(TINY_PROXY)
    return path


@pytest.mark.parametrize("sampler", ["tpe", "random", "rl", "nsga2"])
def test_samplers_do_not_learn_from_the_comparison(trained_comparison, sampler):
    config, result = trained_comparison
    directions = ["maximize", "minimize"] if sampler == "nsga2" else ["maximize"]

    def study() -> optuna.Study:
        return optuna.create_study(directions=directions, sampler=make_sampler(sampler, 0, CANDIDATES))

    plain = _ask_candidates(study(), config.space, sampler)
    compared = study()
    trial = evaluate_comparison(
        compared, tiny_reference(), lambda arch, on_epoch: result, config.reward, Band(),
        num_classes=4, in_channels=1,
    )  # fmt: skip
    assert trial.number == 0 and trial.user_attrs["role"] == "reference" and not trial.params
    assert _ask_candidates(compared, config.space, sampler) == plain


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_tpe_would_learn_from_it_without_the_blind_view(trained_comparison):
    """The check above can fail: Optuna's own TPE counts the comparison and changes course."""
    config, result = trained_comparison

    def tpe_study() -> optuna.Study:
        sampler = optuna.samplers.TPESampler(seed=0, multivariate=True, group=True, n_startup_trials=4)
        return optuna.create_study(direction="maximize", sampler=sampler)

    plain = _ask_candidates(tpe_study(), config.space, "tpe")
    compared = tpe_study()
    evaluate_comparison(
        compared, tiny_reference(), lambda arch, on_epoch: result, config.reward, Band(),
        num_classes=4, in_channels=1,
    )  # fmt: skip
    assert _ask_candidates(compared, config.space, "tpe") != plain


def test_a_resumed_study_reuses_its_comparison(tiny):
    config, evaluator = config_for(tiny, n_trials=1, compare=tiny_reference())
    storage = open_storage(tiny["storage"])
    first = run_search(config, evaluator, storage).reference
    calls = len(evaluator.calls)
    outcome = run_search(replace(config, n_trials=2), evaluator, storage)
    assert first is not None and outcome.reference is not None
    assert outcome.reference.number == first.number
    assert len(evaluator.calls) == calls + 1  # one more candidate, the comparison not again
    assert sum(1 for t in outcome.study.trials if t.user_attrs.get("role") == "reference") == 1


def test_a_study_compared_with_another_network_is_refused(tiny, capsys):
    assert cli.main([*tiny["args"], "--n-trials", "1", "--quiet"]) == 0
    count = len(load(tiny).trials)
    capsys.readouterr()
    assert cli.main([*tiny["args"], "--n-trials", "2", "--compare", NO_COMPARISON]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "compare" in err and "different settings" in err
    assert len(load(tiny).trials) == count


def test_a_study_from_before_compare_is_checked_against_its_stored_reference(tiny, capsys):
    assert cli.main([*tiny["args"], "--n-trials", "1", "--quiet"]) == 0
    study = load(tiny)
    old = {k: v for k, v in study.user_attrs["settings"].items() if not k.startswith("compare")}
    study.set_user_attr("settings", old)  # as a study written before --compare existed
    other = Comparison("other", replace(tiny_reference().arch, dropout=0.1))
    capsys.readouterr()
    assert cli.main([*tiny["args"], "--n-trials", "2", "--compare", other.code]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already holds a comparison network" in err


def test_compare_none_trains_no_comparison(tiny):
    import yaml

    assert cli.main([*tiny["args"], "--n-trials", "2", "--quiet", "--compare", "none"]) == 0
    study = load(tiny)
    assert stored_comparison(study) is None
    assert all(t.user_attrs.get("role") == "candidate" for t in study.trials)
    notes = yaml.safe_load((tiny["dir"] / "runs" / "tiny" / "baseline.yaml").read_text())["notes"]
    assert notes["reference_reward"] is None
