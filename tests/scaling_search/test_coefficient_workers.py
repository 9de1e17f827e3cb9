"""Three ``effsearch coefficients`` workers on one PostgreSQL study: every candidate, the reference
and each single-dimension model is trained exactly once, and every worker writes the same winner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from nas.training.proxy import proxy_to_yaml
from scaling_search.coefficients_file import load_coefficients
from search_spaces.arch_yaml import arch_to_yaml
from tests.scaling_search.test_coefficient_search import DATASET, PROXY, TINY

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_train_each_candidate_once(tmp_path, postgres_url):
    (tmp_path / "tiny.yaml").write_text(arch_to_yaml(TINY))
    (tmp_path / "proxy.yaml").write_text(proxy_to_yaml(PROXY))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "EFFSEARCH_POLL_SECONDS": "0.2"}
    processes = []
    for i in range(3):
        argv = [
            sys.executable,
            "-m",
            "cli",
            "coefficients",
            "--base",
            str(tmp_path / "tiny.yaml"),
            "--proxy",
            str(tmp_path / "proxy.yaml"),
            "--dataset",
            DATASET,
            "--device",
            "cpu",
            "--max-candidates",
            "4",
            "--compare-single",
            "--storage",
            postgres_url,
            "--study",
            "coef",
            "--out",
            str(tmp_path / f"out{i}"),
        ]
        log = (tmp_path / f"w{i}.log").open("w")
        processes.append(subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
    codes = [p.wait(timeout=300) for p in processes]
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(3)]
    assert codes == [0, 0, 0], "\n".join(log[-2000:] for log in logs)

    trials = optuna.load_study(study_name="coef", storage=postgres_url).trials
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    summary = [
        (
            t.number,
            t.state.name,
            t.params,
            t.user_attrs.get("role"),
            t.user_attrs.get("reason"),
            t.system_attrs,
        )
        for t in trials
    ]
    per_candidate = Counter(t.params["candidate"] for t in complete if t.user_attrs["role"] == "coefficients")
    assert per_candidate == Counter({0: 1, 1: 1, 2: 1, 3: 1}), summary
    roles = Counter(t.user_attrs["role"] for t in complete)
    assert roles["reference"] == 1, summary
    assert roles["single-width"] == roles["single-depth"] == roles["single-resolution"] == 1, summary
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)], summary
    assert len({t.user_attrs.get("worker") for t in complete}) >= 2
    files = [load_coefficients(tmp_path / f"out{i}" / "coef" / "coefficients.yaml") for i in range(3)]
    winners = {(c.alpha, c.beta, c.gamma) for c in files}
    assert len(winners) == 1
    assert all(postgres_url.split(":")[2].split("@")[0] not in log for log in logs)  # password masked
