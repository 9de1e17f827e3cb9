"""``effsearch baseline --compare``: read like ``--arch`` before anything opens, and in a one-shot
search promoted from its architecture (it need not lie in the space) beside the best candidates."""

from __future__ import annotations

import optuna
import pytest

import cli
from commands.baseline_compare import resolve_compare
from nas.studies.records import SEED
from search_spaces.codes import arch_code
from tests.oneshot_fixtures import ONESHOT_STUDY


@pytest.mark.parametrize("value", ["b9", "no-such-network.yaml", ""])
def test_a_bad_compare_is_one_line_and_exit_2_before_anything_opens(tmp_path, capsys, value):
    storage = tmp_path / "never.db"
    args = ["baseline", "--compare", value, "--storage", f"sqlite:///{storage}", "--out", str(tmp_path)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--compare" in err
    assert not storage.exists()


def test_compare_is_costed_at_the_search_resolution():
    comparison = resolve_compare("b0", 32)
    assert comparison is not None and comparison.name == "b0" and comparison.arch.resolution == 32
    assert resolve_compare("none", 224) is None


def test_oneshot_promotes_the_compare_network_from_its_architecture(oneshot_db):
    """The fixture's search ran with the default --compare b0 on the tiny space (B0 is not in it)."""
    study = optuna.load_study(study_name=ONESHOT_STUDY, storage=oneshot_db)
    b0 = arch_code(resolve_compare("b0", 32).arch)
    runs = [t for t in study.trials if t.user_attrs.get("role") == "reference"]
    assert runs and {t.user_attrs["arch_code"] for t in runs} == {b0}
    assert sorted(t.user_attrs[SEED] for t in runs) == [0, 1]  # --repeats 2
    assert all(not t.params for t in runs)  # no sampler learns from it
