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
)
from results.coefficients import (
    SINGLE_ROLES,
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
            f"α={fmt(row.get('alpha'), '.3g')} β={fmt(row.get('beta'), '.3g')} "
            f"γ={fmt(row.get('gamma'), '.3g')} · φ={fmt(row.get('phi'), 'g')}"
            f" · α·β²·γ²={fmt(row.get('constraint'), '.3f')} · MACs ×{fmt(row.get('macs_ratio'), '.3f')}"
        )

    if "constraint" in grid.columns and grid["constraint"].notna().all():
        constraint = grid["constraint"]
    else:
        constraint = grid["alpha"] * grid["beta"] ** 2 * grid["gamma"] ** 2
    grid = grid.assign(constraint=constraint)
    trained = grid[grid["accuracy"].notna() & (grid["status"] == "complete")]
    untrained = grid[~grid.index.isin(trained.index)]
    fig.add_vrect(x0=band[0], x1=band[1], fillcolor="#2ca02c", opacity=0.12, line_width=0, row=1, col=1)
    accs = nums(trained["accuracy"], 100)
    fig.add_trace(
        go.Scatter(
            x=nums(trained["constraint"]),
            y=accs,
            mode="markers",
            name="grid point (φ = 1)",
            marker={"size": 10, "color": accs, "colorscale": "Viridis"},
            hovertext=hovers(trained, extra),
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
            hovertext=hovers(trained, extra),
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
                hovertext=hovers(untrained, extra),
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
    fig.update_xaxes(title_text="compound coefficient φ", dtick=1)
    fig.update_yaxes(
        title_text="MACs (billions, conv+linear multiply-adds)", type="log", dtick="D2", row=1, col=1
    )
    fig.update_yaxes(title_text="parameters (millions)", type="log", dtick="D2", row=1, col=2)
    return layout(
        fig,
        f"Scaled family at ImageNet settings (224 px at φ = 0, 1000 classes): {source}",
        height=520,
        legend=BOTTOM_LEGEND,
    )
