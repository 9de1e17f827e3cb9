"""Progressive shrinking: which part of the space the sandwich trains at each point of training.

Once-for-All (Cai et al. 2020, section 3.2) does not train every candidate from the first step.
It trains the full network first, then lets the kernel size vary, then the depth, then the width
(expansion ratio), each phase fine-tuning the shared weights on a larger part of the space, so
that a smaller candidate starts from weights that already work inside the larger one. Training
all candidates at once from scratch (BigNAS's sandwich) needs hundreds of epochs; on a CPU proxy
of a few hundred steps, random children of a from-scratch sandwich stay near chance
(``benchmarks/probe_elastic_dims.py``).

:data:`PHASES` is our version of that order for MnasNet-like spaces: the teacher alone; then
kernel and layers; then the choices that nest as channel slices (expansions above 1, filters,
SE); last the whole space (expansion 1, the other ops, the other skips), where the sandwich of
:mod:`nas.oneshot.sampling` takes over. :func:`phase_space` gives the sub-space of a phase: the
space with every choice not yet free pinned to the teacher's value in that stage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from search_spaces.arch import ArchSpec
from search_spaces.space import SearchSpace

#: How a supernet's training steps choose candidates: BigNAS's sandwich over the whole space from
#: the first step, or Once-for-All's progressive shrinking (:data:`PHASES`).
SCHEDULES: tuple[str, ...] = ("sandwich", "progressive")
DEFAULT_SCHEDULE = "sandwich"


def check_schedule(schedule: str) -> str:
    """``schedule`` itself, or a ValueError naming the schedules."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    return schedule


@dataclass(frozen=True)
class Phase:
    """From ``start`` (a fraction of all steps) on, the dimensions in ``free`` may vary."""

    start: float
    free: frozenset[str]


#: kernel, layers -> nested slices -> everything (``nested_expansion``: expansions above 1).
PHASES: tuple[Phase, ...] = (
    Phase(0.0, frozenset()),
    Phase(0.25, frozenset({"kernel", "layers"})),
    Phase(0.45, frozenset({"kernel", "layers", "nested_expansion", "filters", "se"})),
    Phase(0.7, frozenset({"all"})),
)


def phase_at(step: int, total: int) -> int:
    """Index into :data:`PHASES` of the phase that ``step`` (of ``total``) belongs to."""
    fraction = step / max(1, total)
    return max(i for i, phase in enumerate(PHASES) if phase.start <= fraction)


def phase_space(space: SearchSpace, teacher: ArchSpec, free: frozenset[str]) -> SearchSpace | None:
    """``space`` with every choice outside ``free`` pinned to ``teacher``'s value, stage by stage.

    ``None`` when nothing is free (the teacher trains alone); ``space`` itself under ``all``.
    """
    if not free:
        return None
    if "all" in free:
        return space
    stages = []
    for choice, stage in zip(space.stages, teacher.stages, strict=True):
        expansions: tuple[int, ...] = (stage.expansion,)
        if "nested_expansion" in free:
            expansions = tuple(e for e in choice.expansions if e != 1) or expansions
        stages.append(
            replace(
                choice,
                ops=(stage.op,),
                kernels=choice.kernels if "kernel" in free else (stage.kernel,),
                expansions=expansions,
                se_ratios=choice.se_ratios if "se" in free else (stage.se_ratio,),
                skips=(stage.skip_op,),
                channels=choice.channels if "filters" in free else (stage.out_channels,),
                layers=choice.layers if "layers" in free else (stage.layers,),
            )
        )
    return replace(space, stages=tuple(stages))


__all__ = ["DEFAULT_SCHEDULE", "PHASES", "SCHEDULES", "check_schedule", "Phase", "phase_at", "phase_space"]
