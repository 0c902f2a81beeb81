"""Tests of smlib.causal.staggered (Callaway & Sant'Anna 2021 staggered DiD).

Golden values, with their sources and tolerances:

* R ``did`` README (github.com/bcallaway11/did, ``att_gt(yname="lemp", tname="year",
  idname="countyreal", gname="first.treat", xformla=~1, data=mpdta, est_method="reg")`` and its
  ``aggte(type="dynamic"/"group")``): point estimates printed with 4 decimals -> compared to within
  half a unit of the last printed digit (5e-5; 5e-4 for the group overall printed as -0.031). The
  printed standard errors there come from the multiplier bootstrap (did's default) and are random,
  so they are not compared; the pre-test p-value 0.16812 (printed with 5 decimals) is compared to
  5e-6.
* ``tests/data/did_mpdta_csdid.json``: full-precision reference values from the ``csdid`` Python
  port of R did (analytic SEs, ``bstrap=False``) for every combination of comparison group,
  method, covariates (~1, ~lpop) and base period. Tolerances are the ones the project requires:
  point estimates 1e-6 absolute, standard errors 1e-4 relative (measured agreement is ~1e-12).
* Simulated panels with a known ATT(g, t) (additive unit and period effects, cohort- and
  event-time-specific effects): noise-free designs must be recovered exactly; noisy designs are
  checked for unbiasedness and interval coverage over Monte Carlo replications.
* A 4-unit example computed by hand.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only; never in notebooks

import numpy as np
import pandas as pd
import pytest

from smlib.causal import event_study_plot, staggered_did
from smlib.causal._panel import integer_periods
from smlib.causal.staggered import AggregateResult, StaggeredResult

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


def simulate(n_per_cohort: int = 60, T: int = 6, cohorts: tuple[int, ...] = (3, 4, 5), n_never: int = 60,
             sigma: float = 1.0, seed: int = 0, covariate_trend: float = 0.0, anticipation_effect: float = 0.0,
             pre_trend: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Panel with known ATT(g, t).

    ``Y_it = a_i + l_t + x_i * covariate_trend * t + tau(g, t) + e_it`` with
    ``tau(g, t) = (1 + 0.5 * (t - g)) * (1 + 0.2 * g)`` for ``t >= g`` (dynamic, cohort-specific),
    ``anticipation_effect`` in period ``g - 1`` and an extra linear trend ``pre_trend * t`` for the
    first cohort (violates parallel trends). Treated cohorts have larger ``x`` on average, so with
    ``covariate_trend != 0`` parallel trends hold only conditional on ``x``. Returns the long panel
    and the true ATT(g, t) table (group, time, att) for t >= g.
    """
    rng = np.random.default_rng(seed)
    g = np.concatenate([np.repeat(cohorts, n_per_cohort), np.zeros(n_never, dtype=int)])
    n = len(g)
    x = rng.normal(loc=np.where(g > 0, 0.7, 0.0), scale=1.0)
    a = rng.normal(size=n) + 2 * (g > 0)
    lam = np.cumsum(rng.normal(size=T + 1))
    rows = []
    for t in range(1, T + 1):
        tau = np.where((g > 0) & (t >= g), (1 + 0.5 * (t - g)) * (1 + 0.2 * g), 0.0)
        tau = tau + np.where((g > 0) & (t == g - 1), anticipation_effect, 0.0)
        y = (a + lam[t] + x * covariate_trend * t + tau + pre_trend * t * (g == cohorts[0])
             + sigma * rng.normal(size=n))
        rows.append(pd.DataFrame({"unit": np.arange(n), "t": t, "y": y, "x": x, "cohort": g}))
    df = pd.concat(rows, ignore_index=True)
    truth = pd.DataFrame([(gg, t, (1 + 0.5 * (t - gg)) * (1 + 0.2 * gg))
                          for gg in cohorts for t in range(gg, T + 1)], columns=["group", "time", "att"])
    return df, truth


def _post(res: StaggeredResult) -> pd.DataFrame:
    return res.att_gt[res.att_gt["post"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# published R output and csdid cross-check on mpdta
# ------------------------------------------------------------------------------------------------

README_ATT = [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412,
              0.0305, -0.0027, -0.0311, -0.0261]
README_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}


def test_reproduces_did_readme(mpdta: pd.DataFrame) -> None:
    res = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", method="reg")
    assert list(res.att_gt["group"]) == [2004] * 4 + [2006] * 4 + [2007] * 4
    assert list(res.att_gt["time"]) == [2004, 2005, 2006, 2007] * 3
    np.testing.assert_allclose(res.att_gt["att"], README_ATT, atol=5e-5 + 1e-12)
    # the analytic SE of ATT(2004, 2004) printed with bstrap=FALSE is 0.0233
    assert res.att_gt["std_error"].iloc[0] == pytest.approx(0.0233, abs=5e-5)
    assert res.pretrend["p_value"] == pytest.approx(0.16812, abs=5e-6)
    assert res.pretrend["df"] == 5
    dyn = res.aggregate("dynamic")
    np.testing.assert_allclose(dyn.table["estimate"], list(README_DYNAMIC.values()), atol=5e-5 + 1e-12)
    assert list(dyn.table["event_time"]) == list(README_DYNAMIC)
    assert dyn.estimate == pytest.approx(-0.0772, abs=5e-5)
    grp = res.aggregate("group")
    np.testing.assert_allclose(grp.table["estimate"], [-0.0797, -0.0229, -0.0261], atol=5e-5 + 1e-12)
    assert grp.estimate == pytest.approx(-0.031, abs=5e-4)
    # headline: simple aggregation, -0.0400 (analytic SE 0.0120)
    assert res.estimate == pytest.approx(-0.0400, abs=5e-5)
    assert res.std_error == pytest.approx(0.0120, abs=5e-5)


def _golden() -> dict:
    return json.loads((DATA / "did_mpdta_csdid.json").read_text())["results"]


def _arr(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("key", sorted(_golden()))
def test_matches_csdid_reference(mpdta: pd.DataFrame, key: str) -> None:
    ref = _golden()[key]
    cg, method, xf, base = key.split("|")
    res = staggered_did(
        mpdta, "lemp", "countyreal", "year", "first.treat",
        covariates=["lpop"] if xf == "lpop" else None,
        control_group={"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}[cg],
        method=method, base_period=base, n_boot=0)
    g = res.att_gt
    assert list(g["group"]) == ref["att_gt"]["group"]
    assert list(g["time"]) == ref["att_gt"]["time"]
    np.testing.assert_allclose(g["att"], ref["att_gt"]["att"], rtol=0, atol=1e-6)
    rse = _arr(ref["att_gt"]["se"])
    ok = np.isfinite(rse) & (rse > 1e-12)
    np.testing.assert_allclose(g["std_error"][ok], rse[ok], rtol=1e-4)
    assert res.pretrend["p_value"] == pytest.approx(ref["wald_p"], abs=6e-6)  # csdid rounds to 5 decimals
    for typ in ("simple", "dynamic", "group", "calendar"):
        agg = res.aggregate(typ)
        assert agg.estimate == pytest.approx(ref[typ]["overall_att"], abs=1e-6)
        assert agg.std_error == pytest.approx(ref[typ]["overall_se"], rel=1e-4)
        if "att_egt" in ref[typ]:
            np.testing.assert_allclose(agg.table["estimate"], ref[typ]["att_egt"], atol=1e-6)
            rs = _arr(ref[typ]["se_egt"])
            ok = np.isfinite(rs) & (rs > 1e-12)
            np.testing.assert_allclose(agg.table["std_error"][ok], rs[ok], rtol=1e-4)


def test_without_covariates_the_three_methods_coincide(mpdta: pd.DataFrame) -> None:
    est = [staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", method=m, n_boot=0).att_gt
           for m in ("dr", "ipw", "reg")]
    for other in est[1:]:
        np.testing.assert_allclose(other["att"], est[0]["att"], atol=1e-12)
        np.testing.assert_allclose(other["std_error"], est[0]["std_error"], rtol=1e-10)


# ------------------------------------------------------------------------------------------------
# hand-computed case
# ------------------------------------------------------------------------------------------------

def test_hand_computed_two_by_two() -> None:
    # treated changes 1 and 3 (mean 2), comparison changes 0 and 2 (mean 1): ATT = 1.
    # psi_i = D (dY - 2) / 0.5 - (1 - D) (dY - 1) / 0.5 = (-2, 2, 2, -2); SE = sqrt(16) / 4 = 1.
    df = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3, 4, 4], "t": [1, 2] * 4,
                       "y": [5, 6, 5, 8, 4, 4, 4, 6], "g": [2, 2, 2, 2, 0, 0, 0, 0]})
    for method in ("dr", "ipw", "reg"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # small-cohort warning
            res = staggered_did(df, "y", "u", "t", "g", method=method, n_boot=0)
        assert res.att_gt["att"].tolist() == [pytest.approx(1.0, abs=1e-12)]
        assert res.att_gt["std_error"].iloc[0] == pytest.approx(1.0, abs=1e-12)
        assert res.estimate == pytest.approx(1.0) and res.std_error == pytest.approx(1.0)
        assert res.ci_low == pytest.approx(1 - 1.959963984540054) and res.n_obs == 8


# ------------------------------------------------------------------------------------------------
# known truth by simulation
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_noise_free_panel_is_recovered_exactly(control_group: str, base_period: str) -> None:
    df, truth = simulate(sigma=0.0)
    for method in ("dr", "ipw", "reg"):
        res = staggered_did(df, "y", "unit", "t", "cohort", control_group=control_group, method=method,
                            base_period=base_period, n_boot=0)
        post = _post(res)
        assert post[["group", "time"]].values.tolist() == truth[["group", "time"]].values.tolist()
        np.testing.assert_allclose(post["att"], truth["att"], atol=1e-9)
        pre = res.att_gt[~res.att_gt["post"]]
        np.testing.assert_allclose(pre["att"], 0.0, atol=1e-9)
        # aggregations equal the cohort-size weighted truth
        sizes = df.drop_duplicates("unit").query("cohort > 0")["cohort"].value_counts()
        tr = truth.assign(w=truth["group"].map(sizes), e=truth["time"] - truth["group"])
        simple = (tr["att"] * tr["w"]).sum() / tr["w"].sum()
        assert res.estimate == pytest.approx(simple, abs=1e-9)
        dyn = res.aggregate("dynamic").table.set_index("event_time")["estimate"]
        want = tr.groupby("e").apply(lambda d: (d["att"] * d["w"]).sum() / d["w"].sum(), include_groups=False)
        np.testing.assert_allclose(dyn.loc[want.index], want, atol=1e-9)
        grp = res.aggregate("group").table.set_index("group")["estimate"]
        np.testing.assert_allclose(grp, tr.groupby("group")["att"].mean(), atol=1e-9)


def test_covariates_needed_when_trends_depend_on_them() -> None:
    df, truth = simulate(sigma=0.0, covariate_trend=0.8)
    for method in ("dr", "reg"):  # correct linear outcome model: exact
        res = staggered_did(df, "y", "unit", "t", "cohort", covariates=["x"], method=method, n_boot=0)
        np.testing.assert_allclose(_post(res)["att"], truth["att"], atol=1e-8)
    naive = staggered_did(df, "y", "unit", "t", "cohort", n_boot=0)
    assert np.abs(_post(naive)["att"] - truth["att"]).max() > 0.3  # unconditional PT fails
    noisy, _ = simulate(sigma=0.3, covariate_trend=0.8, seed=21)
    assert staggered_did(noisy, "y", "unit", "t", "cohort", n_boot=0).pretrend["p_value"] < 1e-6
    adjusted = staggered_did(noisy, "y", "unit", "t", "cohort", covariates=["x"], n_boot=0)
    assert adjusted.pretrend["p_value"] > 0.001


def test_anticipation_shifts_the_base_period() -> None:
    df, truth = simulate(sigma=0.0, anticipation_effect=-0.7)
    res = staggered_did(df, "y", "unit", "t", "cohort", anticipation=1, n_boot=0)
    np.testing.assert_allclose(_post(res)["att"], truth["att"], atol=1e-9)
    ignored = staggered_did(df, "y", "unit", "t", "cohort", anticipation=0, n_boot=0)
    np.testing.assert_allclose(_post(ignored)["att"], truth["att"] + 0.7, atol=1e-9)  # overstated


def test_unbiased_with_nominal_coverage_in_monte_carlo() -> None:
    reps, hits, hits_band, estimates, rejections = 150, 0, 0, [], 0
    for r in range(reps):
        df, truth = simulate(n_per_cohort=40, n_never=60, sigma=1.0, seed=1000 + r)
        res = staggered_did(df, "y", "unit", "t", "cohort", method="dr", n_boot=200, random_state=r)
        tr_simple = _true_simple(df, truth)
        estimates.append(res.estimate - tr_simple)
        hits += res.ci_low <= tr_simple <= res.ci_high
        post = _post(res)
        hits_band += bool(((post["band_low"] <= truth["att"]) & (truth["att"] <= post["band_high"])).all())
        rejections += res.pretrend["p_value"] < 0.05
    err = np.array(estimates)
    assert abs(err.mean()) < 3 * err.std() / np.sqrt(reps)  # unbiased
    assert 0.89 <= hits / reps <= 0.99  # 95% pointwise interval
    assert 0.88 <= hits_band / reps <= 1.0  # 95% simultaneous band over all post cells
    assert rejections / reps <= 0.12  # pre-test size near 5%


def _true_simple(df: pd.DataFrame, truth: pd.DataFrame) -> float:
    sizes = df.drop_duplicates("unit").query("cohort > 0")["cohort"].value_counts()
    w = truth["group"].map(sizes)
    return float((truth["att"] * w).sum() / w.sum())


def test_pretrend_test_detects_violation_and_bands_are_wider() -> None:
    df, _ = simulate(n_per_cohort=80, sigma=0.5, pre_trend=1.0, seed=3)
    res = staggered_did(df, "y", "unit", "t", "cohort", n_boot=500)
    assert res.pretrend["p_value"] < 1e-4
    ok = res.att_gt["std_error"].notna()
    width_band = (res.att_gt["band_high"] - res.att_gt["band_low"])[ok]
    width_ci = (res.att_gt["ci_high"] - res.att_gt["ci_low"])[ok]
    assert (width_band > width_ci).all() and res.crit_value > 1.96
    again = staggered_did(df, "y", "unit", "t", "cohort", n_boot=500)
    assert again.crit_value == res.crit_value  # seeded
    other = staggered_did(df, "y", "unit", "t", "cohort", n_boot=500, random_state=99)
    np.testing.assert_allclose(other.att_gt["att"], res.att_gt["att"])  # seed only moves bands


def test_dates_and_integers_give_the_same_numbers() -> None:
    df, _ = simulate(sigma=1.0, seed=5)
    months = pd.date_range("2023-01-01", periods=6, freq="MS")
    dated = df.assign(period=months[df["t"] - 1],
                      adoption=pd.Series(months[df["cohort"].clip(lower=1) - 1]).where(df["cohort"] > 0).values)
    a = staggered_did(df, "y", "unit", "t", "cohort", n_boot=100)
    b = staggered_did(dated, "y", "unit", "period", "adoption", n_boot=100)
    np.testing.assert_allclose(a.att_gt["att"], b.att_gt["att"], atol=1e-12)
    np.testing.assert_allclose(a.att_gt["std_error"], b.att_gt["std_error"], rtol=1e-12)
    assert b.att_gt["group"].iloc[0] == months[2] and b.details["period_unit"] == "months"
    assert b.aggregate("calendar").table["time"].iloc[0] == months[2]
    # helper: integer cohorts from the units-table convention (adoption date or empty)
    ip = integer_periods(dated, time="period", adoption="adoption")
    assert (ip["t"] == df["t"]).all() and (ip["cohort"] == df["cohort"]).all()


def test_universal_base_has_zero_reference_cell() -> None:
    df, _ = simulate(seed=7)
    v = staggered_did(df, "y", "unit", "t", "cohort", base_period="varying", n_boot=0)
    u = staggered_did(df, "y", "unit", "t", "cohort", base_period="universal", n_boot=0)
    ref = u.att_gt[u.att_gt["event_time"] == -1]
    assert (ref["att"] == 0).all() and ref["std_error"].isna().all()
    np.testing.assert_allclose(_post(u)["att"], _post(v)["att"], atol=1e-12)
    dyn = u.aggregate("dynamic").table.set_index("event_time")
    assert dyn.loc[-1, "estimate"] == 0 and np.isnan(dyn.loc[-1, "std_error"])


def test_result_objects_and_plot() -> None:
    df, _ = simulate(seed=11)
    res = staggered_did(df, "y", "unit", "t", "cohort", n_boot=200)
    row = res.to_frame()
    assert len(row) == 1 and {"estimate", "std_error", "ci_low", "ci_high", "control_group"} <= set(row.columns)
    text = res.summary()
    assert "Pre-trend Wald test" in text and "ATT" in text
    for typ in ("dynamic", "group", "calendar"):
        agg = res.aggregate(typ)
        assert isinstance(agg, AggregateResult)
        tidy = agg.to_frame()
        assert tidy["label"].iloc[0] == "overall" and len(tidy) == len(agg.table) + 1
        assert (agg.table["band_high"] - agg.table["band_low"] >= agg.table["ci_high"] - agg.table["ci_low"] - 1e-12).all()
    ax = res.plot()
    assert "Event study" in ax.get_title() and "relative to adoption" in ax.get_xlabel()
    assert ax.get_ylabel().startswith("Effect on y")
    ax2 = event_study_plot(res, min_e=-2, max_e=2)
    xs = np.concatenate([line.get_xdata() for line in ax2.lines if len(line.get_xdata()) > 0])
    assert set(np.round(xs).astype(int)) >= {-2, -1, 0, 1, 2}
    import matplotlib.pyplot as plt
    plt.close("all")
    with pytest.raises(ValueError, match="StaggeredResult"):
        event_study_plot(res.aggregate("dynamic"))


def test_simulator_panel_truth_within_interval() -> None:
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    units, truth = simulate_panel(seed=4, n_units=80, n_periods=36)
    res = staggered_did(units, "revenue", "unit_id", "period", "adoption_period", n_boot=0)
    # truth.att averages Y1 - Y0 over all treated post unit-periods (unit weights); the simple
    # aggregate weights cells by cohort size: both estimate the same kind of average effect
    assert abs(res.estimate - truth.att) < 4 * res.std_error


# ------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------

def test_unbalanced_panel_error_or_drop() -> None:
    df, _ = simulate(seed=2)
    holes = df.drop(index=[0, 7]).reset_index(drop=True)
    with pytest.raises(ValueError, match="unbalanced panel: 2 of"):
        staggered_did(holes, "y", "unit", "t", "cohort")
    nan_y = df.copy()
    nan_y.loc[3, "y"] = np.nan
    with pytest.raises(ValueError, match="unbalanced panel: 1 of"):
        staggered_did(nan_y, "y", "unit", "t", "cohort")
    with pytest.warns(UserWarning, match="these units are dropped"):
        res = staggered_did(holes, "y", "unit", "t", "cohort", unbalanced="drop", n_boot=0)
    assert res.details["n_units"] == df["unit"].nunique() - 2
    assert len(res.details["dropped_units"]) == 2


def test_treated_before_first_period_dropped_with_warning() -> None:
    df, _ = simulate(seed=2)
    early = df.assign(cohort=np.where(df["unit"] < 5, -3, df["cohort"]))  # adopted before period 1
    first = df.assign(cohort=np.where(df["unit"] < 5, 1, df["cohort"]))  # adopted in period 1
    base = staggered_did(df[df["unit"] >= 5], "y", "unit", "t", "cohort", n_boot=0)
    for data in (early, first):
        with pytest.warns(UserWarning, match="5 units were treated at or before the first period"):
            res = staggered_did(data, "y", "unit", "t", "cohort", n_boot=0)
        np.testing.assert_allclose(res.att_gt["att"], base.att_gt["att"])
    only_early = df.assign(cohort=np.where(df["cohort"] > 0, 1, 0))
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="no treated cohort"):
        staggered_did(only_early, "y", "unit", "t", "cohort")


def test_every_unit_treated() -> None:
    df, _ = simulate(seed=2, n_never=0)
    with pytest.raises(ValueError, match="no never-treated comparison group"):
        staggered_did(df, "y", "unit", "t", "cohort")
    with pytest.warns(UserWarning, match="last cohort"):
        res = staggered_did(df, "y", "unit", "t", "cohort", control_group="not_yet_treated", n_boot=0)
    assert set(res.att_gt["group"]) == {3, 4} and res.att_gt["time"].max() == 4
    assert res.att_gt["att"].notna().all()


def test_no_treated_units() -> None:
    df, _ = simulate(seed=2)
    with pytest.raises(ValueError, match="no treated cohort"):
        staggered_did(df.assign(cohort=0), "y", "unit", "t", "cohort")


def test_cells_without_comparison_units_are_nan() -> None:
    df, _ = simulate(seed=2, n_never=0, cohorts=(3, 5))
    # not-yet-treated: in periods 5 and 6 nobody is untreated -> cohort 3's last cells are NaN
    df = df.assign(cohort=np.where(df["unit"] >= 60, 99, df["cohort"]))  # 99: after the window
    res = staggered_did(df, "y", "unit", "t", "cohort", control_group="not_yet_treated", n_boot=0)
    assert res.details["cohort_sizes"]["never"] == 60  # adopting after the window = never treated
    df2, _ = simulate(seed=2, n_never=0, cohorts=(3, 4, 6))
    with pytest.warns(UserWarning):
        res2 = staggered_did(df2, "y", "unit", "t", "cohort", control_group="not_yet_treated", n_boot=0)
    assert res2.att_gt["time"].max() == 5


def test_input_validation_messages() -> None:
    df, _ = simulate(seed=2)
    with pytest.raises(ValueError, match="outcome column 'nope' not found"):
        staggered_did(df, "nope", "unit", "t", "cohort")
    text = df.assign(y=df["y"].astype(str).where(df.index != 4, "n/a"))
    with pytest.raises(ValueError, match="outcome column 'y' must be numeric"):
        staggered_did(text, "y", "unit", "t", "cohort")
    with pytest.raises(ValueError, match="covariate 'c' is constant"):
        staggered_did(df.assign(c=1.0), "y", "unit", "t", "cohort", covariates=["c"])
    with pytest.raises(ValueError, match="varies within units"):
        staggered_did(df.assign(cohort=np.where(df.index == 0, 4, df["cohort"])), "y", "unit", "t", "cohort")
    with pytest.raises(ValueError, match="not observed periods"):
        staggered_did(df.assign(cohort=np.where(df["cohort"] == 3, 3.5, df["cohort"])), "y", "unit", "t", "cohort")
    with pytest.raises(ValueError, match="duplicate"):
        staggered_did(pd.concat([df, df.iloc[:1]]), "y", "unit", "t", "cohort")
    with pytest.raises(ValueError, match="control_group"):
        staggered_did(df, "y", "unit", "t", "cohort", control_group="never")
    with pytest.raises(ValueError, match="method"):
        staggered_did(df, "y", "unit", "t", "cohort", method="ols")
    with pytest.raises(ValueError, match="anticipation"):
        staggered_did(df, "y", "unit", "t", "cohort", anticipation=-1)
    with pytest.raises(ValueError, match="pandas DataFrame"):
        staggered_did(df.to_dict(), "y", "unit", "t", "cohort")
    with pytest.raises(ValueError, match="type must be"):
        staggered_did(df, "y", "unit", "t", "cohort", n_boot=0).aggregate("weekly")


def test_missing_cohort_means_never_treated() -> None:
    df, _ = simulate(seed=9)
    nan_coded = df.assign(cohort=df["cohort"].replace(0, np.nan))
    a = staggered_did(df, "y", "unit", "t", "cohort", n_boot=0)
    b = staggered_did(nan_coded, "y", "unit", "t", "cohort", n_boot=0)
    np.testing.assert_allclose(a.att_gt["att"], b.att_gt["att"])


def test_tiny_and_removed_cohorts() -> None:
    df, truth = simulate(sigma=0.0, seed=13)
    # a cohort reduced to one unit still gives exact estimates (with a small-cohort warning)
    one = df[(df["cohort"] != 4) | (df["unit"] == df.loc[df["cohort"] == 4, "unit"].min())]
    with pytest.warns(UserWarning, match="small cohorts"):
        res = staggered_did(one, "y", "unit", "t", "cohort", n_boot=0)
    np.testing.assert_allclose(_post(res)["att"], truth["att"], atol=1e-9)
    assert res.details["cohort_sizes"]["4"] == 1
    # removing a cohort entirely (as leave-one-cohort-out does) leaves the others unchanged
    without = staggered_did(df[df["cohort"] != 4], "y", "unit", "t", "cohort", n_boot=0)
    assert 4 not in set(without.att_gt["group"])
    np.testing.assert_allclose(_post(without)["att"], truth[truth["group"] != 4]["att"], atol=1e-9)


def test_max_e_limits_aggregations() -> None:
    df, truth = simulate(sigma=0.0, seed=14)
    res = staggered_did(df, "y", "unit", "t", "cohort", n_boot=0)
    dyn = res.aggregate("dynamic", min_e=-1, max_e=1)
    assert dyn.table["event_time"].tolist() == [-1, 0, 1]
    simple = res.aggregate("simple", max_e=0)
    sizes = df.drop_duplicates("unit").query("cohort > 0")["cohort"].value_counts()
    on_impact = truth[truth["time"] == truth["group"]]
    w = on_impact["group"].map(sizes)
    assert simple.estimate == pytest.approx(float((on_impact["att"] * w).sum() / w.sum()), abs=1e-9)


# ------------------------------------------------------------------------------------------------
# propensity trimming and overlap (csdid reference on a panel built to trigger both)
# ------------------------------------------------------------------------------------------------

def _trim_panel() -> tuple[pd.DataFrame, dict]:
    ref = json.loads((DATA / "drdid_trim_csdid.json").read_text())["results"]
    return pd.read_csv(DATA / "drdid_trim_panel.csv"), ref


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_drdid_trimming_and_did_overlap_guard_match_csdid(method: str) -> None:
    # cohort 3: one comparison unit has a propensity score of 0.9963, which DRDID drops
    # (trim.level 0.995) -- before that rule was implemented, dr/ipw were off by up to 11 here;
    # cohort 4 lies beyond every comparison unit (score >= 0.999): did leaves its cells NA
    df, ref = _trim_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = staggered_did(df, "y", "id", "t", "g", covariates=["x"], method=method, n_boot=0)
    r = ref[method]
    assert list(res.att_gt["group"]) == r["group"] and list(res.att_gt["time"]) == r["time"]
    att, se = _arr(r["att"]), _arr(r["se"])
    np.testing.assert_array_equal(res.att_gt["att"].isna(), np.isnan(att))
    ok = np.isfinite(att)
    np.testing.assert_allclose(res.att_gt["att"][ok], att[ok], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.att_gt["std_error"][ok], se[ok], rtol=1e-4)
    assert res.estimate == pytest.approx(r["simple_na_rm"]["overall_att"], abs=1e-6)
    assert res.std_error == pytest.approx(r["simple_na_rm"]["overall_se"], rel=1e-4)


def test_overlap_diagnostics_warnings_and_headline_estimand() -> None:
    df, _ = _trim_panel()
    with pytest.warns(UserWarning) as caught:
        res = staggered_did(df, "y", "id", "t", "g", covariates=["x"], method="dr", n_boot=0)
    text = [str(w.message) for w in caught]
    assert any(t.startswith("cohort 4 (8 units): ATT(g,t) could not be estimated for 3 of its 3 cells")
               and "overlap violated" in t for t in text)
    assert any(t.startswith("weak overlap for cohort 3 (30 units)") and "0.9963" in t
               and "1 dropped at 0.995" in t for t in text)
    assert any("leaves out 1 post-treatment ATT(g,t) cell of cohort 4" in t for t in text)
    ov = res.overlap.set_index(["group", "time"])
    c3 = ov.loc[3]
    assert (c3["n_trimmed"] == 1).all() and (c3["n_comparison"] == 50).all()
    assert ((c3["max_ps_comparison"] >= 0.995) & (c3["max_ps_comparison"] < 0.999)).all()
    assert (c3["ess_comparison"] < 50).all() and (c3["problem"] == "").all()
    assert (ov.loc[4, "max_ps_treated"] >= 0.999).all() and ov.loc[4, "problem"].str.startswith("overlap").all()
    # the headline is the ATT of cohort 3 only, and says so
    assert res.estimand.endswith("without 1 post-treatment ATT(g,t) cell of cohort 4 (not estimable)")
    assert set(res.details["excluded_cells"]["group"]) == {4}
    assert res.estimate == pytest.approx(res.aggregate("simple", na_rm=True).estimate)
    with pytest.raises(ValueError, match="na_rm=True"):
        res.aggregate("simple")
    # method="reg" needs no propensity score: every cell is estimated, no warning about overlap
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = staggered_did(df, "y", "id", "t", "g", covariates=["x"], method="reg", n_boot=0)
    assert reg.att_gt["att"].notna().all() and reg.estimand.startswith("ATT (simple")
    assert reg.overlap["max_ps_treated"].isna().all()


# ------------------------------------------------------------------------------------------------
# event-study pre-trend test (usable when R did's all-cells test is singular)
# ------------------------------------------------------------------------------------------------

def test_pretrend_test_is_the_wald_test_of_the_dynamic_pre_effects(mpdta: pd.DataFrame) -> None:
    res = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", method="reg", n_boot=0)
    pt = res.pretrend_test(window=3)
    dyn = res.aggregate("dynamic").table.set_index("event_time")
    assert pt.event_times == (-3, -2, -1) and pt.df == 3 and pt.df_denom == 500 - 3
    np.testing.assert_allclose(pt.estimates, [README_DYNAMIC[e] for e in (-3, -2, -1)], atol=5e-5 + 1e-12)
    np.testing.assert_allclose(pt.std_errors, dyn.loc[[-3, -2, -1], "std_error"], rtol=1e-12)
    # one event time: W is the squared t-statistic of theta(-1)
    one = res.pretrend_test(window=1)
    t = dyn.loc[-1, "estimate"] / dyn.loc[-1, "std_error"]
    assert one.stat == pytest.approx(t ** 2, rel=1e-10)
    from scipy import stats as st
    assert one.p_value_chi2 == pytest.approx(2 * st.norm.sf(abs(t)), rel=1e-10)
    assert one.p_value == pytest.approx(st.f.sf(t ** 2 * 499 / 500, 1, 499), rel=1e-10)
    # asking for more pre-periods than exist tests those that exist, and says so
    many = res.pretrend_test(window=12)
    assert many.event_times == (-3, -2, -1) and "only 3" in many.note
    assert many.stat == pytest.approx(pt.stat)
    assert "p =" in many.summary() and "p = " in many.plain()
    assert list(many.to_frame()["event_time"]) == [-3, -2, -1]
    with pytest.raises(ValueError, match="window"):
        res.pretrend_test(window=0)


def test_pretrend_test_works_where_the_all_cells_test_is_singular() -> None:
    # 24 units, 12 periods, cohorts 8/9/10: 3 x 8 = 24 pre-treatment cells for 24 units
    df, _ = simulate(n_per_cohort=6, n_never=6, T=12, cohorts=(8, 9, 10), seed=31)
    res = staggered_did(df, "y", "unit", "t", "cohort", n_boot=0)
    assert np.isnan(res.pretrend["p_value"]) and "singular" in res.pretrend["note"]
    pt = res.pretrend_test(window=6)
    assert pt.event_times == (-6, -5, -4, -3, -2, -1) and 0 <= pt.p_value <= 1
    universal = staggered_did(df, "y", "unit", "t", "cohort", base_period="universal", n_boot=0)
    u = universal.pretrend_test(window=6)
    assert -1 not in u.event_times and np.isfinite(u.p_value)  # the reference cell is skipped


def test_pretrend_test_size_and_power() -> None:
    # parallel trends hold: a 5 % test should reject rarely; the first cohort drifting by 1 per
    # period (noise s.d. 1) violates them: it should reject almost always (40 small panels, ~2 s)
    null, alt = [], []
    for seed in range(40):
        df, _ = simulate(n_per_cohort=30, n_never=30, T=9, cohorts=(6, 7, 8), sigma=1.0, seed=500 + seed)
        null.append(staggered_did(df, "y", "unit", "t", "cohort", n_boot=0).pretrend_test(5).p_value)
        bad, _ = simulate(n_per_cohort=30, n_never=30, T=9, cohorts=(6, 7, 8), sigma=1.0,
                          pre_trend=1.0, seed=500 + seed)
        alt.append(staggered_did(bad, "y", "unit", "t", "cohort", n_boot=0).pretrend_test(5).p_value)
    assert np.mean(np.array(null) < 0.05) <= 0.125  # 5 % nominal; P(>= 6 of 40 | 5 %) < 0.05
    assert np.mean(np.array(alt) < 0.05) >= 0.9


def test_pretrend_sentence_and_event_study_in_spanish() -> None:
    import matplotlib.pyplot as plt

    from smlib.causal.staggered import PretrendTest

    df, _ = simulate(n_per_cohort=80, sigma=0.5, pre_trend=1.0, seed=3)
    res = staggered_did(df, "y", "unit", "t", "cohort", n_boot=0)
    pt = res.pretrend_test(window=2)
    es = pt.plain(language="es")
    assert es.startswith(f"Comprobación de las tendencias antes de la integración (los {pt.df} "
                         "periodos anteriores): p = ")
    assert ("Por debajo de 0,05" in es) == (pt.p_value < 0.05)
    assert pt.plain() == pt.plain(language="en") and pt.plain().startswith("Check of trends")
    few = PretrendTest(np.nan, 12, np.nan, (), (), (), 12, "months",
                       "12 units are too few to test 12 event times jointly")
    assert few.plain(language="es") == (
        "La comprobación de las tendencias antes de la integración no se pudo hacer (12 unidades "
        "son demasiado pocas para contrastar 12 momentos a la vez).")
    with pytest.raises(ValueError, match="language"):
        pt.plain(language="fr")
    ax = res.plot(language="es")
    assert ax.get_title().startswith("Estudio de eventos: efecto sobre")
    assert ax.get_xlabel().startswith("Periodos respecto a la integración")
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "antes de la integración" in legend and "adoption" not in legend and "CI" not in legend
    assert event_study_plot(res).get_title().startswith("Event study")
    plt.close("all")
