"""Shared number and duration formatting: missing values print as a dash, units follow the size."""

from __future__ import annotations

from results.formatting import MISSING, duration, number


def test_number_formats_finite_values_with_suffix():
    assert number(0.91625, ".2%") == "91.62%"
    assert number("385.8", ".1f", "M") == "385.8M"


def test_number_prints_a_dash_for_missing_or_non_finite():
    assert number(None) == number("n/a") == number(float("nan")) == number(float("inf")) == MISSING


def test_duration_picks_seconds_minutes_or_hours():
    assert duration(42.0) == "42.0 s"
    assert duration(300.0) == "5.0 min"
    assert duration(9000.0) == "2.50 h"
    assert duration(None) == duration(float("nan")) == MISSING


def test_duration_separator_is_configurable():
    assert duration(42.0, sep="") == "42.0s"
