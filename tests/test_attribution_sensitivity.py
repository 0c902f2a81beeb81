"""E-value sensitivity of removal credit to unobserved confounding (smlib.attribution.sensitivity).

Known truth: the worked example of VanderWeele & Ding (2017, Annals of Internal Medicine 167:268),
observed RR 3.9 with 95 % CI 1.8-8.7: E-value 7.26 for the estimate and 3.0 for the lower limit;
hand-computed removal risk ratios and rank targets.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from smlib.attribution.sensitivity import (confounding_sensitivity, e_value, e_value_interval,
                                           exposed_conversions, removal_risk_ratio)


def test_e_value_reproduces_vanderweele_ding_example():
    assert float(e_value(3.9)) == pytest.approx(3.9 + math.sqrt(3.9 * 2.9))
    assert float(e_value(3.9)) == pytest.approx(7.26, abs=0.005)
    assert float(e_value_interval(1.8, 8.7)) == pytest.approx(3.0, abs=1e-12)
    # protective effects use 1 / RR; no effect needs no confounding
    assert float(e_value(0.5)) == pytest.approx(2 + math.sqrt(2))
    assert float(e_value(1.0)) == 1.0
    assert float(e_value_interval(0.8, 1.3)) == 1.0          # interval includes the null
    assert float(e_value_interval(0.2, 0.5)) == pytest.approx(2 + math.sqrt(2))
    assert np.isinf(e_value(0.0)) and np.isnan(e_value(np.nan))


def test_e_value_rejects_bad_input():
    with pytest.raises(ValueError, match=">= 0"):
        e_value(-1.0)
    with pytest.raises(ValueError, match="low limit"):
        e_value_interval(2.0, 1.0)


def test_removal_risk_ratio_by_hand():
    rr = removal_risk_ratio([60.0, -10.0, 100.0, 5.0], [100.0, 50.0, 100.0, 0.0])
    assert rr[0] == pytest.approx(100 / 40) and rr[1] == pytest.approx(50 / 60)
    assert np.isinf(rr[2]) and np.isnan(rr[3])


def test_confounding_sensitivity_sign_and_rank_by_hand():
    credit = pd.DataFrame({"channel": ["b", "a", "spam"], "incremental_conversions": [20.0, 60.0, -10.0],
                           "conversions": [1.0, 1.0, 1.0]})
    exposed = pd.Series({"a": 100.0, "b": 80.0, "spam": 50.0})
    ci = pd.DataFrame({"channel": ["a", "b", "spam"], "ci_low": [30.0, -5.0, -20.0],
                       "ci_high": [80.0, 40.0, -2.0]})
    out = confounding_sensitivity(credit, exposed, ci).set_index("channel")
    assert list(out.index) == ["a", "b", "spam"]                      # largest lost first
    assert out.loc["a", "risk_ratio"] == pytest.approx(2.5)
    assert out.loc["a", "e_value_sign"] == pytest.approx(2.5 + math.sqrt(2.5 * 1.5))
    # a's credit down to b's (20 lost of 100): RR 100/80 = 1.25, so the ratio to explain is 2
    assert out.loc["a", "next_channel"] == "b"
    assert out.loc["a", "e_value_rank"] == pytest.approx(2 + math.sqrt(2))
    # interval limits as risk ratios: a [100/70, 100/20] -> E(1/0.7); b's includes 0 -> 1
    assert out.loc["a", "e_value_sign_ci"] == pytest.approx(float(e_value(100 / 70)))
    assert out.loc["b", "e_value_sign_ci"] == 1.0
    # the harmful channel: RR 50/60 < 1, E-value of 1.2; its interval excludes 0 (RR 50/52 at best)
    assert out.loc["spam", "e_value_sign"] == pytest.approx(1.2 + math.sqrt(1.2 * 0.2))
    assert out.loc["spam", "e_value_sign_ci"] == pytest.approx(float(e_value(50 / 52)))
    assert np.isnan(out.loc["spam", "e_value_rank"]) and out.loc["spam", "next_channel"] is None
    # without raw incremental conversions, the conversions column is used
    plain = confounding_sensitivity(credit.drop(columns="incremental_conversions"), exposed)
    assert plain["lost"].tolist() == [1.0, 1.0, 1.0] and plain["e_value_sign_ci"].isna().all()


def test_confounding_sensitivity_errors():
    credit = pd.DataFrame({"channel": ["a"], "conversions": [1.0]})
    with pytest.raises(ValueError, match="no exposed conversions"):
        confounding_sensitivity(credit, pd.Series({"b": 1.0}))
    with pytest.raises(ValueError, match="no column"):
        confounding_sensitivity(credit, pd.Series({"a": 1.0}), column="nope")


def test_exposed_conversions_count_a_channel_once_per_journey():
    paths = pd.DataFrame({"path": ["a > b > a", "b", "a > c"], "total_conversions": [2.0, 1.0, 0.0],
                          "total_null": [1.0, 3.0, 5.0]})
    ex = exposed_conversions(paths)
    assert ex.to_dict() == {"a": 2.0, "b": 3.0, "c": 0.0}
