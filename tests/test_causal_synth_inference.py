"""Honest permutation inference for synthetic control (ADH 2010/2015): the post/pre RMSPE ratio,
its permutation p-value and smallest attainable p-value, placebo exclusion by pre-period fit and
the fit check.

Golden reference: tests/data/synth_prop99_significance.json — tidysynth's ``grab_significance()``
on Proposition 99 (README of edunford/tidysynth): California ranks 1st of 39 units, Fisher exact
p-value 0.0256 (= 1/39, ADH 2010 section 3.3). tidysynth's own weights give California a pre-period
MSPE of 3.94 against 3.08 for the ADH / Stata weights that smlib reproduces, so the ratio itself
(tidysynth's MSPE ratio 99.0; ours 129) is not comparable to printed precision; rank, p-value
and the post-period MSPE are (the latter within 2 %).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from smlib import config
from smlib.causal.synth import (FIT_MAX_RMSPE_SHARE, fit_check, fit_note_text, permutation_test,
                                synthetic_control, synthetic_control_panel)
from smlib.simulate import simulate_panel

DATA = config.PROJECT_ROOT / "tests" / "data"
ADH_PREDICTORS = [("lnincome", range(1980, 1989)), ("retprice", range(1980, 1989)),
                  ("age15to24", range(1980, 1989)), ("beer", range(1984, 1989)),
                  ("cigsale", 1975), ("cigsale", 1980), ("cigsale", 1988)]


@pytest.fixture(scope="module")
def smoking() -> pd.DataFrame:
    return pd.read_csv(DATA / "smoking.csv")


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads((DATA / "synth_prop99_significance.json").read_text())


@pytest.fixture(scope="module")
def adh(smoking):  # ~4 s: 38 placebo refits of the nested V optimisation
    return synthetic_control(smoking, "cigsale", "state", "year", "California", 1989,
                             predictors=ADH_PREDICTORS)


@pytest.mark.slow  # the module's ADH fit with 38 placebo refits (4-11 s)
def test_prop99_significance_matches_tidysynth(adh, golden):
    ref = golden["treated"]
    tab = adh.placebo_table
    assert len(tab) == golden["n_units"] and not tab["excluded"].any()
    assert tab["unit"].iloc[0] == "California" and int(tab["rank"].iloc[0]) == ref["rank"]
    assert adh.p_value_permutation == pytest.approx(ref["fishers_exact_pvalue"], abs=5e-5)
    assert adh.p_value_permutation == pytest.approx(1 / 39)
    assert adh.min_p_value == pytest.approx(1 / 39)
    assert adh.p_value_permutation == adh.placebo_p_value  # same test, no placebo excluded
    assert tab["post_rmspe"].iloc[0] ** 2 == pytest.approx(ref["post_mspe"], rel=0.03)
    # the ratio is post/pre RMSPE (tidysynth's mspe_ratio is its square) of this fit
    assert adh.rmspe_ratio == pytest.approx(adh.post_rmspe / adh.pre_rmspe)
    assert adh.rmspe_ratio ** 2 > ref["mspe_ratio"]  # a better pre-fit (3.08 < 3.94) than tidysynth
    assert adh.fit_ok and adh.details["fit_reason"] == "ok"
    s = adh.summary()
    assert "post/pre RMSPE ratio is 11.35, rank 1 of 39 units" in s
    assert "permutation p-value is 0.026" in s and "no p-value below 0.026 exists" in s
    f = adh.to_frame()
    assert f.loc[0, "p_value_permutation"] == pytest.approx(1 / 39)
    assert {"rmspe_ratio", "min_p_value", "fit_ok", "fit_note", "placebo_cutoff"} <= set(f.columns)


@pytest.mark.slow  # the module's ADH fit with 38 placebo refits (4-11 s)
def test_prop99_california_first_after_excluding_poor_placebos(adh, golden):
    # ADH (2010) figs. 5-8: California stays the most extreme unit at every cutoff; with 2x the
    # Stata replication keeps 20 units (ours keeps 18: our placebo refits, a quicker V search,
    # fit two borderline states slightly worse) -> rank 1, p = 1 / units
    for k in (20, 5, 2):
        tab, ratio, p, min_p = permutation_test(adh.placebos, k)
        kept = int((~tab["excluded"]).sum())
        assert int(tab["rank"].iloc[0]) == 1 and p == pytest.approx(1 / kept) == min_p
        assert ratio == pytest.approx(adh.rmspe_ratio)
    assert golden["trimmed_2x"]["units"] - 3 <= kept <= golden["trimmed_2x"]["units"]


def test_placebo_cutoff_option(smoking):
    r = synthetic_control(smoking, "cigsale", "state", "year", "California", 1989,
                          placebo_cutoff=2)
    tab = r.placebo_table
    pre = tab["pre_rmspe"].to_numpy() ** 2
    assert (tab["excluded"].to_numpy()[1:] == (pre[1:] > 2 * pre[0])).all()
    kept = int((~tab["excluded"]).sum())
    assert r.min_p_value == pytest.approx(1 / kept)
    assert r.p_value_permutation == pytest.approx(int(tab["rank"].iloc[0]) / kept)
    assert r.placebo_p_value == pytest.approx(3 / 39)  # the existing p-value is unchanged
    assert "over 2 times the treated unit's left out" in r.summary()
    assert tab["rank"][tab["excluded"]].isna().all()
    with pytest.raises(ValueError, match="cutoff"):
        permutation_test(r.placebos, 0)


def test_permutation_test_hand():
    placebos = pd.DataFrame({"unit": ["T", "a", "b", "c"], "pre_mspe": [1.0, 4.0, 1.0, 25.0],
                             "post_mspe": [16.0, 4.0, 16.0, 100.0]})
    tab, ratio, p, min_p = permutation_test(placebos)
    assert tab["ratio"].tolist() == [4.0, 1.0, 4.0, 2.0]
    assert ratio == 4.0 and p == 0.5 and min_p == 0.25  # tie with b counts against T
    tab, _, p, min_p = permutation_test(placebos, cutoff=5)
    assert tab["excluded"].tolist() == [False, False, False, True] and min_p == pytest.approx(1 / 3)
    assert p == pytest.approx(2 / 3)


def test_fit_check_rules():
    rows = pd.DataFrame({"T": [5.0, 1.0, 2.0], "a": [0.0, 0.0, 0.0], "b": [1.0, 3.0, 3.0]})
    y = np.array([0.0, 2.0, 4.0, 6.0])  # sd 2.236
    ok, reason, m = fit_check(rows, "T", y, 0.5)
    assert ok and reason == "ok" and m["outside"] == 1 and m["rows"] == 3
    ok, reason, m = fit_check(rows, "T", y, 0.6 * np.std(y))
    assert not ok and reason == "rmspe" and m["rmspe_share"] == pytest.approx(0.6)
    assert 0.6 > FIT_MAX_RMSPE_SHARE
    out = rows.assign(T=[5.0, 4.0, 2.0])
    ok, reason, _ = fit_check(out, "T", y, 0.1)
    assert not ok and reason == "hull"
    ok, reason, _ = fit_check(out, "T", y, 2.0)
    assert not ok and reason == "rmspe_hull"
    ok, reason, _ = fit_check(rows, "T", y, 1e-9)
    assert ok and reason == "exact"
    details = dict(fit_reason="hull", fit_rmspe_share=0.1, fit_outside=2, fit_rows=3)
    assert "outside the donors' range on 2 of 3" in fit_note_text(details)
    assert "fuera del rango de los donantes en 2 de 3" in fit_note_text(details, "es")


def test_poor_fit_gives_no_p_value_or_interval(smoking):
    # a treated unit far above every donor: outside the convex hull, nothing can fit it
    d = smoking.copy()
    d.loc[d["state"] == "California", "cigsale"] += 200 + 3 * d["year"].sub(1970)
    r = synthetic_control(d, "cigsale", "state", "year", "California", 1989)
    assert not r.fit_ok and r.details["fit_reason"] == "rmspe_hull"
    assert np.isnan(r.p_value_permutation) and np.isfinite(r.rmspe_ratio)
    s = r.summary()
    assert "interval not available" in s and "placebo p not available" in s
    assert "no permutation p-value or interval is given" in s and "convex hull" in s
    assert "interval not available" not in synthetic_control(
        smoking, "cigsale", "state", "year", "California", 1989, placebo=False).summary()
    assert "sin placebos" in synthetic_control(
        smoking, "cigsale", "state", "year", "California", 1989,
        placebo=False).inference_sentence("es")


def test_exact_pre_fit_gives_no_ratio_p_value():
    # the first cohort's mean is fitted exactly (49 donors, 12 pre periods): the ratio is
    # unbounded and would rank first whatever the effect
    units, _ = simulate_panel(seed=11)
    r = synthetic_control_panel(units)
    assert r.fit_ok and r.details["fit_reason"] == "exact"
    assert np.isnan(r.p_value_permutation) and r.min_p_value == pytest.approx(1 / 50)
    assert "pre-period fit is exact" in r.summary() and "placebo p not available" in r.summary()
    assert "49 donors for 12 pre-periods" in r.fit_note


def _null_panel(seed: int, n_donors: int, T0: int, T: int) -> pd.DataFrame:
    """Exchangeable units from a two-factor model with no effect; unit 0 is 'treated' at T0."""
    rng = np.random.default_rng(seed)
    n = n_donors + 1
    f = np.cumsum(rng.normal(size=(T, 2)), axis=0)
    load = rng.uniform(0.5, 1.5, size=(n, 2))
    Y = 10 + f @ load.T + rng.normal(scale=0.5, size=(T, n))
    return pd.DataFrame({"unit": np.tile(np.arange(n), T), "time": np.repeat(np.arange(T), n),
                         "y": Y.ravel()})


def _rejection_rate(n_donors: int, T0: int, T: int, reps: int) -> tuple[float, list]:
    results = [synthetic_control(_null_panel(s, n_donors, T0, T), "y", "unit", "time", 0, T0,
                                 ci_method="placebo") for s in range(reps)]
    p = np.array([r.p_value_permutation for r in results])
    return float(np.mean(p <= 0.05)), results  # NaN (not available) is not a rejection


def test_few_donors_cannot_reject_and_says_so():
    # 9 donors, 8 pre periods, no effect: no p-value below 1/10 exists, so the 5 % test never
    # rejects, and the result states it instead of implying a 5 % test
    rate, results = _rejection_rate(9, 8, 12, 100)
    assert rate == 0.0
    assert all(r.min_p_value == pytest.approx(0.1) for r in results)
    shown = [r for r in results if np.isfinite(r.p_value_permutation)]
    assert len(shown) >= 80  # the fit check withholds a few poorly fitted draws
    assert min(r.p_value_permutation for r in shown) == pytest.approx(0.1)
    assert all("significance at the 5 % level is impossible" in r.summary() for r in shown)


@pytest.mark.slow  # 200 Monte Carlo fits with 39 placebo refits each (6-13 s)
def test_many_donors_rejects_at_about_the_level():
    # 39 donors (40 units): P(p <= 0.05) = 2/40 = 0.05 exactly under exchangeability
    rate, results = _rejection_rate(39, 20, 30, 200)
    assert 0.02 <= rate <= 0.10
    assert all("impossible" not in r.inference_sentence() for r in results)
