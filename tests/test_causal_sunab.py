"""Sun & Abraham (2021): closed form against the fixest regression, diff-diff, the simulator."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smlib.causal.sunab import SunAbrahamResult, sun_abraham

DATA = Path(__file__).parent / "data"


def _mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


def _dummy_regression(d: pd.DataFrame, y: str, unit: str, time_: str, cohort: str, controls: list):
    """fixest's sunab regression (cell dummies + unit and period effects), CR1 vcov with fixest's
    ssc."""
    d = d.sort_values([unit, time_]).reset_index(drop=True)
    years = sorted(d[time_].unique())
    cols, names = [], []
    for g in sorted(set(d[cohort].unique()) - set(controls) - {0}):
        for t in years:
            if t == g - 1:
                continue
            cols.append(((d[cohort] == g) & (d[time_] == t)).to_numpy(float))
            names.append((g, t - g))
    X = np.column_stack(cols)
    yv = d[y].to_numpy(float)
    # unit and period effects partialled out (Frisch-Waugh-Lovell; exact two-way demeaning on a
    # balanced panel), as fixest does; the residuals equal those of the dummy regression
    u = pd.factorize(d[unit])[0]
    t = pd.factorize(d[time_])[0]
    Z = np.column_stack([X, yv])
    for codes in (u, t):
        means = np.stack([np.bincount(codes, weights=Z[:, j]) for j in range(Z.shape[1])], axis=1)
        Z = Z - (means / np.bincount(codes)[:, None])[codes]
    Xd, yd = Z[:, :-1], Z[:, -1]
    b = np.linalg.lstsq(Xd, yd, rcond=None)[0]
    e = yd - Xd @ b
    XtXi = np.linalg.inv(Xd.T @ Xd)
    sc = np.zeros((u.max() + 1, Xd.shape[1]))
    np.add.at(sc, u, Xd * e[:, None])
    k = X.shape[1]
    G, N, K = u.max() + 1, len(yv), k + len(years)
    V = XtXi @ (sc.T @ sc) @ XtXi * G / (G - 1) * (N - 1) / (N - K)
    return b, V, names


def test_closed_form_equals_fixest_regression_mpdta():
    d = _mpdta()
    r = sun_abraham(d, "lemp", "countyreal", "year", "first.treat")
    b, V, names = _dummy_regression(d, "lemp", "countyreal", "year", "first.treat", [])
    ce = r.cohort_effects
    assert list(zip(ce.cohort, ce.event_time)) == names
    np.testing.assert_allclose(ce.estimate, b, atol=1e-11)
    np.testing.assert_allclose(r.vcov, V, atol=1e-12, rtol=1e-9)
    # aggregation: cohort-size weights (fixest agg)
    post = ce[ce.event_time >= 0]
    att = np.average(post.estimate, weights=post.weight)
    assert r.estimate == pytest.approx(att, abs=1e-12)


def test_last_treated_control_equals_regression():
    d = _mpdta()
    d = d[d["first.treat"] > 0]
    last = d["first.treat"].max()
    r = sun_abraham(d, "lemp", "countyreal", "year", "first.treat", control_group="last_treated")
    sub = d[d.year < last]
    b, V, names = _dummy_regression(sub, "lemp", "countyreal", "year", "first.treat", [last])
    np.testing.assert_allclose(r.cohort_effects.estimate, b, atol=1e-11)
    np.testing.assert_allclose(r.vcov, V, atol=1e-12, rtol=1e-9)
    with pytest.raises(ValueError, match="never-treated"):
        sun_abraham(d, "lemp", "countyreal", "year", "first.treat")


def test_cross_check_diff_diff_mpdta():
    dd = pytest.importorskip("diff_diff")
    d = _mpdta()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.SunAbraham(cluster="countyreal").fit(d, "lemp", "countyreal", "year",
                                                       "first.treat")
    r = sun_abraham(d, "lemp", "countyreal", "year", "first.treat")
    assert r.estimate == pytest.approx(ref.overall_att, abs=1e-10)
    # same fixest small-sample factor and fixed cohort shares: SEs agree to rounding
    assert r.std_error == pytest.approx(ref.overall_se, rel=1e-8)
    es = r.event_study.set_index("event_time")
    for e, v in ref.event_study_effects.items():
        assert es.loc[int(e), "estimate"] == pytest.approx(v["effect"], abs=1e-10)
        assert es.loc[int(e), "std_error"] == pytest.approx(v["se"], rel=1e-8)


def test_simulator_coverage_50_seeds():
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    hits, errs = [], []
    for seed in range(50):
        df, truth = simulate_panel(seed=seed)
        r = sun_abraham(df, "revenue", "unit_id", "period", "adoption_period")
        hits.append(r.ci_low <= truth.att <= r.ci_high)
        errs.append(r.estimate - truth.att)
    assert np.mean(hits) >= 0.9
    assert abs(np.mean(errs)) < 3 * np.std(errs) / np.sqrt(50)


def test_result_api_and_dates():
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    df, _ = simulate_panel(seed=2)
    r = sun_abraham(df, "revenue", "unit_id", "period", "adoption_period")
    assert isinstance(r, SunAbrahamResult)
    fr = r.to_frame()
    assert fr.term.iloc[0] == "ATT" and len(fr) == 1 + len(r.event_study)
    assert "-1" not in set(fr.term)
    assert "Sun & Abraham" in r.summary()
    assert isinstance(r.cohort_effects.cohort.iloc[0], pd.Timestamp)
    import matplotlib
    matplotlib.use("Agg")
    r.plot()


def test_plot_title_in_english_and_spanish():
    import matplotlib
    matplotlib.use("Agg")
    r = sun_abraham(_mpdta(), "lemp", "countyreal", "year", "first.treat")
    assert r.plot().get_title() == "Sun & Abraham (2021) event study"
    es = r.plot(language="es")
    assert es.get_title() == "Estudio de eventos de Sun y Abraham (2021)"
    assert es.get_xlabel() == "Periodos desde la integración"
    assert r.plot(title="mine", language="es").get_title() == "mine"


def _base_stagg() -> pd.DataFrame:
    return pd.read_csv(Path(__file__).parent / "data" / "base_stagg.csv")


def _golden_base_stagg() -> dict:
    return json.loads((Path(__file__).parent / "data" / "sunab_base_stagg_fixest.json").read_text())


def test_fixest_published_example_with_covariate():
    """fixest's own sunab() example (reference manual): y ~ x1 + sunab(year_treated, year) |
    id + year on base_stagg. Every printed number agrees to its printed precision (6 decimals for
    summary(agg = "ATT"), as etable prints them for the event study)."""
    g = _golden_base_stagg()["printed_with_x1"]
    r = sun_abraham(_base_stagg(), "y", "id", "year", "year_treated", covariates=["x1"])
    x1 = r.details["covariates"].set_index("term").loc["x1"]
    assert x1["estimate"] == pytest.approx(g["x1"]["estimate"], abs=5e-7)
    assert x1["std_error"] == pytest.approx(g["x1"]["std_error"], abs=5e-7)
    assert r.estimate == pytest.approx(g["ATT"]["estimate"], abs=5e-7)
    assert r.std_error == pytest.approx(g["ATT"]["std_error"], abs=5e-7)
    es = r.event_study.set_index("event_time")
    for e, printed in g["event_study_as_printed"].items():
        for col, value in zip(("estimate", "std_error"), printed):
            # within half a unit of the last printed digit (etable prints "-0.0790", "-5.188")
            half_unit = 0.5 * 10.0 ** -len(value.split(".")[1])
            assert abs(es.loc[int(e), col] - float(value)) <= half_unit, (e, col)


def test_fixest_published_example_without_covariate():
    """The package author's printed output (fixest issue #287): y ~ sunab(year_treated, year) |
    id + year on base_stagg, to the 6 printed decimals (the closed form, no covariates)."""
    g = _golden_base_stagg()["printed_without_x1"]
    es = sun_abraham(_base_stagg(), "y", "id", "year", "year_treated").event_study
    es = es.set_index("event_time")
    for e, (est, se) in g.items():
        assert es.loc[int(e), "estimate"] == pytest.approx(est, abs=5e-7), e
        assert es.loc[int(e), "std_error"] == pytest.approx(se, abs=5e-7), e


def test_covariate_path_equals_closed_form_without_covariates():
    """The regression used with covariates reduces to the closed form when the covariate is a
    constant within unit (absorbed by the unit effects): same cells, same clustered covariance."""
    df = _base_stagg()
    df["c"] = df["id"] * 0.5  # unit-constant: no information beyond the unit effect
    a = sun_abraham(df, "y", "id", "year", "year_treated")
    b = sun_abraham(df, "y", "id", "year", "year_treated", covariates=["c"])
    np.testing.assert_allclose(b.cohort_effects["estimate"], a.cohort_effects["estimate"],
                               atol=1e-9)
    # the small-sample factor counts the (absorbed) covariate, so SEs differ by that factor only
    k = a.details["n_cells"] + a.details["n_periods"]
    N = a.n_obs
    ratio = np.sqrt((N - k) / (N - k - 1))
    np.testing.assert_allclose(b.cohort_effects["std_error"],
                               a.cohort_effects["std_error"] * ratio, rtol=1e-8)
