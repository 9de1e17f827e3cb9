"""Secrets and exposure: a storage password is never printed or stored; the dashboard binds to
localhost by default; YAML is only safe-loaded and checkpoints only with ``weights_only=True``.

The PostgreSQL tests use the real throwaway server's URL, which carries a real password, and look
for it everywhere a run leaves text: stdout, stderr, every written file, every study and trial
attribute in the database, and the live dashboard's API.
"""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

import cli
from tests.test_bad_input import SYNTH, TINY_ARCH, TINY_PROXY, TINY_SPACE

REPO = Path(__file__).resolve().parents[1]
UNREACHABLE = "postgresql+psycopg://u:secretpw@127.0.0.1:1/x"


def password_of(url: str) -> str:
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    assert password and len(password) >= 8
    return password


def files_containing(folder: Path, secret: str) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and secret.encode() in path.read_bytes():
            hits.append(str(path))
    return hits


def database_text(url: str) -> str:
    """Every study and trial attribute in the storage, as one JSON text."""
    storage = optuna.storages.RDBStorage(url)
    dump = []
    for frozen in storage.get_all_studies():
        trials = storage.get_all_trials(frozen._study_id)
        dump.append(
            {
                "name": frozen.study_name,
                "user": frozen.user_attrs,
                "system": frozen.system_attrs,
                "trials": [(t.params, t.user_attrs, t.system_attrs) for t in trials],
            }
        )
    return json.dumps(dump, default=str)


@pytest.mark.parametrize("command", ["baseline", "coefficients", "report", "dashboard"])
def test_an_unreachable_storage_error_masks_the_password(command, tmp_path):
    argv = [sys.executable, "-m", "cli", command, "--storage", UNREACHABLE]
    if command == "dashboard":
        argv += ["--port", "0"]
    if command in ("baseline", "coefficients"):
        argv += ["--dataset", SYNTH, "--device", "cpu", "--out", str(tmp_path)]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "secretpw" not in result.stdout + result.stderr
    assert "u:***@127.0.0.1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not files_containing(tmp_path, "secretpw")


def test_the_dashboard_binds_to_localhost_by_default():
    args = cli.build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1"


@pytest.mark.slow
@pytest.mark.postgres
def test_a_real_password_never_leaks_from_searches_reports_or_the_dashboard(
    postgres_url, tmp_path, capsys, monkeypatch
):
    secret = password_of(postgres_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    (tmp_path / "space.yaml").write_text(TINY_SPACE)
    (tmp_path / "proxy.yaml").write_text(TINY_PROXY)
    (tmp_path / "arch.yaml").write_text(TINY_ARCH)
    common = ["--proxy", "proxy.yaml", "--dataset", SYNTH, "--device", "cpu", "--storage", postgres_url]
    out = []
    base = ["baseline", "--space", "space.yaml", "--target-flops", "300K", "--search-resolution", "32"]
    assert cli.main([*base, *common, "--n-trials", "2", "--study", "b", "--out", "runs"]) == 0
    coef = ["coefficients", "--base", "arch.yaml", "--max-candidates", "1", "--study", "c", "--out", "runs"]
    assert cli.main([*coef, *common]) == 0
    out.append(capsys.readouterr())
    assert cli.main(["report", "--storage", postgres_url]) == 0
    for study in ("b", "c"):
        for fmt in ("table", "csv", "json"):
            assert cli.main(["report", "--storage", postgres_url, "--study", study, "--format", fmt]) == 0
        html = ["report", "--storage", postgres_url, "--study", study, "--format", "html"]
        assert cli.main([*html, "--out", f"{study}.html"]) == 0
    out.append(capsys.readouterr())
    printed = "".join(c.out + c.err for c in out)
    assert "***@127.0.0.1" in printed  # the storage is shown, masked
    assert secret not in printed
    assert (tmp_path / "runs" / "b" / "baseline.yaml").exists()
    assert (tmp_path / "runs" / "c" / "coefficients.yaml").exists()
    assert not files_containing(tmp_path, secret)
    assert secret not in database_text(postgres_url)

    # the live dashboard: its banner and its API
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "dashboard", "--storage", postgres_url, "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = server.stdout.readline()
        assert secret not in banner and "127.0.0.1" in banner, banner
        port = int(banner.split("http://127.0.0.1:")[1].split("/")[0].split()[0])
        bodies = []
        for path in ("/api/meta", "/api/studies", "/"):
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                        bodies.append(response.read().decode(errors="replace"))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        assert all(secret not in body for body in bodies)
        with pytest.raises(OSError):  # not reachable on another address of this machine
            external = socket.gethostbyname(socket.gethostname())
            if external.startswith("127."):
                raise OSError("no non-loopback address to try")
            socket.create_connection((external, port), timeout=2).close()
    finally:
        server.terminate()
        rest = server.communicate(timeout=30)[0]
    assert secret not in rest


# -- what is loaded from files -----------------------------------------------------------------------


def _python_files() -> list[Path]:
    skip = {".git", "runs", "__pycache__", ".hypothesis", ".pytest_cache"}
    return [p for p in REPO.rglob("*.py") if not skip & set(p.relative_to(REPO).parts)]


def _unsafe_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else None
        attr = node.func.attr
        if name == "yaml" and attr in ("load", "load_all", "unsafe_load", "unsafe_load_all", "full_load"):
            found.append(f"{path}:{node.lineno}: yaml.{attr}")
        if name == "torch" and attr == "load":
            safe = any(
                k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            if not safe:
                found.append(f"{path}:{node.lineno}: torch.load without weights_only=True")
    return found


def test_yaml_is_only_safe_loaded_and_torch_load_is_weights_only():
    files = _python_files()
    assert len(files) > 20
    problems = [problem for path in files for problem in _unsafe_calls(path)]
    assert problems == []


@pytest.mark.postgres
def test_the_password_can_stay_off_the_command_line(postgres_url, monkeypatch):
    """libpq reads PGPASSWORD (or ~/.pgpass) when the URL has none: nothing secret in `ps` output."""
    from nas.studies.storage import open_storage

    secret = password_of(postgres_url)
    monkeypatch.setenv("PGPASSWORD", secret)
    storage = open_storage(postgres_url.replace(f":{secret}@", "@"))
    optuna.create_study(storage=storage, study_name="no-password-in-url")
    assert "no-password-in-url" in [s.study_name for s in storage.get_all_studies()]


# -- masking: every way a password is written into a connection string -------------------------------


@pytest.mark.parametrize(
    ("text", "shown", "secret"),
    [
        ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db", "p@ss"),
        ("at postgresql://u:my secret pw@h:5432/db now", "at postgresql://u:***@h:5432/db now", "my secret"),
        ("storage 'postgresql://u:a b@c@h/db' is down", "storage 'postgresql://u:***@h/db' is down", "a b@c"),
        ("postgresql://u:pa/ss?x@host/db", "postgresql://u:***@host/db", "pa/ss"),
        (
            "postgresql://h/db?sslmode=require&password=s3cr3t&x=1",
            "postgresql://h/db?sslmode=require&password=***&x=1",
            "s3cr3t",
        ),
        ("host=h user=u password=s3cr3t dbname=x", "host=h user=u password=*** dbname=x", "s3cr3t"),
        ("host=h password='my \\' pw' dbname=x", "host=h password='***' dbname=x", "my \\' pw"),
        ("connect failed: PASSWORD = hunter2", "connect failed: PASSWORD = ***", "hunter2"),
    ],
)
def test_secrets_are_masked_in_urls_query_parameters_and_libpq_strings(text, shown, secret):
    from nas.studies.storage_url import mask_secrets

    assert mask_secrets(text) == shown
    assert secret not in mask_secrets(text)


@pytest.mark.parametrize(
    "text",
    [
        "sqlite:///runs/effsearch.db",
        "postgresql://user@host/db",
        "postgresql://host:5432/db",
        "no study named 'x' in postgresql+psycopg://u@h/db",
    ],
)
def test_text_without_a_secret_is_left_as_it_is(text):
    from nas.studies.storage_url import mask_secrets

    assert mask_secrets(text) == text


def test_one_masking_rule_serves_every_layer():
    """The CLI, the search's storage and the reports' storage all mask with the same function."""
    from nas.studies import storage as search_storage
    from nas.studies.storage_url import mask_secrets
    from results import storage as report_storage

    assert cli.mask_secrets is mask_secrets
    assert search_storage.mask_secrets is mask_secrets
    assert report_storage.mask_secrets is mask_secrets


def test_a_cli_error_with_a_raw_at_in_the_password_is_masked(capsys):
    url = "postgresql+psycopg://u:pa@ss word@127.0.0.1:1/x"
    assert cli.main(["report", "--storage", url]) == 2
    err = capsys.readouterr().err
    assert "pa@ss" not in err and "ss word" not in err
    assert "u:***@127.0.0.1" in err


# -- every password form against the real server ----------------------------------------------------


def _role_with_a_hard_password(postgres_url: str) -> tuple[str, str]:
    """A role whose password holds ``@``, a space, ``/``, ``?`` and ``%`` on the throwaway server."""
    import secrets as token

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    role, password = f"r{token.token_hex(4)}", f"p@ss w/rd?%{token.token_hex(6)}"
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database
    ) as conn:
        conn.autocommit = True
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f'GRANT ALL ON DATABASE "{url.database}" TO {role}')
        conn.execute(f"GRANT ALL ON SCHEMA public TO {role}")
    return role, password


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("form", ["query", "percent-encoded", "raw"])
def test_every_password_form_stays_out_of_output_files_and_reports(
    form, postgres_url, tmp_path, capsys, monkeypatch
):
    """Each way a password is written into --storage, on the real server: a search (or its refusal),
    the reports in every format; the secret is not in stdout, stderr or any file under the folder."""
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

    role, secret = _role_with_a_hard_password(postgres_url)
    url = make_url(postgres_url)
    where = f"127.0.0.1:{url.port}/{url.database}"
    storage = {
        "query": f"postgresql+psycopg://{role}@{where}?password={quote(secret, safe='')}",
        "percent-encoded": f"postgresql+psycopg://{role}:{quote(secret, safe='')}@{where}",
        "raw": f"postgresql+psycopg://{role}:{secret}@{where}",  # unparseable: must fail masked
    }[form]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    (tmp_path / "space.yaml").write_text(TINY_SPACE)
    (tmp_path / "proxy.yaml").write_text(TINY_PROXY)
    base = [
        "baseline",
        "--space",
        "space.yaml",
        "--proxy",
        "proxy.yaml",
        "--dataset",
        SYNTH,
        "--device",
        "cpu",
    ]
    base += ["--target-flops", "300K", "--search-resolution", "32", "--n-trials", "1", "--study", "b"]
    code = cli.main([*base, "--storage", storage, "--out", "runs"])
    assert code == (2 if form == "raw" else 0)
    if code == 0:
        for fmt in ("table", "csv", "json", "html"):
            assert (
                cli.main(
                    [
                        "report",
                        "--storage",
                        storage,
                        "--study",
                        "b",
                        "--format",
                        fmt,
                        "--out",
                        f"runs/r.{fmt}",
                    ]
                )
                == 0
            )
        assert cli.main(["report", "--storage", storage]) == 0
        assert (tmp_path / "runs" / "b" / "report.html").exists()
    printed = "".join(c for c in capsys.readouterr())
    pieces = {secret, quote(secret, safe=""), *(p for p in secret.split("@") if len(p) >= 4)}
    for piece in pieces:
        assert piece not in printed, piece
        assert not files_containing(tmp_path, piece)
