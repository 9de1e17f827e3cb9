"""The trial record: the study and trial user-attribute keys every writer and reader shares.

Optuna is both the search engine and the database: every trial stores what it was and what it
cost as user attributes, so any later reader (``effsearch report``, optuna-dashboard, a plain
``optuna.load_study``) sees everything (``docs/baseline_search.md``). The writers are the
baseline objective (:mod:`nas.search.objective`), the shared worker loop
(:mod:`nas.studies.workers`) and the coefficient study (:mod:`scaling_search.coefficient_judge`);
the readers are :mod:`results`. They all spell a key through this module, so a reader never has to
guess between variants of one name.

``reason`` is the one free-text key with meaning: its first words say what happened to a trial
that Optuna's states do not (rejected for its MACs, served as a duplicate, not run, interrupted)
or why a training run failed (NaN loss, out of memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from optuna.trial import FrozenTrial, TrialState

#: Written into every study this tool creates (study attribute :data:`CREATED_BY_KEY`).
CREATED_BY: Final = "effsearch 0.1.0"

# -- study attributes ------------------------------------------------------------------------------
KIND_KEY: Final = "kind"
SETTINGS_KEY: Final = "settings"
CREATED_BY_KEY: Final = "created_by"
#: What data the study's trials were judged on (:mod:`nas.data.fingerprint`), compared on resume.
DATA_FINGERPRINT_KEY: Final = "data_fingerprint"
KIND_BASELINE: Final = "baseline"
KIND_COEFFICIENTS: Final = "coefficients"
#: The scaling sweeps of EfficientNet Figures 3 and 4 (``effsearch sweep``).
KIND_SWEEP: Final = "sweep"

# -- keys inside the study's ``settings`` ----------------------------------------------------------
#: ``oneshot`` when candidates were scored on a supernet (absent: stand-alone training).
STRATEGY: Final = "strategy"
#: The one-shot supernet's store settings (:mod:`nas.oneshot.store`) a oneshot study was scored on.
SUPERNET: Final = "supernet"
#: Study attribute: per-epoch metrics of the supernet a oneshot study was scored on.
SUPERNET_HISTORY_KEY: Final = "supernet_history"
#: The arch code of the network a baseline search is compared against (``--compare``), or
#: ``"none"``; absent in studies from before ``--compare`` (their reference was the space's).
COMPARE: Final = "compare"
#: How the user named it (``b0``, ``mobilenetv2``, a file's stem): shown, not compared on resume.
COMPARE_NAME: Final = "compare_name"
#: The baseline search's FLOPs target T in multiply-adds.
TARGET_FLOPS: Final = "target_flops"
#: The coefficient search's alpha * beta^2 * gamma^2 target and its tolerance (EfficientNet Eq. 3).
CONSTRAINT_TARGET: Final = "constraint_target"
TOLERANCE: Final = "tolerance"

# -- trial attributes ------------------------------------------------------------------------------
ROLE: Final = "role"
ARCH_CODE: Final = "arch_code"
MACS: Final = "macs"
PARAMS: Final = "params"
ACCURACY: Final = "accuracy"
REWARD: Final = "reward"
REASON: Final = "reason"
DETAIL: Final = "detail"
EPOCHS_RUN: Final = "epochs_run"
WALL_S: Final = "wall_s"
IMAGES_PER_S: Final = "images_per_s"
DEVICE: Final = "device"
CURVE: Final = "curve"
WORKER: Final = "worker"
#: How a trial's accuracy was measured: :data:`FIDELITY_SUPERNET` (inherited weights of the
#: one-shot supernet, BN recalibrated) or :data:`FIDELITY_STANDALONE` (trained from scratch on the
#: proxy). A trial without the key is stand-alone (studies from before one-shot search).
FIDELITY: Final = "fidelity"
FIDELITY_SUPERNET: Final = "supernet"
FIDELITY_STANDALONE: Final = "standalone"
FIDELITIES: Final = (FIDELITY_SUPERNET, FIDELITY_STANDALONE)
#: The training seed of a promoted (stand-alone, repeated) trial.
SEED: Final = "seed"
#: The number of the supernet-scored trial a promoted run retrains.
PROMOTED_FROM: Final = "promoted_from"
#: Coefficient trials (EfficientNet Eq. 3): the grid point and the MACs it realises.
ALPHA: Final = "alpha"
BETA: Final = "beta"
GAMMA: Final = "gamma"
PHI: Final = "phi"
CONSTRAINT: Final = "constraint"
MACS_RATIO: Final = "macs_ratio"
COEFFICIENT_KEYS: Final = (ALPHA, BETA, GAMMA, PHI, CONSTRAINT, MACS_RATIO)

# -- roles -----------------------------------------------------------------------------------------
#: The comparison network (``--compare``, B0 by default): trained under the same proxy for the
#: reports, never sampled and never a candidate (the samplers do not learn from it).
ROLE_REFERENCE: Final = "reference"
ROLE_CANDIDATE: Final = "candidate"
#: A supernet-scored candidate retrained stand-alone over several seeds (``--promote``).
ROLE_PROMOTED: Final = "promoted"
ROLE_COEFFICIENTS: Final = "coefficients"
ROLE_SWEEP: Final = "sweep"

# -- reasons ---------------------------------------------------------------------------------------
REJECTED: Final = "rejected"
DUPLICATE: Final = "duplicate"
INTERRUPTED: Final = "interrupted"
NOT_RUN: Final = "not run"
NAN_LOSS: Final = "nan loss"
OUT_OF_MEMORY: Final = "out of memory"
#: Training failures that would repeat on a rerun: such a trial counts as trained and is not retried.
FINAL_FAILURES: Final = (NAN_LOSS, OUT_OF_MEMORY)
_STATUS_REASONS: Final = {"nan": NAN_LOSS, "oom": OUT_OF_MEMORY}


def failure_reason(status: str, detail: str | None = None) -> str:
    """The ``reason`` of a failed training run from the trainer's status (``nan``, ``oom``, ...)."""
    return _STATUS_REASONS.get(status, str(detail or status))


def is_free_reason(reason: object) -> bool:
    """Whether ``reason`` marks a trial that cost no training (rejected or duplicate)."""
    text = str(reason or "")
    return text.startswith(REJECTED) or text.startswith(DUPLICATE)


def is_free(trial: FrozenTrial) -> bool:
    """Rejected or duplicate: a finished trial that cost no training."""
    return is_free_reason(trial.user_attrs.get(REASON))


def is_trained(trial: FrozenTrial) -> bool:
    """A finished trial that spent training time (it counts toward a ``--n-trials`` budget).

    A FAIL without a final reason is a trial whose worker died or was interrupted (it is retried),
    not a training run.
    """
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return not is_free(trial)
    if trial.state == TrialState.FAIL:
        return trial.user_attrs.get(REASON, "") in FINAL_FAILURES
    return False


def is_comparison(trial: FrozenTrial) -> bool:
    """The comparison network's trial (``role: reference``): judged, never a candidate."""
    return trial.user_attrs.get(ROLE) == ROLE_REFERENCE


def is_rejected(trial: FrozenTrial) -> bool:
    """A candidate rejected untrained for its MACs. Stored as PRUNED with the ``macs_band``
    constraint (COMPLETE with objective 0 in studies from before), so optuna-dashboard's history
    and parameter importances, which read COMPLETE trials, never see a made-up zero."""
    return str(trial.user_attrs.get(REASON) or "").startswith(REJECTED)


def counts_toward_budget(trial: FrozenTrial) -> bool:
    """A trained *candidate* (``--n-trials`` counts these): the comparison network and promoted
    stand-alone runs cost training too, but they are not the search's proposals."""
    return is_trained(trial) and trial.user_attrs.get(ROLE) not in (ROLE_REFERENCE, ROLE_PROMOTED)


def trial_status(state: str, reason: str) -> str:
    """One word for what happened to a trial: the Optuna state refined by the stored reason.

    ``rejected`` (never trained: its cost was out of bounds) and ``duplicate`` (an architecture
    already evaluated) are not Optuna states; the search records them in ``reason``.
    """
    reason = (reason or "").strip().lower()
    if reason.startswith(REJECTED):
        return REJECTED
    if reason.startswith(DUPLICATE):
        return DUPLICATE
    return {"fail": "failed"}.get(state, state)


def fidelity_of(trial: FrozenTrial) -> str:
    """How ``trial``'s accuracy was measured (stand-alone when not recorded)."""
    return str(trial.user_attrs.get(FIDELITY) or FIDELITY_STANDALONE)


def search_fidelity(study_attrs: Mapping[str, Any]) -> str:
    """How a baseline study's search judged candidates, from its user attrs: ``supernet`` for a
    oneshot study (whose promoted trials are stand-alone and ranked apart), else stand-alone."""
    settings = study_attrs.get(SETTINGS_KEY) or {}
    return FIDELITY_SUPERNET if settings.get(STRATEGY) == "oneshot" else FIDELITY_STANDALONE
