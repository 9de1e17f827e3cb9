"""``--device auto|cpu|cuda|cuda:N`` -> a usable ``torch.device``, or one clear error."""

from __future__ import annotations

import os
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


def cpu_threads(requested: int | None = None) -> int:
    """Intra-op threads for CPU training: ``requested``, else the cores not already busy (>= 1).

    OpenMP threads wait for each other at every parallel region; on a CPU that other processes
    already keep busy, a descheduled thread stalls the rest. Measured on this project's 2-core
    machine at load ~7: B0 trained at 52 images/s with 1 thread and at 10 images/s with 2.
    An idle machine gets all its cores.
    """
    if requested is not None:
        if int(requested) < 1:
            raise UserError(f"--threads must be at least 1, got {requested}")
        return int(requested)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def use_cpu_threads(device: torch.device | str, requested: int | None = None) -> int | None:
    """Set torch's intra-op threads for training on ``device`` (``--threads``); None off the CPU.

    ``requested`` is checked on any device, so a bad ``--threads`` fails before anything runs.
    """
    threads = cpu_threads(requested)
    if torch.device(device).type != "cpu":
        return None
    torch.set_num_threads(threads)
    return threads


__all__ = ["describe_device", "resolve_device", "cpu_threads", "use_cpu_threads"]
