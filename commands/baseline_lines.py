"""What a finished ``effsearch baseline`` says about its result: the best line, or why there is none.

Both read a :class:`~nas.search.driver.SearchOutcome` (the oneshot strategy hands in one whose
ranking is the promoted winner and whose reference is the promoted comparison network).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from commands.baseline_checks import Checked
    from nas.search.driver import SearchOutcome


def best_line(outcome: SearchOutcome, target: int) -> str:
    """The winner's numbers, and its reward against the comparison network's (same proxy)."""
    from nas.search.reward import format_flops

    best = outcome.best
    assert best is not None, "called only once a best trial exists"
    a = best.user_attrs
    reference, versus = outcome.reference, ""
    if reference is not None:
        ref = float(reference.user_attrs["reward"])
        name = reference.user_attrs.get("compare_name") or "reference"
        versus = f" vs {name} {ref:.4f} ({a['reward'] / ref - 1:+.2%}, same proxy)"
    return (
        f"best: trial {best.number} reward {a['reward']:.4f}{versus}; accuracy {a['accuracy']:.4f}, "
        f"MACs {format_flops(int(a['macs']))} ({a['macs'] / target:.2f}xT), params {a['params'] / 1e6:.2f}M"
    )


def no_result_line(outcome: SearchOutcome, checked: Checked) -> str:
    """Why there is no baseline; "rerun" only when a rerun can make progress (budget left)."""
    if outcome.stopped_for_free:
        return (
            "no trained candidate inside the band: the sampler kept proposing rejected or duplicate "
            "candidates; widen --flops-band, change --target-flops or --space (a rerun would do the same)"
        )
    if outcome.trained < checked.n_trials:
        return (
            f"no trained candidate inside the band yet ({outcome.trained} of {checked.n_trials} trained "
            "when this run stopped); rerun the same command to resume"
        )
    return (
        f"none of the {outcome.trained} trained candidate(s) finished inside the band (all failed or were "
        "pruned); the budget is spent, so raise --n-trials or change the proxy to try again"
    )


__all__ = ["best_line", "no_result_line"]
