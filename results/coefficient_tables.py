"""Terminal tables of a finished coefficient search (EfficientNet section 3.3, Eq. 3; Figure 8).

The candidates table shows, per judged network, the representative (alpha, beta, gamma), how many
grid points build the same network, the nominal ``alpha * beta**2 * gamma**2``, and the realised
MACs against the base and against ``2**phi x base`` (:mod:`scaling_search.realised`), with the
accuracy and, under the soft rule, the soft reward that decided. The summary lines say how the
grid shrank, which rule decided and whether the winner's lead beats the seed noise
(:mod:`scaling_search.verdict`).
"""

from __future__ import annotations

from typing import Any

from results.formatting import number
from scaling_search.coefficient_output import grid_summary
from scaling_search.progress import size
from scaling_search.realised import RULE_SOFT, score


def accuracy_text(trial: Any) -> str:
    """``0.7412 ± 0.0051`` (repeats > 1), ``0.7412``, ``failed (reason)`` or ``-``."""
    if trial is None:
        return "-"
    acc = trial.user_attrs.get("accuracy")
    if acc is None:
        return f"failed ({trial.user_attrs.get('reason') or trial.state.name.lower()})"
    std = trial.user_attrs.get("accuracy_std") or 0.0
    repeats = int(trial.user_attrs.get("repeats") or 1)
    return f"{acc:.4f} ± {std:.4f}" if repeats > 1 else f"{acc:.4f}"


def candidates_table(outcome: Any) -> Any:
    """The rich table of every judged network (the winner starred) and the reference."""
    from rich.table import Table

    config = outcome.config
    soft = config.plan.rule == RULE_SOFT
    table = Table(
        title=f"compound coefficients at phi={config.phi:g}: realised MACs vs 2^phi x base "
        f"(±{config.flops_tolerance:.0%}), MACs at {config.base.resolution}px x gamma^phi",
        title_justify="left",
    )
    headers = ["", "alpha", "beta", "gamma", "points", "a*b^2*g^2", "res", "MACs", "MACs/base"]
    headers += ["/2^phi", "params", "accuracy"] + (["soft reward"] if soft else [])
    for header in headers:
        table.add_column(header, justify="right")
    ref = outcome.reference
    row = ["base", "1", "1", "1", "", "1", str(ref.train_resolution), size(ref.macs), "1.00", ""]
    table.add_row(*row, size(ref.params), accuracy_text(outcome.reference_trial), *([""] if soft else []))
    for candidate in outcome.candidates:
        point, network = candidate.point, candidate.network
        trial = outcome.trials.get(candidate.index)
        mark = ("★" if outcome.verdict.established else "☆") if candidate.index == outcome.winner else ""
        cells = [
            mark or f"#{candidate.index}",
            f"{point.alpha:g}",
            f"{point.beta:g}",
            f"{point.gamma:g}",
            str(len(network.points)),
            f"{point.constraint:.3f}",
            str(candidate.train_resolution),
            size(candidate.macs),
            f"{candidate.macs_ratio:.2f}",
            f"{network.ratio:.2f}",
            size(candidate.params),
            accuracy_text(trial),
        ]
        if soft:
            accuracy = trial.user_attrs.get("accuracy") if trial is not None else None
            cells.append(number(score(accuracy, network.ratio, RULE_SOFT), ".4f"))
        table.add_row(*cells)
    return table


def summary_lines(outcome: Any) -> list[str]:
    """The grid before/after, the rule that decided and the verdict, one line each."""
    grid = grid_summary(outcome)
    low, high = grid["realised_ratio_range"]
    phi = outcome.config.phi
    return [
        f"grid: {grid['points']} points -> {grid['distinct_networks']} distinct networks after rounding "
        f"(realised MACs {low * 2**phi:.2f}x to {high * 2**phi:.2f}x base, 2^phi = {2**phi:.3g}); "
        f"{grid['compound_networks']} compound, {grid['inside_tolerance']} inside the tolerance; "
        f"{grid['judged']} judged of {grid['candidates']}",
        outcome.config.plan.describe_rule(),
        outcome.verdict.statement(),
    ]


def comparison_table(outcome: Any) -> Any:
    """Compound winner vs width-only, depth-only, resolution-only at the same MACs (paper Fig. 8)."""
    from rich.table import Table

    winner = outcome.winner_candidate
    table = Table(title="compound vs single-dimension scaling at the same MACs", title_justify="left")
    for header in ("scaling", "multiplier(s)", "res", "blocks", "MACs", "MACs/base", "params", "accuracy"):
        table.add_column(header, justify="right")
    point = winner.point
    table.add_row(
        "compound",
        f"a={point.alpha:g} b={point.beta:g} g={point.gamma:g}",
        str(winner.train_resolution),
        str(winner.arch.num_blocks),
        size(winner.macs),
        f"{winner.macs_ratio:.2f}",
        size(winner.params),
        accuracy_text(outcome.trials.get(winner.index)),
    )
    for single, trial in outcome.singles:
        table.add_row(
            single.role.removeprefix("single-") + " only",
            f"x{single.multiplier:.3f}",
            str(single.train_resolution),
            str(single.arch.num_blocks),
            size(single.macs),
            f"{single.macs_ratio:.2f}",
            size(single.params),
            accuracy_text(trial),
        )
    return table


__all__ = ["accuracy_text", "candidates_table", "comparison_table", "summary_lines"]
