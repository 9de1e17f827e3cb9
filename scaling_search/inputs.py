"""Reading the user's ``--base`` and ``--coefficients`` the same way in every command.

``--base`` is a released model name (``b0`` .. ``b7``, built by :func:`scaling_search.official.
official_arch`; ``b0`` is exactly the paper's Table 1) or an architecture YAML file such as the
``runs/<study>/baseline.yaml`` a baseline search writes. ``--coefficients`` is ``paper`` (1.2,
1.1, 1.15, found for B0) or a file written by ``effsearch coefficients``, which must belong to the
base (:func:`scaling_search.coefficients_file.check_base`). Every problem is a one-line UserError.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError

_NAME_RE = re.compile(r"^(efficientnet[-_])?b[0-7]$", re.IGNORECASE)
#: Largest phi a command that *trains* or *exports* a network accepts (B7 is phi = 7).
MAX_PHI = 16.0


def load_base(text: str) -> tuple[str, ArchSpec]:
    """(short name, architecture) for ``b0``..``b7`` or an architecture YAML file."""
    from search_spaces.arch_yaml import load_arch_file, reference_b0

    text = str(text).strip()
    if _NAME_RE.match(text):
        name = text.lower()[-2:]
        if name == "b0":
            return name, reference_b0()
        from scaling_search.official import official_arch

        return name, official_arch(name)
    path = Path(text)
    if not path.exists():
        raise UserError(f"--base {text!r} is neither b0..b7 nor an existing architecture file")
    if path.is_dir():
        raise UserError(f"--base {text!r} is a directory; give an architecture YAML file")
    name = path.parent.name if path.stem == "baseline" and path.parent.name else path.stem
    return name, load_arch_file(path)


def load_coefficients_for(text: str, base: ArchSpec):
    """The coefficients named by ``text`` (``paper`` or a file), checked against ``base``."""
    from scaling_search.coefficients_file import PAPER, check_base, load_coefficients

    text = str(text).strip()
    if text.lower() == "paper":
        return PAPER
    if not Path(text).exists():
        raise UserError(f"--coefficients {text!r} is neither 'paper' nor an existing coefficients file")
    coeffs = load_coefficients(text)
    check_base(coeffs, base)
    return coeffs


def check_positive_phi(phi: float, upper: float = MAX_PHI) -> float:
    """A phi for searching or exporting: finite, > 0 and at most ``upper``."""
    if isinstance(phi, bool) or not isinstance(phi, (int, float)) or not math.isfinite(phi):
        raise UserError(f"--phi must be a finite number, got {phi!r}")
    if phi <= 0:
        raise UserError(f"--phi must be > 0 (phi = 0 is the base itself), got {phi:g}")
    if phi > upper:
        raise UserError(f"--phi {phi:g} is absurd here: at most {upper:g} (B7 is phi = 7)")
    return float(phi)


__all__ = ["MAX_PHI", "check_positive_phi", "load_base", "load_coefficients_for"]
