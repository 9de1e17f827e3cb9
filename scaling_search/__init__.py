"""Compound scaling (EfficientNet, Tan & Le 2019, section 3.3): rounding rules, ``scale``, the
released B0-B7 table, coefficient files, and (later) the constrained coefficient search.

Importing this package is light (no torch): specs in, specs out; costs come from
:func:`search_spaces.cost.count_cost`, which is plain arithmetic.
"""

from scaling_search.coefficients_file import (
    PAPER,
    Coefficients,
    check_base,
    load_coefficients,
    save_coefficients,
)
from scaling_search.official import OFFICIAL, official_arch, official_model
from scaling_search.rounding import round_filters, round_repeats
from scaling_search.scale import ScaledPoint, scale, scale_arch, scale_point

__all__ = [
    "OFFICIAL",
    "PAPER",
    "Coefficients",
    "ScaledPoint",
    "check_base",
    "load_coefficients",
    "official_arch",
    "official_model",
    "round_filters",
    "round_repeats",
    "save_coefficients",
    "scale",
    "scale_arch",
    "scale_point",
]
