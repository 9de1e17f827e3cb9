"""``effsearch export``: write a (compound-scaled) network for training or serving elsewhere.

    effsearch export --base b0 --format onnx --out runs/b0.onnx
    effsearch export --base runs/s/baseline.yaml --coefficients runs/s/coefficients.yaml --phi 2 \\
        --format torchscript --classes 10 --in-channels 1 --resolution 32 --out runs/s/phi2.pt
    effsearch export --base b3 --format state-dict --weights my_b3.pt --out runs/b3.pt

The network is freshly initialised (torchvision's EfficientNet init) unless ``--weights`` gives a
state dict to load (``torch.load(weights_only=True)``, strict). Formats: see
:mod:`scaling_search.export`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

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
        help="state dict to load (torch.save of model.state_dict()) " + flags.default("freshly initialised"),
    )
    flags.add_network_shape(parser)
    parser.add_argument(
        "--resolution",
        type=int,
        help="input size of the exported model " + flags.default("the architecture's"),
    )
    parser.add_argument("--out", required=True, help="file to write")


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


def run(args: argparse.Namespace) -> int:
    from nas.files import check_output, inputs_of
    from scaling_search.export import export
    from search_spaces.builder import build_model  # noqa: F401 - fail early if torch is missing
    from search_spaces.codes import arch_code
    from search_spaces.cost import count_cost
    from search_spaces.errors import UserError

    if args.classes < 1:
        raise UserError(f"--classes must be at least 1, got {args.classes}")
    if args.in_channels < 1:
        raise UserError(f"--in-channels must be at least 1, got {args.in_channels}")
    inputs = inputs_of(base=args.base, coefficients=args.coefficients, weights=args.weights)
    check_output(args.out, inputs=inputs)
    name, arch = scaled_arch(args)
    cost = count_cost(arch, num_classes=args.classes, in_channels=args.in_channels)
    result = export(
        arch,
        args.fmt,
        args.out,
        weights=args.weights,
        num_classes=args.classes,
        in_channels=args.in_channels,
        name=name,
        inputs=inputs,
    )
    origin = f"weights from {result.weights}" if result.weights else "freshly initialised"
    if args.fmt == "yaml":
        origin = "architecture only"
    print(
        f"wrote {result.path} ({args.fmt} via {result.exporter}, {result.bytes / 1e6:.2f} MB): {name}, "
        f"{cost.params:,} params, {cost.macs:,} MACs at {arch.resolution}x{arch.resolution}x"
        f"{args.in_channels}, {args.classes} classes, {origin}"
    )
    print(f"code: {arch_code(arch)}")
    return 0
