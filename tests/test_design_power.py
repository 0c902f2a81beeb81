"""Power of a staggered rollout (smlib.design.power): the resampling simulation against an
independent brute-force simulation, the three-fit shortcut against fitting at every uplift, and the
textbook panel formula (Burlig, Preonas & Woerman 2020) against its closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib.causal.imputation import imputation_did
from smlib.design.power import (
    RolloutDesign, fit_effect, panel_formula_power, rollout_power, simulated_panel,
)

HISTORY = simulated_panel(n_units=30, n_months=24, seed=5, noise_sd=0.1, rho=0.5)
DESIGN = RolloutDesign(n_units=12, months_before=6, months_after=6, n_waves=2)
N_SIMS = 120


@pytest.fixture(scope="module")
def power():
    return rollout_power(HISTORY, DESIGN, n_sims=N_SIMS, seed=11)


def _brute_force_power(history: np.ndarray, uplift: float, n_sims: int, seed: int,
                       alpha: float = 0.05) -> float:
    """Independent simple simulation of the same design: draw 12 unit histories with
    replacement and one 12-month window, integrate the first 6 units from month 7, multiply their
    integrated months by 1 + uplift, fit imputation DiD on a long frame built here, count
    p < alpha."""
    rng = np.random.default_rng(seed)
    n_units, before, after = 12, 6, 6
    L = before + after
    hits = 0
    for _ in range(n_sims):
        rows = history[rng.choice(history.shape[0], size=n_units, replace=True)]
        start = rng.choice(history.shape[1] - L + 1)
        y = rows[:, start:start + L].copy()
        first_wave = np.arange(n_units) < n_units // 2
        y[np.ix_(first_wave, np.arange(before, L))] *= 1 + uplift
        df = pd.DataFrame({
            "unit_id": np.repeat([f"u{i}" for i in range(n_units)], L),
            "period": np.tile(np.arange(1, L + 1), n_units),
            "adoption_period": np.repeat(np.where(first_wave, before + 1, 0), L),
            "revenue": y.ravel()})
        res = imputation_did(df, horizons=False)
        hits += res.p_value < alpha
    return hits / n_sims


def test_power_at_ten_percent_agrees_with_a_brute_force_simulation(power):
    sim = power.power_at(0.10)
    brute = _brute_force_power(HISTORY, 0.10, N_SIMS, seed=99)
    se = np.sqrt(sim * (1 - sim) / N_SIMS + brute * (1 - brute) / N_SIMS)
    assert 0.2 < sim < 0.95  # a point where the curve is informative
    assert abs(sim - brute) <= 3 * se, (sim, brute, se)


def test_three_fits_give_the_exact_estimate_and_error_at_every_uplift(power):
    """Replay the first draws of rollout_power and fit at uplifts it never fitted."""
    rng = np.random.default_rng(11)
    mask = DESIGN.treated_mask()
    L = DESIGN.n_months
    for b in range(3):
        idx = rng.integers(0, HISTORY.shape[0], size=DESIGN.n_units)
        s = int(rng.integers(0, HISTORY.shape[1] - L + 1))
        y0 = HISTORY[idx, s:s + L]
        d = power.draws.iloc[b]
        for u in (0.03, 0.15, 0.4):
            est, se = fit_effect(y0 * (1 + u * mask), DESIGN)
            assert est == pytest.approx(d["estimate0"] + u * d["slope"], rel=1e-8, abs=1e-6)
            var = d["var_a"] + u * d["var_b"] + u ** 2 * d["var_c"]
            assert se == pytest.approx(np.sqrt(var), rel=1e-6)


def test_power_curve_rises_and_marks_the_mde(power):
    c = power.curve
    assert c["uplift"].iloc[0] == 0 and c["uplift"].max() >= 0.30
    assert power.power_at(0.0) < 0.2  # false alarms near alpha
    assert power.power_at(0.05) <= power.power_at(0.10) <= power.power_at(0.20)
    assert power.power_at(power.mde) >= 0.8 > power.power_at(power.mde - 0.002)
    assert np.allclose(c["mc_se"], np.sqrt(c["power"] * (1 - c["power"]) / N_SIMS))


def test_same_seed_same_power():
    a = rollout_power(HISTORY, DESIGN, n_sims=10, seed=3)
    b = rollout_power(HISTORY, DESIGN, n_sims=10, seed=3)
    pd.testing.assert_frame_equal(a.draws, b.draws)


def test_formula_mde_is_close_to_the_resampled_one_for_two_waves(power):
    f = panel_formula_power(HISTORY, 12, 6, 6, treated_share=0.5)
    # the formula uses t(J - 2) quantiles, the estimators normal ones: a little more conservative
    assert 0.8 * f.mde < power.mde < 1.3 * f.mde, (power.mde, f.mde)
    assert f.power_at(f.mde) == pytest.approx(0.8, abs=0.02)


def test_formula_reduces_to_its_closed_form_with_iid_noise():
    """Unit effects plus independent noise: every covariance is the unit effects' variance, which
    cancels, and the unit-level variance is sigma^2 (1/m + 1/r) (Frison & Pocock with no
    correlation of the noise)."""
    rng = np.random.default_rng(0)
    J, T, m, r, sd = 3000, 10, 4, 6, 2.0
    y = 100 + 10 * rng.standard_normal((J, 1)) + sd * rng.standard_normal((J, T))
    f = panel_formula_power(y, n_units=40, months_before=m, months_after=r, treated_share=0.25)
    expected = np.sqrt(sd ** 2 * (1 / m + 1 / r) / (0.25 * 0.75 * 40))
    assert f.std_error == pytest.approx(expected, rel=0.03)
    # the unit effect's variance sits in every covariance and cancels in the formula
    assert f.psi_across == pytest.approx(f.psi_before, rel=0.05)
    assert f.sigma2 - f.psi_across == pytest.approx(sd ** 2, rel=0.05)


@pytest.mark.parametrize("estimator", ["two_stage", "callaway_santanna"])
def test_other_estimators_run(estimator):
    r = rollout_power(HISTORY, DESIGN, estimator=estimator, n_sims=10, seed=1)
    assert 0 <= r.power_at(0.1) <= 1 and len(r.draws) == 10


def test_design_waves_and_errors():
    d = RolloutDesign(n_units=10, months_before=12, months_after=12, n_waves=3)
    assert d.wave_starts().tolist() == [12, 18, 24] and d.wave_sizes().tolist() == [4, 3, 3]
    assert d.treated_mask().sum() == 4 * 12 + 3 * 6
    with pytest.raises(ValueError, match="n_waves"):
        RolloutDesign(10, 12, 12, 1)
    with pytest.raises(ValueError, match="months_after"):
        RolloutDesign(10, 12, 1, 3)
    with pytest.raises(ValueError, match="history has 24 months"):
        rollout_power(HISTORY, RolloutDesign(12, 20, 6, 2), n_sims=10)
    with pytest.raises(ValueError, match="estimator"):
        rollout_power(HISTORY, DESIGN, estimator="ols", n_sims=10)


@pytest.mark.parametrize("language, label", [("en", "textbook formula (two groups)"),
                                             ("es", "fórmula de manual (dos grupos)")])
def test_power_plot_draws_the_curve_the_formula_and_the_marks(power, language, label):
    import matplotlib

    matplotlib.use("Agg")
    from smlib.design.plots import power_plot

    f = panel_formula_power(HISTORY, 12, 6, 6)
    ax = power_plot(power, f, language=language)
    assert label in [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(ax.lines) >= 2 + 3  # curve, formula, marks at 5, 10, 20 %
    matplotlib.pyplot.close(ax.figure)
