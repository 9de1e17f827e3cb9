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
from search_spaces.notation import si_count

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


#: Tick mantissas per decade of a log axis, coarsest first: the first set that puts
#: :data:`LEAST_TICKS` ticks inside the data range is used.
LOG_MANTISSAS: tuple[tuple[float, ...], ...] = (
    (1,),
    (1, 2, 5),
    (1, 1.5, 2, 3, 4, 5, 7),
    (1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9),
)
LEAST_TICKS = 4


def log_tick_values(lo: float, hi: float) -> list[float]:
    """Round tick positions between ``lo`` and ``hi`` (both > 0) for a log axis.

    plotly's own log ticks label the minor ticks "2" and "5" beside "100M" and "1G", which reads
    as 2 and 5 rather than 200M and 500M; every tick here is a round value that gets a full label.
    """
    if not (0 < lo <= hi and math.isfinite(hi)):
        return []
    first, last = math.floor(math.log10(lo)), math.floor(math.log10(hi))
    most: list[float] = []
    for mantissas in LOG_MANTISSAS:
        ticks = [
            value
            for exponent in range(first, last + 1)
            for value in (float(f"{k * 10.0**exponent:.6g}") for k in mantissas)
            if lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9)
        ]
        if len(ticks) >= LEAST_TICKS:
            return ticks
        most = ticks if len(ticks) > len(most) else most
    if len(most) >= 2:
        return most
    return sorted({float(f"{lo:.3g}"), float(f"{hi:.3g}")})


def _axis_values(fig: go.Figure, name: str) -> list[float]:
    """Positive finite values every trace of ``fig`` draws on the axis ``name`` (``xaxis2``...)."""
    letter, ref = name[0], name[0] + name[5:]
    values: list[float] = []
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) != ref:
            continue
        for value in getattr(trace, letter, None) or ():
            if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
                values.append(float(value))
    return values


def si_log_ticks(fig: go.Figure, scales: dict[str, float]) -> go.Figure:
    """Label the log axes named in ``scales`` with explicit round ticks in SI notation.

    ``scales`` maps an axis (``xaxis``, ``yaxis2``...) to the unit its data are drawn in (``1e6``
    for millions), so a tick at 200 on a MACs axis in millions reads ``200M``; an axis that
    holds no data, or is not a log axis, is left alone.
    """
    for name, scale in scales.items():
        axis = fig.layout[name]
        if axis.type != "log":
            continue
        if axis.range is not None:
            lo, hi = (10.0 ** float(end) for end in axis.range)
        else:
            values = _axis_values(fig, name)
            if not values:
                continue
            lo, hi = min(values), max(values)
        ticks = log_tick_values(lo, hi)
        if ticks:
            axis.update(
                tickmode="array",
                tickvals=ticks,
                ticktext=[si_count(value * scale, ".3g") for value in ticks],
                dtick=None,
            )
    return fig
