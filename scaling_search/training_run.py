"""What a scaling run that trains needs, read once: base, proxy, device, data, storage, folder.

``effsearch coefficients`` and ``effsearch sweep`` both train scaled versions of a base on the
user's data with the baseline search's proxy (:func:`nas.training.trainer.evaluate`) and keep the
results in an Optuna study. :func:`prepare` reads their shared inputs in the order that makes a
mistake cheap: the base and proxy first (a bad file or flag costs nothing), then the device, then
the dataset; the storage is opened last, by the caller, after the plan of what to train is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError


@dataclass(frozen=True)
class TrainingRun:
    """The resolved inputs of one run (``data`` is a :class:`nas.data.splits.Splits` or a stream)."""

    base_name: str
    base: ArchSpec
    proxy: Any  # nas.training.proxy.ProxyConfig
    device: str
    data: Any
    storage_url: str
    study_name: str
    out_dir: Path

    @property
    def num_classes(self) -> int:
        return int(self.data.num_classes)

    @property
    def in_channels(self) -> int:
        return int(self.data.in_channels)

    def evaluator(self):
        """``(arch, proxy, seed, on_epoch) -> EvalResult``: the real trainer on this run's data."""
        from nas.training.trainer import evaluate

        def run(arch: ArchSpec, proxy: Any, seed: int, on_epoch: Any) -> Any:
            return evaluate(arch, self.data, proxy, device=self.device, on_epoch=on_epoch, seed=seed)

        return run


def check_counts(epochs: int | None, train_subset: int | None, study: str | None) -> None:
    """The proxy overrides and the study name, refused before anything is read."""
    if epochs is not None and epochs < 1:
        raise UserError(f"--epochs must be at least 1, got {epochs}")
    if train_subset is not None and train_subset < 1:
        raise UserError(f"--train-subset must be at least 1, got {train_subset}")
    if study is not None and not study.strip():
        raise UserError("--study is empty")


def prepare(
    base_text: str,
    proxy_text: str | None,
    epochs: int | None,
    train_subset: int | None,
    device_text: str,
    dataset: str,
    data_dir: str | None,
    storage: str | None,
    study: str | None,
    out: str,
    default_study: Any,
) -> TrainingRun:
    """Resolve every shared input; ``default_study(base_name)`` names the study when none is given."""
    from nas.data.datasets import load_dataset
    from nas.studies.storage_url import DEFAULT_STORAGE
    from nas.training.device import resolve_device
    from nas.training.proxy import load_proxy
    from scaling_search.inputs import load_base

    check_counts(epochs, train_subset, study)
    base_name, base = load_base(base_text)
    proxy = load_proxy(proxy_text).with_overrides(epochs=epochs, train_subset=train_subset)
    device = str(resolve_device(device_text))
    data = load_dataset(dataset, data_dir, val_size=proxy.val_size, seed=proxy.seed)
    study_name = study.strip() if study else default_study(base_name)
    return TrainingRun(
        base_name, base, proxy, device, data, storage or DEFAULT_STORAGE, study_name, Path(out) / study_name
    )


__all__ = ["TrainingRun", "check_counts", "prepare"]
