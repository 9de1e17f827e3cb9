"""Number and duration formatting shared by the terminal report, the HTML tables and the charts.

Missing or non-finite values print as an em dash, so a failed or pruned trial never shows "nan".
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"
#: The reward ACC * (MACs/T)^w is a plain number (an accuracy scaled by a MACs factor), not a
#: share of anything: shown with four decimals, never as a percentage (it can exceed 1).
REWARD_SPEC = ".4f"


def number(value: Any, spec: str = ".4g", suffix: str = "") -> str:
    """``value`` formatted with ``spec`` plus ``suffix``; the dash when it is not a finite number."""
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return MISSING
    return f"{as_float:{spec}}{suffix}" if math.isfinite(as_float) else MISSING


def duration(seconds: float | None, sep: str = " ") -> str:
    """Seconds below 2 min, minutes below 2 h, hours beyond; ``sep`` goes between number and unit."""
    if seconds is None or not math.isfinite(seconds):
        return MISSING
    if seconds < 120:
        return f"{seconds:.1f}{sep}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}{sep}min"
    return f"{seconds / 3600:.2f}{sep}h"


#: Width of text sent to a pipe or file: rich would cut it at 80 columns and drop table columns
#: (``effsearch report | cat``); wide enough for every table a report prints.
PIPED_WIDTH = 320


def stdout_console(**kwargs: Any) -> Any:
    """A rich Console on stdout: the terminal's width, or :data:`PIPED_WIDTH` when piped."""
    import sys

    from rich.console import Console

    if not sys.stdout.isatty():
        kwargs.setdefault("width", PIPED_WIDTH)
    return Console(**kwargs)
