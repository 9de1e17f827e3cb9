"""The two searches from Python, with the command line's defaults.

:func:`search_baseline` is ``effsearch baseline`` (EfficientNet step 0, MnasNet's search) and
:func:`search_coefficients` is ``effsearch coefficients`` (step 1, alpha/beta/gamma at phi = 1).
Both keep every trial in an Optuna study (``storage``, default ``sqlite:///runs/effsearch.db``
relative to the working directory) and resume it when called again with the same settings; a
study created with other settings is refused with :class:`UserError`. They print nothing and
write no files besides the study: ``baseline.yaml`` and reports are the command line's (or use
the returned outcome).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from effsearch.models import resolved_arch
from search_spaces.arch import ArchSpec

if TYPE_CHECKING:
    from nas.search.driver import SearchOutcome
    from scaling_search.coefficient_search import CoefficientOutcome


def _proxy(proxy: Any, epochs: int | None, train_subset: int | None) -> Any:
    from nas.training.proxy import ProxyConfig, load_proxy

    config = proxy if isinstance(proxy, ProxyConfig) else load_proxy(None if proxy is None else str(proxy))
    return config.with_overrides(epochs=epochs, train_subset=train_subset)


def search_baseline(
    dataset: str = "fashion-mnist",
    target_flops: int | str = "400M",
    n_trials: int = 10,
    *,
    proxy: Any = None,
    epochs: int | None = None,
    train_subset: int | None = None,
    space: str | Path | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    sampler: str = "tpe",
    pruner: str = "median",
    reward: str = "soft",
    w: float | None = None,
    flops_band: tuple[float, float] = (0.5, 1.5),
    search_resolution: int = 224,
    timeout: float | None = None,
    seed: int | None = 0,
    device: str = "auto",
    data_dir: str | None = None,
    compare: str | None = "b0",
) -> SearchOutcome:
    """Search the MnasNet space for the best network at ``target_flops`` on ``dataset``.

    Returns the :class:`nas.search.driver.SearchOutcome`: ``.study`` (the Optuna study),
    ``.best`` (the winning trial; ``arch_of(outcome.best.user_attrs["arch_code"])`` is its
    architecture), ``.ranking``, ``.reference`` (the ``compare`` network, B0 by default, trained once for the
    comparison and never learnt from; ``"none"`` skips it), ``.trained``. ``proxy`` is a preset name,
    a YAML path or a :func:`effsearch.load_proxy` result; ``epochs``/``train_subset`` override it.
    The defaults are the command's: a few CPU minutes on Fashion-MNIST.
    """
    from commands.baseline_compare import resolve_compare
    from nas.data.datasets import load_dataset
    from nas.search.driver import SearchConfig, run_search
    from nas.search.objective import Band
    from nas.search.reward import parse_flops
    from nas.search.settings import default_study_name
    from nas.studies.storage import open_storage
    from nas.studies.storage_url import DEFAULT_STORAGE
    from nas.training.device import resolve_device
    from nas.training.trainer import evaluate
    from search_spaces.space_yaml import load_space

    target = parse_flops(target_flops)
    config_proxy = _proxy(proxy, epochs, train_subset)
    dev = resolve_device(device)
    data = load_dataset(dataset, data_dir, val_size=config_proxy.val_size, seed=config_proxy.seed)
    url = storage or DEFAULT_STORAGE
    config = SearchConfig(
        target=target,
        space=load_space(None if space is None else str(space)).with_resolution(int(search_resolution)),
        dataset=dataset,
        proxy=config_proxy,
        num_classes=int(data.num_classes),
        in_channels=int(data.in_channels),
        storage=url,
        study_name=study_name or default_study_name(target, dataset, sampler),
        n_trials=int(n_trials),
        timeout=timeout,
        seed=seed,
        sampler=sampler,
        pruner=pruner,
        reward_kind=reward,
        w=w,
        search_resolution=int(search_resolution),
        band=Band(*flops_band),
        compare=resolve_compare(compare, int(search_resolution)),
    )

    def evaluator(arch: ArchSpec, on_epoch: Any) -> Any:
        return evaluate(arch, data, config_proxy, device=str(dev), on_epoch=on_epoch)

    return run_search(config, evaluator, open_storage(url))


def search_coefficients(
    base: str | Path | ArchSpec = "b0",
    phi: float = 1.0,
    dataset: str = "fashion-mnist",
    *,
    proxy: Any = None,
    epochs: int | None = None,
    train_subset: int | None = None,
    max_candidates: int | None = None,
    repeats: int | None = None,
    compare_single: bool = False,
    storage: str | None = None,
    study_name: str | None = None,
    seed: int = 0,
    device: str = "auto",
    data_dir: str | None = None,
) -> CoefficientOutcome:
    """Find alpha, beta, gamma for ``base`` by training its compound-scaled networks at ``phi``.

    Returns the :class:`scaling_search.coefficient_search.CoefficientOutcome`: ``.winner_candidate``
    (its ``.point`` holds alpha/beta/gamma), ``.candidates``, ``.trials``, ``.verdict`` (whether
    the lead beats the seed noise) and ``.study``. ``max_candidates`` and ``repeats`` default to
    the command's (6 networks x 3 seeds).
    """
    from nas.data.datasets import load_dataset
    from nas.studies.storage import open_storage
    from nas.studies.storage_url import DEFAULT_STORAGE
    from nas.training.device import resolve_device
    from nas.training.trainer import evaluate
    from scaling_search.coefficient_config import DEFAULT_MAX_CANDIDATES, DEFAULT_REPEATS, CoefficientConfig
    from scaling_search.coefficient_output import default_study_name
    from scaling_search.coefficient_search import run_coefficient_search

    resolved = resolved_arch(base, "base")
    spec = resolved.arch
    config_proxy = _proxy(proxy, epochs, train_subset)
    dev = str(resolve_device(device))
    data = load_dataset(dataset, data_dir, val_size=config_proxy.val_size, seed=config_proxy.seed)
    config = CoefficientConfig(
        base=spec,
        phi=float(phi),
        dataset=dataset,
        proxy=config_proxy,
        num_classes=int(data.num_classes),
        in_channels=int(data.in_channels),
        max_candidates=DEFAULT_MAX_CANDIDATES if max_candidates is None else int(max_candidates),
        repeats=DEFAULT_REPEATS if repeats is None else int(repeats),
        seed=int(seed),
    )
    name = study_name or default_study_name(resolved.name, float(phi), dataset)

    def evaluator(arch: ArchSpec, run_proxy: Any, run_seed: int, on_epoch: Any) -> Any:
        return evaluate(arch, data, run_proxy, device=dev, on_epoch=on_epoch, seed=run_seed)

    url = storage or DEFAULT_STORAGE
    return run_coefficient_search(config, evaluator, open_storage(url), name, compare_single=compare_single)


__all__ = ["search_baseline", "search_coefficients"]
