"""Runtime dependencies are what the main job needs; the PostgreSQL driver and scipy are extras,
and a missing driver is refused with the extra's name (one line, exit code 2)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nas.studies.storage_url import POSTGRES_EXTRA, require_driver
from search_spaces.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("search_spaces", "nas", "scaling_search", "results", "commands", "effsearch")


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {r.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in requirements}


def test_psycopg_and_scipy_are_extras_not_dependencies() -> None:
    project = _project()
    assert not _names(project["dependencies"]) & {"psycopg", "scipy"}
    extras = project["optional-dependencies"]
    assert _names(extras["postgres"]) == {"psycopg"}
    assert _names(extras["bench"]) == {"scipy"}
    assert "effsearch[postgres]" in extras["test"]  # the suite starts a PostgreSQL server


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_package_never_imports_scipy_or_psycopg() -> None:
    """scipy is for benchmarks/ only; psycopg is reached through SQLAlchemy's URL, never imported."""
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")] + [ROOT / "cli.py"]
    offenders = {str(p.relative_to(ROOT)) for p in files if _imports(p) & {"scipy", "psycopg", "psycopg2"}}
    assert offenders == set()


def _without_drivers(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as if neither psycopg nor psycopg2 were installed."""
    code = (
        "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg2'] = None\n"
        "import cli; sys.exit(cli.main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


@pytest.mark.parametrize("command", [["report", "--study", "s"], ["baseline", "--study", "s"]])
def test_a_postgresql_storage_without_the_driver_names_the_extra(command: list[str]) -> None:
    url = "postgresql://ann:s3cr3t-pw@127.0.0.1:1/runs"
    result = _without_drivers(*command, "--storage", url)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert f"pip install '{POSTGRES_EXTRA}'" in lines[0] and "psycopg" in lines[0]
    assert "s3cr3t-pw" not in result.stderr and "ann:***@" in lines[0]


def test_require_driver_only_looks_at_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    require_driver("sqlite:///runs/effsearch.db")  # nothing to check
    require_driver("postgresql+asyncpg://u@h/db")  # another driver: SQLAlchemy reports it
    with pytest.raises(UserError, match=r"effsearch\[postgres\]"):
        require_driver("postgresql+psycopg://u:pw@h/db")
    with pytest.raises(UserError, match="psycopg2-binary"):
        require_driver("postgresql+psycopg2://u:pw@h/db")
