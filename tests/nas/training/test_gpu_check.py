"""``benchmarks/gpu_check.sh``: refuses cleanly, stops at the first failing step, lists its steps
with estimates that fit a lent GPU machine, and (slow) runs every step at a tiny size on the CPU."""

from __future__ import annotations

import gzip
import json
import os
import re
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"
QUICK_LIMIT_S, FULL_PART_LIMIT_S = 360, 480


def write_idx(folder: Path, train: int = 1000, test: int = 200) -> Path:
    """Fashion-MNIST's four IDX .gz files at a tiny size (class k: a bright band at row 2k)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(labels):
            images[i, 2 * k + 4 : 2 * k + 7] = 230
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, n, 28, 28) + images.tobytes())
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">BBBBI", 0, 0, 8, 1, n) + labels.tobytes())
    return folder


def run(*args: str, env: dict[str, str] | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )


def fake_python(tmp_path: Path, fail_on: str = "", code: int = 7) -> str:
    """A stand-in interpreter: succeeds at once, or fails with ``code`` when its arguments hold
    ``fail_on``."""
    path = tmp_path / "fake-python"
    path.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *"{fail_on or "@never@"}"*) echo "injected failure" >&2; exit {code};; esac\n'
        'echo "ran: $*"\n'
    )
    path.chmod(0o755)
    return str(path)


def test_missing_data_folder_is_one_line_and_exit_2(tmp_path):
    result = run(str(tmp_path / "out"), "--quick", "--data-dir", str(tmp_path / "nowhere"), timeout=10)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gpu_check: no Fashion-MNIST in ")
    assert "prepare_gpu_data.sh" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # nothing started


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "OUTDIR missing"),
        (["out", "--fast"], "unknown option --fast"),
        (["a", "b"], "one OUTDIR only"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args, message):
    result = run(*args, timeout=10)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr


def test_without_cuda_quick_stops_in_seconds_with_one_line(tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    data = write_idx(tmp_path / "fmnist")
    result = run(str(tmp_path / "out"), "--quick", "--data-dir", str(data), timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "CUDA is not available" in result.stderr and "Traceback" not in result.stderr


def test_full_2_without_the_first_half_refuses_before_training(tmp_path):
    data = write_idx(tmp_path / "fmnist", train=10, test=10)
    env = {"GPU_CHECK_PYTHON": fake_python(tmp_path)}
    result = run(str(tmp_path / "out"), "--full-2", "--data-dir", str(data), env=env, timeout=10)
    assert result.returncode == 2 and "fidelity_a.json from --full-1" in result.stderr
    assert not (tmp_path / "out" / "fidelity_b.log").exists()


def test_help_lists_every_step_with_an_estimate_that_fits():
    result = run("--help", timeout=10)
    assert result.returncode == 0
    steps = re.findall(r"^  (\S+)\s+(\S+)\s+~\s*(\d+)s  (.+)$", result.stdout, re.MULTILINE)
    names = [name for _, name, _, _ in steps]
    assert names[:6] == [
        "gpu_info",
        "cuda_tests",
        "trainer_vs_plain",
        "epoch_stem1",
        "epoch_stem2",
        "search_standalone",
    ]
    assert {"quality_b0_long", "fidelity_a", "fidelity_b", "fidelity"} <= set(names)
    totals: dict[str, int] = {}
    for modes, _, estimate, _ in steps:
        for mode in modes.split(","):
            totals[mode] = totals.get(mode, 0) + int(estimate)
    assert totals["quick"] <= QUICK_LIMIT_S
    assert totals["full-1"] <= FULL_PART_LIMIT_S and totals["full-2"] <= FULL_PART_LIMIT_S
    assert totals["oneshot"] <= FULL_PART_LIMIT_S
    assert f"quick {totals['quick']} s" in result.stdout  # the printed sums are these sums
    assert "stem stride 1" in result.stdout and "stem stride 2" in result.stdout


def test_quick_runs_only_its_steps_and_stops_at_the_first_failure(tmp_path):
    data = write_idx(tmp_path / "fmnist", train=10, test=10)
    out = tmp_path / "out"
    env = {"GPU_CHECK_PYTHON": fake_python(tmp_path, fail_on="--stem-stride 1")}
    result = run(str(out), "--quick", "--data-dir", str(data), env=env, timeout=30)
    assert result.returncode == 7  # the failing step's own status
    summary = (out / "summary.txt").read_text().splitlines()
    assert [line.split()[0] for line in summary] == [
        "gpu_info",
        "cuda_tests",
        "trainer_vs_plain",
        "epoch_stem1",
    ]
    assert summary[-1].startswith("epoch_stem1 FAILED (exit 7)")
    assert "injected failure" in (out / "epoch_stem1.log").read_text()
    assert not (out / "epoch_stem2.log").exists() and not (out / "quality_b0_long.log").exists()
    assert f"--json-out {out}/trainer_vs_plain.json" in (out / "trainer_vs_plain.log").read_text()


def test_full_runs_both_halves_and_no_quick_step(tmp_path):
    data = write_idx(tmp_path / "fmnist", train=10, test=10)
    out = tmp_path / "out"
    env = {"GPU_CHECK_PYTHON": fake_python(tmp_path)}
    result = run(str(out), "--full", "--data-dir", str(data), env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    summary = [line.split()[0] for line in (out / "summary.txt").read_text().splitlines()]
    assert summary == ["quality_b0_long", "fidelity_a", "fidelity_b", "fidelity"]


def test_oneshot_runs_only_the_one_shot_benchmark(tmp_path):
    data = write_idx(tmp_path / "fmnist", train=10, test=10)
    out = tmp_path / "out"
    env = {"GPU_CHECK_PYTHON": fake_python(tmp_path)}
    result = run(str(out), "--oneshot", "--data-dir", str(data), env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in (out / "summary.txt").read_text().splitlines()] == ["oneshot"]
    assert f"--json-out {out}/oneshot.json" in (out / "oneshot.log").read_text()


@pytest.mark.slow
def test_dry_run_runs_every_step_on_the_cpu(tmp_path):
    """1-4 minutes on two shared cores: ten Python start-ups and tiny trainings."""
    data = write_idx(tmp_path / "fmnist")
    out = tmp_path / "out"
    result = run(str(out), "--dry-run", "--data-dir", str(data), timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = (out / "summary.txt").read_text().splitlines()
    assert len(summary) == 12 and all(" ok " in line for line in summary)
    for name in ("trainer_vs_plain", "epoch_stem1", "epoch_stem2", "quality_b0_long", "fidelity", "oneshot"):
        report = json.loads((out / f"{name}.json").read_text())  # JSON files hold only JSON
        assert report
    assert json.loads((out / "epoch_stem1.json").read_text())["stem_stride"] == 1
    assert json.loads((out / "epoch_stem2.json").read_text())["stem_stride"] == 2
    assert len(json.loads((out / "fidelity.json").read_text())["rows"]) == 3
