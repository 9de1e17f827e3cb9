"""The baseline search keeps its winner's weights: ``<out>/<study>/winner.pt``.

A search trains every candidate and then throws the networks away; the winner would have to be
trained again to be used. So the stand-alone strategy's evaluator (:class:`WinnerKeeper`) saves the
trained network whenever a candidate's reward beats the best the study holds so far (the
comparison network never: it is not a candidate), in the format of ``effsearch evaluate --save``
(:mod:`nas.training.checkpoint`: the weights with the architecture *as trained* by the proxy, the
classes, channels, input normalisation, and provenance notes with the candidate's ``arch_code``).
Each write is atomic (:func:`nas.files.atomic_target`), so the file always holds one whole network.
The one-shot strategy keeps the promoted winner's weights from its first seed (``proxy.seed``).

:func:`winner_weights` checks the file against the final winner before ``baseline.yaml`` names it: a
study resumed from before this file existed, or whose best came from another worker, may leave a
file of an earlier best, which is then not named (and the closing output says why).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

#: The winner's weights beside ``baseline.yaml``.
WINNER_FILE = "winner.pt"


def save_weights(
    path: Path, arch: Any, kept: dict[str, Any], prep: Any, notes: dict[str, Any], inputs: Any
) -> Path:
    """Write the network ``kept`` holds (``evaluate(..., keep=kept)``) to ``path``, atomically."""
    from nas.files import atomic_target
    from nas.training.checkpoint import save_checkpoint

    stats, proxy, data = kept["data"], prep.proxy, prep.data
    with atomic_target(path, inputs=inputs, flag="--out") as tmp:
        save_checkpoint(
            tmp, kept["model"], proxy.train_arch(arch), data.num_classes, data.in_channels,
            resolution=proxy.resolution, mean=stats.mean, std=1.0 / stats.inv_std, notes=notes,
        )  # fmt: skip
    return path


class WinnerKeeper:
    """Stand-alone proxy training that saves each candidate beating the study's best so far."""

    def __init__(self, prep: Any, study: Any, path: Path | None, inputs: Any = None) -> None:
        self.prep, self.study, self.path, self.inputs = prep, study, path, inputs
        compare = prep.config.compare
        self.compare_code = compare.code if compare is not None else None

    def _best_reward(self) -> float:
        from nas.search.driver import ranked
        from nas.studies.records import REWARD

        ranking = ranked(self.study)
        return float(ranking[0].user_attrs[REWARD]) if ranking else -math.inf

    def __call__(self, arch: Any, on_epoch: Any) -> Any:
        from nas.training.trainer import evaluate
        from search_spaces.codes import arch_code
        from search_spaces.cost import count_cost

        prep, config = self.prep, self.prep.config
        kept: dict[str, Any] | None = {} if self.path is not None else None
        result = evaluate(arch, prep.data, prep.proxy, device=str(prep.device), on_epoch=on_epoch, keep=kept)
        code = arch_code(arch)
        if self.path is None or not kept or result.status != "ok" or result.accuracy is None:
            return result
        if code == self.compare_code:  # the comparison network is not a candidate
            return result
        macs = count_cost(arch, config.num_classes, config.in_channels).macs
        reward = config.reward(float(result.accuracy), macs)
        if reward is not None and reward > self._best_reward():
            notes = {"study": config.study_name, "arch_code": code, "accuracy": float(result.accuracy)}
            notes.update(
                reward=float(reward), dataset=config.dataset, proxy=prep.proxy.name, seed=prep.proxy.seed
            )
            save_weights(self.path, arch, kept, prep, notes, self.inputs)
        return result


def winner_weights(best_code: str, path: Path) -> Path | None:
    """``path`` when it holds the weights of the architecture ``best_code``, else None."""
    from nas.training.checkpoint import read_weights
    from search_spaces.errors import UserError

    if not path.is_file():
        return None
    try:
        notes = read_weights(path).notes
    except UserError:
        return None
    return path if notes.get("arch_code") == best_code else None


__all__ = ["WINNER_FILE", "WinnerKeeper", "save_weights", "winner_weights"]
