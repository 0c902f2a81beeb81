"""HonestDiD sensitivity (Rambachan & Roth 2023) and pre-trend power (Roth 2022):
smlib.causal.honest against the published R outputs, and sanity on the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smlib.causal.honest import (
    EventStudyInputs, HonestResult, event_study_inputs, flci, folded_normal_quantile, honest_did,
    pretrend_power, rm_conditional_ci, slope_for_power,
)
from smlib.causal.twfe import twfe_did

DATA = Path(__file__).parent / "data"


def _medicaid_twfe() -> tuple[object, dict[str, int]]:
    """The README's TWFE event study: feols(dins ~ i(year, D, ref = 2013) | stfips + year)."""
    d = pd.read_csv(DATA / "ehec_data.csv")
    d = d[(d.year < 2016) & (d.yexp2.isna() | (d.yexp2 != 2015))].copy()
    d["D"] = (d.yexp2 == 2014).astype(int)
    terms = {}
    for y in range(2008, 2016):
        if y != 2013:
            d[f"y{y}"] = d.D * (d.year == y)
            terms[f"y{y}"] = y - 2014
    names = list(terms)
    return twfe_did(d, "dins", "stfips", "year", treated=names[0], covariates=names[1:]), terms


@pytest.fixture(scope="module")
def medicaid() -> tuple[object, dict[str, int]]:
    return _medicaid_twfe()


def test_medicaid_smoothness_flci_matches_readme(medicaid):
    gold = json.loads((DATA / "honestdid_medicaid.json").read_text())["smoothness"]
    r, terms = medicaid
    h = honest_did(r, "smoothness", gold["M"], terms=terms)
    fr = h.to_frame()
    assert list(fr.columns) == ["lb", "ub", "method", "Delta", "M"]
    assert (fr.method == "FLCI").all()
    # README prints 3 significant figures; R simulates the folded-normal quantile (10^6 draws)
    # and solves the cone programs with ECOS: agreement to 1e-4 on top of the printed rounding
    # (half a unit of the third significant figure; largest gap 6.5e-5 beyond it)
    np.testing.assert_allclose(fr.lb, gold["lb"], atol=1e-4, rtol=5e-3)
    np.testing.assert_allclose(fr.ub, gold["ub"], atol=1e-4, rtol=5e-3)


def _check_rm(medicaid, rows: list[int]) -> object:
    gold = json.loads((DATA / "honestdid_medicaid.json").read_text())["relative_magnitudes"]
    r, terms = medicaid
    mbar = [gold["Mbar"][i] for i in rows]
    h = honest_did(r, "relative_magnitude", mbar, terms=terms)
    fr = h.to_frame()
    assert (fr.method == "C-LF").all() and list(fr.Mbar) == mbar
    # the C-LF set lives on R's 1,000-point grid (step 0.00037 here) and its least-favourable
    # critical value is simulated (1,000 draws; numpy's RNG, not R's): within 2 grid steps
    np.testing.assert_allclose(fr.lb, [gold["lb"][i] for i in rows], atol=7.5e-4)
    np.testing.assert_allclose(fr.ub, [gold["ub"][i] for i in rows], atol=7.5e-4)
    return h


def test_medicaid_relative_magnitudes_clf_matches_readme(medicaid):
    """Mbar = 1 and 2 of the README (the quick part; all four: the slow test below)."""
    h = _check_rm(medicaid, [1, 3])
    assert h.breakdown() == 2.0  # significant at Mbar = 1, not at 2 (README: breakdown 2)


@pytest.mark.slow
def test_medicaid_relative_magnitudes_all_rows_and_summary(medicaid):
    h = _check_rm(medicaid, [0, 1, 2, 3])
    assert h.breakdown() == 2.0
    assert "more than 1.5 times the largest pre-treatment violation" in h.summary()
    assert "más de 1.5 veces" in h.summary(language="es")


def test_raw_arrays_like_create_sensitivity_results(medicaid):
    r, terms = medicaid
    inp = event_study_inputs(r, terms=terms)
    assert (inp.num_pre, inp.num_post) == (5, 2) and inp.event_times == (-6, -5, -4, -3, -2, 0, 1)
    h = honest_did(betahat=inp.betahat, sigma=inp.sigma, num_pre=5, num_post=2,
                   restriction="smoothness", m_values=[0.02])
    lb, ub = flci(inp.betahat, inp.sigma, 5, 2, M=0.02)
    assert (h.robust.lb[0], h.robust.ub[0]) == pytest.approx((lb, ub))
    avg = honest_did(betahat=inp.betahat, sigma=inp.sigma, num_pre=5, num_post=2,
                     restriction="smoothness", m_values=[0.0], l_vec=[0.5, 0.5])
    assert avg.estimate == pytest.approx(inp.betahat[5:].mean())
    with pytest.raises(ValueError):
        honest_did(betahat=inp.betahat, sigma=inp.sigma, num_pre=4, num_post=2)
    with pytest.raises(TypeError):
        honest_did()


def test_folded_normal_quantile():
    assert folded_normal_quantile(0.95, 0.0) == pytest.approx(1.959964, abs=1e-6)
    # for a large mean the quantile is mu + z_{0.95}
    assert folded_normal_quantile(0.95, 10.0) == pytest.approx(10 + 1.644854, abs=1e-5)


def test_pretrends_he_and_wang_matches_readme():
    gold = json.loads((DATA / "honestdid_pretrends_heandwang.json").read_text())
    beta, sigma, t = np.array(gold["beta"]), np.array(gold["sigma"]), gold["tVec"]
    slope = slope_for_power(sigma, t, 0.5, reference=-1)
    # R's uniroot stops at tol = eps^(1/4) = 1.2e-4 (its root has power 0.4999776, not 0.5)
    assert slope == pytest.approx(gold["slope50"], abs=1.2e-4)
    assert pretrend_power(sigma, t, slope=slope).power == pytest.approx(0.5, abs=1e-5)
    lin = pretrend_power(sigma, t, slope=gold["slope50"], betahat=beta, reference=-1)
    assert lin.power == pytest.approx(gold["linear_power"]["power"], abs=1e-4)
    # R's mvtnorm::pmvnorm is a randomised Genz integration with abseps = 1e-3 by default
    assert lin.bayes_factor == pytest.approx(gold["linear_power"]["bayes_factor"], abs=1e-3)
    assert lin.likelihood_ratio == pytest.approx(gold["linear_power"]["likelihood_ratio"],
                                                 rel=1e-5)
    quad = pretrend_power(sigma, t, deltatrue=gold["quadratic_coefficient"]
                          * (np.array(t) + 1.0) ** 2, betahat=beta)
    for k in ("power", "bayes_factor"):
        assert getattr(quad, k) == pytest.approx(gold["quadratic_power"][k], abs=1e-3)
    assert quad.likelihood_ratio == pytest.approx(gold["quadratic_power"]["likelihood_ratio"],
                                                  rel=1e-5)
    assert list(quad.to_frame().columns) == ["power", "bayes_factor", "likelihood_ratio"]
    assert slope_for_power(sigma, t, 0.8) > slope


def test_wald_pretest_power_closed_form_and_simulation():
    """The joint Wald pre-test: power at zero is its size, and the closed form (non-central
    chi-squared) agrees with a simulation from the pre-period coefficients' normal."""
    gold = json.loads((DATA / "honestdid_pretrends_heandwang.json").read_text())
    sigma, t = np.array(gold["sigma"]), gold["tVec"]
    assert pretrend_power(sigma, t, slope=0.0, test="wald").power == pytest.approx(0.05)
    s80 = slope_for_power(sigma, t, 0.8, test="wald")
    p = pretrend_power(sigma, t, slope=s80, test="wald").power
    assert p == pytest.approx(0.8, abs=1e-6)
    Sp = sigma[:3, :3]
    mean = s80 * (np.array(t[:3]) + 1.0)
    draws = np.random.default_rng(0).multivariate_normal(mean, Sp, size=200_000)
    w = np.einsum("ij,ij->i", draws, np.linalg.solve(Sp, draws.T).T)
    from scipy import stats
    assert np.mean(w > stats.chi2.ppf(0.95, 3)) == pytest.approx(0.8, abs=0.005)
    with pytest.raises(ValueError):
        pretrend_power(sigma, t, slope=0.1, test="other")  # type: ignore[arg-type]


def _simulated(n_pre: int, n_post: int) -> EventStudyInputs:
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    from smlib.causal.sunab import sun_abraham

    df, _ = simulate_panel(seed=3)
    r = sun_abraham(df, "revenue", "unit_id", "period", "adoption_period")
    return event_study_inputs(r, max_pre=n_pre, max_post=n_post)


def _sanity(inp: EventStudyInputs) -> None:
    """Robust sets widen with M / Mbar; at Mbar = 0 the C-LF set is the original interval up to
    the grid step and the hybrid's size split (kappa = alpha / 10)."""
    K, T = inp.num_pre, inp.num_post
    avg = np.full(T, 1 / T)
    se1 = float(np.sqrt(inp.sigma[K, K]))
    sd = honest_did(inp, "smoothness", [0.0, 0.1 * se1, se1], l_vec=avg)
    rm = honest_did(inp, "relative_magnitude", [0.0, 0.5, 1.0], l_vec=avg)
    for h in (sd, rm):
        w = (h.robust.ub - h.robust.lb).to_numpy()
        assert np.all(np.diff(w) >= -1e-9), h.robust
        assert isinstance(h, HonestResult)
    r0 = rm.robust.iloc[0]
    width = rm.ci_high - rm.ci_low
    assert abs(r0.lb - rm.ci_low) < 0.1 * width and abs(r0.ub - rm.ci_high) < 0.1 * width


def test_simulator_parallel_trends_sanity():
    """Parallel trends hold in smlib.simulate.simulate_panel: 4 pre and 4 post periods."""
    _sanity(_simulated(4, 4))


@pytest.mark.slow
def test_simulator_parallel_trends_sanity_12_by_12():
    """The same on a 12 x 12 event study (slow: relative magnitudes ~0.5 s per value)."""
    _sanity(_simulated(12, 12))


def test_plot_and_languages(medicaid):
    import matplotlib

    matplotlib.use("Agg")
    r, terms = medicaid
    h = honest_did(r, "smoothness", [0.0, 0.01, 0.02], terms=terms)
    ax = h.plot(language="es")
    assert "M:" in ax.get_xlabel()
    assert "Sensibilidad" in ax.get_title()
    assert "0.02" in h.summary() or "0.01" in h.summary()
    with pytest.raises(ValueError):
        honest_did(r, "other", terms=terms)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        event_study_inputs(object())
    assert rm_conditional_ci is not None


def test_event_study_with_details_vcov():
    """An aggregation-like result (event-study table + details["vcov"], as a dynamic
    aggregation carrying its influence-function covariance would) is read; the reference
    period -1 is left out and a varying base period is refused."""
    from types import SimpleNamespace

    e = np.arange(-4, 4)
    V = 0.01 * (np.eye(8) + 0.2)
    table = pd.DataFrame({"event_time": e, "estimate": np.r_[0.01, -0.02, 0.0, 0.0,
                                                             0.3, 0.35, 0.4, 0.5]})
    src = SimpleNamespace(table=table, details={"vcov": V, "base_period": "universal"})
    inp = event_study_inputs(src)
    assert (inp.num_pre, inp.num_post) == (3, 4) and -1 not in inp.event_times
    assert inp.sigma.shape == (7, 7)
    h = honest_did(src, "smoothness", [0.0, 0.05], l_vec=np.full(4, 0.25))
    assert h.robust.lb.iloc[1] < h.robust.lb.iloc[0]
    src.details["base_period"] = "varying"
    with pytest.raises(ValueError, match="universal"):
        event_study_inputs(src)



def test_staggered_did_dynamic_aggregation_feeds_honest_did():
    """Callaway & Sant'Anna's event study (universal base period) carries the covariance of its
    components, so the recommended estimator of report 02 can be put through HonestDiD."""
    from smlib.causal import staggered_did
    from smlib.simulate import simulate_panel

    units = simulate_panel(seed=3, n_units=120, n_periods=16)[0]
    es = staggered_did(units, base_period="universal").aggregate("dynamic", min_e=-3, max_e=3)
    V = np.asarray(es.details["vcov"])
    assert V.shape == (len(es.table), len(es.table))
    se = es.table["std_error"].to_numpy(float)
    ok = np.isfinite(se)  # the reference period (e = -1) has no standard error
    np.testing.assert_allclose(np.sqrt(np.diag(V))[ok], se[ok], rtol=1e-10)
    r = honest_did(es, "smoothness", [0.0, 1000.0])
    lo, hi = r.to_frame()["lb"].to_numpy(), r.to_frame()["ub"].to_numpy()
    assert np.all(np.isfinite(lo)) and np.all(lo < hi)
    assert hi[1] - lo[1] > hi[0] - lo[0]  # longer when larger violations are allowed


def test_fast_paths_are_exact():
    """The shortcuts of the C-LF test give what the plain computations give: the truncated-normal
    quantile (scipy), the dual polytope's vertices (LP), and the least-favourable quantile from
    only the draws that can reach it (every draw solved)."""
    from scipy import stats

    from smlib.causal import honest as H

    for p, lo, hi in [(0.955, -1.0, 3.0), (0.955, 2.0, 40.0), (0.5, -np.inf, -3.0),
                      (0.99, -0.5, np.inf), (0.955, 9.0, 9.5)]:
        assert H._trunc_norm_quantile(p, lo, hi) == pytest.approx(
            float(stats.truncnorm.ppf(p, lo, hi)), rel=1e-10, abs=1e-12)
    assert H._trunc_norm_quantile(0.9, 1.0, 1.0) == 1.0
    rng = np.random.default_rng(0)
    finite = 0
    for m, k in [(4, 1), (6, 2), (8, 3), (5, 1), (7, 2)]:
        W = np.hstack([rng.uniform(0.5, 2, (m, 1)), rng.normal(size=(m, k))])
        V = H._dual_vertices(W)
        assert V is not None and np.allclose(V @ W, np.eye(k + 1)[0])
        for c in (-2.0, 0.0, 3.0):
            sT, g = rng.normal(size=m), rng.uniform(0, 1, m)
            a = H._max_program(sT, g, np.eye(m), W, c)[0]  # NaN: the polytope is empty
            assert H._max_program(sT, g, np.eye(m), W, c, V)[0] == pytest.approx(
                a, abs=1e-9, nan_ok=True)
            finite += int(np.isfinite(a))
    assert finite >= 6
    X = rng.normal(size=(10, 3))
    S = np.eye(10) + 0.2
    xi = rng.multivariate_normal(np.zeros(10), S, size=400)
    sd = np.sqrt(np.diag(S))
    full, _ = H._eta_many(xi, X, sd)
    top, _ = H._eta_many(xi, X, sd, top=4)
    np.testing.assert_allclose(np.sort(top)[-4:], np.sort(full)[-4:], rtol=1e-9)
    assert np.all(top <= full + 1e-9)


def test_failed_lp_is_retried_then_does_not_reject(monkeypatch):
    """HiGHS sometimes stops without a status ("HiGHS Status 0"): the batch is retried with the
    other HiGHS algorithms and row by row; a row nothing solves gets NaN (not rejected)."""
    from smlib.causal import honest as H

    real = H._eta_lp_batch
    calls: list[str] = []

    def flaky(Y, X, sd, method):
        calls.append(method)
        return None if method == "highs" else real(Y, X, sd, method)

    rng = np.random.default_rng(1)
    X, sd, Y = rng.normal(size=(6, 2)), np.ones(6), rng.normal(size=(3, 6))
    expected, _ = H._eta_lps(Y, X, sd)
    monkeypatch.setattr(H, "_eta_lp_batch", flaky)
    eta, _ = H._eta_lps(Y, X, sd)
    np.testing.assert_allclose(eta, expected, atol=1e-9)
    assert calls[:2] == ["highs", "highs-ipm"]
    monkeypatch.setattr(H, "_eta_lp_batch", lambda *a: None)
    eta, lam = H._eta_lps(Y, X, sd)
    assert np.isnan(eta).all() and not lam.any()
    # the whole C-LF set then accepts every grid point rather than failing
    with pytest.warns(UserWarning, match="reaches the end of the grid"):
        lb, ub = H.rm_conditional_ci(np.r_[0.0, 0.0, 1.0, 1.0], np.eye(4) * 0.01, 2, 2, 0.5,
                                     grid_points=100)
    assert np.isfinite(lb) and np.isfinite(ub) and lb < ub


@pytest.mark.slow  # 50 simulated panels, Callaway & Sant'Anna + HonestDiD each (~30-60 s)
def test_honest_robust_interval_covers_the_simulators_truth_50_seeds():
    """Where parallel trends hold (the simulator), HonestDiD's robust interval under relative
    magnitudes at Mbar = 0 and 1, on report 02's event study (Callaway & Sant'Anna, universal base,
    average of the first 6 months), covers the true average effect in at least 90 % of 50 seeds
    (a robust set is at least as wide as the conventional interval: it should cover ~95 % or more)."""
    from smlib.causal import staggered_did
    from smlib.causal.honest import EventStudyInputs, event_study_inputs
    from smlib.simulate import simulate_panel

    hits = {0.0: [], 1.0: []}
    for seed in range(50):
        units, truth = simulate_panel(seed=seed)
        es = staggered_did(units, "revenue", "unit_id", "period", "adoption_period",
                           base_period="universal", n_boot=0).aggregate("dynamic", min_e=-7,
                                                                         max_e=5)
        inp = event_study_inputs(es)
        e = np.asarray(inp.event_times)
        # the true event-study average: each event time's ATT weighted by cohort size over the
        # cohorts observed at that event time (the dynamic aggregation's weights)
        gt = truth.att_gt[truth.att_gt["event_time"].between(0, 5)]
        by_e = gt.groupby("event_time").apply(
            lambda g: np.average(g["att"], weights=g["n_units"]), include_groups=False)
        true_avg = float(by_e.reindex(range(6)).mean())
        r = honest_did(EventStudyInputs(inp.betahat, inp.sigma, inp.num_pre, inp.num_post,
                                        tuple(int(x) for x in e)),
                       "relative_magnitude", m_values=[0.0, 1.0],
                       l_vec=np.full(inp.num_post, 1.0 / inp.num_post))
        for m, lb, ub in r.to_frame()[["Mbar", "lb", "ub"]].itertuples(index=False):
            hits[float(m)].append(lb <= true_avg <= ub)
    for m, h in hits.items():
        assert np.mean(h) >= 0.9, (m, np.mean(h))
