"""Terminal output of a baseline search: the live progress display, the leaderboard, baseline.yaml.

Long work shows progress (DESIGN.md section 3): while the study runs, a rich display shows trained
candidates against the budget with an ETA, the best reward so far and its architecture, its MACs
against the target, and what the current candidate is doing (epoch, accuracy); every finished
trial adds one log line (reward, accuracy, MACs, or why it was rejected, served as a duplicate,
pruned or failed). At the end, a leaderboard ranks the best in-band candidates by reward, next to
the reference B0 trained under the same proxy.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
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
from rich.table import Table
from rich.text import Text

from nas.search.driver import SearchConfig, SearchOutcome, is_free, is_trained, trial_summary
from nas.search.objective import short_arch
from nas.search.reward import format_flops
from search_spaces.arch_yaml import arch_to_dict
from search_spaces.codes import arch_from_code


def _short_flops(value: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f}{unit}"
    return str(value)


def _mac_text(macs: int | None, target: int) -> str:
    if not macs:
        return "-"
    return f"{_short_flops(int(macs))} = {macs / target:.2f}xT"


class LiveDisplay:
    """The live view; ``on_event`` hears the objective, ``on_trial`` is an Optuna callback."""

    def __init__(self, console: Console, config: SearchConfig, trained: int) -> None:
        self.console = console
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
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)
        if not self.console.is_terminal:
            self.console.print()

    def render(self) -> Group:
        lines = []
        if self.best is not None:
            attrs = self.best.user_attrs
            versus = ""
            if self.reference_reward:
                versus = (
                    f" · B0 {self.reference_reward:.4f} ({attrs['reward'] / self.reference_reward - 1:+.2%})"
                )
            lines.append(
                f"best reward {attrs['reward']:.4f} (#{self.best.number}, acc {attrs['accuracy']:.4f}, "
                f"MACs {_mac_text(attrs.get('macs'), self.target)}){versus}"
            )
            lines.append(f"best arch {short_arch(arch_from_code(attrs['arch_code']))}")
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

    def on_trial(self, study: Any, trial: FrozenTrial) -> None:
        self.counts["trials"] += 1
        reason = str(trial.user_attrs.get("reason", ""))
        if reason.startswith("rejected"):
            self.counts["rejected"] += 1
        elif reason.startswith("duplicate"):
            self.counts["duplicates"] += 1
        elif trial.state == TrialState.PRUNED:
            self.counts["pruned"] += 1
        elif trial.state == TrialState.FAIL:
            self.counts["failed"] += 1
        attrs = trial.user_attrs
        feasible = all(v <= 0 for v in trial.constraints.values())
        if attrs.get("reward") is not None and trial.state == TrialState.COMPLETE and not is_free(trial):
            if attrs.get("role") == "reference":
                self.reference_reward = float(attrs["reward"])
            if feasible and (self.best is None or attrs["reward"] > self.best.user_attrs["reward"]):
                self.best = trial
        trained = sum(
            1
            for t in study.get_trials(
                deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
            )
            if is_trained(t)
        )
        self.progress.update(self.task, completed=min(trained, self.config.n_trials))
        self.console.print(trial_summary(trial, self.target), highlight=False, soft_wrap=True)

    def seed_from(self, study: Any) -> None:
        """Show what a resumed study already holds."""
        from nas.search.driver import ranked, reference_trial

        ranking = ranked(study)
        self.best = ranking[0] if ranking else None
        reference = reference_trial(study)
        self.reference_reward = float(reference.user_attrs["reward"]) if reference else None


def leaderboard_rows(outcome: SearchOutcome, top: int = 10) -> list[FrozenTrial]:
    """Top-k in-band candidates by reward, plus B0 when it is not among them."""
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
        tag = f"#{trial.number}" + (" B0" if trial.user_attrs.get("role") == "reference" else "")
        lines.append(f"{tag:>8}  {short_arch(arch_from_code(trial.user_attrs['arch_code']))}")
    return "\n".join(lines)


def leaderboard(outcome: SearchOutcome, target: int, top: int = 10) -> Table:
    """Top-k in-band candidates by reward, plus B0 when it is not among them."""
    reference = outcome.reference
    b0 = float(reference.user_attrs["reward"]) if reference else None
    rows = leaderboard_rows(outcome, top)
    table = Table(title=f"leaderboard: top {top} by reward (target {format_flops(target)} MACs)")
    for name in ("rank", "trial", "reward", "vs B0", "accuracy", "MACs", "xT", "params"):
        table.add_column(name, justify="right", no_wrap=True)
    position = {t.number: i for i, t in enumerate(outcome.ranking, 1)}
    for trial in rows:
        a = trial.user_attrs
        reward = float(a["reward"])
        is_b0 = a.get("role") == "reference"
        table.add_row(
            str(position.get(trial.number, "-")),
            f"{trial.number}" + (" B0" if is_b0 else ""),
            f"{reward:.4f}",
            f"{reward / b0 - 1:+.2%}" if b0 else "-",
            f"{a['accuracy']:.4f}",
            _short_flops(int(a["macs"])),
            f"{a['macs'] / target:.2f}",
            f"{a['params'] / 1e6:.2f}M",
        )
    return table


def pareto_table(outcome: SearchOutcome, target: int) -> Table | None:
    """The accuracy/MACs Pareto front of an nsga2 study (in-band, trained), cheapest first."""
    study = outcome.study
    if len(study.directions) < 2:
        return None
    front = [t for t in study.best_trials if not is_free(t) and t.user_attrs.get("accuracy") is not None]
    table = Table(title="Pareto front (accuracy up, MACs down)")
    for name in ("trial", "accuracy", "MACs", "xT", "reward", "arch"):
        table.add_column(name, justify="left" if name == "arch" else "right")
    for trial in sorted(front, key=lambda t: t.user_attrs["macs"]):
        a = trial.user_attrs
        table.add_row(
            str(trial.number),
            f"{a['accuracy']:.4f}",
            _short_flops(int(a["macs"])),
            f"{a['macs'] / target:.2f}",
            f"{a['reward']:.4f}" if a.get("reward") is not None else "-",
            short_arch(arch_from_code(a["arch_code"])),
        )
    return table


def counts(outcome: SearchOutcome) -> dict[str, int]:
    """Trials by what happened to them."""
    out = {"total": 0, "trained": 0, "complete": 0, "pruned": 0, "failed": 0, "rejected": 0, "duplicates": 0}
    for trial in outcome.study.get_trials(deepcopy=False):
        if trial.state not in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            continue
        out["total"] += 1
        reason = str(trial.user_attrs.get("reason", ""))
        if reason.startswith("rejected"):
            out["rejected"] += 1
        elif reason.startswith("duplicate"):
            out["duplicates"] += 1
        elif is_trained(trial):
            out["trained"] += 1
            key = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}
            out[key[trial.state]] += 1
    return out


def training_seconds(outcome: SearchOutcome) -> float:
    return sum(float(t.user_attrs.get("wall_s") or 0.0) for t in outcome.study.get_trials(deepcopy=False))


def write_baseline(outcome: SearchOutcome, config: SearchConfig, path: Path, storage_shown: str) -> Path:
    """``baseline.yaml``: the best architecture (loadable by ``--base``), with its provenance."""
    best = outcome.best
    assert best is not None
    attrs = best.user_attrs
    arch = arch_from_code(attrs["arch_code"])
    data = arch_to_dict(arch, name=f"{config.study_name}-baseline")
    reference = outcome.reference
    data["notes"].update(
        {
            "study": config.study_name,
            "storage": storage_shown,
            "trial": best.number,
            "reward": attrs["reward"],
            "accuracy": attrs["accuracy"],
            "macs": attrs["macs"],
            "params": attrs["params"],
            "target_flops": config.target,
            "reward_kind": config.reward.kind,
            "w": config.reward.w,
            "reference_reward": reference.user_attrs["reward"] if reference else None,
            "proxy": config.proxy.to_dict(),
            "dataset": config.dataset,
        }
    )
    header = (
        f"# Baseline found by `effsearch baseline` (study {config.study_name}, trial {best.number}).\n"
        f"# reward {attrs['reward']:.4f} = proxy accuracy {attrs['accuracy']:.4f} x "
        f"(MACs {attrs['macs']:,} / {config.target:,}) ** {config.reward.w:g} ({config.reward.kind}); "
        f"params {attrs['params']:,}.\n"
        f"# MACs: conv+linear multiply-adds at {arch.resolution}x{arch.resolution}, "
        f"{config.in_channels} input channel(s), {config.num_classes} classes.\n"
        "# Use it with --base runs/<study>/baseline.yaml; `notes` is ignored when loading.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100))
    return path


__all__ = [
    "LiveDisplay",
    "arch_lines",
    "counts",
    "leaderboard",
    "leaderboard_rows",
    "pareto_table",
    "training_seconds",
    "write_baseline",
]
