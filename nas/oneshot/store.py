"""Where a trained supernet lives, with the settings it was trained with: ``runs/supernets/<name>/``.

One supernet serves every FLOPs target of a space, dataset and proxy (Once-for-All, BigNAS: train
once, specialise many times), so it is stored apart from any study:

- ``settings.json`` -- what decides its weights (:class:`SupernetSettings`: the space's name and
  content hash, the dataset and its fingerprint, the proxy recipe, epochs, training subset, seed,
  classes, input channels, the kernel-transform flag, the sandwich's children and teacher), the
  epochs done so far and the per-epoch metrics of the largest and smallest candidates;
- ``supernet.pt`` -- the weights, optimiser state and history after the last finished epoch,
  replaced atomically each epoch (a kill mid-write leaves the previous epoch's file).

A store trained with other settings is never reused silently: :meth:`SupernetStore.check` raises a
:class:`UserError` naming every difference. A matching one is reused, and resumed when it has
fewer epochs done than it was trained for.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nas.files import atomic_target, write_atomic
from nas.search.settings import flatten_settings
from search_spaces.errors import UserError

#: Folder of all supernets, relative to the working directory (run outputs go under runs/).
SUPERNETS_DIR = Path("runs") / "supernets"
SETTINGS_FILE = "settings.json"
CHECKPOINT_FILE = "supernet.pt"
#: Proxy fields that do not change the weights (how validation is batched, CUDA graphs, the name).
_PROXY_IGNORED = ("name", "eval_batch_size", "cuda_graph")
#: Settings added after stores were first written, with the behaviour of the trainer before them,
#: so an older store reads as what it is (and is refused, not misloaded, by today's defaults).
_BEFORE_THE_KEY: dict[str, Any] = {"sampling": "uniform", "schedule": "sandwich"}
#: ``share_dsconv`` (a bool) came before ``layout``: what each value meant, and a store older than
#: both had one branch per op.
_SHARE_DSCONV_LAYOUT = {True: "dsconv-in-mbconv", False: "per-op"}


@dataclass(frozen=True)
class SupernetSettings:
    """Everything that decides a supernet's weights; two supernets are the same iff these match."""

    space: str
    space_hash: str
    dataset: str
    data_fingerprint: dict[str, Any]
    #: The proxy recipe the supernet trains with (its epochs and train_subset are the supernet's).
    proxy: dict[str, Any]
    epochs: int
    train_subset: int | None
    seed: int
    num_classes: int
    in_channels: int
    kernel_transform: bool = False
    #: Random children per sandwich step (besides the largest and the smallest).
    num_random: int = 2
    #: The sandwich's teacher: ``max`` (the space's dearest candidate) or an op it is restricted to.
    teacher: str = "mbconv"
    #: The children's weight on in-place distillation at the end of the warm ramp (see
    #: :func:`nas.oneshot.training.distill_weight`); the rest of their loss is on the labels.
    distill: float = 0.5
    #: Which blocks share a branch of weights (:data:`nas.oneshot.families.LAYOUTS`).
    layout: str = "by-expansion"
    #: How the random children are drawn (:data:`nas.oneshot.sampling.SAMPLINGS`).
    sampling: str = "stratified"
    #: Each candidate's loss divided by their number (one step moves shared weights like one
    #: stand-alone step) instead of BigNAS's sum (see :func:`nas.oneshot.sandwich.sandwich_step`).
    average_gradients: bool = True
    #: ``sandwich`` over the whole space from the first step, or ``progressive`` shrinking
    #: (:mod:`nas.oneshot.progressive`).
    schedule: str = "sandwich"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupernetSettings:
        """Settings as stored; a key the store predates takes the value its trainer used then."""
        known = set(cls.__dataclass_fields__)
        values = {**_BEFORE_THE_KEY, **data}
        if "layout" not in values:
            values["layout"] = _SHARE_DSCONV_LAYOUT[bool(values.get("share_dsconv", False))]
        return cls(**{key: value for key, value in values.items() if key in known})

    def compared(self) -> dict[str, Any]:
        """The settings as compared: proxy fields that do not touch the weights left out."""
        data = self.to_dict()
        data["proxy"] = {k: v for k, v in self.proxy.items() if k not in _PROXY_IGNORED}
        return data


def differences(stored: SupernetSettings, wanted: SupernetSettings) -> list[str]:
    """``key: stored vs wanted`` for every compared setting that differs."""
    old, new = flatten_settings(stored.compared()), flatten_settings(wanted.compared())
    return [
        f"{key}: {old.get(key, '<unset>')!r} (stored) vs {new.get(key, '<unset>')!r} (now)"
        for key in sorted(set(old) | set(new))
        if old.get(key, "<unset>") != new.get(key, "<unset>")
    ]


def store_name(space: str, dataset: str) -> str:
    """``<space>-<dataset>`` as a safe folder name (``mnasnet-fashion-mnist``)."""
    if ":" in dataset:
        kind, _, path = dataset.partition(":")
        dataset = f"{kind}-{Path(path.rstrip('/')).name}"
    name = re.sub(r"[^a-z0-9]+", "-", f"{space}-{dataset}".lower()).strip("-")
    return name or "supernet"


class SupernetStore:
    """The folder of one supernet: its settings, progress and checkpoint."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def for_settings(cls, settings: SupernetSettings, root: str | Path = SUPERNETS_DIR) -> SupernetStore:
        return cls(Path(root) / store_name(settings.space, settings.dataset))

    @property
    def settings_path(self) -> Path:
        return self.folder / SETTINGS_FILE

    @property
    def checkpoint_path(self) -> Path:
        return self.folder / CHECKPOINT_FILE

    def read(self) -> dict[str, Any] | None:
        """The stored ``settings.json`` (None when the store is new); a broken file is a UserError."""
        try:
            text = self.settings_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UserError(f"cannot read {self.settings_path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
                raise ValueError("no settings mapping")
            SupernetSettings.from_dict(data["settings"])
        except (ValueError, TypeError) as exc:
            raise UserError(
                f"{self.settings_path} is not a supernet settings file ({exc}); remove {self.folder} "
                "to train a new supernet"
            ) from None
        return data

    def check(self, wanted: SupernetSettings) -> dict[str, Any] | None:
        """The stored record when it matches ``wanted`` (None when there is none); else UserError."""
        data = self.read()
        if data is None:
            return None
        diffs = differences(SupernetSettings.from_dict(data["settings"]), wanted)
        if diffs:
            raise UserError(
                f"the supernet in {self.folder} was trained with other settings ("
                + "; ".join(diffs)
                + f"); rerun with its settings to reuse it, or remove {self.folder} to train a new one"
            )
        return data

    def epochs_done(self) -> int:
        data = self.read()
        return int(data.get("epochs_done", 0)) if data else 0

    def history(self) -> list[dict[str, Any]]:
        data = self.read()
        return list(data.get("history", [])) if data else []

    def write_settings(
        self, settings: SupernetSettings, epochs_done: int, history: list[dict[str, Any]]
    ) -> None:
        record = {"settings": settings.to_dict(), "epochs_done": int(epochs_done), "history": history}
        write_atomic(self.settings_path, json.dumps(record, indent=2) + "\n", flag="supernet store")

    def save_checkpoint(self, payload: dict[str, Any]) -> None:
        """``supernet.pt`` replaced atomically (a kill mid-write leaves the previous one)."""
        import torch

        with atomic_target(self.checkpoint_path, flag="supernet store") as tmp:
            torch.save(payload, tmp)

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint (None when there is none); ``weights_only`` loading."""
        import torch

        if not self.checkpoint_path.exists():
            return None
        try:
            return torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a truncated or foreign file: say which, never a traceback
            raise UserError(
                f"cannot read the supernet checkpoint {self.checkpoint_path} ({type(exc).__name__}); "
                f"remove {self.folder} to train a new supernet"
            ) from None


__all__ = [
    "CHECKPOINT_FILE",
    "SETTINGS_FILE",
    "SUPERNETS_DIR",
    "SupernetSettings",
    "SupernetStore",
    "differences",
    "store_name",
]
