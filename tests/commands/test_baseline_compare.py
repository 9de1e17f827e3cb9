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


def test_oneshot_with_compare_none_promotes_only_candidates(tmp_path, monkeypatch):
    import torch

    from tests.nas.search.test_driver import DATASET, TINY_PROXY, TINY_SPACE

    (tmp_path / "space.yaml").write_text(TINY_SPACE)
    (tmp_path / "proxy.yaml").write_text(TINY_PROXY)
    storage = f"sqlite:///{tmp_path}/oneshot.db"
    args = ["baseline", "--strategy", "oneshot", "--space", str(tmp_path / "space.yaml")]
    args += ["--proxy", str(tmp_path / "proxy.yaml"), "--dataset", DATASET, "--search-resolution", "32"]
    args += ["--device", "cpu", "--storage", storage, "--n-trials", "4", "--supernet-epochs", "1"]
    args += ["--promote", "1", "--repeats", "1", "--target-flops", "400K", "--study", "s", "--quiet"]
    args += ["--out", str(tmp_path / "runs"), "--compare", "none"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        monkeypatch.chdir(tmp_path)  # the supernet store is runs/supernets under the working directory
        assert cli.main(args) == 0
    finally:
        torch.set_num_threads(threads)
    study = optuna.load_study(study_name="s", storage=storage)
    promoted = [t for t in study.trials if t.user_attrs.get(SEED) is not None]
    assert promoted and all(t.user_attrs["role"] == "promoted" for t in promoted)
    assert not [t for t in study.trials if t.user_attrs.get("role") == "reference"]
