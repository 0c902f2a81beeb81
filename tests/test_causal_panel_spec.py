"""A panel described once (smlib.causal._panel.PanelSpec) gives the same estimates as the column
keywords it replaces, for every estimator that reads a unit panel; and the claim check of
smlib.causal.claims is a pure code/number comparison."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from smlib.causal import (PanelSpec, check_claim, leave_one_cohort_out, naive_comparisons,
                          placebo_dates, placebo_outcome, staggered_did, synthetic_control,
                          synthetic_control_panel, treated_mean, twfe_did)
from smlib.causal._panel import integer_periods, panel_spec
from smlib.causal.plots import outcome_name
from smlib.simulate import simulate_panel

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def renamed() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same panel with the contract's column names and with other names."""
    units, _ = simulate_panel(seed=3, n_units=20, n_periods=18)
    other = units.rename(columns={"unit_id": "region", "period": "month",
                                  "adoption_period": "start", "revenue": "sales"})
    return units, other


SPEC = PanelSpec(unit="region", time="month", cohort="start", outcome="sales")


def test_panel_spec_defaults_are_the_units_table_and_explicit_columns_win():
    assert PanelSpec() == PanelSpec("unit_id", "period", "adoption_period", "revenue")
    assert panel_spec(None) == PanelSpec()
    assert panel_spec(SPEC, outcome="headcount").outcome == "headcount"
    assert panel_spec(SPEC, outcome=None) is SPEC
    with pytest.raises(TypeError, match="PanelSpec"):
        panel_spec({"unit": "region"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no column role"):
        SPEC.with_columns(adoption="x")


def _same(a, b) -> None:
    for attr in ("estimate", "std_error", "ci_low", "ci_high"):
        assert getattr(a, attr) == pytest.approx(getattr(b, attr), rel=1e-12, abs=1e-9,
                                                 nan_ok=True), attr


def test_staggered_twfe_and_treated_mean_take_a_panel_spec(renamed):
    units, other = renamed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(staggered_did(other, panel=SPEC, n_boot=0),
              staggered_did(units, "revenue", "unit_id", "period", "adoption_period", n_boot=0))
        _same(staggered_did(units, n_boot=0),  # the contract's names by default
              staggered_did(other, "sales", "region", "month", "start", n_boot=0))
    ip = integer_periods(other, time="month", adoption="start", period_col="_t", cohort_col="_g")
    ip["_d"] = ((ip["_g"] > 0) & (ip["_t"] >= ip["_g"])).astype(float)
    _same(twfe_did(ip, treated="_d", panel=SPEC.with_columns(time="_t")),
          twfe_did(ip, "sales", "region", "_t", "_d"))
    with pytest.raises(TypeError, match="treated"):
        twfe_did(ip, panel=SPEC)
    assert treated_mean(other, panel=SPEC) == pytest.approx(treated_mean(units))


def test_naive_synth_and_robustness_take_a_panel_spec(renamed):
    units, other = renamed
    a, b = naive_comparisons(other, panel=SPEC), naive_comparisons(units)
    for x, y in zip(a.comparisons + a.diagnostics, b.comparisons + b.diagnostics):
        _same(x, y)
    _same(synthetic_control_panel(other, panel=SPEC, placebo=False),
          synthetic_control_panel(units, placebo=False))
    first = units.loc[units["adoption_period"].notna(), "unit_id"].iloc[0]
    start = units.loc[units["unit_id"] == first, "adoption_period"].iloc[0]
    never = units.loc[units["adoption_period"].isna(), "unit_id"].unique()[:4].tolist()
    _same(synthetic_control(other.rename(columns={"region": "unit_id"}), panel=SPEC.with_columns(unit="unit_id"),
                            treated_unit=first, treatment_time=start, donors=never, placebo=False),
          synthetic_control(units, "revenue", "unit_id", "period", first, start, donors=never,
                            placebo=False))
    with pytest.raises(TypeError, match="treated_unit"):
        synthetic_control(units)
    kw = dict(control_group="not_yet_treated", method="reg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.testing.assert_frame_equal(placebo_dates(other, shifts=(1,), panel=SPEC, **kw),
                                      placebo_dates(units, shifts=(1,), **kw))
        pd.testing.assert_frame_equal(leave_one_cohort_out(other, panel=SPEC, **kw),
                                      leave_one_cohort_out(units, **kw))
        pd.testing.assert_frame_equal(placebo_outcome(other, "headcount", panel=SPEC, **kw),
                                      placebo_outcome(units, "headcount", **kw))


# the claim read as a typical value; the whole rule (both claim forms, pre-trend check, words)
# is the table of tests/test_analyses_executive_verdict.py
@pytest.mark.parametrize("est, lo, hi, code, reason", [
    (0.08, 0.05, 0.11, "contradicts_smaller", "below"),
    (0.08, -0.02, 0.15, "contradicts_smaller", "below_maybe_zero"),
    (-0.10, -0.15, -0.05, "negative", "negative"),
    (0.19, 0.12, 0.26, "supports", "within"),
    (0.30, 0.25, 0.35, "contradicts_larger", "above"),
    (0.10, -0.05, 0.30, "cannot_tell", "span"),
    (0.10, 0.01, 0.40, "cannot_tell", "wide"),
])
def test_check_claim_codes_and_reasons(est, lo, hi, code, reason):
    c = check_claim(est, lo, hi, claim_form="typical")
    assert (c.code, c.reason, c.claim, c.max_width) == (code, reason, 0.20, 0.20)
    assert check_claim(est, lo, hi, claim=0.5, max_width=1.0).max_width == 1.0


def test_check_claim_rejects_bad_numbers():
    with pytest.raises(ValueError, match="must contain the estimate"):
        check_claim(0.1, 0.2, 0.3)
    with pytest.raises(ValueError, match="claim must be > 0"):
        check_claim(0.1, 0.0, 0.2, claim=0.0)
    with pytest.raises(ValueError, match="finite"):
        check_claim(np.nan, 0.0, 0.2)


def test_outcome_name_in_each_language():
    assert outcome_name("revenue", "en") == "revenue"
    assert outcome_name("revenue", "es") == "ingresos"
    assert outcome_name("headcount", "es") == "headcount"
    with pytest.raises(ValueError, match="language"):
        outcome_name("revenue", "fr")
