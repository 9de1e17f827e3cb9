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


class GraphStep(Step):
    """The same step captured once as a CUDA graph and replayed (torch.cuda.graph, whole network).

    The first ``GRAPH_WARMUP_STEPS`` calls run eagerly on a side stream (real training steps),
    the next one captures and replays. Batches are copied into static input tensors; the loss
    comes back in a static tensor that the next replay overwrites. If capture fails for any
    reason but memory, training continues eagerly and ``fallback`` says why.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.graph: torch.cuda.CUDAGraph | None = None
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
                side = torch.cuda.Stream()
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    loss = super().__call__(x, y)
                torch.cuda.current_stream().wait_stream(side)
                return loss
            try:
                self._capture(x, y)
            except Exception as exc:
                if is_oom(exc):
                    raise
                self.graph = None
                self.fallback = f"CUDA graph capture failed ({type(exc).__name__}: {exc}); trained eagerly"
                torch.cuda.synchronize()
                return super().__call__(x, y)
        assert self.static_x is not None and self.static_y is not None and self.graph is not None
        self.static_x.copy_(x)
        self.static_y.copy_(y)
        self.graph.replay()
        return self.static_loss  # type: ignore[return-value]

    def _capture(self, x: Tensor, y: Tensor) -> None:
        torch.cuda.synchronize()
        self.static_x = torch.empty_like(x, memory_format=torch.preserve_format).copy_(x)
        self.static_y = y.clone()
        self.opt.zero_grad()
        graph = torch.cuda.CUDAGraph()
        # thread_local: a DataLoader's pin-memory thread (streamed trees) may touch CUDA meanwhile.
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            self.static_loss = self.body(self.static_x, self.static_y)
        self.graph = graph


def is_oom(exc: BaseException) -> bool:
    """CUDA OOM (``torch.OutOfMemoryError``) or a failed host allocation (a RuntimeError)."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    if isinstance(exc, RuntimeError):
        text = str(exc).lower()
        return "can't allocate memory" in text or "out of memory" in text or "cannot allocate memory" in text
    return False
