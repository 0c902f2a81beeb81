"""The shared result object: interval arithmetic, p-value and tidy output."""

import math

import pytest

from smlib.causal.results import EstimateResult


def test_normal_interval_and_p_value_match_hand_computation() -> None:
    res = EstimateResult.from_normal("demo", "ATT", estimate=2.0, std_error=1.0, n_obs=10)
    assert res.ci_low == pytest.approx(2.0 - 1.959963984540054, abs=1e-12)
    assert res.ci_high == pytest.approx(2.0 + 1.959963984540054, abs=1e-12)
    assert res.p_value == pytest.approx(0.04550026389635842, rel=1e-10)  # 2*(1-Phi(2))


def test_ninety_percent_interval() -> None:
    res = EstimateResult.from_normal("demo", "ATT", 0.0, 1.0, level=0.90)
    assert res.ci_high == pytest.approx(1.6448536269514722, abs=1e-12)


def test_to_frame_and_summary() -> None:
    res = EstimateResult.from_normal("twfe_did", "ATT", 1234.5, 100.0, n_obs=400)
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["method", "estimand", "estimate", "std_error", "ci_low", "ci_high"]
    assert frame.loc[0, "n_obs"] == 400
    text = res.summary()
    assert "twfe_did" in text and "95% CI" in text and "1,234" in text


def test_zero_standard_error_gives_nan_p_value() -> None:
    assert math.isnan(EstimateResult.from_normal("x", "ATT", 1.0, 0.0).p_value)
