"""The terminal report: rich tables of a study, or of every study in a storage.

What a person wants at a glance after (or during) a search: what it was asked to do (settings),
what it cost, the leaderboard, the Pareto front, what the winners chose per stage, and for a
coefficients study the grid with its winner. Architectures are shown in a compact per-stage
notation, the one the search prints (``M6k5x2/40``: MBConv expansion 6, 5x5 kernel, 2 layers,
40 output channels; ``-`` no SE, ``!`` no skip); the exact code is in ``--format csv/json``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from results.coefficients import coefficient_trials, constraint_band, scaling_comparison, winner
from results.formatting import REWARD_SPEC, duration, number
from results.leaderboard import leaderboard, rank_column
from results.oneshot import has_supernet_trials, is_oneshot, promotion_of, supernet_history_frame
from results.oneshot_sections import promotion_table, supernet_history_table
from results.pareto import pareto_front
from results.stats import choice_stats, search_cost
from results.tables import (
    STAGE_CHOICES,
    reward_exponent,
    study_kind,
    study_settings,
    target_macs,
    trials_frame,
)
from search_spaces.codes import arch_from_code
from search_spaces.errors import UserError
from search_spaces.notation import short_arch

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna
    import pandas as pd
    from rich.console import Console

    from results.storage import StudyInfo


def _mega(value: Any, spec: str = ".1f") -> str:
    try:
        return number(float(value) / 1e6, spec, "M")
    except (TypeError, ValueError):
        return "—"


def compact_stages(code: str) -> str:
    """Per-stage shorthand of an architecture code, as the search prints it (``M6k5x2/40``).

    The notation is :func:`search_spaces.notation.short_arch`'s; a code that does not decode is
    shown as it is.
    """
    try:
        arch = arch_from_code(code)
    except UserError:
        return code or "—"
    return short_arch(arch)


def print_study_list(infos: list[StudyInfo], console: Console, storage_label: str = "") -> None:
    """The studies of a storage: kind, trials by state, best value, last activity."""
    from rich.table import Table

    if not infos:
        console.print(f"No studies in {storage_label or 'this storage'} yet.")
        return
    table = Table(
        title=f"Studies in {storage_label}" if storage_label else "Studies",
        title_justify="left",
        caption="trials: total (complete/pruned/failed/running); best value: objective of the best trial",
        caption_justify="left",
    )
    longest = max(len(info.name) for info in infos)
    table.add_column("study", overflow="fold", min_width=min(longest, 40))
    table.add_column("kind", overflow="fold")
    table.add_column("trials", justify="right", no_wrap=True)
    table.add_column("best value", justify="right", no_wrap=True)
    table.add_column("last activity", no_wrap=True)
    for info in infos:
        states = "/".join(str(info.states.get(s, 0)) for s in ("complete", "pruned", "fail", "running"))
        best = number(info.best_value, ".4f")
        if info.best_trial is not None:
            best += f" #{info.best_trial}"
        table.add_row(
            info.name,
            info.kind or "—",
            f"{info.n_trials} ({states})",
            best,
            info.last_activity.strftime("%Y-%m-%d %H:%M") if info.last_activity else "—",
        )
    console.print(table)


def _settings_line(study: optuna.Study) -> str:
    settings = study_settings(study)
    target = target_macs(study)
    bits = []
    if target:
        bits.append(f"target T = {target / 1e6:.0f}M MACs")
    if "reward_kind" in settings or target:
        bits.append(f"{settings.get('reward_kind', 'soft')} reward, w = {reward_exponent(study):g}")
    for key in ("dataset", "space", "sampler", "search_resolution"):
        if key in settings:
            bits.append(f"{key} {settings[key]}")
    return " · ".join(bits)


def _cost_table(frame: pd.DataFrame) -> Any:
    from rich.table import Table

    cost = search_cost(frame)
    table = Table(title="Search cost", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("trials", str(cost.n_trials))
    table.add_row("by outcome", ", ".join(f"{n} {s}" for s, n in cost.by_status.items()) or "—")
    table.add_row("trained", f"{cost.n_trained} trials, {cost.total_epochs} epochs")
    table.add_row(
        "training time",
        f"{duration(cost.total_train_s, sep='')} total, {duration(cost.mean_train_s, sep='')} mean, "
        f"{duration(cost.median_train_s, sep='')} median per trained trial",
    )
    table.add_row(
        "throughput",
        f"{number(cost.candidates_per_hour, '.1f')} candidates/h, "
        f"{number(cost.trained_per_hour, '.1f')} trained/h over {duration(cost.elapsed_s, sep='')}",
    )
    if cost.mean_images_per_s:
        table.add_row("training speed", f"{cost.mean_images_per_s:.0f} images/s mean")
    if cost.devices:
        table.add_row("devices", ", ".join(cost.devices))
    return table


def _leaderboard_table(frame: pd.DataFrame, k: int) -> Any:
    from rich.table import Table

    top = leaderboard(frame, k=k)
    by = rank_column(frame)
    table = Table(title=f"Leaderboard (top {k} by {by}; ref = the space's reference)", title_justify="left")
    for name in ("#", "trial", "reward", "acc.", "MACs", "params", "time"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("stages", overflow="fold", ratio=1, min_width=20)
    oneshot = has_supernet_trials(frame)
    if oneshot:  # how each accuracy was measured: supernet (inherited weights) or stand-alone
        table.add_column("fidelity", no_wrap=True)
    for row in top.to_dict("records"):
        table.add_row(
            str(row["rank"]),
            f"{row['number']}{' ref' if row['role'] == 'reference' else ''}",
            number(row["reward"], REWARD_SPEC),
            number(row["accuracy"], ".2%"),
            _mega(row["macs"]),
            _mega(row["params"], ".2f"),
            duration(_float(row["wall_s"]), sep=""),
            compact_stages(row["arch_code"]),
            *([str(row["fidelity"])] if oneshot else []),
        )
    return table


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pareto_table(frame: pd.DataFrame) -> Any:
    from rich.table import Table

    front = pareto_front(frame)
    table = Table(title="Pareto front (accuracy vs MACs)", title_justify="left")
    for name in ("trial", "MACs", "acc.", "reward"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("stages", overflow="fold", ratio=1, min_width=20)
    for row in front.to_dict("records"):
        table.add_row(
            str(row["number"]),
            _mega(row["macs"]),
            number(row["accuracy"], ".2%"),
            number(row["reward"], REWARD_SPEC),
            compact_stages(row["arch_code"]),
        )
    return table


def _choices_table(frame: pd.DataFrame, k: int) -> Any | None:
    from rich.table import Table

    stats = choice_stats(frame, k=k)
    if not len(stats):
        return None
    stages = sorted({s for s in stats["stage"] if isinstance(s, int)})
    top_n = len(leaderboard(frame, k=k))
    table = Table(
        title=f"What the top {top_n} chose: most common value per stage (how many of the {top_n})",
        title_justify="left",
    )
    table.add_column("choice", no_wrap=True)
    for stage in stages:
        table.add_column(f"s{stage}", justify="center", no_wrap=True)
    for choice in STAGE_CHOICES:
        part = stats[stats["choice"] == choice]
        if not len(part):
            continue
        cells = []
        for stage in stages:
            rows = part[part["stage"] == stage].sort_values("top_count", ascending=False, kind="stable")
            if not len(rows):
                cells.append("—")
                continue
            best = rows.iloc[0]
            cells.append(f"{_short(choice, best['value'])} {best['top_count']}")
        table.add_row(choice, *cells)
    return table


def _short(choice: str, value: Any) -> str:
    """A choice value in a few characters (the choices table must fit 80 columns)."""
    if choice == "op":
        return {"mbconv": "M", "dsconv": "D", "conv": "C"}.get(str(value), str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _coefficients_tables(frame: pd.DataFrame, study: optuna.Study) -> list[Any]:
    from rich.table import Table

    grid = coefficient_trials(frame)
    if not len(grid):
        return []
    band = constraint_band(study_settings(study))
    best = winner(frame, band)
    by = rank_column(grid) if (grid["status"] == "complete").any() else "reward"
    grid = grid.sort_values(by, ascending=False, na_position="last", kind="stable")
    table = Table(
        title=f"Coefficient grid (accepted α·β²·γ² in [{band[0]:g}, {band[1]:g}])",
        title_justify="left",
    )
    with_reward = bool(grid["reward"].notna().any())  # the coefficient search optimises accuracy
    names = ["trial", "α", "β", "γ", "φ", "α·β²·γ²", "MACs ×", "accuracy"] + (
        ["reward"] if with_reward else []
    )
    for name in [*names, "status"]:
        table.add_column(name, justify="left" if name == "status" else "right", no_wrap=True)
    for row in grid.to_dict("records"):
        mark = " ★" if best is not None and int(best["number"]) == int(row["number"]) else ""
        cells = [
            f"{row['number']}{mark}",
            number(row["alpha"], ".3g"),
            number(row["beta"], ".3g"),
            number(row["gamma"], ".3g"),
            number(row.get("phi"), "g"),
            number(row.get("constraint"), ".3f"),
            number(row.get("macs_ratio"), ".3f"),
            number(row["accuracy"], ".2%"),
        ]
        if with_reward:
            cells.append(number(row["reward"], REWARD_SPEC))
        table.add_row(*cells, row["status"])
    out = [table]
    comparison = scaling_comparison(frame, band)
    if len(comparison):
        cmp_table = Table(title="Compound vs single-dimension scaling", title_justify="left")
        for name in ("method", "trial", "φ", "MACs", "accuracy"):
            cmp_table.add_column(name, justify="left" if name == "method" else "right")
        shown = comparison[(comparison["method"] == "baseline") | (comparison["role"] != "reference")]
        for row in shown.to_dict("records"):
            cmp_table.add_row(
                row["method"],
                str(row["number"]),
                number(row.get("phi"), "g"),
                _mega(row["macs"]),
                number(row["accuracy"], ".2%"),
            )
        out.append(cmp_table)
    return out


def print_study(study: optuna.Study, console: Console, k: int = 10, storage_label: str = "") -> None:
    """Every table of the terminal report for one study."""
    from rich.panel import Panel

    frame = trials_frame(study)
    kind = study_kind(study) or "study"
    lines = [f"[bold]{study.study_name}[/bold] · {kind} · {len(frame)} trials"]
    if storage_label:
        lines.append(f"storage {storage_label}")
    settings = _settings_line(study)
    if settings:
        lines.append(settings)
    console.print(Panel("\n".join(lines), expand=False))
    if not len(frame):
        console.print("This study has no trials yet.")
        return
    console.print(_cost_table(frame))
    if kind == "coefficients":
        for table in _coefficients_tables(frame, study):
            console.print(table)
        return
    if not len(leaderboard(frame, k=1)):
        console.print("No trial has finished training yet.")
        return
    console.print(_leaderboard_table(frame, k))
    promotion = promotion_of(study)
    if promotion is not None:
        console.print(promotion_table(promotion))
    if is_oneshot(study):
        history = supernet_history_table(supernet_history_frame(study))
        if history is not None:
            console.print(history)
    console.print(_pareto_table(frame))
    choices = _choices_table(frame, k)
    if choices is not None:
        console.print(choices)
    for table in _coefficients_tables(frame, study):
        console.print(table)


__all__ = ["compact_stages", "print_study", "print_study_list"]
