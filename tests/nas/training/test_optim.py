"""The graph-safe optimisers match PyTorch's reference implementations step for step."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nas.training.optim import ProxyOptimizer, lr_at


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4, bias=False), nn.Tanh(), nn.Linear(4, 3, bias=False))


def _train(model: nn.Module, step, zero) -> None:
    generator = torch.Generator().manual_seed(1)
    for lr in (0.1, 0.05, 0.02):
        x = torch.randn(8, 5, generator=generator)
        zero()
        model(x).pow(2).mean().backward()
        step(lr)


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_matches_torch(nesterov):
    ours, ref = _model(), _model()
    opt = ProxyOptimizer(ours, "sgd", momentum=0.9, nesterov=nesterov, weight_decay=1e-2)
    torch_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9, nesterov=nesterov, weight_decay=1e-2)

    def step_ours(lr):
        opt.lr.fill_(lr)
        opt.step()

    def step_ref(lr):
        for group in torch_opt.param_groups:
            group["lr"] = lr
        torch_opt.step()

    _train(ours, step_ours, opt.zero_grad)
    _train(ref, step_ref, torch_opt.zero_grad)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_adamw_matches_torch():
    ours, ref = _model(), _model()
    opt = ProxyOptimizer(ours, "adamw", momentum=0.9, weight_decay=0.05)
    torch_opt = torch.optim.AdamW(ref.parameters(), lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)

    def step_ours(lr):
        opt.lr.fill_(lr)
        opt.step()

    def step_ref(lr):
        for group in torch_opt.param_groups:
            group["lr"] = lr
        torch_opt.step()

    _train(ours, step_ours, opt.zero_grad)
    _train(ref, step_ref, torch_opt.zero_grad)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_rmsprop_descends():
    model = _model()
    opt = ProxyOptimizer(model, "rmsprop", momentum=0.9)
    x = torch.randn(16, 5, generator=torch.Generator().manual_seed(2))
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.lr.fill_(0.01)
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]


def test_no_weight_decay_on_biases_and_norms():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    opt = ProxyOptimizer(model, "sgd", weight_decay=0.1)
    assert [p.ndim for p in opt.decay_params] == [2]


def test_schedule():
    assert lr_at(0, 100, 10, 1.0, "cosine") == pytest.approx(0.1)
    assert lr_at(9, 100, 10, 1.0, "cosine") == pytest.approx(1.0)
    assert lr_at(10, 100, 10, 1.0, "cosine") == pytest.approx(1.0)
    assert lr_at(55, 100, 10, 1.0, "cosine") == pytest.approx(0.5)
    assert lr_at(99, 100, 10, 1.0, "cosine") < 0.01
    assert lr_at(55, 100, 10, 1.0, "linear") == pytest.approx(0.5)
    assert lr_at(99, 100, 0, 2.0, "constant") == 2.0
    assert all(math.isfinite(lr_at(s, 5, 0, 1.0, "cosine")) for s in range(5))
