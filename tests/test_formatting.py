"""The report's locale (smlib.presentation.settings): validation, currency symbols from Babel, money in the
report currency everywhere (text, tables, axis labels), and state that tests cannot leak."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from smlib.presentation import settings as fm  # noqa: E402
from smlib.analyses import overview  # noqa: E402
from smlib.analyses import figures  # noqa: E402
from smlib.analyses.executive_text import label  # noqa: E402
from smlib.presentation import numbers as nv  # noqa: E402
from smlib.presentation.numbers import format_value  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_defaults_are_english_and_usd() -> None:
    assert fm.report_language() == "en" and fm.report_currency() == "USD"


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code, expected", [("USD", "USD"), ("brl", "BRL"), (" EUR ", "EUR"),
                                            ("JPY", "JPY"), ("MXN", "MXN")])
def test_validate_currency_accepts_iso_codes(code, expected) -> None:
    assert fm.validate_currency(code) == expected


@pytest.mark.parametrize("code", ["XYZ", "$", "US$", "dollar", "", "EURO", None, 978])
def test_validate_currency_rejects_the_rest(code) -> None:
    with pytest.raises(ValueError, match="expected an ISO 4217 code such as USD, EUR, BRL"):
        fm.validate_currency(code)
    with pytest.raises(ValueError, match="unknown currency 'XYZ'"):
        fm.validate_currency("XYZ")


@pytest.mark.parametrize("code", ["fr", "EN", "english", "", None, "es-ES"])
def test_validate_language_names_the_allowed_values(code) -> None:
    with pytest.raises(ValueError, match=r"language must be one of 'en' \(English\), 'es' "
                                         r"\(Spanish\)"):
        fm.validate_language(code)
    assert fm.validate_language("es") == "es"


def test_set_report_locale_validates_both_before_changing_anything() -> None:
    with fm.report_locale("es", "EUR"):
        with pytest.raises(ValueError, match="unknown currency"):
            fm.set_report_locale("en", "XYZ")
        with pytest.raises(ValueError, match="language must be one of"):
            fm.set_report_locale("fr", "BRL")
        assert (fm.report_language(), fm.report_currency()) == ("es", "EUR")
    with pytest.raises(ValueError, match="unknown currency"):
        nv.format_money(1.0, currency="ABC")
    with pytest.raises(ValueError, match="language must be one of"):
        fm.currency_symbol("USD", "pt")


# --------------------------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------------------------
def test_report_locale_sets_and_restores() -> None:
    with fm.report_locale("es", "BRL") as settings:
        assert settings == ("es", "BRL")
        assert (fm.report_language(), fm.report_currency()) == ("es", "BRL")
        with fm.report_locale(currency="EUR"):  # None keeps the language
            assert (fm.report_language(), fm.report_currency()) == ("es", "EUR")
        assert fm.report_currency() == "BRL"
    assert (fm.report_language(), fm.report_currency()) == ("en", "USD")


def test_report_locale_restores_after_an_error_and_after_set_report_locale() -> None:
    with pytest.raises(RuntimeError):
        with fm.report_locale("es", "JPY"):
            fm.set_report_locale("en", "EUR")  # a notebook call inside the block
            raise RuntimeError("boom")
    assert (fm.report_language(), fm.report_currency()) == ("en", "USD")
    with pytest.raises(ValueError):
        with fm.report_locale("en", "XYZ"):
            pass
    assert fm.report_currency() == "USD"


def test_set_report_locale_is_module_state() -> None:
    try:
        fm.set_report_locale("es", "brl")
        assert (fm.report_language(), fm.report_currency()) == ("es", "BRL")
        assert fm.currency_symbol() == "BRL" and fm.money_unit("thousand") == "miles de BRL"
    finally:
        fm.set_report_locale()
    assert (fm.report_language(), fm.report_currency()) == ("en", "USD")


# --------------------------------------------------------------------------------------------
# symbols and units (Babel / CLDR)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("currency, en, es", [
    ("USD", "$", "US$"), ("BRL", "R$", "BRL"), ("EUR", "€", "€"), ("JPY", "¥", "JPY"),
    ("GBP", "£", "GBP"),
])
def test_currency_symbol(currency, en, es) -> None:
    assert fm.currency_symbol(currency, "en") == en
    assert fm.currency_symbol(currency, "es") == es
    with fm.report_locale("es", currency):
        assert fm.currency_symbol() == es


@pytest.mark.parametrize("scale, currency, en, es", [
    ("thousand", "BRL", "thousand BRL", "miles de BRL"), ("unit", "BRL", "BRL", "BRL"),
    ("million", "EUR", "million EUR", "millones de EUR"),
    ("billion", "USD", "billion USD", "miles de millones de USD"),
])
def test_money_unit(scale, currency, en, es) -> None:
    assert fm.money_unit(scale, currency, "en") == en
    assert fm.money_unit(scale, currency, "es") == es


def test_money_unit_follows_the_report_and_rejects_unknown_scales() -> None:
    assert fm.money_unit("thousand") == "thousand USD"
    with fm.report_locale("es", "BRL"):
        assert fm.money_unit("thousand") == "miles de BRL"
        assert fm.money_unit("thousand", language="en") == "thousand BRL"
    with pytest.raises(ValueError, match="unknown money scale 'k'"):
        fm.money_unit("k")


def test_attach_currency() -> None:
    assert fm.attach_currency("1.2M", "USD", "en") == "$1.2M"
    assert fm.attach_currency("1.2M", "BRL", "en", negative=True) == "-R$1.2M"
    assert fm.attach_currency("1.2M", "CHF", "en") == "CHF 1.2M"  # a letter symbol gets a space
    assert fm.attach_currency("1,2 M", "EUR", "es", negative=True) == "-1,2 M €"
    assert fm.attach_currency("12", "£", "en") == "£12"  # a bare symbol as given


# --------------------------------------------------------------------------------------------
# money in text and tables
# --------------------------------------------------------------------------------------------
def test_english_usd_money_is_unchanged() -> None:
    """These are the outputs stored in the notebooks' checked cells."""
    assert [nv.format_money(x) for x in (1_234_567, 850_000, 4300, 850, -2500, 1.5e9)] == [
        "$1.2M", "$850k", "$4.3k", "$850", "-$2.5k", "$1.5B"]
    assert format_value(215609.4, "money_exact") == "$215,609"
    assert format_value(-1234.0, "money_exact") == "-$1,234"


@pytest.mark.parametrize("currency, en, es", [
    ("USD", ["$1.2M", "$850k", "$4.3k", "$850"], ["1,2 M US$", "850 mil US$", "4,3 mil US$",
                                                  "850 US$"]),
    ("BRL", ["R$1.2M", "R$850k", "R$4.3k", "R$850"], ["1,2 M BRL", "850 mil BRL", "4,3 mil BRL",
                                                      "850 BRL"]),
    ("EUR", ["€1.2M", "€850k", "€4.3k", "€850"], ["1,2 M €", "850 mil €", "4,3 mil €", "850 €"]),
    ("JPY", ["¥1.2M", "¥850k", "¥4.3k", "¥850"], ["1,2 M JPY", "850 mil JPY", "4,3 mil JPY",
                                                  "850 JPY"]),
])
def test_money_in_the_report_currency(currency, en, es) -> None:
    amounts = (1_234_567, 850_000, 4300, 850.4)
    with fm.report_locale(currency=currency):
        assert [nv.format_money(x) for x in amounts] == en
        assert [nv.format_money(x, "es") for x in amounts] == es


def test_jpy_has_no_decimals() -> None:
    with fm.report_locale(currency="JPY"):
        assert nv.format_money(850.4) == "¥850"
        assert format_value(215609.4, "money_exact") == "¥215,609"
        assert format_value(215609.4, "money_exact", "es") == "215.609 JPY"


def test_spanish_money_has_no_english_and_english_no_spanish() -> None:
    for currency in ("USD", "BRL", "EUR"):
        es = [nv.format_money(x, "es", currency).replace(fm.currency_symbol(currency, "es"), "")
              for x in (1.5e9, 1.2e6, 850_000)]
        assert es == ["1,5 mil M ", "1,2 M ", "850 mil "]
        en = [nv.format_money(x, "en", currency).replace(fm.currency_symbol(currency, "en"), "")
              for x in (1.5e9, 1.2e6, 850_000)]
        assert en == ["1.5B", "1.2M", "850k"]


# --------------------------------------------------------------------------------------------
# axis labels follow the currency and the language
# --------------------------------------------------------------------------------------------
def _spend() -> pd.DataFrame:
    return pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
                         "team": ["marketing", "sales", "marketing"],
                         "channel": ["email", "sales_people", "email"],
                         "cost": [1200.0, 5400.0, 800.0]})


def _cac() -> pd.DataFrame:
    return pd.DataFrame({"quarter": ["2024Q1", "2024Q2"], "cac": [8400.0, 9100.0],
                         "cac_ci_low": [7900.0, 8000.0], "cac_ci_high": [9000.0, 9900.0]})


def _ticks(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_overview_spend_axes_follow_the_currency() -> None:
    """Money axes read as the text writes money ("$1.2k", "R$5k"): the currency in the axis label,
    the scale in every tick, never thousands of units or an offset."""
    ax = figures.plot_spend(overview.spend_by_channel(_spend()))
    ax.figure.canvas.draw()
    assert ax.get_xlabel() == "Cost (USD)"
    assert _ticks(ax.xaxis) and all(t == "$0" or t.startswith("$") and t.endswith("k")
                                    for t in _ticks(ax.xaxis))
    ax = figures.plot_monthly_spend(overview.monthly_spend(_spend()))
    ax.figure.canvas.draw()
    assert ax.get_ylabel() == "Cost (USD per month)"
    assert all(t.startswith("$") for t in _ticks(ax.yaxis))
    with fm.report_locale(currency="BRL"):
        ax = figures.plot_spend(overview.spend_by_channel(_spend()))
        ax.figure.canvas.draw()
        assert ax.get_xlabel() == "Cost (BRL)"
        assert all(t.startswith("R$") for t in _ticks(ax.xaxis))
        ax = figures.plot_monthly_spend(overview.monthly_spend(_spend()))
        assert ax.get_ylabel() == "Cost (BRL per month)"


@pytest.mark.parametrize("language, currency, axis, title", [
    ("en", "USD", "CAC ($ per new customer)", "(blended CAC in $;"),
    ("en", "BRL", "CAC (R$ per new customer)", "(blended CAC in R$;"),
    ("es", "EUR", "CAC (€ por cliente nuevo)", "(CAC total en €;"),
    ("es", "USD", "CAC (US$ por cliente nuevo)", "(CAC total en US$;"),
])
def test_cac_plot_labels_follow_the_currency(language, currency, axis, title) -> None:
    with fm.report_locale(currency=currency):
        ax = figures.plot_cac_by_period(_cac(), language=language)
        ax.figure.canvas.draw()
    assert ax.get_ylabel() == axis
    assert title in ax.get_title()
    assert "{currency}" not in ax.get_title() + ax.get_ylabel()


def test_event_study_labels_follow_the_currency() -> None:
    assert label("event_y") == "Extra revenue ($ per unit-month)"
    with fm.report_locale(currency="EUR"):
        assert label("event_y", "es") == "Ingresos extra (€ por unidad y mes)"
        assert "(€ per unit-month;" in label("event_title")
    for key in ("title", "event_title", "event_x", "event_y"):
        assert "{" not in label(key) and "{" not in label(key, "es")


# --------------------------------------------------------------------------------------------
# every figure of every report: one formatter on every axis (issue 12 item 8)
# --------------------------------------------------------------------------------------------
import json  # noqa: E402
import re  # noqa: E402

_RAW = re.compile(r"[−-]?\d{5,}(\.\d+)?")  # 100000: digits without the number format
_SCI = re.compile(r"\d(\.\d+)?[eE][−+-]?\d|×10")  # 1e6, 1.5e+06, ×10^6


def figure_problems(fig) -> list[str]:
    """What breaks the one-formatter rule in a drawn figure: an axis offset ("1e6"), a raw or
    scientific tick label ("100000", "1e6"), an axis label in "units of ..." and a heatmap cell
    that is a bare number (without its unit)."""
    from matplotlib.collections import QuadMesh

    fig.canvas.draw()
    out = []
    for ax in fig.axes:
        where = ax.get_title().split("\n")[0] or ax.get_ylabel() or "untitled axes"
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            offset = axis.get_offset_text().get_text()
            if offset:
                out.append(f"{where}: {name} axis offset {offset!r}")
            for tick in axis.get_ticklabels():
                s = tick.get_text()
                if tick.get_visible() and (_RAW.fullmatch(s.strip()) or _SCI.search(s)):
                    out.append(f"{where}: raw {name} tick label {s!r}")
            if "units of" in axis.get_label().get_text().lower():
                out.append(f"{where}: {name} label {axis.get_label().get_text()!r}")
        if any(isinstance(c, QuadMesh) for c in ax.collections):
            bare = [t.get_text() for t in ax.texts if re.fullmatch(r"[−-]?[\d.,]+", t.get_text())]
            if bare:
                out.append(f"{where}: heatmap cells without their unit, e.g. {bare[:3]}")
    return out


def test_figure_problems_detects_offsets_raw_ticks_and_bare_cells() -> None:
    import seaborn as sns

    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], [1e6, 1.5e6])  # matplotlib's default: an offset or raw ticks
    a.set_ylabel("Effect (units of revenue)")
    sns.heatmap(pd.DataFrame([[5839.0, 12.0]]), annot=True, fmt=".0f", ax=b)
    found = " | ".join(figure_problems(fig))
    assert "raw y tick label" in found or "offset" in found
    assert "units of" in found and "heatmap cells" in found
    fig2, c = plt.subplots()
    c.plot([0, 1], [1e6, 1.5e6])
    nv.money_axis(c)
    assert figure_problems(fig2) == []


def _run_notebook_figures(path) -> list[str]:
    """Execute a report notebook's code in this process (its default parameters, the default
    dataset; displays go to stdout) and audit every figure each cell draws."""
    import contextlib
    import io as _io

    nb = json.loads(path.read_text())
    scope: dict = {"__name__": "__report__"}
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "report-hide" in cell.get("metadata", {}).get("tags", []):
            continue
        with contextlib.redirect_stdout(_io.StringIO()):
            exec(compile("".join(cell["source"]), f"{path.name}[{i}]", "exec"), scope)  # noqa: S102
        for num in plt.get_fignums():
            problems += [f"{path.name} cell {i}: {p}" for p in figure_problems(plt.figure(num))]
        plt.close("all")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["00_data_overview", "01_attribution_comparison",
                                      "02_integration_uplift", "03_executive_summary",
                                      "04_rollout_plan"])
def test_every_report_figure_uses_the_number_formats(notebook) -> None:
    """Every chart of every report, drawn from the report's own code on the default data: no
    offset text, no raw or scientific tick labels, no "units of" axis, heatmap cells with their
    unit."""
    from smlib import config

    problems = _run_notebook_figures(config.NOTEBOOKS_DIR / f"{notebook}.ipynb")
    assert problems == [], "\n".join(problems)
