"""Streamed ImageFolder trees: one DataLoader with persistent workers per candidate, seeded order."""

from __future__ import annotations

import pytest
import torch

from nas.data.datasets import load_dataset
from nas.training import stream as stream_module
from nas.training.stream import StreamSource
from nas.training.trainer import evaluate
from tests.nas.data.test_imagefolder import write_tree
from tests.nas.training.trainer_helpers import tiny_arch, tiny_proxy  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    write_tree(root, per_class=12)
    return root


def _source(tree, workers: int) -> StreamSource:
    data = load_dataset(f"imagefolder:{tree}", val_size=6, image_size=16, stream=True, workers=workers)
    return StreamSource(data, tiny_proxy(val_size=6), torch.device("cpu"))


def _labels(source: StreamSource, epoch: int) -> list[int]:
    return [int(v) for _, y in source.train_batches(epoch, 4) for v in y]


def test_workers_persist_across_epochs(tree):
    source = _source(tree, workers=1)
    try:
        first = _labels(source, 1)
        loader, iterator = source.loader, source.loader._iterator  # type: ignore[union-attr]
        pids = [w.pid for w in iterator._workers]
        second = _labels(source, 2)
        assert source.loader is loader and loader._iterator is iterator  # type: ignore[union-attr]
        assert [w.pid for w in iterator._workers] == pids and all(w.is_alive() for w in iterator._workers)
        assert len(first) == len(second) == (len(source.items) // 4) * 4
    finally:
        source.close()
    assert source.loader is None and not any(w.is_alive() for w in iterator._workers)


def test_order_depends_on_the_epoch_only(tree):
    zero, one = _source(tree, workers=0), _source(tree, workers=1)
    try:
        epochs_zero = [_labels(zero, e) for e in (1, 2, 1)]
        epochs_one = [_labels(one, e) for e in (1, 2, 1)]
    finally:
        one.close()
    assert epochs_zero == epochs_one  # any number of workers, persistent or not
    assert epochs_zero[0] == epochs_zero[2] and epochs_zero[0] != epochs_zero[1]


def test_trainer_closes_the_stream_when_the_candidate_ends(tree, monkeypatch):
    closed: list[bool] = []  # whether a loader was open at each close()
    original = stream_module.StreamSource.close

    def close(self: StreamSource) -> None:
        closed.append(self.loader is not None)
        original(self)

    monkeypatch.setattr(stream_module.StreamSource, "close", close)
    data = load_dataset(f"imagefolder:{tree}", val_size=6, image_size=16, stream=True, workers=0)
    result = evaluate(tiny_arch(), data, tiny_proxy(epochs=1, batch_size=8, val_size=6), device="cpu")
    assert result.status == "ok" and closed[-1] is True
