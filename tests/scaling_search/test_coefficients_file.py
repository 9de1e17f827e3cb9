"""Coefficient files: YAML round trip, coercion, one clear UserError per malformed file, base check."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import yaml

from scaling_search.coefficients_file import (
    PAPER,
    Coefficients,
    check_base,
    load_coefficients,
    save_coefficients,
)
from scaling_search.official import official_arch
from search_spaces.arch_yaml import reference_b0
from search_spaces.codes import arch_code
from search_spaces.errors import UserError

B0_CODE = arch_code(reference_b0())


def test_paper_coefficients():
    assert (PAPER.alpha, PAPER.beta, PAPER.gamma, PAPER.source, PAPER.base_code) == (
        1.2,
        1.1,
        1.15,
        "paper",
        None,
    )
    assert PAPER.constraint == pytest.approx(1.92, abs=1e-3)  # the paper's "~= 2"


def test_round_trip(tmp_path):
    coeffs = Coefficients(1.25, 1.05, 1.2, "search", B0_CODE)
    path = save_coefficients(
        coeffs, tmp_path / "sub" / "c.yaml", evidence={"grid": [(1.2, 1.1, 1.15)], "best": 0.91}, phi=1
    )
    loaded = load_coefficients(path)
    assert (loaded.alpha, loaded.beta, loaded.gamma, loaded.base_code) == (1.25, 1.05, 1.2, B0_CODE)
    assert loaded.source == str(path)
    data = yaml.safe_load(path.read_text())
    assert data["evidence"] == {"grid": [[1.2, 1.1, 1.15]], "best": 0.91} and data["phi"] == 1.0


def test_proxy_is_kept(tmp_path):
    path = save_coefficients(PAPER, tmp_path / "c.yaml", proxy={"epochs": 3, "lr": 1e-3})
    assert yaml.safe_load(path.read_text())["proxy"] == {"epochs": 3, "lr": 1e-3}
    assert load_coefficients(path).base_code is None


def test_numbers_written_as_strings_are_coerced(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("alpha: 12e-1\nbeta: '1.1'\ngamma: 1.15\n")  # PyYAML reads 12e-1 as a string
    coeffs = load_coefficients(path)
    assert (coeffs.alpha, coeffs.beta, coeffs.gamma) == (1.2, 1.1, 1.15)


@pytest.mark.parametrize(
    "text,message",
    [
        ("beta: 1.1\ngamma: 1.15\n", "missing key 'alpha'"),
        ("alpha: abc\nbeta: 1.1\ngamma: 1.15\n", "alpha must be a number"),
        ("alpha: 0.9\nbeta: 1.1\ngamma: 1.15\n", "alpha must be a finite number >= 1"),
        ("alpha: .nan\nbeta: 1.1\ngamma: 1.15\n", "alpha must be finite"),
        ("alpha: [1]\nbeta: 1.1\ngamma: 1.15\n", "alpha must be a number"),
        ("alpha: 1.2\nbeta: 1.1\ngamma: 1.15\nbogus: 1\n", "unknown key"),
        ("alpha: 1.2\nbeta: 1.1\ngamma: 1.15\nbase: 7\n", "base must be an architecture code"),
        ("alpha: 1.2\nbeta: 1.1\ngamma: 1.15\nbase: nonsense\n", "base: malformed architecture code"),
        ("alpha: 1.2\nbeta: 1.1\ngamma: 1.15\nphi: x\n", "phi must be a number"),
        ("- 1.2\n- 1.1\n", "expected a mapping"),
        ("alpha: [1.2\n", "not valid YAML"),
        ("", "expected a mapping"),
    ],
)
def test_malformed_files_are_one_clear_user_error(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=message) as info:
        load_coefficients(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="coefficients file not found"):
        load_coefficients(tmp_path / "nope.yaml")


@pytest.mark.parametrize("bad", [0.99, math.inf, math.nan, "1.2", True])
def test_coefficients_validate_themselves(bad):
    with pytest.raises(UserError):
        Coefficients(bad, 1.1, 1.15, "x")


def test_base_check_accepts_the_same_base_and_no_base():
    check_base(Coefficients(1.2, 1.1, 1.15, "f.yaml", B0_CODE), reference_b0())
    check_base(PAPER, official_arch("b3"))


def test_base_check_ignores_dropout_and_stochastic_depth():
    check_base(
        Coefficients(1.2, 1.1, 1.15, "f", B0_CODE), replace(reference_b0(), dropout=0.5, drop_connect=0)
    )


def test_base_check_refuses_another_base(tmp_path):
    path = save_coefficients(Coefficients(1.2, 1.1, 1.15, "x", B0_CODE), tmp_path / "c.yaml")
    coeffs = load_coefficients(path)
    with pytest.raises(UserError, match=f"coefficients in {path} were found for another base architecture"):
        check_base(coeffs, official_arch("b1"))
