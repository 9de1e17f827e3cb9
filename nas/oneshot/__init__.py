"""One-shot search: a weight-sharing supernet over a search space, and how it is trained and read.

- :class:`Supernet` (``supernet.py``): every candidate of a :class:`search_spaces.space.SearchSpace`
  in one network, elastic kernels / widths / depth / SE / skip (``kernel.py``, ``elastic_*.py``,
  ``branches.py``, ``layer.py``); :meth:`Supernet.set_active` picks the candidate that runs.
- :func:`extract` (``extract.py``): a candidate as an ordinary built model with its inherited
  weights, computing exactly what the supernet computes for it.
- :func:`recalibrate_bn` (``bn_calibration.py``): BatchNorm statistics of one candidate,
  re-estimated on a few training batches before it is evaluated.
- :func:`sandwich_step` (``sandwich.py``) with :func:`sandwich_archs` (``sampling.py``): BigNAS's
  sandwich rule with in-place distillation.

This package depends on :mod:`search_spaces` and torch only.
"""

from importlib import import_module
from typing import Any

#: Public name -> the module that defines it. Loaded on first use (PEP 562), so importing a
#: torch-free submodule such as ``nas.oneshot.defaults`` does not load torch.
_HOMES = {
    "recalibrate_bn": "nas.oneshot.bn_calibration",
    "extract": "nas.oneshot.extract",
    "largest_arch": "nas.oneshot.sampling",
    "random_arch": "nas.oneshot.sampling",
    "random_archs": "nas.oneshot.sampling",
    "sandwich_archs": "nas.oneshot.sampling",
    "smallest_arch": "nas.oneshot.sampling",
    "SandwichResult": "nas.oneshot.sandwich",
    "sandwich_step": "nas.oneshot.sandwich",
    "soft_cross_entropy": "nas.oneshot.sandwich",
    "Supernet": "nas.oneshot.supernet",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'nas.oneshot' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)


__all__ = [
    "SandwichResult",
    "Supernet",
    "extract",
    "largest_arch",
    "random_arch",
    "random_archs",
    "recalibrate_bn",
    "sandwich_archs",
    "sandwich_step",
    "smallest_arch",
    "soft_cross_entropy",
]
