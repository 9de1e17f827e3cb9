"""Bad input everywhere: every subcommand refuses a user mistake before any work starts, with one
line on stderr, exit code 2, never a traceback, and stored studies left exactly as they were.

Each case is the argv of one ``effsearch`` call (run in-process through ``cli.main``); the rest of
the flags are valid and cheap (synthetic data, a tiny space and proxy, one trial), so a missing
check shows up as a run that starts (exit 0) instead of an error.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest

import cli
from tests.bad_input_hardening import HARDENING_CASES, add_files, release

TINY_SPACE = """
name: tiny
reference:
  resolution: 32
  stem: {channels: 8, kernel: 3, stride: 2}
  head: {channels: 32}
  stages:
    - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, out_channels: 8, layers: 1}
    - {op: mbconv, kernel: 3, stride: 2, expansion: 3, se_ratio: 0.25, out_channels: 16, layers: 1}
choices: {kernel: [3, 5], layers: [0, 1]}
"""
TINY_PROXY = "epochs: 1\ntrain_subset: 32\nval_size: 16\nresolution: 16\nbatch_size: 16\n"
TINY_ARCH = """
name: tiny
resolution: 32
stem: {channels: 8, kernel: 3, stride: 2}
head: {channels: 32}
stages:
  - {op: mbconv, kernel: 3, stride: 1, expansion: 1, se_ratio: 0.25, skip: true, out_channels: 8, layers: 1}
"""
UNREACHABLE = "postgresql+psycopg://u:secretpw@127.0.0.1:1/x"
SYNTH = "synthetic:classes=3,size=12,channels=1,train=60,test=10"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, str]:
    """A SQLite storage holding two studies that no case may touch (made once), and its dump."""
    path = tmp_path_factory.mktemp("template") / "study.db"
    seed_studies(f"sqlite:///{path}")
    return path, dump(path)


@pytest.fixture
def env(tmp_path: Path, template: tuple[Path, str]) -> Iterator[dict[str, str]]:
    files = {
        "space": TINY_SPACE,
        "proxy": TINY_PROXY,
        "arch": TINY_ARCH,
        "broken": "stages: [ {op: mbconv, kernel: 3\n",
        "bad_space": TINY_SPACE.replace("kernel: [3, 5]", "kernel: [3, 4]"),
        "bad_proxy": TINY_PROXY + "learning_rate: 0.1\n",
        "not_yaml_map": "- just\n- a list\n",
        "garbage": "\x00\x01 not a state dict",
    }
    out = {name: str(tmp_path / f"{name}.yaml") for name in files}
    for name, text in files.items():
        Path(out[name]).write_text(text)
    shutil.copy(template[0], tmp_path / "study.db")
    out["db"] = f"sqlite:///{tmp_path}/study.db"
    out["db_file"] = str(tmp_path / "study.db")
    out["missing"] = str(tmp_path / "missing.yaml")
    out["out"] = str(tmp_path / "runs")
    add_files(out, tmp_path)
    yield out
    release(tmp_path)


def baseline(e: dict[str, str], *flags: str) -> list[str]:
    return [
        "baseline",
        "--space",
        e["space"],
        "--proxy",
        e["proxy"],
        "--dataset",
        SYNTH,
        "--target-flops",
        "300K",
        "--search-resolution",
        "32",
        "--n-trials",
        "1",
        "--device",
        "cpu",
        "--storage",
        e["db"],
        "--study",
        "kept",
        "--out",
        e["out"],
        *flags,
    ]


def coefficients(e: dict[str, str], *flags: str) -> list[str]:
    return [
        "coefficients",
        "--base",
        e["arch"],
        "--proxy",
        e["proxy"],
        "--dataset",
        SYNTH,
        "--max-candidates",
        "1",
        "--device",
        "cpu",
        "--storage",
        e["db"],
        "--study",
        "kept",
        "--out",
        e["out"],
        *flags,
    ]


CASES = {
    # baseline: targets, reward, band, budget
    "baseline target unparsable": lambda e: baseline(e, "--target-flops", "lots"),
    "baseline target negative": lambda e: baseline(e, "--target-flops", "-400M"),
    "baseline target zero": lambda e: baseline(e, "--target-flops", "0"),
    "baseline w positive": lambda e: baseline(e, "--w", "0.5"),
    "baseline band inverted": lambda e: baseline(e, "--flops-band", "1.5,0.5"),
    "baseline n-trials zero": lambda e: baseline(e, "--n-trials", "0"),
    "baseline timeout negative": lambda e: baseline(e, "--timeout", "-3"),
    "baseline worker-id negative": lambda e: baseline(e, "--worker-id", "-1"),
    "baseline search resolution tiny": lambda e: baseline(e, "--search-resolution", "2"),
    "baseline epochs zero": lambda e: baseline(e, "--epochs", "0"),
    # baseline: names
    "baseline unknown sampler": lambda e: baseline(e, "--sampler", "annealing"),
    "baseline unknown pruner": lambda e: baseline(e, "--pruner", "sometimes"),
    "baseline unknown dataset": lambda e: baseline(e, "--dataset", "imagenet-22k"),
    "baseline nsga2 with pruner": lambda e: baseline(e, "--sampler", "nsga2", "--pruner", "median"),
    # baseline: a flag the chosen --strategy would ignore
    "baseline standalone with promote": lambda e: baseline(e, "--promote", "2"),
    "baseline standalone with repeats": lambda e: baseline(e, "--repeats", "3"),
    "baseline standalone with supernet epochs": lambda e: baseline(e, "--supernet-epochs", "2"),
    "baseline oneshot with log-to": lambda e: baseline(e, "--strategy", "oneshot", "--log-to", "mlflow"),
    # baseline: files
    "baseline space missing": lambda e: baseline(e, "--space", e["missing"]),
    "baseline space malformed yaml": lambda e: baseline(e, "--space", e["broken"]),
    "baseline space invalid choice": lambda e: baseline(e, "--space", e["bad_space"]),
    "baseline proxy missing": lambda e: baseline(e, "--proxy", e["missing"]),
    "baseline proxy unknown key": lambda e: baseline(e, "--proxy", e["bad_proxy"]),
    "baseline proxy not a mapping": lambda e: baseline(e, "--proxy", e["not_yaml_map"]),
    "baseline data dir missing": lambda e: baseline(e, "--dataset", "cifar10", "--data-dir", e["missing"]),
    # baseline: storage, study, device
    "baseline storage unreachable": lambda e: baseline(e, "--storage", UNREACHABLE),
    "baseline storage unknown kind": lambda e: baseline(e, "--storage", "nosuchdb://x/y"),
    "baseline storage not a url": lambda e: baseline(e, "--storage", "runs/effsearch.db"),
    "baseline study of another kind": lambda e: baseline(e, "--study", "coef-study"),
    "baseline study other settings": lambda e: baseline(e, "--study", "base-study"),
    "baseline device absent": lambda e: baseline(e, "--device", "cuda:7"),
    "baseline device unknown": lambda e: baseline(e, "--device", "tpu"),
    # baseline: where the result goes, refused before any training
    "baseline study name is a path": lambda e: baseline(e, "--study", "../escape"),
    "baseline study name hidden": lambda e: baseline(e, "--study", ".kept"),
    "baseline out is a file": lambda e: baseline(e, "--out", e["arch"]),
    "baseline threads zero": lambda e: baseline(e, "--threads", "0"),
    # coefficients
    "coefficients phi zero": lambda e: coefficients(e, "--phi", "0"),
    "coefficients phi too large": lambda e: coefficients(e, "--phi", "50"),
    "coefficients phi nan": lambda e: coefficients(e, "--phi", "nan"),
    "coefficients base missing": lambda e: coefficients(e, "--base", e["missing"]),
    "coefficients base malformed yaml": lambda e: coefficients(e, "--base", e["broken"]),
    "coefficients repeats zero": lambda e: coefficients(e, "--repeats", "0"),
    "coefficients max-candidates zero": lambda e: coefficients(e, "--max-candidates", "0"),
    "coefficients grid step zero": lambda e: coefficients(e, "--grid-step", "0"),
    "coefficients tolerance negative": lambda e: coefficients(e, "--tolerance", "-1"),
    "coefficients unknown dataset": lambda e: coefficients(e, "--dataset", "mnist-9000"),
    "coefficients device absent": lambda e: coefficients(e, "--device", "cuda:7"),
    "coefficients storage unreachable": lambda e: coefficients(e, "--storage", UNREACHABLE),
    "coefficients study of another kind": lambda e: coefficients(e, "--study", "base-study"),
    # scale, cost, space, export, evaluate
    "scale phi negative": lambda e: ["scale", "--phi", "-1"],
    "scale phi unparsable": lambda e: ["scale", "--phi", "big"],
    "scale coefficients missing": lambda e: ["scale", "--phi", "1", "--coefficients", e["missing"]],
    "scale base unknown": lambda e: ["scale", "--phi", "1", "--base", "b9"],
    "cost arch unknown": lambda e: ["cost", "--arch", "resnet-9000"],
    "cost resolution zero": lambda e: ["cost", "--resolution", "0"],
    "cost classes zero": lambda e: ["cost", "--classes", "0"],
    "space invalid choice": lambda e: ["space", "--space", e["bad_space"]],
    "space malformed yaml": lambda e: ["space", "--space", e["broken"]],
    "export weights missing": lambda e: ["export", "--weights", e["missing"], "--out", e["out"] + "/m.pt"],
    "export weights garbage": lambda e: ["export", "--weights", e["garbage"], "--out", e["out"] + "/m.pt"],
    "export unknown format": lambda e: ["export", "--format", "caffe", "--out", e["out"] + "/m"],
    "export base unknown": lambda e: ["export", "--base", "b9", "--format", "yaml", "--out", e["out"] + "/m"],
    "export base code malformed": lambda e: [
        "export",
        "--base",
        "stem_c32|x",
        "--format",
        "yaml",
        "--out",
        "m",
    ],
    "evaluate arch unknown": lambda e: ["evaluate", "--arch", "b8", "--dataset", SYNTH],
    "evaluate arch missing": lambda e: ["evaluate", "--arch", e["missing"], "--dataset", SYNTH],
    "evaluate device absent": lambda e: [
        "evaluate",
        "--arch",
        e["arch"],
        "--dataset",
        SYNTH,
        "--device",
        "cuda:7",
    ],
    "evaluate epochs zero": lambda e: ["evaluate", "--arch", e["arch"], "--dataset", SYNTH, "--epochs", "0"],
    # report, dashboard
    "report storage missing file": lambda e: ["report", "--storage", "sqlite:////nonexistent/dir/x.db"],
    "report storage unreachable": lambda e: ["report", "--storage", UNREACHABLE],
    "report unknown study": lambda e: ["report", "--storage", e["db"], "--study", "nosuch"],
    "report top zero": lambda e: ["report", "--storage", e["db"], "--study", "base-study", "--top", "0"],
    "dashboard port out of range": lambda e: ["dashboard", "--storage", e["db"], "--port", "70000"],
    "dashboard storage unreachable": lambda e: ["dashboard", "--storage", UNREACHABLE, "--port", "0"],
}
ORIGINAL_CASES = dict(CASES)
CASES.update(HARDENING_CASES)  # issue 12: outputs, storages, honest exits, dashboard host, secrets


def seed_studies(db: str) -> None:
    """Two studies the cases must not touch: a baseline with other settings and a coefficient study."""
    storage = optuna.storages.RDBStorage(db)
    base = optuna.create_study(storage=storage, study_name="base-study", direction="maximize")
    base.set_user_attr("settings", {"target_flops": 400_000_000, "dataset": "fashion-mnist"})
    base.set_user_attr("kind", "baseline")
    base.add_trial(optuna.trial.create_trial(value=0.5, user_attrs={"role": "reference", "reward": 0.5}))
    coef = optuna.create_study(storage=storage, study_name="coef-study", direction="maximize")
    coef.set_user_attr("kind", "coefficients")
    coef.set_user_attr("settings", {"phi": 1.0})


def dump(path: str | Path) -> str:
    """Every row of every table (SQL text): equal dumps mean nothing stored changed."""
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every regular file under ``folder`` (symlinks not followed) but the cases' live
    storage ``study.db``, whose content is compared as an SQL dump (opening may switch it to WAL)."""
    hashes = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name.startswith(("study.db", "db-hardlink")):
            continue
        hashes[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(case, env, template, capsys, tmp_path):
    if "read-only" in case and not env["ro_ok"]:
        pytest.skip("chattr +i is not available here")
    argv = CASES[case](env)
    before = file_hashes(tmp_path)
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse refusals
        code = exc.code
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, f"{case}: exit {code}\nstdout: {captured.out[-800:]}\nstderr: {err[-800:]}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{case}: stderr has {len(lines)} lines:\n{err}"
    assert "Traceback" not in err and "Traceback" not in captured.out
    assert "secretpw" not in err + captured.out
    assert dump(env["db_file"]) == template[1]  # nothing stored was touched, no study was created
    assert not Path(env["out"], "kept").exists()
    assert file_hashes(tmp_path) == before  # no input changed, no file was written anywhere


def test_issue_12_added_at_least_60_cases():
    assert len(HARDENING_CASES) >= 60
    assert not set(HARDENING_CASES) & set(ORIGINAL_CASES)


def test_there_are_at_least_25_cases_across_every_command():
    assert len(CASES) >= 25
    commands = {
        CASES[name](
            {k: "x" for k in ("space", "proxy", "arch", "db", "out", "missing")}
            | {"broken": "x", "bad_space": "x", "bad_proxy": "x", "not_yaml_map": "x", "garbage": "x"}
        )[0]
        for name in ORIGINAL_CASES
    }
    assert commands >= {
        "baseline",
        "coefficients",
        "scale",
        "cost",
        "space",
        "export",
        "evaluate",
        "report",
        "dashboard",
    }
