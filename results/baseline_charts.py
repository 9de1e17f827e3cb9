"""Figures of a baseline search (MnasNet-style, EfficientNet section 4): progress, accuracy vs MACs
and what the sampler chose over time.

Each function takes the trial frame (:func:`results.tables.trials_frame`) and returns a figure, or
``None`` when the study has nothing to show for it (an empty study, no finished trial, ...).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from results.chart_style import (
    REFERENCE_COLOR,
    STATUS_COLORS,
    add_star,
    hover_text,
    hovers,
    layout,
    nums,
    si_log_ticks,
)
from results.leaderboard import finished, rank_column
from results.oneshot_charts import split_by_fidelity, standalone_trace
from results.pareto import pareto_front

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    import plotly.graph_objects as go


def _markers(
    rows: pd.DataFrame, x: list[Any], y: list[Any], name: str, marker: dict[str, Any], **extra: Any
) -> go.Scatter:
    """One marker trace of trials with their hover text: every point a reader can identify."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=x, y=y, mode="markers", name=name, marker=marker, hovertext=hovers(rows), hoverinfo="text", **extra
    )


def _running_best(done: pd.DataFrame, by: str, last_number: int) -> tuple[list[int], list[float], list[Any]]:
    """Steps of the running best of ``by`` (in %), carried on to ``last_number``, with the row holding it.

    The last step is extended to the study's last trial so a plateau at the end stays visible.
    """
    xs: list[int] = []
    ys: list[float] = []
    holders: list[Any] = []
    best_value, best_row = -math.inf, None
    for row in done.to_dict("records"):
        if float(row[by]) > best_value:
            best_value, best_row = float(row[by]), row
        xs.append(int(row["number"]))
        ys.append(best_value * 100)
        holders.append(best_row)
    xs.append(last_number)
    ys.append(ys[-1])
    holders.append(holders[-1])
    return xs, ys, holders


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
    numbers = candidates["number"].tolist()
    fig.add_trace(
        _markers(
            candidates,
            numbers,
            nums(candidates[by], 100),
            f"{by} per trial",
            {"color": STATUS_COLORS["complete"], "size": 7},
        )
    )
    if by != "accuracy" and done["accuracy"].notna().any():
        fig.add_trace(
            _markers(
                candidates,
                numbers,
                nums(candidates["accuracy"], 100),
                "accuracy per trial",
                {"color": "#7fb3d5", "size": 5, "symbol": "circle-open"},
            )
        )
    pruned = frame[(frame["status"] == "pruned") & frame["accuracy"].notna()]
    if len(pruned):
        fig.add_trace(
            _markers(
                pruned,
                pruned["number"].tolist(),
                nums(pruned["accuracy"], 100),
                "pruned (accuracy when stopped)",
                {"color": STATUS_COLORS["pruned"], "size": 6, "symbol": "x"},
            )
        )
    xs, ys, holders = _running_best(done, by, int(frame["number"].max()))
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
            _markers(
                ref,
                ref["number"].tolist(),
                nums(ref[by], 100),
                "reference",
                {"color": REFERENCE_COLOR, "size": 15, "symbol": "star", "line": {"width": 1}},
            )
        )
    return layout(
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


def _candidate_marker(candidates: pd.DataFrame, has_reward: bool) -> dict[str, Any]:
    """Candidate markers coloured by reward when there is one, so the best region stands out."""
    marker: dict[str, Any] = {"size": 8, "line": {"width": 0.5, "color": "white"}}
    if has_reward:
        marker.update(
            color=nums(candidates["reward"], 100),
            colorscale="Viridis",
            showscale=True,
            colorbar={"title": {"text": "reward (%)"}, "thickness": 12},
        )
    else:
        marker["color"] = STATUS_COLORS["complete"]
    return marker


def _macs_span(done: pd.DataFrame, target: int | None) -> tuple[float, float]:
    """MACs range to draw (millions): every trial and the target, with 15% margin either side."""
    macs_m = [m for m in nums(done["macs"], 1e-6) if m]
    lo, hi = min(macs_m), max(macs_m)
    if target:
        lo, hi = min(lo, target / 1e6), max(hi, target / 1e6)
    return lo / 1.15, hi * 1.15


def _add_iso_lines(
    fig: go.Figure, done: pd.DataFrame, span: tuple[float, float], target: int, w: float, reward_kind: str
) -> None:
    """Reward iso-lines through the best reward and the quartiles, sampled log-evenly over ``span``."""
    import plotly.graph_objects as go

    span_lo, span_hi = span
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
                name="reward iso-lines" if n == 0 else f"reward {level:.4f}",
                legendgroup="iso",
                showlegend=n == 0,
                hovertext=[
                    f"reward {level:.4f} everywhere on this line<br>"
                    f"ACC·(MACs/T)^{w:g} = const (MnasNet Eq. 2)<br>MACs {x:.1f}M → ACC {y:.2f}%"
                    for x, y in zip(xs, ys, strict=True)
                ],
                hoverinfo="text",
            )
        )


def _add_pareto(fig: go.Figure, frame: pd.DataFrame) -> None:
    """The accuracy/MACs Pareto front as a step line, when there is one."""
    import plotly.graph_objects as go

    front = pareto_front(frame)
    if len(front):
        fig.add_trace(
            go.Scatter(
                x=nums(front["macs"], 1e-6),
                y=nums(front["accuracy"], 100),
                mode="lines+markers",
                line={"shape": "hv", "color": "#ff7f0e", "width": 2},
                marker={"size": 9, "symbol": "diamond-open", "color": "#ff7f0e"},
                name="Pareto front",
                hovertext=hovers(front, lambda r: "on the Pareto front"),
                hoverinfo="text",
            )
        )


def _accuracy_macs_layout(fig: go.Figure, done: pd.DataFrame, span: tuple[float, float]) -> go.Figure:
    """Axes of the accuracy/MACs figure: log MACs when the range spans more than 8x, padded accuracy."""
    span_lo, span_hi = span
    accs = [a for a in nums(done["accuracy"], 100) if a is not None]
    pad = max((max(accs) - min(accs)) * 0.15, 0.5)
    log_x = span_hi / span_lo > 8
    unit = "log scale" if log_x else "millions"  # a log axis is labelled 100M, 200M, 1G
    layout(
        fig,
        "Accuracy vs MACs: target, reward iso-lines, Pareto front",
        height=520,
        xaxis={
            "title": {"text": f"MACs ({unit} of conv+linear multiply-adds, at search resolution)"},
            "type": "log" if log_x else "linear",
            "range": [math.log10(span_lo), math.log10(span_hi)] if log_x else [span_lo, span_hi],
        },
        yaxis={
            "title": {"text": "proxy validation accuracy (%)"},
            "range": [min(accs) - pad, max(accs) + pad],
        },
    )
    return si_log_ticks(fig, {"xaxis": 1e6})


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
    supernet, standalone = split_by_fidelity(done[done["role"] != "reference"])
    both = bool(len(supernet) and len(standalone))  # a oneshot study: the two fidelities apart
    candidates = supernet if both else done[done["role"] != "reference"]
    has_reward = candidates["reward"].notna().any()
    fig.add_trace(
        _markers(
            candidates,
            nums(candidates["macs"], 1e-6),
            nums(candidates["accuracy"], 100),
            "candidates: supernet, inherited weights" if both else "candidates",
            _candidate_marker(candidates, has_reward),
        )
    )
    if both:
        fig.add_trace(standalone_trace(standalone))
    pruned = frame[(frame["status"] == "pruned") & frame["accuracy"].notna() & frame["macs"].notna()]
    if len(pruned):
        fig.add_trace(
            _markers(
                pruned,
                nums(pruned["macs"], 1e-6),
                nums(pruned["accuracy"], 100),
                "pruned (when stopped)",
                {"color": STATUS_COLORS["pruned"], "size": 6, "symbol": "x"},
                visible="legendonly",
            )
        )
    _add_pareto(fig, frame)
    span = _macs_span(done, target)
    if target and has_reward:
        _add_iso_lines(fig, done, span, target, w, reward_kind)
    if target:
        fig.add_vline(
            x=target / 1e6,
            line={"color": "#444", "dash": "dash", "width": 1.5},
            annotation_text=f"target T = {target / 1e6:.0f}M",
            annotation_position="bottom right",
        )
    add_star(
        fig,
        done[done["role"] == "reference"],
        "reference",
        {"color": REFERENCE_COLOR, "size": 16, "symbol": "star", "line": {"width": 1}},
    )
    return _accuracy_macs_layout(fig, done, span)


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
                y=nums(part["macs"], 1e-6),
                mode="markers",
                name=f"{status} ({len(part)})",
                marker={
                    "color": color,
                    "size": 7,
                    "symbol": {"rejected": "x-thin-open", "failed": "x"}.get(status, "circle"),
                    "line": {"width": 1.5 if status == "rejected" else 0, "color": color},
                },
                hovertext=hovers(part),
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
    return layout(
        fig,
        "Sampled candidates: MACs per trial, by outcome",
        xaxis={"title": {"text": "trial number"}},
        yaxis={"title": {"text": "MACs (millions, at search resolution)"}},
    )
