"""What a finished baseline search prints: the leaderboard, the Pareto front and the trial counts.

This is the terminal report of one search run, composed by ``effsearch baseline`` after the study
stops; the same numbers for any stored study come from :mod:`results.terminal`. Rows are the
search's ranking (:func:`nas.search.driver.ranked`: trained, in-band, best reward first) with the
reference B0 trained under the same proxy beside them (MnasNet section 4 compares against a
reference in the same way). The progress display while it runs is :mod:`nas.search.progress`.
"""

from __future__ import annotations

from optuna.trial import FrozenTrial, TrialState
from rich.table import Table

from nas.search.driver import SearchOutcome
from nas.search.reward import format_flops
from nas.studies.records import (
    ACCURACY,
    ARCH_CODE,
    DUPLICATE,
    MACS,
    PARAMS,
    REASON,
    REJECTED,
    REWARD,
    ROLE,
    ROLE_REFERENCE,
    WALL_S,
    is_comparison,
    is_free,
    is_trained,
)
from search_spaces.codes import arch_from_code
from search_spaces.notation import short_arch, si_count


def leaderboard_rows(outcome: SearchOutcome, top: int = 10) -> list[FrozenTrial]:
    """Top-k in-band candidates by reward, plus the reference when it is not among them."""
    rows = list(outcome.ranking[:top])
    if outcome.reference is not None and outcome.reference not in rows:
        rows.append(outcome.reference)
    return rows


def arch_lines(rows: list[FrozenTrial]) -> str:
    """``#7  M1k3x1/16 M6k5x2/24 ...`` per leaderboard row (the table has no room for them)."""
    legend = (
        "arch per stage: M<expansion>/D(sconv)/C(onv), k<kernel>, x<layers>/<filters>; - no SE, ! no skip"
    )
    lines = [legend]
    for trial in rows:
        tag = f"#{trial.number}" + (" ref" if trial.user_attrs.get(ROLE) == ROLE_REFERENCE else "")
        lines.append(f"{tag:>8}  {short_arch(arch_from_code(trial.user_attrs[ARCH_CODE]))}")
    return "\n".join(lines)


def leaderboard(outcome: SearchOutcome, target: int, top: int = 10) -> Table:
    """Top-k in-band candidates by reward, plus the reference when it is not among them."""
    reference = outcome.reference
    b0 = float(reference.user_attrs[REWARD]) if reference else None
    rows = leaderboard_rows(outcome, top)
    table = Table(title=f"leaderboard: top {top} by reward (target {format_flops(target)} MACs)")
    for name in ("rank", "trial", "reward", "vs ref", "accuracy", "MACs", "xT", "params"):
        table.add_column(name, justify="right", no_wrap=True)
    position = {t.number: i for i, t in enumerate(outcome.ranking, 1)}
    for trial in rows:
        a = trial.user_attrs
        reward = float(a[REWARD])
        is_b0 = a.get(ROLE) == ROLE_REFERENCE
        table.add_row(
            str(position.get(trial.number, "-")),
            f"{trial.number}" + (" ref" if is_b0 else ""),
            f"{reward:.4f}",
            f"{reward / b0 - 1:+.2%}" if b0 else "-",
            f"{a[ACCURACY]:.4f}",
            si_count(int(a[MACS]), ".1f"),
            f"{a[MACS] / target:.2f}",
            f"{a[PARAMS] / 1e6:.2f}M",
        )
    return table


def pareto_table(outcome: SearchOutcome, target: int) -> Table | None:
    """The accuracy/MACs Pareto front of an nsga2 study (in-band, trained), cheapest first."""
    study = outcome.study
    if len(study.directions) < 2:
        return None
    front = [
        t
        for t in study.best_trials
        if not is_free(t) and not is_comparison(t) and t.user_attrs.get(ACCURACY) is not None
    ]
    table = Table(title="Pareto front (accuracy up, MACs down)")
    for name in ("trial", "accuracy", "MACs", "xT", "reward", "arch"):
        table.add_column(name, justify="left" if name == "arch" else "right")
    for trial in sorted(front, key=lambda t: t.user_attrs[MACS]):
        a = trial.user_attrs
        table.add_row(
            str(trial.number),
            f"{a[ACCURACY]:.4f}",
            si_count(int(a[MACS]), ".1f"),
            f"{a[MACS] / target:.2f}",
            f"{a[REWARD]:.4f}" if a.get(REWARD) is not None else "-",
            short_arch(arch_from_code(a[ARCH_CODE])),
        )
    return table


def counts(outcome: SearchOutcome) -> dict[str, int]:
    """Trials by what happened to them."""
    out = {"total": 0, "trained": 0, "complete": 0, "pruned": 0, "failed": 0, "rejected": 0, "duplicates": 0}
    for trial in outcome.study.get_trials(deepcopy=False):
        if trial.state not in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            continue
        out["total"] += 1
        reason = str(trial.user_attrs.get(REASON, ""))
        if reason.startswith(REJECTED):
            out["rejected"] += 1
        elif reason.startswith(DUPLICATE):
            out["duplicates"] += 1
        elif is_trained(trial):
            out["trained"] += 1
            key = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}
            out[key[trial.state]] += 1
    return out


def training_seconds(outcome: SearchOutcome) -> float:
    return sum(float(t.user_attrs.get(WALL_S) or 0.0) for t in outcome.study.get_trials(deepcopy=False))


__all__ = ["arch_lines", "counts", "leaderboard", "leaderboard_rows", "pareto_table", "training_seconds"]
