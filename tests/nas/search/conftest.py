"""Fixtures of the search tests: one intra-op thread, and the tiny space, proxy and CLI arguments."""

from __future__ import annotations

import pytest

from tests.nas.search.test_driver import DATASET, TINY_PROXY, TINY_SPACE, tiny_reference


@pytest.fixture(autouse=True)
def _on_one_thread(one_thread):
    """Every search test trains on one intra-op thread (``tests/conftest.py``)."""


@pytest.fixture
def tiny(tmp_path):
    """The tiny space and proxy in ``tmp_path``, a storage there and the ``baseline`` CLI arguments."""
    return tiny_setup(tmp_path)


def tiny_setup(tmp_path):
    """:func:`tiny` as a plain function (for tests outside this folder)."""
    space = tmp_path / "tiny_space.yaml"
    space.write_text(TINY_SPACE)
    proxy = tmp_path / "tiny_proxy.yaml"
    proxy.write_text(TINY_PROXY)
    storage = f"sqlite:///{tmp_path}/study.db"
    args = [
        "baseline",
        "--target-flops",
        "400K",
        "--space",
        str(space),
        "--proxy",
        str(proxy),
        "--dataset",
        DATASET,
        "--search-resolution",
        "32",
        "--device",
        "cpu",
        "--storage",
        storage,
        "--study",
        "tiny",
        "--out",
        str(tmp_path / "runs"),
        "--compare",
        tiny_reference().code,
    ]
    return {"space": space, "proxy": proxy, "storage": storage, "args": args, "dir": tmp_path}
