"""Bad-input cases of issue 12 (merged into ``tests/test_bad_input.py``'s table).

Families: an output that is an input of the same command, a device, a folder or unwritable; study
names that cannot be folders; in-memory, corrupt, not-a-database and read-only SQLite storages;
a target no architecture of the space can reach; a dashboard host other machines can reach;
every way a password is written into a storage URL.

:func:`add_files` makes the extra files the cases name (one read-only database, made immutable
with ``chattr +i``; :func:`release` undoes that).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SYNTH = "synthetic:classes=3,size=12,channels=1,train=60,test=10"
#: Every way a password reaches a storage URL; each must be masked ("secretpw" never shown).
SECRET_URLS = {
    "userinfo": "postgresql+psycopg://u:secretpw@127.0.0.1:1/x",
    "raw at": "postgresql+psycopg://u:secretpw@x@127.0.0.1:1/x",
    "space": "postgresql+psycopg://u:secretpw and more@127.0.0.1:1/x",
    "query": "postgresql+psycopg://u@127.0.0.1:1/x?password=secretpw",
    "plain scheme": "postgresql://u:secretpw@127.0.0.1:1/x",
}


def _corrupt(source: Path, target: Path) -> None:
    """A copy of ``source`` with its second page overwritten (quick_check reports it)."""
    shutil.copy(source, target)
    with open(target, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xa5" * 600)


def add_files(e: dict[str, str], tmp_path: Path) -> None:
    """The extra inputs the cases name, created in ``tmp_path``; ``e`` gains their paths."""
    db = Path(e["db_file"])
    links = tmp_path / "links"
    links.mkdir()
    (links / "db.csv").symlink_to(db)
    (links / "null.json").symlink_to("/dev/null")
    os.link(db, links / "db-hardlink.csv")
    _corrupt(db, tmp_path / "corrupt.db")
    (tmp_path / "notdb.db").write_bytes(b"this is not a database, just text\n" * 200)
    shutil.copy(db, tmp_path / "readonly.db")
    e["ro_ok"] = "1" if _chattr("+i", tmp_path / "readonly.db") else ""
    (tmp_path / "weights.pt").write_bytes(b"\x00" * 16)
    (tmp_path / "coeffs.yaml").write_text("alpha: 1.2\nbeta: 1.1\ngamma: 1.15\n")
    (tmp_path / "a_folder").mkdir()
    e.update(
        links=str(links),
        corrupt=f"sqlite:///{tmp_path}/corrupt.db",
        notdb=f"sqlite:///{tmp_path}/notdb.db",
        readonly=f"sqlite:///{tmp_path}/readonly.db",
        weights=str(tmp_path / "weights.pt"),
        coeffs=str(tmp_path / "coeffs.yaml"),
        folder=str(tmp_path / "a_folder"),
        tmp=str(tmp_path),
    )


def _chattr(flag: str, path: Path) -> bool:
    try:
        done = subprocess.run(["chattr", flag, str(path)], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def release(tmp_path: Path) -> None:
    """Undo :func:`add_files`'s ``chattr +i`` so the folder can be removed."""
    if (tmp_path / "readonly.db").exists():
        _chattr("-i", tmp_path / "readonly.db")


def _baseline(e: dict[str, str], *flags: str) -> list[str]:
    from tests.test_bad_input import baseline

    return baseline(e, *flags)


def _coefficients(e: dict[str, str], *flags: str) -> list[str]:
    from tests.test_bad_input import coefficients

    return coefficients(e, *flags)


def _sweep(e: dict[str, str], *flags: str) -> list[str]:
    common = ["--base", e["arch"], "--proxy", e["proxy"], "--dataset", SYNTH, "--values", "1,1.2"]
    where = ["--device", "cpu", "--storage", e["db"], "--study", "kept", "--out", e["out"]]
    return ["sweep", "--dimension", "width", *common, *where, *flags]


def _report(e: dict[str, str], *flags: str) -> list[str]:
    return ["report", "--storage", e["db"], *flags]


def _export(e: dict[str, str], *flags: str) -> list[str]:
    return ["export", "--base", e["arch"], *flags]


def _evaluate(e: dict[str, str], *flags: str) -> list[str]:
    return [
        "evaluate",
        "--arch",
        e["arch"],
        "--proxy",
        e["proxy"],
        "--dataset",
        SYNTH,
        "--device",
        "cpu",
        *flags,
    ]


def _dash(e: dict[str, str], host: str) -> list[str]:
    return ["dashboard", "--storage", e["db"], "--host", host, "--port", "0"]


def _inside(e: dict[str, str], study: str, name: str, what: str = "proxy") -> str:
    """``<out>/<study>/<name>`` made to exist as a copy of the tiny ``what`` file (an input there)."""
    path = Path(e["out"], study, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(e[what], path)
    return str(path)


OUTPUT_CASES = {
    # report --out: the storage itself (every format), its companions, links, devices, folders
    "report csv out is the storage": lambda e: _report(e, "--format", "csv", "--out", e["db_file"]),
    "report json out is the storage": lambda e: _report(e, "--format", "json", "--out", e["db_file"]),
    "report table out is the storage": lambda e: _report(e, "--study", "base-study", "--out", e["db_file"]),
    "report html out is the storage": lambda e: _report(
        e, "--study", "base-study", "--format", "html", "--out", e["db_file"]
    ),
    "report csv study out is the storage": lambda e: _report(
        e, "--study", "base-study", "--format", "csv", "--out", e["db_file"]
    ),
    "report out is the storage wal": lambda e: _report(e, "--format", "csv", "--out", e["db_file"] + "-wal"),
    "report out is the storage journal": lambda e: _report(
        e, "--format", "json", "--out", e["db_file"] + "-journal"
    ),
    "report out symlinks to the storage": lambda e: _report(
        e, "--format", "csv", "--out", e["links"] + "/db.csv"
    ),
    "report out hard-links the storage": lambda e: _report(
        e, "--format", "csv", "--out", e["links"] + "/db-hardlink.csv"
    ),
    "report out via dotdot is the storage": lambda e: _report(
        e, "--format", "csv", "--out", e["links"] + "/../study.db"
    ),
    "report out is a device": lambda e: _report(e, "--format", "json", "--out", "/dev/null"),
    "report out links to a device": lambda e: _report(
        e, "--format", "json", "--out", e["links"] + "/null.json"
    ),
    "report html out is a device": lambda e: _report(
        e, "--study", "base-study", "--format", "html", "--out", "/dev/null"
    ),
    "report out is a folder": lambda e: _report(e, "--format", "csv", "--out", e["folder"]),
    "report out under a file": lambda e: _report(e, "--format", "csv", "--out", e["arch"] + "/x.csv"),
    # baseline: its results would land on one of its inputs
    "baseline baseline.yaml is the proxy": lambda e: _baseline(
        e, "--study", "s1", "--proxy", _inside(e, "s1", "baseline.yaml")
    ),
    "baseline baseline.yaml is the space": lambda e: _baseline(
        e, "--study", "s6", "--space", _inside(e, "s6", "baseline.yaml", "space")
    ),
    "baseline report.html is the proxy": lambda e: _baseline(
        e, "--study", "s2", "--proxy", _inside(e, "s2", "report.html")
    ),
    "baseline report.html is the storage": lambda e: _baseline(
        e, "--study", "s3", "--storage", f"sqlite:///{e['out']}/s3/report.html"
    ),
    "baseline baseline.yaml is a folder": lambda e: _baseline(
        e, "--study", "s4", "--out", _folder_holding(e, "s4", "baseline.yaml")
    ),
    "baseline report.html is a device": lambda e: _baseline(
        e, "--study", "s5", "--out", _link_holding(e, "s5", "report.html")
    ),
    "baseline study name too long": lambda e: _baseline(e, "--study", "x" * 300),
    "baseline study name absolute": lambda e: _baseline(e, "--study", "/tmp/escape"),
    "baseline study name with slash": lambda e: _baseline(e, "--study", "a/b"),
    "baseline study name dotdot": lambda e: _baseline(e, "--study", ".."),
    "baseline study name trailing dot": lambda e: _baseline(e, "--study", "kept."),
    # coefficients and sweep: the same rule, the same study-name check
    "coefficients coefficients.yaml is the base": lambda e: _coefficients(
        e, "--study", "c1", "--base", _arch_inside(e, "c1", "coefficients.yaml")
    ),
    "coefficients report.html is the proxy": lambda e: _coefficients(
        e, "--study", "c2", "--proxy", _inside(e, "c2", "report.html")
    ),
    "coefficients report.html is the storage": lambda e: _coefficients(
        e, "--study", "c3", "--storage", f"sqlite:///{e['out']}/c3/report.html"
    ),
    "coefficients coefficients.yaml is a device": lambda e: _coefficients(
        e, "--study", "c4", "--out", _link_holding(e, "c4", "coefficients.yaml")
    ),
    "coefficients study name is a path": lambda e: _coefficients(e, "--study", "../escape"),
    "coefficients study name hidden": lambda e: _coefficients(e, "--study", ".kept"),
    "coefficients study name absolute": lambda e: _coefficients(e, "--study", "/tmp/escape"),
    "coefficients out is a file": lambda e: _coefficients(e, "--out", e["arch"]),
    "sweep study name is a path": lambda e: _sweep(e, "--study", "../escape"),
    "sweep study name hidden": lambda e: _sweep(e, "--study", ".kept"),
    "sweep sweep.csv is the storage": lambda e: _sweep(
        e, "--study", "w1", "--storage", f"sqlite:///{e['out']}/w1/sweep.csv"
    ),
    "sweep sweep.csv is a device": lambda e: _sweep(
        e, "--study", "w2", "--out", _link_holding(e, "w2", "sweep.csv")
    ),
    # export and evaluate
    "export out is the weights": lambda e: _export(
        e, "--format", "state-dict", "--weights", e["weights"], "--out", e["weights"]
    ),
    "export out is the base": lambda e: _export(e, "--format", "yaml", "--out", e["arch"]),
    "export out is the coefficients": lambda e: _export(
        e, "--coefficients", e["coeffs"], "--phi", "1", "--format", "yaml", "--out", e["coeffs"]
    ),
    "export out is a device": lambda e: _export(e, "--format", "onnx", "--out", "/dev/null"),
    "export out is a folder": lambda e: _export(e, "--format", "yaml", "--out", e["folder"]),
    "export out under a file": lambda e: _export(e, "--format", "yaml", "--out", e["arch"] + "/m.yaml"),
    "evaluate json-out is the arch": lambda e: _evaluate(e, "--json-out", e["arch"]),
    "evaluate json-out is the proxy": lambda e: _evaluate(e, "--json-out", e["proxy"]),
    "evaluate json-out is a device": lambda e: _evaluate(e, "--json-out", "/dev/null"),
    "evaluate json-out is a folder": lambda e: _evaluate(e, "--json-out", e["folder"]),
}


def _folder_holding(e: dict[str, str], study: str, name: str) -> str:
    """An --out whose ``<study>/<name>`` is a folder."""
    Path(e["tmp"], "outs", study, name).mkdir(parents=True, exist_ok=True)
    return str(Path(e["tmp"], "outs"))


def _link_holding(e: dict[str, str], study: str, name: str) -> str:
    """An --out whose ``<study>/<name>`` is a symlink to /dev/null (a device)."""
    folder = Path(e["tmp"], "devs", study)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to("/dev/null")
    return str(folder.parent)


def _arch_inside(e: dict[str, str], study: str, name: str) -> str:
    path = Path(e["out"], study, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(e["arch"], path)
    return str(path)


STORAGE_CASES = {
    "baseline storage in memory": lambda e: _baseline(e, "--storage", "sqlite://"),
    "baseline storage memory file": lambda e: _baseline(e, "--storage", "sqlite:///:memory:"),
    "coefficients storage in memory": lambda e: _coefficients(e, "--storage", "sqlite://"),
    "sweep storage in memory": lambda e: _sweep(e, "--storage", "sqlite:///:memory:"),
    "report storage in memory": lambda e: ["report", "--storage", "sqlite://"],
    "dashboard storage in memory": lambda e: ["dashboard", "--storage", "sqlite:///:memory:", "--port", "0"],
    "baseline storage corrupt page": lambda e: _baseline(e, "--storage", e["corrupt"]),
    "coefficients storage corrupt page": lambda e: _coefficients(e, "--storage", e["corrupt"]),
    "sweep storage corrupt page": lambda e: _sweep(e, "--storage", e["corrupt"]),
    "report storage corrupt page": lambda e: ["report", "--storage", e["corrupt"], "--study", "base-study"],
    "baseline storage not a database": lambda e: _baseline(e, "--storage", e["notdb"]),
    "report storage not a database": lambda e: ["report", "--storage", e["notdb"]],
    "baseline storage read-only": lambda e: _baseline(e, "--storage", e["readonly"]),
    "coefficients storage read-only": lambda e: _coefficients(e, "--storage", e["readonly"]),
    "baseline storage under a file": lambda e: _baseline(e, "--storage", f"sqlite:///{e['arch']}/x.db"),
}

HONEST_CASES = {
    "baseline target above the space": lambda e: _baseline(e, "--target-flops", "50G"),
    "baseline target below the space": lambda e: _baseline(e, "--target-flops", "1K"),
    "baseline band excludes the space": lambda e: _baseline(
        e, "--target-flops", "100M", "--flops-band", "0.9,1.1"
    ),
}

DASHBOARD_CASES = {
    "dashboard host empty": lambda e: _dash(e, ""),
    "dashboard host any ipv4": lambda e: [
        "dashboard",
        "--storage",
        e["db"],
        "--host",
        "0.0.0.0",
        "--port",
        "0",
    ],
    "dashboard host any ipv6": lambda e: _dash(e, "::"),
    "dashboard host lan address": lambda e: [
        "dashboard",
        "--storage",
        e["db"],
        "--host",
        "192.168.1.5",
        "--port",
        "0",
    ],
    "dashboard host name": lambda e: [
        "dashboard",
        "--storage",
        e["db"],
        "--host",
        "example.org",
        "--port",
        "0",
    ],
}

SECRET_CASES = {
    f"{command} password as {form}": (
        lambda e, command=command, url=url: {
            "baseline": lambda: _baseline(e, "--storage", url),
            "coefficients": lambda: _coefficients(e, "--storage", url),
            "report": lambda: ["report", "--storage", url],
            "dashboard": lambda: ["dashboard", "--storage", url, "--port", "0"],
        }[command]()
    )
    for form, url in SECRET_URLS.items()
    for command in ("baseline", "coefficients", "report", "dashboard")
    if form != "userinfo"  # the original table already has it
}

HARDENING_CASES = {**OUTPUT_CASES, **STORAGE_CASES, **HONEST_CASES, **DASHBOARD_CASES, **SECRET_CASES}
