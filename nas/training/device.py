"""``--device auto|cpu|cuda|cuda:N`` -> a usable ``torch.device``, or one clear error."""

from __future__ import annotations

import re

import torch

from search_spaces.errors import UserError

_CUDA_RE = re.compile(r"^cuda(?::(\d+))?$")


def resolve_device(text: str | torch.device | None = "auto") -> torch.device:
    """Parse and check a device name.

    ``auto`` picks the first CUDA GPU when one is usable, else the CPU. ``cuda`` / ``cuda:N`` must
    exist on this machine; anything else (``mps``, ``tpu``, typos) is a :class:`UserError`, so a
    search never silently runs on a different device than the one asked for.
    """
    if isinstance(text, torch.device):
        text = str(text)
    name = (text or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    match = _CUDA_RE.match(name)
    if not match:
        raise UserError(f"unknown device {text!r}; expected auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise UserError(
            f"device {text!r} asked for, but CUDA is not available on this machine (use --device cpu)"
        )
    index = int(match.group(1) or 0)
    count = torch.cuda.device_count()
    if index >= count:
        raise UserError(
            f"device {text!r} asked for, but this machine has {count} CUDA device(s) (0..{count - 1})"
        )
    return torch.device("cuda", index)


def describe_device(device: torch.device) -> str:
    """Human-readable name stored with results: ``cpu (2 threads)`` or ``cuda:0 (NVIDIA H100 ...)``."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


__all__ = ["describe_device", "resolve_device"]
