"""Lift tests: scoring models against experiments and calibrating credit (smlib.attribution.experiments).

Known truth: hand-computed normal-normal updates, and a simulated lift test whose true effect is
the simulator's removal truth for the channel (smlib.simulate), observed with noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from smlib import config
from smlib.attribution.experiments import (calibrate, check_experiments, score_experiments,
                                           window_fraction)
from smlib.io import load_experiments
from smlib.journeys import build_journeys
from smlib.schemas import DataValidationError
from smlib.simulate import MECHANISMS, simulate

EXP = pd.DataFrame({"channel": ["paid_social"], "start": ["2024-04-01"], "end": ["2024-06-30"],
                    "incremental_conversions": [120.0], "standard_error": [30.0]})


def test_check_experiments_fills_interval_and_standard_error():
    e = pd.DataFrame({"channel": ["a", "b"], "start": ["2024-01-01", "2024-01-01"],
                      "end": ["2024-03-31", "2024-03-31"], "incremental_conversions": [10.0, 50.0],
                      "standard_error": [2.0, np.nan], "ci_low": [np.nan, 20.0], "ci_high": [np.nan, 80.0]})
    out = check_experiments(e)
    z = 1.959963984540054
    assert out.loc[0, "ci_low"] == pytest.approx(10 - 2 * z)
    assert out.loc[1, "standard_error"] == pytest.approx(60 / (2 * z))
    assert str(out["start"].dtype) == "datetime64[ns, UTC]" or "UTC" in str(out["start"].dtype)


@pytest.mark.parametrize("change, match", [
    (dict(standard_error=[np.nan]), "standard_error, or ci_low and ci_high"),
    (dict(standard_error=[0.0]), "must be > 0"),
    (dict(end=["2024-01-01"]), "end >= start"),
    (dict(level=[1.5]), "level must be in"),
])
def test_check_experiments_names_the_problem(change, match):
    with pytest.raises(ValueError, match=match):
        check_experiments(EXP.assign(**change))
    with pytest.raises(ValueError, match="missing column"):
        check_experiments(EXP.drop(columns="end"))


def test_combine_is_the_normal_normal_update_by_hand():
    credit = pd.DataFrame({"channel": ["paid_social", "email"], "incremental_conversions": [200.0, 40.0]})
    out = calibrate(credit, EXP, model_se={"paid_social": 20.0, "email": 5.0}).set_index("channel")
    w_m, w_e = 1 / 20 ** 2, 1 / 30 ** 2
    assert out.loc["paid_social", "calibrated"] == pytest.approx((200 * w_m + 120 * w_e) / (w_m + w_e))
    assert out.loc["paid_social", "calibrated_se"] == pytest.approx(math.sqrt(1 / (w_m + w_e)))
    assert out.loc["paid_social", "z_consistency"] == pytest.approx(80 / math.sqrt(20 ** 2 + 30 ** 2))
    assert out.loc["email", "calibrated"] == 40.0 and out.loc["email", "n_experiments"] == 0
    resc = calibrate(credit, EXP, method="rescale").set_index("channel")
    assert resc.loc["paid_social", "calibrated"] == 120.0
    assert resc.loc["paid_social", "ci_high"] == pytest.approx(120 + 1.959963984540054 * 30)
    # two experiments of a channel are merged by inverse-variance weights first
    two = pd.concat([EXP, EXP.assign(incremental_conversions=[60.0], standard_error=[60.0])])
    both = calibrate(credit, two, method="rescale").set_index("channel")
    w1, w2 = 1 / 30 ** 2, 1 / 60 ** 2
    assert both.loc["paid_social", "calibrated"] == pytest.approx((120 * w1 + 60 * w2) / (w1 + w2))


def test_calibrate_errors():
    credit = pd.DataFrame({"channel": ["email"], "conversions": [4.0]})
    with pytest.raises(ValueError, match="not in the credit"):
        calibrate(credit, EXP, method="rescale")
    credit = pd.DataFrame({"channel": ["paid_social"], "conversions": [4.0]})
    with pytest.raises(ValueError, match="needs the model's standard error"):
        calibrate(credit, EXP)
    with pytest.raises(ValueError, match="method"):
        calibrate(credit, EXP, method="magic")


@pytest.fixture(scope="module")
def confounded():
    sim = simulate(4, n_accounts=6000, **MECHANISMS["confounded"])
    j = build_journeys(sim.touchpoints, sim.opportunities, config.DEFAULT_LOOKBACK_DAYS,
                       validate_input=False)
    return sim, j


def test_window_fraction_counts_converting_journeys_of_the_channel(confounded):
    _, j = confounded
    jj = j.journeys
    conv = jj[jj["converted"] & jj["path"].str.contains("webinar", regex=False)]
    mid = conv["conversion_at"].sort_values().iloc[len(conv) // 2]
    start = conv["conversion_at"].min().floor("D")
    f = window_fraction(j, "webinar", start, mid.floor("D") - pd.Timedelta(days=1))
    manual = ((conv["conversion_at"] >= start) & (conv["conversion_at"] < mid.floor("D"))).mean()
    assert f == pytest.approx(manual) and 0.3 < f < 0.6
    assert window_fraction(j, "webinar", "2000-01-01", "2100-01-01") == 1.0
    with pytest.raises(ValueError, match="no converting journey"):
        window_fraction(j, "fax", "2000-01-01", "2100-01-01")


def test_simulated_lift_test_scores_and_calibrates_a_confounded_model(confounded):
    """Lift test = the simulator's true removal effect of a channel + noise. A model that over-
    credits the channel (as observational credit does under the latent intent) is flagged by the
    experiment, and calibration moves its figure to the truth with an interval that covers it."""
    sim, j = confounded
    truth = sim.truth.channel_effects.set_index("channel")["incremental_conversions"]
    ch = "email"                                    # over-credited under confounding in this seed
    biased = truth * 1.0
    biased[ch] = truth[ch] * 3.0                    # the model's figure: three times the truth
    credit = pd.DataFrame({"channel": truth.index, "incremental_conversions": biased.to_numpy()})
    se = 0.15 * truth[ch]
    rng = np.random.default_rng(0)
    start, end = j.journeys["first_at"].min(), j.journeys["conversion_at"].max()
    assert window_fraction(j, ch, start, end) == 1.0   # the test ran over the whole data window
    cover, err_cal, z = 0, [], []
    for i in range(100):
        exp = pd.DataFrame({"channel": [ch], "start": [start], "end": [end],
                            "incremental_conversions": [truth[ch] + se * rng.standard_normal()],
                            "standard_error": [se]})
        placed = j if i == 0 else None             # the same fraction (1) without re-reading paths
        res = calibrate(credit, exp, placed, method="rescale").set_index("channel").loc[ch]
        cover += res["ci_low"] <= truth[ch] <= res["ci_high"]
        comb = calibrate(credit, exp, placed, model_se={ch: 0.15 * biased[ch]}).set_index("channel").loc[ch]
        err_cal.append(abs(comb["calibrated"] - truth[ch]))
        z.append(score_experiments(credit, exp, placed)["z"].iat[0])
    assert 0.88 <= cover / 100 <= 1.0                              # 95 % interval of the lift test
    assert np.mean(err_cal) < 0.5 * abs(biased[ch] - truth[ch])     # combined: far closer than the model
    assert np.mean(np.abs(z) > 2) > 0.95                            # the experiment flags the model


def test_score_experiments_rows_per_model():
    credit = pd.DataFrame({"model": ["m1", "m1", "m2", "m2"], "channel": ["paid_social", "email"] * 2,
                           "conversions": [100.0, 5.0, 300.0, 5.0]})
    out = score_experiments(credit, EXP).set_index("model")
    assert out.loc["m1", "inside"] and not out.loc["m2", "inside"]
    assert out.loc["m2", "z"] == pytest.approx((300 - 120) / 30)
    with pytest.raises(ValueError, match="not in the credit"):
        score_experiments(credit, EXP.assign(channel=["fax"]))


def test_load_experiments_reads_validates_or_returns_none(tmp_path):
    assert load_experiments(tmp_path) is None and load_experiments(None) is None
    EXP.to_csv(tmp_path / "experiments.csv", index=False)
    e = load_experiments(tmp_path)
    assert e["incremental_conversions"].tolist() == [120.0] and "UTC" in str(e["start"].dtype)
    EXP.assign(standard_error=[np.nan]).to_csv(tmp_path / "experiments.csv", index=False)
    with pytest.raises(DataValidationError, match="standard_error, or both ci_low and ci_high"):
        load_experiments(tmp_path)
