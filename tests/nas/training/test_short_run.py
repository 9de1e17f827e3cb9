"""The short-run adaptations: zero-initialised residual branches and BatchNorm recalibration."""

from __future__ import annotations

import pytest
import torch

from nas.data.datasets import load_dataset
from tests.nas.training.trainer_helpers import one_thread, tiny_arch, tiny_proxy  # noqa: F401


@pytest.fixture(scope="module")
def synthetic():
    return load_dataset("synthetic")


def test_zero_init_starts_residual_blocks_as_identity():
    from nas.training.short_run import zero_init_
    from search_spaces.builder import build_model

    model = build_model(tiny_arch(), num_classes=4, in_channels=1)
    zero_init_(model)
    assert float(model.classifier[-1].weight.detach().abs().sum()) == 0.0
    residual = [m for m in model.modules() if getattr(m, "residual", False)]
    assert residual
    for block in residual:
        last_bn = [m for m in block.body.modules() if isinstance(m, torch.nn.BatchNorm2d)][-1]
        assert float(last_bn.weight.detach().abs().sum()) == 0.0
    model.eval()
    logits = model(torch.randn(2, 1, 16, 16))
    assert torch.equal(logits, torch.zeros_like(logits))  # initial loss is exactly ln(classes)


def test_bn_recalibration_uses_exact_batch_statistics(synthetic):
    from nas.training.device_data import prepare
    from nas.training.short_run import recalibrate_bn
    from search_spaces.builder import build_model

    proxy = tiny_proxy(train_subset=64)
    data = prepare(synthetic, proxy, torch.device("cpu"))
    model = build_model(tiny_arch(), num_classes=4, in_channels=1)
    recalibrate_bn(
        model,
        data,
        batches=4,
        batch_size=16,
        generator=torch.Generator().manual_seed(0),
        amp=False,
        channels_last=False,
    )
    stem_conv, stem_bn = model.features[0][0], model.features[0][1]
    with torch.no_grad():
        x = (data.train_x.float() - data.mean) * data.inv_std
        expected = stem_conv(x).mean(dim=(0, 2, 3))
    torch.testing.assert_close(stem_bn.running_mean, expected, rtol=1e-4, atol=1e-5)
    assert stem_bn.momentum == 0.1 and model.training
