"""Figures of a one-shot study: the supernet's training curve, and the two fidelities apart on the
accuracy-vs-MACs chart (supernet scores with inherited weights vs stand-alone runs per seed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas.studies.records import FIDELITY_STANDALONE, FIDELITY_SUPERNET
from results.chart_style import BOTTOM_LEGEND, hovers, layout, nums

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    import plotly.graph_objects as go

#: Colour of the stand-alone (promoted, per seed) points beside the supernet-scored candidates.
STANDALONE_COLOR = "#2ca02c"
LARGEST_COLOR = "#1f77b4"
SMALLEST_COLOR = "#ff7f0e"


def split_by_fidelity(candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(supernet-scored, stand-alone) rows of ``candidates``."""
    if "fidelity" not in candidates.columns:
        return candidates, candidates.iloc[0:0]
    fidelity = candidates["fidelity"]
    return candidates[fidelity == FIDELITY_SUPERNET], candidates[fidelity == FIDELITY_STANDALONE]


def standalone_trace(rows: pd.DataFrame) -> go.Scatter:
    """The promoted candidates' stand-alone runs, one point per seed."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=nums(rows["macs"], 1e-6),
        y=nums(rows["accuracy"], 100),
        mode="markers",
        name="promoted: stand-alone, one point per seed",
        marker={"size": 10, "symbol": "circle-open", "color": STANDALONE_COLOR, "line": {"width": 2}},
        hovertext=hovers(rows, lambda r: f"stand-alone run, seed {r.get('seed', '?')}"),
        hoverinfo="text",
    )


def _line(history: pd.DataFrame, column: str, name: str, color: str, dash: str, yaxis: str) -> go.Scatter:
    import plotly.graph_objects as go

    scale = 100.0 if column.endswith("_acc") else 1.0
    return go.Scatter(
        x=nums(history["epoch"]),
        y=nums(history[column], scale),
        mode="lines+markers",
        name=name,
        yaxis=yaxis,
        line={"color": color, "dash": dash, "width": 2},
        marker={"size": 6},
    )


def supernet_curve_figure(history: pd.DataFrame) -> go.Figure | None:
    """Training loss (left axis) and validation accuracy (right axis) of the supernet's largest
    and smallest candidates per epoch (the sandwich rule's two ends); ``None`` without history."""
    import plotly.graph_objects as go

    if not len(history) or not history["epoch"].notna().any():
        return None
    fig = go.Figure()
    for column, name, color, dash, axis in (
        ("largest_loss", "largest: training loss", LARGEST_COLOR, "solid", "y"),
        ("smallest_loss", "smallest: training loss", SMALLEST_COLOR, "solid", "y"),
        ("largest_val_acc", "largest: val accuracy", LARGEST_COLOR, "dot", "y2"),
        ("smallest_val_acc", "smallest: val accuracy", SMALLEST_COLOR, "dot", "y2"),
    ):
        if history[column].notna().any():
            fig.add_trace(_line(history, column, name, color, dash, axis))
    return layout(
        fig,
        "Supernet training: largest and smallest candidate per epoch",
        height=440,
        legend=BOTTOM_LEGEND,
        xaxis={"title": {"text": "supernet epoch"}, "dtick": 1},
        yaxis={"title": {"text": "training loss (solid)"}},
        yaxis2={
            "title": {"text": "validation accuracy % (dotted)"},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
        },
    )


__all__ = ["split_by_fidelity", "standalone_trace", "supernet_curve_figure"]
