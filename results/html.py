"""The static HTML dashboard: one self-contained file that opens offline, from disk, in any browser.

plotly's JavaScript is embedded once, inline (no CDN, no server), followed by every chart that
applies to the study (:mod:`results.baseline_charts`, :mod:`results.choice_charts`,
:mod:`results.coefficient_charts`) and the key tables (best architecture, leaderboard, Pareto
front: :mod:`results.html_sections`; search cost and settings: :mod:`results.settings_html`). The
file can be mailed, attached to an issue or archived next to the database it came from.

A tiny error collector runs before anything else: every uncaught JavaScript error is counted in
the ``data-js-errors`` attribute of ``<html>``, and once the page has loaded ``data-charts-rendered``
holds the number of charts plotly drew (``data-charts-expected`` the number there should be), and
``data-scroll-width`` / ``data-viewport-width`` the page's width against the window's (a page wider
than its window scrolls sideways). The browser tests read them; a reader's browser ignores them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nas.files import check_output, inputs_of, write_atomic
from nas.studies.storage_url import DEFAULT_STORAGE, mask_secrets
from results.baseline_charts import accuracy_macs_figure, progress_figure, sampling_figure
from results.choice_charts import choices_figure
from results.coefficient_charts import coefficient_figure, comparison_figure, family_figure
from results.coefficients import PAPER_COEFFICIENTS, constraint_band, winner
from results.html_sections import (
    TOP_K,
    best_arch_html,
    cards_html,
    coefficients_html,
    esc,
    leaderboard_html,
    pareto_html,
)
from results.leaderboard import leaderboard
from results.oneshot import is_oneshot, promotion_of, supernet_history_frame
from results.oneshot_charts import supernet_curve_figure
from results.oneshot_sections import TITLE, promotion_html
from results.settings_html import settings_html
from results.stats import search_cost
from results.storage import load_study, open_storage
from results.sweep_charts import sweep_figures
from results.tables import flops_band, reward_exponent, study_kind, study_settings, target_macs, trials_frame

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna
    import pandas as pd
    import plotly.graph_objects as go

    from search_spaces.arch import ArchSpec


_ERROR_COLLECTOR = """
window.__effsearchErrors = [];
(function () {
  function record(message) {
    window.__effsearchErrors.push(String(message));
    var root = document.documentElement;
    root.setAttribute('data-js-errors', String(window.__effsearchErrors.length));
    root.setAttribute('data-js-error-text', window.__effsearchErrors.join(' | ').slice(0, 2000));
  }
  document.documentElement.setAttribute('data-js-errors', '0');
  window.addEventListener('error', function (e) { record(e.message || e); });
  window.addEventListener('unhandledrejection', function (e) { record('unhandled rejection: ' + e.reason); });
})();
"""

_RENDER_CHECK = """
window.addEventListener('load', function () {
  setTimeout(function () {
    var drawn = 0;
    document.querySelectorAll('.js-plotly-plot').forEach(function (el) {
      if (el.querySelector('.main-svg')) { drawn += 1; }
    });
    var root = document.documentElement;
    root.setAttribute('data-charts-rendered', String(drawn));
    root.setAttribute('data-scroll-width', String(root.scrollWidth));
    root.setAttribute('data-viewport-width', String(window.innerWidth));
  }, 0);
});
"""

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
header { background: #1f2a44; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .meta { font-size: 13px; color: #c8d0e0; }
main { padding: 18px 28px 40px; max-width: 1500px; margin: 0 auto; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 16px; }
.card { background: #fff; border-radius: 8px; padding: 10px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08);
        min-width: 140px; }
.card .label { font-size: 12px; color: #667; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; margin-top: 2px; }
.card .sub { font-size: 12px; color: #667; }
section { background: #fff; border-radius: 8px; padding: 8px 12px 12px; margin-bottom: 16px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
section h2 { font-size: 16px; margin: 8px 4px 10px; }
p.note { font-size: 13px; color: #556; margin: 4px 6px 10px; }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef2; white-space: nowrap; }
th { background: #f0f2f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11.5px; white-space: normal;
          word-break: break-all; }
.empty { padding: 30px; text-align: center; color: #667; font-size: 15px; }
header, p.note, code, .card .value, .card .sub { overflow-wrap: anywhere; }
.card { max-width: 100%; box-sizing: border-box; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11.5px; }
.settings { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.settings table { width: auto; flex: 1 1 420px; }
.settings td.key { color: #445; }
.settings td.value { white-space: normal; overflow-wrap: anywhere; }
"""


def _base_arch(frame: pd.DataFrame, study: optuna.Study) -> ArchSpec | None:
    """The architecture the scaled family starts from (see :func:`figures`)."""
    from search_spaces.codes import arch_from_code
    from search_spaces.errors import UserError

    settings = study_settings(study)
    candidates = [
        settings.get(k) for k in ("baseline_code", "baseline_arch_code", "baseline_arch", "baseline")
    ]
    if study_kind(study) == "coefficients":
        refs = frame[(frame["role"] == "reference") & (frame["arch_code"] != "")]
        candidates += refs["arch_code"].tolist()
    else:  # the search's best candidate: the comparison network (role reference) is not one
        top = leaderboard(frame[frame["role"] != "reference"], k=1)
        candidates += top["arch_code"].tolist()
    for code in candidates:
        if isinstance(code, str) and code.count("|") >= 3:
            try:
                return arch_from_code(code)
            except UserError:
                continue
    return None


def figures(study: optuna.Study, frame: pd.DataFrame | None = None) -> list[tuple[str, go.Figure]]:
    """Every chart that applies to ``study``, as (slug, figure), in page order.

    A baseline study (or one another tool wrote) gets the search charts and the family its best
    candidate would give with the paper's coefficients; a coefficients study gets the grid, the
    compound vs single-dimension comparison and the family its winning coefficients give.
    """
    frame = trials_frame(study) if frame is None else frame
    settings = study_settings(study)
    target = target_macs(study)
    band = constraint_band(settings)
    out: list[tuple[str, Any]] = []
    if study_kind(study) == "coefficients":
        out += [
            ("coefficients", coefficient_figure(frame, band)),
            ("comparison", comparison_figure(frame, band)),
        ]
    elif study_kind(study) == "sweep":  # EfficientNet Figures 3 and 4: no family to extrapolate
        return [(slug, fig) for slug, fig in sweep_figures(frame, settings) if fig is not None]
    else:
        reward_kind = str(settings.get("reward_kind", "soft"))
        out += [
            ("progress", progress_figure(frame)),
            ("accuracy-macs", accuracy_macs_figure(frame, target, reward_exponent(study), reward_kind)),
            ("sampling", sampling_figure(frame, target, flops_band(study))),
            ("choices", choices_figure(frame, k=TOP_K, settings=settings)),
            ("coefficients", coefficient_figure(frame, band)),
            ("comparison", comparison_figure(frame, band)),
        ]
        if is_oneshot(study):
            out.insert(2, ("supernet", supernet_curve_figure(supernet_history_frame(study))))
    base = _base_arch(frame, study)
    if base is not None:
        best = winner(frame, band)
        if best is not None:
            coefficients = (float(best["alpha"]), float(best["beta"]), float(best["gamma"]))
            source = "the baseline scaled with the winning coefficients"
        else:
            coefficients = PAPER_COEFFICIENTS
            source = "the best candidate scaled with the paper's α=1.2, β=1.1, γ=1.15"
        out.append(("family", family_figure(base, coefficients, source)))
    return [(slug, fig) for slug, fig in out if fig is not None]


def render_report(study: optuna.Study, storage_label: str = "") -> str:
    """The dashboard of ``study`` as one HTML document (plotly.js inline)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    frame = trials_frame(study)
    charts = figures(study, frame)
    settings = study_settings(study)
    kind = study_kind(study) or "study"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    config = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2}}
    blocks = []
    for slug, fig in charts:
        div = pio.to_html(fig, include_plotlyjs=False, full_html=False, config=config, div_id=f"chart-{slug}")
        blocks.append(f'<section class="chart" data-chart="{esc(slug)}">{div}</section>')
    if not charts:
        message = "This study has no trials yet." if not len(frame) else "No trial has finished training yet."
        blocks.append(
            f'<section><div class="empty">{esc(message)} '
            "Reload the report when the search has made progress.</div></section>"
        )
    band = constraint_band(settings)
    coefficients = study_kind(study) == "coefficients"
    promotion = None if coefficients else promotion_of(study)
    tables = [
        (
            "Winner at φ = 1 (compound coefficients)" if coefficients else "Best architecture",
            best_arch_html(frame, band if coefficients else None),
        ),
        (f"Leaderboard (top {TOP_K})", leaderboard_html(frame) if len(frame) and not coefficients else ""),
        (TITLE, promotion_html(promotion) if promotion is not None else ""),
        ("Coefficient grid", coefficients_html(frame, band)),
        ("Pareto front (accuracy vs MACs)", "" if coefficients else pareto_html(frame)),
    ]
    for title, body in tables:
        if body:
            blocks.append(f"<section><h2>{esc(title)}</h2>{body}</section>")
    cost = search_cost(frame)
    blocks.append(f"<section><h2>Search cost and settings</h2>{settings_html(cost, settings)}</section>")
    meta = " · ".join(
        esc(x)
        for x in (
            kind,
            f"storage {mask_secrets(storage_label)}" if storage_label else "",
            f"{len(frame)} trials",
            f"generated {generated}",
            study.user_attrs.get("created_by", ""),
        )
        if x
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en" data-charts-expected="{len(charts)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>effsearch · {esc(study.study_name)}</title>\n"
        f"<script>{_ERROR_COLLECTOR}</script>\n<style>{_CSS}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        "</head>\n"
        f'<body data-charts-expected="{len(charts)}">\n'
        f'<header><h1>effsearch · {esc(study.study_name)}</h1><div class="meta">{meta}</div></header>\n'
        f"<main>\n{cards_html(frame, study)}\n" + "\n".join(blocks) + "\n</main>\n"
        f"<script>{_RENDER_CHECK}</script>\n"
        "</body>\n</html>\n"
    )


def write_report(
    storage_url: str | None,
    study_name: str,
    path: str | os.PathLike[str],
    *,
    inputs: Mapping[Path, str] | None = None,
    flag: str = "--out",
) -> Path:
    """Write the dashboard of ``study_name`` in ``storage_url`` to ``path``; returns it.

    The path is checked before anything is read and written atomically by :mod:`nas.files`:
    never over the storage's own file, any other of ``inputs``, a folder or a device.
    """
    refused = {**inputs_of(storage_url or DEFAULT_STORAGE), **(inputs or {})}
    check_output(path, inputs=refused, flag=flag)
    storage = open_storage(storage_url)
    study = load_study(storage, study_name)
    document = render_report(study, storage_label=str(getattr(storage, "url", storage_url or "")))
    return write_atomic(path, document, inputs=refused, flag=flag)


__all__ = ["TOP_K", "figures", "render_report", "write_report"]
