"""Seeds out of every consumer's range are refused where they are given, in one line."""

from __future__ import annotations

import pytest

from cli import main
from nas.data.datasets import load_dataset
from nas.seeds import MAX_SEED, check_seed, seed_argument
from nas.training.proxy import ProxyConfig
from search_spaces.errors import UserError


@pytest.mark.parametrize("seed", [0, 1, MAX_SEED])
def test_seeds_in_range_pass(seed):
    assert check_seed(seed) == seed and seed_argument(str(seed)) == seed


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2**63, 10**30, True, 1.5, "3"])
def test_seeds_out_of_range_are_refused(seed):
    with pytest.raises(UserError, match=r"seed must be .*0\.\.4294967295"):
        check_seed(seed)


def test_proxy_seed_uses_the_same_range():
    with pytest.raises(UserError, match="seed"):
        ProxyConfig(seed=MAX_SEED + 1)
    assert ProxyConfig(seed=MAX_SEED).seed == MAX_SEED


@pytest.mark.parametrize("command", [["evaluate"], ["baseline"], ["coefficients"]])
@pytest.mark.parametrize("value", ["-1", str(MAX_SEED + 1), "9" * 200, "1e3"])
def test_cli_refuses_the_seed_while_parsing(command, value, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--seed", value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --seed" in err and "Traceback" not in err
    assert "9" * 100 not in err  # echoed values are quoted short


@pytest.mark.parametrize(
    "spec",
    ["synthetic:train=100000000", "synthetic:size=256,channels=3,train=1000", "synthetic:test=" + "9" * 30],
)
def test_oversized_synthetic_dataset_is_refused_before_allocation(spec):
    with pytest.raises(UserError, match=r"over the 33,554,432 limit"):
        load_dataset(spec)


def test_synthetic_option_values_are_quoted_short():
    with pytest.raises(UserError) as info:
        load_dataset("synthetic:train=" + "x" * 10_000)
    assert len(str(info.value)) < 200
