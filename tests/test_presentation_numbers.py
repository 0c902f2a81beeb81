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


# --------------------------------------------------------------------------------------------
# chart axes and figures read back from headlines
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("values, language, expected", [
    ([0, 100_000, 200_000, 300_000], "en", ["$0", "$100k", "$200k", "$300k"]),
    ([0, 500_000, 1_000_000, 1_500_000], "en", ["$0", "$0.5M", "$1.0M", "$1.5M"]),
    ([1e6, 1.25e6, 1.5e6], "en", ["$1.00M", "$1.25M", "$1.50M"]),
    ([-50_000, 0, 50_000], "es", ["-50 mil US$", "0 US$", "50 mil US$"]),
    ([0, 250, 500], "en", ["$0", "$250", "$500"]),
])
def test_money_ticks_share_one_scale_and_no_offset(values, language, expected) -> None:
    assert numbers.money_ticks(values, language) == expected


def test_pct_and_number_ticks() -> None:
    assert numbers.pct_ticks([0, 0.25, 0.5]) == ["0 %", "25 %", "50 %"]
    assert numbers.pct_ticks([0, 2.5, 5], "es", scale=100) == ["0 %", "2,5 %", "5,0 %"]
    assert numbers.number_ticks([0, 5000, 10_000]) == ["0", "5,000", "10,000"]
    assert numbers.number_ticks([0, 10_000, 20_000], "es") == ["0", "10.000", "20.000"]
    with pytest.raises(ValueError, match="finite"):
        numbers.money_ticks([1, float("nan")])
    with pytest.raises(ValueError, match="scale"):
        numbers.pct_ticks([1], scale=0)


def test_axes_use_the_formatters_and_show_no_offset() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1e6, 3e6, 5e6])
    ax.bar([0, 1], [0.2, 0.4])
    numbers.money_axis(ax, "y")
    numbers.pct_axis(ax, "x", scale=0.01)  # x in hundredths: 1 -> 100 %
    fig.canvas.draw()
    ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ylabels and all(lab == "$0" or lab.startswith("$") and lab.endswith("M") for lab in ylabels)
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert all(t.get_text().endswith(" %") for t in ax.get_xticklabels() if t.get_text())
    with pytest.raises(ValueError, match="axis"):
        numbers.number_axis(ax, "z")
    plt.close(fig)


@pytest.mark.parametrize("text, language, value, kind, written", [
    ("$52M from 1,761 new customers", "en", 52e6, "money", "$52M"),
    ("+8.8 % (6.7 % to 11.0 %)", "en", 0.088, "pct", "+8.8 %"),
    ("−3.2 % lower", "en", -0.032, "pct", "−3.2 %"),
    ("21.8 months to pay back", "en", 21.8, "number", "21.8"),
    ("1,761 deals, $52M revenue", "en", 1761, "number", "1,761"),
    ("-$4.3k", "en", -4300, "money", "-$4.3k"),
    ("R$1.2M", "en", 1.2e6, "money", "R$1.2M"),
    ("42 mil US$ (40 mil US$ a 44 mil US$)", "es", 42_000, "money", "42 mil US$"),
    ("1,5 mil M €", "es", 1.5e9, "money", "1,5 mil M €"),
    ("12.345 clientes", "es", 12_345, "number", "12.345"),
    ("850 US$", "es", 850, "money", "850 US$"),
])
def test_parse_figure_inverts_the_formats(text, language, value, kind, written) -> None:
    fig = numbers.parse_figure(text, language)
    assert fig is not None and fig.kind == kind and fig.written == written
    assert fig.value == pytest.approx(value)


def test_parse_figure_round_trips_the_formatters() -> None:
    for lang in ("en", "es"):
        for x in (850, 4300, 125_000, 1_234_567, 1.5e9):
            written = numbers.format_money(x, lang)
            assert numbers.parse_figure(written, lang).value == pytest.approx(float(x), rel=0.05)
        assert numbers.parse_figure(numbers.format_pct(0.0825, lang), lang).value == pytest.approx(0.082)


def test_parse_figure_without_a_figure() -> None:
    assert numbers.parse_figure("all checks passed", "en") is None
    assert numbers.parse_figure("Jan 2022 to Dec 2025", "en") is None  # dates are not figures
    assert numbers.parse_figure("ene 2022 a dic 2025", "es") is None


def test_figure_change() -> None:
    assert numbers.figure_change("+8.8 %", "+6.7 %") == "+2.1 pts"
    assert numbers.figure_change("6,7 %", "8,8 %", "es") == "-2,1 puntos"
    assert numbers.figure_change("$52M", "$50M") == "+4.0 % (was $50M)"
    assert numbers.figure_change("21 days", "21 days") == "unchanged"
    assert numbers.figure_change("$52M", "52 %") is None  # the headline changed meaning
    assert numbers.figure_change("none", "$1M") is None
