"""One training step, eager or captured as a CUDA graph, and how an out-of-memory error looks.

The proxy networks are launch-bound on a GPU: an eager step of B0 at 32 px spends most of its
time launching kernels. Capturing forward, backward and the optimiser update once as a CUDA graph
and replaying it removes that overhead (the issue's reference: 0.76 s per 60k-image epoch on an
H200 against 3.2-5.0 s eager).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from nas.training.optim import ProxyOptimizer

#: Eager warm-up steps before CUDA-graph capture (cuDNN autotuning and lazy allocations happen
#: there; the PyTorch docs ask for a few iterations on a side stream).
GRAPH_WARMUP_STEPS = 3


class Step:
    """One eager training step: forward (optionally bf16 autocast), backward, optimiser update."""

    def __init__(
        self, model: nn.Module, opt: ProxyOptimizer, criterion: nn.Module, amp: bool, device_type: str
    ) -> None:
        self.model = model
        self.opt = opt
        self.criterion = criterion
        self.amp = amp
        self.device_type = device_type

    def body(self, x: Tensor, y: Tensor) -> Tensor:
        with torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.amp, cache_enabled=False):
            logits = self.model(x)
            loss = self.criterion(logits.float(), y)
        loss.backward()
        self.opt.step()
        return loss.detach()

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        self.opt.zero_grad()
        return self.body(x, y)


#: ``torch.cuda`` as the graph step sees it (a module attribute so a CPU test can inject failures).
_cuda: Any = torch.cuda

#: One side stream per CUDA device, for warm-up and capture. ``torch.cuda.graph``'s own default
#: capture stream is created once, on whichever device was current then, so a later capture on
#: another device would run on a stream of the wrong device.
_SIDE_STREAMS: dict[int, Any] = {}


def side_stream(device: torch.device) -> Any:
    """The warm-up/capture stream of ``device`` (created on first use, then reused)."""
    index = device.index if device.index is not None else _cuda.current_device()
    stream = _SIDE_STREAMS.get(index)
    if stream is None:
        stream = _SIDE_STREAMS[index] = _cuda.Stream(device=index)
    return stream


def root_cause(exc: BaseException) -> BaseException:
    """The first exception of a chain raised while handling one another.

    When the captured step fails, ``torch.cuda.graph.__exit__`` still calls ``capture_end``, which
    then fails too (the capture was invalidated) and replaces the step's own error.
    """
    seen = {id(exc)}
    while exc.__context__ is not None and id(exc.__context__) not in seen:
        exc = exc.__context__
        seen.add(id(exc))
    return exc


class GraphStep(Step):
    """The same step captured once as a CUDA graph and replayed (torch.cuda.graph, whole network).

    The first ``GRAPH_WARMUP_STEPS`` calls run eagerly on the device's side stream (real training
    steps), the next one captures and replays. Batches are copied into static input tensors; the
    loss comes back in a static tensor that the next replay overwrites. If capture fails for any
    reason but memory, the current stream is restored, training continues eagerly and
    ``fallback`` names the first error (not the capture machinery's follow-up one). Call
    :meth:`release` when the candidate is done: it frees the graph and its private memory pool.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.graph: Any = None
        self.calls = 0
        self.fallback = ""
        self.static_x: Tensor | None = None
        self.static_y: Tensor | None = None
        self.static_loss: Tensor | None = None

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        if self.fallback:
            return super().__call__(x, y)
        if self.graph is None:
            if self.calls < GRAPH_WARMUP_STEPS:
                self.calls += 1
                return self._warmup(x, y)
            try:
                self._capture(x, y)
            except Exception as exc:
                return self._capture_failed(exc, x, y)
        static_x, static_y, static_loss = self.static_x, self.static_y, self.static_loss
        assert static_x is not None and static_y is not None and static_loss is not None
        assert self.graph is not None
        static_x.copy_(x)
        static_y.copy_(y)
        self.graph.replay()
        return static_loss

    def _capture_failed(self, exc: Exception, x: Tensor, y: Tensor) -> Tensor:
        """Out of memory propagates (the trainer reports ``oom``); anything else falls back to eager."""
        cause = root_cause(exc)
        self.release()
        if is_oom(cause):
            raise cause from None
        first = (str(cause).strip().splitlines() or [""])[0][:300]
        self.fallback = f"CUDA graph capture failed ({type(cause).__name__}: {first}); trained eagerly"
        _cuda.synchronize(x.device)
        return super().__call__(x, y)

    def _warmup(self, x: Tensor, y: Tensor) -> Tensor:
        side = side_stream(x.device)
        outer = _cuda.current_stream(x.device)
        side.wait_stream(outer)
        with _cuda.stream(side):
            loss = super().__call__(x, y)
        outer.wait_stream(side)
        return loss

    def _capture(self, x: Tensor, y: Tensor) -> None:
        _cuda.synchronize(x.device)
        self.static_x = torch.empty_like(x, memory_format=torch.preserve_format).copy_(x)
        self.static_y = y.clone()
        self.opt.zero_grad()
        graph = _cuda.CUDAGraph()
        self.graph = graph  # so that release() frees a half-captured graph too
        outer = _cuda.current_stream(x.device)
        try:
            # thread_local: a DataLoader's pin-memory thread (streamed trees) may touch CUDA meanwhile.
            with _cuda.graph(graph, stream=side_stream(x.device), capture_error_mode="thread_local"):
                self.static_loss = self.body(self.static_x, self.static_y)
        finally:
            # A failing capture_end skips the graph context's stream exit: put the stream back.
            _cuda.set_stream(outer)

    def release(self) -> None:
        """Free the captured graph and its private memory pool now, not at the next capture or OOM.

        The pool's blocks go back to the caching allocator; the trainer then empties the cache
        once per candidate (:func:`nas.training.trainer.evaluate`).
        """
        graph, self.graph = self.graph, None
        self.static_x = self.static_y = self.static_loss = None
        if graph is not None:
            try:
                graph.reset()
            except Exception:  # a graph whose capture failed may refuse; dropping it is enough
                pass


def is_oom(exc: BaseException) -> bool:
    """CUDA OOM (``torch.OutOfMemoryError``) or a failed host allocation (a RuntimeError)."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    if isinstance(exc, RuntimeError):
        text = str(exc).lower()
        return "can't allocate memory" in text or "out of memory" in text or "cannot allocate memory" in text
    return False
