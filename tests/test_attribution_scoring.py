"""Scoring attribution models against a known truth; the simulator check of the incremental model."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never switch backends

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from smlib.attribution.plots import plot_scores, plot_share_heatmap  # noqa: E402
from smlib.attribution.scoring import score_against_truth, share_matrix, tvd  # noqa: E402
from attribution_cases import CREDIT, TRUTH, credit  # noqa: E402,F401

TRUTH_TEAMS = pd.DataFrame({"team": ["marketing", "sales", "shared"],
                            "incremental_conversions": [20.0, 60.0, 20.0]})


def test_tvd_hand_computed() -> None:
    assert tvd(pd.Series({"a": 0.5, "b": 0.5}), pd.Series({"a": 1.0})) == pytest.approx(0.5)
    assert tvd(pd.Series({"a": 1.0}), pd.Series({"b": 1.0})) == pytest.approx(1.0)
    assert tvd(pd.Series({"a": 0.2, "b": 0.8}), pd.Series({"b": 0.8, "a": 0.2})) == 0


def test_scores_hand_computed() -> None:
    s = score_against_truth(CREDIT, TRUTH).set_index("model")
    assert s.loc["perfect", "tvd_channel"] == pytest.approx(0)
    assert s.loc["perfect", "rank"] == 1
    # last touch shares (0, 0, .2, .8) vs (.1, .3, .4, .2): ½(.1 + .3 + .2 + .6) = .6
    assert s.loc["last_touch", "tvd_channel"] == pytest.approx(0.6)
    assert s.loc["last_touch", "mae_channel"] == pytest.approx(1.2 / 4)
    assert s.loc["last_touch", "worst_channel"] == "proposal"
    assert s.loc["last_touch", "sales_share"] == pytest.approx(1.0)
    assert s.loc["last_touch", "sales_share_truth"] == pytest.approx(0.6)
    # teams: (0, 1) vs (.4, .6) → .4
    assert s.loc["last_touch", "tvd_team"] == pytest.approx(0.4)
    assert s.loc["first_touch", "tvd_channel"] == pytest.approx(0.9)
    assert s.loc["first_touch", "tvd_value"] == pytest.approx(0.9)
    assert s["rank"].tolist() == [1, 2, 3]
    assert s.index.tolist() == ["perfect", "last_touch", "first_touch"]


def test_missing_channels_count_as_zero_and_single_model_frames() -> None:
    one = credit("x", [1, 1], ["email", "newsletter"]).drop(columns="model")
    s = score_against_truth(one, TRUTH)
    # (.5 email, .5 newsletter) vs truth: ½(|.5-.1| + .3 + .4 + .2 + .5) = .9
    assert s["tvd_channel"].iloc[0] == pytest.approx(0.9)
    assert s["model"].iloc[0] == "model"


def test_counterfactual_team_split_scored_against_truth_team_effects() -> None:
    team_credit = pd.DataFrame({"model": "perfect", "team": ["marketing", "sales", "shared"],
                                "conversions": [10.0, 30.0, 10.0]})
    s = score_against_truth(CREDIT, TRUTH, TRUTH_TEAMS, team_credit).set_index("model")
    assert s.loc["perfect", "tvd_team_split"] == pytest.approx(0)
    assert np.isnan(s.loc["last_touch", "tvd_team_split"])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="missing column"):
        score_against_truth(CREDIT.drop(columns="conversions"), TRUTH)
    with pytest.raises(ValueError, match="duplicate"):
        score_against_truth(pd.concat([CREDIT, CREDIT.iloc[:1]]), TRUTH)
    with pytest.raises(ValueError, match="incremental_conversions"):
        score_against_truth(CREDIT, TRUTH.drop(columns="incremental_conversions"))
    with pytest.raises(ValueError, match="non-zero total"):
        score_against_truth(credit("zero", [0, 0, 0, 0]), TRUTH)
    with pytest.raises(ValueError, match="finite"):
        score_against_truth(credit("nan", [np.nan, 1, 1, 1]), TRUTH)


def test_share_matrix_and_plots() -> None:
    mat = share_matrix(CREDIT, TRUTH)
    assert mat.index.tolist() == ["perfect", "last_touch", "first_touch", "truth"]
    assert mat.columns.tolist() == ["email", "webinar", "demo", "proposal"]  # marketing first
    np.testing.assert_allclose(mat.sum(axis=1), 1.0)
    ax = plot_share_heatmap(CREDIT, TRUTH)
    assert "model and channel" in ax.get_title()
    ax = plot_scores(score_against_truth(CREDIT, TRUTH))
    assert "truth" in ax.get_title() and "%" in ax.get_xlabel()
    assert len(ax.patches) == 3


@pytest.mark.slow
def test_incremental_beats_every_rule_and_markov_model_on_the_default_simulation() -> None:
    from smlib.attribution import compare
    from smlib.attribution.regression import IncrementalAttribution
    from smlib.journeys import build_journeys
    from smlib.simulate import simulate

    sim = simulate()
    journeys = build_journeys(sim.touchpoints, sim.opportunities)
    rules_markov = ["first_touch", "last_touch", "last_non_direct", "linear", "position_based",
                    "time_decay", "w_shaped", "full_path", "markov",
                    ("markov_2", "markov", {"order": 2})]
    others = compare(journeys.paths, models=rules_markov, journeys=journeys.touches)
    incremental = IncrementalAttribution().fit(journeys.paths)
    scores = score_against_truth(
        pd.concat([others, incremental.credit_.assign(model="incremental")]),
        sim.truth.channel_effects).set_index("model")
    best_other = scores.drop("incremental")["tvd_channel"].min()
    assert scores.loc["incremental", "tvd_channel"] < best_other
    assert scores.loc["incremental", "rank"] == 1
    # and it does not understate sales: within 5 points of the true sales share
    assert abs(scores.loc["incremental", "sales_share"]
               - scores.loc["incremental", "sales_share_truth"]) < 0.05


def test_credit_table_is_the_one_check_of_credit_tables() -> None:
    """smlib.schemas.credit_table: used by scoring/teams (finite conversions) and by the
    economics (values >= 0, tiny negatives clipped, one row per model, channel and period)."""
    from smlib.schemas import credit_table

    one = credit("x", [1, 2, 3, 4]).drop(columns=["model", "value"])
    out = credit_table(one)
    assert (out["model"] == "model").all() and out["value"].isna().all()
    with pytest.raises(ValueError, match=r"credit: missing column\(s\) \['value'\]"):
        credit_table(one, require_value=True)
    neg = CREDIT.assign(value=CREDIT["value"].where(CREDIT.index != 1, -1e-12))
    assert credit_table(neg, require_value=True, nonnegative=True)["value"].min() == 0.0
    with pytest.raises(ValueError, match="credit: column 'value', rows \\[2\\].*a number >= 0"):
        credit_table(CREDIT.assign(value=CREDIT["value"].where(CREDIT.index != 2, -5.0)),
                     require_value=True, nonnegative=True)
    by_period = pd.concat([CREDIT.assign(period=1), CREDIT.assign(period=2)], ignore_index=True)
    assert len(credit_table(by_period, keys=("period",))) == 2 * len(CREDIT)
    with pytest.raises(ValueError, match=r"duplicate \(model, channel\)"):
        credit_table(by_period)
    with pytest.raises(ValueError, match="expected a DataFrame"):
        credit_table([1, 2])
