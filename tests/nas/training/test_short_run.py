"""The short-run adaptations: zero-initialised residual branches and BatchNorm recalibration."""

from __future__ import annotations

import pytest
import torch

from nas.data.datasets import load_dataset
from tests.nas.training.trainer_helpers import tiny_arch, tiny_proxy  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")


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


def _recalibrate_with_cumulative_momentum(model, data, batches, batch_size, generator):
    """The previous implementation (``momentum=None``, one host sync per layer): the reference."""
    from nas.data.augment import normalize

    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    n = int(data.train_x.shape[0])
    count = min(n, batches * batch_size)
    order = torch.randperm(n, generator=generator)[:count]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        for start in range(0, count, batch_size):
            idx = order[start : start + batch_size]
            model(normalize(data.train_x[idx], data.mean, data.inv_std, False))
    for m in norms:
        m.momentum = 0.1
    model.train()


@pytest.mark.parametrize("batches, batch_size", [(4, 16), (3, 25)])  # 25: a short last batch
def test_bn_recalibration_matches_the_cumulative_average_bit_for_bit(synthetic, batches, batch_size):
    from nas.training.device_data import prepare
    from nas.training.short_run import recalibrate_bn
    from search_spaces.builder import build_model

    data = prepare(synthetic, tiny_proxy(train_subset=60), torch.device("cpu"))
    torch.manual_seed(3)
    ours = build_model(tiny_arch(), num_classes=4, in_channels=1)
    reference = build_model(tiny_arch(), num_classes=4, in_channels=1)
    reference.load_state_dict(ours.state_dict())
    seen_momenta: list[object] = []
    for m in ours.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.register_forward_pre_hook(lambda mod, _: seen_momenta.append(mod.momentum))

    recalibrate_bn(ours, data, batches, batch_size, torch.Generator().manual_seed(7), False, False)
    generator = torch.Generator().manual_seed(7)
    _recalibrate_with_cumulative_momentum(reference, data, batches, batch_size, generator)

    for (name, a), (_, b) in zip(ours.state_dict().items(), reference.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert seen_momenta and None not in seen_momenta  # never the syncing momentum=None path
    assert all(m.momentum == 0.1 for m in ours.modules() if isinstance(m, torch.nn.BatchNorm2d))
