"""Reports of a one-shot study: supernet and stand-alone accuracies apart (CSV, JSON, terminal,
HTML), the supernet's training curve and the promoted candidates with their spread over seeds.

The study is a real ``baseline --strategy oneshot`` run (:mod:`tests.oneshot_fixtures`); the
stand-alone study ``toy-baseline`` shows that a study without one-shot trials reads as before.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import optuna
import pytest

import cli
from nas.search.promotion import verdict
from nas.studies.records import (
    ACCURACY,
    ARCH_CODE,
    FIDELITY,
    FIDELITY_STANDALONE,
    FIDELITY_SUPERNET,
    REWARD,
    ROLE,
    ROLE_PROMOTED,
    ROLE_REFERENCE,
    SEED,
    SUPERNET_HISTORY_KEY,
    fidelity_of,
)
from results.html import figures, render_report
from results.oneshot import promotion_of, supernet_history_frame
from results.oneshot_sections import TITLE
from results.storage import load_study
from results.terminal import print_study
from tests.oneshot_fixtures import ONESHOT_STUDY


@pytest.fixture
def oneshot(oneshot_db: str) -> optuna.Study:
    return load_study(oneshot_db, ONESHOT_STUDY)


def _report(url: str, name: str, fmt: str, out: Path) -> str:
    assert cli.main(["report", "--storage", url, "--study", name, "--format", fmt, "--out", str(out)]) == 0
    return out.read_text()


def test_csv_has_a_fidelity_column_with_each_trials_fidelity(
    oneshot_db: str, oneshot: optuna.Study, studies_db: str, tmp_path: Path
) -> None:
    rows = list(csv.DictReader(io.StringIO(_report(oneshot_db, ONESHOT_STUDY, "csv", tmp_path / "a.csv"))))
    expected = {t.number: fidelity_of(t) for t in oneshot.trials}
    assert {int(r["number"]): r[FIDELITY] for r in rows} == expected
    assert set(expected.values()) == {FIDELITY_SUPERNET, FIDELITY_STANDALONE}
    for r in rows:
        if r["role"] == ROLE_PROMOTED:
            assert r[FIDELITY] == FIDELITY_STANDALONE and r[SEED] != ""
    plain = list(csv.DictReader(io.StringIO(_report(studies_db, "toy-baseline", "csv", tmp_path / "b.csv"))))
    assert {r[FIDELITY] for r in plain} == {FIDELITY_STANDALONE}


def test_json_trials_carry_fidelity_and_seed(oneshot_db: str, oneshot: optuna.Study, tmp_path: Path) -> None:
    document = json.loads(_report(oneshot_db, ONESHOT_STUDY, "json", tmp_path / "a.json"))
    by_number = {t.number: t for t in oneshot.trials}
    for record in document["trials"]:
        trial = by_number[record["number"]]
        assert record[FIDELITY] == fidelity_of(trial)
        assert record.get(SEED) == trial.user_attrs.get(SEED)
        assert record[ACCURACY] == pytest.approx(trial.user_attrs.get(ACCURACY))


def test_promotion_is_read_back_with_the_spread_over_seeds(oneshot: optuna.Study) -> None:
    promotion = promotion_of(oneshot)
    assert promotion is not None and promotion.reference is not None and promotion.winner is not None
    assert promotion.promoted[-1].role == ROLE_REFERENCE  # B0 last, as the search prints it
    for p in promotion.promoted:
        runs = [
            t
            for t in oneshot.trials
            if t.user_attrs.get(ARCH_CODE) == p.arch_code
            and fidelity_of(t) == FIDELITY_STANDALONE
            and t.user_attrs.get(ROLE) in (ROLE_PROMOTED, ROLE_REFERENCE)
        ]
        assert sorted(p.seeds) == sorted(t.user_attrs[SEED] for t in runs) and len(p.seeds) == 2
        assert sorted(p.rewards) == sorted(t.user_attrs[REWARD] for t in runs)
    assert promotion.winner.mean_reward == max(p.mean_reward for p in promotion.promoted)


def test_terminal_shows_fidelity_promoted_table_and_supernet_curve(
    oneshot: optuna.Study, load, capsys
) -> None:
    from rich.console import Console

    print_study(oneshot, Console(width=160, force_terminal=False))
    out = capsys.readouterr().out
    promotion = promotion_of(oneshot)
    assert promotion is not None
    assert "fidelity" in out and FIDELITY_SUPERNET in out and TITLE.split(":")[0] in out
    assert " ".join(verdict(promotion).split()) in " ".join(out.split())
    assert "Supernet training" in out
    print_study(load("toy-baseline"), Console(width=160, force_terminal=False))
    plain = capsys.readouterr().out
    assert "fidelity" not in plain and "Promoted" not in plain and "Supernet" not in plain


def test_html_has_the_supernet_curve_fidelity_traces_and_promoted_table(oneshot: optuna.Study, load) -> None:
    charts = dict(figures(oneshot))
    curve = charts["supernet"]
    history = supernet_history_frame(oneshot)
    assert len(history) == len(oneshot.user_attrs[SUPERNET_HISTORY_KEY]) == 2
    names = {t.name for t in curve.data}
    assert {"largest: training loss", "smallest: training loss", "largest: val accuracy"} <= names
    assert list(curve.data[0].x) == [1.0, 2.0]
    traces = {t.name for t in charts["accuracy-macs"].data}
    assert "candidates: supernet, inherited weights" in traces
    assert "promoted: stand-alone, one point per seed" in traces
    page = render_report(oneshot)
    promotion = promotion_of(oneshot)
    assert promotion is not None
    assert 'id="promoted"' in page and 'data-chart="supernet"' in page
    assert verdict(promotion).replace("'", "&#x27;") in page
    plain = load("toy-baseline")
    assert "supernet" not in dict(figures(plain))
    assert "candidates" in {t.name for t in dict(figures(plain))["accuracy-macs"].data}
    assert 'id="promoted"' not in render_report(plain)
