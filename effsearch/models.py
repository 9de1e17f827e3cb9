"""Architectures from Python: resolve, build (optionally with trained weights), cost and scale.

Defaults, and why:

- ``num_classes=None`` / ``in_channels=None`` mean "what the architecture says": a search's
  ``baseline.yaml`` records the classes and input channels it was searched for, an
  ``effsearch evaluate --save`` weights file those it was trained with; anything else means
  ImageNet's 1000 classes and 3 (RGB) channels, the published models' numbers.
- ``resolution=None`` is the architecture's own input size (224 for B0).
- ``coefficients="paper"`` is EfficientNet's alpha=1.2, beta=1.1, gamma=1.15 (found for B0).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from search_spaces.arch import ArchSpec
from search_spaces.cost import Cost
from search_spaces.errors import UserError

if TYPE_CHECKING:
    import torch

    from nas.training.proxy import ProxyConfig
    from scaling_search.arch_resolver import ResolvedArch

#: ImageNet's classes and RGB: what an architecture without recorded shape is built and costed for.
DEFAULT_CLASSES = 1000
DEFAULT_IN_CHANNELS = 3


def resolved_arch(arch: str | Path | ArchSpec, what: str = "arch") -> ResolvedArch:
    """The architecture argument read as the command line reads ``--arch`` (an ArchSpec as is)."""
    from scaling_search.arch_resolver import ResolvedArch, resolve_arch

    if isinstance(arch, ArchSpec):
        return ResolvedArch(arch, "arch", "spec")
    if isinstance(arch, (str, Path)):
        return resolve_arch(str(arch), what)
    raise UserError(f"{what} must be a name, a YAML path, a code or an ArchSpec, got {type(arch).__name__}")


def arch_of(arch: str | Path | ArchSpec) -> ArchSpec:
    """The :class:`ArchSpec` an architecture argument names (``b0``, a YAML path, a code ...)."""
    return resolved_arch(arch).arch


def _shape(resolved: ResolvedArch, num_classes: int | None, in_channels: int | None) -> tuple[int, int]:
    classes = num_classes if num_classes is not None else resolved.num_classes or DEFAULT_CLASSES
    channels = in_channels if in_channels is not None else resolved.in_channels or DEFAULT_IN_CHANNELS
    if int(classes) < 1 or int(channels) < 1:
        raise UserError(f"num_classes and in_channels must be at least 1, got {classes} and {channels}")
    return int(classes), int(channels)


def create_model(
    arch: str | Path | ArchSpec = "b0",
    num_classes: int | None = None,
    in_channels: int | None = None,
    weights: str | Path | None = None,
) -> torch.nn.Module:
    """A ``torch.nn.Module`` for ``arch``, freshly initialised (torchvision's EfficientNet init).

    ``weights``: a file from ``effsearch evaluate --save`` (weights with the architecture they
    were trained as; its classes and channels become the defaults) or a plain state dict
    (``torch.save(model.state_dict())``). Loading is strict: weights that do not fit raise
    :class:`UserError`. The model is returned in training mode, like any fresh torch module.
    """
    from nas.training.checkpoint import load_into, read_weights
    from search_spaces.builder import build_model

    resolved = resolved_arch(arch)
    if weights is None:
        classes, channels = _shape(resolved, num_classes, in_channels)
        return build_model(resolved.arch, num_classes=classes, in_channels=channels)
    kept = read_weights(weights)
    spec = kept.arch if kept.arch is not None else resolved.arch
    classes, channels = _shape(
        resolved,
        num_classes if num_classes is not None else kept.num_classes,
        in_channels if in_channels is not None else kept.in_channels,
    )
    model = build_model(spec, num_classes=classes, in_channels=channels)
    load_into(model, kept.state_dict, str(weights))
    return model


def count_cost(
    arch: str | Path | ArchSpec = "b0",
    resolution: int | None = None,
    num_classes: int | None = None,
    in_channels: int | None = None,
) -> Cost:
    """Exact parameters and conv+linear multiply-adds (the papers' FLOPS) of ``create_model(arch)``.

    ``resolution`` defaults to the architecture's own (a search's ``baseline.yaml`` holds the
    resolution it was costed at), so ``count_cost("b0").macs == 385_814_752``.
    """
    from search_spaces.cost import check_resolution
    from search_spaces.cost import count_cost as exact

    resolved = resolved_arch(arch)
    classes, channels = _shape(resolved, num_classes, in_channels)
    size = resolved.arch.resolution if resolution is None else int(resolution)
    check_resolution(size)
    return exact(resolved.arch, num_classes=classes, in_channels=channels, resolution=size)


def _coefficients(coefficients: Any, base: ArchSpec) -> tuple[float, float, float]:
    from scaling_search.coefficients_file import Coefficients
    from scaling_search.inputs import load_coefficients_for

    if isinstance(coefficients, Coefficients):
        return coefficients.alpha, coefficients.beta, coefficients.gamma
    if isinstance(coefficients, (str, Path)):
        found = load_coefficients_for(str(coefficients), base)
        return found.alpha, found.beta, found.gamma
    try:
        alpha, beta, gamma = (float(v) for v in coefficients)
    except (TypeError, ValueError):
        raise UserError(
            "coefficients must be 'paper', a coefficients.yaml path or (alpha, beta, gamma)"
        ) from None
    checked = Coefficients(alpha, beta, gamma, "python")
    return checked.alpha, checked.beta, checked.gamma


def scale(
    base: str | Path | ArchSpec = "b0",
    phi: float = 1.0,
    coefficients: Any = "paper",
) -> ArchSpec:
    """``base`` compound-scaled by ``phi``: depth alpha^phi, width beta^phi, resolution gamma^phi.

    ``coefficients``: ``"paper"``, a ``coefficients.yaml`` written by ``effsearch coefficients``
    (checked to belong to ``base``), or ``(alpha, beta, gamma)``. Rounding is the released
    EfficientNet's (channels to multiples of 8, layers up). Cost it with :func:`count_cost`.
    """
    from scaling_search.scale import check_phi
    from scaling_search.scale import scale as scale_arch

    spec = resolved_arch(base, "base").arch
    alpha, beta, gamma = _coefficients(coefficients, spec)
    return scale_arch(spec, alpha, beta, gamma, check_phi(float(phi)))


def load_proxy(proxy: str | Path | None = None, **changes: Any) -> ProxyConfig:
    """A proxy-training setting: preset (``default``, ``gpu``, ``long``) or YAML file, with ``changes``.

    ``changes`` are :class:`nas.training.proxy.ProxyConfig` fields, e.g. ``epochs=1,
    train_subset=512``; they are what ``--epochs`` and ``--train-subset`` set on the command line.
    """
    from nas.training.proxy import load_proxy as load

    return load(None if proxy is None else str(proxy)).with_overrides(**changes)


__all__ = [
    "DEFAULT_CLASSES",
    "DEFAULT_IN_CHANNELS",
    "arch_of",
    "count_cost",
    "create_model",
    "load_proxy",
    "scale",
]
