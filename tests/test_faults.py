"""Fault injection: a full disk, a read-only storage, a corrupt page and a killed search.

Each test runs the real ``effsearch`` command in a subprocess and checks three things: the exit
code, the one-line message that names the problem and the file, and that nothing already stored
was lost (``PRAGMA quick_check`` is ``ok`` and an SQL dump of the finished trials is unchanged).

Tools: a size-limited tmpfs (``mount -t tmpfs``, root only; ``prlimit --fsize`` otherwise),
``chattr +i`` and ``setpriv`` (util-linux/e2fsprogs, in every Debian image). CI runs this file as
root; a tool this machine lacks skips its test, unless ``EFFSEARCH_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest

from tests.test_bad_input import SYNTH, TINY_PROXY, TINY_SPACE, dump, seed_studies

REPO = Path(__file__).resolve().parent.parent
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--")
#: Slow enough that a run is still training when the test has seen one trial finish: a fast CI
#: machine must not finish the whole search between two polls.
SLOW_PROXY = "epochs: 6\ntrain_subset: 128\nval_size: 16\nresolution: 16\nbatch_size: 8\n"


def _missing(what: str) -> None:
    if os.environ.get("EFFSEARCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} (EFFSEARCH_REQUIRE_SERVICES=1)")
    pytest.skip(what)


def effsearch(*argv: str, cwd: Path, prefix: tuple[str, ...] = (), **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "cli", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def quick_check(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        connection.close()


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def baseline_argv(tmp: Path, db: Path, *flags: str, proxy: str = "proxy.yaml") -> list[str]:
    (tmp / "space.yaml").write_text(TINY_SPACE)
    (tmp / "proxy.yaml").write_text(TINY_PROXY)
    (tmp / "slow.yaml").write_text(SLOW_PROXY)
    return [
        "baseline", "--space", "space.yaml", "--proxy", proxy, "--dataset", SYNTH,
        "--target-flops", "300K", "--search-resolution", "32", "--device", "cpu",
        "--storage", f"sqlite:///{db}", "--study", "s", "--out", str(tmp / "runs"), *flags,
    ]  # fmt: skip


# -- disk full ---------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 2 MiB tmpfs (root), or None where mounting is not permitted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path) -> None:
    """Fill the file system of ``folder`` up to the last byte."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError:
                pass


def test_a_full_disk_ends_a_report_and_a_search_in_one_line_and_keeps_the_studies(small_disk, tmp_path):
    """On a full tmpfs; where mounting is not permitted (a container without CAP_SYS_ADMIN), the
    search part runs under ``prlimit --fsize`` at the database's size, so it cannot grow either."""
    folder = small_disk or tmp_path
    db = folder / "study.db"
    seed_studies(f"sqlite:///{db}")
    before = dump(db)
    prefix: tuple[str, ...] = ()
    if small_disk is not None:
        _fill(small_disk)
        out = small_disk / "trials.csv"
        csv = ("--format", "csv", "--out", str(out))
        report = effsearch("report", "--storage", f"sqlite:///{db}", *csv, cwd=tmp_path)
        assert report.returncode == 2, report.stderr
        assert "disk full" in one_line(report) and "trials.csv" in report.stderr
        assert not out.exists() and not list(small_disk.glob(".trials.csv*"))  # no half-written file
    elif shutil.which("prlimit") is not None:
        prefix = ("prlimit", f"--fsize={db.stat().st_size}")
    else:
        _missing("neither a small tmpfs nor prlimit is available")
    search = effsearch(*baseline_argv(tmp_path, db, "--n-trials", "1"), cwd=tmp_path, prefix=prefix)
    assert search.returncode == 2, search.stderr + search.stdout[-2000:]
    line = one_line(search)
    assert str(db) in line and ("full" in line or "I/O" in line), line
    if small_disk is not None:
        (small_disk / "filler").unlink()
    assert quick_check(db) == "ok"
    assert set(before.splitlines()) <= set(dump(db).splitlines())  # every stored row is still there


def test_a_file_size_limit_ends_an_html_report_in_one_line(tmp_path):
    if shutil.which("prlimit") is None:
        _missing("prlimit is not installed (util-linux)")
    db = tmp_path / "study.db"
    seed_studies(f"sqlite:///{db}")
    before = dump(db)
    out = tmp_path / "report.html"
    out.write_text("the previous report\n")
    html = ("--study", "base-study", "--format", "html", "--out", str(out))
    result = effsearch(
        "report", "--storage", f"sqlite:///{db}", *html, cwd=tmp_path, prefix=("prlimit", "--fsize=200000")
    )
    assert result.returncode == 2, result.stderr
    assert "report.html" in one_line(result) and "file size limit" in result.stderr
    assert out.read_text() == "the previous report\n"  # the old file is whole, no temporary file left
    assert not list(tmp_path.glob(".report.html*"))
    assert dump(db) == before


# -- read-only storage ---------------------------------------------------------------------------------


def test_an_immutable_storage_is_refused_before_work_and_left_as_it_was(tmp_path):
    db = tmp_path / "study.db"
    seed_studies(f"sqlite:///{db}")
    before = dump(db)
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        _missing("chattr +i is not available here")
    try:
        result = effsearch(*baseline_argv(tmp_path, db), cwd=tmp_path)
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)
    assert result.returncode == 2
    line = one_line(result)
    assert "read-only" in line and str(db) in line
    assert not (tmp_path / "runs").exists()
    assert quick_check(db) == "ok" and dump(db) == before


def test_a_storage_another_user_owns_is_refused_for_that_user():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        _missing("needs root and setpriv to run as another user")
    probe = subprocess.run([*NOBODY, sys.executable, "-c", "import optuna, torch"], capture_output=True)
    if probe.returncode != 0:  # e.g. an interpreter installed under /root: chattr +i covers read-only
        pytest.skip("this Python's packages are not readable for another user")
    tmp_path = Path(tempfile.mkdtemp(prefix="effsearch-faults-"))  # under /tmp: reachable for nobody
    tmp_path.chmod(0o755)
    try:
        _refused_for_nobody(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _refused_for_nobody(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    seed_studies(f"sqlite:///{db}")
    before = dump(db)
    argv = baseline_argv(tmp_path, db)
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    argv[argv.index("--out") + 1] = str(out)  # writable for that user: the storage is what it cannot write
    result = effsearch(*argv, cwd=tmp_path, prefix=NOBODY)
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert "read-only" in line and str(db) in line, line
    assert quick_check(db) == "ok" and dump(db) == before


# -- corrupt page ----------------------------------------------------------------------------------------


def test_a_corrupt_page_is_named_with_the_file_by_every_reader_and_writer(tmp_path):
    db = tmp_path / "study.db"
    seed_studies(f"sqlite:///{db}")
    with open(db, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xa5" * 600)
    damaged = db.read_bytes()
    for argv in (
        baseline_argv(tmp_path, db),
        ["report", "--storage", f"sqlite:///{db}", "--study", "base-study", "--format", "csv"],
    ):
        result = effsearch(*argv, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        line = one_line(result)
        assert str(db) in line and ("corrupt" in line or "malformed" in line), line
    assert db.read_bytes() == damaged  # not "repaired" into something else


# -- killed mid-trial, then resumed -------------------------------------------------------------------


def _trials(db: Path) -> list[tuple[int, str, float | None]]:
    if not db.exists():
        return []
    storage = optuna.storages.RDBStorage(f"sqlite:///{db}")
    try:
        study = optuna.load_study(study_name="s", storage=storage)
    except KeyError:
        return []
    finally:
        storage.remove_session()
        storage.engine.dispose()
    return [(t.number, t.state.name, t.value) for t in study.get_trials(deepcopy=False)]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["INT", "TERM", "KILL"])
def test_a_search_killed_mid_trial_keeps_its_trials_and_resumes(sig, tmp_path):
    db = tmp_path / "study.db"
    argv = baseline_argv(tmp_path, db, "--n-trials", "8", "--sampler", "random", proxy="slow.yaml")
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
        "EFFSEARCH_HEARTBEAT_INTERVAL": "1", "EFFSEARCH_GRACE_PERIOD": "3",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", *argv], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:  # one finished trial, and the next one running
            trials = _trials(db)
            if any(s == "COMPLETE" for _, s, _ in trials) and any(s == "RUNNING" for _, s, _ in trials):
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("no trial finished in time")
        finished = [t for t in _trials(db) if t[1] == "COMPLETE"]
        process.send_signal(sig)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    expected = {signal.SIGINT: 130, signal.SIGTERM: 130, signal.SIGKILL: -9}[sig]
    assert process.returncode == expected, err
    if sig != signal.SIGKILL:
        assert "Traceback" not in err and "interrupted" in err
    assert quick_check(db) == "ok"
    assert set(finished) <= set(_trials(db))  # every finished trial is still there, unchanged
    if sig == signal.SIGKILL:
        time.sleep(4)  # past the grace period: the killed trial's heartbeat is stale
    resumed = subprocess.run(
        [sys.executable, "-m", "cli", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout[-2000:]
    assert "resuming" in resumed.stdout
    after = _trials(db)
    assert set(finished) <= set(after)
    assert not any(s == "RUNNING" for _, s, _ in after)
    assert (tmp_path / "runs" / "s" / "baseline.yaml").exists()
    assert quick_check(db) == "ok"


# -- data changed under a study -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_resume_on_changed_imagefolder_data_is_refused(tmp_path):
    from PIL import Image

    root = tmp_path / "data"
    for k, name in enumerate(("cat", "dog")):
        (root / name).mkdir(parents=True)
        for i in range(12):
            Image.new("L", (12, 12), color=(k * 120 + i * 5) % 256).save(root / name / f"{i}.png")
    db = tmp_path / "study.db"
    argv = baseline_argv(tmp_path, db, "--n-trials", "1")
    argv[argv.index("--dataset") + 1] = f"imagefolder:{root}"
    argv[argv.index("--target-flops") + 1] = "250K"
    (tmp_path / "proxy.yaml").write_text("epochs: 1\nval_size: 4\nresolution: 16\nbatch_size: 8\n")
    first = effsearch(*argv, cwd=tmp_path)
    assert first.returncode == 0, first.stderr + first.stdout[-2000:]
    before = dump(db)
    Image.new("L", (12, 12), color=7).save(root / "cat" / "extra.png")
    again = effsearch(*argv, cwd=tmp_path)
    assert again.returncode == 2, again.stderr + again.stdout[-2000:]
    line = one_line(again)
    assert "other data" in line and "25 files" in line, line
    assert dump(db) == before
