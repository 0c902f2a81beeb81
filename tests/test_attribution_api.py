"""attribute() / compare() and the shared path parsing: layouts, parameters, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import smlib.attribution as attribution
from smlib.attribution import api
from smlib.attribution.paths import ParsedPaths, parse_paths, validate_paths
from smlib.attribution.registry import MODELS
from test_attribution_rules import touches_table

PATHS = pd.DataFrame({
    "path": ["paid_search > sdr_call > demo", "email > demo", "sdr_call", "direct > paid_search"],
    "total_conversions": [3.0, 1.5, 1.0, 0.0],
    "total_conversion_value": [300.0, 100.0, 40.0, 0.0],
    "total_null": [5.0, 2.0, 6.0, 4.0],
})
TOUCHES = touches_table([
    {"touches": [("paid_search", 0, set()), ("sdr_call", 3, {"lc"}), ("demo", 9, {"oc", "cw"})],
     "converted": True, "value": 100.0, "conv_day": 10},
    {"touches": [("email", 0, {"lc", "oc"}), ("demo", 2, {"cw"})], "converted": True,
     "value": 50.0, "conv_day": 2},
    {"touches": [("sdr_call", 0, set())], "converted": False, "value": 0.0, "conv_day": None},
])


# --- attribute --------------------------------------------------------------------------------

@pytest.mark.parametrize("model", [n for n, s in MODELS.items()
                                   if not s.needs_journeys and not s.fitted])
def test_attribute_runs_every_path_model(model: str) -> None:
    out = attribution.attribute(PATHS, model)
    assert list(out.columns[:4]) == api.OUTPUT_COLUMNS
    assert out["conversions"].sum() == pytest.approx(5.5)
    assert out["value"].sum() == pytest.approx(440.0)
    assert sorted(out["channel"]) == out["channel"].tolist()
    assert set(out["channel"]) == {"paid_search", "sdr_call", "demo", "email", "direct"}


@pytest.mark.parametrize("model", sorted(api.JOURNEY_MODELS))
def test_journey_models_need_touches(model: str) -> None:
    out = attribution.attribute(TOUCHES, model)
    assert out["conversions"].sum() == pytest.approx(2.0)
    assert out["value"].sum() == pytest.approx(150.0)
    with pytest.raises(ValueError, match="touches table"):
        attribution.attribute(PATHS, model)


def test_attribute_params_callables_and_unknown() -> None:
    m2 = attribution.attribute(PATHS, "markov", order=2)
    assert m2["conversions"].sum() == pytest.approx(5.5)
    pb = attribution.attribute(PATHS, "position_based", first=0.5, middle=0.0, last=0.5)
    assert dict(zip(pb["channel"], pb["conversions"]))["sdr_call"] == pytest.approx(1.0)

    def everything_to_demo(paths: pd.DataFrame) -> pd.DataFrame:
        tot = paths["total_conversions"].sum()
        return pd.DataFrame({"channel": ["demo"], "conversions": [tot], "value": [0.0], "share": [1.0]})
    assert attribution.attribute(PATHS, everything_to_demo)["conversions"].tolist() == [5.5]
    with pytest.raises(ValueError, match="unknown attribution model"):
        attribution.attribute(PATHS, "magic")
    with pytest.raises(ValueError, match="must return a DataFrame"):
        attribution.attribute(PATHS, lambda p: {"demo": 1})


def test_lazy_names_resolve_to_functions() -> None:
    for name in ("markov", "shapley", "linear", "attribute", "compare", "bootstrap"):
        assert callable(getattr(attribution, name))
    assert set(api.MODELS) >= {"first_touch", "last_touch", "last_non_direct", "linear", "time_decay",
                               "position_based", "w_shaped", "full_path", "markov", "shapley",
                               "logistic", "incremental"}


def test_regression_models_are_registered_and_run() -> None:
    pytest.importorskip("smlib.attribution.regression")
    out = attribution.attribute(PATHS, "logistic")
    assert out["conversions"].sum() == pytest.approx(5.5)


# --- compare ----------------------------------------------------------------------------------

def test_compare_long_table_labels_and_params() -> None:
    res = attribution.compare(PATHS, models=["linear", "markov", ("markov_2", "markov", {"order": 2}),
                                             "shapley"], markov={"order": 1})
    assert list(res.columns) == ["model", *api.OUTPUT_COLUMNS]
    assert res["model"].unique().tolist() == ["linear", "markov", "markov_2", "shapley"]
    totals = res.groupby("model")["conversions"].sum()
    assert totals.to_numpy() == pytest.approx(5.5)
    direct = attribution.attribute(PATHS, "markov", order=2)
    got = res[res["model"] == "markov_2"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got[api.OUTPUT_COLUMNS], direct)
    with pytest.raises(ValueError, match="not the name of a model"):
        attribution.compare(PATHS, models=["linear"], markov={"order": 2})
    with pytest.raises(ValueError, match="must be a dict"):
        attribution.compare(PATHS, models=["markov"], markov=2)
    with pytest.raises(ValueError, match="unique"):
        attribution.compare(PATHS, models=["linear", "linear"])


def test_compare_skips_journey_models_without_touches_and_runs_them_with() -> None:
    models = ["linear", "w_shaped", "time_decay"]
    with pytest.warns(UserWarning, match="w_shaped"):
        res = attribution.compare(PATHS, models=models)
    assert res["model"].unique().tolist() == ["linear"]
    assert set(res.attrs["skipped"]) == {"w_shaped", "time_decay"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = attribution.compare(PATHS, models=models, journeys=TOUCHES)
    assert both["model"].unique().tolist() == models
    assert both.attrs["skipped"] == {}
    assert both[both["model"] == "w_shaped"]["conversions"].sum() == pytest.approx(2.0)
    only_journeys = attribution.compare(None, models=["linear", "full_path"], journeys=TOUCHES)
    assert only_journeys.groupby("model")["conversions"].sum().to_numpy() == pytest.approx(2.0)


def test_compare_runs_on_real_journeys() -> None:
    journeys = pytest.importorskip("smlib.journeys")
    tp = pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A2", "A2", "A3"],
        "timestamp": pd.to_datetime(["2024-03-01", "2024-03-05", "2024-03-10", "2024-03-02",
                                     "2024-03-04", "2024-03-03"], utc=True),
        "channel": ["paid_search", "sdr_call", "demo", "email", "sdr_call", "webinar"],
        "team": ["marketing", "sales", "sales", "marketing", "sales", "marketing"],
        "touch_type": ["ad_click", "call", "meeting", "click", "call", "attend"],
    })
    opps = pd.DataFrame({
        "opportunity_id": ["O1", "O2"], "account_id": ["A1", "A2"],
        "lead_at": pd.to_datetime(["2024-03-04", "2024-03-03"], utc=True),
        "opportunity_at": pd.to_datetime(["2024-03-06", "2024-03-04"], utc=True),
        "closed_at": pd.to_datetime(["2024-03-12", "2024-03-09"], utc=True),
        "outcome": ["won", "won"], "revenue": [1000.0, 500.0], "gross_margin": [0.7, 0.7],
    })
    j = journeys.build_journeys(tp, opps)
    res = attribution.compare(j.paths, models=["linear", "markov", "w_shaped", "full_path",
                                               "time_decay"], journeys=j)
    totals = res.groupby("model")[["conversions", "value"]].sum()
    assert totals["conversions"].to_numpy() == pytest.approx(2.0)
    assert totals["value"].to_numpy() == pytest.approx(1500.0)


# --- parsing and bad input --------------------------------------------------------------------

def test_parse_once_and_reuse() -> None:
    parsed = parse_paths(PATHS)
    assert isinstance(parsed, ParsedPaths) and parse_paths(parsed) is parsed
    assert parsed.channels == ("demo", "direct", "email", "paid_search", "sdr_call")
    assert parsed.indices.flags.writeable is False  # shared encodings cannot be edited in place
    pd.testing.assert_frame_equal(attribution.attribute(parsed, "linear"),
                                  attribution.attribute(PATHS, "linear"))
    assert parsed.to_frame()["total_conversions"].sum() == pytest.approx(5.5)


def test_validate_paths_normalises_and_aggregates() -> None:
    raw = pd.DataFrame({"path": ["a  >  b", "a > b", "b", " b "], "total_conversions": [1, 2, 0.5, 0.5]})
    out = validate_paths(raw)
    assert out["path"].tolist() == ["a > b", "b"]
    assert out["total_conversions"].tolist() == [3.0, 1.0]
    assert out["total_null"].tolist() == [0.0, 0.0]  # optional columns default to 0


@pytest.mark.parametrize("paths,match", [
    (["a > b", ""], "empty paths at rows 1"),
    (["a > b", "   "], "empty paths"),
    (["a > > b"], "doubled separator"),
    (["a >  > b"], "empty channel name"),
    (["a > b >"], "doubled separator"),
    (["a > b > "], "empty channel name"),
    (["a>b", "b>c"], "sep='>'"),
    (["a,b", "c"], "sep=','"),
    (["a | b"], "sep='\\|'"),
    (["a > b>c"], "several channels joined by '>'"),
    (["a", None], "missing at rows 1"),
    (["a", 3], "must hold strings"),
])
def test_bad_paths_raise_clear_errors(paths: list, match: str) -> None:
    table = pd.DataFrame({"path": paths, "total_conversions": [1.0] * len(paths)})
    with pytest.raises(ValueError, match=match):
        attribution.attribute(table, "linear")


@pytest.mark.parametrize("column,values,match", [
    ("total_conversions", [1.0, -1.0], "negative values at rows 1"),
    ("total_null", [1.0, -0.5], "'total_null' has negative"),
    ("total_conversion_value", [1.0, np.nan], "missing or infinite"),
    ("total_conversions", [1.0, np.inf], "missing or infinite"),
    ("total_conversions", ["1", "x"], "must be numeric"),
])
def test_bad_counts_raise_clear_errors(column: str, values: list, match: str) -> None:
    table = pd.DataFrame({"path": ["a", "b"], "total_conversions": [1.0, 1.0],
                          "total_conversion_value": [1.0, 1.0], "total_null": [1.0, 1.0]})
    table[column] = pd.Series(values, dtype=object if isinstance(values[0], str) else float)
    with pytest.raises(ValueError, match=match):
        parse_paths(table)


def test_other_bad_tables() -> None:
    with pytest.raises(ValueError, match="lacks required column 'total_conversions'"):
        parse_paths(pd.DataFrame({"path": ["a"]}))
    with pytest.raises(ValueError, match="empty"):
        parse_paths(pd.DataFrame({"path": pd.Series([], dtype=str), "total_conversions": []}))
    with pytest.raises(ValueError, match="expected a path table"):
        parse_paths([("a", 1)])
    with pytest.raises(ValueError, match="no conversion to attribute"):
        attribution.attribute(pd.DataFrame({"path": ["a"], "total_conversions": [0.0],
                                            "total_null": [4.0]}), "markov")


def test_explicit_separator_and_html_channel_names() -> None:
    comma = pd.DataFrame({"path": ["a,b", "b"], "total_conversions": [1.0, 1.0]})
    pd.testing.assert_frame_equal(
        attribution.attribute(comma, "linear", sep=","),
        attribution.attribute(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [1.0, 1.0]}),
                              "linear"))
    html = pd.DataFrame({"path": ["<b>Webinar</b> > Q&A \"live\" <webinar>", "<script>x</script>"],
                         "total_conversions": [2.0, 1.0], "total_null": [1.0, 1.0]})
    for model in ("linear", "markov", "shapley"):
        out = attribution.attribute(html, model)
        assert set(out["channel"]) == {"<b>Webinar</b>", "Q&A \"live\" <webinar>", "<script>x</script>"}
        assert out["conversions"].sum() == pytest.approx(3.0)


def test_single_channel_and_no_non_converting_journeys() -> None:
    one = pd.DataFrame({"path": ["demo", "demo > demo"], "total_conversions": [2.0, 1.0],
                        "total_conversion_value": [20.0, 5.0], "total_null": [0.0, 0.0]})
    res = attribution.compare(one, models=["linear", "markov", "shapley", ("rate", "shapley",
                                                                           {"variant": "rate"})])
    assert res["conversions"].to_numpy() == pytest.approx(3.0)
    assert res["value"].to_numpy() == pytest.approx(25.0)
    assert res["share"].to_numpy() == pytest.approx(1.0)


def test_bad_touches_tables() -> None:
    with pytest.raises(ValueError, match="lacks column"):
        parse_paths(TOUCHES.drop(columns="position"))
    bad = TOUCHES.copy()
    bad.loc[0, "converted"] = False
    with pytest.raises(ValueError, match="differs between touches"):
        parse_paths(bad)
    bad = TOUCHES.copy()
    bad.loc[1, "channel"] = "  "
    with pytest.raises(ValueError, match="'channel' is empty"):
        parse_paths(bad)
    bad = TOUCHES.copy()
    bad.loc[0, "conversion_value"] = -5.0
    with pytest.raises(ValueError, match="conversion_value"):
        parse_paths(bad)
