"""Optimisers and the learning-rate schedule of the proxy trainer, CUDA-graph safe.

``torch.optim.SGD`` turns a tensor learning rate into a Python number (a device sync, which is
illegal inside CUDA-graph capture), so a schedule would be frozen into a captured step. These
optimisers keep the learning rate -- and everything else that changes per step -- in device
tensors and update every parameter with a handful of ``torch._foreach_*`` kernels, so one
implementation serves the eager CPU path and the captured CUDA path. The host only writes the
scheduled value into ``lr`` (``fill_``, no sync) before each step.

- ``sgd``: heavy-ball or Nesterov momentum (Sutskever et al. 2013), L2 weight decay.
- ``adamw``: Adam with decoupled weight decay (Loshchilov & Hutter 2019), bias-corrected.
- ``rmsprop``: the TF1 RMSProp of the EfficientNet/MnasNet TPU recipe (decay 0.9, momentum,
  epsilon 1e-3 inside the square root, mean-square slots initialised to one).

Weight decay applies to conv/linear weights only (tensors with more than one dimension), never
to BatchNorm parameters or biases, as in the released EfficientNet training code.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

RMSPROP_DECAY = 0.9
RMSPROP_EPS = 1e-3
ADAM_BETA2 = 0.999
ADAM_EPS = 1e-8


class ProxyOptimizer:
    """One of ``sgd``/``adamw``/``rmsprop`` over all trainable parameters of ``model``."""

    def __init__(
        self,
        model: nn.Module,
        kind: str = "sgd",
        momentum: float = 0.9,
        nesterov: bool = True,
        weight_decay: float = 0.0,
    ) -> None:
        self.params: list[Tensor] = [p for p in model.parameters() if p.requires_grad]
        if not self.params:
            raise ValueError("model has no trainable parameters")
        device = self.params[0].device
        self.kind = kind
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = float(weight_decay)
        self.decay_index = [i for i, p in enumerate(self.params) if p.ndim > 1]
        self.decay_params: list[Tensor] = [self.params[i] for i in self.decay_index]
        #: Current learning rate, written by the schedule before every step.
        self.lr = torch.zeros((), dtype=torch.float32, device=device)
        self.step_count = torch.zeros((), dtype=torch.float32, device=device)
        zeros = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        if kind == "sgd":
            self.buf = zeros
        elif kind == "adamw":
            self.exp_avg = zeros
            self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        elif kind == "rmsprop":
            self.buf = zeros
            self.square_avg = [torch.ones_like(p) for p in self.params]
        else:
            raise ValueError(f"unknown optimizer {kind!r}")

    def zero_grad(self) -> None:
        """Drop gradients (``None``), so the next backward writes rather than accumulates."""
        for p in self.params:
            p.grad = None

    def _grads(self) -> list[Tensor]:
        # zeros for a parameter unused in forward (cannot happen in our networks, but be safe)
        return [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        """One update with the learning rate currently in ``self.lr``."""
        grads = self._grads()
        if self.kind == "sgd":
            self._sgd(grads)
        elif self.kind == "adamw":
            self._adamw(grads)
        else:
            self._rmsprop(grads)

    def _l2(self, grads: list[Tensor]) -> None:
        if self.weight_decay:
            torch._foreach_add_(
                [grads[i] for i in self.decay_index], self.decay_params, alpha=self.weight_decay
            )

    def _sgd(self, grads: list[Tensor]) -> None:
        self._l2(grads)
        torch._foreach_mul_(self.buf, self.momentum)
        torch._foreach_add_(self.buf, grads)
        update: list[Tensor] | tuple[Tensor, ...]
        if self.nesterov:
            torch._foreach_add_(grads, self.buf, alpha=self.momentum)
            torch._foreach_mul_(grads, self.lr)
            update = grads
        else:
            update = torch._foreach_mul(self.buf, self.lr)
        torch._foreach_sub_(self.params, update)

    def _adamw(self, grads: list[Tensor]) -> None:
        beta1 = self.momentum
        self.step_count.add_(1.0)
        if self.weight_decay:
            torch._foreach_mul_(self.decay_params, 1.0 - self.lr * self.weight_decay)
        torch._foreach_lerp_(self.exp_avg, grads, 1.0 - beta1)
        torch._foreach_mul_(self.exp_avg_sq, ADAM_BETA2)
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1.0 - ADAM_BETA2)
        bias1 = 1.0 - torch.pow(beta1, self.step_count)
        bias2_sqrt = (1.0 - torch.pow(ADAM_BETA2, self.step_count)).sqrt()
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, bias2_sqrt)
        torch._foreach_add_(denom, ADAM_EPS)
        update = torch._foreach_div(self.exp_avg, denom)
        torch._foreach_mul_(update, self.lr / bias1)
        torch._foreach_sub_(self.params, update)

    def _rmsprop(self, grads: list[Tensor]) -> None:
        self._l2(grads)
        torch._foreach_mul_(self.square_avg, RMSPROP_DECAY)
        torch._foreach_addcmul_(self.square_avg, grads, grads, value=1.0 - RMSPROP_DECAY)
        denom = torch._foreach_add(self.square_avg, RMSPROP_EPS)
        torch._foreach_sqrt_(denom)
        torch._foreach_mul_(self.buf, self.momentum)
        torch._foreach_addcdiv_(self.buf, grads, denom)
        update = torch._foreach_mul(self.buf, self.lr)
        torch._foreach_sub_(self.params, update)


def lr_at(step: int, total_steps: int, warmup_steps: int, peak: float, schedule: str) -> float:
    """Learning rate for 0-based ``step``: linear warm-up to ``peak``, then ``schedule`` to zero.

    Warm-up starts at ``peak / warmup_steps`` (never exactly zero, so step 0 is not wasted).
    """
    if warmup_steps > 0 and step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    if schedule == "constant":
        return peak
    span = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / span)
    if schedule == "linear":
        return peak * (1.0 - progress)
    return peak * 0.5 * (1.0 + math.cos(math.pi * progress))


__all__ = ["ProxyOptimizer", "lr_at"]
