"""Heartbeats of running trials: how often a worker proves it is alive, and when it is presumed dead.

Workers die (preemption, Ctrl-C, OOM kill). With a heartbeat every :data:`HEARTBEAT_INTERVAL`
seconds, a running trial whose heartbeat is older than :data:`GRACE_PERIOD` is marked FAIL by the
next worker and queued once more with the same parameters by Optuna 5's
``RetryHeartbeatStaleTrialCallback`` (at most :data:`MAX_RETRY` times), so an interrupted search
loses nothing but the interrupted trial's partial training (``docs/cluster.md``). The storage that
installs them is :func:`nas.studies.storage.open_storage`; the loop that polls is
:mod:`nas.studies.workers`. These are the only copies of the numbers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from search_spaces.errors import UserError

ENV_INTERVAL = "EFFSEARCH_HEARTBEAT_INTERVAL"
ENV_GRACE = "EFFSEARCH_GRACE_PERIOD"
ENV_POLL = "EFFSEARCH_POLL_SECONDS"
#: Seconds between heartbeats of a running trial (a thread writes one row per beat).
HEARTBEAT_INTERVAL = 30
#: A running trial silent this long is stale: failed and retried by the next worker. Four missed
#: beats: a training step that holds the GIL for a few seconds never looks like a dead worker.
GRACE_PERIOD = 120
#: How often one trial may be retried after going stale.
MAX_RETRY = 2


def _positive_int(environ: Mapping[str, str], key: str, default: int) -> int:
    text = environ.get(key, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{key} must be a whole number of seconds, got {text!r}") from None
    if value < 1:
        raise UserError(f"{key} must be at least 1 second, got {value}")
    return value


def heartbeat_settings(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(heartbeat interval, grace period) in seconds, from ``EFFSEARCH_HEARTBEAT_INTERVAL`` and
    ``EFFSEARCH_GRACE_PERIOD`` (defaults 30 and 120). Short values make tests and small clusters
    recover dead workers faster; the grace period must exceed the interval."""
    env = os.environ if environ is None else environ
    interval = _positive_int(env, ENV_INTERVAL, HEARTBEAT_INTERVAL)
    grace = _positive_int(env, ENV_GRACE, max(GRACE_PERIOD, 2 * interval))
    if grace <= interval:
        raise UserError(
            f"{ENV_GRACE} ({grace}s) must be longer than {ENV_INTERVAL} ({interval}s), "
            "or every running trial looks dead"
        )
    return interval, grace


def poll_seconds(storage: Any = None) -> float:
    """How often an idle worker looks at the study again (``EFFSEARCH_POLL_SECONDS``, default
    min(2 s, heartbeat interval))."""
    text = os.environ.get(ENV_POLL, "").strip()
    if text:
        try:
            value = float(text)
        except ValueError:
            raise UserError(f"{ENV_POLL} must be a number of seconds, got {text!r}") from None
        if not 0 < value <= 3600:
            raise UserError(f"{ENV_POLL} must be within (0, 3600], got {value}")
        return value
    interval = getattr(storage, "heartbeat_interval", None)
    return float(min(2, interval)) if interval else 2.0


__all__ = [
    "ENV_GRACE",
    "ENV_INTERVAL",
    "ENV_POLL",
    "GRACE_PERIOD",
    "HEARTBEAT_INTERVAL",
    "MAX_RETRY",
    "heartbeat_settings",
    "poll_seconds",
]
