"""Trained weights kept with their architecture: one file that rebuilds the network by itself.

``effsearch evaluate --save PATH`` (and :func:`effsearch.create_model` with ``weights=PATH``)
use this format. The file is a plain ``torch.save`` of a dict that ``torch.load(path,
weights_only=True)`` reads (tensors, strings, numbers and lists only; no pickled classes)::

    format        "effsearch-weights-1"
    state_dict    the network's parameters and buffers (CPU, contiguous)
    arch_yaml     the architecture *as trained* (search_spaces.arch_yaml): the proxy's small-input
                  adaptation (stem stride, unstrided stages, dropout) is part of it, so building it
                  gives exactly the network whose weights these are
    num_classes   classifier outputs
    in_channels   input planes (1 = grayscale)
    resolution    the input size it was trained at (the proxy's)
    mean, std     per-channel input normalisation the trainer applied, in the images' own pixel
                  scale (0..255 for 8-bit images): the model expects ``(pixels - mean) / std``
    notes         free-form provenance (dataset, proxy, accuracy, source architecture code)

A plain state dict (``torch.save(model.state_dict())``) still loads where weights are accepted;
it carries no architecture, so the caller's is used (:func:`read_weights`).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_spaces.arch import ArchSpec
from search_spaces.errors import SpecError, UserError

#: The ``format`` key of a checkpoint this module writes; bumped if the layout ever changes.
FORMAT = "effsearch-weights-1"


@dataclass(frozen=True)
class Checkpoint:
    """A read checkpoint; ``arch`` is None for a plain state dict (no architecture inside)."""

    state_dict: dict[str, Any]
    arch: ArchSpec | None = None
    num_classes: int | None = None
    in_channels: int | None = None
    resolution: int | None = None
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    notes: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(
    path: str | Path,
    model: Any,
    arch: ArchSpec,
    num_classes: int,
    in_channels: int,
    *,
    resolution: int | None = None,
    mean: Any = None,
    std: Any = None,
    notes: dict[str, Any] | None = None,
) -> Path:
    """Write ``model``'s weights with ``arch`` (the architecture it was built from); UserError on I/O."""
    import torch

    from search_spaces.arch_yaml import arch_to_yaml

    path = Path(path)
    state = {key: value.detach().to("cpu").contiguous() for key, value in model.state_dict().items()}
    payload: dict[str, Any] = {
        "format": FORMAT,
        "state_dict": state,
        "arch_yaml": arch_to_yaml(arch),
        "num_classes": int(num_classes),
        "in_channels": int(in_channels),
        "resolution": int(resolution if resolution is not None else arch.resolution),
        "mean": _floats(mean),
        "std": _floats(std),
        "notes": dict(notes or {}),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, path)
    except OSError as exc:
        raise UserError(f"cannot write weights {path}: {exc.strerror or exc}") from None
    return path


def _floats(values: Any) -> list[float]:
    if values is None:
        return []
    if hasattr(values, "detach"):
        values = values.detach().to("cpu").flatten().tolist()
    return [float(v) for v in values]


def _load(path: Path) -> Any:
    import torch

    if not path.is_file():
        raise UserError(f"weights file not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise UserError(
            f"cannot read weights {path}: not a tensors-only torch.save file (weights_only=True refuses it)"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot read weights {path}: {first[:200]}") from None


def read_weights(path: str | Path) -> Checkpoint:
    """Read a checkpoint of this module, or a plain state dict (also one under ``state_dict``/``model``)."""
    import torch

    path = Path(path)
    data = _load(path)
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return _checkpoint(path, data)
    if isinstance(data, dict):
        for key in ("state_dict", "model"):
            if key in data and isinstance(data[key], dict):
                data = data[key]
                break
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise UserError(f"{path} does not hold a state dict (a mapping of parameter names to tensors)")
    return Checkpoint(state_dict=data)


def _checkpoint(path: Path, data: dict[str, Any]) -> Checkpoint:
    from search_spaces.arch_yaml import arch_from_yaml

    try:
        arch = arch_from_yaml(str(data["arch_yaml"]), f"{path} (arch_yaml)")
        return Checkpoint(
            state_dict=dict(data["state_dict"]),
            arch=arch,
            num_classes=int(data["num_classes"]),
            in_channels=int(data["in_channels"]),
            resolution=int(data.get("resolution") or arch.resolution),
            mean=tuple(float(v) for v in data.get("mean") or ()),
            std=tuple(float(v) for v in data.get("std") or ()),
            notes=dict(data.get("notes") or {}),
        )
    except (KeyError, TypeError, ValueError, SpecError) as exc:
        raise UserError(f"{path} is a damaged effsearch weights file: {exc}") from None


def load_into(model: Any, state: dict[str, Any], where: str) -> None:
    """Load ``state`` into ``model`` strictly; a mismatch is one UserError line naming ``where``."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong_shape:
        detail = []
        if missing:
            detail.append(f"{len(missing)} missing (first {missing[0]})")
        if unexpected:
            detail.append(f"{len(unexpected)} unexpected (first {unexpected[0]})")
        if wrong_shape:
            key = wrong_shape[0]
            detail.append(
                f"{len(wrong_shape)} of another shape (first {key}: "
                f"{tuple(state[key].shape)} vs {tuple(own[key].shape)})"
            )
        raise UserError(f"weights {where} do not fit this architecture: {'; '.join(detail)}")
    model.load_state_dict(state, strict=True)


__all__ = ["FORMAT", "Checkpoint", "load_into", "read_weights", "save_checkpoint"]
