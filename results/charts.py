"""The plotly figures of the HTML dashboard, one function per chart.

Each function takes the trial frame (:func:`results.tables.trials_frame`) and returns a figure, or
``None`` when the study has nothing to show for it (an empty study, a baseline study has no
coefficient grid, ...). Every chart has a title, axis titles with units and hover text with the
architecture code, because a point a reader cannot identify is not worth plotting.

Units: accuracy and reward in percent, MACs (conv + linear multiply-adds, the papers' "FLOPS") in
millions or billions, parameters in millions, time in seconds.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from results.coefficients import (
    PAPER_COEFFICIENTS,
    SINGLE_ROLES,
    coefficient_trials,
    published_family,
    scaled_family,
    scaling_comparison,
    winner,
)
from results.leaderboard import finished, leaderboard, rank_column
from results.pareto import pareto_front
from results.stats import choice_stats
from results.tables import STAGE_CHOICES

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    import plotly.graph_objects as go

    from search_spaces.arch import ArchSpec

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


def _nums(series: pd.Series, scale: float = 1.0) -> list[float | None]:
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


def _fmt(value: Any, spec: str = ".4g", suffix: str = "") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return f"{number:{spec}}{suffix}" if math.isfinite(number) else "—"


def code_html(code: str) -> str:
    """An architecture code for hover text: one part (stem, stage, head, settings) per line."""
    return "<br>".join(html.escape(part) for part in str(code or "(no architecture recorded)").split("|"))


def hover_text(row: Any, extra: str = "") -> str:
    """Hover text of one trial: number, outcome, the numbers that matter and the arch code."""
    lines = [f"<b>trial #{int(row['number'])}</b> · {html.escape(str(row['status']))}"]
    if row.get("role"):
        lines[0] += f" · {html.escape(str(row['role']))}"
    lines.append(
        f"accuracy {_fmt(row.get('accuracy'), '.2%')} · reward {_fmt(row.get('reward'), '.2%')}"
        if not _isnan(row.get("accuracy"))
        else "no accuracy recorded"
    )
    lines.append(
        f"MACs {_fmt(_m(row.get('macs')), '.1f', 'M')} · params {_fmt(_m(row.get('params')), '.2f', 'M')}"
    )
    if row.get("reason"):
        lines.append(html.escape(str(row["reason"])))
    if extra:
        lines.append(extra)
    lines.append(code_html(str(row.get("arch_code") or "")))
    return "<br>".join(lines)


def _m(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 1e6 if math.isfinite(number) else None


def _hovers(frame: pd.DataFrame, extra: Any = None) -> list[str]:
    return [
        hover_text(row, extra(row) if extra else "")
        for row in (frame.iloc[i].to_dict() for i in range(len(frame)))
    ]


_TOP_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1.0}
#: Figures with subplot titles keep their legend under the plot, clear of the titles.
_BOTTOM_LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "center", "x": 0.5}


def _add_star(fig: go.Figure, rows: pd.DataFrame, name: str, marker: dict[str, Any]) -> None:
    """Mark the reference rows (B0, or the unscaled base) on an accuracy-vs-MACs chart."""
    import plotly.graph_objects as go

    if len(rows):
        fig.add_trace(
            go.Scatter(
                x=_nums(rows["macs"], 1e-6),
                y=_nums(rows["accuracy"], 100),
                mode="markers",
                name=name,
                marker=marker,
                hovertext=_hovers(rows),
                hoverinfo="text",
            )
        )


def _layout(
    fig: go.Figure, title: str, height: int = 460, legend: dict | None = None, **axes: Any
) -> go.Figure:
    bottom = legend is _BOTTOM_LEGEND
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template=TEMPLATE,
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 110 if bottom else 60},
        hoverlabel={"align": "left", "font": {"family": "monospace", "size": 11}},
        legend=legend or _TOP_LEGEND,
        **axes,
    )
    return fig


def progress_figure(frame: pd.DataFrame) -> go.Figure | None:
    """Reward and accuracy of every trained trial over trial number, with the running best.

    A running best that is still climbing at the last trial says the search was stopped early.
    """
    import plotly.graph_objects as go

    by = rank_column(frame)
    done = finished(frame)
    done = done[done[by].notna()] if by in done.columns else done.iloc[0:0]
    if not len(done):
        return None
    fig = go.Figure()
    candidates = done[done["role"] != "reference"]
    fig.add_trace(
        go.Scatter(
            x=candidates["number"].tolist(),
            y=_nums(candidates[by], 100),
            mode="markers",
            name=f"{by} per trial",
            marker={"color": STATUS_COLORS["complete"], "size": 7},
            hovertext=_hovers(candidates),
            hoverinfo="text",
        )
    )
    if by != "accuracy" and done["accuracy"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=candidates["number"].tolist(),
                y=_nums(candidates["accuracy"], 100),
                mode="markers",
                name="accuracy per trial",
                marker={"color": "#7fb3d5", "size": 5, "symbol": "circle-open"},
                hovertext=_hovers(candidates),
                hoverinfo="text",
            )
        )
    pruned = frame[(frame["status"] == "pruned") & frame["accuracy"].notna()]
    if len(pruned):
        fig.add_trace(
            go.Scatter(
                x=pruned["number"].tolist(),
                y=_nums(pruned["accuracy"], 100),
                mode="markers",
                name="pruned (accuracy when stopped)",
                marker={"color": STATUS_COLORS["pruned"], "size": 6, "symbol": "x"},
                hovertext=_hovers(pruned),
                hoverinfo="text",
            )
        )
    xs, ys, holders = [], [], []
    best_value, best_row = -math.inf, None
    for row in done.to_dict("records"):
        if float(row[by]) > best_value:
            best_value, best_row = float(row[by]), row
        xs.append(int(row["number"]))
        ys.append(best_value * 100)
        holders.append(best_row)
    xs.append(int(frame["number"].max()))
    ys.append(ys[-1])
    holders.append(holders[-1])
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"shape": "hv", "color": "#2ca02c", "width": 2.5},
            name=f"running best {by}",
            hovertext=[hover_text(r, "running best so far") for r in holders],
            hoverinfo="text",
        )
    )
    ref = done[done["role"] == "reference"]
    if len(ref):
        fig.add_trace(
            go.Scatter(
                x=ref["number"].tolist(),
                y=_nums(ref[by], 100),
                mode="markers",
                name="B0 reference",
                marker={"color": REFERENCE_COLOR, "size": 15, "symbol": "star", "line": {"width": 1}},
                hovertext=_hovers(ref),
                hoverinfo="text",
            )
        )
    return _layout(
        fig,
        f"Search progress: {by} per trial and running best",
        xaxis={"title": {"text": "trial number"}},
        yaxis={"title": {"text": "reward and accuracy, proxy validation (%)"}},
    )


def _iso_accuracy(reward: float, macs: float, target: float, w: float, kind: str) -> float:
    """Accuracy with the given reward at ``macs``: inverts MnasNet Eq. 2 (soft or hard constraint)."""
    if kind == "hard":
        exponent = 0.0 if macs <= target else -1.0
    else:
        exponent = w
    return reward / (macs / target) ** exponent


def accuracy_macs_figure(
    frame: pd.DataFrame, target: int | None, w: float = -0.07, reward_kind: str = "soft"
) -> go.Figure | None:
    """Accuracy against MACs: target T, reward iso-lines, Pareto front, B0 highlighted.

    Iso-lines are ACC * (MACs/T)^w = const (MnasNet Eq. 2) through the best reward and two
    quantiles: every model on one line has the same reward, so the slope shows how much accuracy
    the reward asks for each doubling of MACs (+5% relative at w = -0.07).
    """
    import plotly.graph_objects as go

    done = finished(frame)
    done = done[done["accuracy"].notna() & done["macs"].notna()]
    if not len(done):
        return None
    fig = go.Figure()
    candidates = done[done["role"] != "reference"]
    has_reward = candidates["reward"].notna().any()
    marker: dict[str, Any] = {"size": 8, "line": {"width": 0.5, "color": "white"}}
    if has_reward:
        marker.update(
            color=_nums(candidates["reward"], 100),
            colorscale="Viridis",
            showscale=True,
            colorbar={"title": {"text": "reward (%)"}, "thickness": 12},
        )
    else:
        marker["color"] = STATUS_COLORS["complete"]
    fig.add_trace(
        go.Scatter(
            x=_nums(candidates["macs"], 1e-6),
            y=_nums(candidates["accuracy"], 100),
            mode="markers",
            name="candidates",
            marker=marker,
            hovertext=_hovers(candidates),
            hoverinfo="text",
        )
    )
    pruned = frame[(frame["status"] == "pruned") & frame["accuracy"].notna() & frame["macs"].notna()]
    if len(pruned):
        fig.add_trace(
            go.Scatter(
                x=_nums(pruned["macs"], 1e-6),
                y=_nums(pruned["accuracy"], 100),
                mode="markers",
                name="pruned (when stopped)",
                marker={"color": STATUS_COLORS["pruned"], "size": 6, "symbol": "x"},
                hovertext=_hovers(pruned),
                hoverinfo="text",
                visible="legendonly",
            )
        )
    front = pareto_front(frame)
    if len(front):
        fig.add_trace(
            go.Scatter(
                x=_nums(front["macs"], 1e-6),
                y=_nums(front["accuracy"], 100),
                mode="lines+markers",
                line={"shape": "hv", "color": "#ff7f0e", "width": 2},
                marker={"size": 9, "symbol": "diamond-open", "color": "#ff7f0e"},
                name="Pareto front",
                hovertext=_hovers(front, lambda r: "on the Pareto front"),
                hoverinfo="text",
            )
        )
    macs_m = [m for m in _nums(done["macs"], 1e-6) if m]
    lo, hi = min(macs_m), max(macs_m)
    if target:
        lo, hi = min(lo, target / 1e6), max(hi, target / 1e6)
    span_lo, span_hi = lo / 1.15, hi * 1.15
    if target and has_reward:
        rewards = done["reward"].dropna().astype("float64")
        levels = sorted({float(rewards.max()), float(rewards.quantile(0.75)), float(rewards.quantile(0.25))})
        xs = [span_lo * (span_hi / span_lo) ** (i / 60) for i in range(61)]
        for n, level in enumerate(reversed(levels)):
            ys = [_iso_accuracy(level, x * 1e6, target, w, reward_kind) * 100 for x in xs]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"dash": "dot", "width": 1, "color": "#888"},
                    name="reward iso-lines" if n == 0 else f"reward {level:.2%}",
                    legendgroup="iso",
                    showlegend=n == 0,
                    hovertext=[
                        f"reward {level:.2%} everywhere on this line<br>"
                        f"ACC·(MACs/T)^{w:g} = const (MnasNet Eq. 2)<br>MACs {x:.1f}M → ACC {y:.2f}%"
                        for x, y in zip(xs, ys, strict=True)
                    ],
                    hoverinfo="text",
                )
            )
    if target:
        fig.add_vline(
            x=target / 1e6,
            line={"color": "#444", "dash": "dash", "width": 1.5},
            annotation_text=f"target T = {target / 1e6:.0f}M",
            annotation_position="bottom right",
        )
    _add_star(
        fig,
        done[done["role"] == "reference"],
        "B0 reference",
        {"color": REFERENCE_COLOR, "size": 16, "symbol": "star", "line": {"width": 1}},
    )
    accs = [a for a in _nums(done["accuracy"], 100) if a is not None]
    pad = max((max(accs) - min(accs)) * 0.15, 0.5)
    log_x = span_hi / span_lo > 8
    return _layout(
        fig,
        "Accuracy vs MACs: target, reward iso-lines, Pareto front",
        height=520,
        xaxis={
            "title": {"text": "MACs (millions of conv+linear multiply-adds, at search resolution)"},
            "type": "log" if log_x else "linear",
            "range": [math.log10(span_lo), math.log10(span_hi)] if log_x else [span_lo, span_hi],
        },
        yaxis={
            "title": {"text": "proxy validation accuracy (%)"},
            "range": [min(accs) - pad, max(accs) + pad],
        },
    )


def sampling_figure(
    frame: pd.DataFrame, target: int | None, band: tuple[float, float] | None = None
) -> go.Figure | None:
    """MACs of every sampled candidate over trial number, coloured by outcome.

    Shows where the sampler proposed models, which ones the cost check rejected before training,
    and whether proposals concentrate near the target as the search learns.
    """
    import plotly.graph_objects as go

    rows = frame[frame["macs"].notna()]
    if not len(rows):
        return None
    fig = go.Figure()
    for status, color in STATUS_COLORS.items():
        part = rows[rows["status"] == status]
        if not len(part):
            continue
        fig.add_trace(
            go.Scatter(
                x=part["number"].tolist(),
                y=_nums(part["macs"], 1e-6),
                mode="markers",
                name=f"{status} ({len(part)})",
                marker={
                    "color": color,
                    "size": 7,
                    "symbol": {"rejected": "x-thin-open", "failed": "x"}.get(status, "circle"),
                    "line": {"width": 1.5 if status == "rejected" else 0, "color": color},
                },
                hovertext=_hovers(part),
                hoverinfo="text",
            )
        )
    if target and band:
        fig.add_hrect(
            y0=band[0] * target / 1e6,
            y1=band[1] * target / 1e6,
            fillcolor="#2ca02c",
            opacity=0.08,
            line_width=0,
            annotation_text=f"trained band [{band[0]:g}T, {band[1]:g}T]",
            annotation_position="top right",
            annotation_font={"size": 10, "color": "#2ca02c"},
        )
    if target:
        fig.add_hline(
            y=target / 1e6,
            line={"color": "#444", "dash": "dash", "width": 1.5},
            annotation_text=f"target T = {target / 1e6:.0f}M",
            annotation_position="top left",
        )
    return _layout(
        fig,
        "Sampled candidates: MACs per trial, by outcome",
        xaxis={"title": {"text": "trial number"}},
        yaxis={"title": {"text": "MACs (millions, at search resolution)"}},
    )


def choices_figure(frame: pd.DataFrame, k: int = 10) -> go.Figure | None:
    """Per-stage choice distributions of the top-k: one heatmap per choice (stage x value).

    Colour is the share of the top-k that picked the value; hover compares it with the share among
    every sampled candidate and names the best top-k trial holding it, with its stage code.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    relative = _relative_to_reference(frame)
    stats = choice_stats(relative if relative is not None else frame, k=k)
    if not len(stats):
        return None
    top = leaderboard(frame, k=k)
    choices = [c for c in STAGE_CHOICES if c in set(stats["choice"])]
    cols = 2
    nrows = math.ceil(len(choices) / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[CHOICE_TITLES.get(c, c) for c in choices],
        vertical_spacing=0.22 / max(nrows - 1, 1) if nrows > 1 else 0.1,
        horizontal_spacing=0.09,
    )
    stages = sorted({s for s in stats["stage"] if isinstance(s, int)})
    codes = {int(r["number"]): str(r["arch_code"]) for r in top.to_dict("records")}
    for n, choice in enumerate(choices):
        part = stats[stats["choice"] == choice]
        values = sorted({_label(v) for v in part["value"]}, key=_label_key)
        z = [[0.0 for _ in stages] for _ in values]
        text = [["" for _ in stages] for _ in values]
        hover = [["" for _ in stages] for _ in values]
        for row in part.to_dict("records"):
            if row["stage"] not in stages:
                continue
            i, j = values.index(_label(row["value"])), stages.index(row["stage"])
            z[i][j] = row["top_share"]
            text[i][j] = str(row["top_count"])
            best = row["trials"][0] if row["trials"] else None
            stage_code = _stage_part(codes.get(best, ""), row["stage"]) if best is not None else ""
            hover[i][j] = (
                f"stage {row['stage']} · {CHOICE_TITLES.get(choice, choice)} = {_label(row['value'])}<br>"
                f"top-{len(top)}: {row['top_count']} ({row['top_share']:.0%}) · "
                f"all sampled: {row['all_count']} ({row['all_share']:.0%})<br>"
                f"trials: {', '.join('#' + str(t) for t in row['trials'])}<br>"
                f"best holder #{best}: {html.escape(stage_code)}"
            )
        fig.add_trace(
            go.Heatmap(
                x=[f"stage {s}" for s in stages],
                y=values,
                z=z,
                text=text,
                texttemplate="%{text}",
                hovertext=hover,
                hoverinfo="text",
                coloraxis="coloraxis",
                xgap=2,
                ygap=2,
            ),
            row=n // cols + 1,
            col=n % cols + 1,
        )
        fig.update_yaxes(
            title_text=_choice_unit(choice), type="category", row=n // cols + 1, col=n % cols + 1
        )
    fig.update_layout(
        coloraxis={
            "colorscale": "Blues",
            "cmin": 0,
            "cmax": 1,
            "colorbar": {"title": {"text": f"share of top-{len(top)}"}, "tickformat": ".0%", "thickness": 12},
        }
    )
    return _layout(
        fig,
        f"What the top-{len(top)} chose, per stage (cell = number of top-{len(top)} models; colour = share)",
        height=max(360, 250 * nrows),
    )


def _reference_arch(frame: pd.DataFrame) -> ArchSpec | None:
    """The study's reference network (role ``reference``), else B0 when the stage count matches."""
    from search_spaces.arch_yaml import reference_b0
    from search_spaces.codes import arch_from_code
    from search_spaces.errors import UserError

    for code in frame.loc[frame["role"] == "reference", "arch_code"].tolist():
        try:
            return arch_from_code(str(code))
        except UserError:
            continue
    b0 = reference_b0()
    stages = {c.split(".", 1)[0] for c in frame.columns if c.startswith("s") and c.endswith(".filters")}
    return b0 if len(stages) == len(b0.stages) else None


def _relative_to_reference(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Filters and layers relative to the reference stage (MnasNet's space searches them that way).

    Absolute channel counts differ per stage, so one heatmap row per count would be mostly empty;
    "< ref" / "= ref" / "> ref" and layer offsets ("-1", "+0", "+1") line the stages up.
    """
    ref = _reference_arch(frame)
    if ref is None:
        return None
    out = frame.copy()
    for i, stage in enumerate(ref.stages, start=1):
        column = f"s{i}.filters"
        if column in out.columns:
            out[column] = [
                None
                if _isnan(v)
                else ("< ref" if v < stage.out_channels else "> ref" if v > stage.out_channels else "= ref")
                for v in out[column].tolist()
            ]
        column = f"s{i}.layers"
        if column in out.columns:
            out[column] = [None if _isnan(v) else f"{int(v) - stage.layers:+d}" for v in out[column].tolist()]
    return out


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if value >= 1 else f"{value:g}"
    return str(value)


def _label_key(text: str) -> tuple[int, float | str]:
    try:
        return (0, float(text))
    except ValueError:
        return (1, text)


def _choice_unit(choice: str) -> str:
    return {
        "kernel": "kernel (px)",
        "expansion": "expansion ratio",
        "se": "SE ratio",
        "filters": "channels vs reference",
        "layers": "layers vs reference",
        "op": "op",
        "skip": "skip",
    }.get(choice, choice)


def _stage_part(code: str, stage: int) -> str:
    parts = code.split("|")
    return parts[stage] if 0 < stage < len(parts) - 2 else ""


def _step1(frame: pd.DataFrame) -> pd.DataFrame:
    """Grid trials of step 1 (phi = 1) when phi is recorded; every grid trial otherwise."""
    grid = coefficient_trials(frame)
    if "phi" in grid.columns and (grid["phi"] == 1).any():
        grid = grid[grid["phi"] == 1]
    return grid


def _shares(row: dict[str, Any]) -> tuple[float, float, float]:
    """How a point splits the FLOPs growth between depth, width, resolution (sums to 1).

    ``(ln alpha, 2 ln beta, 2 ln gamma)`` normalised: FLOPs scale with d * w^2 * r^2 (Eq. 3).
    """
    parts = [math.log(row["alpha"]), 2 * math.log(row["beta"]), 2 * math.log(row["gamma"])]
    total = sum(parts)
    return tuple(p / total for p in parts) if total > 0 else (1 / 3, 1 / 3, 1 / 3)  # type: ignore[return-value]


def coefficient_figure(frame: pd.DataFrame, band: tuple[float, float]) -> go.Figure | None:
    """The alpha/beta/gamma grid (EfficientNet Eq. 3): constraint band, accuracy and the winner.

    Left: accuracy against alpha*beta^2*gamma^2 with the accepted band shaded. Right: a ternary
    plot of how each point spends the FLOPs doubling on depth (ln alpha), width (2 ln beta) and
    resolution (2 ln gamma), coloured by accuracy; the winner is a star in both.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    grid = _step1(frame)
    if not len(grid):
        return None
    best = winner(frame, band)
    fig = make_subplots(
        rows=1,
        cols=2,
        specs=[[{"type": "xy"}, {"type": "ternary"}]],
        subplot_titles=[
            "accuracy vs α·β²·γ² (green band = accepted)",
            "how each point splits the FLOPs doubling",
        ],
        horizontal_spacing=0.14,
        column_widths=[0.55, 0.45],
    )

    def extra(row: dict[str, Any]) -> str:
        return (
            f"α={_fmt(row.get('alpha'), '.3g')} β={_fmt(row.get('beta'), '.3g')} "
            f"γ={_fmt(row.get('gamma'), '.3g')} · φ={_fmt(row.get('phi'), 'g')}"
            f" · α·β²·γ²={_fmt(row.get('constraint'), '.3f')} · MACs ×{_fmt(row.get('macs_ratio'), '.3f')}"
        )

    if "constraint" in grid.columns and grid["constraint"].notna().all():
        constraint = grid["constraint"]
    else:
        constraint = grid["alpha"] * grid["beta"] ** 2 * grid["gamma"] ** 2
    grid = grid.assign(constraint=constraint)
    trained = grid[grid["accuracy"].notna() & (grid["status"] == "complete")]
    untrained = grid[~grid.index.isin(trained.index)]
    fig.add_vrect(x0=band[0], x1=band[1], fillcolor="#2ca02c", opacity=0.12, line_width=0, row=1, col=1)
    accs = _nums(trained["accuracy"], 100)
    fig.add_trace(
        go.Scatter(
            x=_nums(trained["constraint"]),
            y=accs,
            mode="markers",
            name="grid point (φ = 1)",
            marker={"size": 10, "color": accs, "colorscale": "Viridis"},
            hovertext=_hovers(trained, extra),
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    shares = [_shares(r) for r in trained.to_dict("records")]
    fig.add_trace(
        go.Scatterternary(
            a=[sh[0] for sh in shares],
            b=[sh[1] for sh in shares],
            c=[sh[2] for sh in shares],
            mode="markers",
            marker={
                "size": 11,
                "color": accs,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": "accuracy (%)"}, "thickness": 12},
                "line": {"width": 0.5, "color": "white"},
            },
            hovertext=_hovers(trained, extra),
            hoverinfo="text",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    if len(untrained):
        ushares = [_shares(r) for r in untrained.to_dict("records")]
        fig.add_trace(
            go.Scatterternary(
                a=[sh[0] for sh in ushares],
                b=[sh[1] for sh in ushares],
                c=[sh[2] for sh in ushares],
                mode="markers",
                name="not trained (failed/pruned/running)",
                marker={"size": 10, "symbol": "x", "color": STATUS_COLORS["failed"]},
                hovertext=_hovers(untrained, extra),
                hoverinfo="text",
            ),
            row=1,
            col=2,
        )
    if best is not None:
        row = best.to_dict()
        hover = [hover_text(row, "<b>winner</b> · " + extra(row))]
        star = {"size": 20, "symbol": "star", "color": WINNER_COLOR, "line": {"width": 1, "color": "#333"}}
        c = row.get("constraint")
        c = c if not _isnan(c) else row["alpha"] * row["beta"] ** 2 * row["gamma"] ** 2
        fig.add_trace(
            go.Scatter(
                x=[c],
                y=[float(row["accuracy"]) * 100],
                mode="markers",
                name=f"winner α={row['alpha']:g} β={row['beta']:g} γ={row['gamma']:g}",
                marker=star,
                hovertext=hover,
                hoverinfo="text",
            ),
            row=1,
            col=1,
        )
        share = _shares(row)
        fig.add_trace(
            go.Scatterternary(
                a=[share[0]],
                b=[share[1]],
                c=[share[2]],
                mode="markers",
                marker=star,
                hovertext=hover,
                hoverinfo="text",
                showlegend=False,
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="α·β²·γ² (FLOPs multiplier per unit of φ)", row=1, col=1)
    fig.update_yaxes(title_text="proxy validation accuracy (%)", row=1, col=1)
    fig.layout.ternary.domain.y = (0.0, 0.84)  # room for the subplot title above the top corner
    fig.update_layout(
        ternary={
            "sum": 1,
            "aaxis": {"title": {"text": "depth share (ln α)"}, "tickformat": ".0%"},
            "baxis": {"title": {"text": "width share (2 ln β)"}, "tickformat": ".0%"},
            "caxis": {"title": {"text": "resolution share (2 ln γ)"}, "tickformat": ".0%"},
        }
    )
    return _layout(
        fig,
        f"Compound coefficients at φ = 1: the grid, the constraint band [{band[0]:g}, {band[1]:g}]"
        " and the winner",
        height=540,
        legend=_BOTTOM_LEGEND,
    )


def _isnan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def comparison_figure(frame: pd.DataFrame, band: tuple[float, float]) -> go.Figure | None:
    """Compound scaling against scaling one dimension (EfficientNet Figure 8): accuracy vs MACs."""
    import plotly.graph_objects as go

    table = scaling_comparison(frame, band)
    methods = [m for m in ("compound", *SINGLE_ROLES) if m in set(table["method"])]
    if not methods or not any(m in SINGLE_ROLES for m in methods) and "compound" not in methods:
        return None
    if not any(m in SINGLE_ROLES for m in methods):
        return None
    colors = {
        "compound": "#d62728",
        "single-width": "#1f77b4",
        "single-depth": "#2ca02c",
        "single-resolution": "#9467bd",
    }
    fig = go.Figure()
    for method in methods:
        part = table[table["method"] == method]
        fig.add_trace(
            go.Scatter(
                x=_nums(part["macs"], 1e-6),
                y=_nums(part["accuracy"], 100),
                mode="lines+markers",
                name={"compound": "compound (α, β, γ)"}.get(method, method.replace("single-", "") + " only"),
                line={"color": colors.get(method), "width": 3 if method == "compound" else 1.5},
                marker={"size": 9},
                hovertext=_hovers(part, lambda r: f"method: {r.get('method')} · φ={_fmt(r.get('phi'), 'g')}"),
                hoverinfo="text",
            )
        )
    _add_star(
        fig,
        table[table["method"] == "baseline"],
        "baseline (φ = 0)",
        {"color": "#333", "size": 14, "symbol": "star"},
    )
    return _layout(
        fig,
        "Compound vs single-dimension scaling (EfficientNet Fig. 8)",
        xaxis={"title": {"text": "MACs (millions, conv+linear multiply-adds)"}},
        yaxis={"title": {"text": "proxy validation accuracy (%)"}},
    )


def family_figure(base: ArchSpec, coefficients: tuple[float, float, float], source: str) -> go.Figure | None:
    """The scaled family: MACs and params against phi, beside 2^phi and the published B0–B7.

    Computed at the ImageNet setting (224 px base, 1000 classes) so the published points compare;
    ``None`` when the scaling or cost modules are not available.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    alpha, beta, gamma = coefficients
    members = scaled_family(base, alpha, beta, gamma)
    if not members:
        return None
    published = published_family()
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["MACs vs φ (log scale)", "parameters vs φ (log scale)"],
        horizontal_spacing=0.1,
    )
    phis = [m.phi for m in members]
    hovers = [
        f"<b>φ = {m.phi}</b> · {m.resolution}px · MACs {m.macs / 1e9:.3f}B · params {m.params / 1e6:.2f}M"
        f" · MACs ×{m.macs / members[0].macs:.2f} (2^φ = {2**m.phi})<br>{code_html(m.arch_code)}"
        for m in members
    ]
    name = f"ours: α={alpha:g} β={beta:g} γ={gamma:g}"
    fig.add_trace(
        go.Scatter(
            x=phis,
            y=[m.macs / 1e9 for m in members],
            mode="lines+markers",
            name=name,
            line={"color": "#d62728", "width": 2.5},
            hovertext=hovers,
            hoverinfo="text",
            legendgroup="ours",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=phis,
            y=[m.params / 1e6 for m in members],
            mode="lines+markers",
            name=name,
            line={"color": "#d62728", "width": 2.5},
            hovertext=hovers,
            hoverinfo="text",
            legendgroup="ours",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Scatter(
            x=phis,
            y=[members[0].macs / 1e9 * 2**p for p in phis],
            mode="lines",
            name="2^φ × φ=0 MACs",
            line={"color": "#888", "dash": "dash"},
            hovertext=[
                f"φ = {p}: {members[0].macs / 1e9 * 2**p:.3f}B = 2^{p} × φ=0<br>"
                + code_html(members[0].arch_code)
                for p in phis
            ],
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    if published:
        pub = [r for r in published if r["paper_macs"]]
        b_hover = [
            f"<b>EfficientNet-{r['name']}</b> (paper Table 2) · width ×{r['width']:g} "
            f"depth ×{r['depth']:g} · {r['resolution']}px<br>"
            f"published: {r['paper_macs'] / 1e9:.2f}B FLOPS, {r['paper_params'] / 1e6:.1f}M params"
            f" · ImageNet top-1 {r['top1']:.1f}%<br>"
            f"released build: {_fmt((r['macs'] or 0) / 1e9, '.3f')}B MACs, "
            f"{_fmt((r['params'] or 0) / 1e6, '.3f')}M params<br>code: efficientnet-{r['name'].lower()}"
            for r in pub
        ]
        for col, key, scale in ((1, "paper_macs", 1e-9), (2, "paper_params", 1e-6)):
            fig.add_trace(
                go.Scatter(
                    x=[r["phi"] for r in pub],
                    y=[r[key] * scale for r in pub],
                    mode="markers+text",
                    text=[r["name"] for r in pub],
                    textposition="middle left" if col == 1 else "top left",
                    textfont={"size": 10},
                    name="EfficientNet B0–B7 (published)",
                    marker={"color": "#1f77b4", "size": 10, "symbol": "square"},
                    hovertext=b_hover,
                    hoverinfo="text",
                    legendgroup="pub",
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="compound coefficient φ", dtick=1)
    fig.update_yaxes(
        title_text="MACs (billions, conv+linear multiply-adds)", type="log", dtick="D2", row=1, col=1
    )
    fig.update_yaxes(title_text="parameters (millions)", type="log", dtick="D2", row=1, col=2)
    return _layout(
        fig,
        f"Scaled family at ImageNet settings (224 px at φ = 0, 1000 classes): {source}",
        height=520,
        legend=_BOTTOM_LEGEND,
    )


__all__ = [
    "PAPER_COEFFICIENTS",
    "accuracy_macs_figure",
    "choices_figure",
    "code_html",
    "coefficient_figure",
    "comparison_figure",
    "family_figure",
    "hover_text",
    "progress_figure",
    "sampling_figure",
]
