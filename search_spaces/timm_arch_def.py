"""An architecture as timm's EfficientNet ``arch_def``: block strings plus the model's few arguments.

Why: most people who train EfficientNets do it with timm. timm builds every EfficientNet-family
model from a list of stages, each a list of block strings such as ``'ir_r2_k3_s2_e6_c24_se0.25'``
(decoded by ``timm.models._efficientnet_builder.decode_arch_def``), plus the stem width, head
width and activation passed to ``timm.models.efficientnet.EfficientNet``. :func:`to_timm` writes
an :class:`~search_spaces.arch.ArchSpec` in that form, so a found baseline (or any scaled member of
its family) trains with timm's recipes unchanged::

    from timm.layers import get_act_layer
    from timm.models._efficientnet_builder import decode_arch_def
    from timm.models.efficientnet import EfficientNet

    act = get_act_layer(d["act_layer"])
    model = EfficientNet(decode_arch_def(d["arch_def"]), act_layer=act, **d["kwargs"])

The mapping, block by block (timm's letters: r repeats, k kernel, s stride, e expansion, c output
channels, se squeeze-excite ratio, n activation):

- ``mbconv`` with expansion > 1 -> ``ir`` (timm's InvertedResidual); with expansion 1 it has no
  1x1 expansion conv here, which is timm's ``ds`` (as timm's own B0 writes its first stage);
- ``dsconv`` (linear pointwise) -> ``ds``; ``sepconv`` (activation after both convs, MobileNetV1)
  -> ``dsa``, which timm builds without a skip;
- ``conv`` -> ``cn`` (timm's ConvBnAct, which has no squeeze-excite);
- a stage without its skip gets ``noskip`` (``ir``, ``ds``) or no ``skip`` (``cn``); a stage whose
  activation differs from the network's gets ``nre``/``nr6``/``nsw``.

Refused, one line each (:class:`~search_spaces.errors.UserError`): what timm's builder lacks or
would build differently -- the ResNet ``bottleneck``, the ``pooling`` and ``projection`` skip ops,
a stem max-pool or a stem stride other than 2, squeeze-excite on a ``conv`` stage, a skip on a
``sepconv`` stage, and channel counts timm would round: it rounds every stage width and expanded
width to a multiple of 8 (``make_divisible``) and sizes squeeze-excite as
``round(mid * se / e)`` where this package uses ``max(1, int(in * se))`` (search_spaces/plan.py).
A network that passes is the same network, parameter for parameter
(tests/search_spaces/test_timm_arch_def.py builds it with timm and compares).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.errors import UserError
from search_spaces.plan import block_plans

#: timm's activation letter of a block (``_decode_block_str``'s ``n`` option) for ours.
BLOCK_ACTIVATIONS: dict[str, str] = {"silu": "sw", "relu": "re", "relu6": "r6"}
#: ``timm.layers.get_act_layer`` names of the network's activation (stem, head, default of blocks).
MODEL_ACTIVATIONS: dict[str, str] = {"silu": "swish", "relu": "relu", "relu6": "relu6"}
#: timm rounds channels to multiples of this (``make_divisible``'s default divisor).
DIVISOR = 8


@dataclass(frozen=True)
class TimmNetwork:
    """What ``EfficientNet(decode_arch_def(arch_def), act_layer=..., **kwargs)`` needs."""

    arch_def: tuple[tuple[str, ...], ...]
    act_layer: str
    num_classes: int
    in_chans: int
    stem_size: int
    stem_kernel_size: int
    num_features: int
    drop_rate: float
    drop_path_rate: float
    resolution: int

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``timm.models.efficientnet.EfficientNet`` besides the blocks."""
        return {
            "num_classes": self.num_classes,
            "in_chans": self.in_chans,
            "stem_size": self.stem_size,
            "stem_kernel_size": self.stem_kernel_size,
            "fix_stem": True,
            "num_features": self.num_features,
            "drop_rate": self.drop_rate,
            "drop_path_rate": self.drop_path_rate,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain data (lists, numbers, strings) for YAML or JSON."""
        return {
            "arch_def": [list(stage) for stage in self.arch_def],
            "act_layer": self.act_layer,
            "kwargs": self.kwargs(),
            "resolution": self.resolution,
        }


def _refuse(index: int, why: str) -> UserError:
    return UserError(f"stage {index + 1}: timm's EfficientNet builder {why}; export another format")


def _check_channels(arch: ArchSpec) -> None:
    """Every width timm rounds must already be a multiple of 8, or timm builds another network."""
    widths = [("stem", arch.stem_channels)] + [
        (f"stage {i + 1}", s.out_channels) for i, s in enumerate(arch.stages)
    ]
    for where, channels in widths:
        if channels % DIVISOR:
            raise UserError(
                f"{where} has {channels} channels; timm's EfficientNet builder rounds block widths to a "
                f"multiple of {DIVISOR}, so it would build another network; export another format"
            )


def _check_blocks(arch: ArchSpec) -> None:
    """Expanded widths, squeeze-excite widths and skips as timm computes them, block by block."""
    stage_of = [i for i, stage in enumerate(arch.stages) for _ in range(stage.layers)]
    for index, plan in zip(stage_of, block_plans(arch), strict=True):
        stage = arch.stages[index]
        if stage.op == "sepconv" and plan.residual:
            raise _refuse(index, "builds separable convs with activations (dsa) without a skip")
        expansion = stage.expansion if stage.op == "mbconv" else 1
        if expansion > 1 and plan.mid_channels % DIVISOR:
            raise _refuse(index, f"rounds the expanded width {plan.mid_channels} to a multiple of {DIVISOR}")
        if plan.se_channels:
            timm_se = round(plan.mid_channels * (stage.se_ratio / float(expansion)))
            if timm_se != plan.se_channels:
                raise _refuse(
                    index, f"sizes this squeeze-excite at {timm_se} channels, not {plan.se_channels}"
                )


def block_string(stage: StageSpec, index: int, network_activation: str) -> str:
    """timm's block string of one stage (``ir_r2_k3_s2_e6_c24_se0.25``); refuses what timm lacks."""
    if stage.op == "bottleneck":
        raise _refuse(index, "has no ResNet bottleneck block")
    if stage.skip and stage.shortcut != "identity":
        raise _refuse(index, f"has no {stage.shortcut} skip op (only the identity)")
    if stage.op == "conv" and stage.se_ratio > 0:
        raise _refuse(index, "has no squeeze-excite on a regular conv block (cn)")
    kind = {"mbconv": "ir" if stage.expansion > 1 else "ds", "dsconv": "ds", "sepconv": "dsa", "conv": "cn"}
    parts = [kind[stage.op], f"r{stage.layers}", f"k{stage.kernel}", f"s{stage.stride}"]
    if stage.op in ("mbconv", "dsconv"):
        parts.append(f"e{stage.expansion}")
    parts.append(f"c{stage.out_channels}")
    if stage.se_ratio > 0:
        parts.append(f"se{stage.se_ratio:g}")
    if stage.op in ("mbconv", "dsconv") and not stage.skip:
        parts.append("noskip")
    if stage.op == "conv" and stage.skip:
        parts.append("skip")
    if stage.activation != network_activation:
        parts.append("n" + BLOCK_ACTIVATIONS[stage.activation])
    return "_".join(parts)


def to_timm(arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3) -> TimmNetwork:
    """``arch`` as timm's arch_def and EfficientNet arguments; a UserError for what timm cannot build."""
    stages = tuple((block_string(stage, i, arch.activation),) for i, stage in enumerate(arch.stages))
    if arch.stem_pool:
        raise UserError("timm's EfficientNet has no stem max-pool; export another format")
    if arch.stem_stride != 2:
        raise UserError(
            f"timm's EfficientNet stem has stride 2, this one {arch.stem_stride}; export another format"
        )
    _check_channels(arch)
    _check_blocks(arch)
    return TimmNetwork(
        arch_def=stages,
        act_layer=MODEL_ACTIVATIONS[arch.activation],
        num_classes=num_classes,
        in_chans=in_channels,
        stem_size=arch.stem_channels,
        stem_kernel_size=arch.stem_kernel,
        num_features=arch.head_channels,
        drop_rate=arch.dropout,
        drop_path_rate=arch.drop_connect,
        resolution=arch.resolution,
    )


def timm_yaml(network: TimmNetwork, name: str | None = None) -> str:
    """The network as a YAML file, with the four lines that build it with timm as its header."""
    import yaml

    title = f"{name}: " if name else ""
    header = (
        f"# {title}timm EfficientNet arch_def written by effsearch export --format timm-arch-def.\n"
        "# Build it with timm:\n"
        "#   import yaml\n"
        "#   from timm.layers import get_act_layer\n"
        "#   from timm.models._efficientnet_builder import decode_arch_def\n"
        "#   from timm.models.efficientnet import EfficientNet\n"
        "#   d = yaml.safe_load(open(PATH))\n"
        '#   model = EfficientNet(decode_arch_def(d["arch_def"]), act_layer=get_act_layer(d["act_layer"]),'
        ' **d["kwargs"])\n'
        f"# Input: {network.in_chans} x {network.resolution} x {network.resolution}.\n"
    )
    return header + yaml.safe_dump(network.as_dict(), sort_keys=False, default_flow_style=None)


__all__ = ["BLOCK_ACTIVATIONS", "MODEL_ACTIVATIONS", "TimmNetwork", "block_string", "timm_yaml", "to_timm"]
