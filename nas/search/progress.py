"""Progress output of a running baseline search: the live display and one line per finished trial.

Long work shows progress (``docs/baseline_search.md``): while the study runs, a rich display shows
trained candidates against the budget with an ETA, the best reward so far and its architecture,
its MACs against the target, and what the current candidate is doing (epoch, accuracy); every
finished trial adds one log line (reward, accuracy, MACs, or why it was rejected, served as a
duplicate, pruned or failed). What a finished search prints (leaderboard, Pareto front, counts)
is terminal reporting and lives in :mod:`results.search_summary`.
"""

from __future__ import annotations

import time
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState
from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from nas.search.driver import SearchConfig, ranked, reference_trial
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
    counts_toward_budget,
    is_free,
)
from search_spaces.codes import arch_from_code
from search_spaces.notation import short_arch, si_count


def _mac_text(macs: int | None, target: int) -> str:
    if not macs:
        return "-"
    return f"{si_count(int(macs), '.1f')} = {macs / target:.2f}xT"


def trial_summary(trial: FrozenTrial, target: int) -> str:
    """One line about a finished trial (progress log)."""
    attrs = trial.user_attrs
    macs = attrs.get(MACS)
    macs_text = f"MACs {format_flops(int(macs))} ({macs / target:.2f}xT)" if macs else ""
    reason = attrs.get(REASON, "")
    head = f"#{trial.number}"
    if attrs.get(ROLE) == ROLE_REFERENCE:
        head += " ref"
    if reason.startswith(REJECTED):
        return f"{head} {reason}"
    if reason.startswith(DUPLICATE):
        value = attrs.get(REWARD)
        return f"{head} {reason}" + (f" (reward {value:.4f})" if value is not None else "")
    parts = [head]
    if attrs.get(REWARD) is not None:
        parts.append(f"reward {attrs[REWARD]:.4f}")
    if attrs.get(ACCURACY) is not None:
        parts.append(f"acc {attrs[ACCURACY]:.4f}")
    parts.append(macs_text)
    if attrs.get(PARAMS):
        parts.append(f"params {attrs[PARAMS] / 1e6:.2f}M")
    if attrs.get(WALL_S):
        parts.append(f"{attrs[WALL_S]:.1f}s")
    if reason:
        parts.append(f"[{reason}]")
    return " ".join(p for p in parts if p)


class LiveDisplay:
    """The live view; ``on_event`` hears the objective, ``on_trial`` is an Optuna callback."""

    def __init__(self, console: Console, config: SearchConfig, trained: int, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet  # --quiet: nothing live; the callbacks still count
        self.config = config
        self.target = config.target
        self.progress = Progress(
            TextColumn("[bold]trained"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = self.progress.add_task(
            "search", total=config.n_trials, completed=min(trained, config.n_trials)
        )
        self.best: FrozenTrial | None = None
        self.reference_reward: float | None = None
        self.now = "starting"
        self.counts = {"trials": 0, "rejected": 0, "duplicates": 0, "pruned": 0, "failed": 0}
        self.started = time.monotonic()
        self.live = Live(console=console, get_renderable=self.render, refresh_per_second=4, transient=False)

    def __enter__(self) -> LiveDisplay:
        if not self.quiet:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.quiet:
            return
        self.live.__exit__(*exc)
        if not self.console.is_terminal:
            self.console.print()

    def render(self) -> Group:
        lines = []
        if self.best is not None:
            attrs = self.best.user_attrs
            versus = ""
            if self.reference_reward:
                ref = self.reference_reward
                versus = f" · reference {ref:.4f} ({attrs[REWARD] / ref - 1:+.2%})"
            lines.append(
                f"best reward {attrs[REWARD]:.4f} (#{self.best.number}, acc {attrs[ACCURACY]:.4f}, "
                f"MACs {_mac_text(attrs.get(MACS), self.target)}){versus}"
            )
            lines.append(f"best arch {short_arch(arch_from_code(attrs[ARCH_CODE]))}")
        else:
            lines.append(f"best reward - (target {format_flops(self.target)} MACs)")
        c = self.counts
        lines.append(
            f"now: {self.now} · trials {c['trials']}: {c['rejected']} rejected, "
            f"{c['duplicates']} duplicates, {c['pruned']} pruned, {c['failed']} failed"
        )
        if self.config.timeout:
            left = max(0.0, self.config.timeout - (time.monotonic() - self.started))
            lines.append(f"timeout in {left:.0f}s")
        return Group(self.progress, Text("\n".join(lines)))

    def on_event(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "epoch":
            self.now = (
                f"#{payload['number']} epoch {payload['epoch']}/{self.config.proxy.epochs} "
                f"acc {payload['accuracy']:.4f}"
            )
        elif kind == "trial":
            self.now = f"#{payload['number']} done"

    def on_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.counts["trials"] += 1
        reason = str(trial.user_attrs.get(REASON, ""))
        if reason.startswith(REJECTED):
            self.counts["rejected"] += 1
        elif reason.startswith(DUPLICATE):
            self.counts["duplicates"] += 1
        elif trial.state == TrialState.PRUNED:
            self.counts["pruned"] += 1
        elif trial.state == TrialState.FAIL:
            self.counts["failed"] += 1
        attrs = trial.user_attrs
        feasible = all(v <= 0 for v in trial.constraints.values())
        if attrs.get(REWARD) is not None and trial.state == TrialState.COMPLETE and not is_free(trial):
            if attrs.get(ROLE) == ROLE_REFERENCE:  # the comparison: shown beside the best, never it
                self.reference_reward = float(attrs[REWARD])
            elif feasible and (self.best is None or attrs[REWARD] > self.best.user_attrs[REWARD]):
                self.best = trial
        trained = sum(
            1
            for t in study.get_trials(
                deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
            )
            if counts_toward_budget(t)
        )
        self.progress.update(self.task, completed=min(trained, self.config.n_trials))
        if not self.quiet:
            self.console.print(trial_summary(trial, self.target), highlight=False, soft_wrap=True)

    def seed_from(self, study: optuna.Study) -> None:
        """Show what a resumed study already holds."""
        ranking = ranked(study)
        self.best = ranking[0] if ranking else None
        reference = reference_trial(study)
        self.reference_reward = float(reference.user_attrs[REWARD]) if reference else None


__all__ = ["LiveDisplay", "trial_summary"]
