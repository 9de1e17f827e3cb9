"""The block-by-block layout of an ArchSpec: the one place that decides channels, strides and skips.

An :class:`ArchSpec` says "stage i repeats N blocks"; the builder and the cost model both need the
unrolled list of blocks with every derived number spelled out (input channels, the channels the
depthwise conv and squeeze-and-excite work on, the SE bottleneck, whether the identity skip is
legal, the stochastic-depth rate). Deriving it once, here, without torch, keeps
:mod:`search_spaces.builder` and :mod:`search_spaces.cost` from disagreeing, and keeps the cost
model import-light (it runs thousands of times inside a search).

Rules (EfficientNet Table 1 and the released code; MnasNet section 4.1):
- only the first block of a stage uses the stage's stride and sees the previous stage's channels;
- MBConv widens to ``block_in * expansion`` with a 1x1 conv, skipped when the expansion is 1;
- SE bottleneck = ``max(1, int(block_in * se_ratio))`` (sized from the *block input*, applied on
  the widened channels), 0 means no SE;
- the identity skip exists only when the stage asks for it, the stride is 1 and in == out; a
  ``pooling`` or ``projection`` shortcut exists on every block of a stage that asks for it
  (:data:`search_spaces.arch.SHORTCUTS`);
- the ResNet bottleneck narrows to ``max(1, out // expansion)`` (ResNet-50: 256 // 4 = 64);
- stochastic-depth rate of block b (0-based over all blocks) = ``drop_connect * b / num_blocks``.
"""

from __future__ import annotations

from dataclasses import dataclass

from search_spaces.arch import ArchSpec
from search_spaces.errors import SpecError

#: Largest class count / input channel count we agree to build (anything beyond is a typo).
MAX_CLASSES = 1_000_000
MAX_IN_CHANNELS = 1024


def check_io(num_classes: int, in_channels: int) -> None:
    """Refuse class or input-channel counts that cannot be meant (shared with the cost model)."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise SpecError(f"number of classes must be an integer, got {num_classes!r}")
    if isinstance(in_channels, bool) or not isinstance(in_channels, int):
        raise SpecError(f"input channels must be an integer, got {in_channels!r}")
    if not 1 <= num_classes <= MAX_CLASSES:
        raise SpecError(f"number of classes must be within 1..{MAX_CLASSES}, got {num_classes}")
    if not 1 <= in_channels <= MAX_IN_CHANNELS:
        raise SpecError(f"input channels must be within 1..{MAX_IN_CHANNELS}, got {in_channels}")


@dataclass(frozen=True)
class BlockPlan:
    """One unrolled block with every derived size."""

    op: str
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    #: Channels the spatial (kxk) conv and SE act on (mbconv: in*e; dsconv, sepconv: in;
    #: conv: out; bottleneck: out // e).
    mid_channels: int
    #: SE bottleneck width; 0 when the block has no SE.
    se_channels: int
    #: Whether a skip path is added (of kind ``shortcut``).
    residual: bool
    drop_prob: float
    activation: str = "silu"
    #: ``identity``, ``pooling`` or ``projection`` (meaningful when ``residual``).
    shortcut: str = "identity"

    @property
    def expands(self) -> bool:
        """Whether an MBConv block has its 1x1 expansion conv (expansion != 1)."""
        return self.op == "mbconv" and self.mid_channels != self.in_channels

    @property
    def projects(self) -> bool:
        """Whether the skip path is a 1x1 conv + BN (a projection where the shape changes)."""
        return (
            self.residual
            and self.shortcut == "projection"
            and (self.stride != 1 or self.in_channels != self.out_channels)
        )


def se_channels(block_in: int, se_ratio: float) -> int:
    """SE bottleneck width: ``max(1, int(block_in * se_ratio))``, or 0 when SE is off."""
    if se_ratio <= 0:
        return 0
    return max(1, int(block_in * se_ratio))


def block_plans(arch: ArchSpec) -> tuple[BlockPlan, ...]:
    """Unroll ``arch`` into its blocks, in forward order."""
    plans: list[BlockPlan] = []
    total = arch.num_blocks
    channels = arch.stem_channels
    index = 0
    for stage in arch.stages:
        for layer in range(stage.layers):
            stride = stage.stride if layer == 0 else 1
            block_in = channels
            out = stage.out_channels
            if stage.op == "mbconv":
                mid = block_in * stage.expansion
            elif stage.op in ("dsconv", "sepconv"):
                mid = block_in
            elif stage.op == "bottleneck":
                mid = max(1, out // stage.expansion)
            else:
                mid = out
            if stage.shortcut == "identity":
                residual = stage.skip and stride == 1 and block_in == out
            else:
                residual = stage.skip
            plans.append(
                BlockPlan(
                    op=stage.op,
                    in_channels=block_in,
                    out_channels=out,
                    kernel=stage.kernel,
                    stride=stride,
                    mid_channels=mid,
                    se_channels=se_channels(block_in, stage.se_ratio),
                    residual=residual,
                    drop_prob=arch.drop_connect * index / total,
                    activation=stage.activation,
                    shortcut=stage.shortcut,
                )
            )
            channels = out
            index += 1
    return tuple(plans)


def conv_output_size(size: int, stride: int) -> int:
    """Spatial size after a conv with odd kernel k and padding (k-1)//2: ``ceil(size / stride)``.

    ``floor((size + 2*((k-1)//2) - k) / stride) + 1`` equals ``ceil(size / stride)`` for odd k.
    The same holds for the stem max-pool (3x3, stride 2, padding 1) and the pooling shortcut
    (``ceil_mode`` average pool with kernel = stride).
    """
    return -(-size // stride)


__all__ = [
    "MAX_CLASSES",
    "MAX_IN_CHANNELS",
    "BlockPlan",
    "block_plans",
    "check_io",
    "conv_output_size",
    "se_channels",
]
