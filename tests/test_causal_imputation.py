"""Imputation DiD (BJS 2024) and two-stage DiD (Gardner): R did2s golden, diff-diff, simulator."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smlib.causal.imputation import ImputationResult, imputation_did, two_stage_did

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def df_het() -> pd.DataFrame:
    return pd.read_csv(DATA / "df_het.csv")


def test_two_stage_matches_r_did2s(df_het):
    gold = json.loads((DATA / "did2s_df_het.json").read_text())["printed"]
    r = two_stage_did(df_het, "dep_var", "unit", "year", "g", horizons=False, fe="state",
                      cluster="state")
    assert r.estimate == pytest.approx(gold["estimate"], rel=1e-10)
    assert r.std_error == pytest.approx(gold["std_error"], rel=1e-9)
    assert r.n_clusters == 40


def test_point_estimates_coincide(df_het):
    a = imputation_did(df_het, "dep_var", "unit", "year", "g")
    b = two_stage_did(df_het, "dep_var", "unit", "year", "g")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    np.testing.assert_allclose(a.event_study.estimate, b.event_study.estimate, atol=1e-12)
    # the overall ATT is the treated-observation-weighted mean of the horizons
    es = a.event_study
    assert np.average(es.estimate, weights=es.n_obs) == pytest.approx(a.estimate, abs=1e-12)
    # and equals the mean of tau over treated observations
    assert a.tau.tau.mean() == pytest.approx(a.estimate, abs=1e-12)


def test_cross_check_diff_diff(df_het):
    dd = pytest.importorskip("diff_diff")
    r = imputation_did(df_het, "dep_var", "unit", "year", "g", horizons=range(0, 11))
    g = two_stage_did(df_het, "dep_var", "unit", "year", "g", horizons=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.ImputationDiD(cluster="unit").fit(df_het, "dep_var", "unit", "year", "g",
                                                    aggregate="event_study")
        ref2 = dd.TwoStageDiD(cluster="unit").fit(df_het, "dep_var", "unit", "year", "g")
    assert r.estimate == pytest.approx(ref.overall_att, abs=1e-8)
    assert r.std_error == pytest.approx(ref.overall_se, rel=1e-8)
    es = r.event_study.set_index("event_time")
    for e in range(0, 11):
        v = ref.event_study_effects[e]
        assert es.loc[e, "estimate"] == pytest.approx(v["effect"], abs=1e-8)
        assert es.loc[e, "std_error"] == pytest.approx(v["se"], rel=1e-8)
    assert g.estimate == pytest.approx(ref2.overall_att, abs=1e-8)
    assert g.std_error == pytest.approx(ref2.overall_se, rel=1e-8)


def _assert_matches_diff_diff_mpdta(r: ImputationResult, d: pd.DataFrame, atol: float) -> None:
    """``r`` (imputation_did on mpdta ``d``) equals diff-diff's ImputationDiD: the ATT and every
    horizon to ``atol``, their standard errors to 1e-8 (relative)."""
    dd = pytest.importorskip("diff_diff")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.ImputationDiD(cluster="countyreal").fit(d, "lemp", "countyreal", "year",
                                                          "first.treat", aggregate="event_study")
    assert r.estimate == pytest.approx(ref.overall_att, abs=atol)
    assert r.std_error == pytest.approx(ref.overall_se, rel=1e-8)
    for e, row in r.event_study.set_index("event_time").iterrows():
        assert row.estimate == pytest.approx(ref.event_study_effects[e]["effect"], abs=atol)
        assert row.std_error == pytest.approx(ref.event_study_effects[e]["se"], rel=1e-8)


def test_cross_check_diff_diff_mpdta():
    pytest.importorskip("diff_diff")
    d = pd.read_csv(DATA / "mpdta.csv")
    r = imputation_did(d, "lemp", "countyreal", "year", "first.treat")
    _assert_matches_diff_diff_mpdta(r, d, atol=1e-10)


def test_simulator_coverage_50_seeds():
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    cov = {"imputation": [], "two_stage": []}
    errs = []
    for seed in range(50):
        df, truth = simulate_panel(seed=seed)
        for name, f in (("imputation", imputation_did), ("two_stage", two_stage_did)):
            r = f(df, "revenue", "unit_id", "period", "adoption_period", horizons=False)
            cov[name].append(r.ci_low <= truth.att <= r.ci_high)
        errs.append(r.estimate - truth.att)
    assert np.mean(cov["imputation"]) >= 0.9 and np.mean(cov["two_stage"]) >= 0.9
    assert abs(np.mean(errs)) < 3 * np.std(errs) / np.sqrt(50)


def test_api_dates_and_errors():
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    df, _ = simulate_panel(seed=2)
    r = imputation_did(df, "revenue", "unit_id", "period", "adoption_period", horizons=[0, 1, 2])
    assert isinstance(r, ImputationResult)
    fr = r.to_frame()
    assert list(fr.term) == ["ATT", "0", "1", "2"]
    assert "Imputation DiD" in r.summary()
    import matplotlib
    matplotlib.use("Agg")
    r.plot()
    with pytest.raises(ValueError, match="no treated observations at horizons"):
        imputation_did(df, "revenue", "unit_id", "period", "adoption_period", horizons=[500])
    with pytest.raises(ValueError, match="no treated observations"):
        imputation_did(df.assign(adoption_period=pd.NaT), "revenue", "unit_id", "period",
                       "adoption_period")
    # units treated from the first period are dropped with a warning
    first = df.period.min()
    df2 = df.copy()
    df2.loc[df2.unit_id == df2.unit_id.iloc[0], "adoption_period"] = first
    with pytest.warns(UserWarning, match="treated in or before the first period"):
        imputation_did(df2, "revenue", "unit_id", "period", "adoption_period", horizons=False)


def test_unbalanced_panel_cross_check_diff_diff():
    pytest.importorskip("diff_diff")
    d = pd.read_csv(DATA / "mpdta.csv")
    # some 2004 adopters lose their only untreated year
    d = d.drop(d.sample(frac=0.1, random_state=1).index)
    with pytest.warns(UserWarning, match="cannot be imputed"):
        r = imputation_did(d, "lemp", "countyreal", "year", "first.treat")
    _assert_matches_diff_diff_mpdta(r, d, atol=1e-9)
