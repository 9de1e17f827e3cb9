"""Write a (scaled) architecture as a file other tools can train or serve.

The search ends in an :class:`~search_spaces.arch.ArchSpec`; users train the final network with
the tools they already use. This module writes it in five forms:

- ``yaml``: the architecture itself (``search_spaces.arch_yaml``), readable by every command;
- ``timm-arch-def``: timm's EfficientNet ``arch_def`` block strings with the stem, head and
  activation arguments (:mod:`search_spaces.timm_arch_def`), for training with timm;
- ``state-dict``: ``torch.save(model.state_dict())`` of :func:`search_spaces.builder.build_model`
  (load it back with ``torch.load(path, weights_only=True)`` into the same ``build_model``);
- ``torchscript``: ``torch.jit.script`` of the model, so it keeps its training behaviour (dropout,
  stochastic depth) and runs without this package; tracing (eval mode) is the fallback if the
  model cannot be scripted. TorchScript is deprecated upstream but still the one self-contained
  format ``torch.jit.load`` reads in C++ and Python;
- ``onnx``: the eval-mode graph with a dynamic batch axis at the architecture's resolution,
  input ``input`` (N, C, H, W) float32, output ``logits``. torch >= 2.9 exports through
  ``torch.export`` and needs ``onnxscript``; without it the legacy TorchScript-based exporter
  (``dynamo=False``, deprecated but present in torch 2.14) is used.

Weights (``--weights``) are read with ``torch.load(..., weights_only=True)`` and must fit the
architecture exactly (strict ``load_state_dict``); a mismatch is one :class:`UserError` line. A
weights file of ``effsearch evaluate --save`` carries the architecture it was trained as; the
``export`` command builds that one (:mod:`nas.training.checkpoint`).
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError

FORMATS: tuple[str, ...] = ("yaml", "torchscript", "onnx", "state-dict", "timm-arch-def")
#: Formats that describe the architecture only, as text (no weights; printable to stdout).
TEXT_FORMATS: tuple[str, ...] = ("yaml", "timm-arch-def")
#: Batch size of the example input: 2 so the exporter cannot specialise the batch axis to 1.
_EXAMPLE_BATCH = 2


@dataclass(frozen=True)
class ExportResult:
    """What was written: the file, its format, and how (exporter used, weights or fresh)."""

    path: Path
    format: str
    exporter: str
    weights: str | None
    bytes: int


def load_weights(model: Any, path: str | Path) -> None:
    """Load weights saved by ``torch.save`` into ``model`` (strict); UserError if they do not fit.

    Accepts a weights file of ``effsearch evaluate --save`` (:mod:`nas.training.checkpoint`), a
    plain state dict, or a checkpoint dict holding one under ``state_dict`` or ``model`` (what
    common training loops save). The one reader and the one fit check live in
    :mod:`nas.training.checkpoint`.
    """
    from nas.training.checkpoint import load_into, read_weights

    load_into(model, read_weights(path).state_dict, str(path))


def build(
    arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3, weights: str | Path | None = None
) -> Any:
    """The network for ``arch`` (fresh torchvision-style init, or ``weights``), in eval mode."""
    from search_spaces.builder import build_model

    model = build_model(arch, num_classes=num_classes, in_channels=in_channels)
    if weights is not None:
        load_weights(model, weights)
    return model.eval()


def example_input(arch: ArchSpec, in_channels: int, seed: int = 0) -> Any:
    """A fixed random input (batch 2) at the architecture's resolution."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.randn(_EXAMPLE_BATCH, in_channels, arch.resolution, arch.resolution, generator=generator)


def onnx_exporter() -> str:
    """``"dynamo"`` (torch.export-based, needs onnxscript) when available, else ``"legacy"``."""
    return "dynamo" if importlib.util.find_spec("onnxscript") is not None else "legacy"


def _export_onnx(model: Any, x: Any, path: Path, exporter: str) -> None:
    import torch

    inputs, outputs = ["input"], ["logits"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            batch = torch.export.Dim("batch", min=1, max=65536)
            program = torch.onnx.export(
                model,
                (x,),
                dynamo=True,
                dynamic_shapes=({0: batch},),
                verbose=False,
                input_names=inputs,
                output_names=outputs,
            )
            if program is None:  # dynamo=True without a file always returns the program
                raise RuntimeError("torch.onnx.export(dynamo=True) returned no ONNX program")
            program.save(str(path))
        else:
            torch.onnx.export(
                model,
                (x,),
                str(path),
                dynamo=False,
                dynamic_axes={"input": {0: "batch"}},
                input_names=inputs,
                output_names=outputs,
            )


def _export_torchscript(model: Any, x: Any, path: Path) -> str:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            scripted = torch.jit.script(model)
            how = "script"
        except Exception:  # noqa: BLE001 - any scripting failure falls back to tracing
            scripted = torch.jit.trace(model, (x,))
            how = "trace (eval mode)"
        scripted.save(str(path))
    return how


def export(
    arch: ArchSpec,
    fmt: str,
    out: str | Path,
    weights: str | Path | None = None,
    num_classes: int = 1000,
    in_channels: int = 3,
    name: str | None = None,
    exporter: str | None = None,
    inputs: Mapping[Path, str] | None = None,
    model: Any = None,
    origin: str | None = None,
) -> ExportResult:
    """Write ``arch`` as ``fmt`` (one of :data:`FORMATS`) to ``out``; parents are created.

    ``out`` is checked before the model is built and written atomically (:mod:`nas.files`):
    never over one of ``inputs`` (weights, base or coefficients files), a folder or a device.

    ``exporter`` picks the ONNX exporter (``"dynamo"`` or ``"legacy"``); None chooses
    :func:`onnx_exporter`. ``model`` is a network already built for ``arch`` with its weights (the
    inherited ones of :mod:`scaling_search.export_supernet`), ``origin`` where they came from.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    from nas.files import atomic_target, check_output, write_atomic

    out = Path(out)
    check_output(out, inputs=inputs)
    if fmt in TEXT_FORMATS:
        if weights is not None:
            raise UserError(f"--weights has no effect with --format {fmt} (it writes the architecture only)")
        write_atomic(out, text_of(arch, fmt, name, num_classes, in_channels), inputs=inputs)
        return ExportResult(out, fmt, _TEXT_WRITERS[fmt], None, out.stat().st_size)

    import torch

    if fmt == "onnx":
        require_onnx()
    model = build(arch, num_classes, in_channels, weights) if model is None else model.eval()
    if origin is None and weights is not None:
        origin = str(weights)
    x = example_input(arch, in_channels)
    with torch.no_grad(), atomic_target(out, inputs=inputs) as tmp:
        if fmt == "state-dict":
            torch.save(model.state_dict(), tmp)
            how = "torch.save"
        elif fmt == "torchscript":
            how = _export_torchscript(model, x, tmp)
        else:
            how = exporter or onnx_exporter()
            if how not in ("dynamo", "legacy"):
                raise UserError(f"unknown ONNX exporter {how!r}; expected dynamo or legacy")
            _export_onnx(model, x, tmp, how)
    return ExportResult(out, fmt, how, origin, out.stat().st_size)


_TEXT_WRITERS = {"yaml": "arch_to_yaml", "timm-arch-def": "timm_yaml"}


def text_of(
    arch: ArchSpec, fmt: str, name: str | None = None, num_classes: int = 1000, in_channels: int = 3
) -> str:
    """The text of a :data:`TEXT_FORMATS` export (timm's refusals are one UserError line)."""
    if fmt == "timm-arch-def":
        from search_spaces.timm_arch_def import timm_yaml, to_timm

        return timm_yaml(to_timm(arch, num_classes, in_channels), name)
    from search_spaces.arch_yaml import arch_to_yaml

    return arch_to_yaml(arch, name)


def require_onnx() -> None:
    """UserError naming the install command when the ``onnx`` package (a dependency) is missing."""
    if importlib.util.find_spec("onnx") is None:
        raise UserError(
            "--format onnx needs the onnx package, which effsearch depends on but is missing here: "
            "pip install 'onnx>=1.15' 'onnxscript>=0.2' (or reinstall effsearch)"
        )


__all__ = [
    "FORMATS",
    "TEXT_FORMATS",
    "ExportResult",
    "build",
    "example_input",
    "export",
    "load_weights",
    "onnx_exporter",
    "require_onnx",
    "text_of",
]
