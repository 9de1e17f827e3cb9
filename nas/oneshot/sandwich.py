"""One supernet training step by the sandwich rule with in-place distillation (BigNAS).

BigNAS (Yu et al. 2020, section 3.1) trains, per batch, the largest candidate, the smallest and
a few random ones (the "sandwich rule" of universally slimmable networks, Yu & Huang 2019). The
largest learns from the labels; every other candidate learns from the largest's predictions on
the same batch ("in-place distillation"): soft targets that are free (the teacher's forward pass
is already done), detached so no gradient flows back into the teacher through them. Gradients
of all candidates accumulate (summed, as in BigNAS) into the shared weights and one optimiser
step follows, so every weight a sampled candidate uses moves in the same step. BigNAS
regularises only the largest child (dropout and stochastic depth); the smaller ones are not
over-fitting, and regularising them as well slows them down -- ``regularize_children`` turns it
back on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from nas.oneshot.supernet import Supernet
from search_spaces.arch import ArchSpec


@dataclass(frozen=True)
class SandwichResult:
    """Losses and batch accuracies of one step, in the order the candidates were trained."""

    archs: tuple[ArchSpec, ...]
    #: Teacher: cross-entropy on the labels; others: soft cross-entropy on the teacher's outputs.
    losses: tuple[float, ...]
    #: Fraction of the batch each candidate classified correctly (against the labels).
    accuracies: tuple[float, ...]

    @property
    def teacher_loss(self) -> float:
        return self.losses[0]


def soft_cross_entropy(logits: Tensor, target_probs: Tensor) -> Tensor:
    """Mean over the batch of ``-sum_c p_teacher(c) * log p_student(c)`` (KL up to a constant)."""
    return -(target_probs * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def sandwich_step(
    supernet: Supernet,
    optimizer: torch.optim.Optimizer,
    images: Tensor,
    labels: Tensor,
    archs: Sequence[ArchSpec],
    label_loss: Callable[[Tensor, Tensor], Tensor] = F.cross_entropy,
    regularize_children: bool = False,
    max_grad_norm: float | None = None,
    distill: float = 1.0,
    average: bool = False,
) -> SandwichResult:
    """Train ``archs`` on one batch and take one optimiser step; ``archs[0]`` is the teacher.

    ``archs`` is usually :func:`nas.oneshot.sampling.sandwich_archs` (largest, smallest, random),
    mapped through any small-input adaptation the trainer applies. ``label_loss`` is the
    teacher's loss (e.g. with label smoothing); ``max_grad_norm`` clips the summed gradient. The
    supernet is left in training mode with the teacher active.

    ``distill`` weighs a child's loss between the teacher's soft outputs (1.0: BigNAS's in-place
    distillation) and the labels (0.0: the plain sandwich rule). Early in training the teacher's
    outputs are close to uniform and distilling from them pulls the shared head back towards
    uniform predictions, so a short run (a CPU proxy's few dozen steps) ramps it up instead.
    ``average`` divides each candidate's loss by their number, so one step moves the shared
    weights as far as one stand-alone step at the same learning rate (the summed gradient of
    four candidates is about four stand-alone steps).
    """
    if not archs:
        raise ValueError("a sandwich step needs at least one candidate (the teacher)")
    supernet.train()
    optimizer.zero_grad(set_to_none=True)
    losses: list[float] = []
    accuracies: list[float] = []
    soft_targets: Tensor | None = None
    for index, arch in enumerate(archs):
        logits = supernet(images, arch, regularize=index == 0 or regularize_children)
        if soft_targets is None:
            loss = label_loss(logits, labels)
            soft_targets = F.softmax(logits.detach(), dim=1)
        elif distill >= 1.0:
            loss = soft_cross_entropy(logits, soft_targets)
        elif distill <= 0.0:
            loss = label_loss(logits, labels)
        else:
            loss = distill * soft_cross_entropy(logits, soft_targets) + (1.0 - distill) * label_loss(
                logits, labels
            )
        (loss / len(archs) if average else loss).backward()
        losses.append(float(loss.detach()))
        accuracies.append(float((logits.detach().argmax(dim=1) == labels).float().mean()))
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(supernet.parameters(), max_grad_norm)
    optimizer.step()
    supernet.set_active(archs[0])
    return SandwichResult(archs=tuple(archs), losses=tuple(losses), accuracies=tuple(accuracies))


__all__ = ["SandwichResult", "sandwich_step", "soft_cross_entropy"]
