"""Tests of smlib.presentation.tables (the one table renderer, formerly the display module): format rules
(hand-computed cells), escaping, missing values, index; the printed tables of the executive
summary (formerly narrative.table_for_print / html_table) and ReportTable."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from smlib.presentation import labels, numbers, tables
from smlib.presentation.labels import column_label
from smlib.presentation.numbers import NA_TEXT, format_value, infer_format
from smlib.presentation.tables import (ReportTable, format_table, html_table, show_table,
                                       table_for_print, table_text)

EVIL = "<script>alert(1)</script>"


def cells(df: pd.DataFrame, **kw) -> pd.DataFrame:
    return table_text(df, **kw)[0]


def body_cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)


def header_cells(html: str) -> list[str]:
    return re.findall(r"<th[ >][^>]*>(.*?)</th>", html, flags=re.S)


# --------------------------------------------------------------------------------------------
# format inference
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, values, kind", [
    ("share", [0.1], "pct"), ("revenue_share", [0.1], "pct"), ("share_of_leads", [0.1], "pct"),
    ("att_pct", [0.1], "pct"), ("win_rate", [0.1], "pct"), ("roi", [1.5], "pct"),
    ("revenue", [1.0], "money"), ("cost", [1], "money"), ("conversion_value", [1.0], "money"),
    ("cac", [8400.0], "money"), ("incremental_revenue", [1.0], "money"),
    ("ltv_to_cac", [3.2], "float"), ("p_value", [0.04], "float"),
    ("journeys", [3], "int"), ("rows", np.array([3], dtype="int32"), "int"),
    ("mean_touches", [4.2], "float"), ("channel", ["email"], "text"),
    ("converted", [True], "bool"), ("first", pd.to_datetime(["2024-01-01"]), "date"),
    ("when", pd.to_datetime(["2024-01-01"], utc=True), "date"),
])
def test_infer_format_by_dtype_and_name(name, values, kind):
    assert infer_format(name, pd.Series(values)) == kind


def test_bare_interval_bounds_take_the_format_of_the_value_they_bound():
    df = pd.DataFrame({"stage": ["lead"], "reached": [10], "share_of_leads": [0.5],
                       "ci_low": [0.4], "ci_high": [0.6], "cac": [10.0], "ci_low2": [0.3]})
    out = cells(df)
    assert out.loc[0, "CI low"] == "40.0 %" and out.loc[0, "CI high"] == "60.0 %"
    # a bound right after a money column reads as money
    df2 = pd.DataFrame({"cac": [8400.0], "ci_low": [7900.0], "ci_high": [9000.0]})
    assert list(cells(df2).loc[0]) == ["$8.4k", "$7.9k", "$9.0k"]
    # after a text column a bound is just a number, never text
    df3 = pd.DataFrame({"channel": ["email"], "ci_low": [0.123456]})
    assert list(cells(df3).loc[0]) == ["email", "0.123"]


# --------------------------------------------------------------------------------------------
# cell formats: hand-computed
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("x, kind, expected", [
    (0.69856, "pct", "69.9 %"), (0.05, "pct", "5.0 %"), (-0.031, "pct", "-3.1 %"),
    (1.0, "pct", "100.0 %"), (0.00022, "pct", "<0.1 %"), (-0.0004, "pct", ">-0.1 %"),
    (0.0005, "pct", "0.1 %"), (0.0, "pct", "0.0 %"),
    (0.69856, "pct_plain", "69.9"), (0.00022, "pct_plain", "0.0"),
    (215609, "int", "215,609"), (215609.6, "int", "215,610"), (0, "int", "0"),
    (1_234_567.0, "money", "$1.2M"), (850.0, "money", "$850"), (8400, "money", "$8.4k"),
    (215609.4, "money_exact", "$215,609"), (-1234.0, "money_exact", "-$1,234"),
    (4.5213, "float", "4.52"), (0.012345, "float", "0.0123"), (215609.3, "float", "215,609"),
    (123.456, "float", "123"), (0.0, "float", "0"), (-2.5, "float", "-2.50"),
    (1e-15, "float", "1.00e-15"),
    (3.14159, "float1", "3.1"), (1234.5678, "float2", "1,234.57"),
    (np.inf, "float", "∞"), (-np.inf, "pct", "-∞"),
    (pd.Timestamp("2024-03-04 10:15", tz="UTC"), "date", "2024-03-04"),
    (pd.Timestamp("2024-03-04 10:15"), "datetime", "2024-03-04 10:15"),
    (True, "bool", "yes"), (np.False_, "bool", "no"), ("False", "bool", "no"),
    ("yes", "bool", "yes"),
    ("sdr_call", "channel", "SDR calls"), ("markov", "model", "Markov"),
    ("shared", "team", "shared"), ("marketing_only", "words", "marketing only"),
    (3.14159, "float4", "3.1416"), (2.6, "float0", "3"),
    ("x", "text", "x"), (7, lambda v: f"<{v}>", "<7>"),
])
def test_format_value_hand_cases(x, kind, expected):
    assert format_value(x, kind) == expected


@pytest.mark.parametrize("x, kind, expected", [
    (0.69856, "pct", "69,9 %"), (215609, "int", "215.609"), (1234, "int", "1234"),
    (1_234_567.0, "money", "1,2 M US$"), (4.5213, "float", "4,52"), (True, "bool", "sí"),
    (215609.4, "money_exact", "215.609 US$"), (0.69856, "pct_plain", "69,9"),
])
def test_format_value_spanish(x, kind, expected):
    assert format_value(x, kind, "es") == expected


@pytest.mark.parametrize("x, kind, currency, en, es", [
    (215609.4, "money_exact", "BRL", "R$215,609", "215.609 BRL"),
    (-1234.0, "money_exact", "EUR", "-€1,234", "-1234 €"),
    (215609.4, "money_exact", "JPY", "¥215,609", "215.609 JPY"),
    (-0.4, "money_exact", "EUR", "€0", "0 €"),
    (1_234_567.0, "money", "BRL", "R$1.2M", "1,2 M BRL"),
    (850_000.0, "money", "EUR", "€850k", "850 mil €"),
])
def test_format_value_money_in_other_currencies(x, kind, currency, en, es):
    assert format_value(x, kind, currency=currency) == en
    assert format_value(x, kind, "es", currency) == es


def test_tables_write_money_in_the_report_currency():
    from smlib.presentation.settings import report_locale

    df = pd.DataFrame({"channel": ["email"], "revenue": [1_234_567.0], "cost": [8400.0]})
    with report_locale(currency="BRL"):
        assert list(cells(df).loc[0]) == ["email", "R$1.2M", "R$8.4k"]
        assert list(cells(df, language="es").loc[0]) == ["email", "1,2 M BRL", "8,4 mil BRL"]
        assert format_value(215609.4, "money_exact") == "R$215,609"
    assert list(cells(df).loc[0]) == ["email", "$1.2M", "$8.4k"]


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT, float("nan")])
def test_missing_values_read_as_dash(missing):
    for kind in ("pct", "money", "int", "float", "date", "text", "bool"):
        assert format_value(missing, kind) == NA_TEXT


def test_format_value_rejects_text_in_a_number_format_and_unknown_kinds():
    with pytest.raises(ValueError, match="format 'pct' expects a number, got 'abc'"):
        format_value("abc", "pct")
    with pytest.raises(ValueError, match="unknown format 'percent'"):
        format_value(0.1, "percent")
    with pytest.raises(ValueError, match="format 'date' expects a date or timestamp, got 'soon'"):
        format_value("soon", "date")


def test_timestamp_column_shows_time_only_when_some_value_has_one():
    days = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-02-01"], utc=True)})
    assert list(cells(days)["T"]) == ["2024-01-01", "2024-02-01"]
    stamps = ["2024-01-01", "2024-02-01 09:30"]
    times = pd.DataFrame({"t": pd.to_datetime(stamps, format="ISO8601")})
    assert list(cells(times)["T"]) == ["2024-01-01 00:00", "2024-02-01 09:30"]


def test_formats_override_the_inferred_ones():
    df = pd.DataFrame({"share": [0.25], "revenue": [1234.0], "n": [3.0]})
    out = cells(df, formats={"share": "float", "revenue": "money_exact", "n": "int"})
    assert list(out.loc[0]) == ["0.250", "$1,234", "3"]


def test_one_format_for_every_numeric_column():
    shares = pd.DataFrame({"paid_search": [0.123, 0.5], "demo": [0.877, 0.5]},
                          index=pd.Index(["linear", "truth"], name="model"))
    out = cells(shares, formats="pct", index=True)
    assert out.to_dict("list") == {"Model": ["linear", "truth"],
                                   "Paid search": ["12.3 %", "50.0 %"],
                                   "Demo": ["87.7 %", "50.0 %"]}
    with pytest.raises(ValueError, match="formats: unknown format 'percent'"):
        cells(shares, formats="percent")


def test_glob_keys_in_formats_and_exact_keys_win():
    df = pd.DataFrame({"fold_0": [0.24181], "fold_1": [0.24205], "fold_10": [0.5], "rank": [1]})
    out = cells(df, formats={"fold_*": "float4", "fold_10": "pct"})
    assert list(out.loc[0]) == ["0.2418", "0.2420", "50.0 %", "1"]
    # a glob that matches nothing is not an error (e.g. no folds); a missing exact name is
    assert list(cells(df, formats={"x_*": "pct"}).loc[0]) == ["0.242", "0.242", "0.500", "1"]


def test_interval_bounds_take_the_format_of_their_value():
    # se sits between the value and its bounds: the bounds still read like the value
    df = pd.DataFrame({"conversions": [386.276], "se": [30.18], "ci_low": [331.2],
                       "ci_high": [443.0], "value": [1.14e7], "value_ci_low": [9.7e6],
                       "value_ci_high": [1.31e7]})
    out = cells(df, formats={"conversions": "float1"},
                intervals={"conversions": ("ci_low", "ci_high"),
                           "value": ("value_ci_low", "value_ci_high")})
    assert list(out.loc[0]) == ["386.3 (331.2 to 443.0)", "30.2", "$11M ($9.7M to $13M)"]


# --------------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, label", [
    ("share_of_leads", "Share of leads"), ("cac_ci_low", "CAC CI low"),
    ("account_id", "Account ID"),
    ("sha256", "SHA-256"), ("mql_at", "MQL at"), ("roi", "ROI"), ("extra__col", "Extra col"),
    ("Already Nice", "Already Nice"), (3, "3"),
])
def test_column_label(name, label):
    assert column_label(name) == label


def test_labels_mapping_and_raw_names():
    df = pd.DataFrame({"share": [0.5], "channel_name": ["email"]})
    assert list(cells(df, labels={"share": "Part of all"}).columns) == ["Part of all",
                                                                        "Channel name"]
    assert list(cells(df, labels=False).columns) == ["share", "channel_name"]


# --------------------------------------------------------------------------------------------
# HTML: escaping, index, missing values, intervals, truncation
# --------------------------------------------------------------------------------------------
def test_everything_is_escaped_cells_headers_caption():
    df = pd.DataFrame({"channel": [EVIL, "a & b"], EVIL: [1, 2]})
    html = format_table(df, caption=f"caption {EVIL}", labels={EVIL: EVIL}).to_html()
    assert "<script>" not in html and "<script" not in html.replace("&lt;script", "")
    assert body_cells(html)[:2] == ["&lt;script&gt;alert(1)&lt;/script&gt;", "1"]
    assert "a &amp; b" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in header_cells(html)
    assert "<caption>caption &lt;script&gt;alert(1)&lt;/script&gt;</caption>" in html


def test_callable_and_label_output_is_escaped_too():
    df = pd.DataFrame({"channel": ["<b>x</b>"], "n": [1]})
    html = format_table(df, formats={"channel": "channel", "n": lambda v: f"<i>{v}</i>"}).to_html()
    assert "<b>" not in html and "<i>" not in html
    assert body_cells(html) == ["&lt;b&gt;x&lt;/b&gt;", "&lt;i&gt;1&lt;/i&gt;"]


def test_static_html_without_javascript():
    html = format_table(pd.DataFrame({"a": [1]})).to_html()
    assert "<script" not in html and "onclick" not in html.lower() and "<table" in html


def test_index_is_hidden_by_default_and_shown_on_request():
    df = pd.DataFrame({"n": [5, 6]}, index=pd.Index(["zz_row", "yy_row"], name="channel"))
    hidden = format_table(df).to_html()
    assert "zz_row" not in hidden and "row_heading" not in hidden
    assert body_cells(hidden) == ["5", "6"]
    shown = format_table(df, index=True).to_html()
    assert body_cells(shown) == ["zz_row", "5", "yy_row", "6"]
    assert header_cells(shown) == ["Channel", "N"]
    # a default RangeIndex never shows as 0, 1, 2
    assert body_cells(format_table(pd.DataFrame({"x": ["a", "b"]})).to_html()) == ["a", "b"]


def test_missing_values_show_dash_and_the_reason_column_is_kept():
    df = pd.DataFrame({"channel": ["email", "direct"], "roi": [0.25, np.nan],
                       "reason": ["", "no cost: direct traffic is free"]})
    html = format_table(df).to_html()
    assert body_cells(html) == ["email", "25.0 %", "", "direct", NA_TEXT,
                                "no cost: direct traffic is free"]
    assert "nan" not in html.lower().replace("nanum", "")


def test_intervals_are_merged_into_one_cell():
    df = pd.DataFrame({"stage": ["lead", "won"], "share": [0.5, np.nan],
                       "ci_low": [0.4, np.nan], "ci_high": [0.6, np.nan]})
    out = cells(df, intervals={"share": ("ci_low", "ci_high")})
    assert list(out.columns) == ["Stage", "Share (95 % interval)"]
    assert list(out.iloc[:, 1]) == ["50.0 % (40.0 % to 60.0 %)", NA_TEXT]
    es = cells(df, intervals={"share": ("ci_low", "ci_high")}, language="es", level=0.9)
    assert list(es.columns) == ["Stage", "Share (intervalo del 90 %)"]
    assert es.iloc[0, 1] == "50,0 % (40,0 % a 60,0 %)"


def test_max_rows_truncates_and_says_so():
    df = pd.DataFrame({"n": range(1500)})
    html = format_table(df, max_rows=3, caption="Counts").to_html()
    assert body_cells(html) == ["0", "1", "2"]
    assert "<caption>Counts (first 3 of 1,500 rows)</caption>" in html
    # no note when everything fits
    assert "first" not in format_table(df.head(2), max_rows=3).to_html()


def test_numbers_right_aligned_text_left_long_text_wraps():
    long = "a reason long enough to need wrapping"
    html = format_table(pd.DataFrame({"name": ["a"], "n": [1], "note": [long]})).to_html()
    # the CSS rules that switch a column to the left: the two text columns, never the count
    left = re.findall(r"(\S+)\s*\{\s*text-align: left", html)
    assert sorted(set(left)) == ["td.col0", "td.col2", "th.col_heading.col0",
                                 "th.col_heading.col2"]
    assert re.search(r"td \{[^}]*text-align: right[^}]*white-space: nowrap", html)
    wraps = re.findall(r"(\S+)\s*\{[^}]*white-space: normal", html)
    assert sorted(set(wraps)) == ["td.col2", "th.col_heading.col2"]


def test_wide_tables_get_smaller_type():
    def sizes(n_columns: int) -> list[str]:
        html = format_table(pd.DataFrame({f"c{i}": [i] for i in range(n_columns)})).to_html()
        return re.findall(r"font-size: ([^;]+);", html)

    # relative to the report's own table font (screen or print), never a fixed size
    assert sizes(9) == [] and sizes(10) == ["0.9em", "0.9em"]


def test_same_table_gives_the_same_html():
    df = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    assert format_table(df).to_html() == format_table(df.copy()).to_html()
    assert format_table(df).to_html() != format_table(df.assign(a=[1.5, 2.6])).to_html()


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"formats": {"missing": "pct"}}, "formats: column 'missing' is not in the table"),
    ({"formats": {"a": "percent"}}, "column 'a' has unknown format 'percent'"),
    ({"labels": {"zzz": "Z"}}, r"labels: column\(s\) \['zzz'\]"),
    ({"intervals": {"a": ("lo", "hi")}}, "intervals: 'a' needs"),
    ({"language": "fr"}, "language must be one of"),
    ({"max_rows": 0}, "max_rows must be a positive integer"),
    ({"labels": {"a": "Same", "b": "Same"}}, "same header"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    df = pd.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(ValueError, match=message):
        format_table(df, **kwargs)


def test_bad_tables_raise_clear_errors():
    with pytest.raises(ValueError, match="expects a pandas DataFrame, got list"):
        format_table([1, 2])  # type: ignore[arg-type]
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ValueError, match=r"duplicate column names \['a'\]"):
        format_table(dup)
    with pytest.raises(ValueError, match="column 'a' has .*expects a number|expects a number"):
        format_table(pd.DataFrame({"a": ["x"]}), formats={"a": "pct"})


def test_empty_table_renders():
    html = format_table(pd.DataFrame({"share": pd.Series([], dtype=float)})).to_html()
    assert header_cells(html) == ["Share"] and body_cells(html) == []


# --------------------------------------------------------------------------------------------
# show_table
# --------------------------------------------------------------------------------------------
def test_show_table_displays_html_and_plain_text(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    df = pd.DataFrame({"channel": [EVIL], "share": [0.69856], "revenue": [215609.0]})
    assert show_table(df, caption="Credit <by> channel") is None
    (bundle, raw), = shown
    assert raw is True
    assert bundle["text/html"] == format_table(df, caption="Credit <by> channel").to_html()
    plain = bundle["text/plain"]
    assert plain.splitlines()[0] == "Credit <by> channel"
    assert "69.9 %" in plain and "$216k" in plain and EVIL in plain
    assert "0.69856" not in plain


def test_module_exports_are_documented():
    for module in (tables, numbers, labels):
        for name in module.__all__:
            obj = getattr(module, name)
            assert not callable(obj) or obj.__doc__, (module.__name__, name)


def test_table_for_print_and_html_escaping() -> None:
    df = pd.DataFrame({"channel": ["paid_search", "<script>alert(1)</script>"],
                       "action": ["grow", "cut"], "roi": [0.4512, np.nan],
                       "roi_ci_low": [0.30, np.nan], "roi_ci_high": [0.61, np.nan],
                       "cost": [12_500.0, 900.0]})
    cols = [("channel", "channel", "Channel", "Canal"), ("action", "action", "Action", "Acción"),
            ("roi", "pct", "ROI", "ROI"), ("cost", "money", "Cost", "Coste")]
    en = table_for_print(df, cols, intervals={"roi": ("roi_ci_low", "roi_ci_high")})
    assert en.to_dict("list") == {"Channel": ["paid search", "<script>alert(1)</script>"],
                                  "Action": ["grow", "cut"], "ROI": ["45 % (30 % to 61 %)", "–"],
                                  "Cost": ["$12k", "$900"]}
    es = table_for_print(df, cols, "es", intervals={"roi": ("roi_ci_low", "roi_ci_high")})
    assert es.to_dict("list") == {"Canal": ["búsqueda de pago", "<script>alert(1)</script>"],
                                  "Acción": ["aumentar", "recortar"],
                                  "ROI": ["45 % (30 % a 61 %)", "–"], "Coste": ["12 mil US$", "900 US$"]}
    html = html_table(en)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    with pytest.raises(ValueError, match="missing column"):
        table_for_print(df, [("nope", "text", "x", "x")])


def test_table_for_print_shares_one_pct_precision_and_skips_bounds_of_missing_values():
    df = pd.DataFrame({"regime": ["integrated", "separate"], "roi": [0.055, np.nan],
                       "lo": [-0.028, 0.1], "hi": [0.13, 0.2], "n": [1234, 5]})
    cols = [("regime", "regime", "Teams", "Equipos"), ("roi", "pct", "ROI", "ROI"),
            ("n", "int", "New customers", "Clientes nuevos")]
    es = table_for_print(df, cols, "es", intervals={"roi": ("lo", "hi")})
    assert es.to_dict("list") == {"Equipos": ["equipos integrados", "equipos separados"],
                                  "ROI": ["6 % (-3 % a 13 %)", "–"],
                                  "Clientes nuevos": ["1234", "5"]}
    assert list(df.columns) == ["regime", "roi", "lo", "hi", "n"]  # input untouched
    assert df["lo"].tolist() == [-0.028, 0.1]


def test_html_table_uses_the_table_renderer():
    text = pd.DataFrame({"Term": ["ROI", EVIL], "Meaning": ["return", None]})
    out = html_table(text)
    assert out == format_table(text.astype(object), "text", labels=False).to_html()
    assert body_cells(out) == ["ROI", "return", "&lt;script&gt;alert(1)&lt;/script&gt;", NA_TEXT]
    assert header_cells(out) == ["Term", "Meaning"]


def test_report_table_is_a_generic_caption_frame_and_labels():
    rt = ReportTable(pd.DataFrame({"what": ["a"], "revenue": [433_683.135], "share": [1.304]}),
                     caption="Demo", labels={"what": "What", "nope": "ignored: not a column"})
    assert rt.to_text().to_dict("list") == {"What": ["a"], "Revenue": ["$434k"],
                                            "Share": ["130.4 %"]}
    assert rt.to_text("es").iloc[0].tolist() == ["a", "434 mil US$", "130,4 %"]
    assert rt.to_html() == format_table(rt.frame, caption="Demo", labels={"what": "What"}).to_html()
