"""``--config run.yaml``: flags from a YAML file, the command line winning, bad keys refused up front."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli import build_parser, main, subparser, with_config
from commands import config_file


def _parse(argv: list[str]) -> argparse.Namespace:
    """The final flags of ``effsearch <argv>`` with ``--config`` applied (no command is run)."""
    parser = build_parser()
    args, _ = with_config(parser, parser.parse_args(argv), argv)
    return args


def _write(tmp_path: Path, text: str, name: str = "run.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_yaml_sets_flags_with_dashes_or_underscores(tmp_path):
    path = _write(tmp_path, "target-flops: 300M\nn_trials: 6\nquiet: true\nsampler: random\nw: -0.1\n")
    args = _parse(["baseline", "--config", path])
    assert (args.target_flops, args.n_trials, args.quiet, args.sampler, args.w) == (
        "300M",
        6,
        True,
        "random",
        -0.1,
    )


def test_alias_keys_reach_the_same_flag(tmp_path):
    args = _parse(["coefficients", "--config", _write(tmp_path, "base: b1\nout: elsewhere\n")])
    assert (args.base, args.out) == ("b1", "elsewhere")


def test_command_line_overrides_the_file(tmp_path):
    path = _write(tmp_path, "n-trials: 6\nsampler: random\n")
    args = _parse(["baseline", "--config", path, "--n-trials", "2"])
    assert (args.n_trials, args.sampler) == (2, "random")


def test_unknown_key_is_refused_naming_key_and_file(tmp_path, capsys):
    path = _write(tmp_path, "n-trails: 6\n")
    line = _refused(["baseline", "--config", path, "--storage", f"sqlite:///{tmp_path}/s.db"], capsys)
    assert "n-trails" in line and path in line
    assert not (tmp_path / "s.db").exists()


def test_wrong_type_is_refused(tmp_path, capsys):
    path = _write(tmp_path, "repeats: two\n")
    line = _refused(["sweep", "--config", path], capsys)
    assert "repeats" in line and "whole number" in line and path in line


def test_switch_needs_a_boolean(tmp_path, capsys):
    line = _refused(["baseline", "--config", _write(tmp_path, "quiet: 1\n")], capsys)
    assert "quiet" in line and "true or false" in line


def test_value_outside_the_choices_is_refused(tmp_path, capsys):
    line = _refused(["baseline", "--config", _write(tmp_path, "sampler: ppo\n")], capsys)
    assert "sampler" in line and "tpe" in line


def test_the_flags_own_type_check_applies(tmp_path, capsys):
    line = _refused(["sweep", "--config", _write(tmp_path, "seed: -1\n")], capsys)
    assert "seed" in line and "0..4294967295" in line


def test_same_flag_twice_is_refused(tmp_path, capsys):
    line = _refused(["baseline", "--config", _write(tmp_path, "n-trials: 2\nn_trials: 3\n")], capsys)
    assert "same flag" in line


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path, capsys):
    line = _refused(["baseline", "--config", _write(tmp_path, "- n-trials\n")], capsys)
    assert "mapping" in line


def test_effective_config_reads_back_to_the_same_flags(tmp_path):
    argv = ["sweep", "--dimension", "depth", "--values", "1,2", "--repeats", "2", "--quiet", "--out", "o"]
    parser = build_parser()
    args = parser.parse_args(argv)
    sub = subparser(parser, "sweep")
    path = _write(tmp_path, config_file.dump(config_file.effective(sub, args), "sweep"), "config.yaml")
    replayed = _parse(["sweep", "--config", path])
    assert vars(replayed) == {**vars(args), "config": path}
