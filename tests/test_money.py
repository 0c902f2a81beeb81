"""ROI that reconciles channels with teams, spend vs credit, quarterly trends and the uplift
run-rate (smlib.metrics money views) and report 01's money sections (smlib.analyses.money), on
hand-made cases whose answers are computed by hand in the comments, and on the default data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib import metrics
from smlib.analyses.money import MoneyViews, credit_with_bounds, spend_on_credit_channels
from smlib.presentation.catalogue import text

TEAMS = {"a": "marketing", "b": "marketing", "c": "sales"}


@pytest.fixture()
def credit() -> pd.DataFrame:
    return pd.DataFrame({"model": "m", "channel": ["a", "b", "c"], "conversions": [2.0, 1.0, 1.0],
                         "value": [200.0, 100.0, 100.0], "share": [0.5, 0.25, 0.25]})


@pytest.fixture()
def spend() -> pd.DataFrame:
    return pd.DataFrame({"period": "2024-01-01",
                         "channel": ["a", "b", "marketing_overhead", "c", "sales_people"],
                         "team": ["marketing", "marketing", "marketing", "sales", "sales"],
                         "cost": [10.0, 20.0, 30.0, 40.0, 60.0]})


def _tables(credit: pd.DataFrame, spend: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    ch = metrics.channel_economics(credit, spend, gross_margin=0.5, channel_teams=TEAMS)
    tm = metrics.team_economics(credit, spend, gross_margin=0.5, channel_teams=TEAMS)
    return ch, tm


def _rows(r: pd.DataFrame, team: str) -> pd.DataFrame:
    """One team's rows, indexed by channel (or kind for the cost and total rows)."""
    g = r.loc[r["team"].eq(team)]
    return g.set_index(g["channel"].fillna(g["kind"]))


def test_reconciliation_hand_case(credit, spend) -> None:
    ch, tm = _tables(credit, spend)
    r = metrics.roi_reconciliation(ch, tm, "m")
    assert list(r["kind"]) == ["channel", "channel", "unallocated", "team_total",
                               "channel", "unallocated", "team_total", "all_teams"]
    mk = _rows(r, "marketing")
    # a: gross profit 200 × 0.5 = 100 on its own cost 10 → marginal ROI 9; overhead 30 shared by
    # own cost (10 of 30) → loaded cost 20 → ROI 100 / 20 − 1 = 4
    assert mk.at["a", "marginal_roi"] == pytest.approx(9.0)
    assert mk.at["a", "loaded_cost"] == pytest.approx(20.0)
    assert mk.at["a", "loaded_roi"] == pytest.approx(4.0)
    # b: 50 / 20 − 1 = 1.5; loaded 20 + 20 = 40 → 50 / 40 − 1 = 0.25
    assert mk.at["b", "marginal_roi"] == pytest.approx(1.5)
    assert mk.at["b", "loaded_roi"] == pytest.approx(0.25)
    assert mk.at["unallocated", "cost"] == 30.0 and mk.at["unallocated", "revenue"] == 0.0
    # team: cost 10 + 20 + 30 = 60, gross profit 150 → ROI 1.5 (= team_economics)
    assert mk.at["team_total", "cost"] == 60.0
    assert mk.at["team_total", "loaded_roi"] == pytest.approx(1.5)
    assert mk.at["team_total", "loaded_roi"] == pytest.approx(
        float(tm.loc[tm["team"].eq("marketing"), "roi"].iloc[0]))
    sales = _rows(r, "sales")
    # c: 50 / 40 − 1 = 0.25 marginal; the team: 50 / 100 − 1 = −0.5, and so is c loaded
    assert sales.at["c", "marginal_roi"] == pytest.approx(0.25)
    assert sales.at["c", "loaded_roi"] == pytest.approx(-0.5)
    assert sales.at["team_total", "loaded_roi"] == pytest.approx(-0.5)
    allt = r.loc[r["kind"].eq("all_teams")].iloc[0]
    assert allt["cost"] == 160.0 and allt["gross_profit"] == pytest.approx(200.0)
    assert allt["loaded_roi"] == pytest.approx(0.25)


def _check_adds_up(r: pd.DataFrame) -> None:
    for team, g in r.loc[r["team"].notna()].groupby("team"):
        parts, total = g.loc[g["kind"] != "team_total"], g.loc[g["kind"].eq("team_total")].iloc[0]
        for col in ("cost", "revenue", "gross_profit", "net_return"):
            assert parts[col].sum() == pytest.approx(total[col], rel=1e-12), (team, col)
        ch = g.loc[g["kind"].eq("channel")]
        assert ch["loaded_cost"].sum() == pytest.approx(total["cost"], rel=1e-12)
        # loaded ROI on loaded cost gives back the team's gross profit (a channel without cost,
        # e.g. direct, earns its gross profit at no cost and has no ROI)
        ok = ch["loaded_cost"] > 0
        gp = (ch.loc[ok, "loaded_cost"] * (1 + ch.loc[ok, "loaded_roi"])).sum() \
            + ch.loc[~ok, "gross_profit"].sum()
        assert gp == pytest.approx(total["gross_profit"], rel=1e-9)
        if ok.all():  # then the team ROI is the cost-weighted mean of the loaded ROIs
            w = ch["loaded_cost"] / ch["loaded_cost"].sum()
            assert (w * ch["loaded_roi"]).sum() == pytest.approx(total["loaded_roi"], rel=1e-9)
    allt = r.loc[r["kind"].eq("all_teams")].iloc[0]
    teams = r.loc[r["kind"].eq("team_total")]
    for col in ("cost", "revenue", "gross_profit", "net_return"):
        assert teams[col].sum() == pytest.approx(allt[col], rel=1e-12)


def test_reconciliation_adds_up_exactly_hand_case(credit, spend) -> None:
    _check_adds_up(metrics.roi_reconciliation(*_tables(credit, spend), "m"))


def test_reconciliation_rejects_tables_that_do_not_reconcile(credit, spend) -> None:
    ch, _ = _tables(credit, spend)
    other = spend.assign(cost=spend["cost"] * 2)
    _, tm = _tables(credit, other)
    with pytest.raises(ValueError, match="do not add up"):
        metrics.roi_reconciliation(ch, tm, "m")
    with pytest.raises(ValueError, match="not in both tables"):
        metrics.roi_reconciliation(ch, tm, "nope")


def test_unallocated_channels_include_never_credited_spend(credit, spend) -> None:
    extra = pd.concat([spend, pd.DataFrame({"period": ["2024-01-01"], "channel": ["tools"],
                                            "team": ["sales"], "cost": [5.0]})])
    ch, tm = _tables(credit, extra)
    assert set(metrics.unallocated_channels(ch)) == {"marketing_overhead", "sales_people", "tools"}
    r = metrics.roi_reconciliation(ch, tm, "m")
    un = r.loc[r["kind"].eq("unallocated") & r["team"].eq("sales"), "cost"].iloc[0]
    assert un == 65.0  # salaries 60 + tools 5


def test_spend_vs_credit_hand_case(credit, spend) -> None:
    ch, _ = _tables(credit, spend)
    s = metrics.spend_vs_credit(ch, "m").set_index("channel")
    # channels' own cost 10, 20, 40 (overhead left out); credited revenue 200, 100, 100
    assert s["spend_share"].to_dict() == pytest.approx({"a": 1 / 7, "b": 2 / 7, "c": 4 / 7})
    assert s["credit_share"].to_dict() == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.25})
    assert s.at["a", "ratio"] == pytest.approx(0.5 / (1 / 7))
    assert s["credit_share_ci_low"].isna().all()  # no bootstrap bounds in this credit


def test_quarterly_trends_hand_case() -> None:
    opp = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4"], "account_id": ["A1", "A1", "A2", "A3"],
        "lead_at": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-10", "2024-02-01"], utc=True),
        "opportunity_at": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-04-01", None], utc=True),
        "closed_at": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-05-01", "2024-02-10"], utc=True),
        "outcome": ["won", "won", "won", "lost"], "revenue": [100.0, 300.0, 50.0, 0.0],
        "gross_margin": 0.5, "source_team": ["marketing", "marketing", "sales", "sales"]})
    sp = pd.DataFrame({"period": ["2024-01-01", "2024-04-01", "2024-02-01"],
                       "channel": ["email", "sdr_call", "sdr_call"],
                       "team": ["marketing", "sales", "sales"], "cost": [40.0, 25.0, 5.0]})
    t = metrics.quarterly_trends(opp, sp).set_index(["quarter", "team"])
    # 2024Q1 marketing: O1 and O2 won (A1 once a new customer), revenue 400, cost 40 → CAC 40
    q1m = t.loc[("2024Q1", "marketing")]
    assert (q1m["revenue"], q1m["deals_won"], q1m["new_customers"]) == (400.0, 2, 1)
    assert q1m["opportunities_created"] == 2 and q1m["cac"] == 40.0
    # 2024Q1 sales: no win, cost 5 → CAC undefined; Q2 sales: O3 won, cost 25 → CAC 25
    assert np.isnan(t.loc[("2024Q1", "sales"), "cac"])
    assert t.loc[("2024Q2", "sales"), "cac"] == 25.0
    assert t.loc[("2024Q1", "all"), "revenue"] == 400.0
    assert t.loc[("2024Q1", "all"), "cost"] == 45.0
    # revenue interval: compound Poisson, SE = sqrt(100² + 300²)
    se = np.sqrt(100.0 ** 2 + 300.0 ** 2)
    assert q1m["revenue_ci_high"] == pytest.approx(400 + 1.959964 * se, rel=1e-5)
    blank = metrics.quarterly_trends(opp.assign(source_team=[None, "marketing", "sales", "sales"]),
                                     sp).set_index(["quarter", "team"])
    assert blank.loc[("2024Q1", "none"), "revenue"] == 100.0
    assert np.isnan(blank.loc[("2024Q1", "none"), "cac"])
    assert blank.loc[("2024Q1", "all"), "revenue"] == 400.0
    no_spend = metrics.quarterly_trends(opp)
    assert no_spend["cost"].isna().all() and no_spend["cac"].isna().all()


def test_uplift_run_rate_hand_case() -> None:
    periods = pd.date_range("2023-01-01", "2024-12-01", freq="MS")
    units = pd.DataFrame({"unit_id": np.repeat(["U1", "U2"], len(periods)),
                          "period": np.tile(periods, 2), "revenue": 110.0,
                          "adoption_period": np.repeat([pd.Timestamp("2024-01-01"), pd.NaT],
                                                       len(periods))})
    out = metrics.uplift_run_rate(0.10, 0.05, 0.20, units)
    # U1 is integrated for all of the last 12 months: R = 110 × 12 = 1,320; u R / (1 + u)
    assert out["n_units"] == 1 and out["months_used"] == 12
    assert out["annual_revenue"] == pytest.approx(1320.0)
    assert out["annual_uplift"] == pytest.approx(120.0)
    assert out["counterfactual"] == pytest.approx(1200.0)
    assert out["annual_uplift_ci_low"] == pytest.approx(1320 * 0.05 / 1.05)
    assert out["annual_uplift_ci_high"] == pytest.approx(1320 * 0.2 / 1.2)
    none = metrics.uplift_run_rate(0.1, 0.0, 0.2, units.assign(adoption_period=pd.NaT))
    assert none["annual_uplift"] == 0.0 and none["note"]
    with pytest.raises(ValueError, match="ci_low <= uplift"):
        metrics.uplift_run_rate(0.1, 0.2, 0.3, units)
    with pytest.raises(ValueError, match="> -1"):
        metrics.uplift_run_rate(-1.0, -1.0, 0.0, units)


def test_credit_with_bounds_and_merged_spend() -> None:
    cr = pd.DataFrame({"model": ["m", "m"], "channel": ["a", "b"], "conversions": [1.0, 2.0],
                       "value": [1.0, 2.0], "share": [1 / 3, 2 / 3]})
    iv = pd.DataFrame({"model": ["m"], "channel": ["a"], "ci_low": [0.5], "ci_high": [1.5],
                       "value_ci_low": [0.4], "value_ci_high": [1.6], "se": [0.1]})
    out = credit_with_bounds(cr, iv)
    assert out.loc[0, "value_ci_high"] == 1.6 and np.isnan(out.loc[1, "ci_low"])
    sp = pd.DataFrame({"channel": ["x", "y", "z"], "cost": [1.0, 2.0, 3.0]})
    merged = spend_on_credit_channels(sp, {"x + y": "sales", "z": "sales"})
    assert list(merged["channel"]) == ["x + y", "x + y", "z"]


def test_reconciliation_table_labels(credit, spend) -> None:
    """The marginal ROI is labelled as such wherever it is shown, in both languages."""
    ch, tm = _tables(credit, spend)
    views = MoneyViews(model="m", model_basis="named", horizon="first_contract", channels=ch,
                       teams=tm, reconciliation=metrics.roi_reconciliation(ch, tm, "m"))
    for lang, marginal, unalloc in (
            ("en", "Marginal ROI (touch costs only)",
             "Team costs not tied to a channel (salaries, overhead)"),
            ("es", "ROI marginal (solo costes de contacto)",
             "Costes del equipo no ligados a un canal (salarios, gastos generales)")):
        shown = views.reconciliation_table(lang).to_text(lang)
        assert marginal in shown.columns
        assert (shown.iloc[:, 1] == unalloc).sum() == 2  # one row per team
        assert marginal in views.roi_by_model_table(lang).caption
        assert marginal.lower() in text("attribution.money.nb.models", lang).lower()
        assert text("attribution.money.row.all_teams", lang) in set(shown.iloc[:, 1])


def test_reconciliation_on_default_data(default_dataset) -> None:
    """On the default data: every model's table adds up exactly, and the team totals are the
    whole spend."""
    from smlib.attribution.api import compare
    from smlib.journeys import build_journeys

    ds = default_dataset
    j = build_journeys(ds.touchpoints, ds.opportunities, 90, validate_input=False)
    cr = compare(j.paths, models=["linear", "first_touch"])
    kw = dict(horizon="lifetime", monthly_churn=0.015, contract_months=12)
    ch = metrics.channel_economics(cr, ds.spend, ds.opportunities, **kw)
    tm = metrics.team_economics(cr, ds.spend, ds.opportunities, **kw)
    for model in ("linear", "first_touch"):
        r = metrics.roi_reconciliation(ch, tm, model)
        _check_adds_up(r)
        allt = r.loc[r["kind"].eq("all_teams")].iloc[0]
        assert allt["cost"] == pytest.approx(ds.spend["cost"].sum(), rel=1e-12)
        assert allt["revenue"] == pytest.approx(cr.loc[cr["model"].eq(model), "value"].sum(),
                                                rel=1e-12)
        un = r.loc[r["kind"].eq("unallocated")]
        assert (un["cost"] > 0).all() and (un["revenue"] == 0).all()
        # the marginal ROI of every costed, credited channel is above its ROI with all costs
        c = r.loc[r["kind"].eq("channel") & (r["cost"] > 0) & (r["gross_profit"] > 0)]
        assert len(c) and (c["marginal_roi"] > c["loaded_roi"]).all()


@pytest.fixture(scope="module")
def default_dataset():
    from smlib import io

    return io.load_dataset(None)
