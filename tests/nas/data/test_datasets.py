"""Dataset sources, the search order, the seeded validation split and its isolation from test data."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from nas.data import data_sources, datasets
from nas.data.datasets import Splits, carve_validation, load_dataset
from nas.data.idx import read_idx, write_idx
from search_spaces.errors import UserError

FMNIST_SYSTEM = Path("/usr/share/datasets/fashion-mnist")


def require_fashion_mnist() -> None:
    """Skip (or fail under EFFSEARCH_REQUIRE_SERVICES=1, as in CI) without Debian's package."""
    if datasets.find_fmnist_dir(FMNIST_SYSTEM) is None:
        message = "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)"
        if os.environ.get("EFFSEARCH_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def no_fallbacks(monkeypatch, tmp_path):
    """No system package, an empty cache, no downloads: only what the test provides."""
    monkeypatch.setattr(data_sources, "SYSTEM_DIRS", {})
    monkeypatch.setenv("EFFSEARCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("EFFSEARCH_OFFLINE", "1")


def indexed_images(n: int, offset: int, size: int = 28) -> np.ndarray:
    """n images whose first three pixels spell their index (+offset), to trace where each one went."""
    images = np.zeros((n, size, size), dtype=np.uint8)
    ids = np.arange(offset, offset + n)
    images[:, 0, 0], images[:, 0, 1], images[:, 0, 2] = ids % 256, (ids // 256) % 256, ids // 65536
    return images


def image_ids(x: torch.Tensor) -> set[int]:
    pixels = x[:, 0, 0, :3].to(torch.int64)
    return set((pixels[:, 0] + 256 * pixels[:, 1] + 65536 * pixels[:, 2]).tolist())


def write_fmnist(directory: Path, n_train: int = 300, n_test: int = 100) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    write_idx(directory / "train-images-idx3-ubyte.gz", indexed_images(n_train, 0))
    write_idx(directory / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, n_train))
    write_idx(directory / "t10k-images-idx3-ubyte.gz", indexed_images(n_test, 100_000))
    write_idx(directory / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, n_test))


def test_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "b", array, compress=False)
    assert np.array_equal(read_idx(tmp_path / "a.gz"), array)
    assert np.array_equal(read_idx(tmp_path / "b"), array)


def test_idx_rejects_garbage(tmp_path):
    (tmp_path / "bad").write_bytes(b"not an idx file at all")
    with pytest.raises(UserError, match="not an IDX file"):
        read_idx(tmp_path / "bad")


@pytest.mark.slow
def test_fashion_mnist_from_the_debian_package():
    require_fashion_mnist()
    data = load_dataset("fashion-mnist")
    assert isinstance(data, Splits)
    assert data.train_x.shape == (55000, 1, 28, 28) and data.val_x.shape == (5000, 1, 28, 28)
    assert data.test_x.shape == (10000, 1, 28, 28)
    assert data.train_x.dtype == torch.uint8 and data.num_classes == 10 and data.in_channels == 1
    assert "system package" in data.source
    assert sorted(torch.bincount(data.test_y).tolist()) == [1000] * 10


def test_fashion_mnist_from_data_dir(tmp_path, no_fallbacks):
    write_fmnist(tmp_path / "fm")
    data = load_dataset("fashion-mnist", data_dir=str(tmp_path / "fm"), val_size=50)
    assert "--data-dir" in data.source
    assert len(data.train_y) == 250 and len(data.val_y) == 50 and len(data.test_y) == 100


def test_fashion_mnist_in_torchvision_layout(tmp_path, no_fallbacks):
    write_fmnist(tmp_path / "root" / "FashionMNIST" / "raw")
    data = load_dataset("fmnist", data_dir=str(tmp_path / "root"), val_size=50)
    assert data.name == "fashion-mnist" and len(data.test_y) == 100


def test_fashion_mnist_from_cache(tmp_path, no_fallbacks):
    write_fmnist(Path(os.environ["EFFSEARCH_CACHE"]) / "fashion-mnist")
    assert "cache" in load_dataset("fashion-mnist", val_size=10).source


def test_fashion_mnist_missing_everywhere_says_how_to_get_it(tmp_path, no_fallbacks):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError) as info:
        load_dataset("fashion-mnist", data_dir=str(tmp_path / "empty"))
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message and "--data-dir" in message
    assert "\n" not in message


def test_missing_data_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_dataset("fashion-mnist", data_dir=str(tmp_path / "nope"))


def test_validation_split_is_disjoint_seeded_and_never_test(tmp_path, no_fallbacks):
    write_fmnist(tmp_path / "fm", n_train=300, n_test=100)
    first = load_dataset("fashion-mnist", data_dir=str(tmp_path / "fm"), val_size=60, seed=3)
    again = load_dataset("fashion-mnist", data_dir=str(tmp_path / "fm"), val_size=60, seed=3)
    other = load_dataset("fashion-mnist", data_dir=str(tmp_path / "fm"), val_size=60, seed=4)
    train, val, test = image_ids(first.train_x), image_ids(first.val_x), image_ids(first.test_x)
    assert len(train) == 240 and len(val) == 60
    assert train.isdisjoint(val)
    assert train | val == set(range(300))
    assert test == set(range(100_000, 100_100))
    assert test.isdisjoint(train | val)
    assert image_ids(again.val_x) == val
    assert image_ids(other.val_x) != val


def test_validation_size_is_capped_at_a_fifth():
    x = torch.zeros((100, 1, 8, 8), dtype=torch.uint8)
    y = torch.zeros(100, dtype=torch.int64)
    tx, _, vx, _ = carve_validation(x, y, 5000, seed=0)
    assert len(vx) == 20 and len(tx) == 80


def _write_cifar(root: Path, name: str, n: int = 20) -> None:
    rng = np.random.default_rng(0)
    if name == "cifar10":
        folder, key, meta = root / "cifar-10-batches-py", b"labels", ("batches.meta", b"label_names", 10)
        train, test = [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]
    else:
        folder, key, meta = root / "cifar-100-python", b"fine_labels", ("meta", b"fine_label_names", 100)
        train, test = ["train"], ["test"]
    folder.mkdir(parents=True)
    for file in train + test:
        images = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        batch = {b"data": images, key: rng.integers(0, meta[2], n).tolist()}
        (folder / file).write_bytes(pickle.dumps(batch, protocol=2))
    names = [f"class{i}".encode() for i in range(meta[2])]
    (folder / meta[0]).write_bytes(pickle.dumps({meta[1]: names}, protocol=2))


@pytest.mark.parametrize("name,classes,n_train", [("cifar10", 10, 100), ("cifar100", 100, 20)])
def test_cifar_from_data_dir(tmp_path, no_fallbacks, name, classes, n_train):
    _write_cifar(tmp_path, name)
    data = load_dataset(name, data_dir=str(tmp_path), val_size=5)
    assert data.num_classes == classes and data.in_channels == 3
    assert data.train_x.shape[1:] == (3, 32, 32) and len(data.train_y) + len(data.val_y) == n_train
    assert len(data.test_y) == 20 and data.classes[0] == "class0"


def test_cifar_missing_is_a_user_error(tmp_path, no_fallbacks):
    with pytest.raises(UserError, match="cifar-10-batches-py"):
        load_dataset("cifar10")


def test_cifar_pickle_cannot_run_code(tmp_path, no_fallbacks):
    _write_cifar(tmp_path, "cifar10")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(UserError, match="refusing"):
        load_dataset("cifar10", data_dir=str(tmp_path))


def test_synthetic_dataset_shapes_and_options():
    data = load_dataset("synthetic:classes=3,size=12,channels=3,train=200,test=30", val_size=20)
    assert data.train_x.shape == (180, 3, 12, 12) and data.val_x.shape == (20, 3, 12, 12)
    assert data.num_classes == 3 and len(data.test_y) == 30
    assert set(data.train_y.tolist()) == {0, 1, 2}


def test_synthetic_is_the_same_everywhere():
    a, b = load_dataset("synthetic"), load_dataset("synthetic")
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)


@pytest.mark.parametrize(
    "name,match",
    [
        ("mnist-ish", "unknown dataset"),
        ("imagefolder:", "needs a path"),
        ("cifar10:extra", "unknown dataset"),
        ("synthetic:colour=1", "unknown option"),
        ("synthetic:size=4", "size"),
        ("", "empty"),
    ],
)
def test_bad_dataset_names(name, match):
    with pytest.raises(UserError, match=match):
        load_dataset(name)
