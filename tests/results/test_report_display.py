"""The HTML report reads unambiguously: log axes with explicit SI ticks, settings as a table."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import optuna
import pytest

from results.chart_style import log_tick_values
from results.html import figures, render_report
from results.settings_html import rows, value_text
from results.stats import search_cost
from results.tables import study_settings, trials_frame


def test_log_ticks_are_round_values_inside_the_range() -> None:
    assert log_tick_values(100, 1000) == [100, 200, 500, 1000]
    assert log_tick_values(0.39, 40) == [0.5, 1, 2, 5, 10, 20]
    assert log_tick_values(5, 40) == [5, 7, 10, 15, 20, 30, 40]  # 5, 10, 20 alone are too few
    narrow = log_tick_values(300, 420)
    assert narrow == [300, 350, 400]  # the finest mantissas when the range is narrow
    assert log_tick_values(12.3, 12.3) == [12.3]
    assert log_tick_values(0, 10) == [] and log_tick_values(5, 1) == []


def _log_axes(fig) -> dict[str, dict]:
    layout = fig.to_plotly_json()["layout"]
    return {k: v for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k) and v.get("type") == "log"}


@pytest.mark.parametrize(("db", "name"), [("studies_db", "toy-coefficients"), ("sweep_db", "toy-sweep")])
def test_every_log_axis_has_explicit_si_ticks(request: pytest.FixtureRequest, db: str, name: str) -> None:
    from results.storage import load_study

    study = load_study(request.getfixturevalue(db), name)
    axes = {f"{slug}.{k}": v for slug, fig in figures(study) for k, v in _log_axes(fig).items()}
    assert axes  # the family (coefficients) and Figure 3 (sweep) draw on log axes
    for where, axis in axes.items():
        assert axis["tickmode"] == "array", where
        assert len(axis["tickvals"]) == len(axis["ticktext"]) >= 2, where
        for text in axis["ticktext"]:
            assert re.fullmatch(r"\d+(\.\d+)?[KMGT]", text), (where, text)


def test_family_ticks_name_the_count_not_the_axis_unit(load: Callable[[str], optuna.Study]) -> None:
    fig = dict(figures(load("toy-coefficients")))["family"]
    axes = _log_axes(fig)
    macs, params = axes["yaxis"], axes["yaxis2"]  # drawn in billions and millions
    assert dict(zip(macs["tickvals"], macs["ticktext"], strict=True)).get(1) == "1G"
    assert dict(zip(params["tickvals"], params["ticktext"], strict=True)).get(10) == "10M"


def test_settings_are_a_readable_table(load: Callable[[str], optuna.Study]) -> None:
    study = load("toy-baseline")
    text = render_report(study)
    section = text[text.index("Search cost and settings") :]
    section = section[: section.index("</section>")]
    assert "<pre>" not in section and "{" not in section
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", section)]
    pairs = dict(zip(cells[::2], cells[1::2], strict=True))
    assert pairs["FLOPs target T (multiply-adds)"] == "400M (400,000,000)"
    assert pairs["reward exponent w"] == "-0.07"
    assert pairs["MACs band (× T)"] == "0.55 to 1.45"
    assert pairs["proxy · epochs"] == "5" and pairs["proxy · training images used"] == "10,000"
    assert pairs["trials by outcome"].startswith("complete ")
    assert pairs["training time, total"].endswith(" h")  # a duration, not 7374.083538023809
    assert not any("_" in key for key in pairs)  # keys in words
    assert not re.search(r"\d\.\d{5,}", " ".join(pairs.values()))  # no long floats anywhere


def test_every_study_kind_gets_its_settings_formatted(
    load: Callable[[str], optuna.Study], sweep_db: str
) -> None:
    from results.storage import load_study

    for study in (load("toy-coefficients"), load("tiny"), load_study(sweep_db, "toy-sweep")):
        settings, cost = study_settings(study), search_cost(trials_frame(study))
        values = [text for _, text in rows(cost.to_dict()) + rows(settings, frozenset({"proxy"}))]
        assert values and not re.search(r"\d\.\d{5,}", " ".join(values)), study.study_name


def test_value_text_uses_the_project_formatters() -> None:
    assert value_text("lr", 0.1 + 0.2) == "0.3"
    assert value_text("weight_decay", 5e-05) == "5e-05"
    assert value_text("elapsed_s", 7584.093539) == "2.11 h"
    assert value_text("mean_images_per_s", 276.1025815959263) == "276.1 /s"
    assert value_text("candidates_per_hour", 22.784529108377072) == "22.8 /h"
    assert value_text("dropout", None) == "—"
    assert value_text("amp", True) == "yes"
    assert value_text("values", [1.0, 1.4, 2.0]) == "1, 1.4, 2"
