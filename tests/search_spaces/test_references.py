"""The seed networks of EfficientNet's Table 3 against torchvision, fvcore and the paper.

torchvision's ``mobilenet_v2`` has 3,504,872 parameters and ``resnet50`` 25,557,032 (1000 classes);
ours must equal them exactly, produce the same output shape, and our analytic MACs must equal
fvcore's conv + linear count on our model *and* on torchvision's. torchvision has no MobileNetV1;
the paper (Howard et al. 2017, Table 8) prints 4.2M parameters and 569M multiply-adds.

EfficientNet's Table 3 prints the seeds as MobileNetV1 0.6B, MobileNetV2 0.3B, ResNet-50 4.1B
FLOPS; ours are 568,740,352 / 300,774,272 / 4,089,184,256 conv+linear MACs, which print the same.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from search_spaces.audit import COUNTED_OPERATORS, fvcore_macs
from search_spaces.builder import build_model
from search_spaces.cost import count_cost
from search_spaces.references import mobilenet_v1, mobilenet_v2, reference_arch, resnet50

torchvision = pytest.importorskip("torchvision")


def _torch_macs(model: torch.nn.Module, size: int = 224) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis

        analysis = FlopCountAnalysis(model.eval(), (torch.zeros(1, 3, size, size),))
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        counts = analysis.by_operator()
    return int(sum(counts.get(name, 0) for name in COUNTED_OPERATORS))


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("ours", "theirs", "params", "macs"),
    [
        (mobilenet_v2, "mobilenet_v2", 3_504_872, 300_774_272),
        (resnet50, "resnet50", 25_557_032, 4_089_184_256),
    ],
)
def test_matches_torchvision(ours, theirs, params, macs) -> None:
    arch = ours()
    model = build_model(arch)
    reference = getattr(torchvision.models, theirs)()
    assert count_cost(arch).params == _params(model) == _params(reference) == params
    assert count_cost(arch).macs == fvcore_macs(arch) == _torch_macs(reference) == macs
    x = torch.zeros(2, 3, 224, 224)
    with torch.no_grad():
        assert model.eval()(x).shape == reference.eval()(x).shape == (2, 1000)


def test_resnet_blocks_match_torchvision_bottlenecks() -> None:
    """Block for block: our bottleneck stages have torchvision's layer1..layer4 parameter counts."""
    model = build_model(resnet50())
    reference = torchvision.models.resnet50()
    for index in range(4):
        assert _params(model.features[index + 1]) == _params(getattr(reference, f"layer{index + 1}"))


def test_mobilenet_v2_blocks_match_torchvision_inverted_residuals() -> None:
    model = build_model(mobilenet_v2())
    theirs = list(torchvision.models.mobilenet_v2().features)[1:-1]
    ours = [block for stage in list(model.features)[1:] for block in stage]
    assert [_params(b) for b in ours] == [_params(b) for b in theirs]
    assert [b.residual for b in ours] == [b.use_res_connect for b in theirs]


def test_mobilenet_v1_is_the_papers() -> None:
    arch = mobilenet_v1()
    cost = count_cost(arch)
    assert cost.params == _params(build_model(arch)) == 4_231_976  # paper: 4.2M
    assert cost.macs == fvcore_macs(arch) == 568_740_352  # paper: 569M
    assert sum(stage.layers for stage in arch.stages) == 13  # 13 depthwise-separable layers


@pytest.mark.parametrize(
    ("factory", "printed"), [(mobilenet_v1, "0.6"), (mobilenet_v2, "0.3"), (resnet50, "4.1")]
)
def test_macs_print_as_efficientnet_table_3(factory, printed) -> None:
    assert f"{count_cost(factory()).macs / 1e9:.1f}" == printed


@pytest.mark.parametrize("name", ["MobileNetV2", "mobilenet-v2", "mobilenet_v2", "ResNet-50", "mobilenetv1"])
def test_names_are_read_in_any_spelling(name: str) -> None:
    assert reference_arch(name) is not None
    assert reference_arch("resnet18") is None
