"""Returns on the right horizon (issue 16): first contract, lifetime (the churn and contract
assumptions of LTV) or a number of months, for channel, team and blended returns; the grow/cut
rule on the ROI interval with its churn sensitivity; ROI, LTV:CAC and payback telling one story
(on hand cases, a simulated subscription business, a one-off-sale business and the default data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib import metrics

CHURN, CM = 0.015, 12.0
LIFE = 1 / CHURN / CM  # lifetime gross profit per unit of first-contract gross profit (5.56)


@pytest.fixture()
def spend() -> pd.DataFrame:
    return pd.DataFrame({
        "period": pd.to_datetime(["2024-01-01"] * 4),
        "channel": ["email", "demo", "events", "sales_people"],
        "team": ["marketing", "sales", "marketing", "sales"],
        "cost": [1000.0, 30000.0, 50000.0, 20000.0]})


@pytest.fixture()
def credit() -> pd.DataFrame:
    # gross margin 0.5: first-contract gross profit email 5,000, demo 20,000, events 2,000
    return pd.DataFrame({
        "model": ["linear"] * 3 + ["last_touch"] * 3,
        "channel": ["email", "demo", "events"] * 2,
        "conversions": [1.0, 4.0, 0.5, 0.5, 5.0, 0.0],
        "value": [10000.0, 40000.0, 4000.0, 4000.0, 50000.0, 0.0],
        "value_ci_low": [2000.0, 30000.0, 500.0, np.nan, np.nan, np.nan],
        "value_ci_high": [30000.0, 50000.0, 20000.0, np.nan, np.nan, np.nan]})


def _signs_agree(table: pd.DataFrame) -> None:
    """ROI > 0 ⟺ LTV:CAC > 1 ⟺ payback < expected lifetime, on every judged row."""
    t = table.loc[table["roi"].notna()]
    assert len(t)
    roi_pos = t["roi"] > 0
    assert (roi_pos == (t["ltv_to_cac"] > 1)).all()
    assert (roi_pos == (t["payback_months"] < t["lifetime_months"])).all()


# ------------------------------------------------------------------------------ the horizon

def test_revenue_months_by_horizon() -> None:
    assert metrics.revenue_months("first_contract", CHURN, CM) == 12.0
    assert metrics.revenue_months("lifetime", CHURN, CM) == pytest.approx(1 / 0.015)
    # 24 months: expected revenue months under the same churn, (1 − 0.985^24) / 0.015 = 20.3
    assert metrics.revenue_months(24, CHURN, CM) == pytest.approx((1 - 0.985 ** 24) / 0.015)
    # the first contract is booked: a shorter horizon or a high churn never count less
    assert metrics.revenue_months(6, CHURN, CM) == 12.0
    assert metrics.revenue_months("lifetime", 0.2, CM) == 12.0
    assert metrics.revenue_months(36, 0.0, CM) == 36.0
    # one-off sales (no churn): every horizon is the first contract
    for h in ("first_contract", "lifetime", 60):
        assert metrics.revenue_months(h, None, CM) == 12.0
    with pytest.raises(ValueError, match="unbounded"):
        metrics.revenue_months("lifetime", 0.0, CM)


def test_resolve_horizon() -> None:
    assert metrics.resolve_horizon("auto", CHURN, CM) == "lifetime"
    assert metrics.resolve_horizon("auto", None, CM) == "first_contract"
    assert metrics.resolve_horizon("auto", CHURN, None) == "first_contract"
    assert metrics.resolve_horizon(np.int64(24), CHURN, CM) == 24
    for bad in ("forever", 0, 2.5, True):
        with pytest.raises(ValueError, match="horizon must be"):
            metrics.resolve_horizon(bad, CHURN, CM)
    with pytest.raises(ValueError, match="monthly_churn"):
        metrics.resolve_horizon("lifetime", 1.5, CM)
    with pytest.raises(ValueError, match="contract_months"):
        metrics.resolve_horizon("lifetime", CHURN, 0)


# ------------------------------------------------------------------------------ channel / team

def test_channel_returns_on_both_horizons(spend, credit) -> None:
    first = metrics.channel_economics(credit, spend, gross_margin=0.5, monthly_churn=CHURN)
    life = metrics.channel_economics(credit, spend, gross_margin=0.5, horizon="lifetime",
                                     monthly_churn=CHURN, contract_months=CM)
    # the default horizon is the first contract, as before
    plain = metrics.channel_economics(credit, spend, gross_margin=0.5)
    pd.testing.assert_series_equal(plain["roi"], first["roi"])
    f = first.query("model == 'linear'").set_index("channel")
    x = life.query("model == 'linear'").set_index("channel")
    assert (f["horizon"] == "first_contract").all() and (x["horizon"] == "lifetime").all()
    # booked figures do not move; the horizon's gross profit is first contract × 1 / (churn × 12)
    assert x.loc["demo", "gross_profit"] == f.loc["demo", "gross_profit"] == 20000.0
    assert x.loc["demo", "horizon_gross_profit"] == pytest.approx(20000.0 * LIFE)
    assert f.loc["demo", "roi"] == pytest.approx((20000.0 - 30000.0) / 30000.0)  # −33 %
    assert x.loc["demo", "roi"] == pytest.approx((20000.0 * LIFE - 30000.0) / 30000.0)  # +270 %
    assert x.loc["demo", "roas"] == pytest.approx(40000.0 * LIFE / 30000.0)
    # LTV:CAC and payback do not depend on the horizon: lifetime GP / cost, cost / monthly GP
    for t in (f, x):
        assert t.loc["demo", "ltv_to_cac"] == pytest.approx(20000.0 * LIFE / 30000.0)
        assert t.loc["demo", "payback_months"] == pytest.approx(30000.0 / (20000.0 / 12))
    # intervals: the credit's value bounds on the horizon
    assert x.loc["events", "roi_ci_low"] == pytest.approx((250.0 * LIFE - 50000.0) / 50000.0)
    assert x.loc["events", "roi_ci_high"] == pytest.approx((10000.0 * LIFE - 50000.0) / 50000.0)
    assert x.loc["events", "payback_ci_low"] == pytest.approx(50000.0 * 12 / 10000.0)
    assert x.loc["events", "ltv_to_cac_ci_high"] == pytest.approx(x.loc["events", "roi_ci_high"] + 1)
    _signs_agree(life)
    # a fixed horizon lies between the first contract and the lifetime
    h24 = metrics.channel_economics(credit, spend, gross_margin=0.5, horizon=24,
                                    monthly_churn=CHURN, contract_months=CM)
    r = h24.query("model == 'linear' and channel == 'demo'")["roi"].item()
    assert f.loc["demo", "roi"] < r < x.loc["demo", "roi"]
    # "auto" is lifetime with churn and contract months, first contract without churn
    auto = metrics.channel_economics(credit, spend, gross_margin=0.5, horizon="auto",
                                     monthly_churn=CHURN)
    assert (auto["horizon"] == "lifetime").all()


def test_team_returns_on_the_lifetime_horizon(spend, credit) -> None:
    teams = metrics.team_economics(credit, spend, gross_margin=0.5, horizon="lifetime",
                                   monthly_churn=CHURN, contract_months=CM)
    sales = teams.query("model == 'linear' and team == 'sales'").iloc[0]
    assert sales["cost"] == 50000.0  # demo + sales people
    assert sales["roi"] == pytest.approx((20000.0 * LIFE - 50000.0) / 50000.0)
    assert sales["ltv_to_cac"] == pytest.approx(sales["roi"] + 1)
    # summed channel bounds (no draws), on the lifetime
    assert sales["roi_ci_low"] == pytest.approx((15000.0 * LIFE - 50000.0) / 50000.0)
    _signs_agree(teams)


def test_one_off_sales_have_one_horizon(spend, credit) -> None:
    """No renewals (no churn assumption): lifetime and first contract coincide, and the three
    figures still agree (payback against the one contract)."""
    kw = dict(gross_margin=0.5, monthly_churn=None, contract_months=CM)
    first = metrics.channel_economics(credit, spend, horizon="first_contract", **kw)
    life = metrics.channel_economics(credit, spend, horizon="lifetime", **kw)
    cols = ["roi", "roi_ci_low", "roi_ci_high", "roas", "ltv_to_cac", "payback_months"]
    pd.testing.assert_frame_equal(first[cols], life[cols])
    assert (life["lifetime_months"] == CM).all()
    _signs_agree(life)


def test_blended_roi_on_the_lifetime_counts_first_deals_only() -> None:
    opp = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3"], "account_id": ["A1", "A1", "A2"],
        "lead_at": pd.to_datetime(["2024-01-01"] * 3, utc=True),
        "closed_at": pd.to_datetime(["2024-01-10", "2024-06-10", "2024-02-10"], utc=True),
        "outcome": "won", "revenue": [12000.0, 6000.0, 24000.0], "gross_margin": 0.5})
    spend = pd.DataFrame({"period": pd.to_datetime(["2024-01-01"]), "channel": ["email"],
                          "team": ["marketing"], "cost": [30000.0]})
    first = metrics.blended_cac(opp, spend).iloc[0]
    life = metrics.blended_cac(opp, spend, horizon="lifetime", monthly_churn=CHURN).iloc[0]
    assert first["roi"] == pytest.approx((21000.0 - 30000.0) / 30000.0)
    # A1's second deal is part of its lifetime, not added again
    assert life["roi"] == pytest.approx((18000.0 * LIFE - 30000.0) / 30000.0)
    assert life["horizon"] == "lifetime" and life["gross_profit"] == 21000.0


# ------------------------------------------------------------------------------ grow / cut

def _table(roi: dict[str, tuple[float, float, float]], others: dict[str, float] | None = None,
           horizon: str = "lifetime", churn: float | None = CHURN) -> pd.DataFrame:
    rows = [{"model": "m", "channel": c, "team": "marketing", "roi": r, "roi_ci_low": lo,
             "roi_ci_high": hi, "cost": 100.0} for c, (r, lo, hi) in roi.items()]
    rows += [{"model": "other", "channel": c, "team": "marketing", "roi": r,
              "roi_ci_low": np.nan, "roi_ci_high": np.nan, "cost": 100.0}
             for c, r in (others or {}).items()]
    return pd.DataFrame(rows).assign(horizon=horizon, monthly_churn=churn, contract_months=CM)


def test_grow_or_cut_only_when_the_interval_is_on_one_side() -> None:
    t = _table({"a": (1.0, 0.2, 2.0), "b": (0.5, -0.3, 1.5), "c": (-0.5, -0.8, -0.2),
                "d": (3.0, 0.5, 9.0)}, others={"a": 0.8, "b": 0.4, "c": -0.1, "d": -0.2})
    rec = metrics.recommend_channels(t, model="m").set_index("channel")
    assert rec.loc["a", "action"] == "grow" and rec.loc["a", "confidence"] == "high"
    # positive point estimate under both models, but the interval spans break-even
    assert rec.loc["b", "action"] == "review" and rec.loc["b", "confidence"] == "low"
    assert rec.loc["c", "action"] == "cut" and rec.loc["c", "confidence"] == "high"
    # interval above break-even although another model disagrees: grow (the interval decides;
    # no "medium confidence" word beside a clear interval), the disagreement is in the reason
    assert (rec.loc["d", "action"], rec.loc["d", "confidence"]) == ("grow", "high")
    assert "ROI > 0 under 1 of 2 models, < 0 under 1" in rec.loc["d", "reason"]
    assert set(rec["confidence"]) == {"high", "low"}
    assert (rec["rule"] == "interval").all() and (rec["horizon"] == "lifetime").all()
    assert "spans" not in rec.loc["a", "reason"] and "+20% to +200%" in rec.loc["a", "reason"]
    assert list(rec.index[:2]) == ["d", "a"]  # grow first, best ROI first
    with pytest.raises(ValueError, match="churn_factors"):
        metrics.recommend_channels(t, model="m", churn_factors=(0.5,))


def test_churn_sensitivity_says_when_the_action_flips() -> None:
    # lifetime ROI interval −3 % to +300 %: spans break-even; halving churn doubles the
    # lifetime (ROI + 1 doubles: +94 % to +700 %), 50 % more churn shrinks it by a third
    t = _table({"events": (1.43, -0.03, 3.0), "webinar": (20.0, 15.0, 25.0)})
    rec = metrics.recommend_channels(t, model="m").set_index("channel")
    ev = rec.loc["events"]
    assert ev["action"] == "review" and ev["action_low_churn"] == "grow"
    assert ev["action_high_churn"] == "review" and bool(ev["flips"])
    assert ev["roi_low_churn"] == pytest.approx(2.43 * 2 - 1)
    assert ev["roi_high_churn"] == pytest.approx(2.43 / 1.5 - 1)
    assert "flips with churn" in ev["reason"]
    assert not rec.loc["webinar", "flips"]
    # the first contract does not depend on churn: never flips
    fc = metrics.recommend_channels(t.assign(horizon="first_contract"), model="m")
    assert not fc["flips"].any() and (fc["action"] == fc["action_low_churn"]).all()
    # a one-off-sale business has no churn to vary
    one_off = metrics.recommend_channels(t.assign(monthly_churn=np.nan), model="m")
    assert not one_off["flips"].any()


def test_without_an_interval_there_is_not_enough_evidence() -> None:
    """Issue 12 item 3: grow or cut only on the recommended model's interval; point estimates of
    every model agreeing in sign (a) are no interval, so both channels get 'not enough evidence'."""
    t = _table({"a": (1.0, np.nan, np.nan), "b": (1.0, np.nan, np.nan)},
               others={"a": 2.0, "b": -0.5})
    rec = metrics.recommend_channels(t, model="m").set_index("channel")
    assert (rec.loc["a", "action"], rec.loc["a", "confidence"]) == ("review", "low")
    assert rec.loc["b", "action"] == "review"
    assert (rec["rule"] == "no_interval").all()
    assert "no ROI interval under m: not enough evidence" in rec.loc["a", "reason"]
    assert "ROI > 0 under 2 of 2 models" in rec.loc["a", "reason"]


# ------------------------------------------------------------------------------ one story

def test_one_story_on_a_simulated_subscription_and_one_off_business() -> None:
    """ROI, LTV:CAC and payback agree in sign per channel and team under every model, on the
    lifetime of a subscription business and on a one-off-sale business (no renewals), where
    the two horizons coincide."""
    from smlib.attribution.api import compare
    from smlib.journeys import build_journeys
    from smlib.simulate import simulate

    sim = simulate(seed=3, n_accounts=3000, n_units=12, n_periods=24)
    j = build_journeys(sim.touchpoints, sim.opportunities)
    credit = compare(j.paths, models=["first_touch", "linear", "markov"])
    args = (credit, sim.spend, sim.opportunities)
    for fn in (metrics.channel_economics, metrics.team_economics):
        life = fn(*args, horizon="lifetime", monthly_churn=CHURN, contract_months=CM)
        first = fn(*args, horizon="first_contract", monthly_churn=CHURN, contract_months=CM)
        _signs_agree(life)
        # the lifetime return is the first contract's × 1 / (churn × contract months)
        ok = life["roi"].notna()
        assert np.allclose(life.loc[ok, "roi"] + 1, (first.loc[ok, "roi"] + 1) * LIFE)
        one_off = [fn(*args, horizon=h, monthly_churn=None, contract_months=CM)
                   for h in ("lifetime", "first_contract")]
        pd.testing.assert_series_equal(one_off[0]["roi"], one_off[1]["roi"])
        pd.testing.assert_series_equal(one_off[0]["roi"], first["roi"])
        _signs_agree(one_off[0])


# ------------------------------------------------------------------------------ report 03

@pytest.fixture(scope="module")
def default_summary():
    import matplotlib

    matplotlib.use("Agg")  # tests only
    from smlib import io
    from smlib.analyses.executive import executive_summary

    return executive_summary(io.load_dataset())


@pytest.mark.slow  # report 03's analysis on the default data with its bootstrap (~25 s)
def test_report_03_decides_on_the_lifetime_and_tells_one_story(default_summary) -> None:
    """Issue 16's done-when: on the default data, report 03's recommendations and team returns
    are on the lifetime basis, stated as such, consistent with payback and LTV:CAC, and no
    channel the recommended model credits among its top three is cut unless its lifetime ROI
    interval is below break-even, with the reason beside it."""
    s = default_summary
    assert s.horizon == "lifetime"
    assert (s.channels["horizon"] == "lifetime").all() and (s.teams["horizon"] == "lifetime").all()
    assert (s.recommendations["horizon"] == "lifetime").all()
    _signs_agree(s.channels)
    _signs_agree(s.teams)
    # the page's blended LTV:CAC and payback read against the same lifetime
    u = s.customers.iloc[0]
    assert (u["ltv_to_cac"] > 1) == (u["payback_months"] < u["lifetime_months"])
    # the basis is stated beside every return figure
    items = dict((label, text) for label, text, _ in s.items())
    assert items["Return by team"].endswith("lifetime basis")
    assert items["Channels to grow or cut"].endswith("lifetime basis")
    long = dict((label, text) for label, text, _ in s.items(short=False))
    assert "on lifetime gross profit" in long["Return by team"]
    assert "on lifetime gross profit" in long["Channels to grow or cut"]
    table = s.recommendations_table()
    assert "lifetime basis" in table.columns[3]
    assert "lifetime basis" in s.plot_team_roi().get_title()
    assert "lifetime basis" in s.plot_channels().get_title()
    assert {"Lifetime ROI", "First-contract ROI"} <= set(s.glossary_table().iloc[:, 0])
    # the cut list spares the three channels credited most, unless their interval is below 0
    mine = s.channels.loc[s.channels["model"].eq(s.model)]
    top3 = set(mine.nlargest(3, "conversions")["channel"])
    rec = s.recommendations.set_index("channel")
    why = table.set_index(table.columns[0])["Why"]
    for ch in top3:
        if rec.loc[ch, "action"] == "cut":
            assert rec.loc[ch, "roi_ci_high"] < 0
            assert "below break-even" in why.iloc[list(rec.index).index(ch)]
    assert not (rec.loc[list(top3), "action"] == "cut").any()  # the default company: none is cut
    # every action follows the interval rule, and the reason is beside each one
    judged = rec.loc[rec["action"].ne("not_assessed")]
    assert (judged["rule"] == "interval").all()
    assert ((judged["action"] == "grow") == (judged["roi_ci_low"] > 0)).all()
    assert ((judged["action"] == "cut") == (judged["roi_ci_high"] < 0)).all()
    assert table["Why"].str.len().gt(0).all()
    # the benchmark the simulator's default company is checked against (docs/sources.md §2.2.1):
    # LTV:CAC about 3 (Skok) and payback under 24 months (surveyed SaaS medians, 15–24)
    assert 2.5 <= u["ltv_to_cac"] <= 4.0 and u["payback_months"] < 24
    import matplotlib.pyplot as plt

    plt.close("all")
