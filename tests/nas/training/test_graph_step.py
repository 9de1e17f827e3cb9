"""The CUDA-graph step's failure paths, on CPU: ``torch.cuda`` is replaced by a stand-in that
behaves like PyTorch's ``torch.cuda.graph`` when a capture fails (its exit calls ``capture_end``,
which raises a follow-up error and skips restoring the stream)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import torch
from torch import nn

from nas.training import train_step
from nas.training.optim import ProxyOptimizer
from nas.training.train_step import GRAPH_WARMUP_STEPS, GraphStep, root_cause, side_stream

FOLLOW_UP = "CUDA error: operation failed due to a previous error during capture"


class FakeStream:
    def __init__(self, name: str) -> None:
        self.name = name

    def wait_stream(self, other: FakeStream) -> None:
        pass


class FakeGraph:
    def __init__(self) -> None:
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1


class FakeCuda:
    """Just enough of ``torch.cuda`` for GraphStep; ``capturing`` is True inside a capture."""

    def __init__(self) -> None:
        self.default = FakeStream("default")
        self.current = self.default
        self.capturing = False
        self.graphs: list[FakeGraph] = []
        self.streams_made: list[int] = []

    def current_device(self) -> int:
        return 0

    def Stream(self, device: int) -> FakeStream:  # noqa: N802 - mirrors torch.cuda.Stream
        self.streams_made.append(device)
        return FakeStream(f"side{device}")

    def current_stream(self, device: object = None) -> FakeStream:
        return self.current

    def set_stream(self, stream: FakeStream) -> None:
        self.current = stream

    @contextmanager
    def stream(self, stream: FakeStream):
        before, self.current = self.current, stream
        try:
            yield
        finally:
            self.current = before

    def synchronize(self, device: object = None) -> None:
        pass

    def CUDAGraph(self) -> FakeGraph:  # noqa: N802 - mirrors torch.cuda.CUDAGraph
        self.graphs.append(FakeGraph())
        return self.graphs[-1]

    @contextmanager
    def graph(self, graph: FakeGraph, stream: FakeStream, capture_error_mode: str):
        self.current, self.capturing = stream, True
        try:
            yield
        except BaseException:
            self.capturing = False
            raise RuntimeError(FOLLOW_UP)  # noqa: B904 - what capture_end does; the stream stays
        self.capturing = False
        self.current = self.default


class FailsWhileCapturing(nn.Module):
    def __init__(self, fake: FakeCuda, error: Exception) -> None:
        super().__init__()
        self.fake, self.error = fake, error
        self.linear = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fake.capturing:
            raise self.error
        return self.linear(x)


@pytest.fixture
def fake(monkeypatch):
    cuda = FakeCuda()
    monkeypatch.setattr(train_step, "_cuda", cuda)
    monkeypatch.setattr(train_step, "_SIDE_STREAMS", {})
    return cuda


def _step(fake: FakeCuda, error: Exception) -> GraphStep:
    torch.manual_seed(0)
    model = FailsWhileCapturing(fake, error)
    opt = ProxyOptimizer(model, "sgd", 0.9, True, 0.0)
    opt.lr.fill_(0.1)
    return GraphStep(model, opt, nn.CrossEntropyLoss(), False, "cpu")


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(8, 4), torch.randint(0, 3, (8,))


def test_failed_capture_restores_the_stream_and_names_the_first_error(fake):
    step = _step(fake, RuntimeError("operation not permitted when stream is capturing (the real cause)"))
    x, y = _batch()
    for _ in range(GRAPH_WARMUP_STEPS):
        assert torch.isfinite(step(x, y))
        assert fake.current is fake.default  # warm-up ran on the side stream and came back
    loss = step(x, y)  # capture fails, the step runs eagerly instead
    assert torch.isfinite(loss)
    assert fake.current is fake.default
    assert "the real cause" in step.fallback and FOLLOW_UP not in step.fallback
    assert step.fallback.startswith("CUDA graph capture failed (RuntimeError:")
    assert step.graph is None and step.static_x is None and fake.graphs[0].resets == 1
    assert torch.isfinite(step(x, y))  # and keeps training eagerly
    assert len(fake.graphs) == 1  # no second capture attempt


def test_out_of_memory_during_capture_propagates_as_itself(fake):
    step = _step(fake, torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    x, y = _batch()
    for _ in range(GRAPH_WARMUP_STEPS):
        step(x, y)
    with pytest.raises(torch.OutOfMemoryError, match="Tried to allocate"):
        step(x, y)
    assert fake.current is fake.default
    assert step.fallback == "" and step.graph is None


def test_side_streams_are_per_device_and_reused(fake):
    zero, one = side_stream(torch.device("cuda", 0)), side_stream(torch.device("cuda", 1))
    assert zero is not one and zero.name == "side0" and one.name == "side1"
    assert side_stream(torch.device("cuda", 1)) is one
    assert side_stream(torch.device("cuda")) is zero  # no index: the current device
    assert fake.streams_made == [0, 1]


def test_release_frees_graph_and_static_tensors(fake):
    step = _step(fake, RuntimeError("unused"))
    graph = FakeGraph()
    step.graph, step.static_x, step.static_loss = graph, torch.zeros(1), torch.zeros(())
    step.release()
    assert step.graph is None and step.static_x is None and step.static_loss is None
    assert graph.resets == 1
    step.release()  # twice is harmless
    assert graph.resets == 1


def test_root_cause_walks_the_context_chain():
    try:
        try:
            raise ValueError("first")
        except ValueError:
            raise RuntimeError("second")  # noqa: B904
    except RuntimeError as exc:
        assert str(root_cause(exc)) == "first"
    plain = KeyError("alone")
    assert root_cause(plain) is plain
