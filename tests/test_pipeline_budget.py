"""Pipeline views (smlib.pipeline) and budget reallocation (smlib.budget) on hand-made cases
whose answers are computed by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib import budget, pipeline


def _utc(values: list) -> pd.Series:
    return pd.to_datetime(pd.Series(values), utc=True)


@pytest.fixture()
def opps() -> pd.DataFrame:
    # O1-O3 closed after reaching the opportunity stage (2 won, 1 lost): win rate from the
    # opportunity stage 2/3. O4 open at the opportunity stage with no amount: median won revenue
    # (100 and 300 → 200). O5 open at the lead stage with an `amount` of 50.
    return pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4", "O5"],
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "lead_at": _utc(["2024-01-01", "2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01"]),
        "mql_at": _utc(["2024-01-03", None, "2024-01-02", "2024-02-02", None]),
        "sql_at": _utc(["2024-01-05", "2024-01-04", "2024-01-06", "2024-02-03", None]),
        "opportunity_at": _utc(["2024-01-11", "2024-01-06", "2024-01-10", "2024-02-05", None]),
        "closed_at": _utc(["2024-02-10", "2024-01-26", "2024-02-01", None, None]),
        "outcome": ["won", "won", "lost", "open", "open"],
        "revenue": [100.0, 300.0, 0.0, 0.0, 0.0], "gross_margin": 0.8,
        "source_team": ["marketing", "sales", "marketing", None, "sales"],
        "amount": [np.nan, np.nan, np.nan, np.nan, 50.0]})


@pytest.fixture()
def touches() -> pd.DataFrame:
    rows = [("A1", "2023-12-20", "paid_search", "marketing"), ("A1", "2024-01-02", "sdr_call", "sales"),
            ("A2", "2023-12-30", "sdr_call", "sales"), ("A3", "2023-12-01", "email", "marketing"),
            ("A4", "2024-01-20", "email", "marketing"), ("A4", "2024-02-04", "demo", "sales"),
            ("A4", "2024-02-10", "webinar", "marketing"),  # after the opportunity: not influence
            ("A5", "2024-03-01", "sdr_call", "sales")]  # after the lead: influence, not source
    return pd.DataFrame(rows, columns=["account_id", "timestamp", "channel", "team"]).assign(
        timestamp=lambda d: pd.to_datetime(d["timestamp"], utc=True))


def test_first_touch_and_source(opps, touches) -> None:
    ft = pipeline.first_touch(opps, touches, lookback_days=30)
    # O1: paid_search 12 days before the lead; O3: email 31 days before → outside 30 days
    assert list(ft["channel"].fillna("-")) == ["paid_search", "sdr_call", "-", "email", "-"]
    # O4 has no source_team: its first touch's team (marketing); O5 keeps the CRM's sales
    assert list(ft["source_team"].fillna("-")) == ["marketing", "sales", "marketing",
                                                   "marketing", "sales"]
    assert list(ft["source_basis"]) == ["source_team"] * 3 + ["first_touch", "source_team"]


def test_open_pipeline_values(opps) -> None:
    p = pipeline.open_pipeline(opps).set_index("opportunity_id")
    assert p.at["O4", "stage"] == "opportunity" and p.at["O4", "amount_basis"] == "median_won"
    assert p.at["O4", "amount"] == 200.0
    assert p.at["O4", "win_rate"] == pytest.approx(2 / 3)
    assert p.at["O4", "expected_value"] == pytest.approx(400 / 3)
    # O5 at the lead stage: win rate among closed leads 2/3 too; its own amount 50
    assert p.at["O5", "amount_basis"] == "amount" and p.at["O5", "amount"] == 50.0
    assert p.at["O5", "expected_value"] == pytest.approx(100 / 3)
    assert (p["expected_ci_low"] <= p["expected_value"]).all()
    assert (p["expected_value"] <= p["expected_ci_high"]).all()
    assert pipeline.open_pipeline(opps.loc[opps["outcome"] != "open"]).empty
    # no closed record ever reached SQL or later: an open SQL deal takes the MQL stage's rate
    early = opps.assign(sql_at=[pd.NaT, pd.NaT, pd.NaT, opps.at[3, "sql_at"], pd.NaT],
                        opportunity_at=[pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.NaT])
    e = pipeline.open_pipeline(early).set_index("opportunity_id")
    assert e.at["O4", "stage"] == "sql" and e.at["O4", "rate_stage"] == "mql"
    assert e.at["O4", "win_rate"] == pytest.approx(1 / 2)  # O1 won, O3 lost among MQLs


def test_open_pipeline_without_any_win_says_so(opps) -> None:
    lost = opps.assign(outcome=["lost", "lost", "lost", "open", "open"], revenue=0.0,
                       amount=np.nan)
    with pytest.raises(ValueError, match="no won deal"):
        pipeline.open_pipeline(lost)


def test_sourced_vs_influenced(opps, touches) -> None:
    by_team = pipeline.pipeline_by_source(opps, touches, lookback_days=30).set_index("team")
    # sourced: O4 (first touch email → marketing, 200), O5 (CRM: sales, 50); sums to the total
    assert by_team.at["marketing", "sourced_value"] == 200.0
    assert by_team.at["sales", "sourced_value"] == 50.0
    assert by_team["sourced_deals"].sum() == 2
    # influenced before the opportunity: O4 by email (marketing) and demo (sales); O5 (no
    # opportunity yet) by its sdr_call → sales influenced both deals
    assert by_team.at["sales", "influenced_deals"] == 2
    assert by_team.at["sales", "influenced_value"] == 250.0
    assert by_team.at["marketing", "influenced_deals"] == 1
    ch = pipeline.pipeline_by_source(opps, touches, lookback_days=30,
                                     by="channel").set_index("channel")
    assert ch.at["email", "sourced_deals"] == 1 and "webinar" not in ch.index
    assert ch.at["none", "sourced_value"] == 50.0  # O5 has no first touch before its lead
    with pytest.raises(ValueError, match="by must be"):
        pipeline.pipeline_by_source(opps, touches, by="unit")


def test_funnel_speed(opps, touches) -> None:
    s = pipeline.funnel_speed(opps, touches, lookback_days=30)
    row = s.loc[s["channel"].eq("paid_search") & s["to_stage"].eq("won")
                & s["from_stage"].eq("opportunity")].iloc[0]
    assert row["n"] == 1 and row["median_days"] == 30.0  # 2024-01-11 → 2024-02-10
    # sdr_call (O2, sales-sourced) has no lead → MQL step
    assert s.loc[s["channel"].eq("sdr_call") & s["to_stage"].eq("mql")].empty
    # 'none' channel: O3 (lost, no won steps) and O5 (open) — lead → MQL of O3 is 1 day
    nm = s.loc[s["channel"].eq("none") & s["to_stage"].eq("mql")].iloc[0]
    assert nm["median_days"] == 1.0


def test_cost_per_stage(opps, touches) -> None:
    sp = pd.DataFrame({"channel": ["paid_search", "sdr_call", "email", "sales_people"],
                       "team": ["marketing", "sales", "marketing", "sales"],
                       "cost": [100.0, 60.0, 30.0, 1000.0]})
    c = pipeline.cost_per_stage(opps, touches, sp, lookback_days=30).set_index("channel")
    # paid_search: O1 → 1 lead, 1 opportunity, 1 new customer, cost 100
    assert c.at["paid_search", "cost_per_lead"] == 100.0
    assert c.at["paid_search", "cost_per_customer"] == 100.0
    # email: O4 (open opportunity) → 1 lead, 1 opportunity, 0 customers
    assert c.at["email", "cost_per_opportunity"] == 30.0
    assert np.isnan(c.at["email", "cost_per_customer"])
    assert c.at["sales_people", "leads"] == 0 and np.isnan(c.at["sales_people", "cost_per_lead"])
    lo, hi = c.at["paid_search", "cost_per_customer_ci_low"], c.at["paid_search",
                                                                  "cost_per_customer_ci_high"]
    # exact Poisson interval of 1 customer: [0.0253, 5.572] → cost / bounds
    assert lo == pytest.approx(100 / 5.5716, rel=1e-3) and hi == pytest.approx(100 / 0.025318,
                                                                                rel=1e-3)


def _channels() -> pd.DataFrame:
    return pd.DataFrame({"channel": ["x", "y", "z"], "cost": [100.0, 100.0, 0.0],
                         "gross_profit": [50.0, 300.0, 10.0]})


def test_reallocate_proportional_and_diminishing() -> None:
    r = budget.reallocate(_channels(), 0.10, n_channels=1, elasticity=1.0, max_increase=1.0)
    # z has no cost (left out); move 10 % of x's 100 to y: y 300 × 0.1 − x 50 × 0.1 = 25
    assert r.moved == 10.0 and r.requested == 10.0
    assert r.gain == pytest.approx(25.0) and r.gain_proportional == pytest.approx(25.0)
    half = budget.reallocate(_channels(), 0.10, n_channels=1, elasticity=0.5, max_increase=1.0)
    assert half.gain == pytest.approx(300 * (np.sqrt(1.1) - 1) + 50 * (np.sqrt(0.9) - 1))
    assert half.gain < half.gain_proportional
    plan = half.plan.set_index("channel")
    assert plan.at["y", "role"] == "to" and plan.at["x", "role"] == "from"
    assert plan.at["y", "new_cost"] == 110.0 and plan.at["x", "new_cost"] == 90.0


def test_reallocate_cap_and_draws() -> None:
    r = budget.reallocate(_channels(), 0.10, n_channels=1, elasticity=1.0, max_increase=0.05)
    assert r.moved == 5.0 and r.requested == 10.0 and r.note == "capped"
    assert r.gain == pytest.approx(300 * 0.05 - 50 * 0.05)
    # draws equal to the point estimate → a zero-width interval at the point
    draws = pd.DataFrame({"x": [50.0] * 10, "y": [300.0] * 10})
    d = budget.reallocate(_channels(), 0.10, n_channels=1, elasticity=1.0, max_increase=1.0,
                          draws=draws)
    assert d.gain_ci_low == pytest.approx(25.0) and d.gain_ci_high == pytest.approx(25.0)
    spread = pd.DataFrame({"x": [50.0] * 10, "y": np.linspace(200, 400, 10)})
    d = budget.reallocate(_channels(), 0.10, n_channels=1, elasticity=1.0, max_increase=1.0,
                          draws=spread)
    assert d.gain_ci_low < 25.0 < d.gain_ci_high
    assert np.isnan(r.gain_ci_low)  # no draws, no interval


def test_reallocate_uses_identified_curves_and_checks_input() -> None:
    curves = pd.DataFrame({"channel": ["y"], "elasticity": [1.7], "identified": [True]})
    r = budget.reallocate(_channels(), 0.10, n_channels=1, elasticity=0.5, curves=curves,
                          max_increase=1.0)
    plan = r.plan.set_index("channel")
    assert plan.at["y", "elasticity"] == 1.0 and plan.at["y", "elasticity_basis"] == "fitted"
    assert plan.at["x", "elasticity"] == 0.5 and plan.at["x", "elasticity_basis"] == "assumed"
    # a fit that is not identified but whose upper bound is below the assumption caps it
    curves = pd.DataFrame({"channel": ["y", "x"], "elasticity": [0.1, 0.2],
                           "ci_low": [-0.1, -0.5], "ci_high": [0.3, 0.9],
                           "identified": [False, False]})
    b = budget.reallocate(_channels(), 0.10, n_channels=1, elasticity=0.5, curves=curves,
                          max_increase=1.0).plan.set_index("channel")
    assert b.at["y", "elasticity"] == 0.3 and b.at["y", "elasticity_basis"] == "bounded"
    assert b.at["x", "elasticity"] == 0.5 and b.at["x", "elasticity_basis"] == "assumed"
    one = budget.reallocate(_channels().iloc[:1], 0.1)
    assert one.plan.empty and one.note
    for bad in (dict(share=0.0), dict(share=1.5), dict(elasticity=1.5), dict(max_increase=0),
                dict(n_channels=0)):
        args = {"share": 0.1} | bad
        with pytest.raises(ValueError):
            budget.reallocate(_channels(), **args)


def test_response_curves_recover_a_known_elasticity() -> None:
    rng = np.random.default_rng(3)
    months = pd.date_range("2022-01-01", periods=36, freq="MS")
    cost = np.exp(rng.normal(np.log(1000), 0.5, 36))
    y = np.round(np.exp(4.0) * cost ** 0.6 * np.exp(rng.normal(0, 0.05, 36)))
    spend = pd.DataFrame({"period": months, "channel": "a", "cost": cost})
    flat = pd.DataFrame({"period": months, "channel": "b", "cost": 500.0})
    resp = pd.concat([pd.DataFrame({"period": months, "channel": "a", "y": y}),
                      pd.DataFrame({"period": months, "channel": "b", "y": y})])
    c = budget.response_curves(pd.concat([spend, flat]), resp).set_index("channel")
    assert c.at["a", "identified"]
    assert c.at["a", "elasticity"] == pytest.approx(0.6, abs=0.05)  # the true elasticity
    assert c.at["a", "ci_high"] - c.at["a", "ci_low"] < 0.2
    assert c.at["a", "r2"] > 0.9
    assert not c.at["b", "identified"] and "hardly varied" in c.at["b", "reason"]
    short = budget.response_curves(spend.iloc[:6], resp).set_index("channel")
    assert not short.at["a", "identified"] and short.at["a", "reason"].startswith("spend in 6")
    noise = resp.assign(y=rng.poisson(100, len(resp)))
    weak = budget.response_curves(spend, noise).set_index("channel")
    assert not weak.at["a", "identified"]  # spend explains nothing of the noise
    with pytest.raises(ValueError, match="missing column"):
        budget.response_curves(spend.drop(columns="cost"), resp)
