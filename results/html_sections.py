"""The tables and summary cards of the HTML dashboard: best architecture, leaderboard, Pareto
front, coefficient grid and the search's cost at a glance.

Each function returns pre-escaped HTML for one section of :func:`results.html.render_report`;
every value from the study is escaped here, because architecture codes and study names are user
text.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from results.coefficients import constraint_band, winner
from results.formatting import REWARD_SPEC, duration
from results.formatting import number as num
from results.leaderboard import leaderboard, rank_column
from results.oneshot import has_supernet_trials
from results.pareto import pareto_front
from results.stats import search_cost
from results.tables import reward_exponent, study_kind, study_settings, target_macs

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna
    import pandas as pd

#: Rows of the leaderboard and candidates of the choice heatmap.
TOP_K = 10


def esc(value: Any) -> str:
    return html.escape(str(value))


def table_html(headers: list[tuple[str, str]], rows: list[list[str]]) -> str:
    """An HTML table; each header is (text, css class) and cells are pre-escaped HTML."""
    head = "".join(f'<th class="{cls}">{esc(text)}</th>' for text, cls in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{cls}">{cell}</td>' for (_, cls), cell in zip(headers, row, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _stage_codes(code: str) -> str:
    parts = str(code or "").split("|")
    return " | ".join(parts[1:-2]) if len(parts) > 3 else str(code or "")


def leaderboard_html(frame: pd.DataFrame) -> str:
    top = leaderboard(frame, k=TOP_K)
    if not len(top):
        return '<p class="note">No finished trials yet.</p>'
    headers = [
        ("rank", "num"),
        ("trial", "num"),
        ("role", ""),
        ("reward", "num"),
        ("accuracy", "num"),
        ("MACs", "num"),
        ("params", "num"),
        ("epochs", "num"),
        ("train time", "num"),
        ("stages (op_rN_kK_sS_eE_cC_seR)", "code"),
    ]
    rows = [
        [
            str(r["rank"]),
            f"#{int(r['number'])}",
            esc(r["role"]),
            num(r["reward"], REWARD_SPEC),
            num(r["accuracy"], ".2%"),
            num(_div(r["macs"], 1e6), ".1f", "M"),
            num(_div(r["params"], 1e6), ".2f", "M"),
            num(r["epochs_run"], ".0f"),
            duration(_float(r["wall_s"])),
            esc(_stage_codes(r["arch_code"])),
        ]
        for r in top.to_dict("records")
    ]
    if has_supernet_trials(frame):  # a oneshot study: say how each accuracy was measured
        headers.insert(3, ("fidelity", ""))
        for row, r in zip(rows, top.to_dict("records"), strict=True):
            row.insert(3, esc(r["fidelity"]))
    return table_html(headers, rows)


def _div(value: Any, by: float) -> float | None:
    number = _float(value)
    return number / by if number is not None else None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def best_arch_html(frame: pd.DataFrame, band: tuple[float, float] | None = None) -> str:
    """The best candidate (or, given the constraint ``band``, the coefficient winner) stage by stage."""
    from search_spaces.codes import arch_from_code
    from search_spaces.errors import UserError

    if band is not None:
        best = winner(frame, band)
        if best is None:
            return ""
        row = best
    else:
        top = leaderboard(frame, k=1)
        if not len(top):
            return ""
        row = top.iloc[0]
    if not row["arch_code"]:
        return ""
    try:
        arch = arch_from_code(str(row["arch_code"]))
    except UserError:
        return ""
    headers = [
        ("stage", "num"),
        ("op", ""),
        ("kernel", "num"),
        ("stride", "num"),
        ("expansion", "num"),
        ("SE ratio", "num"),
        ("skip", ""),
        ("out channels", "num"),
        ("layers", "num"),
    ]
    rows = [
        [
            "stem",
            "conv",
            str(arch.stem_kernel),
            str(arch.stem_stride),
            "",
            "",
            "",
            str(arch.stem_channels),
            "1",
        ]
    ]
    for i, s in enumerate(arch.stages, start=1):
        rows.append(
            [
                str(i),
                esc(s.op),
                str(s.kernel),
                str(s.stride),
                str(s.expansion),
                f"{s.se_ratio:g}",
                "yes" if s.skip else "no",
                str(s.out_channels),
                str(s.layers),
            ]
        )
    rows.append(["head", "conv1x1, pool, FC", "1", "1", "", "", "", str(arch.head_channels), "1"])
    coeffs = ""
    if band is not None:
        coeffs = f"α={row['alpha']:g}, β={row['beta']:g}, γ={row['gamma']:g}, "
    note = (
        f'<p class="note">Trial #{int(row["number"])}: {coeffs}'
        f"reward {num(row['reward'], REWARD_SPEC)}, accuracy "
        f"{num(row['accuracy'], '.2%')}, {num(_div(row['macs'], 1e6), '.1f')}M MACs, "
        f"{num(_div(row['params'], 1e6), '.2f')}M params at {arch.resolution}px.</p>"
        f'<p class="note">Code: <code>{esc(row["arch_code"])}</code></p>'
    )
    return note + table_html(headers, rows)


def pareto_html(frame: pd.DataFrame) -> str:
    front = pareto_front(frame)
    if not len(front):
        return ""
    headers = [("trial", "num"), ("MACs", "num"), ("accuracy", "num"), ("reward", "num"), ("stages", "code")]
    rows = [
        [
            f"#{int(r['number'])}",
            num(_div(r["macs"], 1e6), ".1f", "M"),
            num(r["accuracy"], ".2%"),
            num(r["reward"], REWARD_SPEC),
            esc(_stage_codes(r["arch_code"])),
        ]
        for r in front.to_dict("records")
    ]
    return table_html(headers, rows)


def coefficients_html(frame: pd.DataFrame, band: tuple[float, float]) -> str:
    from results.coefficients import coefficient_trials

    grid = coefficient_trials(frame)
    if not len(grid):
        return ""
    by = rank_column(grid) if (grid["status"] == "complete").any() else "reward"
    grid = grid.sort_values(by, ascending=False, na_position="last", kind="stable")
    best = winner(frame, band)
    headers = [
        ("trial", "num"),
        ("α", "num"),
        ("β", "num"),
        ("γ", "num"),
        ("φ", "num"),
        ("α·β²·γ²", "num"),
        ("in band", ""),
        ("MACs ×", "num"),
        ("accuracy", "num"),
        ("reward", "num"),
        ("status", ""),
    ]
    rows = []
    for r in grid.to_dict("records"):
        c = _float(r.get("constraint"))
        mark = " ★" if best is not None and int(best["number"]) == int(r["number"]) else ""
        rows.append(
            [
                f"#{int(r['number'])}{mark}",
                num(r["alpha"], ".3g"),
                num(r["beta"], ".3g"),
                num(r["gamma"], ".3g"),
                num(r.get("phi"), "g"),
                num(c, ".3f"),
                "yes" if c is not None and band[0] - 1e-9 <= c <= band[1] + 1e-9 else "no",
                num(r.get("macs_ratio"), ".3f"),
                num(r["accuracy"], ".2%"),
                num(r["reward"], REWARD_SPEC),
                esc(r["status"]),
            ]
        )
    return table_html(headers, rows)


def cards_html(frame: pd.DataFrame, study: optuna.Study) -> str:
    cost = search_cost(frame)
    target = target_macs(study)
    settings = study_settings(study)
    statuses = ", ".join(f"{n} {s}" for s, n in cost.by_status.items()) or "none yet"
    cards = [("trials", str(cost.n_trials), statuses)]
    if study_kind(study) == "coefficients":
        best = winner(frame, constraint_band(settings))
        if best is not None:
            constraint = _float(best.get("constraint"))
            cards.append(
                (
                    "winner",
                    f"α={best['alpha']:g} β={best['beta']:g} γ={best['gamma']:g}",
                    f"trial #{int(best['number'])}, α·β²·γ² = {num(constraint, '.3f')}",
                )
            )
            cards.append(
                (
                    "its accuracy",
                    num(best["accuracy"], ".2%"),
                    f"{num(_div(best['macs'], 1e6), '.1f')}M MACs (×{num(best.get('macs_ratio'), '.2f')})",
                )
            )
    else:
        top = leaderboard(frame, k=1)
        if len(top):
            best = top.iloc[0]
            by = rank_column(frame)
            cards.append((f"best {by}", num(best[by], ".2%"), f"trial #{int(best['number'])}"))
            cards.append(
                (
                    "its accuracy",
                    num(best["accuracy"], ".2%"),
                    f"{num(_div(best['macs'], 1e6), '.1f')}M MACs",
                )
            )
        if target:
            kind = settings.get("reward_kind", "soft")
            cards.append(
                ("target T", f"{target / 1e6:.0f}M", f"{kind} constraint, w = {reward_exponent(study):g}")
            )
    if settings.get("dataset"):
        cards.append(("dataset", str(settings["dataset"]), str(settings.get("space", ""))))
    cards.append(
        ("training time", duration(cost.total_train_s), f"mean {duration(cost.mean_train_s)} per trial")
    )
    cards.append(
        (
            "throughput",
            num(cost.candidates_per_hour, ".1f", "/h"),
            f"elapsed {duration(cost.elapsed_s)}" + (f" · {', '.join(cost.devices)}" if cost.devices else ""),
        )
    )
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
            f'<div class="sub">{esc(sub)}</div></div>'
            for label, value, sub in cards
        )
        + "</div>"
    )
