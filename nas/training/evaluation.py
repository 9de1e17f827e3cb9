"""What the searches read from one training run, as a structural type.

Both the baseline search (:mod:`nas.search.objective`, MnasNet section 4) and the compound-coefficient
search (:mod:`scaling_search.coefficient_search`, EfficientNet section 3.3) consume
:class:`nas.training.trainer.EvalResult`, but tests and benchmarks pass lighter stand-ins. The protocol
lives here, free of torch and optuna, so either search can name it without importing the trainer.
"""

from __future__ import annotations

from typing import Protocol


class EvalLike(Protocol):
    """What a search reads from one training run (``nas.training.trainer.EvalResult``)."""

    status: str
    accuracy: float | None
    curve: tuple[float, ...]
    epochs_run: int
    wall_s: float
    images_per_s: float
    device: str
    reason: str


__all__ = ["EvalLike"]
