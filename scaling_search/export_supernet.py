"""A found architecture with the weights it inherits from a trained supernet, ready to export.

Why: a one-shot search scores every candidate with the supernet's weights; the winner can leave
with those weights (a warm start for fine-tuning, or a usable network at once) instead of a random
initialisation. ``effsearch export --weights-from-supernet runs/supernets/<space>-<dataset>/``
uses this module.

The network is exactly the one the search scored, made the way the search makes it
(:class:`nas.oneshot.scoring.Scorer`): the candidate runs with the proxy's small-input adaptation
(:meth:`nas.training.proxy.ProxyConfig.train_arch`), its BatchNorm statistics are re-estimated on
the scorer's seeded training batches, and its slices of the weights are extracted into an
ordinary builder model (:func:`nas.oneshot.extract.extract`, exact and strict). So the exported
network computes what the supernet computes with that candidate active, after the same
calibration; it is written at the proxy's resolution, the one its statistics were estimated at.

Everything is checked before the weights are touched, one :class:`UserError` line each: the
folder holds a supernet (``settings.json`` and ``supernet.pt``), its training finished, its space
is the packaged one it names or the ``--space`` file given (same content hash), the dataset found
is the one it was trained on (same fingerprint), and the architecture is one of its space.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError


@dataclass(frozen=True)
class Inherited:
    """The extracted network (eval mode, CPU) and what it is."""

    model: Any
    #: The architecture as the supernet ran it (proxy adaptation, proxy resolution).
    arch: ArchSpec
    num_classes: int
    in_channels: int
    #: Validation accuracy with the inherited weights: the search's own score of the candidate.
    accuracy: float
    folder: Path


def read_store(folder: str | Path) -> tuple[Any, Any]:
    """(settings, checkpoint) of a finished supernet in ``folder``; a UserError otherwise."""
    from nas.oneshot.store import SupernetSettings, SupernetStore

    store = SupernetStore(folder)
    flag = "--weights-from-supernet"
    if not store.folder.is_dir():
        raise UserError(f"{flag} {folder}: no such folder (supernets live under runs/supernets/)")
    record = store.read()
    if record is None:
        raise UserError(f"{flag} {folder}: no supernet there (no {store.settings_path.name})")
    settings = SupernetSettings.from_dict(record["settings"])
    done = int(record.get("epochs_done", 0))
    if done < settings.epochs:
        raise UserError(
            f"{flag} {folder}: the supernet is unfinished ({done} of {settings.epochs} epochs); "
            "finish it with the effsearch supernet command that started it"
        )
    checkpoint = store.load_checkpoint()
    if checkpoint is None:
        raise UserError(f"{flag} {folder}: no weights there (no {store.checkpoint_path.name})")
    return settings, checkpoint


def space_of(settings: Any, space_file: str | None) -> Any:
    """The search space the supernet was trained on: ``--space`` or the packaged one it names."""
    from search_spaces.space_yaml import PACKAGED_SPACES, load_space

    if space_file is None and settings.space not in PACKAGED_SPACES:
        raise UserError(
            f"the supernet was trained on the space {settings.space!r} from a file; "
            "give that file with --space"
        )
    space = load_space(space_file if space_file is not None else settings.space)
    if space.fingerprint() != settings.space_hash:
        raise UserError(
            f"the space {space_file or settings.space} is not the one the supernet was trained on "
            f"({settings.space!r}, another content); give the space file it was trained with (--space)"
        )
    return space


def _data(settings: Any, recipe: Any, data_dir: str | None) -> Any:
    """The supernet's dataset, refused when it is not the data its weights were trained on."""
    from nas.data.datasets import load_dataset
    from nas.data.fingerprint import fingerprint

    data = load_dataset(settings.dataset, data_dir, val_size=recipe.val_size, seed=recipe.seed)
    if fingerprint(settings.dataset, data) != settings.data_fingerprint:
        raise UserError(
            f"the dataset {settings.dataset} found here is not the one the supernet was trained on "
            "(another fingerprint); point --data-dir at the files it was trained with"
        )
    return data


def inherit(
    folder: str | Path, arch: ArchSpec, space_file: str | None = None, data_dir: str | None = None
) -> Inherited:
    """``arch`` with its supernet weights and recalibrated BatchNorm, as the search scored it."""
    import torch

    from nas.oneshot.extract import extract
    from nas.oneshot.scoring import Scorer
    from nas.oneshot.supernet import Supernet
    from nas.oneshot.training import recipe_of
    from nas.training.device_data import prepare

    settings, checkpoint = read_store(folder)
    space = space_of(settings, space_file)
    recipe = recipe_of(settings)
    trained = replace(recipe.train_arch(arch), resolution=recipe.resolution)
    supernet = Supernet(
        space, settings.num_classes, settings.in_channels, settings.kernel_transform, settings.layout
    )
    problem = supernet.problem(trained)
    if problem:
        raise UserError(f"--arch is not a candidate of the supernet's space {space.name!r}: {problem}")
    data = _data(settings, recipe, data_dir)
    supernet.load_state_dict(checkpoint["supernet"])
    supernet.eval()
    device = torch.device("cpu")
    scorer = Scorer(supernet, prepare(data, recipe, device), recipe, seed=recipe.seed)
    accuracy = scorer.accuracy(arch)  # recalibrates the candidate's BatchNorm statistics, as scored
    model = extract(supernet, trained).eval()
    return Inherited(model, trained, settings.num_classes, settings.in_channels, accuracy, Path(folder))


__all__ = ["Inherited", "inherit", "read_store", "space_of"]
