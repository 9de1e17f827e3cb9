"""Reading the user's ``--base`` and ``--coefficients`` the same way in every command.

``--base`` is read by :func:`scaling_search.arch_resolver.resolve_arch`, the same grammar as
``--arch``: a released model name (``b0`` .. ``b7``), an architecture YAML file such as the
``runs/<study>/baseline.yaml`` a baseline search writes, or an architecture code.
``--coefficients`` is ``paper`` (1.2, 1.1, 1.15, found for B0) or a file written by
``effsearch coefficients``, which must belong to the base
(:func:`scaling_search.coefficients_file.check_base`). Every problem is a one-line UserError.
"""

from __future__ import annotations

from pathlib import Path

from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError


def load_base(text: str) -> tuple[str, ArchSpec]:
    """(short name, architecture) for ``--base``: the grammar of :mod:`scaling_search.arch_resolver`."""
    from scaling_search.arch_resolver import resolve_arch

    resolved = resolve_arch(text, "--base")
    return resolved.name, resolved.arch


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


__all__ = ["load_base", "load_coefficients_for"]
