"""Report 01's robustness sections: sensitivity to confounding (E-values), experiments and
calibration, and the rule-based view named when no model can be (smlib.analyses.attribution_comparison).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smlib.analyses.attribution_comparison import FALLBACK_VIEW, attribution_report
from smlib.io import load_dataset
from smlib.simulate import export_case, simulate, write_export


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    sim = simulate(seed=8, n_accounts=3000, n_units=12, n_periods=24)
    sim.write(folder)
    truth = sim.truth.channel_effects.set_index("channel")["incremental_conversions"]
    exp = pd.DataFrame({"channel": ["webinar", "demo"], "start": ["2020-01-01"] * 2,
                        "end": ["2026-12-31"] * 2,
                        "incremental_conversions": [truth["webinar"] + 3.0, truth["demo"] - 5.0],
                        "standard_error": [8.0, 15.0]})
    exp.to_csv(folder / "experiments.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = attribution_report(load_dataset(folder), 90, n_boot=20, seed=1)
    return report, truth, exp


def test_sensitivity_of_the_recommended_model(small):
    report, _, _ = small
    assert report.recommended is not None
    s = report.sensitivity
    assert s is not None and set(s["channel"]) == set(report.comparison.credit["channel"])
    assert (s["lost"].diff().dropna() <= 1e-9).all()                 # ranked by lost conversions
    helped = s["lost"] > 0
    assert (s.loc[helped, "e_value_sign"] > 1).all()
    assert (s["e_value_sign_ci"] <= s["e_value_sign"] + 1e-9).all()  # the interval is weaker evidence
    for lang in ("en", "es"):
        table = report.sensitivity_table(lang)
        assert table is not None and len(table.frame) == len(s)


def test_experiments_are_read_scored_and_calibrate_the_model(small):
    report, truth, exp = small
    scores = report.experiment_scores
    assert len(scores) == len(exp) * report.comparison.credit["model"].nunique()
    assert (scores["window_fraction"] == 1.0).all()
    cal = report.calibration.set_index("channel")
    assert cal.loc["webinar", "n_experiments"] == 1 and cal.loc["email", "n_experiments"] == 0
    # the calibrated figure lies between the model and the experiment, closer to the more precise
    for ch in ("webinar", "demo"):
        lo, hi = sorted([cal.loc[ch, "model"], cal.loc[ch, "experiment"]])
        assert lo - 1e-9 <= cal.loc[ch, "calibrated"] <= hi + 1e-9
        assert cal.loc[ch, "calibrated_se"] < min(cal.loc[ch, "model_se"], cal.loc[ch, "experiment_se"])
    for lang in ("en", "es"):
        assert report.experiments_table(lang) is not None and report.calibration_table(lang) is not None


def test_passed_experiments_override_the_file(small, tmp_path):
    sim = simulate(seed=8, n_accounts=1500, n_units=12, n_periods=24)
    sim.write(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        none = attribution_report(load_dataset(tmp_path), 90, n_boot=0, models=["linear", "logistic"])
        given = attribution_report(load_dataset(tmp_path), 90, n_boot=0, models=["linear", "logistic"],
                                   experiments=small[2])
    assert none.experiment_scores is None and none.experiments_table() is None
    assert given.experiment_scores is not None
    assert set(given.experiment_scores["model"]) == {"linear", "logistic"}


def test_won_only_sales_touches_name_no_model_and_the_fallback_view(tmp_path):
    """The real-export case of issue 13: sales touches logged only on won deals. No data-driven
    model may be named the one to trust; the text names the rule-based view shown instead."""
    data = write_export(export_case("minimum", seed=3, n_accounts=1500), tmp_path / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = attribution_report(load_dataset(data), 90, n_boot=0)
    assert report.recommended is None
    assert {"sdr_call", "demo", "proposal"} <= set(report.separation.only_converting)
    assert report.sensitivity is None and report.sensitivity_table() is None
    for lang, word in (("en", "linear"), ("es", "lineal")):
        text = report.conclusion(lang)
        assert word in text.lower() and ("reference view" in text or "vista de referencia" in text)
    assert FALLBACK_VIEW in set(report.comparison.credit["model"])
    trust = dict(report.headline_items("en"))["Model to trust here"]
    assert trust.startswith("none can be named")


def test_mechanism_accuracy_table_from_the_stored_benchmark(tmp_path, small):
    from smlib.analyses.attribution_comparison import mechanism_accuracy
    rows = [("default", 1, "a", 0.10), ("default", 2, "a", 0.20), ("confounded", 1, "a", 0.9),
            ("confounded", 2, "a", 0.7), ("default", 1, "b", 0.5), ("default", 2, "b", 0.5),
            ("confounded", 1, "b", 0.1), ("confounded", 2, "b", 0.1)]
    long = pd.DataFrame(rows, columns=["mechanism", "seed", "model", "l1"]).assign(accounts=1000)
    long.to_csv(tmp_path / "acc.csv", index=False)
    acc = mechanism_accuracy(tmp_path / "acc.csv")
    # best on the unconfounded mechanisms first, whatever the confounded column says
    assert acc["model"].tolist() == ["a", "b"]
    assert acc.loc[0, "default"] == pytest.approx(0.15) and acc.loc[0, "confounded"] == pytest.approx(0.8)
    assert list(acc.columns) == ["model", "default", "confounded"]
    assert acc.attrs == {"seeds": [1, 2], "accounts": 1000}
    assert mechanism_accuracy(tmp_path / "absent.csv") is None
    report = small[0]
    table = report.mechanism_table("es", path=tmp_path / "acc.csv")
    assert "1, 2" in table.caption and "1000" in table.caption.replace(".", "").replace(",", "")
    long.drop(columns="l1").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="missing column"):
        mechanism_accuracy(tmp_path / "bad.csv")


def test_always_together_channels_are_one_group_in_every_model(tmp_path):
    """Two channels in exactly the same journeys cannot be told apart: every model of report 01,
    data-driven ones included, credits them as one channel named 'a + b', and the sensitivity
    analysis reads the group."""
    data = write_export(export_case("twin_channels", seed=3, n_accounts=1500), tmp_path / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = attribution_report(load_dataset(data), 90, n_boot=0)
    credit = report.comparison.credit
    group = "demo + demo_followup"
    for model, g in credit.groupby("model"):
        assert group in set(g["channel"]), model
        assert not {"demo", "demo_followup"} & set(g["channel"]), model
    assert report.recommended is not None and report.separation.always_together == ()
    assert group in set(report.sensitivity["channel"])
