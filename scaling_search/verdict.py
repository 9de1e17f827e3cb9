"""Crowning a winner of the coefficient grid only when its lead is larger than the seed noise.

A proxy accuracy moves between training seeds (on the default CPU proxy one architecture moves by
several points, README "Proxy fidelity"), so the best mean of a handful of candidates may be luck.
Each candidate is trained ``repeats`` times with seeds ``seed, seed+1, ...``; from those runs:

- **spread**: the seed-to-seed standard deviation of one run's accuracy, pooled over every
  candidate with at least two runs (root of the mean sample variance);
- **noise of the lead**: the standard deviation of the difference of two ``repeats``-run means,
  ``spread * sqrt(2 / repeats)``: how far apart two equally good candidates land by chance;
- **lead**: the winner's score minus the runner-up's (accuracy under the tolerance rule, the soft
  reward under the soft rule; :func:`scaling_search.realised.score`; the reward's MACs factor is
  within a few percent of 1 on the grid, so the noise is compared in accuracy units).

The winner is *established* when ``lead > noise``; otherwise the output says the lead is inside
the noise and names the candidate only as leading. With one run per candidate the spread is not
measured and nothing is established.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: Scores are compared to 9 decimals, so float noise never decides a tie.
_DIGITS = 9


def pick_winner(rows: Sequence[tuple[int, float | None, int]]) -> int | None:
    """Index with the highest score; ties (to 1e-9) to fewer MACs, then to the lower index.

    ``rows`` are ``(index, score or None, macs)``; None (failed) never wins.
    """
    scored = [(round(s, _DIGITS), macs, index) for index, s, macs in rows if s is not None]
    if not scored:
        return None
    return min(scored, key=lambda r: (-r[0], r[1], r[2]))[2]


def pooled_spread(runs: Sequence[Sequence[float]]) -> float | None:
    """Seed-to-seed standard deviation of one run, pooled over candidates with >= 2 runs."""
    variances = [statistics.variance(r) for r in runs if len(r) >= 2]
    return math.sqrt(statistics.fmean(variances)) if variances else None


@dataclass(frozen=True)
class Verdict:
    """The winner, its lead over the runner-up and whether that lead beats the seed noise."""

    rule: str
    winner: int | None
    runner_up: int | None
    lead: float | None
    spread: float | None
    repeats: int

    @property
    def noise(self) -> float | None:
        """Standard deviation of the difference of two ``repeats``-run means."""
        return None if self.spread is None else self.spread * math.sqrt(2.0 / self.repeats)

    @property
    def established(self) -> bool:
        return self.lead is not None and self.noise is not None and self.lead > self.noise

    def statement(self) -> str:
        """One line for the terminal and ``coefficients.yaml``."""
        if self.winner is None:
            return "no candidate finished training"
        if self.runner_up is None:
            return "only one candidate finished: nothing to compare it with"
        lead = f"lead {self.lead:.4f} over #{self.runner_up}"
        if self.noise is None:
            return (
                f"{lead}; seed noise not measured (1 run per candidate): the winner is not established, "
                "rerun with --repeats 2 or more"
            )
        noise = f"seed noise ±{self.noise:.4f} (spread {self.spread:.4f} per run, {self.repeats} repeats)"
        if self.established:
            return f"{lead} > {noise}: winner established"
        return f"{lead} <= {noise}: the lead is inside the noise, no winner established"

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "winner": self.winner,
            "runner_up": self.runner_up,
            "lead": self.lead,
            "spread": self.spread,
            "noise": self.noise,
            "repeats": self.repeats,
            "established": self.established,
            "statement": self.statement(),
        }


def decide(
    rule: str,
    rows: Sequence[tuple[int, float | None, int]],
    runs: Sequence[Sequence[float]],
    repeats: int,
) -> Verdict:
    """The verdict over ``rows`` (index, score or None, MACs) and each candidate's ``runs``."""
    winner = pick_winner(rows)
    others = [r for r in rows if r[0] != winner]
    runner_up = pick_winner(others) if winner is not None else None
    lead = None
    if winner is not None and runner_up is not None:
        score = {index: s for index, s, _ in rows if s is not None}  # both have a score: they won
        lead = round(float(score[winner]) - float(score[runner_up]), _DIGITS)
    return Verdict(rule, winner, runner_up, lead, pooled_spread(runs), int(repeats))


__all__ = ["Verdict", "decide", "pick_winner", "pooled_spread"]
