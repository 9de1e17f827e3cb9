"""--device parsing."""

from __future__ import annotations

import pytest
import torch

from nas.training.device import resolve_device
from search_spaces.errors import UserError


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(" CPU ").type == "cpu"


@pytest.mark.parametrize("name", ["tpu", "gpu0", "cuda:x", "cuda:-1", "mps"])
def test_unknown_names(name):
    with pytest.raises(UserError):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_user_error():
    with pytest.raises(UserError, match="not available"):
        resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_index_out_of_range():
    with pytest.raises(UserError, match="CUDA device"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")
