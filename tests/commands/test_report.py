"""``effsearch report``: listing, tables, CSV/JSON of the trial table, HTML, and user errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import cli
from commands.report import default_html_path


def test_without_study_lists_the_studies(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--storage", studies_db]) == 0
    out = capsys.readouterr().out
    for name in ("toy-baseline", "toy-coefficients", "tiny", "empty"):
        assert name in out
    assert "coefficients" in out


def test_study_list_as_json(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--storage", studies_db, "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["tiny"]["n_trials"] == 8 and rows["tiny"]["kind"] == "baseline"
    assert rows["tiny"]["best_trial"] == 2


def test_study_as_terminal_tables(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--storage", studies_db, "--study", "toy-baseline", "--top", "5"]) == 0
    out = capsys.readouterr().out
    for title in ("Search cost", "Leaderboard (top 5", "Pareto front", "What the top 5 chose"):
        assert title in out


def test_coefficients_study_as_terminal_tables(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--storage", studies_db, "--study", "toy-coefficients"]) == 0
    out = capsys.readouterr().out
    assert "Coefficient grid" in out and "★" in out and "single-resolution" in out


def test_empty_study_as_tables(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--storage", studies_db, "--study", "empty"]) == 0
    assert "no trials yet" in capsys.readouterr().out


def test_csv_is_the_full_trial_table(studies_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--storage", studies_db, "--study", "tiny", "--format", "csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(frame) == 8
    assert {"number", "status", "macs", "accuracy", "reward", "reason", "s7.filters", "arch_code"} <= set(
        frame
    )
    assert frame.loc[frame["number"] == 5, "status"].item() == "rejected"
    assert json.loads(frame.loc[0, "curve"]) == [0.9]


def test_json_has_settings_cost_and_every_trial(studies_db: str, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "toy.json"
    argv = [
        "report",
        "--storage",
        studies_db,
        "--study",
        "toy-baseline",
        "--format",
        "json",
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 0
    document = json.loads(out.read_text())
    assert document["kind"] == "baseline" and document["settings"]["target_flops"] == 400_000_000
    assert document["cost"]["n_trials"] == len(document["trials"]) == 49
    running = [t for t in document["trials"] if t["status"] == "running"]
    assert len(running) == 1 and running[0]["accuracy"] is None
    assert isinstance(document["trials"][0]["curve"], list)


def test_html_goes_to_runs_study_report_by_default(
    studies_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        cli.main(["report", "--storage", studies_db, "--study", "toy-coefficients", "--format", "html"]) == 0
    )
    assert (tmp_path / "runs" / "toy-coefficients" / "report.html").is_file()
    assert "runs/toy-coefficients/report.html" in capsys.readouterr().out


def test_default_html_path_is_a_safe_folder_name() -> None:
    assert default_html_path("a/b c") == Path("runs/a_b c/report.html")
    assert default_html_path("..") == Path("runs/study/report.html")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--study", "nope"], "no study named 'nope'"),
        (["--format", "html"], "--format html needs --study"),
        (["--top", "0"], "--top must be at least 1"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    studies_db: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(["report", "--storage", studies_db, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_missing_storage_is_exit_2_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "effsearch.db"
    result = subprocess.run(
        [sys.executable, "-m", "cli", "report", "--storage", f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        cwd=Path(cli.__file__).parent,
        timeout=120,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not path.exists() and not path.parent.exists()


def test_default_storage_is_the_searchs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report"]) == 2
    assert "runs/effsearch.db" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_report_while_a_search_is_writing(tmp_path: Path) -> None:
    """A writer process adds trials while reports are read: every read succeeds."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    writer = textwrap.dedent(
        f"""
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(study_name="live", storage={url!r}, direction="maximize")
        study.set_user_attr("kind", "baseline")
        print("ready", flush=True)
        for i in range(20):
            trial = study.ask()
            trial.set_user_attr("macs", 300_000_000 + i)
            trial.set_user_attr("accuracy", 0.5 + i / 100)
            trial.set_user_attr("reward", 0.5 + i / 100)
            study.tell(trial, 0.5 + i / 100)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        reads = 0
        while proc.poll() is None or reads < 2:
            out = tmp_path / f"live{reads}.json"
            argv = ["report", "--storage", url, "--study", "live", "--format", "json", "--out", str(out)]
            assert cli.main(argv) == 0
            assert json.loads(out.read_text())["study"] == "live"
            reads += 1
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    assert len(json.loads(out.read_text())["trials"]) <= 20
