"""ImageFolder trees written as real PNG/JPEG files: layouts, mixed modes and sizes, errors, streaming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nas.data.datasets import Splits, load_dataset
from nas.data.imagefolder import StreamSplits, decode_image
from nas.training.trainer import evaluate
from search_spaces.errors import UserError
from tests.nas.training.trainer_helpers import tiny_arch, tiny_proxy  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")


def write_tree(
    root: Path, classes: int = 3, per_class: int = 10, rgb_every: int = 0, gray_every: int = 0
) -> None:
    """class k: a bright bar at row band k; sizes vary; every n-th image RGB (or grayscale)."""
    rng = np.random.default_rng(0)
    for k in range(classes):
        folder = root / f"class_{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            h, w = int(rng.integers(20, 40)), int(rng.integers(20, 40))
            pixels = rng.integers(0, 60, (h, w)).astype(np.uint8)
            band = h * k // classes
            pixels[band : band + max(2, h // classes)] = 230
            rgb = (rgb_every and i % rgb_every == 0) or (gray_every and i % gray_every != 0)
            image = Image.fromarray(np.stack([pixels] * 3, -1)) if rgb else Image.fromarray(pixels)
            image.save(folder / f"img{i}.png" if i % 4 else folder / f"img{i}.jpg")


def test_grayscale_majority_with_some_rgb(tmp_path):
    write_tree(tmp_path, rgb_every=3)
    data = load_dataset(f"imagefolder:{tmp_path}", val_size=5, image_size=16)
    assert isinstance(data, Splits)
    assert data.in_channels == 1 and data.num_classes == 3
    assert data.classes == ("class_0", "class_1", "class_2")
    assert data.train_x.shape[1:] == (1, 16, 16) and data.test_x.shape[1:] == (1, 16, 16)
    assert len(data.train_y) + len(data.val_y) + len(data.test_y) == 30
    assert len(data.test_y) == 3  # a seeded tenth


def test_rgb_majority_with_some_grayscale(tmp_path):
    write_tree(tmp_path, gray_every=4)
    data = load_dataset(f"imagefolder:{tmp_path}", val_size=5, image_size=12)
    assert data.in_channels == 3 and data.train_x.shape[1:] == (3, 12, 12)


def test_declared_channels_win(tmp_path):
    write_tree(tmp_path, rgb_every=3)
    data = load_dataset(f"imagefolder:{tmp_path}", val_size=5, image_size=12, in_channels=3)
    assert data.in_channels == 3


def test_presplit_train_and_test_folders(tmp_path):
    write_tree(tmp_path / "train", per_class=8)
    write_tree(tmp_path / "test", per_class=2)
    data = load_dataset(f"imagefolder:{tmp_path}", val_size=4, image_size=16)
    assert len(data.test_y) == 6 and len(data.train_y) + len(data.val_y) == 24
    assert "train/test" in data.source


def test_decode_resizes_the_shorter_side_and_centre_crops(tmp_path):
    pixels = np.zeros((20, 40), dtype=np.uint8)
    pixels[:, 10:30] = 255  # the centre 20x20 is white, the sides black
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    array = decode_image(tmp_path / "wide.png", 10, 1)
    assert array.shape == (1, 10, 10) and array[:, :, 1:-1].min() >= 250 and array.min() > 200


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda root: None, "no images"),
        (lambda root: write_tree(root, classes=1), "single class"),
    ],
)
def test_empty_or_single_class_tree_is_a_user_error(tmp_path, make, match):
    make(tmp_path)
    with pytest.raises(UserError, match=match):
        load_dataset(f"imagefolder:{tmp_path}")


def test_missing_tree_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_dataset(f"imagefolder:{tmp_path / 'nope'}")


def test_corrupt_image_names_the_file(tmp_path):
    write_tree(tmp_path)
    (tmp_path / "class_0" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(UserError, match="broken.png"):
        load_dataset(f"imagefolder:{tmp_path}", image_size=8, in_channels=1)


def test_small_tree_trains(tmp_path):
    write_tree(tmp_path, per_class=20, rgb_every=5)
    data = load_dataset(f"imagefolder:{tmp_path}", val_size=10, image_size=16)
    result = evaluate(tiny_arch(), data, tiny_proxy(epochs=2, batch_size=16, val_size=10), device="cpu")
    assert result.status == "ok" and result.val_images == 10


def test_large_tree_is_streamed_and_trains(tmp_path):
    write_tree(tmp_path, per_class=20, rgb_every=5)
    data = load_dataset(f"imagefolder:{tmp_path}", val_size=10, image_size=16, stream=True, workers=0)
    assert isinstance(data, StreamSplits)
    assert len(data.train) + len(data.val) + len(data.test) == 60 and data.in_channels == 1
    torch.manual_seed(0)
    result = evaluate(tiny_arch(), data, tiny_proxy(epochs=2, batch_size=16, val_size=10), device="cpu")
    assert result.status == "ok" and result.epochs_run == 2 and result.val_images == 10
    assert result.train_images == len(data.train)


def test_size_threshold_picks_streaming(tmp_path):
    from nas.data.imagefolder import load_imagefolder

    write_tree(tmp_path)
    assert isinstance(load_imagefolder(str(tmp_path), image_size=16, max_bytes=100), StreamSplits)
    assert isinstance(load_imagefolder(str(tmp_path), image_size=16), Splits)
