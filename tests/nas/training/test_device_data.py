"""Device-resident copies of a dataset: cached per resolution, evicted with their data."""

from __future__ import annotations

import pytest
import torch

from nas.data.datasets import load_dataset
from tests.nas.training.trainer_helpers import tiny_arch, tiny_proxy  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def synthetic():
    return load_dataset("synthetic")


def test_device_copies_are_cached_per_resolution(synthetic):
    from nas.training.device_data import clear_cache, prepare

    clear_cache()
    a16 = prepare(synthetic, tiny_proxy(), torch.device("cpu"))
    a20 = prepare(synthetic, tiny_proxy(resolution=20), torch.device("cpu"))
    assert a16.train_x.shape[-1] == 16 and a20.train_x.shape[-1] == 20
    assert prepare(synthetic, tiny_proxy(), torch.device("cpu")) is a16
    other = load_dataset("synthetic:train=100,test=10")
    assert prepare(other, tiny_proxy(), torch.device("cpu")) is not a16
    assert prepare(synthetic, tiny_proxy(), torch.device("cpu")) is not a16  # evicted with the other data
    clear_cache()
