"""effsearch from Python: build, cost and scale architectures, run the searches, read the results.

The command line (``effsearch ...``) and this package run the same code; this is the short list a
script needs, so it never has to know the internal modules::

    import effsearch

    model = effsearch.create_model("b0")                     # torch.nn.Module, 1000 classes
    cost = effsearch.count_cost("b0")                        # .macs 385,814,752  .params 5,288,548
    b3ish = effsearch.scale("b0", phi=3)                     # the paper's coefficients
    outcome = effsearch.search_baseline(dataset="fashion-mnist", n_trials=10)
    found = effsearch.search_coefficients(base="runs/<study>/baseline.yaml")
    results = effsearch.load_study_results("<study>")        # pandas frames

An architecture argument (``arch``, ``base``) is what ``--arch`` accepts on the command line:
``b0``..``b7``, ``mobilenetv1``, ``mobilenetv2``, ``resnet50``, an architecture YAML file (such as a
search's ``baseline.yaml``), an architecture code, or an :class:`ArchSpec`. Mistakes a user can make
raise :class:`UserError` with a one-line message.

Torch and Optuna are imported when a function needs them, so ``import effsearch`` stays quick.
"""

from __future__ import annotations

from effsearch.models import Cost, arch_of, count_cost, create_model, load_proxy, scale
from effsearch.searches import search_baseline, search_coefficients
from effsearch.studies import StudyResults, load_study_results
from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.errors import UserError


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("effsearch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


__version__ = _version()

__all__ = [
    "ArchSpec",
    "Cost",
    "StageSpec",
    "StudyResults",
    "UserError",
    "__version__",
    "arch_of",
    "count_cost",
    "create_model",
    "load_proxy",
    "load_study_results",
    "scale",
    "search_baseline",
    "search_coefficients",
]
