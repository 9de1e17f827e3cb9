"""``import effsearch``: the README's "Use from Python" block runs as written, and the API's numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import effsearch

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_block() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"## Use from Python\n.*?```python\n(.*?)```", text, re.S)
    assert match, "README has no 'Use from Python' code block"
    return match.group(1)


@pytest.mark.slow
def test_the_readme_block_runs(tmp_path, monkeypatch, one_thread, capsys):
    monkeypatch.chdir(tmp_path)  # the searches' default storage is runs/effsearch.db here
    exec(compile(readme_block(), str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "5288548" in out and "385814752 5288548" in out
    assert (tmp_path / "runs" / "effsearch.db").is_file()
    results = effsearch.load_study_results("readme-baseline", "sqlite:///runs/effsearch.db")
    assert results.kind == "baseline" and len(results.ranked) >= 1
    assert results.ranked["reward"].is_monotonic_decreasing


def test_b0_numbers_are_torchvisions():
    model = effsearch.create_model("b0")
    assert sum(p.numel() for p in model.parameters()) == 5_288_548
    assert effsearch.count_cost("b0").macs == 385_814_752
    assert effsearch.count_cost("b0", resolution=112).macs < 385_814_752


def test_scale_with_the_papers_coefficients_builds_a_bigger_network():
    scaled = effsearch.scale("b0", phi=1)
    assert scaled == effsearch.scale(effsearch.arch_of("b0"), 1, coefficients=(1.2, 1.1, 1.15))
    assert 1.7 < effsearch.count_cost(scaled).macs / effsearch.count_cost("b0").macs < 2.7


def test_weights_round_trip_through_a_plain_state_dict(tmp_path):
    model = effsearch.create_model("mobilenetv2", num_classes=5, in_channels=1)
    path = tmp_path / "w.pt"
    torch.save(model.state_dict(), path)
    again = effsearch.create_model("mobilenetv2", num_classes=5, in_channels=1, weights=path)
    x = torch.randn(1, 1, 64, 64)
    assert torch.equal(model.eval()(x), again.eval()(x))


@pytest.mark.parametrize(
    "call",
    [
        lambda: effsearch.create_model("b9"),
        lambda: effsearch.create_model("b0", num_classes=0),
        lambda: effsearch.scale("b0", phi=1, coefficients=(0.5, 1, 1)),
        lambda: effsearch.scale("b0", phi=1, coefficients="nope"),
        lambda: effsearch.create_model("b0", weights="missing.pt"),
    ],
)
def test_mistakes_are_user_errors(call):
    with pytest.raises(effsearch.UserError):
        call()
