"""``runs/<study>/config.yaml``: the effective config beside a run's results, masked, replayable."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from cli import build_parser, main, subparser, with_config
from search_spaces.yaml_io import read_yaml_file

#: A baseline search that trains one tiny candidate on synthetic data in a few seconds.
TINY = [
    "--dataset", "synthetic", "--device", "cpu", "--n-trials", "1", "--epochs", "1", "--train-subset", "64",
    "--search-resolution", "32", "--target-flops", "300M", "--flops-band", "0,inf", "--quiet",
]  # fmt: skip


def _planned(argv: list[str]):
    parser = build_parser()
    _, planned = with_config(parser, parser.parse_args(argv), argv)
    return planned


@pytest.mark.parametrize(
    ("argv", "folder"),
    [
        (["baseline", "--target-flops", "300M", "--dataset", "synthetic"], "baseline-300M-synthetic"),
        (["baseline", "--strategy", "oneshot"], "baseline-400M-fashion-mnist-oneshot"),
        (["coefficients", "--base", "b1", "--out-dir", "o"], "coefficients-b1-phi1-fashion-mnist"),
        (["sweep", "--dimension", "depth", "--study", "mine"], "mine"),
    ],
)
def test_config_goes_into_the_commands_results_folder(argv, folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = "o" if "--out-dir" in argv else "runs"
    assert _planned(argv).path == Path(out) / folder / "config.yaml"


def test_storage_password_is_masked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = _planned(["baseline", "--storage", "postgresql://me:s3cr3t-pw@db.example/studies"]).text
    assert "s3cr3t-pw" not in text and "postgresql://me:***@db.example/studies" in text


def test_masked_password_is_not_replayed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("storage: postgresql://me:***@db.example/studies\n")
    assert main(["baseline", "--config", "c.yaml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "masked" in err[0] and "--storage" in err[0]


def test_config_written_over_an_input_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "runs" / "mine"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("n-trials: 2\n")
    argv = ["baseline", "--study", "mine", "--config", str(folder / "config.yaml"), "--dataset", "synthetic"]
    assert main(argv) == 2
    assert "copy" in capsys.readouterr().err
    assert (folder / "config.yaml").read_text() == "n-trials: 2\n"


def test_search_writes_its_config_and_the_config_replays_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    storage = f"sqlite:///{tmp_path}/s.db"
    assert main(["baseline", *TINY, "--storage", storage]) == 0
    path = tmp_path / "runs" / "baseline-300M-synthetic" / "config.yaml"
    written = read_yaml_file(path, "config")
    assert written["n-trials"] == 1 and written["study"] == "baseline-300M-synthetic"
    parser = build_parser()
    first = parser.parse_args(["baseline", *TINY, "--storage", storage])
    replay = ["baseline", "--config", str(path)]
    again, _ = with_config(parser, parser.parse_args(replay), replay)
    assert vars(again) == {**vars(first), "study": "baseline-300M-synthetic", "config": str(path)}
    before = path.stat().st_mtime_ns
    assert main(replay) == 0
    assert path.stat().st_mtime_ns == before  # same effective config: the input is not rewritten
    (study,) = optuna.get_all_study_summaries(storage)  # the same study resumed, no second one
    assert study.study_name == "baseline-300M-synthetic"


def test_refused_run_leaves_no_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["baseline", *TINY, "--storage", f"sqlite:///{tmp_path}/s.db", "--top", "0"]) == 2
    assert not (tmp_path / "runs").exists()


def test_subparser_finds_the_command():
    assert "--config" in subparser(build_parser(), "sweep").format_help()
    assert "--config" not in subparser(build_parser(), "export").format_help()
