"""Figures of a scaling sweep, drawn like EfficientNet's Figures 3 and 4 (Tan & Le 2019).

Figure 3 puts one panel per scaled dimension (width, depth, resolution), accuracy against FLOPs
on a log axis, so where each dimension saturates is visible; Figure 4 puts one line per
(depth, resolution) setting of width scaling on one panel. The data are the trials of an
``effsearch sweep`` study (:mod:`scaling_search.sweep_study`: role ``sweep``, each trial listing
the ``series`` it belongs to); accuracies are in percent, MACs in millions as elsewhere in the
dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from results.chart_style import BOTTOM_LEGEND, hovers, layout, nums, si_log_ticks
from results.leaderboard import finished

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    import plotly.graph_objects as go

#: Figure 3's panels, in the paper's order, and the multiplier each one varies.
PANELS: tuple[tuple[str, str, str], ...] = (
    ("width", "width", "w"),
    ("depth", "depth", "d"),
    ("resolution", "resolution_multiplier", "r"),
)
#: The MACs axis: drawn in millions, labelled in SI notation (100M, 200M, 1G) on a log scale.
MACS_LOG_TITLE = "MACs (conv+linear multiply-adds, log scale)"


def sweep_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (series, finished sweep trial with an accuracy), sorted by MACs."""
    if "series" not in frame.columns:
        return frame.iloc[0:0]
    done = finished(frame[frame["role"] == "sweep"])
    done = done[done["accuracy"].notna() & done["macs"].notna()]
    rows = done.assign(series=done["series"].apply(lambda s: list(s) if isinstance(s, list) else [s]))
    rows = rows.explode("series")
    return rows.sort_values(["series", "macs"], kind="stable").reset_index(drop=True)


def _line(rows: pd.DataFrame, name: str, tag: str, column: str, showlegend: bool) -> go.Scatter:
    import plotly.graph_objects as go

    return go.Scatter(
        x=nums(rows["macs"], 1e-6),
        y=nums(rows["accuracy"], 100),
        mode="lines+markers+text",
        name=name,
        text=[f"{tag}={v:g}" for v in rows[column]],
        textposition="top center",
        showlegend=showlegend,
        hovertext=hovers(rows),
        hoverinfo="text",
    )


def figure3(frame: pd.DataFrame) -> go.Figure | None:
    """Accuracy vs MACs (log axis) per scaled dimension: the paper's Figure 3."""
    from plotly.subplots import make_subplots

    rows = sweep_rows(frame)
    panels = [p for p in PANELS if (rows["series"] == p[0]).any()] if len(rows) else []
    if not panels:
        return None
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        shared_yaxes=True,
        subplot_titles=[f"scaling {name} only" for name, _, _ in panels],
    )
    for col, (name, column, tag) in enumerate(panels, start=1):
        line = rows[rows["series"] == name]
        fig.add_trace(_line(line, name, tag, column, True), row=1, col=col)
        fig.update_xaxes(type="log", title_text=MACS_LOG_TITLE, row=1, col=col)
    fig.update_yaxes(title_text="validation accuracy (%)", row=1, col=1)
    si_log_ticks(fig, {f"xaxis{col if col > 1 else ''}": 1e6 for col in range(1, len(panels) + 1)})
    return layout(
        fig,
        "Scaling one dimension: accuracy saturates as FLOPs grow (EfficientNet Figure 3)",
        legend=BOTTOM_LEGEND,
    )


def figure4(frame: pd.DataFrame) -> go.Figure | None:
    """Width scaling at several (depth, resolution): one line each, the paper's Figure 4."""
    import plotly.graph_objects as go

    rows = sweep_rows(frame)
    rows = rows[rows["series"].astype(str).str.startswith("d=")] if len(rows) else rows
    if not len(rows):
        return None
    fig = go.Figure()
    for name in dict.fromkeys(rows["series"]):
        fig.add_trace(_line(rows[rows["series"] == name], name, "w", "width", True))
    layout(
        fig,
        "Width scaling at different depth d and resolution r (EfficientNet Figure 4)",
        xaxis={"type": "log", "title": MACS_LOG_TITLE},
        yaxis={"title": "validation accuracy (%)"},
    )
    return si_log_ticks(fig, {"xaxis": 1e6})


def sweep_figures(frame: pd.DataFrame, settings: dict[str, Any]) -> list[tuple[str, Any]]:
    """(slug, figure) of a sweep study: Figure 4 for ``figure4`` sweeps, Figure 3 otherwise."""
    if settings.get("dimension") == "figure4":
        return [("figure4", figure4(frame))]
    return [("figure3", figure3(frame))]


__all__ = ["figure3", "figure4", "sweep_figures", "sweep_rows"]
