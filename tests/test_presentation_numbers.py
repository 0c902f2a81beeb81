"""Numbers as the reports write them (smlib.presentation.numbers): money, percentages, months,
in English and Spanish (moved from tests/test_narrative.py; the prose that uses them is tested in
tests/test_analyses_executive_text.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib.presentation import numbers


@pytest.mark.parametrize("x, en, es", [
    (0, "$0", "0 US$"), (850, "$850", "850 US$"), (999.6, "$1.0k", "1,0 mil US$"),
    (4300, "$4.3k", "4,3 mil US$"), (9960, "$10k", "10 mil US$"),
    (125_000, "$125k", "125 mil US$"), (999_600, "$1.0M", "1,0 M US$"),
    (1_234_567, "$1.2M", "1,2 M US$"), (12_345_678, "$12M", "12 M US$"),
    (1.5e9, "$1.5B", "1,5 mil M US$"), (-2500, "-$2.5k", "-2,5 mil US$"), (-0.4, "$0", "0 US$"),
])
def test_format_money(x, en, es) -> None:
    """English USD outputs are the ones stored in the notebooks' checked cells: unchanged."""
    assert numbers.format_money(x) == en
    assert numbers.format_money(x, currency="USD") == en
    assert numbers.format_money(x, "es") == es


@pytest.mark.parametrize("x, currency, en, es", [
    (1_234_567, "BRL", "R$1.2M", "1,2 M BRL"), (850_000, "BRL", "R$850k", "850 mil BRL"),
    (850_000, "EUR", "€850k", "850 mil €"), (1_234_567, "EUR", "€1.2M", "1,2 M €"),
    (-4321, "EUR", "-€4.3k", "-4,3 mil €"), (850.4, "JPY", "¥850", "850 JPY"),
    (1.5e9, "brl", "R$1.5B", "1,5 mil M BRL"), (4300, "CHF", "CHF 4.3k", "4,3 mil CHF"),
    (4300, "$", "$4.3k", "4,3 mil $"),  # a bare symbol, as the old signature took it
])
def test_format_money_in_other_currencies(x, currency, en, es) -> None:
    assert numbers.format_money(x, currency=currency) == en
    assert numbers.format_money(x, "es", currency) == es


def test_format_money_follows_the_report_currency() -> None:
    from smlib.presentation.settings import report_locale

    with report_locale(currency="BRL"):
        assert numbers.format_money(1_234_567) == "R$1.2M"
        assert numbers.format_money(1_234_567, "es") == "1,2 M BRL"
        assert numbers.format_money(1_234_567, currency="EUR") == "€1.2M"  # an explicit one wins
    assert numbers.format_money(1_234_567) == "$1.2M"
    with pytest.raises(ValueError, match="unknown currency 'XYZ'"):
        numbers.format_money(1.0, currency="XYZ")


def test_format_numbers() -> None:
    assert numbers.format_pct(0.0789) == "7.9 %" and numbers.format_pct(0.0789, "es") == "7,9 %"
    assert numbers.format_pct(0.234) == "23 %" and numbers.format_pct(1.2, "es") == "120 %"
    assert numbers.format_pct(-0.0004) == "0.0 %"  # no "-0.0 %"
    assert numbers.format_months(4.06) == "4.1 months" and numbers.format_months(4.06, "es") == "4,1 meses"
    assert numbers.format_number(1234.5, 1, "es") == "1234,5"
    assert numbers.format_number(12345.5, 1, "es") == "12.345,5"
    assert numbers.format_number(12345.5, 1) == "12,345.5"
    assert numbers.format_month("2022-01-15") == "Jan 2022" and numbers.format_month("2025-12-01", "es") == "dic 2025"
    with pytest.raises(ValueError, match="language must be one of"):
        numbers.format_pct(0.1, "fr")
    with pytest.raises(ValueError, match="finite"):
        numbers.format_money(float("inf"))


def test_interval_days_and_known_values() -> None:
    assert numbers.format_days(63.6) == "64 days" and numbers.format_days(63.6, "es") == "64 días"
    assert (numbers.format_interval(0.051, 0.106, numbers.format_pct)
            == "95 % interval: 5.1 % to 11 %")
    assert (numbers.format_interval(0.051, 0.106, numbers.format_pct, "es")
            == "intervalo del 95 %: de 5,1 % a 11 %")
    assert not numbers.is_known(None) and not numbers.is_known(np.nan)
    assert not numbers.is_known(pd.NaT) and numbers.is_known(0.0)
    assert numbers.as_finite("2.5", "x") == 2.5
    with pytest.raises(ValueError, match="x must be a finite number"):
        numbers.as_finite(float("nan"), "x")


def test_pct_formatter_uses_one_precision_for_a_value_and_its_bounds() -> None:
    f = numbers.pct_formatter(0.055, -0.028, 0.13)
    assert [f(x, "en") for x in (0.055, -0.028, 0.13)] == ["6 %", "-3 %", "13 %"]
    g = numbers.pct_formatter(0.055, -0.028, 0.09)
    assert [g(x, "es") for x in (0.055, -0.028, 0.09)] == ["5,5 %", "-2,8 %", "9,0 %"]
    assert numbers.pct_formatter(np.nan)(0.5, "en") == "50 %"


def test_print_kinds_of_format_value() -> None:
    assert numbers.format_value(0.234, "pct_auto") == "23 %"
    assert numbers.format_value(0.0789, "pct_auto", "es") == "7,9 %"
    assert numbers.format_value("grow", "action", "es") == "aumentar"
    assert numbers.format_value("not_assessed", "action") == "not judged"
    assert numbers.format_value("low", "confidence", "es") == "baja"
    assert numbers.format_value("none", "confidence") == "–"
    assert numbers.format_value("integrated", "regime", "es") == "equipos integrados"
    assert numbers.format_value("odd_value", "action") == "odd_value"
    assert numbers.is_numeric_kind("pct_auto") and not numbers.is_numeric_kind("action")
    assert numbers.known_kind("float7") and not numbers.known_kind("nope")


def test_missing_cells_and_column_words() -> None:
    assert numbers.is_missing(None) and numbers.is_missing(pd.NA) and numbers.is_missing(pd.NaT)
    assert numbers.is_missing(float("nan")) and not numbers.is_missing(0)
    assert not numbers.is_missing([1, None])  # a list is a value, not a missing scalar
    assert numbers.column_words("ROI_ci-low") == ["roi", "ci", "low"]
    assert "ci_low" in numbers.BOUND_NAMES
