"""The packages type-check: mypy, configured in pyproject.toml ([tool.mypy]), finds no error.

mypy's incremental cache lives in the system's temporary directory, one per checkout and mypy
version: the first run checks everything (about half a minute on two cores), later runs only
what changed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import mypy.api
import mypy.version

ROOT = Path(__file__).resolve().parents[1]


def _cache_dir() -> Path:
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    user = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"effsearch-mypy-{mypy.version.__version__}-{user}-{checkout}"


def test_mypy_finds_no_errors(monkeypatch):
    monkeypatch.chdir(ROOT)  # [tool.mypy] files are relative to the repository root
    args = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(_cache_dir())]
    stdout, stderr, status = mypy.api.run(args)
    assert status == 0, f"mypy found problems (exit status {status}):\n{stdout}{stderr}"
