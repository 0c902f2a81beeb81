"""Funnel, CAC, ROI and unit-economics metrics on a small hand-made case (values computed by hand
in the comments), consistency checks and the edge cases of the issue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib import metrics
from smlib.analyses import figures

T = pd.Timestamp


def _ts(s: str | None) -> pd.Timestamp:
    return pd.NaT if s is None else T(s, tz="UTC")


@pytest.fixture()
def opps() -> pd.DataFrame:
    rows = [  # id, account, lead, mql, sql, opp, closed, outcome, revenue, margin, source
        ("O1", "A1", "2024-01-02", "2024-01-03", "2024-01-05", "2024-01-10", "2024-02-09", "won", 10000.0, 0.8, "marketing"),
        ("O2", "A2", "2024-01-05", "2024-01-06", None, None, "2024-01-20", "lost", 0.0, 0.8, "marketing"),
        ("O3", "A3", "2024-01-10", None, "2024-01-11", "2024-01-15", "2024-03-15", "won", 20000.0, 0.7, "sales"),
        ("O4", "A4", "2024-02-01", None, "2024-02-02", "2024-02-05", "2024-02-25", "lost", 0.0, 0.7, "sales"),
        ("O5", "A5", "2024-02-10", "2024-02-11", "2024-02-12", "2024-02-15", None, "open", 5000.0, 0.8, "marketing"),
        ("O6", "A1", "2024-03-01", "2024-03-02", "2024-03-03", "2024-03-05", "2024-03-25", "won", 6000.0, 0.5, "marketing"),
        ("O7", "A6", "2024-03-10", None, None, None, None, "open", 0.0, 0.8, "marketing"),
    ]
    cols = ["opportunity_id", "account_id", "lead_at", "mql_at", "sql_at", "opportunity_at",
            "closed_at", "outcome", "revenue", "gross_margin", "source_team"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("lead_at", "mql_at", "sql_at", "opportunity_at", "closed_at"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


@pytest.fixture()
def spend() -> pd.DataFrame:
    rows = [  # period, channel, team, cost, unit
        ("2024-01-01", "paid_search", "marketing", 3000.0, "north"),
        ("2024-01-01", "email", "marketing", 500.0, "north"),
        ("2024-01-01", "sdr_call", "sales", 1000.0, "south"),
        ("2024-01-01", "sales_people", "sales", 4000.0, "north"),
        ("2024-01-01", "marketing_overhead", "marketing", 1000.0, "south"),
        ("2024-02-01", "paid_search", "marketing", 2000.0, "north"),
        ("2024-02-01", "demo", "sales", 1500.0, "north"),
        ("2024-02-01", "sales_people", "sales", 4000.0, "north"),
        ("2024-03-01", "paid_search", "marketing", 1000.0, "south"),
        ("2024-03-01", "sales_people", "sales", 4000.0, "north"),
    ]
    df = pd.DataFrame(rows, columns=["period", "channel", "team", "cost", "unit_id"])
    df["period"] = pd.to_datetime(df["period"])
    return df


@pytest.fixture()
def accounts() -> pd.DataFrame:
    return pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4", "A5", "A6"],
                         "unit_id": ["north", "south", "north", "south", "north", "south"],
                         "segment": "smb", "size": 10})


@pytest.fixture()
def units() -> pd.DataFrame:
    periods = pd.date_range("2024-01-01", periods=3, freq="MS")
    return pd.DataFrame({"unit_id": ["north"] * 3 + ["south"] * 3, "period": list(periods) * 2,
                         "revenue": 1.0, "adoption_period": [T("2024-02-01")] * 3 + [pd.NaT] * 3})


@pytest.fixture()
def credit() -> pd.DataFrame:
    # Both models credit the 3 won deals and their 36,000 of revenue.
    return pd.DataFrame({
        "model": ["first_touch"] * 2 + ["linear"] * 4,
        "channel": ["paid_search", "email", "paid_search", "email", "sdr_call", "demo"],
        "conversions": [2.0, 1.0, 1.0, 0.5, 0.5, 1.0],
        "value": [20000.0, 16000.0, 12000.0, 6000.0, 6000.0, 12000.0],
        "share": [2 / 3, 1 / 3, 1 / 3, 1 / 6, 1 / 6, 1 / 3]})


# ------------------------------------------------------------------------------ funnel

def test_stage_conversion_hand_case(opps) -> None:
    out = metrics.stage_conversion(opps).set_index(["from_stage", "to_stage"])
    # lead→mql over the 5 non-sales leads (O1 O2 O5 O6 O7), 4 reached MQL.
    expected = {("lead", "mql"): (5, 4), ("mql", "sql"): (4, 3), ("lead", "sql"): (7, 5),
                ("sql", "opportunity"): (5, 5), ("opportunity", "won"): (5, 3),
                ("lead", "won"): (7, 3)}
    for key, (n_from, n_to) in expected.items():
        row = out.loc[key]
        assert (row["n_from"], row["n_to"]) == (n_from, n_to)
        assert row["rate"] == pytest.approx(n_to / n_from)
        assert row["ci_low"] <= row["rate"] <= row["ci_high"]
    # Wilson interval for 3/4 at 95 %: (0.3006, 0.9544) (Wilson 1927 formula, by hand)
    assert out.loc[("mql", "sql"), "ci_low"] == pytest.approx(0.30064, abs=1e-4)
    assert out.loc[("mql", "sql"), "ci_high"] == pytest.approx(0.95443, abs=1e-4)


def test_stage_conversion_by_source_explains_empty_stage(opps) -> None:
    out = metrics.stage_conversion(opps, by="source_team")
    sales_mql = out.query("source_team == 'sales' and from_stage == 'lead' and to_stage == 'mql'")
    assert sales_mql["n_from"].item() == 0 and np.isnan(sales_mql["rate"].item())
    assert "no records entered" in sales_mql["note"].item()
    mkt = out.query("source_team == 'marketing' and from_stage == 'opportunity'")
    assert (mkt["n_from"].item(), mkt["n_to"].item()) == (3, 2)


def test_win_rate_and_cycle(opps) -> None:
    wr = metrics.win_rate(opps)
    # opportunities only: O2 was lost as a lead, O7 is an open lead → won 3, lost 1 (O4), open 1
    assert (wr["won"].item(), wr["lost"].item(), wr["open"].item()) == (3, 1, 1)
    assert wr["win_rate"].item() == pytest.approx(0.75)
    by = metrics.win_rate(opps, by="source_team").set_index("source_team")
    assert by.loc["sales", "win_rate"] == pytest.approx(0.5)
    assert by.loc["marketing", "win_rate"] == pytest.approx(1.0)
    cyc = metrics.sales_cycle(opps)
    # opp→close of won deals: 30, 60 (2024 is a leap year), 20 days
    assert cyc["mean_days"].item() == pytest.approx(110 / 3)
    assert cyc["median_days"].item() == pytest.approx(30.0)
    sd = np.std([30, 60, 20], ddof=1)
    assert cyc["std_error"].item() == pytest.approx(sd / np.sqrt(3))
    assert cyc["ci_low"].item() < 110 / 3 < cyc["ci_high"].item()
    assert metrics.sales_cycle(opps, start="lead_at")["mean_days"].item() == pytest.approx(
        (38 + 65 + 24) / 3)


def test_pipeline_velocity_hand_case(opps) -> None:
    v = metrics.pipeline_velocity(opps, n_boot=300, seed=1)
    # 5 opportunities × 12,000 average won deal × 3/4 win rate / (110/3) days = 1,227.27 per day
    assert v["n_opportunities"].item() == 5
    assert v["avg_deal"].item() == pytest.approx(12000.0)
    assert v["win_rate"].item() == pytest.approx(0.75)
    assert v["velocity"].item() == pytest.approx(5 * 12000 * 0.75 / (110 / 3))
    assert v["ci_low"].item() < v["velocity"].item() < v["ci_high"].item()


def test_pipeline_velocity_bootstrap_covers_truth() -> None:
    """Simulated deals with known parameters: the interval covers the population velocity."""
    rng = np.random.default_rng(3)
    n = 4000
    won = rng.random(n) < 0.3
    lead = T("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    cycle = pd.to_timedelta(rng.exponential(40.0, n) + 1.0, unit="D")
    df = pd.DataFrame({"opportunity_id": [f"O{i}" for i in range(n)], "account_id": [f"A{i}" for i in range(n)],
                       "lead_at": lead, "opportunity_at": lead, "closed_at": lead + cycle,
                       "outcome": np.where(won, "won", "lost"),
                       "revenue": np.where(won, rng.gamma(4.0, 5000.0, n), 0.0), "gross_margin": 0.8})
    v = metrics.pipeline_velocity(df, n_boot=200, seed=0)
    truth = n * 20000.0 * 0.3 / 41.0
    assert v["ci_low"].item() < truth < v["ci_high"].item()
    assert v["ci_high"].item() - v["ci_low"].item() < 0.3 * truth


def test_classify_source(opps) -> None:
    tp = pd.DataFrame({
        "account_id": ["A1", "A1", "A3", "A4", "A2"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-09", "2024-01-31",
                                     "2023-09-01"], utc=True),
        "channel": ["paid_search", "demo", "sdr_call", "sdr_call", "email"],
        "team": ["marketing", "sales", "sales", "sales", "marketing"]})
    src = metrics.classify_source(opps, tp, lookback_days=90)
    # O1: A1 touches up to 2024-02-09 → both teams; O2's only touch is > 90 days before close.
    assert list(src) == ["mixed", "no_touches", "sales_only", "sales_only", "no_touches", "mixed",
                         "no_touches"]
    with pytest.raises(ValueError, match="touchpoints: column 'team'"):
        metrics.classify_source(opps, tp.assign(team="ops"))


# ------------------------------------------------------------------------------ CAC and ROI

def test_blended_cac_overall(opps, spend) -> None:
    out = metrics.blended_cac(opps, spend)
    row = out.iloc[0]
    # cost 22,000; new customers A1 (O1) and A3 (O3) — O6 is A1's second win
    assert row["cost"] == pytest.approx(22000.0)
    assert row["new_customers"] == 2 and row["won_deals"] == 3
    assert row["cac"] == pytest.approx(11000.0)
    assert row["revenue"] == pytest.approx(36000.0)
    assert row["gross_profit"] == pytest.approx(25000.0)  # 8,000 + 14,000 + 3,000
    assert row["roi"] == pytest.approx(3000.0 / 22000.0)
    assert row["roas"] == pytest.approx(36000.0 / 22000.0)
    assert row["cac_ci_low"] < 11000.0 < row["cac_ci_high"]
    se = np.sqrt(8000.0 ** 2 + 14000.0 ** 2 + 3000.0 ** 2) / 22000.0
    assert row["roi_ci_high"] - row["roi"] == pytest.approx(1.959964 * se, rel=1e-5)
    assert row["note"] == ""


def test_blended_cac_by_period_and_no_customer_month(opps, spend) -> None:
    out = metrics.blended_cac(opps, spend, by="period").set_index("period")
    assert out.loc[T("2024-01-01"), "cost"] == pytest.approx(9500.0)
    assert np.isnan(out.loc[T("2024-01-01"), "cac"])
    assert "no new customers" in out.loc[T("2024-01-01"), "note"]
    assert out.loc[T("2024-02-01"), "cac"] == pytest.approx(7500.0)
    assert out.loc[T("2024-03-01"), "revenue"] == pytest.approx(26000.0)
    assert out["cost"].sum() == pytest.approx(22000.0)
    assert not np.isinf(out[["cac", "roi", "roas"]].to_numpy()).any()
    q = metrics.blended_cac(opps, spend, by="quarter")
    assert q["quarter"].tolist() == ["2024Q1"] and q["cac"].item() == pytest.approx(11000.0)


def test_blended_cac_by_unit_and_regime(opps, spend, accounts, units) -> None:
    out = metrics.blended_cac(opps, spend, by="unit_id", accounts=accounts).set_index("unit_id")
    assert out.loc["north", "cost"] == pytest.approx(19000.0)
    assert out.loc["north", "new_customers"] == 2
    assert out.loc["south", "cost"] == pytest.approx(3000.0)
    assert np.isnan(out.loc["south", "cac"]) and "no new customers" in out.loc["south", "note"]
    reg = metrics.blended_cac(opps, spend, by="regime", accounts=accounts,
                              units=units).set_index("regime")
    # north from Feb on is integrated: cost 2000+1500+4000+4000, deals O1 (Feb) O3 O6 (Mar)
    assert reg.loc["integrated", "cost"] == pytest.approx(11500.0)
    assert reg.loc["integrated", "new_customers"] == 2
    assert reg.loc["separate", "cost"] == pytest.approx(10500.0)
    with pytest.raises(ValueError, match="needs `units`"):
        metrics.blended_cac(opps, spend, by="regime", accounts=accounts)
    with pytest.raises(ValueError, match="spend: no 'unit_id' column"):
        metrics.blended_cac(opps, spend.drop(columns="unit_id"), by="unit_id", accounts=accounts)
    with pytest.raises(ValueError, match="cannot group by"):
        metrics.blended_cac(opps, spend, by="team")


def test_no_cost_gives_nan_roi_with_note(opps, spend) -> None:
    out = metrics.blended_cac(opps, spend.assign(cost=0.0))
    assert out["cac"].item() == 0.0
    assert np.isnan(out["roi"].item()) and np.isnan(out["roas"].item())
    assert "no cost" in out["note"].item()


def test_channel_economics_hand_case_and_consistency(opps, spend, credit) -> None:
    out = metrics.channel_economics(credit, spend, opps)
    gm = 25000.0 / 36000.0
    ft = out.loc[out["model"] == "first_touch"].set_index("channel")
    assert ft.loc["paid_search", "cost"] == pytest.approx(6000.0)
    assert ft.loc["paid_search", "cac"] == pytest.approx(3000.0)
    assert ft.loc["paid_search", "roi"] == pytest.approx((20000.0 * gm - 6000.0) / 6000.0)
    assert ft.loc["email", "roas"] == pytest.approx(16000.0 / 500.0)
    assert ft.loc["paid_search", "team"] == "marketing" and ft.loc["demo", "team"] == "sales"
    # first touch credits nothing to sales touches: NaN with an explanation, not -100 % or inf
    assert np.isnan(ft.loc["demo", "roi"]) and np.isnan(ft.loc["demo", "cac"])
    assert "credits no conversions" in ft.loc["demo", "note"]
    assert "overhead" in ft.loc["sales_people", "note"] and np.isnan(ft.loc["sales_people", "roi"])
    for model, g in out.groupby("model"):  # consistency: costs and credited revenue add up
        assert g["cost"].sum() == pytest.approx(spend["cost"].sum())
        assert g["revenue"].sum() == pytest.approx(36000.0)
        assert g["conversions"].sum() == pytest.approx(3.0)
    lin = out.loc[out["model"] == "linear"].set_index("channel")
    assert lin.loc["demo", "cac"] == pytest.approx(1500.0)
    assert not np.isinf(out[["cac", "roi", "roas"]].to_numpy(dtype=float)).any()


def test_channel_without_cost(opps, spend, credit) -> None:
    cr = pd.concat([credit, pd.DataFrame({"model": ["linear"], "channel": ["direct"],
                                          "conversions": [0.0], "value": [0.0]})])
    cr.loc[cr["channel"].eq("direct"), ["conversions", "value"]] = [0.5, 1000.0]
    out = metrics.channel_economics(cr, spend, opps)
    d = out.query("model == 'linear' and channel == 'direct'").iloc[0]
    assert d["cost"] == 0.0 and d["cac"] == 0.0 and np.isnan(d["roi"])
    assert "no cost recorded" in d["note"]


def test_channel_economics_propagates_bootstrap_bounds(opps, spend, credit) -> None:
    cr = credit.assign(ci_low=credit["conversions"] * 0.5, ci_high=credit["conversions"] * 1.5,
                       value_ci_low=credit["value"] * 0.5, value_ci_high=credit["value"] * 1.5)
    out = metrics.channel_economics(cr, spend, gross_margin=0.5)
    # a model without bootstrap bounds keeps NaN intervals for its teams (never a fake -100 %)
    cr_lin = cr.copy()
    cr_lin.loc[cr_lin["model"] == "linear", ["ci_low", "ci_high", "value_ci_low", "value_ci_high"]] = np.nan
    teams = metrics.team_economics(cr_lin, spend, gross_margin=0.5)
    assert teams.loc[teams["model"] == "linear", ["roi_ci_low", "roi_ci_high"]].isna().all().all()
    ft = teams.query("model == 'first_touch' and team == 'marketing'").iloc[0]
    assert ft["value_ci_low"] == pytest.approx(18000.0)  # 10,000 + 8,000: half of each channel
    ps = out.query("model == 'first_touch' and channel == 'paid_search'").iloc[0]
    assert ps["cac_ci_low"] == pytest.approx(6000.0 / 3.0)
    assert ps["cac_ci_high"] == pytest.approx(6000.0 / 1.0)
    assert ps["roi_ci_low"] == pytest.approx((10000.0 * 0.5 - 6000.0) / 6000.0)
    assert ps["roi_ci_low"] <= ps["roi"] <= ps["roi_ci_high"]


def test_team_economics_adds_up(opps, spend, credit) -> None:
    out = metrics.team_economics(credit, spend, opps)
    ft = out.loc[out["model"] == "first_touch"].set_index("team")
    assert ft.loc["marketing", "cost"] == pytest.approx(7500.0)
    assert ft.loc["marketing", "roi"] == pytest.approx((25000.0 - 7500.0) / 7500.0)
    assert ft.loc["sales", "cost"] == pytest.approx(14500.0)
    assert np.isnan(ft.loc["sales", "roi"]) and "credits no conversions" in ft.loc["sales", "note"]
    lin = out.loc[out["model"] == "linear"].set_index("team")
    assert lin.loc["sales", "revenue"] == pytest.approx(18000.0)
    assert lin.loc["sales", "cac"] == pytest.approx(14500.0 / 1.5)
    for _, g in out.groupby("model"):
        assert g["cost"].sum() == pytest.approx(22000.0)
        assert g["revenue"].sum() == pytest.approx(36000.0)


def test_paid_cac(spend, credit) -> None:
    out = metrics.paid_cac(credit, spend).set_index("model")
    assert out.loc["first_touch", "cac"] == pytest.approx(6000.0 / 2.0)
    assert out.loc["linear", "cac"] == pytest.approx(6000.0)
    assert out.loc["first_touch", "ci_low"] < 3000.0 < out.loc["first_touch", "ci_high"]
    none = metrics.paid_cac(credit, spend, paid_channels=("events",))
    assert none["cac"].isna().all() and none["note"].str.contains("no conversions").all()


def test_unit_economics_hand_case(opps) -> None:
    arpa = metrics.monthly_arpa(opps)  # first deals 10,000 and 20,000 on annual contracts
    assert arpa == pytest.approx(1250.0)
    ue = metrics.unit_economics([11000.0, np.nan], arpa=arpa, gross_margin=0.7, churn_rate=0.02)
    assert ue.loc[0, "ltv"] == pytest.approx(43750.0)
    assert ue.loc[0, "ltv_to_cac"] == pytest.approx(43750.0 / 11000.0)
    assert ue.loc[0, "payback_months"] == pytest.approx(11000.0 / 875.0)
    assert np.isnan(ue.loc[1, "payback_months"]) and "CAC undefined" in ue.loc[1, "note"]
    z = metrics.unit_economics(1000.0, arpa=100.0, gross_margin=0.5, churn_rate=0.0)
    assert np.isnan(z.loc[0, "ltv"]) and "zero churn" in z.loc[0, "note"]
    with pytest.raises(ValueError, match="churn_rate"):
        metrics.unit_economics(1.0, arpa=1.0, gross_margin=0.5, churn_rate=1.5)


def test_recommend_channels(opps, spend, credit) -> None:
    ch = metrics.channel_economics(credit, spend, opps)
    rec = metrics.recommend_channels(ch, model="linear").set_index("channel")
    # ROI > 0 under both models, but no bootstrap interval under the recommended model: the
    # point estimates never decide an action
    assert rec.loc["paid_search", "action"] == "review"
    assert rec.loc["paid_search", "rule"] == "no_interval"
    assert "no ROI interval under linear: not enough evidence" in rec.loc["paid_search", "reason"]
    assert "ROI > 0 under 2 of 2 models" in rec.loc["paid_search", "reason"]
    assert rec.loc["demo", "action"] == "review" and rec.loc["demo", "n_models"] == 1
    assert rec.loc["sales_people", "action"] == "not_assessed"
    # a channel losing money under one model and earning under the other → review, low confidence
    cr = credit.copy()
    cr.loc[(cr["model"] == "linear") & (cr["channel"] == "paid_search"), "value"] = 100.0
    rec2 = metrics.recommend_channels(metrics.channel_economics(cr, spend, gross_margin=0.7))
    row = rec2.set_index("channel").loc["paid_search"]
    assert (row["action"], row["confidence"]) == ("review", "low")
    with pytest.raises(ValueError, match="not in the table"):
        metrics.recommend_channels(ch, model="markov")


def test_compare_models_pivot(opps, spend, credit) -> None:
    wide = metrics.compare_models(metrics.channel_economics(credit, spend, opps), "cac")
    assert wide.loc["paid_search", "first_touch"] == pytest.approx(3000.0)
    assert wide.loc["paid_search", "linear"] == pytest.approx(6000.0)


# ------------------------------------------------------------------------------ bad input

def test_bad_input_messages(opps, spend, credit) -> None:
    with pytest.raises(ValueError, match=r"opportunities: missing required column\(s\) \['revenue'\]"):
        metrics.win_rate(opps.drop(columns="revenue"))
    with pytest.raises(ValueError, match="column 'outcome'.*rows \\[0\\]"):
        metrics.win_rate(opps.assign(outcome=["wonn"] + list(opps["outcome"][1:])))
    with pytest.raises(ValueError, match="column 'gross_margin'"):
        metrics.blended_cac(opps.assign(gross_margin=1.5), spend)
    with pytest.raises(ValueError, match="spend: column 'cost'"):
        metrics.blended_cac(opps, spend.assign(cost=-1.0))
    with pytest.raises(ValueError, match="closed_at"):
        metrics.win_rate(opps.assign(closed_at=pd.NaT))
    with pytest.raises(ValueError, match="have no team"):
        metrics.channel_economics(credit.assign(channel=["tiktok"] + list(credit["channel"][1:])),
                                  spend, opps)
    with pytest.raises(ValueError, match=r"duplicate \(model, channel\)"):
        metrics.channel_economics(credit.assign(channel="email"), spend, opps)
    with pytest.raises(ValueError, match="credit: column 'value'"):
        metrics.channel_economics(credit.assign(value=-5.0), spend, opps)
    with pytest.raises(ValueError, match="gross_margin"):
        metrics.channel_economics(credit, spend)
    with pytest.raises(ValueError, match="start must be"):
        metrics.sales_cycle(opps, start="closed_at")


def test_empty_groups_do_not_crash(opps, spend) -> None:
    lost_only = opps.loc[opps["outcome"] != "won"]
    assert np.isnan(metrics.sales_cycle(lost_only)["mean_days"].item())
    v = metrics.pipeline_velocity(lost_only)
    assert np.isnan(v["velocity"].item()) and "no won deal" in v["note"].item()
    b = metrics.blended_cac(lost_only, spend)
    assert np.isnan(b["cac"].item()) and b["roi"].item() == pytest.approx(-1.0)


# ------------------------------------------------------------------------------ by period, figures

def test_credit_by_quarter_feeds_channel_economics(opps, spend) -> None:
    from smlib.attribution.credit import credit_by
    from smlib.journeys import build_journeys

    tp = pd.DataFrame({
        "account_id": ["A1", "A1", "A3", "A3", "A1"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-09", "2024-02-01",
                                     "2024-03-01"], utc=True),
        "channel": ["paid_search", "demo", "sdr_call", "demo", "email"],
        "team": ["marketing", "sales", "sales", "sales", "marketing"],
        "touch_type": ["click", "meeting", "call", "meeting", "open"], "cost": 0.0})
    j = build_journeys(tp, opps)
    # a journey belongs to the month of its conversion (non-converting: its last touch)
    table = j.journeys.assign(date=j.journeys["conversion_at"].where(
        j.journeys["converted"].astype(bool), j.journeys["last_at"]))
    table = metrics.add_dimensions(table, date_col="date")
    cr = credit_by(table, by="period", models=["first_touch", "linear"], touches=j.touches)
    # O1 won in Feb (paid_search > demo), O3 and O6 won in March
    feb = cr.loc[cr["model"].eq("first_touch") & cr["period"].eq(T("2024-02-01"))].set_index("channel")
    assert feb.loc["paid_search", "conversions"] == pytest.approx(1.0)
    assert feb.loc["paid_search", "value"] == pytest.approx(10000.0)
    out = metrics.channel_economics(cr, spend, opps, by="period")
    for (model, period), g in out.groupby(["model", "period"]):
        assert g["cost"].sum() == pytest.approx(spend.loc[spend["period"] == period, "cost"].sum())
    mar = out.loc[out["model"].eq("linear") & out["period"].eq(T("2024-03-01"))]
    assert mar["revenue"].sum() == pytest.approx(26000.0)
    jan = out.loc[out["period"].eq(T("2024-01-01"))]  # no conversion in January: cost only
    assert jan["conversions"].sum() == 0 and jan["cac"].isna().all()


def test_figures_have_titles_and_skip_unjudged_rows(opps, spend, credit) -> None:
    import matplotlib

    matplotlib.use("Agg")  # tests only; notebooks keep the inline backend
    import matplotlib.pyplot as plt

    ch = metrics.channel_economics(credit, spend, opps)
    ax = figures.plot_model_comparison(ch, language="es")
    assert "ROI por canal" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "personal de ventas" not in labels and "búsqueda de pago" in labels
    ax = figures.plot_team_roi(metrics.team_economics(credit, spend, opps))
    assert len(ax.patches) == 4 and "ROI" in ax.get_title()
    ax = figures.plot_funnel(metrics.stage_conversion(opps, by="source_team"), by="source_team")
    assert ax.get_title().startswith("Funnel")
    ax = figures.plot_cac_by_period(metrics.blended_cac(opps, spend, by="period"), period="period")
    assert "CAC" in ax.get_ylabel()
    plt.close("all")


def test_team_interval_from_bootstrap_draws(opps, spend, credit) -> None:
    from types import SimpleNamespace

    # 4 resamples of the linear model's credit; team sums per resample known by hand
    d = SimpleNamespace(channels=("paid_search", "email", "sdr_call", "demo"),
                        conversions=np.array([[1.0, 0.5, 0.5, 1.0], [2.0, 0.0, 0.5, 0.5],
                                              [0.5, 0.5, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]]),
                        value=np.array([[12e3, 6e3, 6e3, 12e3], [20e3, 0.0, 6e3, 10e3],
                                        [6e3, 6e3, 12e3, 12e3], [12e3, 12e3, 0.0, 12e3]]))
    out = metrics.team_economics(credit, spend, gross_margin=0.5, draws={"linear": d}, level=0.5)
    mk = out.query("model == 'linear' and team == 'marketing'").iloc[0]
    mk_values = np.array([18e3, 20e3, 12e3, 24e3])  # marketing value per resample
    lo, hi = np.quantile(mk_values, [0.25, 0.75])
    assert mk["value_ci_low"] == pytest.approx(lo) and mk["value_ci_high"] == pytest.approx(hi)
    assert mk["roi_ci_low"] == pytest.approx((lo * 0.5 - 7500.0) / 7500.0)
    assert np.isnan(out.query("model == 'first_touch'")["roi_ci_low"]).all()  # no draws given


def test_revenue_by_regime_hand_case() -> None:
    units = pd.DataFrame({
        "unit_id": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
        "period": list(pd.date_range("2024-01-01", periods=3, freq="MS")) * 3,
        "revenue": [10.0, 12.0, 14.0, 20.0, 22.0, 30.0, 5.0, 6.0, 7.0],
        "adoption_period": [T("2024-02-01")] * 3 + [T("2024-03-01")] * 3 + [pd.NaT] * 3})
    out = metrics.revenue_by_regime(units).set_index("regime")
    # integrated cells: a Feb, a Mar, b Mar → (12 + 14 + 30) / 3
    assert out.loc["integrated", "mean"] == pytest.approx(56 / 3)
    assert out.loc["integrated", "n_units"] == 2 and out.loc["separate", "n_unit_periods"] == 6
    m = 56 / 3  # clustered SE by hand: unit sums of deviations, G = 2
    se = np.sqrt(2 / 1 * ((12 - m + 14 - m) ** 2 + (30 - m) ** 2)) / 3
    assert out.loc["integrated", "std_error"] == pytest.approx(se)
    assert out.loc["separate", "mean"] == pytest.approx((10 + 20 + 22 + 5 + 6 + 7) / 6)
    with pytest.raises(ValueError, match="units: column 'revenue'"):
        metrics.revenue_by_regime(units.assign(revenue="x"))


def test_customer_economics_hand_case(opps, spend) -> None:
    out = metrics.customer_economics(opps, spend, churn_rate=0.02).iloc[0]
    gm = 25000.0 / 36000.0  # revenue-weighted margin of the won deals
    assert out["cac"] == pytest.approx(11000.0) and out["arpa"] == pytest.approx(1250.0)
    assert out["gross_margin"] == pytest.approx(gm)
    assert out["ltv"] == pytest.approx(1250.0 * gm / 0.02)
    assert out["payback_months"] == pytest.approx(11000.0 / (1250.0 * gm))
    # the payback interval maps the CAC interval
    assert out["payback_ci_low"] == pytest.approx(out["cac_ci_low"] / (1250.0 * gm))
    assert out["payback_ci_low"] < out["payback_months"] < out["payback_ci_high"]


def test_credit_with_intervals() -> None:
    from smlib.attribution import compare
    from smlib.attribution.credit import credit_with_intervals

    paths = pd.DataFrame({"path": ["a > b", "b", "a", "b > c", "c"],
                          "total_conversions": [30.0, 10.0, 5.0, 20.0, 2.0],
                          "total_conversion_value": [3000.0, 1000.0, 500.0, 2000.0, 200.0],
                          "total_null": [70.0, 90.0, 95.0, 80.0, 98.0]})
    credit = compare(paths, models=["first_touch", "markov"])
    out, draws = credit_with_intervals(credit, paths, "markov", n_boot=100, seed=1)
    mk = out.loc[out["model"] == "markov"]
    assert (mk["ci_low"] <= mk["conversions"] + 1e-9).all()
    assert (mk["conversions"] <= mk["ci_high"] + 1e-9).all()
    assert (mk["ci_high"] > mk["ci_low"]).all()
    assert out.loc[out["model"] == "first_touch", "ci_low"].isna().all()
    assert draws.conversions.shape == (100, 3)
    # the logistic model: its own one-step bootstrap
    lg = compare(paths, models=["logistic"])
    out2, d2 = credit_with_intervals(lg, paths, "logistic", n_boot=50)
    assert d2.method == "one_step" and (out2["ci_high"] >= out2["ci_low"]).all()
    assert "one_step" in out2.attrs["note"]
    out3, d3 = credit_with_intervals(credit, paths, "markov", n_boot=1)
    assert d3 is None and out3["ci_low"].isna().all() and "n_boot" in out3.attrs["note"]
    with pytest.raises(ValueError, match="no rows for model 'shapley'"):
        credit_with_intervals(credit, paths, "shapley")


def test_consistency_on_a_small_simulation() -> None:
    """On simulated data: costs and credited revenue add up to the tables' totals under every
    model, and the journey type of each won deal matches smlib.journeys."""
    from smlib.attribution import compare
    from smlib.journeys import build_journeys
    from smlib.simulate import simulate

    sim = simulate(seed=3, n_accounts=3000, n_units=12, n_periods=24)
    opp, spend = sim.opportunities, sim.spend
    j = build_journeys(sim.touchpoints, opp)
    credit = compare(j.paths, models=["first_touch", "linear", "markov", "shapley"])
    won_revenue = opp.loc[opp["outcome"].eq("won"), "revenue"].sum()
    for table in (metrics.channel_economics(credit, spend, opp),
                  metrics.team_economics(credit, spend, opp)):
        sums = table.groupby("model")[["cost", "revenue"]].sum()
        assert np.allclose(sums["cost"], spend["cost"].sum())
        assert np.allclose(sums["revenue"], won_revenue)
    assert metrics.blended_cac(opp, spend)["cost"].item() == pytest.approx(spend["cost"].sum())
    src = metrics.classify_source(opp, sim.touchpoints)
    won = opp["outcome"].eq("won")
    conv = j.journeys.loc[j.journeys["converted"].astype(bool)].set_index("opportunity_id")
    assert won.sum() > 50
    assert (src[won].to_numpy() == conv.loc[opp.loc[won, "opportunity_id"], "journey_type"]
            .to_numpy()).all()


def test_has_costs() -> None:
    from smlib.metrics import has_costs

    assert not has_costs(None)
    assert not has_costs(pd.DataFrame({"cost": []}))
    assert not has_costs(pd.DataFrame({"cost": [0.0, 0.0]}))
    assert has_costs(pd.DataFrame({"cost": [0.0, 5.0]}))


def test_error_rows_never_show_account_ids() -> None:
    from smlib.metrics import _bad_rows

    df = pd.DataFrame({"account_id": ["SECRET1", "A2"], "team": ["x", "sales"]})
    text = _bad_rows(df["team"].eq("x"), df, "account_id")
    assert "SECRET1" not in text and "ids hidden" in text
    assert "'x'" in _bad_rows(df["team"].eq("x"), df, "team")
