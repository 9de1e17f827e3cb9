"""A real one-shot study for the results tests: ``effsearch baseline --strategy oneshot`` run once
per session on the tiny space and proxy of the search tests (about 10 s on one core).

The study holds supernet-scored candidates (``fidelity: supernet``), promoted candidates and B0
trained stand-alone over two seeds (``fidelity: standalone``, ``role: promoted``/``reference``)
and the supernet's per-epoch history (study attribute ``supernet_history``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ONESHOT_STUDY = "tiny-oneshot"


def build_oneshot_study(folder: Path, name: str = ONESHOT_STUDY) -> str:
    """Run the real oneshot search in ``folder``; returns the storage URL holding study ``name``."""
    import torch

    import cli
    from tests.nas.search.test_driver import DATASET, TINY_PROXY, TINY_SPACE

    (folder / "space.yaml").write_text(TINY_SPACE)
    (folder / "proxy.yaml").write_text(TINY_PROXY)
    storage = f"sqlite:///{folder}/oneshot.db"
    args = ["baseline", "--strategy", "oneshot", "--space", "space.yaml", "--proxy", "proxy.yaml"]
    args += ["--dataset", DATASET, "--search-resolution", "32", "--device", "cpu", "--storage", storage]
    args += ["--n-trials", "6", "--supernet-epochs", "2", "--promote", "2", "--repeats", "2"]
    args += ["--target-flops", "400K", "--study", name, "--quiet"]
    before, threads, cwd = Path.cwd(), torch.get_num_threads(), os.getcwd()
    torch.set_num_threads(1)
    os.chdir(folder)
    try:
        assert cli.main(args) == 0
    finally:
        os.chdir(cwd if Path(cwd).exists() else before)
        torch.set_num_threads(threads)
    return storage


@pytest.fixture(scope="session")
def oneshot_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite storage URL holding the one-shot study :data:`ONESHOT_STUDY`."""
    return build_oneshot_study(tmp_path_factory.mktemp("oneshot"))
