"""Re-estimating BatchNorm statistics of one candidate before it is evaluated.

In a supernet the running mean and variance of a BatchNorm channel are shared by every candidate
that uses it, and each candidate produces differently distributed activations (another kernel,
width or depth upstream). Eval-mode accuracy with the shared statistics is therefore close to
meaningless; Once-for-All (Cai et al. 2020) and BigNAS (Yu et al. 2020, section 3.1, "batch norm calibration")
recompute them for the chosen candidate on a few training batches first. That is cheap (forward
passes only) and it is what makes inherited-weight accuracies rank candidates.

The statistics become the plain average over the given batches (``momentum=None``, PyTorch's
cumulative moving average). Only BatchNorm layers run in training mode, so dropout and stochastic
depth stay off, and no gradient is taken. Works for a :class:`nas.oneshot.supernet.Supernet`
(recalibrating its active candidate's channels; the other entries of the shared buffers are
reset) and for any ordinary model, e.g. one from :func:`nas.oneshot.extract.extract`.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm


def _images(batch: Any) -> Tensor:
    """The inputs of a batch: the tensor itself or the first item of an (inputs, labels) pair."""
    if isinstance(batch, Tensor):
        return batch
    if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], Tensor):
        return batch[0]
    raise TypeError(f"a batch must be a tensor or an (inputs, labels) pair, got {type(batch).__name__}")


def _stats(norm: _BatchNorm) -> dict[str, Tensor]:
    """The running buffers of a BatchNorm layer that tracks them."""
    stats = {"mean": norm.running_mean, "var": norm.running_var, "count": norm.num_batches_tracked}
    return {name: value for name, value in stats.items() if value is not None}


def recalibrate_bn(model: nn.Module, batches: Iterable[Any], max_batches: int | None = None) -> int:
    """Recompute every BatchNorm layer's running statistics of ``model`` on ``batches``.

    ``model`` is called as ``model(inputs)`` (a supernet runs its active candidate). At most
    ``max_batches`` batches are used (all when None). Returns the number of images seen; with
    none, the statistics are left untouched. The model's train/eval modes are restored.
    """
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]
    modes = {m: m.training for m in model.modules()}
    saved = {m: (m.momentum, {k: v.clone() for k, v in _stats(m).items()}) for m in norms}
    seen = 0
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    try:
        model.eval()
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None
            norm.train()
        with torch.no_grad():
            for batch in islice(batches, max_batches):
                images = _images(batch).to(device, non_blocking=True)
                model(images)
                seen += images.shape[0]
    finally:
        for norm, (momentum, stats) in saved.items():
            norm.momentum = momentum
            if seen == 0:
                for name, value in _stats(norm).items():
                    value.copy_(stats[name])
        for module, training in modes.items():
            module.training = training
    return seen


__all__ = ["recalibrate_bn"]
