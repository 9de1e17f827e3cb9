"""Figures of a coefficient search (EfficientNet section 3.3, Eq. 3): the alpha/beta/gamma grid,
compound vs single-dimension scaling (Figure 8) and the scaled family against the published B0-B7.

Each function returns a figure, or ``None`` when the study has nothing to show for it (a
baseline study has no coefficient grid, ...).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from results.chart_style import (
    BOTTOM_LEGEND,
    STATUS_COLORS,
    WINNER_COLOR,
    add_star,
    code_html,
    hover_text,
    hovers,
    isnan,
    layout,
    nums,
    si_log_ticks,
)
from results.coefficients import (
    SINGLE_ROLES,
    FamilyMember,
    coefficient_trials,
    published_family,
    scaled_family,
    scaling_comparison,
    winner,
)
from results.formatting import number as fmt

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    import plotly.graph_objects as go

    from search_spaces.arch import ArchSpec


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


def _grid_hover(row: dict[str, Any]) -> str:
    """Hover line of one grid point: its coefficients, phi, the constraint value and MACs ratio."""
    return (
        f"α={fmt(row.get('alpha'), '.3g')} β={fmt(row.get('beta'), '.3g')} "
        f"γ={fmt(row.get('gamma'), '.3g')} · φ={fmt(row.get('phi'), 'g')}"
        f" · α·β²·γ²={fmt(row.get('constraint'), '.3f')} · MACs ×{fmt(row.get('macs_ratio'), '.3f')}"
    )


def _with_constraint(grid: pd.DataFrame) -> pd.DataFrame:
    """``grid`` with alpha*beta^2*gamma^2 in ``constraint``: the stored value when every row has one."""
    if "constraint" in grid.columns and grid["constraint"].notna().all():
        constraint = grid["constraint"]
    else:
        constraint = grid["alpha"] * grid["beta"] ** 2 * grid["gamma"] ** 2
    return grid.assign(constraint=constraint)


def _ternary(rows: list[dict[str, Any]], **kwargs: Any) -> go.Scatterternary:
    """Ternary markers at each row's depth/width/resolution split of the FLOPs growth."""
    import plotly.graph_objects as go

    shares = [_shares(r) for r in rows]
    return go.Scatterternary(
        a=[sh[0] for sh in shares],
        b=[sh[1] for sh in shares],
        c=[sh[2] for sh in shares],
        mode="markers",
        **kwargs,
    )


def _add_grid_points(fig: go.Figure, grid: pd.DataFrame) -> None:
    """Trained grid points in both panels (coloured by accuracy); untrained ones as crosses on the right."""
    import plotly.graph_objects as go

    trained = grid[grid["accuracy"].notna() & (grid["status"] == "complete")]
    untrained = grid[~grid.index.isin(trained.index)]
    accs = nums(trained["accuracy"], 100)
    fig.add_trace(
        go.Scatter(
            x=nums(trained["constraint"]),
            y=accs,
            mode="markers",
            name="grid point (φ = 1)",
            marker={"size": 10, "color": accs, "colorscale": "Viridis"},
            hovertext=hovers(trained, _grid_hover),
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    colorbar = {"title": {"text": "accuracy (%)"}, "thickness": 12}
    fig.add_trace(
        _ternary(
            trained.to_dict("records"),
            marker={
                "size": 11,
                "color": accs,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": colorbar,
                "line": {"width": 0.5, "color": "white"},
            },
            hovertext=hovers(trained, _grid_hover),
            hoverinfo="text",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    if len(untrained):
        fig.add_trace(
            _ternary(
                untrained.to_dict("records"),
                name="not trained (failed/pruned/running)",
                marker={"size": 10, "symbol": "x", "color": STATUS_COLORS["failed"]},
                hovertext=hovers(untrained, _grid_hover),
                hoverinfo="text",
            ),
            row=1,
            col=2,
        )


def _add_winner(fig: go.Figure, best: pd.Series) -> None:
    """The winning grid point as a star in both panels."""
    import plotly.graph_objects as go

    row = best.to_dict()
    hover = [hover_text(row, "<b>winner</b> · " + _grid_hover(row))]
    star = {"size": 20, "symbol": "star", "color": WINNER_COLOR, "line": {"width": 1, "color": "#333"}}
    c = row.get("constraint")
    c = c if not isnan(c) else row["alpha"] * row["beta"] ** 2 * row["gamma"] ** 2
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
    fig.add_trace(
        _ternary([row], marker=star, hovertext=hover, hoverinfo="text", showlegend=False), row=1, col=2
    )


def _coefficient_axes(fig: go.Figure) -> None:
    """Axis titles of the grid panel and the ternary's depth/width/resolution axes."""
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


def coefficient_figure(frame: pd.DataFrame, band: tuple[float, float]) -> go.Figure | None:
    """The alpha/beta/gamma grid (EfficientNet Eq. 3): constraint band, accuracy and the winner.

    Left: accuracy against alpha*beta^2*gamma^2 with the accepted band shaded. Right: a ternary
    plot of how each point spends the FLOPs doubling on depth (ln alpha), width (2 ln beta) and
    resolution (2 ln gamma), coloured by accuracy; the winner is a star in both.
    """
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
    grid = _with_constraint(grid)
    fig.add_vrect(x0=band[0], x1=band[1], fillcolor="#2ca02c", opacity=0.12, line_width=0, row=1, col=1)
    _add_grid_points(fig, grid)
    if best is not None:
        _add_winner(fig, best)
    _coefficient_axes(fig)
    return layout(
        fig,
        f"Compound coefficients at φ = 1: the grid, the constraint band [{band[0]:g}, {band[1]:g}]"
        " and the winner",
        height=540,
        legend=BOTTOM_LEGEND,
    )


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
                x=nums(part["macs"], 1e-6),
                y=nums(part["accuracy"], 100),
                mode="lines+markers",
                name={"compound": "compound (α, β, γ)"}.get(method, method.replace("single-", "") + " only"),
                line={"color": colors.get(method), "width": 3 if method == "compound" else 1.5},
                marker={"size": 9},
                hovertext=hovers(part, lambda r: f"method: {r.get('method')} · φ={fmt(r.get('phi'), 'g')}"),
                hoverinfo="text",
            )
        )
    add_star(
        fig,
        table[table["method"] == "baseline"],
        "baseline (φ = 0)",
        {"color": "#333", "size": 14, "symbol": "star"},
    )
    return layout(
        fig,
        "Compound vs single-dimension scaling (EfficientNet Fig. 8)",
        xaxis={"title": {"text": "MACs (millions, conv+linear multiply-adds)"}},
        yaxis={"title": {"text": "proxy validation accuracy (%)"}},
    )


def _add_family(fig: go.Figure, members: list[FamilyMember], name: str) -> None:
    """Our scaled family: MACs (left) and params (right) against phi, and 2^phi x the phi = 0 MACs."""
    import plotly.graph_objects as go

    phis = [m.phi for m in members]
    texts = [
        f"<b>φ = {m.phi}</b> · {m.resolution}px · MACs {m.macs / 1e9:.3f}B · params {m.params / 1e6:.2f}M"
        f" · MACs ×{m.macs / members[0].macs:.2f} (2^φ = {2**m.phi})<br>{code_html(m.arch_code)}"
        for m in members
    ]
    for col, values in ((1, [m.macs / 1e9 for m in members]), (2, [m.params / 1e6 for m in members])):
        fig.add_trace(
            go.Scatter(
                x=phis,
                y=values,
                mode="lines+markers",
                name=name,
                line={"color": "#d62728", "width": 2.5},
                hovertext=texts,
                hoverinfo="text",
                legendgroup="ours",
                showlegend=None if col == 1 else False,  # one legend entry for both panels
            ),
            row=1,
            col=col,
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


def _add_published(fig: go.Figure, published: list[dict[str, Any]]) -> None:
    """The published B0-B7 (paper Table 2) in both panels, with the released builds in the hover."""
    import plotly.graph_objects as go

    pub = [r for r in published if r["paper_macs"]]
    b_hover = [
        f"<b>EfficientNet-{r['name']}</b> (paper Table 2) · width ×{r['width']:g} "
        f"depth ×{r['depth']:g} · {r['resolution']}px<br>"
        f"published: {r['paper_macs'] / 1e9:.2f}B FLOPS, {r['paper_params'] / 1e6:.1f}M params"
        f" · ImageNet top-1 {r['top1']:.1f}%<br>"
        f"released build: {fmt((r['macs'] or 0) / 1e9, '.3f')}B MACs, "
        f"{fmt((r['params'] or 0) / 1e6, '.3f')}M params<br>code: efficientnet-{r['name'].lower()}"
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


def family_figure(base: ArchSpec, coefficients: tuple[float, float, float], source: str) -> go.Figure | None:
    """The scaled family: MACs and params against phi, beside 2^phi and the published B0–B7.

    Computed at the ImageNet setting (224 px base, 1000 classes) so the published points compare;
    ``None`` when the scaling or cost modules are not available.
    """
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
    _add_family(fig, members, f"ours: α={alpha:g} β={beta:g} γ={gamma:g}")
    if published:
        _add_published(fig, published)
    fig.update_xaxes(title_text="compound coefficient φ", dtick=1)
    fig.update_yaxes(title_text="MACs (conv+linear multiply-adds, log scale)", type="log", row=1, col=1)
    fig.update_yaxes(title_text="parameters (log scale)", type="log", row=1, col=2)
    si_log_ticks(fig, {"yaxis": 1e9, "yaxis2": 1e6})  # drawn in billions and millions
    return layout(
        fig,
        f"Scaled family at ImageNet settings (224 px at φ = 0, 1000 classes): {source}",
        height=520,
        legend=BOTTOM_LEGEND,
    )
