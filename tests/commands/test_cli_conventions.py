"""Conventions every command follows: --version, bare help, --quiet/--threads where training, completion."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cli import build_parser, main
from commands.completion import bash_script

#: The commands that train networks: each has --quiet and --threads.
TRAINING = ("evaluate", "baseline", "coefficients", "sweep")


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return parser, action.choices


def test_version_and_bare_command_exit_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("effsearch ")
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: effsearch" in out and "baseline" in out


@pytest.mark.parametrize("name", TRAINING)
def test_training_commands_have_quiet_and_threads(name):
    _, commands = _subparsers()
    options = {o for a in commands[name]._actions for o in a.option_strings}
    assert {"--quiet", "--threads"} <= options


@pytest.mark.parametrize("name", TRAINING)
def test_threads_below_one_is_refused(name, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    storage = [] if name == "evaluate" else ["--storage", f"sqlite:///{tmp_path}/s.db"]
    code = main([name, "--threads", "0", "--dataset", "synthetic", "--device", "cpu", *storage])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--threads must be at least 1" in err[0]


def test_bash_completion_knows_commands_flags_and_choices():
    parser, _ = _subparsers()
    script = bash_script(parser)
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    probe = (
        script
        + '\nCOMP_WORDS=(effsearch bas); COMP_CWORD=1; _effsearch_complete; echo "${COMPREPLY[*]}"'
        + "\nCOMP_WORDS=(effsearch baseline --sampler ''); COMP_CWORD=3; _effsearch_complete;"
        + ' echo "${COMPREPLY[*]}"'
        + '\nCOMP_WORDS=(effsearch evaluate --thr); COMP_CWORD=2; _effsearch_complete; echo "${COMPREPLY[*]}"'
    )
    out = subprocess.run([bash, "-c", probe], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["baseline", "tpe random rl nsga2", "--threads"]


def test_completion_command_prints_both_shells(capsys):
    assert main(["completion", "bash"]) == 0
    assert "complete -o default" in capsys.readouterr().out
    assert main(["completion", "zsh"]) == 0
    assert "bashcompinit" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["completion", "fish"])
    assert exc.value.code == 2
