"""Live progress of a run that trains a list of candidates: the coefficient grid and the sweeps.

One rich bar over the epochs of the training in progress and one printed line per finished
trial. It is the ``on_event`` hook of :func:`scaling_search.coefficient_search.run_coefficient_search`
and :func:`scaling_search.sweep.run_sweep`, which send ``start`` (the plan), ``train`` (one
training run begins), ``epoch`` and ``trial`` (a candidate is judged); any object with ``label``,
``train_resolution``, ``macs`` and ``macs_ratio`` is a candidate here.
"""

from __future__ import annotations

from typing import Any


def size(value: float) -> str:
    """``385814752`` -> ``385.8M``: four significant figures and a unit (k, M, G)."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.4g}{unit}"
    return f"{value:g}"


class Progress:
    """The ``on_event`` hook: a transient bar per training, a line per judged candidate."""

    def __init__(self, console: Any, epochs: int, repeats: int, what: str = "candidate(s)") -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.epochs = epochs
        self.repeats = repeats
        self.what = what
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("epoch {task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: Any = None
        self.label = ""

    def __enter__(self) -> Progress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "start":
            extra = " + the base (reference)" if payload.get("reference") is not None else ""
            self.console.print(
                f"{len(payload['candidates'])} {self.what}{extra}; study {payload['study'].study_name}"
            )
        elif kind == "train":
            self._train(payload)
        elif kind == "epoch" and self.task is not None:
            self.progress.update(
                self.task,
                completed=int(payload["epoch"]),
                description=f"{self.label} acc {payload['accuracy']:.3f}",
            )
        elif kind == "trial":
            self._trial(payload)

    def _train(self, payload: dict[str, Any]) -> None:
        candidate = payload["candidate"]
        label = f"{candidate.label} @{candidate.train_resolution}px"
        if self.repeats > 1:
            label += f" repeat {payload['repeat'] + 1}/{self.repeats}"
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.label = label
        self.task = self.progress.add_task(label, total=self.epochs)

    def _trial(self, payload: dict[str, Any]) -> None:
        candidate, judged = payload["candidate"], payload["judged"]
        if judged.ok:
            spread = f" ± {judged.accuracy_std:.3f}" if self.repeats > 1 else ""
            result = f"accuracy {judged.accuracy:.4f}{spread}"
        else:
            result = f"failed: {judged.reason}"
        self.console.print(
            f"trial {payload['number']}: {candidate.label}: {result}, MACs {size(candidate.macs)} "
            f"(x{candidate.macs_ratio:.2f}), {judged.wall_s:.1f} s",
            highlight=False,
        )


__all__ = ["Progress", "size"]
