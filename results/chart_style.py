"""Shared look of the dashboard's plotly figures: colours, hover text, number formatting, layout.

Every chart has a title, axis titles with units and hover text with the architecture code,
because a point a reader cannot identify is not worth plotting. The chart modules
(:mod:`results.baseline_charts`, :mod:`results.choice_charts`, :mod:`results.coefficient_charts`)
draw with these helpers so all figures read alike.

Units: accuracy and reward in percent, MACs (conv + linear multiply-adds, the papers' "FLOPS") in
millions or billions, parameters in millions, time in seconds.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from results.formatting import REWARD_SPEC, number

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    import plotly.graph_objects as go

TEMPLATE = "plotly_white"
STATUS_COLORS = {
    "complete": "#1f77b4",
    "pruned": "#ff7f0e",
    "rejected": "#9e9e9e",
    "duplicate": "#8c564b",
    "failed": "#d62728",
    "running": "#2ca02c",
    "waiting": "#bcbd22",
}
REFERENCE_COLOR = "#d62728"
WINNER_COLOR = "#ffbf00"
CHOICE_TITLES = {
    "op": "conv op",
    "kernel": "kernel size",
    "expansion": "MBConv expansion",
    "se": "squeeze-excite ratio",
    "skip": "identity skip",
    "filters": "output filters",
    "layers": "layers",
}


def nums(series: pd.Series, scale: float = 1.0) -> list[float | None]:
    """Plain floats for plotly (``None`` for missing), times ``scale``."""
    out: list[float | None] = []
    for value in series.tolist():
        try:
            number = float(value)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(number * scale if math.isfinite(number) else None)
    return out


def code_html(code: str) -> str:
    """An architecture code for hover text: one part (stem, stage, head, settings) per line."""
    return "<br>".join(html.escape(part) for part in str(code or "(no architecture recorded)").split("|"))


def hover_text(row: Any, extra: str = "") -> str:
    """Hover text of one trial: number, outcome, the numbers that matter and the arch code."""
    lines = [f"<b>trial #{int(row['number'])}</b> · {html.escape(str(row['status']))}"]
    if row.get("role"):
        lines[0] += f" · {html.escape(str(row['role']))}"
    lines.append(
        f"accuracy {number(row.get('accuracy'), '.2%')} · reward {number(row.get('reward'), REWARD_SPEC)}"
        if not isnan(row.get("accuracy"))
        else "no accuracy recorded"
    )
    macs, params = millions(row.get("macs")), millions(row.get("params"))
    lines.append(f"MACs {number(macs, '.1f', 'M')} · params {number(params, '.2f', 'M')}")
    if row.get("reason"):
        lines.append(html.escape(str(row["reason"])))
    if extra:
        lines.append(extra)
    lines.append(code_html(str(row.get("arch_code") or "")))
    return "<br>".join(lines)


def millions(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 1e6 if math.isfinite(number) else None


def hovers(frame: pd.DataFrame, extra: Any = None) -> list[str]:
    return [
        hover_text(row, extra(row) if extra else "")
        for row in (frame.iloc[i].to_dict() for i in range(len(frame)))
    ]


TOP_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1.0}
#: Figures with subplot titles keep their legend under the plot, clear of the titles.
BOTTOM_LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "center", "x": 0.5}


def add_star(fig: go.Figure, rows: pd.DataFrame, name: str, marker: dict[str, Any]) -> None:
    """Mark the reference rows (B0, or the unscaled base) on an accuracy-vs-MACs chart."""
    import plotly.graph_objects as go

    if len(rows):
        fig.add_trace(
            go.Scatter(
                x=nums(rows["macs"], 1e-6),
                y=nums(rows["accuracy"], 100),
                mode="markers",
                name=name,
                marker=marker,
                hovertext=hovers(rows),
                hoverinfo="text",
            )
        )


def layout(
    fig: go.Figure, title: str, height: int = 460, legend: dict | None = None, **axes: Any
) -> go.Figure:
    bottom = legend is BOTTOM_LEGEND
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template=TEMPLATE,
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 110 if bottom else 60},
        hoverlabel={"align": "left", "font": {"family": "monospace", "size": 11}},
        legend=legend or TOP_LEGEND,
        **axes,
    )
    return fig


def isnan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True
