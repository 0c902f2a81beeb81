"""Synthetic DiD: golden values of R synthdid on California Prop 99, diff-diff, the simulator."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smlib.causal.sdid import SyntheticDiDResult, synthetic_did

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return pd.read_csv(DATA / "california_prop99.csv", sep=";")


@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads((DATA / "sdid_california_synthdid.json").read_text())["printed"]


def test_prop99_matches_synthdid(prop99, gold):
    r = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989,
                      se_method="none")
    assert r.estimate == pytest.approx(gold["sdid"], abs=5e-6)
    w = r.unit_weights
    for state, v in gold["controls"].items():
        assert w[state] == pytest.approx(v, abs=5e-4)
    lam = r.time_weights
    assert set(lam.index[lam > 0]) == {int(k) for k in gold["periods"]}
    for year, v in gold["periods"].items():
        assert lam[int(year)] == pytest.approx(v, abs=5e-4)
    assert r.n0_effective == pytest.approx(gold["N0_effective"], abs=5e-4)
    assert r.t0_effective == pytest.approx(gold["T0_effective"], abs=5e-4)
    assert r.effect_curve.mean() == pytest.approx(r.estimate, abs=1e-9)


@pytest.mark.parametrize("estimator", ["sc", "did"])
def test_prop99_sc_and_did_match_synthdid(prop99, gold, estimator):
    r = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989,
                      estimator=estimator, se_method="none")
    assert r.estimate == pytest.approx(gold[estimator], abs=5e-6)


def test_prop99_placebo_se(prop99, gold):
    r = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989, random_state=0)
    se_r = (gold["placebo_ci_95"][1] - gold["placebo_ci_95"][0]) / 3.92
    # a different random stream: the same order of magnitude, not the same number
    assert 0.7 * se_r < r.std_error < 1.5 * se_r
    assert len(r.placebo_estimates) == 200
    assert "Synthetic DiD" in r.summary()
    assert {"estimate", "std_error", "n0_effective"} <= set(r.to_frame().columns)
    import matplotlib
    matplotlib.use("Agg")
    r.plot()


def test_cross_check_diff_diff(prop99):
    dd = pytest.importorskip("diff_diff")
    d = prop99.assign(treated=(prop99.State == "California").astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.SyntheticDiD(variance_method="placebo", n_bootstrap=200, seed=0).fit(
            d, "PacksPerCapita", "treated", "State", "Year", post_periods=list(range(1989, 2001)))
    r = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989, random_state=0)
    assert r.estimate == pytest.approx(ref.att, abs=1e-8)
    # same placebo draws (numpy default_rng(0).permutation) and the same re-fitted weights
    assert r.std_error == pytest.approx(ref.se, rel=1e-8)


def test_several_treated_units_and_dates():
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    df, truth = simulate_panel(seed=5)
    first = df.groupby("unit_id").adoption_period.first()
    g = first.dropna().value_counts().index[0]
    keep = first.index[first.isna() | (first == g)]
    d = df[df.unit_id.isin(keep)]
    treated = first.index[first == g].tolist()
    r = synthetic_did(d, "revenue", "unit_id", "period", treated, g, n_placebo=50)
    assert isinstance(r, SyntheticDiDResult)
    assert r.details["n_treated"] == len(treated) > 1
    cells = truth.att_gt[(truth.att_gt.cohort == g)]
    true_att = np.average(cells.att, weights=cells.n_units) if len(cells) else truth.att
    assert abs(r.estimate - true_att) < 4 * r.std_error
    assert r.unit_weights.sum() == pytest.approx(1.0)
    assert isinstance(r.time_weights.index, pd.DatetimeIndex)


def test_input_errors(prop99):
    with pytest.raises(ValueError, match="not found"):
        synthetic_did(prop99, "PacksPerCapita", "State", "Year", "Atlantis", 1989)
    with pytest.raises(ValueError, match="pre-periods"):
        synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1970)
    with pytest.raises(ValueError, match="unbalanced"):
        synthetic_did(prop99.iloc[1:], "PacksPerCapita", "State", "Year", "California", 1989)


@pytest.mark.slow
def test_simulator_coverage_50_seeds():
    """One adoption cohort against the never-treated units: 96 % coverage (bias -116, SD 2,617)."""
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    hits, errs = [], []
    for seed in range(50):
        df, truth = simulate_panel(seed=seed)
        first = df.groupby("unit_id").adoption_period.first()
        g = first.dropna().value_counts().index[0]
        d = df[df.unit_id.isin(first.index[first.isna() | (first == g)])]
        r = synthetic_did(d, "revenue", "unit_id", "period", first.index[first == g].tolist(), g,
                          n_placebo=100, random_state=seed)
        cells = truth.att_gt[truth.att_gt.cohort == g]
        true_att = np.average(cells.att, weights=cells.n_units)
        hits.append(r.ci_low <= true_att <= r.ci_high)
        errs.append(r.estimate - true_att)
    assert np.mean(hits) >= 0.9
    assert abs(np.mean(errs)) < 3 * np.std(errs) / np.sqrt(50)


def test_plot_texts_in_english_and_spanish(prop99):
    import matplotlib
    matplotlib.use("Agg")
    r = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989,
                      se_method="none")
    ax = r.plot()
    assert ax.get_title() == f"Synthetic DiD: effect {r.estimate:,.4g}"
    assert ax.get_legend_handles_labels()[1] == ["treated", "synthetic control (shifted)"]
    es = r.plot(language="es")
    assert es.get_title().startswith("DiD sintético: efecto ")
    assert "," in es.get_title() and "." not in es.get_title().split("efecto ")[1]
    assert es.get_legend_handles_labels()[1] == ["tratadas", "control sintético (desplazado)"]


# ---------------------------------------------------------------------------------------------
# staggered adoption: synthetic_did_staggered
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def staggered_panel():
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    return simulate_panel(seed=5)


def test_staggered_equals_per_cohort_synthetic_did(staggered_panel):
    from smlib.causal.sdid import synthetic_did_staggered
    df, _ = staggered_panel
    r = synthetic_did_staggered(df, "revenue", "unit_id", "period", "adoption_period",
                                n_placebo=20, random_state=3)
    first = df.groupby("unit_id").adoption_period.first()
    cohorts = sorted(first.dropna().unique())
    assert list(r.cohorts["cohort"]) == cohorts
    T = df.period.nunique()
    est, wts, draws = [], [], []
    for j, g in enumerate(cohorts):
        treated = sorted(first.index[first == g])
        d = df[df.unit_id.isin(first.index[first.isna() | (first == g)])]
        by_hand = synthetic_did(d, "revenue", "unit_id", "period", treated, g, n_placebo=20,
                                random_state=3 + j)
        row = r.cohorts.iloc[j]
        assert row["estimate"] == pytest.approx(by_hand.estimate, abs=1e-9)
        assert row["std_error"] == pytest.approx(by_hand.std_error, rel=1e-9)
        est.append(by_hand.estimate)
        wts.append(len(treated) * (T - (d.period < g).groupby(d.unit_id).sum().iloc[0]))
        draws.append(by_hand.placebo_estimates)
    w = np.array(wts, dtype=float) / sum(wts)
    assert r.cohorts["weight"].to_numpy() == pytest.approx(w)
    assert r.estimate == pytest.approx(float(np.dot(w, est)), abs=1e-9)
    pooled = np.column_stack(draws) @ w
    assert r.std_error == pytest.approx(np.sqrt(19 / 20) * np.std(pooled, ddof=1), rel=1e-9)


def test_staggered_covers_the_true_att(staggered_panel):
    from smlib.causal import synthetic_did_staggered
    from smlib.causal._panel import PanelSpec
    df, truth = staggered_panel
    spec = PanelSpec(outcome="revenue", unit="unit_id", time="period", cohort="adoption_period")
    r = synthetic_did_staggered(df, panel=spec, n_placebo=100)
    # truth.att: mean effect over every treated post-adoption unit-period = the pooled estimand
    assert r.ci_low <= truth.att <= r.ci_high
    assert abs(r.estimate / truth.att - 1) < 0.05
    assert r.details["n_cohorts"] == 4 and r.details["n_controls"] == 18
    frame = r.to_frame()
    assert frame["cohort"].iloc[0] == "overall" and len(frame) == 5
    assert "by adoption cohort" in r.summary()
    assert len(r.placebo_estimates) == 100


def test_staggered_plot_and_errors(staggered_panel):
    import matplotlib
    matplotlib.use("Agg")
    from smlib.causal.sdid import synthetic_did_staggered
    df, _ = staggered_panel
    r = synthetic_did_staggered(df, "revenue", "unit_id", "period", "adoption_period",
                                se_method="none")
    assert np.isnan(r.std_error) and len(r.cohort_results) == 4
    ax = r.plot()
    assert ax.get_title().startswith("Synthetic DiD by adoption cohort: pooled effect ")
    es = r.plot(language="es")
    assert es.get_title().startswith("DiD sintético por cohorte de adopción")
    first = df.groupby("unit_id").adoption_period.first()
    treated_only = df[df.unit_id.isin(first.dropna().index)]
    with pytest.raises(ValueError, match="never-treated"):
        synthetic_did_staggered(treated_only, "revenue", "unit_id", "period", "adoption_period")
    few = df[df.unit_id.isin(list(first.index[first.isna()][:9]) + list(first.dropna().index))]
    with pytest.raises(ValueError, match="placebo standard error needs"):
        synthetic_did_staggered(few, "revenue", "unit_id", "period", "adoption_period")


@pytest.mark.slow
def test_staggered_simulator_coverage_50_seeds():
    """Pooled SDID by cohort against truth.att, 50 simulated panels: 98 % coverage (bias -44,
    SD 1,630, mean placebo SE 2,256: conservative)."""
    from smlib.causal.sdid import synthetic_did_staggered
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    hits, errs = [], []
    for seed in range(50):
        df, truth = simulate_panel(seed=seed)
        r = synthetic_did_staggered(df, "revenue", "unit_id", "period", "adoption_period",
                                    n_placebo=100, random_state=seed)
        hits.append(r.ci_low <= truth.att <= r.ci_high)
        errs.append(r.estimate - truth.att)
    assert np.mean(hits) >= 0.9
    assert abs(np.mean(errs)) < 3 * np.std(errs) / np.sqrt(50)


def test_placebo_draws_in_two_threads_match_one(prop99, monkeypatch):
    import smlib.causal.sdid as sdid_module
    monkeypatch.setattr(sdid_module, "_THREAD_MIN", 0)  # thread even this small problem
    one = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989,
                        n_placebo=40, n_jobs=1)
    two = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989,
                        n_placebo=40, n_jobs=2)
    assert two.placebo_estimates == pytest.approx(one.placebo_estimates, rel=1e-9, abs=1e-9)
    assert two.std_error == pytest.approx(one.std_error, rel=1e-9)
    with pytest.raises(ValueError, match="n_jobs"):
        synthetic_did(prop99, "PacksPerCapita", "State", "Year", "California", 1989, n_jobs=0)


def _r_sc_weight_fw(A, b, zeta, x, min_decrease, max_iter):
    """Literal transcription of R synthdid's ``fw.step`` / ``sc.weight.fw`` (no intercept: A, b
    given already centred)."""
    N = A.shape[0]
    eta = N * zeta ** 2
    vals = []
    t = 0
    while t < max_iter and (t < 2 or vals[t - 2] - vals[t - 1] > min_decrease ** 2):
        t += 1
        Ax = A @ x
        half_grad = (Ax - b) @ A + eta * x
        i = int(np.argmin(half_grad))
        d_x = -x.copy()
        d_x[i] = 1 - x[i]
        if np.any(d_x != 0):
            d_err = A[:, i] - Ax
            step = -(half_grad @ d_x) / (d_err @ d_err + eta * (d_x @ d_x))
            x = x + min(1.0, max(0.0, step)) * d_x
        err = A @ x - b
        vals.append(zeta ** 2 * (x @ x) + (err @ err) / N)
    return x


def test_compiled_frank_wolfe_matches_r_transcription():
    import smlib.causal.sdid as sdid_module
    rng = np.random.default_rng(3)
    A = rng.normal(size=(12, 30)).cumsum(axis=0)
    b = A[:, :5].mean(axis=1) + rng.normal(scale=0.1, size=12)
    A, b = A - A.mean(axis=0), b - b.mean()
    zeta, md = 0.3, 1e-5
    for steps in (1, 2, 50, 10_000):
        ref = _r_sc_weight_fw(A, b, zeta, np.full(30, 1 / 30), md, steps)
        got = sdid_module._fw_solve((A.T @ A)[None], (A.T @ b)[None], np.array([b @ b]),
                                    np.full((1, 30), 1 / 30), np.ones((1, 30), bool), 12, zeta, md,
                                    steps)
        assert got[0] == pytest.approx(ref, abs=1e-12)
    # a masked problem equals the problem on its own columns, and two problems solve side by side
    sel = np.sort(rng.choice(30, 20, replace=False))
    mask = np.zeros((2, 30), bool)
    mask[0, sel] = True
    mask[1] = True
    x0 = np.where(mask, 1.0, 0.0) / mask.sum(axis=1, keepdims=True)
    G, c = A.T @ A, A.T @ b
    got = sdid_module._fw_solve(G[None], np.vstack([c, c]), np.array([b @ b] * 2), x0, mask, 12,
                                zeta, md, 10_000)
    assert np.all(got[0][~mask[0]] == 0)
    assert got[0][sel] == pytest.approx(_r_sc_weight_fw(A[:, sel], b, zeta, x0[0, sel], md,
                                                        10_000), abs=1e-12)
    assert got[1] == pytest.approx(_r_sc_weight_fw(A, b, zeta, x0[1], md, 10_000), abs=1e-12)
