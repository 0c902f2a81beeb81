"""Tests of the ground-truth simulator (smlib.simulate).

The exactness checks recompute the truth by brute force along a different code path: a plain-Python
loop over each account's *emitted* touch rows (the data an analyst sees) and the published model
constants, and a re-simulation of the panel without the effect (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from smlib import config
from smlib.simulate import load_truth, simulate, simulate_panel, simulator_version
from smlib.simulate import funnel as F
from smlib.simulate.truth import has_truth

SMALL = dict(n_accounts=400, n_units=10, n_periods=24)
ALL_CHANNELS = frozenset(config.MARKETING_CHANNELS + config.SALES_CHANNELS)


@pytest.fixture(scope="module")
def default_sim():
    return simulate()


@pytest.fixture(scope="module")
def small_sim():
    return simulate(seed=11, **SMALL)


# ---------------------------------------------------------------- determinism and the data contract

def test_deterministic_per_seed():
    a, b = simulate(seed=3, **SMALL), simulate(seed=3, **SMALL)
    for name in config.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.truth.channel_effects, b.truth.channel_effects)
    pd.testing.assert_frame_equal(a.truth.att_gt, b.truth.att_gt)
    assert a.truth.account_att == b.truth.account_att
    c = simulate(seed=4, **SMALL)
    assert not a.touchpoints["timestamp"].equals(c.touchpoints["timestamp"])


def test_columns_and_dtypes_follow_contract(default_sim):
    s = default_sim
    expected = {
        "touchpoints": ["account_id", "timestamp", "channel", "team", "touch_type", "cost"],
        "opportunities": ["opportunity_id", "account_id", "lead_at", "mql_at", "sql_at",
                          "opportunity_at", "closed_at", "outcome", "revenue", "gross_margin",
                          "source_team"],
        "spend": ["period", "channel", "team", "cost", "unit_id"],
        "units": ["unit_id", "period", "revenue", "adoption_period", "market_size", "headcount"],
        "accounts": ["account_id", "unit_id", "segment", "size", "integrated", "market_size",
                     "start_period"],
    }
    for name, cols in expected.items():
        assert list(getattr(s, name).columns) == cols, name
    assert str(s.touchpoints["timestamp"].dtype) == "datetime64[us, UTC]"
    for col in ("lead_at", "mql_at", "sql_at", "opportunity_at", "closed_at"):
        assert str(s.opportunities[col].dtype) == "datetime64[us, UTC]"
    for df in (s.spend, s.units):
        assert str(df["period"].dtype) == "datetime64[us]"
        assert (df["period"].dt.day == 1).all()
    assert s.accounts["integrated"].dtype == bool
    assert s.accounts["size"].dtype == np.int64 and (s.accounts["size"] >= 1).all()
    for df, col in ((s.touchpoints, "account_id"), (s.touchpoints, "channel"), (s.accounts, "segment")):
        assert df[col].dtype == "str"


def test_allowed_values_and_ranges(default_sim):
    s = default_sim
    tp, op = s.touchpoints, s.opportunities
    assert set(tp["channel"]) == set(config.MARKETING_CHANNELS + config.SALES_CHANNELS)
    assert not tp["channel"].str.contains(">").any()
    team_ok = np.where(tp["channel"].isin(config.MARKETING_CHANNELS), "marketing", "sales")
    assert (tp["team"].to_numpy() == team_ok).all()
    assert (tp["cost"] >= 0).all() and (s.spend["cost"] >= 0).all()
    assert not tp.duplicated(["account_id", "timestamp", "channel", "touch_type"]).any()
    assert set(op["outcome"]) == {"won", "lost", "open"}
    assert set(s.accounts["segment"]) == {"smb", "mid_market", "enterprise"}
    assert op["opportunity_id"].is_unique and s.accounts["account_id"].is_unique
    assert op["gross_margin"].between(0.70, 0.85).all()
    assert (op.loc[op["outcome"] == "lost", "revenue"] == 0).all()
    assert (op.loc[op["outcome"] == "won", "revenue"] > 0).all()
    assert op.loc[op["outcome"] == "open", "closed_at"].isna().all()
    assert op.loc[op["outcome"] != "open", "closed_at"].notna().all()
    assert op.loc[op["outcome"] == "won", "opportunity_at"].notna().all()
    # sales-sourced leads skip the MQL stage; marketing leads always have one
    assert op.loc[op["source_team"] == "sales", "mql_at"].isna().all()
    assert op.loc[op["source_team"] == "marketing", "mql_at"].notna().all()
    # Bridge Group medians: ACV $25K, ASP $35K -> median won deal in the tens of thousands
    assert 10_000 < op.loc[op["outcome"] == "won", "revenue"].median() < 40_000


def test_stage_order_and_journey_window(default_sim):
    op = default_sim.opportunities
    order = ["lead_at", "mql_at", "sql_at", "opportunity_at", "closed_at"]
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            both = op[a].notna() & op[b].notna()
            assert (op.loc[both, a] <= op.loc[both, b]).all(), (a, b)
    assert (op["opportunity_at"].isna() | op["sql_at"].notna()).all()
    assert (op["sql_at"].isna() | op["lead_at"].notna()).all()
    # every touch precedes the close, and the whole journey fits the default 90-day lookback
    tp = default_sim.touchpoints.merge(op[["account_id", "closed_at"]], on="account_id")
    closed = tp["closed_at"].notna()
    assert (tp.loc[closed, "timestamp"] < tp.loc[closed, "closed_at"]).all()
    span = tp.loc[closed, "closed_at"] - tp.loc[closed, "timestamp"]
    assert span.max() < pd.Timedelta(days=config.DEFAULT_LOOKBACK_DAYS)


def test_written_dataset_passes_io_validation(small_sim, tmp_path):
    from smlib.io import load_dataset
    small_sim.write(tmp_path)
    ds = load_dataset(tmp_path)
    assert len(ds.touchpoints) == len(small_sim.touchpoints)
    assert has_truth(tmp_path)
    t = load_truth(tmp_path)
    pd.testing.assert_frame_equal(t.channel_effects, small_sim.truth.channel_effects)
    pd.testing.assert_frame_equal(t.att_gt, small_sim.truth.att_gt)
    assert t.att == small_sim.truth.att and t.account_att == small_sim.truth.account_att
    assert t.params["integration_strength_solved"] == small_sim.truth.params["integration_strength_solved"]
    assert t.params["simulator_version"] == simulator_version() and len(simulator_version()) == 12


def test_load_truth_without_truth_is_clear(tmp_path):
    assert not has_truth(tmp_path)
    assert not has_truth(None)  # data from a connection or a Spark session: no folder
    with pytest.raises(FileNotFoundError, match="truth.json"):
        load_truth(tmp_path)


# ---------------------------------------------------------------- realism against the cited ranges

def test_journey_type_mix(default_sim):
    has = default_sim.touchpoints.groupby(["account_id", "team"]).size().unstack(fill_value=0) > 0
    mix = pd.Series(np.select([has["marketing"] & has["sales"], has["marketing"]],
                              ["mixed", "marketing_only"], "sales_only")).value_counts(normalize=True)
    # stated ranges (params docstring): ~10 % marketing-only, ~20 % sales-only, most mixed
    assert 0.05 <= mix["marketing_only"] <= 0.15
    assert 0.15 <= mix["sales_only"] <= 0.28
    assert 0.60 <= mix["mixed"] <= 0.80


def test_funnel_rates_in_vendor_ranges(default_sim):
    op = default_sim.opportunities.merge(default_sim.accounts[["account_id", "segment"]])
    mkt = op["source_team"] == "marketing"
    mql_to_sql = op.loc[mkt, "sql_at"].notna().mean()
    assert 0.13 <= mql_to_sql <= 0.40          # prooflytics / mv3marketing MQL -> SQL
    sql_to_opp = op["opportunity_at"].notna().sum() / op["sql_at"].notna().sum()
    assert 0.30 <= sql_to_opp <= 0.80          # b2blead SQL -> opp 40-80 %, getfairview 30-50 %
    done = op[op["opportunity_at"].notna() & (op["outcome"] != "open")]
    win = done.groupby("segment")["outcome"].apply(lambda o: (o == "won").mean())
    assert 0.10 <= win["enterprise"] < win["smb"] <= 0.40


def test_follow_up_delay_matches_hbr(default_sim):
    acc = default_sim.truth.accounts
    mis = acc[acc["marketing_sourced"] & ~acc["integrated"] & acc["worked"]]
    assert 0.30 <= (mis["delay_hours"] <= 1).mean() <= 0.44   # HBR 2011: 37 % within an hour
    assert 30 <= mis["delay_hours"].mean() <= 45              # 42 h average (tail capped at 7 days)
    never = 1 - acc.loc[acc["marketing_sourced"] & ~acc["integrated"], "worked"].mean()
    assert 0.25 <= never <= 0.35
    integ = acc[acc["marketing_sourced"] & acc["integrated"] & acc["worked"]]
    assert integ["delay_hours"].mean() < mis["delay_hours"].mean()


# ---------------------------------------------------------------- the attribution truth, exactly

def _journeys_as_lists(sim) -> list[dict]:
    """Per account: its emitted touches as plain (time, channel, team) tuples and its attributes."""
    acc = sim.truth.accounts
    seg = sim.accounts["segment"].map({"smb": 0, "mid_market": 1, "enterprise": 2}).to_numpy()
    us = lambda s: s.dt.tz_localize(None).astype("datetime64[us]").astype(np.int64).to_numpy()  # noqa: E731
    tp = sim.touchpoints
    by_acc: dict[str, list] = {}
    for a_id, t, ch, team in zip(tp["account_id"], us(tp["timestamp"]), tp["channel"], tp["team"]):
        by_acc.setdefault(a_id, []).append((t, ch, team))
    milestones = np.stack([us(acc[c]) for c in ("planned_sql_at", "planned_opportunity_at", "planned_closed_at")], 1)
    return [dict(touches=by_acc.get(a_id, []), seg=seg[i], milestones=milestones[i],
                 integrated=bool(acc["integrated"].iat[i]), mkt=bool(acc["marketing_sourced"].iat[i]),
                 delay=float(acc["delay_hours"].iat[i]))
            for i, a_id in enumerate(acc["account_id"])]


US_PER_DAY = 86_400e6


def _reference_p_won(sim, journeys: list[dict], keep: set[str]) -> np.ndarray:
    """P(won | journey restricted to ``keep``) per account, from emitted touch rows, in plain Python.

    Follows the switchable mechanisms recorded in ``truth.params`` (smlib.simulate.mechanisms) from
    their written definitions: recency weights from the emitted timestamps, the repeat-decay
    exposure, the harmful channel's coefficients, the order term and the latent intent.
    """
    params = sim.truth.params
    channels = list(config.MARKETING_CHANNELS + config.SALES_CHANNELS)
    coef = F.COEF.copy()
    if params.get("harmful_channel"):
        coef[:, channels.index(params["harmful_channel"])] = [-params["harm"], 0.0, 0.0]
    decay, half_life = params.get("repeat_decay"), params.get("recency_half_life_days")
    order_gain, intent_conv = params.get("order_gain", 0.0), params.get("intent_conversion", 0.0)
    intents = sim.truth.accounts["intent"].to_numpy() if intent_conv else None

    def expo(n: float) -> float:
        return math.log1p(n) if decay is None else (1 - decay ** n) / (1 - decay)

    out = []
    for i, j in enumerate(journeys):
        rows = [r for r in j["touches"] if r[1] in keep]
        z = []
        for k, until in enumerate(j["milestones"]):
            counts: dict[str, float] = {}
            for t, ch, _ in rows:
                if t < until:
                    w = 1.0 if half_life is None else 0.5 ** ((until - t) / US_PER_DAY / half_life)
                    counts[ch] = counts.get(ch, 0.0) + w
            z.append(F.INTERCEPT[k, j["seg"]]
                     + sum(coef[k, channels.index(ch)] * expo(n) for ch, n in counts.items())
                     + (intent_conv * intents[i] if intents is not None else 0.0))
        reg = params["regimes"]["integrated" if j["integrated"] else "misaligned"]
        if j["mkt"] and any(team == "sales" and t < j["milestones"][0] for t, _, team in rows):
            g = np.interp(math.log(max(j["delay"], 1e-3)), np.log(F.DELAY_POINTS_H), F.DELAY_LOG_ODDS)
            z[0] += reg["acceptance_shift"] - params["delay_effect_scale"] * g
        first: dict[str, int] = {}
        for t, ch, _ in rows:
            first[ch] = min(first.get(ch, t), t)
        if "webinar" in first and "demo" in first and first["webinar"] < first["demo"]:
            z[2] += F.WEBINAR_BEFORE_DEMO
        if ({"webinar", "content_seo"} & first.keys()) and ({"demo", "proposal"} & first.keys()):
            z[2] += F.CONTENT_GAIN * reg["content_use"]
        if order_gain and "demo" in first and any(
                ch in config.MARKETING_CHANNELS and t < first["demo"] for t, ch, _ in rows):
            z[2] += order_gain
        out.append(float(np.prod(1 / (1 + np.exp(-np.array(z))))))
    return np.array(out)


@pytest.fixture(scope="module")
def small_journeys(small_sim):
    return _journeys_as_lists(small_sim)


def test_p_won_is_a_function_of_the_observed_journey(small_sim, small_journeys):
    acc = small_sim.truth.accounts
    ref = _reference_p_won(small_sim, small_journeys, ALL_CHANNELS)
    closed = acc["closed"].to_numpy()
    np.testing.assert_allclose(ref[closed], acc.loc[closed, "p_won"], rtol=1e-9)


def test_channel_and_team_truth_match_brute_force(small_sim, small_journeys):
    truth = small_sim.truth
    closed = truth.accounts["closed"].to_numpy()
    deal = truth.accounts["deal_size"].to_numpy()[closed]
    ref = lambda keep: _reference_p_won(small_sim, small_journeys, keep)[closed]  # noqa: E731
    full = ref(ALL_CHANNELS)
    ce = truth.channel_effects.set_index("channel")
    for ch in ALL_CHANNELS:
        d = full - ref(ALL_CHANNELS - {ch})
        assert ce.loc[ch, "incremental_conversions"] == pytest.approx(d.sum(), rel=1e-9), ch
        assert ce.loc[ch, "incremental_revenue"] == pytest.approx(d @ deal, rel=1e-9), ch
    p_m, p_s, p_0 = ref(set(config.MARKETING_CHANNELS)), ref(set(config.SALES_CHANNELS)), ref(set())
    te = truth.team_effects.set_index("team")["incremental_conversions"]
    assert te["marketing"] == pytest.approx((p_m - p_0).sum(), rel=1e-9)
    assert te["sales"] == pytest.approx((p_s - p_0).sum(), rel=1e-9)
    assert te["shared"] == pytest.approx((full - p_m - p_s + p_0).sum(), rel=1e-9)
    assert te.sum() == pytest.approx((full - p_0).sum(), rel=1e-9)


def test_truth_sanity(default_sim):
    ce, te = default_sim.truth.channel_effects, default_sim.truth.team_effects
    assert list(ce["channel"]) == list(config.MARKETING_CHANNELS + config.SALES_CHANNELS)
    assert list(te["team"]) == ["marketing", "sales", "shared"]
    # every channel has a positive effect by construction, so every removal effect is positive
    assert (ce["incremental_conversions"] > 0).all() and (ce["incremental_revenue"] > 0).all()
    assert ce["share"].sum() == pytest.approx(1.0) and te["share"].sum() == pytest.approx(1.0)
    # team parts add up to P(full) - P(no touch) over completed journeys
    acc = default_sim.truth.accounts
    assert te["incremental_conversions"].sum() < acc.loc[acc["closed"], "p_won"].sum()
    # late-stage sales touches matter a lot; the marketing x sales interaction is real
    share = ce.set_index("channel")["share"]
    assert share[["demo", "proposal", "ae_meeting"]].sum() > 0.4
    assert te.set_index("team").loc["shared", "share"] > 0.1
    # expected conversions agree with realised wins (binomial noise only)
    done = acc[acc["closed"]]
    won = (default_sim.opportunities["outcome"] == "won").sum()
    expected = done["p_won"].sum()
    assert abs(won - expected) < 4 * math.sqrt((done["p_won"] * (1 - done["p_won"])).sum())


# ---------------------------------------------------------------- the causal truth

def test_att_gt_matches_brute_force_on_tiny_panel():
    kw = dict(n_units=8, n_periods=12, n_cohorts=2, ramp_periods=2)
    units, truth = simulate_panel(seed=5, true_uplift=0.10, **kw)
    base, truth0 = simulate_panel(seed=5, true_uplift=0.0, **kw)
    assert truth0.att == 0 and (truth0.att_gt["att"] == 0).all()
    diff = units["revenue"].to_numpy() - base["revenue"].to_numpy()  # Y1 - Y0 where treated, else 0
    rows = []
    for g in sorted(units["adoption_period"].dropna().unique()):
        members = units["adoption_period"] == g
        for period in sorted(units.loc[members & (units["period"] >= g), "period"].unique()):
            cell = (members & (units["period"] == period)).to_numpy()
            rows.append((g, period, diff[cell].mean(), diff[cell].sum() / base["revenue"].to_numpy()[cell].sum()))
    ref = pd.DataFrame(rows, columns=["cohort", "period", "att", "att_pct"])
    got = truth.att_gt.reset_index(drop=True)
    assert (got["cohort"].to_numpy() == ref["cohort"].to_numpy()).all()
    np.testing.assert_allclose(got["att"], ref["att"], rtol=1e-12)
    np.testing.assert_allclose(got["att_pct"], ref["att_pct"], rtol=1e-12)
    treated = units["adoption_period"].notna() & (units["period"] >= units["adoption_period"])
    assert truth.att == pytest.approx(diff[treated.to_numpy()].mean(), rel=1e-12)
    # ramp: the first month carries 1/ramp_periods of the full proportional effect
    first = got.groupby("cohort")["att_pct"].first()
    full = got[got["event_time"] >= 1].groupby("cohort")["att_pct"].mean()
    np.testing.assert_allclose(first / full, 0.5, atol=0.05)


def test_naive_comparisons_overstate_the_effect(default_sim):
    u = default_sim.units
    adopter = u["adoption_period"].notna()
    post = adopter & (u["period"] >= u["adoption_period"])
    adopters_vs_rest = u.loc[post, "revenue"].mean() - u.loc[~adopter, "revenue"].mean()
    before_after = u.loc[post, "revenue"].mean() - u.loc[adopter & ~post, "revenue"].mean()
    att = default_sim.truth.att
    assert adopters_vs_rest > 3 * att and before_after > 2 * att
    # the hidden quality drives adoption: adopters have higher quality than never-adopters
    q = default_sim.truth.unit_quality
    assert q.loc[q["cohort"].notna(), "quality"].mean() > q.loc[q["cohort"].isna(), "quality"].mean()


def test_did_against_never_treated_is_unbiased_across_seeds():
    """Parallel trends hold in levels: a 2x2 DiD per cohort vs never-treated centres on the truth."""
    errors, naive = [], []
    for seed in range(30):
        units, truth = simulate_panel(seed=seed, n_units=60, n_periods=24)
        g = units["adoption_period"]
        never = g.isna()
        for cohort in g.dropna().unique():
            mine = g == cohort
            post = units["period"] >= cohort
            did = ((units.loc[mine & post, "revenue"].mean() - units.loc[mine & ~post, "revenue"].mean())
                   - (units.loc[never & post, "revenue"].mean() - units.loc[never & ~post, "revenue"].mean()))
            att = truth.att_gt.loc[truth.att_gt["cohort"] == cohort, "att"].mean()
            errors.append(did - att)
            naive.append(units.loc[mine & post, "revenue"].mean() - units.loc[never & post, "revenue"].mean() - att)
    errors, naive = np.array(errors), np.array(naive)
    assert abs(errors.mean()) < 3 * errors.std(ddof=1) / math.sqrt(len(errors))
    assert naive.mean() > 5 * abs(errors.mean()) and naive.mean() > 0


def test_simulate_builds_units_with_simulate_panel(small_sim):
    units, truth = simulate_panel(seed=11, n_units=SMALL["n_units"], n_periods=SMALL["n_periods"])
    pd.testing.assert_frame_equal(units, small_sim.units)
    pd.testing.assert_frame_equal(truth.att_gt, small_sim.truth.att_gt)


def test_account_level_truth(default_sim):
    s = default_sim
    acc = s.truth.accounts
    it = acc["integrated"].to_numpy()
    diff = (acc["revenue_integrated"] - acc["revenue_misaligned"]).to_numpy()
    assert s.truth.account_att == pytest.approx(diff[it].mean())
    # observed won revenue is the potential outcome of the account's own regime (same draws)
    observed = np.where(s.opportunities["outcome"] == "won", s.opportunities["revenue"], 0.0)
    own = np.where(it, acc["revenue_integrated"], acc["revenue_misaligned"])
    np.testing.assert_array_equal(observed, own)
    # the mechanisms, scaled by the solved strength, deliver about true_uplift at account level
    assert 0.03 < s.truth.account_att_pct < 0.15
    assert 0 < s.truth.params["integration_strength_solved"] < 1
    # integrated only where the unit adopted by the month the journey started, and then for a
    # segment-dependent share of accounts (observed confounding, overlap within unit and month)
    adoption = s.units.drop_duplicates("unit_id").set_index("unit_id")["adoption_period"]
    g = s.accounts["unit_id"].map(adoption)
    eligible = g.notna() & (g <= s.accounts["start_period"])
    assert not (s.accounts["integrated"] & ~eligible).any()
    cover = s.accounts[eligible].groupby("segment")["integrated"].mean()
    np.testing.assert_allclose(cover[["smb", "mid_market", "enterprise"]], [0.6, 0.75, 0.9], atol=0.03)
    ent = s.accounts.groupby("integrated")["segment"].apply(lambda x: (x == "enterprise").mean())
    assert ent[True] > ent[False]


@pytest.mark.parametrize("uplift", [0.03, 0.08])
def test_calibration_hits_true_uplift(uplift):
    """Expected revenue with every account integrated vs misaligned (same draws) ~ 1 + true_uplift."""
    s = simulate(seed=2, n_accounts=20_000, n_units=20, n_periods=24, true_uplift=uplift)
    acc = s.truth.accounts
    ratio = (acc["deal_size"] @ acc["p_won_integrated"]) / (acc["deal_size"] @ acc["p_won_misaligned"])
    # the solver targets the expectation over who is worked; realised worked flags add a little noise
    assert ratio - 1 == pytest.approx(uplift, abs=0.01)
    strength = s.truth.params["integration_strength_solved"]
    assert 0 < strength < 1
    assert simulate(seed=2, n_accounts=20_000, n_units=20, n_periods=24,
                    integration_strength=strength, true_uplift=uplift).truth.account_att == s.truth.account_att


def test_no_effect_means_identical_potential_outcomes():
    s = simulate(seed=9, true_uplift=0.0, **SMALL)
    assert s.truth.params["integration_strength_solved"] == 0
    assert s.truth.account_att == 0 and s.truth.att == 0
    acc = s.truth.accounts
    np.testing.assert_array_equal(acc["p_won_integrated"], acc["p_won_misaligned"])


# ---------------------------------------------------------------- spend adds up

def test_spend_adds_up_to_touch_costs_plus_overheads(default_sim):
    s = default_sim
    sp, tp = s.spend, s.touchpoints
    assert not sp.duplicated(["period", "channel", "team", "unit_id"]).any()
    overhead = sp["channel"].isin(["sales_people", "marketing_overhead"])
    assert sp.loc[~overhead, "cost"].sum() == pytest.approx(tp["cost"].sum(), rel=1e-9)
    by_channel = tp.groupby("channel")["cost"].sum()
    spent = sp[~overhead].groupby("channel")["cost"].sum()
    np.testing.assert_allclose(spent.reindex(by_channel.index), by_channel, rtol=1e-9)
    # per unit and month too
    tp_unit = tp.merge(s.accounts[["account_id", "unit_id"]], on="account_id")
    tp_unit["period"] = tp_unit["timestamp"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()
    ref = tp_unit.groupby(["period", "unit_id", "channel"])["cost"].sum()
    got = sp[~overhead].set_index(["period", "unit_id", "channel"])["cost"]
    np.testing.assert_allclose(got.reindex(ref.index), ref, atol=0.011)
    # overheads: one row of each kind per unit-month, teams as documented
    n_cells = s.units.shape[0]
    assert (sp["channel"] == "sales_people").sum() == n_cells
    assert (sp["channel"] == "marketing_overhead").sum() == n_cells
    assert set(sp.loc[sp["channel"] == "sales_people", "team"]) == {"sales"}
    assert set(sp.loc[sp["channel"] == "marketing_overhead", "team"]) == {"marketing"}


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, match", [
    ({"n_acounts": 10}, "unknown simulator parameter"),
    ({"n_units": 1}, "n_units"),
    ({"true_uplift": -0.1}, "true_uplift"),
    ({"start": "2022-01-15"}, "month-start"),
    ({"segment_mix": (0.5, 0.5, 0.5)}, "segment_mix"),
    ({"integration_strength": 1.5}, "integration_strength"),
])
def test_bad_parameters_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(seed=1, **{**SMALL, **kwargs})


def test_unreachable_uplift_is_an_error():
    with pytest.raises(ValueError, match="true_uplift=5.0"):
        simulate(seed=1, true_uplift=5.0, **SMALL)


def test_panel_rejects_too_many_cohorts():
    with pytest.raises(ValueError, match="n_cohorts"):
        simulate_panel(seed=1, n_units=10, n_periods=8, n_cohorts=8)


# ---------------------------------------------------------------- building blocks, hand-computed

def test_delay_curve_reproduces_hbr_points():
    from smlib.simulate.params import Params as P
    mis = F.regime_at(P(), 0.0)
    u = (np.arange(200_000) + 0.5) / 200_000          # quantile grid = exact distribution
    h = F.delay_hours(u, mis)
    assert (h <= 1).mean() == pytest.approx(0.37, abs=1e-4)
    assert np.all(np.diff(h) >= 0)                    # a quantile function (common random numbers)
    assert h.max() <= F.DELAY_CAP_H
    uncapped_mean = 0.37 * 0.5 + 0.63 * 66.4          # HBR: 42 h average among responders
    assert uncapped_mean == pytest.approx(42.0, abs=0.1) and 35 < h.mean() < 42
    assert F.delay_penalty(np.array([5 / 60, 1.0, 24.0, 100.0]), 1.0) == pytest.approx(
        [0.0, math.log(7), math.log(60), math.log(60)])
    best = F.regime_at(P(), 1.0)
    assert best.never_worked == 0.10 and best.content_use == 1.0
    assert best.acceptance_shift == pytest.approx(math.log(0.375 / 0.625) - math.log(0.13 / 0.87))


def test_stage_counts_and_order_feature_by_hand():
    from smlib.simulate.journeys import Touches, stage_counts, webinar_before_demo
    from smlib.simulate.params import CH as C
    # account 0: webinar (window 0), demo (window 2), webinar again (2); account 1: demo then webinar
    t = Touches(acc=np.array([0, 0, 0, 1, 1]), x=np.array([1.0, 5.0, 6.0, 1.0, 2.0]),
                contact_clock=np.ones(5, bool),
                channel=np.array([C["webinar"], C["demo"], C["webinar"], C["demo"], C["webinar"]], np.int8),
                window=np.array([0, 2, 2, 2, 2], np.int8), form_fill=np.zeros(5, bool))
    counts = stage_counts(t, 2)
    assert counts[:, 0, C["webinar"]].tolist() == [1, 1, 2]
    assert counts[:, 0, C["demo"]].tolist() == [0, 0, 1]
    assert counts[:, 1, C["webinar"]].tolist() == [0, 0, 1]
    assert webinar_before_demo(t, 2).tolist() == [True, False]
    # the win-stage logit of account 0 by hand: intercept + coefficients + webinar-before-demo
    x = F.FunnelInputs(np.array([0, 0], np.int8), np.array([False, False]), counts,
                       webinar_before_demo(t, 2))
    f = F.Funnel(x, np.array([True, True]), np.zeros(2), 0.0, 0.5, 0.25)
    z3 = (F.INTERCEPT[2, 0] + F.COEF[2, C["webinar"]] * math.log(3) + F.COEF[2, C["demo"]] * math.log(2)
          + F.WEBINAR_BEFORE_DEMO + F.CONTENT_GAIN * 0.5)
    assert f.logits(np.ones(12, bool))[2][0] == pytest.approx(z3, rel=1e-12)
    no_webinar = f.logits(F.keep_all_but(["webinar"]))[2][0]
    assert no_webinar == pytest.approx(F.INTERCEPT[2, 0] + F.COEF[2, C["demo"]] * math.log(2), rel=1e-12)


def test_panel_helpers():
    from smlib.simulate.panel import cohort_periods, month_starts, unit_ids
    assert cohort_periods(48, 4).tolist() == [12, 21, 31, 40]
    assert unit_ids(3).tolist() == ["U001", "U002", "U003"]
    assert month_starts("2022-11-01", 3).strftime("%Y-%m-%d").tolist() == ["2022-11-01", "2022-12-01", "2023-01-01"]
    with pytest.raises(ValueError, match="month-start"):
        month_starts("2022-11-02", 3)


# ---------------------------------------------------------------- switchable journey mechanisms

from smlib.simulate.mechanisms import (  # noqa: E402
    MECHANISMS, UNCONFOUNDED, exposure_transform, marketing_before_demo)

#: sha256 (first 16 hex digits) of simulate(7, n_accounts=3000, n_units=12, n_periods=24): tables and
#: truth as written by the simulator before the mechanisms existed (the switch-off reproduces it).
PRE_MECHANISM_DIGEST = "bca3c23b263aaa0b"


def _digest(sim) -> str:
    import hashlib
    h = hashlib.sha256()
    for name, df in sim.tables().items():
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    for name in ("channel_effects", "team_effects", "accounts", "att_gt"):
        h.update(pd.util.hash_pandas_object(getattr(sim.truth, name), index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def test_mechanisms_off_reproduce_the_default_data():
    off = dict(order_gain=0.0, repeat_decay=None, recency_half_life_days=None, harmful_channel=None,
               intent_path=0.0, intent_conversion=0.0)
    sim = simulate(7, n_accounts=3000, n_units=12, n_periods=24, **off)
    assert _digest(sim) == PRE_MECHANISM_DIGEST
    assert "intent" not in sim.truth.accounts


@pytest.fixture(scope="module", params=[m for m in MECHANISMS if m != "default"])
def mechanism_sim(request):
    sim = simulate(seed=11, **SMALL, **MECHANISMS[request.param])
    return request.param, sim, _journeys_as_lists(sim)


def test_mechanism_truth_matches_brute_force(mechanism_sim):
    """Each mechanism is in the truth: P(won) and every removal effect from the emitted rows."""
    name, sim, journeys = mechanism_sim
    truth = sim.truth
    closed = truth.accounts["closed"].to_numpy()
    # recency reads ages from timestamps rounded to the second: 1e-6 relative is the rounding
    rtol = 1e-6 if truth.params["recency_half_life_days"] else 1e-9
    full = _reference_p_won(sim, journeys, ALL_CHANNELS)[closed]
    np.testing.assert_allclose(full, truth.accounts.loc[closed, "p_won"], rtol=rtol)
    ce = truth.channel_effects.set_index("channel")
    for ch in ALL_CHANNELS:
        d = full - _reference_p_won(sim, journeys, ALL_CHANNELS - {ch})[closed]
        assert ce.loc[ch, "incremental_conversions"] == pytest.approx(d.sum(), rel=1e-5, abs=1e-9), (name, ch)


def test_each_mechanism_changes_the_truth():
    base = simulate(seed=5, n_accounts=6000).truth.channel_effects.set_index("channel")
    for name in UNCONFOUNDED[1:] + ("confounded",):
        ce = simulate(seed=5, n_accounts=6000, **MECHANISMS[name]).truth.channel_effects.set_index("channel")
        assert not np.allclose(ce["share"], base["share"], atol=1e-3), name


def test_harmful_channel_has_negative_truth():
    sim = simulate(seed=3, n_accounts=8000, **MECHANISMS["harmful"])
    ce = sim.truth.channel_effects.set_index("channel")
    assert ce.loc["paid_social", "incremental_conversions"] < -10
    assert ce.loc["paid_social", "share"] < 0
    assert (ce.drop("paid_social")["incremental_conversions"] > 0).all()
    assert ce["share"].sum() == pytest.approx(1.0)         # shares of the net total


def test_order_dependence_rewards_marketing_before_demo():
    base = simulate(seed=3, n_accounts=8000).truth.channel_effects.set_index("channel")
    order = simulate(seed=3, n_accounts=8000, **MECHANISMS["order"]).truth.channel_effects.set_index("channel")
    # same journeys; the order term adds to the demo and, through "a marketing touch first", to marketing
    assert order.loc["demo", "incremental_conversions"] > base.loc["demo", "incremental_conversions"]
    mkt = list(config.MARKETING_CHANNELS)
    assert (order.loc[mkt, "incremental_conversions"] > base.loc[mkt, "incremental_conversions"]).all()


def test_latent_intent_drives_path_and_conversion():
    sim = simulate(seed=3, n_accounts=8000, **MECHANISMS["confounded"])
    acc = sim.truth.accounts.set_index("account_id")
    n_touch = sim.touchpoints.groupby("account_id").size().reindex(acc.index, fill_value=0)
    demos = (sim.touchpoints["channel"] == "demo").groupby(sim.touchpoints["account_id"]).sum() \
        .reindex(acc.index, fill_value=0)
    u = acc["intent"]
    assert abs(u.mean()) < 0.05 and u.std() == pytest.approx(1.0, abs=0.05)
    assert np.corrcoef(u, n_touch)[0, 1] > 0.2                 # longer journeys
    assert np.corrcoef(u, demos)[0, 1] > 0.05                  # more demos
    assert np.corrcoef(u, acc["p_won"])[0, 1] > 0.2            # and more conversions
    # the same accounts without intent draw the same other randoms: account attributes unchanged
    plain = simulate(seed=3, n_accounts=8000)
    pd.testing.assert_frame_equal(plain.accounts, sim.accounts)


def test_exposure_transform_and_order_feature_by_hand():
    assert exposure_transform(np.array([0.0, 1.0, 2.0, 3.0]), 0.3) == pytest.approx([0, 1, 1.3, 1.39])
    assert exposure_transform(np.array([0.0, 2.0, 0.5]), 0.0) == pytest.approx([0, 1, 1])
    assert exposure_transform(np.array([2.0]), None) == pytest.approx([math.log(3)])
    from smlib.simulate.journeys import Touches
    from smlib.simulate.params import CH as C
    # account 0: email, demo, paid_search; account 1: demo then email; account 2: email only
    t = Touches(acc=np.array([0, 0, 0, 1, 1, 2]), x=np.arange(6.0), contact_clock=np.ones(6, bool),
                channel=np.array([C["email"], C["demo"], C["paid_search"], C["demo"], C["email"],
                                  C["email"]], np.int8),
                window=np.array([0, 2, 2, 2, 2, 0], np.int8), form_fill=np.zeros(6, bool))
    mbd = marketing_before_demo(t, 3)
    assert mbd[0, C["email"]] and not mbd[0, C["paid_search"]]
    assert not mbd[1].any() and not mbd[2].any()


@pytest.mark.parametrize("kwargs, match", [
    (dict(repeat_decay=1.0), "repeat_decay"),
    (dict(recency_half_life_days=0.0), "recency_half_life_days"),
    (dict(harmful_channel="fax"), "harmful_channel"),
    (dict(harm=-1.0), "harm"),
    (dict(intent_path=float("nan")), "intent_path"),
])
def test_bad_mechanism_parameters_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(seed=1, **SMALL, **kwargs)
