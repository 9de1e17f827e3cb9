"""Taking one candidate out of a supernet as an ordinary model (Once-for-All's ``get_active_subnet``).

The model is built by the project's own builder (:func:`search_spaces.builder.build_model`) from
the ArchSpec, and the candidate's slices of the supernet's weights -- BatchNorm statistics
included, and with OFA's kernel transform already applied when it is on -- are loaded with
``strict=True``, so a name or shape that did not line up would be an error rather than a silently
random layer. In eval mode the result computes what the supernet computes with that candidate
active; it can be trained further, exported or costed like any other built model.
"""

from __future__ import annotations

import torch
from torch import nn

from nas.oneshot.supernet import Supernet
from search_spaces.arch import ArchSpec
from search_spaces.builder import build_model


def extract(supernet: Supernet, arch: ArchSpec | None = None) -> nn.Module:
    """A built model of ``arch`` (default: the active candidate) carrying its inherited weights.

    The supernet's active candidate is left as it was. The model is on the supernet's device and
    dtype and in the supernet's train/eval mode; its tensors are copies, not views.
    """
    previous = supernet.active
    if arch is not None:
        supernet.set_active(arch)
    try:
        target = supernet.active
        with torch.no_grad():
            state = {name: tensor.detach().clone() for name, tensor in supernet.active_state().items()}
    finally:
        supernet.set_active(previous)
    model = build_model(target, num_classes=supernet.num_classes, in_channels=supernet.in_channels)
    reference = supernet.classifier.weight
    model.to(device=reference.device, dtype=reference.dtype)
    model.load_state_dict(state, strict=True)
    model.train(supernet.training)
    return model


__all__ = ["extract"]
