"""Hostile YAML through every command that reads YAML: one line on stderr, exit code 2, quickly.

Alias bombs, deep nesting, oversized files and non-finite or out-of-range architecture numbers
(issue 12, "safe inputs"), for architecture, search-space, proxy and coefficients files.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import main
from search_spaces.arch_yaml import builtin_yaml
from search_spaces.yaml_io import MAX_YAML_BYTES

ROOT = Path(__file__).resolve().parents[1]


def alias_bomb() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


HOSTILE = {
    "bomb": (alias_bomb(), "alias bomb"),
    "deep": ("[" * 5000 + "]" * 5000 + "\n", "levels"),
    "oversized": ("name: x\n" + "#" * (MAX_YAML_BYTES + 1) + "\n", "byte limit"),
}
COMMANDS = {
    "arch": ["cost", "--arch"],
    "space": ["space", "--space"],
    "proxy": ["evaluate", "--arch", "b0", "--proxy"],
    "coefficients": ["scale", "--phi", "1", "--coefficients"],
}


def one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and "Traceback" not in err, err[:500]
    assert len(err) < 400 and "lol" not in captured.out
    return err


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("command", COMMANDS)
def test_hostile_yaml_is_one_line_exit_2(tmp_path, capsys, kind, command):
    text, match = HOSTILE[kind]
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    err = one_line_exit_2([*COMMANDS[command], str(path)], capsys)
    assert time.monotonic() - started < 30  # the first run of a command pays its imports (torch)
    assert str(path) in err and match in err


def b0_with(pattern: str, value: str) -> str:
    text, count = re.subn(pattern, value, builtin_yaml("b0.yaml"), count=1, flags=re.MULTILINE)
    assert count == 1
    return text


@pytest.mark.parametrize(
    "pattern,value,field",
    [
        (r"out_channels: 16", "out_channels: .nan", "stages[0].out_channels"),
        (r"kernel: 5", "kernel: .inf", "stages[2].kernel"),
        (r"layers: 4", "layers: -.inf", "stages[5].layers"),
        (r"expansion: 6", "expansion: .NaN", "stages[1].expansion"),
        (r"se_ratio: 0.25", "se_ratio: .nan", "stages[0].se_ratio"),
        (r"^resolution: 224", "resolution: .inf", "resolution"),
        (r"^dropout: 0.2", "dropout: .nan", "dropout"),
        (r"channels: 32", "channels: .nan", "stem.channels"),
        (r"channels: 1280", "channels: .inf", "head.channels"),
    ],
)
def test_non_finite_architecture_numbers_are_refused_by_field(tmp_path, capsys, pattern, value, field):
    path = tmp_path / "arch.yaml"
    path.write_text(b0_with(pattern, value), encoding="utf-8")
    err = one_line_exit_2(["cost", "--arch", str(path)], capsys)
    assert f"{field} must be a finite number" in err


@pytest.mark.parametrize("value", ["1.0e+300", "9" * 400, "123456789012345678901234567890"])
def test_out_of_range_architecture_numbers_are_refused_by_field_with_a_short_quote(tmp_path, capsys, value):
    path = tmp_path / "arch.yaml"
    path.write_text(b0_with(r"out_channels: 16", f"out_channels: {value}"), encoding="utf-8")
    err = one_line_exit_2(["cost", "--arch", str(path)], capsys)
    assert "stages[0].out_channels" in err and "9" * 80 not in err


def test_console_alias_bomb_exits_2_at_once(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "cost", "--arch", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "alias bomb" in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60  # the process start dominates; the refusal itself is instant
