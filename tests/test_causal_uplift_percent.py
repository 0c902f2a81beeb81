"""Uplift as a percentage of the counterfactual and the treated mean it needs (smlib.causal.claims)."""

from __future__ import annotations

import pandas as pd
import pytest

from smlib.causal import treated_mean, uplift_percent
from smlib.causal.results import EstimateResult


def test_uplift_percent_hand_computed():
    # ATT 800 on treated mean 10,800: counterfactual 10,000 -> 8 %.
    r = uplift_percent(800.0, 10_800.0, std_error=200.0)
    assert r.estimate == pytest.approx(0.08)
    assert r.counterfactual_mean == pytest.approx(10_000.0)
    # delta method: se * m / (m - a)^2 = 200 * 10800 / 1e8
    assert r.std_error == pytest.approx(200 * 10_800 / 10_000 ** 2)
    # interval = image of the ATT interval 800 ± 1.96*200 under a/(m-a)
    z = 1.959963984540054
    lo, hi = 800 - z * 200, 800 + z * 200
    assert r.ci_low == pytest.approx(lo / (10_800 - lo))
    assert r.ci_high == pytest.approx(hi / (10_800 - hi))
    assert r.ci_low < r.estimate < r.ci_high


def test_uplift_percent_from_result_keeps_interval_and_method():
    res = EstimateResult(method="staggered_did", estimand="ATT", estimate=50.0, std_error=10.0,
                         ci_low=30.0, ci_high=75.0)
    u = uplift_percent(res, treated_mean=1050.0)
    assert u.method == "staggered_did"
    assert u.ci_low == pytest.approx(30 / 1020)
    assert u.ci_high == pytest.approx(75 / 975)
    frame = u.to_frame()
    assert {"estimate", "std_error", "ci_low", "ci_high", "att", "counterfactual_mean"} <= set(frame)


@pytest.mark.parametrize("kwargs, match", [
    (dict(att=1.0, treated_mean=0.0, std_error=1.0), "treated_mean must be > 0"),
    (dict(att=1.0, treated_mean=10.0), "std_error of the ATT is required"),
    (dict(att=9.0, treated_mean=10.0, std_error=1.0), "counterfactual mean would be <= 0"),
    (dict(att=float("nan"), treated_mean=10.0, std_error=1.0), "att must be a finite"),
    (dict(att=1.0, treated_mean=10.0, std_error=-1.0), "std_error must be >= 0"),
])
def test_uplift_percent_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        uplift_percent(**kwargs)


def _panel() -> pd.DataFrame:
    rows = []
    for u, g in (("a", 3), ("b", None)):
        for t in range(1, 5):
            rows.append(dict(unit_id=u, period=t, revenue=10.0 * t + (5 if u == "a" else 0),
                             adoption_period=g))
    return pd.DataFrame(rows)


def test_treated_mean_hand():
    # unit a treated at t=3,4: revenues 35, 45 -> 40
    assert treated_mean(_panel()) == pytest.approx(40.0)
    with pytest.raises(ValueError, match="no treated unit-period"):
        treated_mean(_panel().assign(adoption_period=None))
