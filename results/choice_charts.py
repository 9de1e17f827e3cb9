"""The per-stage choice heatmap of a baseline search: what the best candidates chose.

MnasNet's factorised space (MnasNet section 3.2) picks op, kernel, expansion, SE, skip, filters
and layers per stage; this figure shows, stage by stage, how often the top-k trials took each
option, so a reader sees which decisions the search settled and which it left open.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from results.chart_style import (
    CHOICE_TITLES,
    isnan,
    layout,
)
from results.leaderboard import leaderboard
from results.stats import choice_stats
from results.tables import STAGE_CHOICES

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    import plotly.graph_objects as go

    from search_spaces.arch import ArchSpec


def choices_figure(
    frame: pd.DataFrame, k: int = 10, settings: Mapping[str, Any] | None = None
) -> go.Figure | None:
    """Per-stage choice distributions of the top-k: one heatmap per choice (stage x value).

    Colour: share of the top-k; hover: share among all sampled, best top-k trial. ``settings``: the study's.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    relative = _relative_to_reference(frame, settings)
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
    return layout(
        fig,
        f"What the top-{len(top)} chose, per stage (cell = number of top-{len(top)} models; colour = share)",
        height=max(360, 250 * nrows),
    )


def space_reference(settings: Mapping[str, Any]) -> ArchSpec | None:
    """The searched space's reference network, from a baseline study's settings (the space's name
    or file, checked against its fingerprint); None when the space cannot be read back."""
    from search_spaces.space_yaml import load_space

    source = settings.get("space")
    if not isinstance(source, str) or not source:
        return None
    try:
        space = load_space(source)
    except Exception:  # a moved or edited space file: the chart falls back
        return None
    fingerprint = settings.get("space_fingerprint")
    if fingerprint is not None and space.fingerprint() != fingerprint:
        return None
    return space.reference


def _reference_arch(frame: pd.DataFrame, settings: Mapping[str, Any] | None = None) -> ArchSpec | None:
    """The searched space's reference (filters and layers are chosen relative to it); for a study
    from before ``--compare`` whose space cannot be read back, its ``role: reference`` trial (then
    the space's reference); else B0 when the stage count matches."""
    from search_spaces.arch_yaml import reference_b0
    from search_spaces.codes import arch_from_code
    from search_spaces.errors import UserError

    settings = settings or {}
    reference = space_reference(settings)
    if reference is not None:
        return reference
    legacy = "compare" not in settings  # since --compare, the reference trial is the comparison network
    for code in frame.loc[frame["role"] == "reference", "arch_code"].tolist() if legacy else []:
        try:
            return arch_from_code(str(code))
        except UserError:
            continue
    b0 = reference_b0()
    stages = {c.split(".", 1)[0] for c in frame.columns if c.startswith("s") and c.endswith(".filters")}
    return b0 if len(stages) == len(b0.stages) else None


def _relative_to_reference(
    frame: pd.DataFrame, settings: Mapping[str, Any] | None = None
) -> pd.DataFrame | None:
    """Filters and layers relative to the reference stage (MnasNet's space searches them that way).

    Absolute channel counts differ per stage, so one heatmap row per count would be mostly empty;
    "< ref" / "= ref" / "> ref" and layer offsets ("-1", "+0", "+1") line the stages up.
    """
    ref = _reference_arch(frame, settings)
    if ref is None:
        return None
    out = frame.copy()
    for i, stage in enumerate(ref.stages, start=1):
        column = f"s{i}.filters"
        if column in out.columns:
            out[column] = [
                None
                if isnan(v)
                else ("< ref" if v < stage.out_channels else "> ref" if v > stage.out_channels else "= ref")
                for v in out[column].tolist()
            ]
        column = f"s{i}.layers"
        if column in out.columns:
            out[column] = [None if isnan(v) else f"{int(v) - stage.layers:+d}" for v in out[column].tolist()]
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
