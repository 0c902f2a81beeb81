"""Robustness checks: placebo dates, placebo outcome, leave-one-cohort-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib.causal import leave_one_cohort_out, placebo_dates, placebo_outcome
from smlib.simulate import simulate_panel


def _panel(effect: float = 5.0, anticipation: float = 0.0, post_shock: float = 0.0,
           noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """12 units x 10 periods, cohorts at 5 and 7 (4 units each), 4 never-treated.

    y = unit level + 2 t (+ effect from adoption on, + post_shock as well, + anticipation in the
    period just before adoption) + noise.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(12):
        g = 5 if i < 4 else 7 if i < 8 else 0
        for t in range(1, 11):
            y = 10.0 * i + 2.0 * t + rng.normal(scale=noise)
            if g and t >= g:
                y += effect + post_shock
            if g and t == g - 1:
                y += anticipation
            rows.append(dict(unit_id=f"u{i:02d}", period=t, revenue=y, adoption_period=g or None,
                             placebo_y=3.0 * t + i + rng.normal(scale=0.1)))
    return pd.DataFrame(rows)


def test_placebo_dates_ignore_the_real_effect():
    # a huge real effect must not leak into the placebo window
    out = placebo_dates(_panel(effect=5.0, post_shock=1e6), shifts=(1, 2))
    assert list(out["shift"]) == [1, 2]
    assert np.allclose(out["estimate"], 0.0, atol=1e-8)
    assert {"estimate", "std_error", "ci_low", "ci_high", "p_value"} <= set(out.columns)


def test_placebo_dates_detect_anticipation():
    out = placebo_dates(_panel(anticipation=3.0, noise=0.01), shifts=(1,)).iloc[0]
    assert out["estimate"] == pytest.approx(3.0, abs=0.05)
    assert out["ci_low"] > 0
    tw = placebo_dates(_panel(anticipation=3.0, noise=0.01), shifts=(1,), estimator="twfe").iloc[0]
    assert tw["estimate"] > 1.0


def test_placebo_dates_on_simulator_cover_zero():
    units, _ = simulate_panel(seed=4)
    out = placebo_dates(units, shifts=(1, 3))
    assert (out["ci_low"] < 0).all() and (out["ci_high"] > 0).all()


def test_placebo_dates_drop_adopters_without_earlier_period():
    out = placebo_dates(_panel(), shifts=(4,))
    assert "4 adopter(s) without an earlier period dropped" in out["note"].iloc[0]


def test_placebo_outcome():
    out = placebo_outcome(_panel(noise=0.1), "placebo_y")
    assert out["label"].iloc[0] == "placebo_y"
    assert abs(out["estimate"].iloc[0]) < 0.2  # the placebo moves by 3 per period; no effect
    units, _ = simulate_panel(seed=4)
    sim = placebo_outcome(units, ["headcount"])
    assert abs(sim["estimate"].iloc[0]) < 3 * sim["std_error"].iloc[0]
    with pytest.raises(ValueError, match="constant within every unit"):
        placebo_outcome(units, "market_size")


def test_leave_one_cohort_out_constant_effect():
    out = leave_one_cohort_out(_panel(effect=5.0))
    assert list(out["label"]) == ["all cohorts", "without cohort 5", "without cohort 7"]
    assert np.allclose(out["estimate"], 5.0)
    assert (out["n_units"].iloc[1:] == 8).all()
    tw = leave_one_cohort_out(_panel(effect=5.0), estimator="twfe")
    assert np.allclose(tw["estimate"], 5.0)


def test_leave_one_cohort_out_date_labels():
    units, _ = simulate_panel(seed=4, n_units=30)
    out = leave_one_cohort_out(units)
    assert out["dropped_cohort"].iloc[1].count("-") == 2  # ISO dates
    assert len(out) == 1 + units["adoption_period"].dropna().nunique()


@pytest.mark.parametrize("call, match", [
    (lambda d: placebo_dates(d, shifts=(0,)), "positive integers"),
    (lambda d: placebo_dates(d, shifts=(9,)), "every adopter would be treated"),
    (lambda d: placebo_dates(d, estimator="magic"), "estimator must be"),
    (lambda d: placebo_dates(d.assign(adoption_period=None)), "no unit has"),
    (lambda d: leave_one_cohort_out(d.assign(revenue="x")), "must be numeric"),
    (lambda d: placebo_outcome(d, []), "at least one column"),
    (lambda d: placebo_outcome(d, "nope"), "not found"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(_panel())


@pytest.mark.slow  # 8 seeds of the three parts of benchmarks/coverage_causal.py (~12 s)
def test_coverage_study_small():
    import importlib.util

    from smlib import config

    spec = importlib.util.spec_from_file_location(
        "coverage_causal", config.PROJECT_ROOT / "benchmarks" / "coverage_causal.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    summary = mod.summarise(mod.run(seeds=8, accounts=False))
    s = summary["coverage"]
    for est in ("cs_nocov", "cs_reg_cov", "sc_first_cohort", "sc_largest_early_adopter"):
        assert s[est] >= 6 / 8, est
    assert s["naive_adopters_vs_never"] <= 1 / 8 and s["naive_before_vs_after"] <= 1 / 8
    # dr/ipw with market_size: judged against the ATT of the cells they could estimate (overlap)
    for est in ("cs_dr_cov", "cs_ipw_cov"):
        assert summary.loc[est, "coverage_estimable"] >= 6 / 8, est
    # TWFE: biased with ramping cohort-specific effects, fine with a constant effect
    assert s["twfe"] <= 2 / 8
    assert mod.summarise(mod.run_homogeneous(seeds=8))["coverage"]["twfe"] >= 6 / 8
    rejections = mod.summarise_pretrend(mod.run_pretrend(seeds=8))
    assert rejections.loc["parallel trends", "event_12"] <= 2 / 8
    assert rejections.loc["violated trend", "event_12"] >= 6 / 8
