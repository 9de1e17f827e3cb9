"""The seed networks EfficientNet's Table 3 scales, as ArchSpecs: MobileNetV1, MobileNetV2, ResNet-50.

The paper (Tan & Le 2019, section 3.3 and Table 3) shows that compound scaling is not specific to
its own baseline by scaling three existing networks with it. Written as ArchSpecs they go through
the same cost model, builder, scaler and exporter as B0:

- **MobileNetV1 1.0-224** (Howard et al. 2017, Table 1): a 3x3 stride-2 stem of 32 channels and
  13 depthwise-separable convs (``sepconv``: BN + ReLU after both convs, no skips), pooled straight
  into the classifier. 4,231,976 parameters and 568,740,352 conv+linear MACs (paper: 4.2M, 569M).
- **MobileNetV2 1.0** (Sandler et al. 2018, Table 2): stem 32, seven MBConv stages (t, c, n, s) =
  (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1), a 1x1 head of
  1280, ReLU6, dropout 0.2, no SE and no stochastic depth: torchvision's ``mobilenet_v2`` module
  for module, 3,504,872 parameters, 300,774,272 MACs (paper: 3.4M, 300M).
- **ResNet-50** (He et al. 2016, Table 1): 7x7 stride-2 stem of 64 + 3x3 max-pool, bottleneck
  stages of 3/4/6/3 blocks (out 256/512/1024/2048, width = out / 4, stride on the 3x3 conv as
  torchvision's v1.5), projection shortcuts where the shape changes, ReLU, no head conv, no
  dropout: torchvision's ``resnet50``, 25,557,032 parameters, 4,089,184,256 MACs.

EfficientNet's Table 3 prints these seeds as 0.6B (MobileNetV1), 0.3B (MobileNetV2) and 4.1B
(ResNet-50) FLOPS; the counts above round to exactly those. The tests check the parameter
counts against torchvision and the MACs against fvcore.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from search_spaces.arch import ArchSpec, StageSpec


def _stage(op: str, out: int, layers: int, stride: int, expansion: int = 1, **extra: object) -> StageSpec:
    return StageSpec(
        op=op,
        kernel=3,
        stride=stride,
        expansion=expansion,
        se_ratio=0.0,
        skip=bool(extra.pop("skip", True)),
        out_channels=out,
        layers=layers,
        activation=str(extra.pop("activation")),
        shortcut=str(extra.pop("shortcut", "identity")),
    )


@cache
def mobilenet_v1() -> ArchSpec:
    """MobileNetV1 1.0-224 (Howard et al. 2017, Table 1; the last stride-2 row is stride 1 there)."""
    stages = ((64, 1, 1), (128, 2, 2), (256, 2, 2), (512, 6, 2), (1024, 2, 2))
    return ArchSpec(
        stages=tuple(_stage("sepconv", c, n, s, skip=False, activation="relu") for c, n, s in stages),
        stem_channels=32,
        head_channels=0,
        dropout=0.0,
        drop_connect=0.0,
        activation="relu",
    )


@cache
def mobilenet_v2() -> ArchSpec:
    """MobileNetV2 1.0 (Sandler et al. 2018, Table 2), as torchvision builds it."""
    rows: tuple[tuple[int, int, int, int], ...] = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
    )
    rows += ((6, 320, 1, 1),)
    return ArchSpec(
        stages=tuple(_stage("mbconv", c, n, s, t, activation="relu6") for t, c, n, s in rows),
        stem_channels=32,
        head_channels=1280,
        dropout=0.2,
        drop_connect=0.0,
        activation="relu6",
    )


@cache
def resnet50() -> ArchSpec:
    """ResNet-50 (He et al. 2016, Table 1), as torchvision's ``resnet50`` (v1.5) builds it."""
    rows = ((256, 3, 1), (512, 4, 2), (1024, 6, 2), (2048, 3, 2))
    return ArchSpec(
        stages=tuple(
            _stage("bottleneck", c, n, s, 4, activation="relu", shortcut="projection") for c, n, s in rows
        ),
        stem_channels=64,
        stem_kernel=7,
        stem_pool=True,
        head_channels=0,
        dropout=0.0,
        drop_connect=0.0,
        activation="relu",
    )


#: The named seed networks, by the name every architecture flag accepts.
REFERENCES: dict[str, Callable[[], ArchSpec]] = {
    "mobilenetv1": mobilenet_v1,
    "mobilenetv2": mobilenet_v2,
    "resnet50": resnet50,
}


def reference_names() -> tuple[str, ...]:
    """The names of :data:`REFERENCES`, in a stable order."""
    return tuple(REFERENCES)


def normalise_name(text: str) -> str:
    """``MobileNet_V2``, ``mobilenet-v2``, ``ResNet-50`` -> ``mobilenetv2``, ``resnet50``."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def reference_arch(name: str) -> ArchSpec | None:
    """The seed network called ``name`` (any case, ``-``/``_`` ignored), or None."""
    factory = REFERENCES.get(normalise_name(name))
    return factory() if factory else None


__all__ = [
    "REFERENCES",
    "mobilenet_v1",
    "mobilenet_v2",
    "normalise_name",
    "reference_arch",
    "reference_names",
    "resnet50",
]
