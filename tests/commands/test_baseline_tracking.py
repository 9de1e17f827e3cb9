"""``effsearch baseline``: ``--log-to`` without its extra is refused in one line, and the header
names the validation images the run really uses (the capped split, not the proxy's val_size)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_faults import REPO, baseline_argv, one_line

HIDE = "import sys; sys.modules.update(dict.fromkeys({modules!r}));"


def _effsearch(tmp_path: Path, *argv: str, hide: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    code = HIDE.format(modules=list(hide)) + "import cli; sys.exit(cli.main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", code, *argv]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("tracker", "hidden"),
    [("tensorboard", ("optuna_integration", "tensorboard", "tensorflow")), ("mlflow", ("mlflow",))],
)
def test_log_to_without_its_extra_is_one_line_and_exit_2(
    tmp_path: Path, tracker: str, hidden: tuple[str, ...]
) -> None:
    argv = baseline_argv(tmp_path, tmp_path / "s.db", "--n-trials", "1", "--log-to", tracker)
    result = _effsearch(tmp_path, *argv, hide=hidden)
    assert result.returncode == 2
    line = one_line(result)
    assert f"--log-to {tracker} needs" in line and f"pip install 'effsearch[{tracker}]'" in line
    assert not (tmp_path / "runs" / "s" / "trials.jsonl").exists()  # refused before any trial


def test_the_header_names_the_validation_images_used(tmp_path: Path) -> None:
    # 60 training images: the validation split is capped at a fifth (12), below the proxy's 16
    result = _effsearch(tmp_path, *baseline_argv(tmp_path, tmp_path / "s.db", "--n-trials", "1", "--quiet"))
    assert result.returncode == 0, result.stderr
    assert "12 validation images" in result.stdout and "16 validation images" not in result.stdout
