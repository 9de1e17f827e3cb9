"""``mobilenetv1``, ``mobilenetv2`` and ``resnet50`` work wherever ``b0``..``b7`` do.

They are read by the one resolver (:mod:`scaling_search.arch_resolver`), so ``cost``, ``evaluate``,
``scale --base``, ``coefficients --base`` and ``export`` all accept them; compound scaling keeps
their structure (no head conv stays none, ReLU stays ReLU) and their Table 3 baseline FLOPS print
as the paper's.
"""

from __future__ import annotations

import pytest

from scaling_search.arch_resolver import resolve_arch
from scaling_search.official import SEEDS, printed_like, seed_model
from scaling_search.scale import scale
from search_spaces.cost import count_cost
from search_spaces.errors import UserError
from search_spaces.references import reference_arch


@pytest.mark.parametrize("row", SEEDS, ids=lambda row: row.name)
def test_seed_rows_are_exact(row) -> None:
    arch = reference_arch(row.name)
    assert count_cost(arch).macs == row.macs
    assert printed_like(row.macs, row.paper_flops) == row.paper_flops
    if row.torchvision_params is not None:
        assert count_cost(arch).params == row.torchvision_params


@pytest.mark.parametrize("text", ["mobilenetv1", "MobileNet-V2", "resnet50", "ResNet_50"])
def test_resolver_reads_seed_names(text: str) -> None:
    resolved = resolve_arch(text, "--base")
    assert resolved.kind == "reference"
    assert resolved.arch == reference_arch(text)
    assert resolved.name in {"mobilenetv1", "mobilenetv2", "resnet50"}


def test_unknown_name_still_lists_the_seeds() -> None:
    with pytest.raises(UserError, match="mobilenetv2"):
        resolve_arch("mobilenetv3")
    with pytest.raises(UserError):
        seed_model("vgg16")


@pytest.mark.parametrize("name", ["mobilenetv1", "mobilenetv2", "resnet50"])
def test_compound_scaling_keeps_the_structure(name: str) -> None:
    base = reference_arch(name)
    scaled = scale(base, 1.2, 1.1, 1.15, 2)
    assert scaled.head_channels == (0 if base.head_channels == 0 else scaled.head_channels)
    assert scaled.activation == base.activation and scaled.stem_pool == base.stem_pool
    assert [s.op for s in scaled.stages] == [s.op for s in base.stages]
    ratio = count_cost(scaled).macs / count_cost(base).macs
    assert 3.0 < ratio < 5.5  # about (1.2 * 1.1**2 * 1.15**2)**2 = 3.7 before rounding
