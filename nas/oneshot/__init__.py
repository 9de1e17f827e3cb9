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

from nas.oneshot.bn_calibration import recalibrate_bn
from nas.oneshot.extract import extract
from nas.oneshot.sampling import largest_arch, random_arch, random_archs, sandwich_archs, smallest_arch
from nas.oneshot.sandwich import SandwichResult, sandwich_step, soft_cross_entropy
from nas.oneshot.supernet import Supernet

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
