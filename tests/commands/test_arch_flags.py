"""``--arch`` and ``--base`` are one grammar (scaling_search/arch_resolver.py), and every
subcommand's help shows every default in one style (commands/flags.py)."""

from __future__ import annotations

import argparse
import json

import pytest

import cli
from commands.flags import HelpFormatter
from scaling_search.arch_resolver import resolve_arch
from scaling_search.inputs import load_base
from search_spaces.arch_yaml import arch_to_yaml, reference_b0
from search_spaces.codes import arch_code

#: Commands whose flags this module's owner keeps; coefficients/scale/sweep adopt the flags later.
OWN_COMMANDS = ("space", "evaluate", "baseline", "cost", "export", "report", "dashboard")


@pytest.fixture
def inputs(tmp_path) -> dict[str, str]:
    path = tmp_path / "runs" / "mine" / "baseline.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(arch_to_yaml(reference_b0(), name="mine"), encoding="utf-8")
    return {"name": "b2", "prefixed": "EfficientNet-B2", "file": str(path), "code": arch_code(reference_b0())}


@pytest.mark.parametrize("kind", ["name", "prefixed", "file", "code"])
def test_arch_and_base_read_the_same_network(kind, inputs, tmp_path, capsys):
    text = inputs[kind]
    assert cli.main(["cost", "--arch", text, "--format", "json"]) == 0
    from_arch = json.loads(capsys.readouterr().out)["code"]
    out = tmp_path / "exported.yaml"
    assert cli.main(["export", "--base", text, "--format", "yaml", "--out", str(out)]) == 0
    from_base = capsys.readouterr().out.splitlines()[-1].removeprefix("code: ")
    assert from_arch == from_base == arch_code(load_base(text)[1]) == arch_code(resolve_arch(text).arch)


def test_names_say_where_the_network_came_from(inputs):
    assert (resolve_arch("b2").name, resolve_arch("b2").kind) == ("b2", "official")
    assert resolve_arch(inputs["file"]).name == "mine"  # a baseline.yaml is named by its study folder
    assert resolve_arch(inputs["code"]).kind == "code"
    assert resolve_arch("efficientnet_b0").arch == reference_b0()


@pytest.mark.parametrize("text", ["b9", "b12", "resnet-9000", "", "no/such/file.yaml"])
def test_arch_and_base_refuse_with_the_same_message(text, capsys):
    assert cli.main(["cost", "--arch", text]) == 2
    arch_err = capsys.readouterr().err
    assert cli.main(["export", "--base", text, "--format", "yaml", "--out", "unused.yaml"]) == 2
    base_err = capsys.readouterr().err
    assert arch_err.count("\n") == base_err.count("\n") == 1
    tail = arch_err.split("error: ", 1)[1].replace("--arch", "--base")
    assert base_err.split("error: ", 1)[1] == tail


def test_a_directory_is_refused(tmp_path):
    from search_spaces.errors import UserError

    with pytest.raises(UserError, match="directory"):
        resolve_arch(str(tmp_path), "--base")


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", OWN_COMMANDS)
def test_help_shows_every_default(command):
    sub = _subparsers()[command]
    assert sub.formatter_class is HelpFormatter
    formatter = HelpFormatter(sub.prog)
    missing = [
        action.option_strings[-1]
        for action in sub._actions
        if action.option_strings
        and not action.required
        and not isinstance(action, argparse._HelpAction)
        and "(default: " not in formatter._get_help_string(action)
    ]
    assert missing == []
    text = sub.format_help()
    assert "(default " not in text.replace("\n", " ")  # one style: "(default: X)"


def test_the_formatter_states_values_switches_and_computed_defaults():
    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    parser.add_argument("--n", type=int, default=3, help="count")
    parser.add_argument("--on", action="store_true", help="switch")
    parser.add_argument("--later", default=None, help="computed (default: from the data)")
    text = " ".join(parser.format_help().split())
    assert "count (default: 3)" in text
    assert "switch (default: off)" in text
    assert "computed (default: from the data)" in text and "None" not in text
