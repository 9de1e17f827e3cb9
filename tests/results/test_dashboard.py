"""``effsearch dashboard``: optuna-dashboard served on loopback, read back through its HTTP API."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import cli
from results.dashboard import binding_warning, is_loopback
from tests.conftest import free_port


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def test_serves_the_study_through_the_optuna_dashboard_api(studies_db: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "dashboard", "--storage", studies_db, "--port", str(port)],
        cwd=Path(cli.__file__).parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                studies = _get(f"{base}/api/studies")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "dashboard did not start"
                time.sleep(0.3)
        by_name = {s["study_name"]: s for s in studies["study_summaries"]}  # type: ignore[index]
        assert set(by_name) == {"toy-baseline", "toy-coefficients", "tiny", "empty"}
        tiny = _get(f"{base}/api/studies/{by_name['tiny']['study_id']}")
        assert len(tiny["trials"]) == 8  # type: ignore[index]
        attrs = {a["key"]: a["value"] for a in tiny["trials"][0]["user_attrs"]}  # type: ignore[index]
        assert attrs["arch_code"].startswith("stem_c32") and attrs["role"] == "reference"
        assert "macs" in attrs and "accuracy" in attrs
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/dashboard" in out
    assert "warning" not in err


def test_missing_storage_is_exit_2_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "none.db"
    assert cli.main(["dashboard", "--storage", f"sqlite:///{path}", "--port", "0"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not path.exists()


def test_bad_port_is_exit_2(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dashboard", "--storage", studies_db, "--port", "70000"]) == 2
    assert "--port must be within 0..65535" in capsys.readouterr().err


def test_port_in_use_is_exit_2(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["dashboard", "--storage", studies_db, "--port", str(port)]) == 2
    assert "cannot serve on 127.0.0.1" in capsys.readouterr().err


def test_only_loopback_addresses_are_quiet() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_loopback(host) and binding_warning(host) is None
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        assert not is_loopback(host)
        assert "reachable from other machines" in (binding_warning(host) or "")
