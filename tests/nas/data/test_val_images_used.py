"""The number of validation images a run uses: the proxy's val_size, capped by the split."""

from __future__ import annotations

from types import SimpleNamespace

from nas.data.datasets import load_dataset
from nas.data.splits import val_images_used


def test_the_split_caps_the_configured_size() -> None:
    data = load_dataset("synthetic:classes=3,size=8,channels=1,train=100,test=20", val_size=5000, seed=0)
    assert len(data.val_y) == 20  # a fifth of the training images
    assert val_images_used(data, 5000) == 20
    assert val_images_used(data, 7) == 7


def test_streamed_folders_count_their_items() -> None:
    assert val_images_used(SimpleNamespace(val=("a", "b", "c")), 1000) == 3
