"""The shared flags of commands/flags.py: one name, one default, old spellings kept as aliases."""

from __future__ import annotations

import pytest

from cli import build_parser


@pytest.mark.parametrize("command", ["baseline", "coefficients", "sweep"])
@pytest.mark.parametrize("spelling", ["--out-dir", "--out"])
def test_out_dir_and_its_old_spelling_reach_the_same_flag(command, spelling):
    args = build_parser().parse_args([command, spelling, "elsewhere"])
    assert args.out == "elsewhere"


@pytest.mark.parametrize("command", ["baseline", "coefficients", "sweep"])
def test_out_dir_defaults_to_runs_and_says_it_is_a_folder(command):
    parser = build_parser()
    assert parser.parse_args([command]).out == "runs"
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices[command]
    assert "--out-dir DIR, --out DIR" in sub.format_help()


@pytest.mark.parametrize("command", ["export", "scale", "report"])
def test_file_valued_out_stays_a_file(command):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices[command]
    options = {o for a in sub._actions for o in a.option_strings}
    assert "--out" in options and "--out-dir" not in options
    assert "FILE" in next(a.metavar for a in sub._actions if "--out" in a.option_strings)
