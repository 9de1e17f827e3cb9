"""``effsearch export``: write a (compound-scaled) network for training or serving elsewhere.

    effsearch evaluate --arch b0 --save runs/b0-trained.pt && \\
        effsearch export --arch b0 --weights runs/b0-trained.pt --format onnx --out runs/b0.onnx
    effsearch export --arch runs/s/baseline.yaml --coefficients runs/s/coefficients.yaml --phi 2 \\
        --format torchscript --random-init --out runs/s/phi2.pt
    effsearch export --arch b3 --format state-dict --weights my_b3.pt --out runs/b3.pt

    effsearch export --arch runs/s/baseline.yaml --format timm-arch-def     # for timm users
    effsearch export --arch runs/s/baseline.yaml --format onnx --out runs/s/inherited.onnx \
        --weights-from-supernet runs/supernets/mnasnet-fashion-mnist

Weights come from ``--weights``: a file of ``effsearch evaluate --save`` (the architecture as
trained, its classes, channels and input size come with it; :mod:`nas.training.checkpoint`) or a
state dict for ``--base`` (``torch.load(weights_only=True)``, strict); or from
``--weights-from-supernet DIR``: the architecture's slices of a trained supernet's weights with
its BatchNorm statistics re-estimated as the one-shot search scored it
(:mod:`scaling_search.export_supernet`). Without either the command refuses to write a network --
three exports would be three different random networks -- unless ``--random-init`` asks for a
freshly initialised one (torchvision's EfficientNet init). Formats: see
:mod:`scaling_search.export`; the two text formats (``yaml``, ``timm-arch-def``) go to stdout
without ``--out``.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from commands import flags

NAME = "export"
HELP = "Write a (scaled) network as YAML, timm arch_def, TorchScript, ONNX or a state dict."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_arch(parser, "--base")
    parser.add_argument(
        "--coefficients",
        help="paper (1.2/1.1/1.15) or a coefficients file from `effsearch coefficients`; needs --phi "
        + flags.default("none: the base unscaled"),
    )
    parser.add_argument(
        "--phi", type=float, help="compound coefficient to scale the base by (>= 0) " + flags.default("none")
    )
    from scaling_search.export import FORMATS

    parser.add_argument(
        "--format",
        required=True,
        choices=FORMATS,
        dest="fmt",
        help="yaml (architecture), torchscript (torch.jit.load), onnx (eval graph, dynamic batch), "
        "state-dict (torch.save of the weights), timm-arch-def (timm's EfficientNet block strings "
        "and arguments)",
    )
    parser.add_argument(
        "--weights",
        metavar="FILE",
        help="trained weights: a file of `effsearch evaluate --save` (it brings the architecture as "
        "trained, its classes, channels and input size) or a state dict " + flags.default("none"),
    )
    parser.add_argument(
        "--random-init",
        action="store_true",
        help="write a freshly initialised, untrained network when no --weights are given",
    )
    _add_supernet_flags(parser.add_argument_group("weights inherited from a trained supernet"))
    flags.add_network_shape(parser)
    parser.add_argument(
        "--resolution",
        type=int,
        help="input size of the exported model " + flags.default("the architecture's"),
    )
    parser.add_argument(
        "--out", metavar="FILE", help="file to write " + flags.default("stdout for yaml and timm-arch-def")
    )


def _add_supernet_flags(g: Any) -> None:
    g.add_argument(
        "--weights-from-supernet",
        metavar="DIR",
        help="a trained supernet's folder (runs/supernets/<space>-<dataset>): the architecture leaves with "
        "its slices of the weights and BatchNorm re-estimated as the one-shot search scored it, at the "
        "proxy's resolution " + flags.default("none"),
    )
    g.add_argument(
        "--space",
        metavar="FILE",
        help="the search-space file the supernet was trained on "
        + flags.default("the packaged space it names"),
    )
    flags.add_data_dir(g)


def _resolution(args: argparse.Namespace, arch: Any) -> Any:
    """``arch`` at ``--resolution`` when given (checked), else as it is."""
    from search_spaces.errors import UserError

    if args.resolution is None:
        return arch
    if not 8 <= args.resolution <= 4096:
        raise UserError(f"--resolution must be within 8..4096, got {args.resolution}")
    return replace(arch, resolution=args.resolution)


def scaled_arch(args: argparse.Namespace):
    """(name, architecture) the flags describe: the base, scaled when --coefficients/--phi are given."""
    from scaling_search.inputs import load_base, load_coefficients_for
    from scaling_search.scale import check_phi, scale
    from search_spaces.errors import UserError

    name, base = load_base(args.base)
    if (args.coefficients is None) != (args.phi is None):
        raise UserError("--coefficients and --phi go together (e.g. --coefficients paper --phi 1)")
    arch = base
    if args.coefficients is not None:
        phi = check_phi(args.phi)
        coeffs = load_coefficients_for(args.coefficients, base)
        arch = scale(base, coeffs.alpha, coeffs.beta, coeffs.gamma, phi)
        name = f"{name}-phi{phi:g}"
    return name, _resolution(args, arch)


def check_flags(args: argparse.Namespace) -> None:
    """Combinations of flags that cannot mean anything, refused before any file is read."""
    from scaling_search.export import TEXT_FORMATS
    from search_spaces.errors import UserError

    if args.out is None and args.fmt not in TEXT_FORMATS:
        raise UserError(f"--format {args.fmt} writes a binary file: give --out FILE")
    source = args.weights_from_supernet
    if source is None:
        if args.space is not None or args.data_dir is not None:
            raise UserError("--space and --data-dir go with --weights-from-supernet")
        return
    for flag, given in (("--weights", args.weights is not None), ("--random-init", args.random_init)):
        if given:
            raise UserError(
                f"--weights-from-supernet and {flag} both say where the weights come from: give one"
            )
    if args.fmt in TEXT_FORMATS:
        raise UserError(f"--weights-from-supernet has no effect with --format {args.fmt} (architecture only)")
    if args.coefficients is not None or args.phi is not None:
        raise UserError(
            "a scaled network is not a candidate of the supernet: drop --coefficients/--phi (export the "
            "baseline with its inherited weights, or scale it and train it)"
        )


def _network(args: argparse.Namespace) -> tuple[str, Any, int, int]:
    """(name, architecture, classes, channels) to write; weights of `evaluate --save` bring their own."""
    from nas.training.checkpoint import read_weights
    from scaling_search.arch_resolver import resolve_arch
    from scaling_search.export import TEXT_FORMATS
    from search_spaces.errors import UserError

    text = args.fmt in TEXT_FORMATS
    if not text and args.weights is None and not args.random_init:
        raise UserError(
            "refusing to export an untrained network: give --weights FILE (from `effsearch evaluate "
            "--save`), --weights-from-supernet DIR or --random-init for a freshly initialised one"
        )
    kept = read_weights(args.weights) if args.weights is not None and not text else None
    if kept is None or kept.arch is None:
        resolved = resolve_arch(args.base, "--base")
        name, arch = scaled_arch(args)
        classes, channels = flags.network_shape(args, resolved.num_classes, resolved.in_channels)
        return name, arch, classes, channels
    if args.coefficients is not None or args.phi is not None:
        raise UserError("--weights from `evaluate --save` fit the network they were trained as; drop --phi")
    resolve_arch(args.base, "--base")  # a bad --arch is still an error
    size = args.resolution if args.resolution is not None else kept.resolution
    if size is None:
        raise UserError(f"{args.weights} records no resolution; give --resolution")
    scaled_arch(args)  # the same checks of --resolution
    classes, channels = flags.network_shape(args, kept.num_classes, kept.in_channels)
    return f"{Path(args.weights).stem}", replace(kept.arch, resolution=int(size)), classes, channels


def _inherited(args: argparse.Namespace) -> tuple[str, Any, int, int, Any]:
    """(name, architecture, classes, channels, Inherited) of ``--weights-from-supernet``."""
    from scaling_search.arch_resolver import resolve_arch
    from scaling_search.export_supernet import inherit
    from search_spaces.errors import UserError

    resolved = resolve_arch(args.base, "--base")
    got = inherit(args.weights_from_supernet, resolved.arch, args.space, args.data_dir)
    shape = flags.network_shape(args, got.num_classes, got.in_channels)
    if shape != (got.num_classes, got.in_channels):
        raise UserError(
            f"--classes/--in-channels: the supernet's weights are for {got.num_classes} classes and "
            f"{got.in_channels} input channel(s)"
        )
    return f"{resolved.name}-supernet", _resolution(args, got.arch), shape[0], shape[1], got


def run(args: argparse.Namespace) -> int:
    import sys

    from nas.files import check_output, inputs_of
    from scaling_search.export import TEXT_FORMATS, export, text_of
    from search_spaces.codes import arch_code
    from search_spaces.cost import count_cost

    check_flags(args)
    files = {
        "base": args.base,
        "coefficients": args.coefficients,
        "weights": args.weights,
        "space": args.space,
    }
    inputs = inputs_of(**files)
    if args.out is not None:
        check_output(args.out, inputs=inputs)
    model, origin = None, None
    if args.weights_from_supernet is not None:
        name, arch, classes, channels, got = _inherited(args)
        model = got.model
        origin = f"{got.folder} (validation accuracy {got.accuracy:.2%} as the search scored it)"
    else:
        name, arch, classes, channels = _network(args)
    if args.out is None:  # a text format, to stdout
        sys.stdout.write(text_of(arch, args.fmt, name, classes, channels))
        return 0
    cost = count_cost(arch, num_classes=classes, in_channels=channels)
    result = export(
        arch, args.fmt, args.out, weights=args.weights, num_classes=classes, in_channels=channels,
        name=name, inputs=inputs, model=model, origin=origin,
    )  # fmt: skip
    described = (
        f"trained weights from {result.weights}" if result.weights else "freshly initialised (untrained)"
    )
    if model is not None:
        described = f"weights inherited from the supernet in {result.weights}"
    if args.fmt in TEXT_FORMATS:
        described = "architecture only"
    print(
        f"wrote {result.path} ({args.fmt} via {result.exporter}, {result.bytes / 1e6:.2f} MB): {name}, "
        f"{cost.params:,} params, {cost.macs:,} MACs at {arch.resolution}x{arch.resolution}x"
        f"{channels}, {classes} classes, {described}"
    )
    print(f"code: {arch_code(arch)}")
    return 0
