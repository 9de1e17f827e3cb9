"""``effsearch export``: write a (compound-scaled) network for training or serving elsewhere.

    effsearch evaluate --arch b0 --save runs/b0-trained.pt && \\
        effsearch export --arch b0 --weights runs/b0-trained.pt --format onnx --out runs/b0.onnx
    effsearch export --arch runs/s/baseline.yaml --coefficients runs/s/coefficients.yaml --phi 2 \\
        --format torchscript --random-init --out runs/s/phi2.pt
    effsearch export --arch b3 --format state-dict --weights my_b3.pt --out runs/b3.pt

Weights come from ``--weights``: a file of ``effsearch evaluate --save`` (the architecture as
trained, its classes, channels and input size come with it; :mod:`nas.training.checkpoint`) or a
state dict for ``--base`` (``torch.load(weights_only=True)``, strict). Without them the command
refuses to write a network -- three exports would be three different random networks -- unless
``--random-init`` asks for a freshly initialised one (torchvision's EfficientNet init). Formats: see
:mod:`scaling_search.export`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from commands import flags

NAME = "export"
HELP = "Write a (scaled) network as YAML, TorchScript, ONNX or a state dict."


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
    parser.add_argument(
        "--format",
        required=True,
        choices=("yaml", "torchscript", "onnx", "state-dict"),
        dest="fmt",
        help="yaml (architecture), torchscript (torch.jit.load), onnx (eval graph, dynamic batch), "
        "state-dict (torch.save of the weights)",
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
    flags.add_network_shape(parser)
    parser.add_argument(
        "--resolution",
        type=int,
        help="input size of the exported model " + flags.default("the architecture's"),
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write")


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
    if args.resolution is not None:
        if not 8 <= args.resolution <= 4096:
            raise UserError(f"--resolution must be within 8..4096, got {args.resolution}")
        arch = replace(arch, resolution=args.resolution)
    return name, arch


def _network(args: argparse.Namespace) -> tuple[str, Any, int, int]:
    """(name, architecture, classes, channels) to write; weights of `evaluate --save` bring their own."""
    from nas.training.checkpoint import read_weights
    from scaling_search.arch_resolver import resolve_arch
    from search_spaces.errors import UserError

    if args.fmt != "yaml" and args.weights is None and not args.random_init:
        raise UserError(
            "refusing to export an untrained network: give --weights FILE (from `effsearch evaluate --save`) "
            "or --random-init for a freshly initialised one"
        )
    kept = read_weights(args.weights) if args.weights is not None and args.fmt != "yaml" else None
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


def run(args: argparse.Namespace) -> int:
    from nas.files import check_output, inputs_of
    from scaling_search.export import export
    from search_spaces.builder import build_model  # noqa: F401 - fail early if torch is missing
    from search_spaces.codes import arch_code
    from search_spaces.cost import count_cost

    inputs = inputs_of(base=args.base, coefficients=args.coefficients, weights=args.weights)
    check_output(args.out, inputs=inputs)
    name, arch, classes, channels = _network(args)
    cost = count_cost(arch, num_classes=classes, in_channels=channels)
    result = export(
        arch,
        args.fmt,
        args.out,
        weights=args.weights,
        num_classes=classes,
        in_channels=channels,
        name=name,
        inputs=inputs,
    )
    origin = f"trained weights from {result.weights}" if result.weights else "freshly initialised (untrained)"
    if args.fmt == "yaml":
        origin = "architecture only"
    print(
        f"wrote {result.path} ({args.fmt} via {result.exporter}, {result.bytes / 1e6:.2f} MB): {name}, "
        f"{cost.params:,} params, {cost.macs:,} MACs at {arch.resolution}x{arch.resolution}x"
        f"{channels}, {classes} classes, {origin}"
    )
    print(f"code: {arch_code(arch)}")
    return 0
