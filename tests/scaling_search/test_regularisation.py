"""Dropout grows with phi like the released B-series (paper section 4; released table)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaling_search.coefficients_file import PAPER
from scaling_search.official import OFFICIAL
from scaling_search.regularisation import dropout_for, table_dropout
from scaling_search.scale import scale
from search_spaces.arch_yaml import reference_b0


@pytest.mark.parametrize("row", OFFICIAL, ids=lambda r: r.name)
def test_integer_phi_is_the_released_table(row):
    assert table_dropout(row.phi) == row.dropout
    assert scale(reference_b0(), PAPER.alpha, PAPER.beta, PAPER.gamma, row.phi).dropout == row.dropout


@pytest.mark.parametrize(("phi", "dropout"), [(0.5, 0.2), (1.5, 0.25), (2.25, 0.3), (3.5, 0.35), (6.9, 0.5)])
def test_between_rows_is_a_straight_line(phi, dropout):
    assert table_dropout(phi) == pytest.approx(dropout)


@pytest.mark.parametrize("phi", [7, 7.5, 12, 100])
def test_beyond_b7_is_held_at_b7(phi):
    assert table_dropout(phi) == 0.5


@given(st.floats(min_value=0, max_value=20), st.floats(min_value=0, max_value=20))
def test_never_decreases_with_phi(a, b):
    low, high = sorted((a, b))
    assert table_dropout(low) <= table_dropout(high)


@pytest.mark.parametrize("phi", [-0.1, math.nan, math.inf])
def test_bad_phi_is_refused(phi):
    with pytest.raises(ValueError):
        table_dropout(phi)


def test_a_base_without_dropout_stays_without():
    assert dropout_for(replace(reference_b0(), dropout=0.0), 7) == 0.0


def test_dropout_is_capped():
    assert dropout_for(replace(reference_b0(), dropout=0.5), 7) == 0.9
