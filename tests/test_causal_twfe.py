"""Tests of smlib.causal.twfe (two-way fixed effects DiD with cluster-robust SEs).

Golden values: an OLS with one dummy per unit and per period and statsmodels' cluster-robust
covariance (``cov_type="cluster"``, correction G/(G-1)*(N-1)/(N-K) with K counting every dummy)
must equal ``twfe_did(..., fixef_k="full")`` to 1e-8; the default ``fixef_k="nested"`` (fixest)
differs only by the factor (N-K_full)/(N-K_nested) with K_nested = k + T when clusters are units
(fixest's documented example, ``?fixest::ssc``: "K = 1 + 5 (i.e. x + fe2)").
On mpdta the estimate and SEs (nested, full, none; county and state clusters, with a covariate)
equal pyfixest 0.60.0, a port of R fixest with the same defaults, to 1e-8 relative.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from smlib.causal import staggered_did, twfe_did
from smlib.causal.twfe import TWFEResult, demean_two_way

DATA = Path(__file__).parent / "data"


def panel(n: int = 40, T: int = 8, effect: float = 1.5, seed: int = 0, dynamic: bool = False,
          drop: int = 0) -> pd.DataFrame:
    """Staggered panel: y = a_i + l_t + effect * D_it (+ growth with exposure) + 0.5 x + noise."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 4, 6], n)
    df = pd.DataFrame([(i, t) for i in range(n) for t in range(1, T + 1)], columns=["u", "t"])
    df["g"] = g[df["u"]]
    df["D"] = ((df["g"] > 0) & (df["t"] >= df["g"])).astype(int)
    df["region"] = df["u"] % 5
    df["x"] = rng.normal(size=len(df))
    exposure = np.where(df["D"] == 1, df["t"] - df["g"], 0)
    tau = effect * df["D"] + (0.8 * exposure if dynamic else 0)
    df["y"] = rng.normal(size=n)[df["u"]] + 0.3 * df["t"] + tau + 0.5 * df["x"] + rng.normal(size=len(df))
    if drop:
        df = df.drop(index=rng.choice(len(df), drop, replace=False)).reset_index(drop=True)
    return df


def _dummies(df: pd.DataFrame, cluster: str = "u", covs: str = " + x"):
    return smf.ols(f"y ~ D{covs} + C(u) + C(t)", df).fit(cov_type="cluster", cov_kwds={"groups": df[cluster]})


@pytest.mark.parametrize("drop", [0, 25])
def test_matches_ols_with_dummies(drop: int) -> None:
    df = panel(drop=drop)
    ref = _dummies(df)
    res = twfe_did(df, "y", "u", "t", "D", covariates=["x"], fixef_k="full")
    assert res.estimate == pytest.approx(ref.params["D"], abs=1e-8)
    assert res.std_error == pytest.approx(ref.bse["D"], abs=1e-8)
    coef = res.coefficients.set_index("term")
    assert coef.loc["x", "estimate"] == pytest.approx(ref.params["x"], abs=1e-8)
    assert coef.loc["x", "std_error"] == pytest.approx(ref.bse["x"], abs=1e-8)
    N, T, n_u = len(df), df["t"].nunique(), df["u"].nunique()
    assert res.dof_k == 2 + n_u + T - 1 and res.n_obs == N


def test_fixest_nested_correction() -> None:
    df = panel(drop=10)
    full = twfe_did(df, "y", "u", "t", "D", covariates=["x"], fixef_k="full")
    nested = twfe_did(df, "y", "u", "t", "D", covariates=["x"])
    none = twfe_did(df, "y", "u", "t", "D", covariates=["x"], fixef_k="none")
    N, T, n_u, k, G = len(df), df["t"].nunique(), df["u"].nunique(), 2, df["u"].nunique()
    assert nested.dof_k == k + T  # unit effects nested in unit clusters
    assert nested.ssc == pytest.approx(G / (G - 1) * (N - 1) / (N - k - T))
    assert nested.std_error == pytest.approx(full.std_error * np.sqrt((N - (k + n_u + T - 1)) / (N - k - T)), rel=1e-12)
    assert none.dof_k == k and nested.estimate == full.estimate == none.estimate
    # clusters coarser than units (regions): units still nested, same K
    by_region = twfe_did(df, "y", "u", "t", "D", cluster="region", covariates=["x"])
    assert by_region.dof_k == k + T and by_region.n_clusters == 5 and by_region.df_t == 4
    ref = _dummies(df, cluster="region")
    ratio = np.sqrt((N - (k + n_u + T - 1)) / (N - k - T))
    assert by_region.std_error == pytest.approx(ref.bse["D"] * ratio, rel=1e-10)
    # clusters that cut across units (period clusters): the period effects are nested instead
    by_time = twfe_did(df, "y", "u", "t", "D", cluster="t", covariates=["x"])
    assert by_time.dof_k == k + n_u


def test_t_interval_with_g_minus_one_df() -> None:
    from scipy import stats

    df = panel(seed=3)
    res = twfe_did(df, "y", "u", "t", "D")
    q = stats.t.ppf(0.975, res.n_clusters - 1)
    assert res.ci_high - res.estimate == pytest.approx(q * res.std_error)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(res.estimate / res.std_error), res.n_clusters - 1))
    frame = res.to_frame()
    assert frame.loc[0, "term"] == "D" and frame.loc[0, "n_clusters"] == 40 and len(frame) == 1
    assert "fixest small-sample correction" in res.summary() and isinstance(res, TWFEResult)


def test_demeaning_balanced_single_sweep_and_unbalanced_convergence() -> None:
    df = panel()
    u, _ = pd.factorize(df["u"], sort=True)
    t, _ = pd.factorize(df["t"], sort=True)
    Z, sweeps = demean_two_way(df[["y", "x"]].to_numpy(), u, t)
    assert sweeps <= 2
    resid = smf.ols("y ~ C(u) + C(t)", df).fit().resid.to_numpy()
    np.testing.assert_allclose(Z[:, 0], resid, atol=1e-10)
    dfu = panel(drop=40)
    u, _ = pd.factorize(dfu["u"], sort=True)
    t, _ = pd.factorize(dfu["t"], sort=True)
    Z, sweeps = demean_two_way(dfu[["y"]].to_numpy(), u, t)
    resid = smf.ols("y ~ C(u) + C(t)", dfu).fit().resid.to_numpy()
    np.testing.assert_allclose(Z[:, 0], resid, atol=1e-8)
    assert sweeps > 2


def test_recovers_homogeneous_effect_with_coverage() -> None:
    hits, errs = 0, []
    for r in range(100):
        res = twfe_did(panel(n=60, seed=100 + r), "y", "u", "t", "D", covariates=["x"])
        errs.append(res.estimate - 1.5)
        hits += res.ci_low <= 1.5 <= res.ci_high
    errs = np.array(errs)
    assert abs(errs.mean()) < 3 * errs.std() / 10
    assert 0.89 <= hits / 100 <= 1.0


def test_twfe_is_biased_with_staggered_dynamic_effects() -> None:
    # Goodman-Bacon (2021): with effects growing in exposure, TWFE uses already-treated units as
    # controls and misses the average effect; Callaway & Sant'Anna does not.
    df = panel(n=300, seed=1, dynamic=True)
    cs = staggered_did(df, "y", "u", "t", "g", n_boot=0)
    tw = twfe_did(df, "y", "u", "t", "D")
    post = df[df["D"] == 1]
    true_att = float((1.5 + 0.8 * (post["t"] - post["g"])).mean())
    assert abs(cs.aggregate("simple").estimate - true_att) < 3 * cs.std_error
    assert abs(tw.estimate - true_att) > 0.4  # clear bias


def test_dates_as_time() -> None:
    df = panel(seed=4)
    months = pd.date_range("2024-01-01", periods=8, freq="MS")
    a = twfe_did(df, "y", "u", "t", "D")
    b = twfe_did(df.assign(t=months[df["t"] - 1]), "y", "u", "t", "D")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12) and a.std_error == pytest.approx(b.std_error)


def test_mpdta_matches_fixest_via_pyfixest() -> None:
    # Reference: pyfixest 0.60.0 (port of R fixest, same ssc defaults; its k_fixef="nonnested" is
    # fixest's fixef.K="nested"), run once outside the test suite:
    #   feols("lemp ~ post | countyreal + year", mpdta, vcov={"CRV1": "countyreal"}, ssc=ssc(k_fixef=...))
    #   feols("lemp ~ post + z | countyreal + year", ..., vcov={"CRV1": "st"}) with
    #   z = lpop + 0.01 sin(year * countyreal), st = countyreal // 1000 (state code, 29 clusters)
    mp = pd.read_csv(DATA / "mpdta.csv")
    mp["post"] = ((mp["first.treat"] > 0) & (mp["year"] >= mp["first.treat"])).astype(int)
    res = twfe_did(mp, "lemp", "countyreal", "year", "post")
    assert res.estimate == pytest.approx(-0.03654893667406701, abs=1e-10)
    assert res.std_error == pytest.approx(0.01326515542933888, rel=1e-8)
    assert res.dof_k == 1 + 5  # one slope + five year effects
    full = twfe_did(mp, "lemp", "countyreal", "year", "post", fixef_k="full")
    assert full.std_error == pytest.approx(0.014831638020660246, rel=1e-8)
    none = twfe_did(mp, "lemp", "countyreal", "year", "post", fixef_k="none")
    assert none.std_error == pytest.approx(0.013251878321188274, rel=1e-8)
    mp2 = mp.assign(z=mp["lpop"] + 0.01 * np.sin(mp["year"] * mp["countyreal"]), st=mp["countyreal"] // 1000)
    st = twfe_did(mp2, "lemp", "countyreal", "year", "post", cluster="st", covariates=["z"]).coefficients
    np.testing.assert_allclose(st["estimate"], [-0.036610847306386085, 0.2672600037589421], atol=1e-10)
    np.testing.assert_allclose(st["std_error"], [0.02277775228086733, 0.38058618881397877], rtol=1e-8)


def test_bad_input() -> None:
    df = panel()
    with pytest.raises(ValueError, match="treated column 'D' must be 0/1"):
        twfe_did(df.assign(D=df["D"] * 2), "y", "u", "t", "D")
    with pytest.raises(ValueError, match="outcome column 'y' must be numeric"):
        twfe_did(df.assign(y=df["y"].astype(str)), "y", "u", "t", "D")
    with pytest.raises(ValueError, match="no variation left"):
        twfe_did(df.assign(D=1), "y", "u", "t", "D")  # every unit treated every period
    with pytest.raises(ValueError, match="no variation left"):
        twfe_did(df.assign(D=0), "y", "u", "t", "D")  # nobody treated
    with pytest.raises(ValueError, match="no variation left"):
        twfe_did(df.assign(c=df["u"] * 1.0), "y", "u", "t", "D", covariates=["c"])  # constant within unit
    with pytest.raises(ValueError, match="single cluster"):
        twfe_did(df.assign(one=1), "y", "u", "t", "D", cluster="one")
    with pytest.raises(ValueError, match="duplicate"):
        twfe_did(pd.concat([df, df.iloc[:2]]), "y", "u", "t", "D")
    with pytest.raises(ValueError, match="cluster column 'zz' not found"):
        twfe_did(df, "y", "u", "t", "D", cluster="zz")
    with pytest.raises(ValueError, match="fixef_k"):
        twfe_did(df, "y", "u", "t", "D", fixef_k="some")
    with pytest.raises(ValueError, match="treated column 'D' has missing values"):
        twfe_did(df.assign(D=df["D"].where(df.index != 3)), "y", "u", "t", "D")
    with pytest.warns(UserWarning, match="1 rows with a missing 'y' are dropped"):
        res = twfe_did(df.assign(y=df["y"].where(df.index != 3)), "y", "u", "t", "D")
    assert res.n_obs == len(df) - 1


def test_twfe_on_the_simulator_constant_effect_vs_ramping_cohort_effects() -> None:
    # Same simulated panels (60 units x 48 months, 4 cohorts) and the same Y0, two effects:
    # a constant 32,000 per treated unit-month (TWFE unbiased) and the simulator's own effect that
    # ramps up over 3 months and differs by cohort (x1.25 .. x0.75): static TWFE then compares
    # late adopters with early adopters whose effect is still growing and understates the ATT
    # (Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020). benchmarks/coverage_causal.py
    # runs this over 50 seeds: coverage 0.96 vs 0.04.
    from smlib.causal._panel import integer_periods
    from smlib.simulate import simulate_panel

    const = 32_000.0
    hom, het = [], []
    for seed in range(6):
        units, truth = simulate_panel(seed=seed, n_units=60, n_periods=48)
        ip = integer_periods(units, adoption="adoption_period", period_col="t", cohort_col="g")
        d = ((ip["g"] > 0) & (ip["t"] >= ip["g"])).to_numpy(dtype=float)
        po = truth.potential_outcomes.set_index(["unit_id", "period"])
        y0 = po["y0"].reindex(pd.MultiIndex.from_frame(units[["unit_id", "period"]])).to_numpy()
        ip = ip.assign(D=d, y_const=y0 + const * d)
        a = twfe_did(ip, "y_const", "unit_id", "t", "D")
        b = twfe_did(ip, "revenue", "unit_id", "t", "D")
        hom.append((a.estimate - const, a.std_error, a.ci_low <= const <= a.ci_high))
        het.append((b.estimate - truth.att, b.std_error, b.ci_low <= truth.att <= b.ci_high))
    hom_err, hom_se, hom_cov = map(np.array, zip(*hom))
    het_err, het_se, het_cov = map(np.array, zip(*het))
    assert hom_cov.sum() >= 5 and abs(hom_err.mean()) < hom_se.mean()
    assert het_cov.sum() <= 1 and het_err.mean() < -2 * het_se.mean()
