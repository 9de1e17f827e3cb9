"""Display rules: the reward is a plain number, piped output keeps its width, objectives are named."""

from __future__ import annotations

import optuna

from nas.search.driver import name_metrics
from results.formatting import PIPED_WIDTH, REWARD_SPEC, number, stdout_console


def test_reward_is_a_plain_number_not_a_percentage():
    assert number(1.0052, REWARD_SPEC) == "1.0052"
    assert "%" not in number(0.73, REWARD_SPEC)


def test_piped_console_is_wide(monkeypatch, capsys):
    console = stdout_console()  # pytest's captured stdout is not a terminal
    assert console.width == PIPED_WIDTH
    console.print("x" * 200)
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) == 200


def test_objectives_are_named_for_the_dashboard():
    single = optuna.create_study(direction="maximize")
    name_metrics(single, False)
    assert single.metric_names == ["reward"]
    double = optuna.create_study(directions=["maximize", "minimize"])
    name_metrics(double, True)
    assert double.metric_names == ["accuracy", "macs"]
