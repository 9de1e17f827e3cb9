"""``trials.jsonl``: one JSON line per finished trial, appended while a search runs.

An Optuna callback (``study.optimize(callbacks=[TrialLog(path)])``): after every trial the line
is appended and flushed, so ``tail -f runs/<study>/trials.jsonl`` follows a run and any tool that
reads JSON lines (pandas ``read_json(lines=True)``, jq) reads it without Optuna. Each line holds
the trial's number, state, values, parameters, start/end times and every user attribute of the
trial record (:mod:`nas.studies.records`). The study in the storage stays the source of truth;
the file is a log (a resumed run appends to it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def trial_line(study_name: str, trial: Any) -> str:
    """One trial as a JSON line (no trailing newline)."""
    start, end = trial.datetime_start, trial.datetime_complete
    record = {
        "study": study_name,
        "number": trial.number,
        "state": trial.state.name.lower(),
        "values": _plain(trial.values),
        "params": _plain(trial.params),
        "datetime_start": start.isoformat() if start else None,
        "datetime_complete": end.isoformat() if end else None,
        "user_attrs": _plain(trial.user_attrs),
    }
    return json.dumps(record, sort_keys=False)


class TrialLog:
    """Optuna callback appending :func:`trial_line` of every finished trial to ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __call__(self, study: Any, trial: Any) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(trial_line(study.study_name, trial) + "\n")
                handle.flush()
        except OSError:  # a log must never stop a search; the study holds the trial anyway
            pass


def read_trial_log(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``trials.jsonl`` (skipping a last line cut short by a crash)."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


__all__ = ["TrialLog", "read_trial_log", "trial_line"]
