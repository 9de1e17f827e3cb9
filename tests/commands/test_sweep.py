"""``effsearch sweep``: Figures 3 and 4 on a tiny proxy, resume, refusal, bad flags, the HTML plots."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

import cli
from nas.data.datasets import load_dataset
from nas.studies.storage import open_storage
from nas.training.proxy import proxy_to_yaml
from nas.training.trainer import evaluate
from scaling_search.sweep import FIGURE4_SETTINGS, SweepConfig, parse_values
from scaling_search.sweep_study import run_sweep
from search_spaces.arch_yaml import arch_to_yaml
from search_spaces.errors import UserError
from tests.scaling_search.test_coefficient_search import DATASET, PROXY, TINY


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "tiny.yaml").write_text(arch_to_yaml(TINY))
    (tmp_path / "proxy.yaml").write_text(proxy_to_yaml(PROXY))
    return {
        "base": str(tmp_path / "tiny.yaml"),
        "proxy": str(tmp_path / "proxy.yaml"),
        "storage": f"sqlite:///{tmp_path}/runs/effsearch.db",
        "out": str(tmp_path / "runs"),
    }


def _argv(files: dict[str, str], *extra: str) -> list[str]:
    return [
        "sweep", "--base", files["base"], "--proxy", files["proxy"], "--dataset", DATASET,
        "--device", "cpu", "--storage", files["storage"], "--out", files["out"], "--study", "sw", *extra,
    ]  # fmt: skip


def test_width_sweep_runs_writes_and_resumes(files: dict[str, str], capsys) -> None:
    argv = _argv(files, "--dimension", "width", "--values", "1,1.4", "--format", "json")
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert [r["width"] for r in rows] == [1.0, 1.4] and {r["series"] for r in rows} == {"width"}
    assert rows[1]["macs"] > rows[0]["macs"] and all(r["accuracy"] is not None for r in rows)
    assert "2 training(s) this run" in err
    folder = Path(files["out"]) / "sw"
    assert (folder / "sweep.csv").read_text().startswith("series,width,depth")
    assert (folder / "report.html").exists()

    assert cli.main(argv) == 0  # the same command resumes: nothing left to train
    out, err = capsys.readouterr()
    assert "0 training(s) this run" in err and json.loads(out) == rows


def test_a_mismatched_or_foreign_study_is_refused(files: dict[str, str], capsys) -> None:
    assert cli.main(_argv(files, "--dimension", "width", "--values", "1")) == 0
    capsys.readouterr()
    assert cli.main(_argv(files, "--dimension", "width", "--values", "1,1.8")) == 2
    err = capsys.readouterr().err
    assert "different settings" in err and "values" in err and len(err.strip().splitlines()) == 1
    storage = open_storage(files["storage"])
    optuna.create_study(storage=storage, study_name="other").set_user_attr("kind", "baseline")
    assert cli.main([*_argv(files, "--dimension", "width", "--values", "1"), "--study", "other"]) == 2
    assert "not a sweep" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--dimension", "height"], "--dimension 'height'"),
        (["--dimension", "width", "--values", "1,x"], "'x' is not a number"),
        (["--dimension", "width", "--values", "0"], "outside"),
        (["--dimension", "depth", "--values", "100"], "outside"),
        (["--dimension", "width", "--values", "1,1"], "repeats a value"),
        (["--dimension", "width", "--values", "nan"], "outside"),
        (["--dimension", "all", "--values", "1,2"], "not all"),
        (["--dimension", "width", "--repeats", "0"], "--repeats"),
        (["--dimension", "width", "--epochs", "0"], "--epochs"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(
    files: dict[str, str], capsys, extra: list[str], needle: str
) -> None:
    assert cli.main(_argv(files, *extra)) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err
    assert not Path(files["out"], "sw").exists()


def _config(dimension: str, values: tuple[float, ...] = (1.0, 1.4)) -> SweepConfig:
    return SweepConfig(TINY, dimension, values, DATASET, PROXY, 3, 1)


def test_figure3_and_figure4_plans() -> None:
    everything = _config("all", parse_values(None, "all"))
    series = {s for p in everything.points() for s in p.series}
    assert series == {"width", "depth", "resolution"}
    base = [p for p in everything.points() if (p.width, p.depth, p.resolution) == (1, 1, 1)]
    assert len(base) == 1 and set(base[0].series) == series  # the base is trained once, in every line
    depth = _config("depth", parse_values("1,2,8", "depth")).points()
    assert [p.arch.num_blocks for p in depth] == [3, 6, 24]
    res = _config("resolution", parse_values("1,1.3", "resolution")).points()
    assert [p.arch.resolution for p in res] == [64, 83] and res[1].train_resolution == round(12 * 83 / 64)
    fig4 = _config("figure4").points()
    names = {s for p in fig4 for s in p.series}
    assert names == {f"d={d:g}, r={r:g}" for d, r in FIGURE4_SETTINGS} and len(fig4) == 8


def test_an_interrupted_sweep_trains_only_what_is_left(tmp_path: Path) -> None:
    data = load_dataset(DATASET, val_size=PROXY.val_size, seed=0)
    calls: list[int] = []
    interrupt = {"at": 2}

    def evaluator(arch, proxy, seed, on_epoch):
        calls.append(seed)
        if len(calls) == interrupt["at"]:
            raise KeyboardInterrupt
        return evaluate(arch, data, proxy, device="cpu", on_epoch=on_epoch, seed=seed)

    storage = open_storage(f"sqlite:///{tmp_path}/s.db")
    config = _config("width", (1.0, 1.4))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(config, evaluator, storage, "w")
    interrupt["at"] = 0  # no more interrupts
    outcome = run_sweep(config, evaluator, storage, "w")
    assert outcome.trained == 1 and sorted(outcome.trials) == [0, 1]
    assert len(calls) == 3  # first, the interrupted one, and that one again
    with pytest.raises(UserError, match="different settings"):
        run_sweep(_config("width", (1.0, 1.8)), evaluator, storage, "w")


@pytest.mark.browser
@pytest.mark.parametrize("dimension", ["figure3", pytest.param("figure4", marks=pytest.mark.slow)])
def test_the_html_report_draws_the_figures(tmp_path: Path, chromium_path: str, dimension: str) -> None:
    from results.html import write_report
    from tests.results.test_browser import _chromium, _root_attrs

    data = load_dataset(DATASET, val_size=PROXY.val_size, seed=0)

    def evaluator(arch, proxy, seed, on_epoch):
        return evaluate(arch, data, proxy, device="cpu", on_epoch=on_epoch, seed=seed)

    # two points per line keep it fast: Figure 3's width panel, Figure 4's four lines
    config = SweepConfig(
        TINY, "width" if dimension == "figure3" else dimension, (1.0, 1.4), DATASET, PROXY, 3, 1
    )
    url = f"sqlite:///{tmp_path}/s.db"
    run_sweep(config, evaluator, open_storage(url), "sw")
    page = write_report(url, "sw", tmp_path / "report.html")
    text = page.read_text()
    slug = "figure4" if dimension == "figure4" else "figure3"
    assert f'data-chart="{slug}"' in text and '"type":"log"' in text.replace(" ", "")
    result = _chromium(chromium_path, tmp_path, "--dump-dom", page.resolve().as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    attrs = _root_attrs(result.stdout)
    assert attrs.get("data-js-errors") == "0", attrs.get("data-js-error-text")
    assert attrs.get("data-charts-rendered") == attrs["data-charts-expected"] == "1"
