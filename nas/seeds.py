"""The one rule for a seed a user gives: a whole number within 0..2^32 - 1.

That is the range every consumer accepts: Optuna's samplers and ``numpy.random.RandomState``
refuse anything outside 0..2^32 - 1, and torch generators overflow on the per-epoch seeds derived
from a seed (``seed * 100_003 + epoch`` in nas/training/stream.py) once it nears 2^63. Refusing
the rest where the seed is given (a flag, a proxy file) turns a traceback after minutes of work
into one line before any.
"""

from __future__ import annotations

import argparse
from typing import Any

from search_spaces.errors import UserError
from search_spaces.yaml_io import quote

#: Largest seed: numpy's legacy generator (used by Optuna's samplers) takes 0..2**32 - 1.
MAX_SEED = 2**32 - 1


def check_seed(value: Any, where: str = "seed") -> int:
    """``value`` as a seed, or a :class:`UserError` naming ``where`` and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"{where} must be a whole number within 0..{MAX_SEED}, got {quote(value)}")
    if not 0 <= value <= MAX_SEED:
        raise UserError(f"{where} must be within 0..{MAX_SEED}, got {quote(value)}")
    return value


def seed_argument(text: str) -> int:
    """argparse ``type=`` for ``--seed``: the flag is refused while the command line is parsed."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number within 0..{MAX_SEED}, got {quote(text)}"
        ) from None
    try:
        return check_seed(number)
    except UserError:
        raise argparse.ArgumentTypeError(f"must be within 0..{MAX_SEED}, got {quote(text)}") from None


__all__ = ["MAX_SEED", "check_seed", "seed_argument"]
