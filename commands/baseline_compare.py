"""``effsearch baseline --compare ARCH``: the network the search is compared against.

Reference models are comparisons, not starting points: the search does not start from B0 and its
samplers do not learn from it, but the comparison network is trained under the same proxy and
every report says how the found network compares (:mod:`nas.search.comparison`). ``ARCH`` is read
like ``--arch`` (:func:`scaling_search.arch_resolver.resolve_arch`: b0..b7, mobilenetv1/v2,
resnet50, a YAML file, a code), which ``nas`` may not import; so it is resolved here, before
anything is opened, and handed down as a :class:`~nas.search.comparison.Comparison`. The
standalone strategy trains it once per study; the oneshot strategy promotes it to stand-alone
training over seeds beside the best candidates. ``none`` turns the comparison off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nas.search.comparison import Comparison

#: The comparison of a default run: EfficientNet-B0 (the paper's Table 1).
DEFAULT_COMPARE = "b0"


def add_compare_flag(g: Any) -> None:
    """``--compare ARCH`` (default b0; ``none`` turns it off)."""
    from commands.flags import ARCH_HELP

    g.add_argument(
        "--compare",
        default=DEFAULT_COMPARE,
        metavar="ARCH",
        help="network trained under the same proxy for comparison (the search neither starts from it nor "
        f"learns from it): {ARCH_HELP}; none to skip it",
    )


def resolve_compare(text: str | None, search_resolution: int) -> Comparison | None:
    """The comparison of ``--compare`` at the search resolution, or None for ``none``."""
    from nas.search.comparison import NO_COMPARISON, Comparison
    from scaling_search.arch_resolver import resolve_arch

    text = DEFAULT_COMPARE if text is None else str(text).strip()
    if text.lower() == NO_COMPARISON:
        return None
    resolved = resolve_arch(text, "--compare")
    return Comparison.at_resolution(resolved.name, resolved.arch, search_resolution)


__all__ = ["DEFAULT_COMPARE", "add_compare_flag", "resolve_compare"]
