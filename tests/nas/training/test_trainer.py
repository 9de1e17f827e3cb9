"""The proxy trainer on real (synthetic or Fashion-MNIST) data: learning, determinism, failure paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from nas.data.datasets import load_dataset
from nas.training.trainer import EvalResult, evaluate, train_and_test
from search_spaces.arch import ArchSpec, StageSpec
from tests.nas.training.trainer_helpers import tiny_arch, tiny_proxy  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def synthetic():
    return load_dataset("synthetic")


def test_learns_the_synthetic_task(synthetic):
    result = evaluate(tiny_arch(), synthetic, tiny_proxy(), device="cpu")
    assert result.status == "ok" and result.reason == ""
    assert result.epochs_run == 3 and len(result.curve) == 3 and len(result.losses) == 3
    assert result.accuracy == result.curve[-1]
    assert result.accuracy > 0.6  # 4 classes: chance is 0.25
    assert result.images_per_s > 0 and result.wall_s > 0
    assert result.device.startswith("cpu")
    assert result.train_images == 960 and result.val_images == 240


def test_same_seed_same_accuracy_on_cpu(synthetic):
    proxy = tiny_proxy(epochs=2, train_subset=384)
    first = evaluate(tiny_arch(), synthetic, proxy, device="cpu")
    second = evaluate(tiny_arch(), synthetic, proxy, device="cpu")
    assert first.curve == second.curve
    assert first.losses == second.losses


def test_seed_changes_training(synthetic):
    proxy = tiny_proxy(epochs=1, train_subset=256)
    first = evaluate(tiny_arch(), synthetic, proxy, device="cpu", seed=1)
    second = evaluate(tiny_arch(), synthetic, proxy, device="cpu", seed=2)
    assert first.losses != second.losses


def test_callback_stops_early(synthetic):
    seen: list[tuple[int, float]] = []

    def on_epoch(epoch: int, accuracy: float) -> bool:
        seen.append((epoch, accuracy))
        return epoch >= 2

    result = evaluate(tiny_arch(), synthetic, tiny_proxy(epochs=5), device="cpu", on_epoch=on_epoch)
    assert result.status == "stopped"
    assert result.epochs_run == 2 and [e for e, _ in seen] == [1, 2]
    assert result.accuracy == seen[-1][1]
    assert "epoch 2" in result.reason


def test_callback_returning_false_runs_every_epoch(synthetic):
    proxy = tiny_proxy(epochs=2, train_subset=256)
    result = evaluate(tiny_arch(), synthetic, proxy, device="cpu", on_epoch=lambda e, a: False)
    assert result.status == "ok" and result.epochs_run == 2


def test_huge_learning_rate_is_a_nan_result(synthetic):
    result = evaluate(tiny_arch(), synthetic, tiny_proxy(lr=1e8, warmup_epochs=0.0), device="cpu")
    assert result.status == "nan"
    assert result.accuracy is None
    assert "nan loss" in result.reason and "learning rate" in result.reason


def _overcommit_mode() -> int | None:
    try:
        return int(Path("/proc/sys/vm/overcommit_memory").read_text())
    except (OSError, ValueError):
        return None


def _host_memory_bytes() -> int:
    total = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(("MemTotal:", "SwapTotal:")):
            total += int(line.split()[1]) * 1024
    return total


@pytest.mark.skipif(_overcommit_mode() not in (0, 2), reason="needs Linux heuristic/strict overcommit")
def test_allocation_beyond_host_memory_is_an_oom_result(synthetic):
    """A real failed allocation, made safe: the stem's activation is > 4x RAM+swap, so Linux refuses
    the mmap at once (overcommit heuristic) and nothing is ever touched."""
    need = 4 * _host_memory_bytes()
    stem = 16384
    batch = 64
    # activation bytes = batch * stem * res^2 * 4 (float32)
    resolution = 8
    while batch * stem * resolution * resolution * 4 < need:
        resolution *= 2
    assert resolution <= 1024, "machine too large for this test's sizes"
    arch = ArchSpec(
        stages=(StageSpec("mbconv", 3, 1, 1, 0.0, True, 16, 1),),
        stem_channels=stem,
        head_channels=16,
        resolution=32,
    )
    result = evaluate(arch, synthetic, tiny_proxy(resolution=resolution, batch_size=batch), device="cpu")
    assert result.status == "oom"
    assert result.accuracy is None
    assert "out of memory" in result.reason
    # and the caller keeps going: the next candidate trains normally
    assert evaluate(tiny_arch(), synthetic, tiny_proxy(epochs=1), device="cpu").status == "ok"


def test_result_serialises_to_json(synthetic):
    result = evaluate(tiny_arch(), synthetic, tiny_proxy(epochs=1, train_subset=256), device="cpu")
    data = json.loads(json.dumps(result.to_dict()))
    for key in ("status", "accuracy", "curve", "epochs_run", "wall_s", "images_per_s", "device", "reason"):
        assert key in data
    assert EvalResult(**{**data, "curve": tuple(data["curve"])}).accuracy == result.accuracy


def test_progress_reports_every_step(synthetic):
    calls: list[tuple[int, int]] = []
    proxy = tiny_proxy(epochs=2, train_subset=320)
    evaluate(tiny_arch(), synthetic, proxy, device="cpu", progress=lambda d, t: calls.append((d, t)))
    steps = 2 * (320 // 64)
    assert calls[-1] == (steps, steps) and len(calls) == steps


def test_train_subset_is_used(synthetic):
    result = evaluate(tiny_arch(), synthetic, tiny_proxy(epochs=1, train_subset=300), device="cpu")
    assert result.train_images == 300


def test_train_and_test_reports_test_accuracy(synthetic):
    result, test_accuracy = train_and_test(tiny_arch(), synthetic, tiny_proxy(), device="cpu")
    assert result.status == "ok"
    assert test_accuracy is not None and test_accuracy > 0.6


def test_rgb_data_and_other_resolution(synthetic):
    rgb = load_dataset("synthetic:channels=3,size=24,train=400,test=50")
    result = evaluate(tiny_arch(), rgb, tiny_proxy(resolution=20, epochs=1), device="cpu")
    assert result.status == "ok" and result.val_images == 80


def test_unknown_device_is_a_user_error(synthetic):
    from search_spaces.errors import UserError

    with pytest.raises(UserError):
        evaluate(tiny_arch(), synthetic, tiny_proxy(), device="tpu")


@pytest.mark.slow
def test_short_fashion_mnist_run_beats_chance():
    """Real Fashion-MNIST, 3,000 training images, 2 epochs: far above the 10% of guessing.

    The tiny network keeps its stride-2 stem (no small-input adaptation) to stay cheap."""
    from tests.nas.data.test_datasets import require_fashion_mnist

    require_fashion_mnist()
    data = load_dataset("fashion-mnist", val_size=1000)
    proxy = tiny_proxy(
        resolution=32, epochs=2, train_subset=3000, val_size=1000, batch_size=64, stem_stride=None
    )
    result = evaluate(tiny_arch(), data, proxy, device="cpu")
    assert result.status == "ok"
    assert result.accuracy > 0.5


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_path_learns(synthetic):
    result = evaluate(tiny_arch(), synthetic, tiny_proxy(), device="cuda")
    assert result.status == "ok" and result.reason == ""  # no "trained eagerly" fallback note
    assert result.accuracy > 0.6 and result.device.startswith("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_eager_and_graph_agree_roughly(synthetic):
    graph = evaluate(tiny_arch(), synthetic, tiny_proxy(), device="cuda")
    eager = evaluate(tiny_arch(), synthetic, tiny_proxy(cuda_graph=False), device="cuda")
    assert abs(graph.accuracy - eager.accuracy) < 0.15


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_nan_is_a_result(synthetic):
    result = evaluate(tiny_arch(), synthetic, tiny_proxy(lr=1e8, warmup_epochs=0.0), device="cuda")
    assert result.status == "nan"
