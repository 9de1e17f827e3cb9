"""BatchNorm over the first C channels of its largest size (Once-for-All's dynamic BN).

Scale and shift are sliced like the conv weights before them. The running statistics are sliced
*views*, so a training pass updates exactly the entries of the channels it used, and eval mode
normalises with them. Those shared statistics mix every candidate trained so far, which is why a
candidate's statistics are re-estimated before it is judged
(:func:`nas.oneshot.bn_calibration.recalibrate_bn`; Once-for-All; BigNAS section 3.1).

It is an ``nn.BatchNorm2d`` (same buffers, same defaults as the builder's: eps 1e-5, momentum
0.1), so anything that finds BatchNorm layers by type (recalibration, optimiser parameter groups
that skip weight decay on norms) treats it like one.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class ElasticBatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` that normalises however many of its channels the input has."""

    def forward(self, x: Tensor) -> Tensor:
        channels = x.shape[1]
        if channels == self.num_features:
            return super().forward(x)
        if channels > self.num_features:
            raise ValueError(f"input has {channels} channels, this norm at most {self.num_features}")
        mean, var, count = self._statistics()
        factor = 0.0
        if self.training:
            # Same bookkeeping as nn.BatchNorm2d: momentum None means a cumulative average.
            count.add_(1)
            factor = 1.0 / float(count) if self.momentum is None else self.momentum
        return F.batch_norm(
            x,
            mean[:channels],
            var[:channels],
            self.weight[:channels],
            self.bias[:channels],
            self.training,
            factor,
            self.eps,
        )

    def _statistics(self) -> tuple[Tensor, Tensor, Tensor]:
        """Running mean, variance and batch count (always tracked: the supernet's BN are built so)."""
        mean, var, count = self.running_mean, self.running_var, self.num_batches_tracked
        if mean is None or var is None or count is None:
            raise ValueError("an elastic BatchNorm needs running statistics (track_running_stats=True)")
        return mean, var, count

    def active_state(self, channels: int, prefix: str) -> dict[str, Tensor]:
        """The sliced parameters and statistics under ``nn.BatchNorm2d``'s state-dict names."""
        mean, var, count = self._statistics()
        return {
            prefix + "weight": self.weight[:channels],
            prefix + "bias": self.bias[:channels],
            prefix + "running_mean": mean[:channels],
            prefix + "running_var": var[:channels],
            prefix + "num_batches_tracked": count,
        }


__all__ = ["ElasticBatchNorm2d"]
