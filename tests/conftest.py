"""Shared fixtures: a real, throwaway PostgreSQL server, the headless Chromium binary, one thread.

Services are started by the tests themselves, so the README's single test command is enough on a
machine that has the Debian packages. Where a service is missing, its tests are skipped — unless
``EFFSEARCH_REQUIRE_SERVICES=1`` (set by ``.ci/run``), where a missing service is a failure.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Fixtures that build real studies (baseline and coefficient) for the results and command tests.
pytest_plugins = ["tests.study_fixtures", "tests.oneshot_fixtures"]

REQUIRE_SERVICES = os.environ.get("EFFSEARCH_REQUIRE_SERVICES") == "1"


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} (EFFSEARCH_REQUIRE_SERVICES=1)")
    pytest.skip(what)


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for directory in reversed(candidates):
        if Path(directory, "initdb").exists():
            return Path(directory)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, on a loopback port, with a password."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="effsearch-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "effsearch"
        self.password = "pw-" + secrets.token_hex(8)
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: run the server as Debian's `postgres` user.
            self._as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self.root.chmod(0o777)

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self._as_user, *cmd], check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o644)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
        )
        pwfile.unlink()
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL (with the password)."""
        import psycopg

        name = "db_" + secrets.token_hex(4)
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname="postgres"
        ) as conn:
            conn.autocommit = True
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session (started on first use)."""
    bindir = _pg_bindir()
    if bindir is None:
        _missing("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer(bindir)
    try:
        server.start()
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        _missing(f"could not start PostgreSQL: {detail.strip().splitlines()[-1] if detail else exc}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                break
        time.sleep(0.2)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A SQLAlchemy URL to a fresh, empty PostgreSQL database (password included)."""
    return postgres_server.create_database()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of a headless-capable Chromium binary."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    _missing("Chromium is not installed (apt-get install chromium)")
    raise AssertionError("unreachable")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Two shared cores: one intra-op thread keeps tiny trainings fast and predictable."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
