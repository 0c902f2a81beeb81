"""Synthetic control: Proposition 99 (Abadie, Diamond & Hainmueller 2010), reference implementations,
simulated truth, inference helpers and bad input.

Data: tests/data/smoking.csv — the Proposition 99 panel of ADH (2010): per-capita cigarette sales
(packs) for California and the 38 donor states, 1970–2000 (from CausalPy's ``california_prop99.csv``)
with the covariates lnincome, beer, age15to24 and retprice for 1980–1988, the years ADH's
predictors use (from the ``smoking`` data of R tidysynth / pysyncon; other years left empty).

Reference values and tolerances:
- ADH (2010) Table 2 state weights: Colorado 0.164, Connecticut 0.069, Montana 0.199, Nevada 0.234,
  Utah 0.334, every other state 0. Stata ``synth, nested`` on the same data: 0.161, 0.068, 0.202,
  0.235, 0.334. V (predictor weights) is not identified (different V give almost the same W), so
  weights are compared within 0.01.
- ADH (2010) Table 1, synthetic California: ln(GDP per capita) 9.86, share aged 15–24 17.40 %,
  retail price 89.41, beer 24.20, cigarette sales 1988 91.62, 1980 120.43, 1975 126.99 (printed to
  two decimals; compared within 0.3 packs / 0.02 for ln income / 0.06 points for the age share,
  whose value for California itself is 17.35 in the shipped data).
- Average post-1988 gap −19.00 packs with the Stata weights; pre-period RMSPE ≈ 1.76; placebo
  p-value 1/39 = 0.026 (ADH 2010, section 3.3).
- Outcome-only synthetic control (all 19 pre-period sales as predictors), mlsynth 1.0.0
  ``VanillaSC``: Utah 0.3939, Montana 0.2318, Nevada 0.2049, Connecticut 0.1091, New Hampshire
  0.0454, Colorado 0.0148; ATT −19.5136; California's post/pre RMSPE ratio ranks 3rd of 39.
"""

from __future__ import annotations

import warnings

import matplotlib

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from smlib import config
from smlib.causal import synthetic_control, synthetic_control_panel
from smlib.causal.synth import conformal_interval, placebo_interval, simplex_least_squares
from smlib.simulate import simulate_panel

matplotlib.use("Agg")

SMOKING = config.PROJECT_ROOT / "tests" / "data" / "smoking.csv"
ADH_PREDICTORS = [("lnincome", range(1980, 1989)), ("retprice", range(1980, 1989)),
                  ("age15to24", range(1980, 1989)), ("beer", range(1984, 1989)),
                  ("cigsale", 1975), ("cigsale", 1980), ("cigsale", 1988)]
ADH_WEIGHTS = {"Colorado": 0.164, "Connecticut": 0.069, "Montana": 0.199, "Nevada": 0.234, "Utah": 0.334}


@pytest.fixture(scope="module")
def smoking() -> pd.DataFrame:
    return pd.read_csv(SMOKING)


@pytest.fixture(scope="module")
def adh(smoking):
    return synthetic_control(smoking, "cigsale", "state", "year", "California", 1989,
                             predictors=ADH_PREDICTORS, placebo=False)


def test_prop99_data_shape(smoking):
    assert smoking.shape == (39 * 31, 7)
    ca = smoking[smoking["state"] == "California"].set_index("year")["cigsale"]
    assert ca[1988] == pytest.approx(90.1) and ca[2000] == pytest.approx(41.6)


def test_prop99_weights_match_adh_table2(adh):
    w = adh.weights
    for state, pub in ADH_WEIGHTS.items():
        assert w[state] == pytest.approx(pub, abs=0.01), state
    others = w.drop(list(ADH_WEIGHTS))
    assert others.max() < 0.01
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()


def test_prop99_balance_matches_adh_table1(adh):
    b = adh.balance["synthetic"]
    assert b["lnincome 1980–1988"] == pytest.approx(9.86, abs=0.02)
    assert b["retprice 1980–1988"] == pytest.approx(89.41, abs=0.3)
    # the shipped data give California itself 17.35 % (ADH print 17.40), hence the wider tolerance
    assert b["age15to24 1980–1988"] * 100 == pytest.approx(17.40, abs=0.06)
    assert b["beer 1984–1988"] == pytest.approx(24.20, abs=0.3)
    assert b["cigsale 1988"] == pytest.approx(91.62, abs=0.3)
    assert b["cigsale 1980"] == pytest.approx(120.43, abs=0.3)
    assert b["cigsale 1975"] == pytest.approx(126.99, abs=0.3)
    assert adh.balance.loc["cigsale 1988", "treated"] == pytest.approx(90.10, abs=0.01)


def test_prop99_effect_and_fit(adh):
    assert adh.estimate == pytest.approx(-19.00, abs=0.3)
    assert adh.pre_rmspe == pytest.approx(1.76, abs=0.05)
    gap2000 = adh.path.set_index("time").loc[2000, "gap"]
    assert gap2000 == pytest.approx(-26, abs=1.5)  # "about 26 packs lower" by 2000 (ADH abstract)
    assert adh.predictor_weights.sum() == pytest.approx(1.0)


def test_prop99_outcome_only_matches_mlsynth(smoking):
    r = synthetic_control(smoking, "cigsale", "state", "year", "California", 1989)
    ref = {"Utah": 0.3939, "Montana": 0.2318, "Nevada": 0.2049, "Connecticut": 0.1091,
           "New Hampshire": 0.0454, "Colorado": 0.0148}
    for state, v in ref.items():
        assert r.weights[state] == pytest.approx(v, abs=2e-3), state
    assert r.estimate == pytest.approx(-19.5136, abs=5e-3)
    assert r.placebos.set_index("unit").loc["California", "rank"] == 3
    assert r.placebo_p_value == pytest.approx(3 / 39)
    assert r.ci_low < r.estimate < r.ci_high
    assert "placebo-test inversion" in r.details["ci_method"]
    f = r.to_frame()
    assert {"estimate", "std_error", "ci_low", "ci_high", "p_value", "unit"} <= set(f.columns)


@pytest.mark.slow  # 38 placebo refits of the nested V optimisation (~20 s)
def test_prop99_placebo_p_value_is_one_over_39(smoking):
    r = synthetic_control(smoking, "cigsale", "state", "year", "California", 1989,
                          predictors=ADH_PREDICTORS, placebo=True)
    assert r.placebo_p_value == pytest.approx(1 / 39)
    assert r.ci_low < r.estimate < r.ci_high


def test_simplex_least_squares_matches_slsqp():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(12, 15)) * 10
    b = A @ rng.dirichlet(np.ones(15) * 0.3) + rng.normal(size=12)
    w = simplex_least_squares(A, b)
    res = optimize.minimize(lambda v: np.sum((A @ v - b) ** 2), np.full(15, 1 / 15), method="SLSQP",
                            bounds=[(0, 1)] * 15,
                            constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1}],
                            options={"ftol": 1e-14, "maxiter": 1000})
    assert w.sum() == pytest.approx(1.0) and w.min() >= 0
    assert np.sum((A @ w - b) ** 2) <= res.fun * (1 + 1e-6) + 1e-9


def test_placebo_interval_hand():
    # J = 38 placebos (Prop 99): (1 + 1)/39 > 0.05 -> m = 1, the largest |gap|
    stats = np.r_[np.arange(1.0, 38.0), 50.0]
    assert placebo_interval(-10.0, stats, 0.95) == (-60.0, 40.0)
    # J = 39: 2/40 = 0.05 is not > 0.05 -> m = 2, the second largest
    assert placebo_interval(-10.0, np.r_[np.arange(1.0, 39.0), 50.0], 0.95) == (-48.0, 28.0)
    # J = 99: m = 5 -> 5th largest |gap| = 95
    assert placebo_interval(0.0, np.arange(1.0, 100.0), 0.95) == (-95.0, 95.0)
    # J = 10 cannot reach 95 %
    assert placebo_interval(0.0, np.arange(10.0), 0.95) == (-np.inf, np.inf)


def _factor_panel(seed: int, effect: float, n_donors: int = 20, T: int = 40, T0: int = 30):
    """Linear factor model; unit 0 is a convex mix of donors plus noise, constant effect after T0."""
    rng = np.random.default_rng(seed)
    f = np.cumsum(rng.normal(size=(T, 2)), axis=0)
    load = rng.uniform(0.5, 1.5, size=(n_donors, 2))
    Y0 = f @ load.T + rng.normal(scale=0.5, size=(T, n_donors)) + 10
    w = rng.dirichlet(np.ones(n_donors))
    y1 = Y0 @ w + rng.normal(scale=0.5, size=T)
    y1[T0:] += effect
    return y1, Y0, T0


def test_conformal_interval_covers_constant_effect():
    hits = 0
    for seed in range(10):
        y1, Y0, T0 = _factor_panel(seed, effect=3.0)
        lo, hi, table = conformal_interval(y1, Y0, T0, 0.9)
        hits += lo <= 3.0 <= hi
        assert table["p_value"].between(0, 1).all()
    assert hits >= 8
    with pytest.warns(UserWarning, match="unbounded"):
        lo, hi, _ = conformal_interval(y1[:15], Y0[:15], 10, 0.95)
    assert np.isinf(lo) and np.isinf(hi)


def _simulated_treated_path(units, truth, r):
    po = truth.potential_outcomes
    w0, w1 = r.details["post_window"]
    cells = po[po["unit_id"].isin(r.details["members"]) & po["period"].between(w0, w1)]
    return float((cells["y1"] - cells["y0"]).groupby(cells["period"]).mean().mean())


def test_panel_synthetic_control_recovers_simulated_effect():
    units, truth = simulate_panel(seed=11)
    r = synthetic_control_panel(units)
    t = _simulated_treated_path(units, truth, r)
    assert r.ci_low <= t <= r.ci_high
    assert abs(r.estimate - t) < 0.15 * t
    assert r.details["n_donors"] > 20 and r.details["demean"]
    assert isinstance(r.treatment_time, pd.Timestamp)

    # with never-adopters only as donors the early adopters' level lies above every donor's:
    # plain convex weights cannot reach it, the demeaned fit (intercept) can
    wide = units.pivot(index="period", columns="unit_id", values="revenue")
    first = r.details["members"]
    never = units.loc[units["adoption_period"].isna(), "unit_id"].unique().tolist()
    long = wide[never].assign(cohort=wide[first].mean(axis=1)).reset_index().melt(
        id_vars="period", var_name="unit", value_name="revenue")
    kw = dict(donors=never, placebo=False, ci_method="conformal")
    end = r.details["post_window"][1]
    long = long[long["period"] <= end]
    plain = synthetic_control(long, "revenue", "unit", "period", "cohort", r.treatment_time, **kw)
    dem = synthetic_control(long, "revenue", "unit", "period", "cohort", r.treatment_time,
                            demean=True, **kw)
    assert abs(plain.estimate - t) > 3 * abs(dem.estimate - t)


def test_plots_have_titles(smoking):
    r = synthetic_control(smoking, "cigsale", "state", "year", "California", 1989)
    assert "gap" in r.plot().get_title().lower()
    ax = r.plot(kind="paths")
    assert "California" in ax.get_title() and ax.get_ylabel() == "cigsale"
    with pytest.raises(ValueError, match="kind"):
        r.plot(kind="pie")
    assert "donor weights" in r.summary()


@pytest.mark.parametrize("mutate, kwargs, match", [
    (lambda d: d.drop(index=d.index[(d.state == "Utah") & (d.year == 1975)]), {}, "balanced panel"),
    (lambda d: d, dict(treatment_time=1970), "at least 2 are needed"),
    (lambda d: d, dict(treatment_time=2001), "after the last period"),
    (lambda d: d.assign(cigsale=d["cigsale"].astype(str)), {}, "must be numeric"),
    (lambda d: d, dict(treated_unit="Atlantis"), "not found"),
    (lambda d: d, dict(donors=["California", "Utah"]), "cannot also be a donor"),
    (lambda d: d, dict(donors=["Utah"]), "at least 2 donors"),
    (lambda d: pd.concat([d, d.iloc[[0]]]), {}, "duplicate"),
    (lambda d: d, dict(predictors=[("cigsale", 1995)]), "not pre-treatment"),
    (lambda d: d, dict(predictors=[("beer", 1975)]), "has no data"),
    (lambda d: d, dict(predictors=["lnincome"], demean=True), "only supported with predictors=None"),
    (lambda d: d, dict(ci_method="bootstrap"), "ci_method"),
])
def test_bad_input(smoking, mutate, kwargs, match):
    args = dict(treated_unit="California", treatment_time=1989)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        synthetic_control(mutate(smoking), "cigsale", "state", "year", placebo=False, **args)


def test_constant_predictor_dropped_with_warning(smoking):
    d = smoking.assign(const=1.0)
    with pytest.warns(UserWarning, match="constant predictors"):
        r = synthetic_control(d, "cigsale", "state", "year", "California", 1989,
                              predictors=["const", ("cigsale", 1980), ("cigsale", 1988)],
                              placebo=False, n_starts=1)
    assert list(r.predictor_weights.index) == ["cigsale 1980", "cigsale 1988"]


def test_panel_bad_input():
    units, _ = simulate_panel(seed=2, n_units=20, n_periods=24)
    never = units.loc[units["adoption_period"].isna(), "unit_id"].iloc[0]
    with pytest.raises(ValueError, match="never adopted"):
        synthetic_control_panel(units, treated=never)
    with pytest.raises(ValueError, match="not found"):
        synthetic_control_panel(units, treated="nope")
    with pytest.raises(ValueError, match="no unit adopted"):
        synthetic_control_panel(units.assign(adoption_period=pd.NaT))


def test_plots_in_spanish(smoking):
    r = synthetic_control(smoking, "cigsale", "state", "year", "California", 1989)
    ax = r.plot(language="es")
    assert ax.get_title() == "Diferencia con el control sintético de California (cigsale)"
    assert ax.get_xlabel() == "periodo"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "unidades placebo" in legend and "inicio de la integración" in legend
    ax = r.plot(kind="paths", language="es")
    assert "control sintético" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="language"):
        r.plot(language="fr")
