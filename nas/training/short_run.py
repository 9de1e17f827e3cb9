"""Adaptations that make a run of a few epochs a meaningful signal, applied to every candidate alike.

Both act on the trained copy only, never on the architecture being ranked; see the module
docstring of :mod:`nas.training.proxy` for what each is worth on Fashion-MNIST:

- :func:`zero_init_` starts every residual block as the identity and the classifier at zero
  (Goyal et al. 2017), so a deep candidate does not spend the run recovering from its init.
- :func:`recalibrate_bn` re-estimates BatchNorm statistics before validation (as one-shot NAS
  does), so the accuracy after epoch 1 or 2 -- what the pruner compares -- is not near chance.
"""

from __future__ import annotations

import torch
from torch import nn

from nas.data.augment import normalize
from nas.training.device_data import DeviceData


@torch.no_grad()
def recalibrate_bn(
    model: nn.Module,
    data: DeviceData,
    batches: int,
    batch_size: int,
    generator: torch.Generator,
    amp: bool,
    channels_last: bool,
) -> None:
    """Replace BN running statistics by their exact average over ``batches`` training batches.

    Only the BatchNorm layers are in training mode (dropout and stochastic depth are off), and
    the k-th batch enters with momentum ``1/k`` -- a cumulative average, so the statistics are
    those of the current weights on un-augmented training images. See
    ``ProxyConfig.bn_recalibration_batches``.

    ``momentum=None`` would give the same average, but PyTorch then reads every layer's
    ``num_batches_tracked`` back to the host (``1 / float(tensor)``): one device sync per BN layer
    per batch. Setting ``1/k`` from Python is the same arithmetic with no sync.
    """
    if data.train_x.shape[0] == 0:  # streamed data: nothing resident to recalibrate on
        return
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    n = int(data.train_x.shape[0])
    count = min(n, batches * batch_size)
    order = torch.randperm(n, device=data.train_x.device, generator=generator)[:count]
    momenta = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.train()
    device_type = data.train_x.device.type
    for k, start in enumerate(range(0, count, batch_size), start=1):
        for m in norms:
            m.momentum = 1.0 / k
        idx = order[start : start + batch_size]
        x = normalize(data.train_x[idx], data.mean, data.inv_std, channels_last)
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=amp, cache_enabled=False):
            model(x)
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    model.train()


def zero_init_(model: nn.Module) -> None:
    """Zero the last BatchNorm scale of every residual branch and the final linear layer.

    Residual blocks are recognised by the builder's ``residual`` flag and ``body``; see
    :attr:`nas.training.proxy.ProxyConfig.zero_init` for why.
    """
    with torch.no_grad():
        for module in model.modules():
            body = getattr(module, "body", None)
            if getattr(module, "residual", False) and isinstance(body, nn.Module):
                norms = [m for m in body.modules() if isinstance(m, nn.BatchNorm2d)]
                if norms:
                    norms[-1].weight.zero_()
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        if linears:
            linears[-1].weight.zero_()
            if linears[-1].bias is not None:
                linears[-1].bias.zero_()
