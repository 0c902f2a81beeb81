"""Data warnings: each code fires on a small hand-built case and stays quiet on a clean one."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from smlib import data_warnings as dw
from smlib.data_warnings import DataWarning
from smlib.journeys import build_journeys

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def _day(d: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=d)


def _opps(rows: list[dict]) -> pd.DataFrame:
    """Contract-valid opportunities from short rows: id, account, lead day, outcome, revenue,
    optional close day, stages reached (mql/sql/opp flags) and source_team."""
    out = []
    for i, r in enumerate(rows):
        lead = _day(r.get("lead", 0))
        close = _day(r["close"]) if r.get("close") is not None else pd.NaT
        outcome = r.get("outcome", "open")
        opp_stage = r.get("opp", outcome == "won")
        sql_stage = r.get("sql", opp_stage)
        mql_stage = r.get("mql", False)
        out.append({
            "opportunity_id": r.get("id", f"O{i:04d}"),
            "account_id": r.get("account", f"A{i:04d}"),
            "lead_at": lead,
            "mql_at": lead + pd.Timedelta(hours=1) if mql_stage else pd.NaT,
            "sql_at": lead + pd.Timedelta(hours=2) if sql_stage else pd.NaT,
            "opportunity_at": lead + pd.Timedelta(hours=3) if opp_stage else pd.NaT,
            "closed_at": close,
            "outcome": outcome,
            "revenue": float(r.get("revenue", 0.0)),
            "gross_margin": 0.8,
            "source_team": r.get("source", "sales"),
        })
    df = pd.DataFrame(out)
    for c in ("lead_at", "mql_at", "sql_at", "opportunity_at", "closed_at"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


def _touches(rows: list[tuple[str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": [a for a, _, _ in rows],
        "timestamp": pd.to_datetime([_day(d) for _, d, _ in rows], utc=True),
        "channel": [c for _, _, c in rows],
        "team": ["marketing"] * len(rows),
        "touch_type": ["click"] * len(rows),
    })


def _codes(ws: list[DataWarning]) -> list[str]:
    return [w.code for w in ws]


# ------------------------------------------------------------------------------------ the record

def test_warning_record_to_dict_and_languages():
    w = DataWarning("x", "Hello", {"n": np.int64(3), "share": np.float64(0.5), "bad": float("nan")},
                    {"es": "Hola"})
    assert w.to_dict() == {"code": "x", "message": "Hello",
                           "details": {"n": 3, "share": 0.5, "bad": None}}
    assert w.to_dict("es")["message"] == "Hola" and w.text("es") == "Hola"
    assert json.loads(json.dumps(w.to_dict())) == w.to_dict()
    assert DataWarning("x", "Hi").to_dict() == {"code": "x", "message": "Hi"}
    assert DataWarning("x", "Hi").text("es") == "Hi"  # no Spanish: falls back to English
    with pytest.raises(ValueError, match="code"):
        DataWarning("", "Hi")
    with pytest.raises(ValueError, match="language"):
        w.text("fr")
    assert w.texts == {"en": "Hello", "es": "Hola"}  # every language it has, English included
    with pytest.raises(ValueError, match="mapping"):
        DataWarning("x", "Hi", {}, "Hola")  # texts are per language, not a second positional text
    with pytest.raises(ValueError, match="language"):
        DataWarning("x", "Hi", texts={"fr": "Salut"})  # not a report language
    with pytest.raises(ValueError, match="non-empty"):
        DataWarning("x", "Hi", texts={"es": " "})
    with pytest.raises(ValueError, match="must equal"):
        DataWarning("x", "Hi", texts={"en": "Hello"})  # English is the message itself


# ------------------------------------------------------------------------------------ separation

PATHS = pd.DataFrame({
    "path": ["a > b", "a > c", "c", "d > e > d", "f > c", "a > c > c"],
    "total_conversions": [3, 0, 1, 1, 0, 2],
    "total_null": [0, 2, 4, 1, 3, 1],
})


def test_separated_channels_finds_each_kind():
    rep = dw.separated_channels(PATHS)
    assert rep.only_converting == ("b",)
    assert rep.only_non_converting == ("f",)
    assert rep.always_together == (("d", "e"),)
    assert rep.journeys["a"] == (5, 3) and rep.journeys["d"] == (1, 1)
    assert rep.affected == ("b", "d", "e", "f") and not rep.ok
    assert rep.group_of()["d"] == "d + e" and rep.group_of()["a"] == "a"


def test_separation_warnings_fire_and_name_channels_only():
    ws = dw.separation_warnings(PATHS)
    assert _codes(ws) == ["separation"] * 3
    kinds = [w.details["kind"] for w in ws]
    assert kinds == ["only_converting", "only_non_converting", "always_together"]
    assert "only in journeys that ended in a won deal" in ws[0].message
    assert ws[2].details["groups"] == [["d", "e"]]
    assert all(w.texts.get("es") for w in ws)


def test_separation_quiet_on_clean_paths():
    clean = pd.DataFrame({"path": ["a > b", "a", "b", "a > c", "c"],
                          "total_conversions": [2, 1, 0, 1, 1], "total_null": [3, 2, 2, 1, 1]})
    assert dw.separated_channels(clean).ok
    assert dw.separation_warnings(clean) == []
    # rows with no journey at all do not count
    extra = pd.concat([clean, pd.DataFrame({"path": ["z"], "total_conversions": [0],
                                            "total_null": [0]})])
    assert dw.separation_warnings(extra) == []


def test_separation_when_nothing_converts():
    none = pd.DataFrame({"path": ["a > b", "a"], "total_conversions": [0, 0], "total_null": [3, 2]})
    ws = dw.separation_warnings(none)
    assert [w.details["kind"] for w in ws] == ["no_converting"]
    assert dw.separated_channels(none).affected == ("a", "b")


def test_merge_always_together_sums_rows():
    paths = pd.DataFrame({"path": ["d > e", "e > d", "a", "a > d > e"],
                          "total_conversions": [1, 2, 0, 1], "total_conversion_value": [10.0, 20, 0, 5],
                          "total_null": [1, 0, 2, 1]})
    merged = dw.merge_always_together(paths)
    assert list(merged["path"]) == ["a", "a > d + e > d + e", "d + e > d + e"]
    row = merged.set_index("path").loc["d + e > d + e"]
    assert (row["total_conversions"], row["total_conversion_value"], row["total_null"]) == (3, 30, 1)
    assert dw.merge_always_together(PATHS.iloc[:3]).equals(PATHS.iloc[:3])  # nothing to merge


# --------------------------------------------------------------------------------- lookback loss

def _lookback_case():
    # A: touches at day 0 and 100, won at 120 (day 0 is outside a 90-day window: partly lost)
    # B: one touch at day 0, won at day 200 (every touch outside: left out of attribution)
    # C..: won inside the window; Z: a non-converting tail with one old touch
    tps = [("A", 0, "email"), ("A", 100, "webinar"), ("B", 0, "email"), ("Z", 0, "email"),
           ("Z", 200, "events")]
    rows = [dict(account="A", lead=1, outcome="won", close=120, revenue=100),
            dict(account="B", lead=1, outcome="won", close=200, revenue=300)]
    for i in range(8):
        acc = f"C{i}"
        tps.append((acc, 50, "paid_search"))
        rows.append(dict(account=acc, lead=50, outcome="won", close=60, revenue=100))
    return _touches(tps), _opps(rows)


def test_lookback_loss_matches_journeys_and_fires():
    tp, opp = _lookback_case()
    per = dw.lookback_loss(tp, opp, 90)
    j = build_journeys(tp, opp, 90)
    assert per["touches_outside"].sum() == j.stats["touches_outside_lookback"] == 3
    ws = dw.lookback_warnings(tp, opp, 90, journeys=j)
    assert _codes(ws) == ["lookback_loss"]
    d = ws[0].details
    assert (d["won_deals"], d["affected_deals"], d["deals_without_kept_touches"]) == (10, 2, 1)
    assert d["revenue_share"] == pytest.approx(400 / 1200)
    assert "2 of 10 won deals (20 %)" in ws[0].message and "33 % of won revenue" in ws[0].message
    assert "1 of them had no touch inside the window" in ws[0].message
    assert j.stats["conversions_without_touches"] == 1


def test_lookback_quiet_with_a_long_window():
    tp, opp = _lookback_case()
    assert dw.lookback_warnings(tp, opp, 365) == []
    j = build_journeys(tp, opp, 365)
    assert j.stats["touches_outside_lookback"] == 0
    assert dw.lookback_warnings(tp, opp, 365, journeys=j) == []


# ---------------------------------------------------------------------------------------- revenue

def test_revenue_concentration_fires_on_one_big_deal():
    rows = [dict(outcome="won", close=10, revenue=r) for r in [10_000, 100, 100, 100, 100]]
    ws = dw.revenue_warnings(_opps(rows))
    assert _codes(ws) == ["revenue_concentration"]
    assert ws[0].details["top_deals"] == 1
    assert ws[0].message.startswith("The largest of 5 won deals holds 96 % of won revenue")


def test_revenue_concentration_top_two_rule():
    # 300 deals: top 1 % = 3 deals; top 2 deals hold 60 %
    revs = [3_000, 3_000] + [10] * 298 + [1_000]
    ws = dw.revenue_warnings(_opps([dict(outcome="won", close=10, revenue=r) for r in revs]))
    assert _codes(ws) == ["revenue_concentration"]
    assert ws[0].details["top_deals"] in (2, 3) and ws[0].details["top_share"] > 0.5


def test_revenue_quiet_on_even_deals_and_zero_revenue_wins_fire():
    even = _opps([dict(outcome="won", close=10, revenue=1000 + i) for i in range(100)]
                 + [dict(outcome="lost", close=10, revenue=0)])
    assert dw.revenue_warnings(even) == []
    with_zero = _opps([dict(outcome="won", close=10, revenue=1000) for _ in range(9)]
                      + [dict(outcome="won", close=10, revenue=0)])
    ws = dw.revenue_warnings(with_zero)
    assert _codes(ws) == ["zero_revenue_wins"]
    assert ws[0].details == {"won_deals": 10, "zero_revenue_deals": 1, "share": 0.1}
    assert dw.revenue_warnings(_opps([dict(outcome="lost", close=5)])) == []  # no wins at all


# ------------------------------------------------------------------------------- missing tables

def _units(adoption: dict[str, str | None], periods=("2024-01-01", "2024-02-01", "2024-03-01")):
    rows = [{"unit_id": u, "period": pd.Timestamp(p), "revenue": 1.0,
             "adoption_period": pd.Timestamp(a) if a else pd.NaT}
            for u, a in adoption.items() for p in periods]
    return pd.DataFrame(rows)


def _dataset(**tables):
    base = {"touchpoints": _touches([("A", 0, "email")]), "opportunities": _opps([{}]),
            "spend": pd.DataFrame({"cost": [1.0]}), "units": _units({"u1": "2024-02-01", "u2": None}),
            "accounts": pd.DataFrame({"account_id": ["A"]})}
    base.update(tables)
    return SimpleNamespace(**base)


def test_missing_tables_fire_from_empty_tables_and_from_missing():
    ds = _dataset(spend=pd.DataFrame(columns=["cost"]), accounts=pd.DataFrame())
    assert _codes(dw.missing_table_warnings(ds)) == ["no_spend", "no_accounts"]
    ds = _dataset()
    ds.missing = ("units",)
    assert _codes(dw.missing_table_warnings(ds)) == ["no_units"]  # no no_adoption without units
    assert dw.missing_table_warnings(_dataset()) == []


@pytest.mark.parametrize("adoption, reason, words", [
    ({"u1": None, "u2": None}, "never", "none of the 2 business units has an adoption date"),
    ({"u1": "2024-06-01", "u2": None}, "after_end", "after the last month of data (Mar 2024)"),
    ({"u1": "2024-01-01", "u2": "2023-06-01"}, "before_start", "in or before the first month"),
    ({"u1": "2024-01-01", "u2": "2024-09-01"}, "outside", "1 did so at or before the start"),
])
def test_no_adoption_says_why(adoption, reason, words):
    ws = dw.missing_table_warnings(_dataset(units=_units(adoption)))
    assert _codes(ws) == ["no_adoption"]
    assert ws[0].details["reason"] == reason and words in ws[0].message
    assert ws[0].texts.get("es")


# ----------------------------------------------------------------------------------------- funnel

def _funnel_clean() -> list[dict]:
    rows = []
    for i in range(40):  # marketing leads: 3 in 4 become MQL, then mixed progress
        mql = i % 4 != 0
        sql = mql and i % 3 != 0
        opp = sql and i % 2 == 0
        if opp:
            outcome = "won" if i % 8 == 2 else "lost"
        else:
            outcome = "lost" if i % 5 else "open"
        rows.append(dict(source="marketing", mql=mql, sql=sql, opp=opp, outcome=outcome,
                         close=None if outcome == "open" else 30, revenue=100 if outcome == "won" else 0))
    return rows


def test_funnel_quiet_on_mixed_rates():
    assert dw.funnel_warnings(_opps(_funnel_clean())) == []


def test_funnel_every_marketing_lead_is_an_mql():
    rows = [dict(r, mql=r["mql"] or True) for r in _funnel_clean()]
    ws = dw.funnel_warnings(_opps(rows))
    assert _codes(ws) == ["degenerate_rate"]
    assert ws[0].details["step"] == "lead → MQL" and ws[0].details["rate"] == 1.0
    assert "all 40 marketing-sourced leads" in ws[0].message
    assert "Definition used: leads with an MQL date / leads not sourced by sales" in ws[0].message


def test_funnel_win_rate_100_because_lost_deals_closed_early():
    rows = [dict(source="sales", opp=True, sql=True, outcome="won", close=20, revenue=10)
            for _ in range(25)]
    rows += [dict(source="sales", opp=False, sql=i % 2 == 0, outcome="lost", close=20)
             for i in range(30)]
    ws = dw.funnel_warnings(_opps(rows))
    steps = {w.details["step"]: w for w in ws}
    assert set(steps) == {"opportunity → won"}  # SQL → opportunity is 25 of 40: not degenerate
    assert "The 30 lost deals all closed before the opportunity stage" in steps["opportunity → won"].message


def test_funnel_zero_rate_and_small_denominators():
    rows = [dict(source="sales", sql=True, opp=False, outcome="lost", close=5) for _ in range(25)]
    ws = dw.funnel_warnings(_opps(rows))
    assert {w.details["step"] for w in ws} == {"SQL → opportunity", "closed → won"}
    assert all(w.details["rate"] == 0 for w in ws)
    assert dw.funnel_warnings(_opps(rows[:19])) == []  # below 20 in the denominator


# ------------------------------------------------------------------------------------- data start

def _monthly(rates: list[float], leads: int = 50, open_last: int = 0) -> pd.DataFrame:
    rows = []
    for m, rate in enumerate(rates):
        start = T0 + pd.DateOffset(months=m)
        n_won = round(rate * leads)
        for i in range(leads):
            lead_day = (start - T0).days + 1 + i % 20
            if i < n_won:
                rows.append(dict(lead=lead_day, outcome="won", close=lead_day + 5, revenue=10))
            elif m == len(rates) - 1 and i < n_won + open_last:
                rows.append(dict(lead=lead_day, outcome="open"))
            else:
                rows.append(dict(lead=lead_day, outcome="lost", close=lead_day + 5))
    return _opps(rows)


def test_data_start_quiet_on_steady_rates():
    assert dw.data_start_warnings(_monthly([0.1, 0.12, 0.1, 0.08, 0.1, 0.1, 0.12, 0.1])) == []
    assert dw.data_start_warnings(_monthly([0.4, 0.1, 0.1])) == []  # too few months to judge


def test_data_start_fires_at_both_ends_with_truncation_wording():
    opp = _monthly([0.4, 0.1, 0.1, 0.1, 0.12, 0.1, 0.1, 0.0], open_last=30)
    ws = dw.data_start_warnings(opp)
    assert _codes(ws) == ["data_start", "data_start"]
    start, end = ws
    assert (start.details["where"], start.details["direction"], start.details["months"]) == \
        ("start", "high", ["2024-01"])
    assert "left truncation" in start.message and "4.0×" in start.message
    assert (end.details["where"], end.details["direction"], end.details["months"]) == \
        ("end", "low", ["2024-08"])
    assert "right truncation" in end.message and "60 % of them are still open" in end.message


def test_data_start_ignores_small_months():
    opp = _monthly([0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], leads=20)
    assert dw.data_start_warnings(opp) == []


# ---------------------------------------------------------------------------------- all of them

def test_collect_on_tiny_dataset(tiny_dataset):
    from smlib.io import load_dataset

    ds = load_dataset(tiny_dataset)
    ws = dw.collect_warnings(ds)
    codes = _codes(ws)
    assert codes == sorted(codes, key=dw.CODES.index)
    # one won deal (it carries all revenue); two journeys, each with its own pair of channels
    assert codes == ["separation"] * 3 + ["revenue_concentration", "unbudgeted_channels"]
    assert ws[3].message.startswith("There is only one won deal")
    for w in ws:
        assert "A1" not in w.message and "A2" not in w.message and "O1" not in w.message
        assert w.texts.get("es")
        json.dumps(w.to_dict())


def test_collect_on_default_dataset():
    from smlib.io import load_dataset

    ds = load_dataset()
    j = build_journeys(ds.touchpoints, ds.opportunities, 90, validate_input=False)
    ws = dw.collect_warnings(ds, j)
    # The simulator makes every marketing-sourced lead an MQL (sales-sourced leads skip MQL), which
    # is exactly the degenerate step this code is for; nothing else fires on the default data.
    assert [(w.code, w.details.get("step")) for w in ws] == [("degenerate_rate", "lead → MQL")]
    assert all(json.loads(json.dumps(w.to_dict())) == w.to_dict() for w in ws)


def test_zero_spend_and_dropped_rows():
    ds = _dataset(spend=pd.DataFrame({"cost": [0.0, 0.0]}))
    ws = dw.missing_table_warnings(ds)
    assert _codes(ws) == ["no_spend"] and "every cost is 0" in ws[0].message
    ds.dropped = [{"table": "touchpoints", "column": "cost", "rule": "cost >= 0", "count": 7,
                   "rows": [2, 5, 9, 11, 12]}]
    ws = dw.dropped_rows_warnings(ds)
    assert _codes(ws) == ["dropped_rows"]
    assert ws[0].message == ("7 rows of touchpoints, column cost broke the rule “cost >= 0” and "
                             "were left out (data rows 2, 5, 9, 11, 12 …).")
    assert ws[0].details["count"] == 7 and "filas" in ws[0].text("es")
    assert "cost >= 0" not in ws[0].text("es") and "(columna cost)" in ws[0].text("es")
    assert dw.dropped_rows_warnings(_dataset()) == []


def test_unbudgeted_channels():
    tp = pd.DataFrame({"channel": ["email", "demo", "demo", "webinar"]})
    ds = SimpleNamespace(touchpoints=tp, spend=pd.DataFrame({"channel": ["email"], "cost": [5.0]}))
    ws = dw.unbudgeted_channel_warnings(ds)
    assert _codes(ws) == ["unbudgeted_channels"]
    assert ws[0].details == {"channels": ["demo", "webinar"], "touches": 3}
    assert "cost counts as 0" in ws[0].message
    assert dw.unbudgeted_channel_warnings(SimpleNamespace(
        touchpoints=tp, spend=pd.DataFrame({"channel": ["email"], "cost": [0.0]}))) == []


def test_trimmed_spaces_from_the_loader_notes(tmp_path):
    from smlib import io
    from test_io import tiny_tables, write

    tables = tiny_tables()
    tables["touchpoints"].loc[0, "channel"] = "paid_search "
    tables["touchpoints"].loc[1, "account_id"] = " 007"
    ds = io.load_dataset(write(tmp_path / "d", tables, "csv"))
    ws = dw.trimmed_space_warnings(ds)
    by_col = {w.details["column"]: w for w in ws}
    assert by_col["channel"].details["examples"] == ["paid_search "]
    assert "“paid_search ”" in by_col["channel"].message
    assert by_col["account_id"].details["examples"] == []  # ids are never shown
    assert "007" not in by_col["account_id"].message
    assert "trimmed_spaces" in _codes(dw.collect_warnings(ds))


def test_catalogue_gap_words_a_gap_in_every_language() -> None:
    from smlib.gaps import catalogue_gap, contract_ref

    gap = catalogue_gap("no_spend", "overview.gap.no_spend", "overview.gap.spend_unlocks", "spend")
    assert gap.code == "no_spend" and gap.contract_ref == contract_ref("spend")
    assert gap.text() == ("This data does not have a spend table (costs by month, channel and "
                          "team). With it, the report would show where the money goes, and cost "
                          "per customer and return in reports 01 and 03 (see data/README.md, "
                          "table `spend`).")
    assert gap.text("es").startswith("Estos datos no tienen una tabla de gasto")
    assert gap.contract_ref_in("es") == contract_ref("spend", "es")
