"""The static HTML dashboard: which charts a study gets, and that the file is self-contained."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest

from results.html import figures, render_report, write_report


def _axis_titles(fig) -> list[str]:
    layout = fig.to_plotly_json()["layout"]
    titles = []
    for key, value in layout.items():
        if re.fullmatch(r"[xy]axis\d*", key) and (value.get("title") or {}).get("text"):
            titles.append(value["title"]["text"])
        if key == "ternary":
            titles += [value[a]["title"]["text"] for a in ("aaxis", "baxis", "caxis")]
    return titles


def test_baseline_study_gets_the_search_charts(load: Callable[[str], optuna.Study]) -> None:
    slugs = [slug for slug, _ in figures(load("toy-baseline"))]
    assert slugs == ["progress", "accuracy-macs", "sampling", "choices", "family"]


def test_coefficients_study_gets_grid_comparison_and_family(load: Callable[[str], optuna.Study]) -> None:
    slugs = [slug for slug, _ in figures(load("toy-coefficients"))]
    assert slugs == ["coefficients", "comparison", "family"]


def test_empty_study_gets_no_chart_and_says_so(load: Callable[[str], optuna.Study]) -> None:
    study = load("empty")
    assert figures(study) == []
    assert "no trials yet" in render_report(study)


@pytest.mark.parametrize("name", ["toy-baseline", "toy-coefficients"])
def test_every_chart_has_title_axis_titles_and_arch_code_hover(
    load: Callable[[str], optuna.Study], name: str
) -> None:
    for slug, fig in figures(load(name)):
        data = fig.to_plotly_json()
        assert data["layout"]["title"]["text"], slug
        titles = _axis_titles(fig)
        assert titles, slug
        units = ("(%)", "(millions", "(billions", "(px)", "trial number", "φ", "share", "ratio", "reference")
        assert any(u in t for t in titles for u in units), (slug, titles)
        hovers = [str(t.get("hovertext")) for t in data["data"] if t.get("hovertext") is not None]
        assert any("stem_c" in h or "mbconv_r" in h for h in hovers), slug


def test_accuracy_chart_marks_target_b0_and_pareto(load: Callable[[str], optuna.Study]) -> None:
    fig = dict(figures(load("toy-baseline")))["accuracy-macs"]
    names = [t.name for t in fig.data]
    assert {"reference", "Pareto front", "reward iso-lines"} <= set(names)
    assert any("target T = 400M" in (a.text or "") for a in fig.layout.annotations)


def test_report_file_is_self_contained(studies_db: str, tmp_path: Path) -> None:
    path = write_report(studies_db, "toy-baseline", tmp_path / "out" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size > 3_000_000  # plotly.js is inline
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=\"?https?:", text)
    assert 'data-charts-expected="5"' in text
    assert text.count('class="plotly-graph-div"') == 5


def test_report_of_a_study_with_only_unfinished_trials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = optuna.create_study(study_name="young", storage=url, direction="maximize")
    trial = study.ask()
    trial.set_user_attr("role", "reference")
    study.add_trial(
        optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL, user_attrs={"reason": "nan loss"})
    )
    text = write_report(url, "young", tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No trial has finished training yet" in text


def test_nsga2_study_without_rewards_still_gets_its_charts(tmp_path: Path) -> None:
    from search_spaces.arch_yaml import reference_b0
    from search_spaces.codes import arch_code

    url = f"sqlite:///{tmp_path / 'n.db'}"
    study = optuna.create_study(study_name="pareto", storage=url, directions=["maximize", "minimize"])
    study.set_user_attr("kind", "baseline")
    study.set_user_attr("settings", {"target_flops": 400_000_000, "objective": "accuracy,macs"})
    code = arch_code(reference_b0())
    for acc, macs in [(0.8, 3e8), (0.85, 4e8), (0.83, 5e8)]:
        attrs = {"accuracy": acc, "macs": int(macs), "arch_code": code, "role": "candidate", "reason": ""}
        study.add_trial(optuna.trial.create_trial(values=[acc, macs], user_attrs=attrs))
    slugs = [slug for slug, _ in figures(optuna.load_study(study_name="pareto", storage=url))]
    assert slugs[:4] == ["progress", "accuracy-macs", "sampling", "choices"]
    assert "pareto" in write_report(url, "pareto", tmp_path / "p.html").read_text(encoding="utf-8")
