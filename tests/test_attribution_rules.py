"""Rule-based attribution: hand-computed cases, conventions, invariances and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib.attribution import rules
from smlib.attribution.paths import parse_paths
from smlib.attribution.registry import MODELS

DAY = pd.Timedelta(days=1)
T0 = pd.Timestamp("2024-03-01", tz="UTC")


def _paths() -> pd.DataFrame:
    return pd.DataFrame({
        "path": ["a > b > c", "a", "b > a", "c > b > b > a"],
        "total_conversions": [2.0, 1.0, 0.5, 1.0],
        "total_conversion_value": [200.0, 50.0, 30.0, 100.0],
        "total_null": [3.0, 4.0, 0.0, 1.0],
    })


def _credit(frame: pd.DataFrame, col: str = "conversions") -> dict[str, float]:
    return dict(zip(frame["channel"], frame[col]))


#: The rule models that run on a path table (from the registry).
PATH_RULES = [n for n, spec in MODELS.items() if spec.rule and not spec.needs_journeys]


def touches_table(journeys: list[dict]) -> pd.DataFrame:
    """A touches table in smlib.journeys' layout from compact journey specs.

    Each spec: ``touches`` = list of (channel, day offset, set of milestone names), ``converted``,
    ``value``, ``conv_day``.
    """
    rows = []
    for jid, j in enumerate(journeys):
        for pos, (channel, day, flags) in enumerate(j["touches"]):
            rows.append({
                "journey_id": jid, "account_id": f"A{jid}", "position": pos,
                "timestamp": T0 + day * DAY, "channel": channel, "team": "marketing",
                "touch_type": "x", "cost": 0.0, "converted": j["converted"],
                "conversion_value": j["value"] if j["converted"] else 0.0,
                "conversion_at": T0 + j["conv_day"] * DAY if j["converted"] else pd.NaT,
                "is_first_touch": pos == 0, "is_lead_creation": "lc" in flags,
                "is_opp_creation": "oc" in flags, "is_closed_won": "cw" in flags,
            })
    return pd.DataFrame(rows)


# --- hand-computed path-table cases ------------------------------------------------------------

def test_first_last_linear_hand_computed() -> None:
    p = _paths()
    # first touch: a (2 + 1), b (0.5), c (1)
    assert _credit(rules.first_touch(p)) == pytest.approx({"a": 3.0, "b": 0.5, "c": 1.0})
    assert _credit(rules.first_touch(p), "value") == pytest.approx({"a": 250.0, "b": 30.0, "c": 100.0})
    # last touch: c (2), a (1 + 0.5 + 1)
    assert _credit(rules.last_touch(p)) == pytest.approx({"a": 2.5, "b": 0.0, "c": 2.0})
    # linear: a > b > c: 2/3 each; a: 1; b > a: .25 each; c > b > b > a: .25, .5, .25
    lin = _credit(rules.linear(p))
    assert lin == pytest.approx({"a": 2 / 3 + 1 + 0.25 + 0.25, "b": 2 / 3 + 0.25 + 0.5,
                                 "c": 2 / 3 + 0.25})
    lin_v = _credit(rules.linear(p), "value")
    assert lin_v == pytest.approx({"a": 200 / 3 + 50 + 15 + 25, "b": 200 / 3 + 15 + 50,
                                   "c": 200 / 3 + 25})


def test_position_based_conventions() -> None:
    p = pd.DataFrame({"path": ["a", "a > b", "a > b > c > d"], "total_conversions": [1.0, 1.0, 1.0]})
    got = _credit(rules.position_based(p))
    # 1 touch: 100 %; 2 touches: 50/50 (middle dropped, renormalised); 4 touches: .4, .1, .1, .4
    assert got == pytest.approx({"a": 1 + 0.5 + 0.4, "b": 0.5 + 0.1, "c": 0.1, "d": 0.4})
    custom = _credit(rules.position_based(p, first=0.6, middle=0.3, last=0.1))
    assert custom == pytest.approx({"a": 1 + 0.6 / 0.7 + 0.6, "b": 0.1 / 0.7 + 0.15, "c": 0.15,
                                    "d": 0.1})
    with pytest.raises(ValueError, match="sum to 1"):
        rules.position_based(p, first=0.5, middle=0.5, last=0.5)
    with pytest.raises(ValueError, match="≥ 0"):
        rules.position_based(p, first=1.2, middle=-0.2, last=0.0)
    with pytest.raises(ValueError, match="first \\+ last"):
        rules.position_based(p, first=0.0, middle=1.0, last=0.0)


def test_last_non_direct() -> None:
    p = pd.DataFrame({"path": ["a > direct", "direct > direct", "b > direct > a", "direct > b > direct"],
                      "total_conversions": [1.0, 2.0, 4.0, 8.0]})
    got = _credit(rules.last_non_direct(p))
    # all-direct journeys keep their last (direct) touch, as Universal Analytics does
    assert got == pytest.approx({"a": 1 + 4, "b": 8.0, "direct": 2.0})
    custom = _credit(rules.last_non_direct(p, direct=("direct", "a")))
    assert custom == pytest.approx({"a": 0.0, "b": 4 + 8, "direct": 1 + 2})


def test_fractional_counts_are_not_truncated() -> None:
    p = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [0.3, 0.45],
                      "total_conversion_value": [3.0, 4.5]})
    out = rules.linear(p)
    assert _credit(out) == pytest.approx({"a": 0.15, "b": 0.6})
    assert out["conversions"].sum() == pytest.approx(0.75)
    assert out["value"].sum() == pytest.approx(7.5)


@pytest.mark.parametrize("model", PATH_RULES)
def test_credits_sum_to_totals_and_share(model: str) -> None:
    rng = np.random.default_rng(3)
    paths = [" > ".join(rng.choice(list("abcdef"), rng.integers(1, 6))) for _ in range(300)]
    p = pd.DataFrame({"path": paths, "total_conversions": rng.gamma(1.0, 2.0, 300),
                      "total_conversion_value": rng.gamma(1.0, 200.0, 300),
                      "total_null": rng.poisson(3, 300)})
    out = getattr(rules, model)(p)
    assert list(out.columns) == ["channel", "conversions", "value", "share"]
    assert out["conversions"].sum() == pytest.approx(p["total_conversions"].sum(), rel=1e-12)
    assert out["value"].sum() == pytest.approx(p["total_conversion_value"].sum(), rel=1e-12)
    assert out["share"].sum() == pytest.approx(1.0)
    assert (out["conversions"] >= 0).all()


@pytest.mark.parametrize("model", PATH_RULES)
def test_row_order_and_split_rows_do_not_change_results(model: str) -> None:
    p = _paths()
    base = getattr(rules, model)(p)
    shuffled = p.sample(frac=1.0, random_state=1).reset_index(drop=True)
    split = pd.concat([p, p.iloc[[0]]], ignore_index=True)
    split.loc[0, ["total_conversions", "total_conversion_value", "total_null"]] = [1.25, 120.0, 1.0]
    split.loc[len(split) - 1, ["total_conversions", "total_conversion_value", "total_null"]] = [0.75, 80.0, 2.0]
    for other in (shuffled, split):
        pd.testing.assert_frame_equal(getattr(rules, model)(other), base, rtol=1e-12)


def test_row_weights_rows_sum_to_one() -> None:
    W = rules.row_weights(_paths(), "position_based")
    assert np.allclose(np.asarray(W.sum(axis=1)).ravel(), 1.0)


# --- journey-level models --------------------------------------------------------------------

def test_time_decay_half_life_hand_computed() -> None:
    t = touches_table([
        {"touches": [("a", 0, set()), ("b", 7, set()), ("c", 14, set())], "converted": True,
         "value": 70.0, "conv_day": 14},
        {"touches": [("a", 0, set())], "converted": False, "value": 0.0, "conv_day": None},
    ])
    out = rules.time_decay(t)
    # ages 14, 7, 0 days with half-life 7: weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7
    assert _credit(out) == pytest.approx({"a": 1 / 7, "b": 2 / 7, "c": 4 / 7})
    assert _credit(out, "value") == pytest.approx({"a": 10.0, "b": 20.0, "c": 40.0})
    # half-life 14 days: 1/2, 1/sqrt(2), 1
    w = np.array([0.5, 2 ** -0.5, 1.0])
    got = _credit(rules.time_decay(t, half_life_days=14))
    assert [got[c] for c in "abc"] == pytest.approx(list(w / w.sum()))
    with pytest.raises(ValueError, match="half_life_days"):
        rules.time_decay(t, half_life_days=0)


def test_time_decay_rejects_touch_after_conversion_and_path_table() -> None:
    t = touches_table([{"touches": [("a", 0, set()), ("b", 9, set())], "converted": True,
                        "value": 1.0, "conv_day": 5}])
    with pytest.raises(ValueError, match="after the conversion"):
        rules.time_decay(t)
    with pytest.raises(ValueError, match="touches table"):
        rules.time_decay(_paths())


def test_w_shaped_and_full_path_hand_computed() -> None:
    t = touches_table([
        # 5 touches: FT, x, LC, OC, CW(last)
        {"touches": [("a", 0, set()), ("b", 1, set()), ("c", 2, {"lc"}), ("d", 3, {"oc"}),
                     ("e", 4, {"cw"})], "converted": True, "value": 100.0, "conv_day": 4},
    ])
    w = _credit(rules.w_shaped(t))
    # W: a .3, c .3, d .3, rest .1 over b and e (e is closed-won: not a W milestone)
    assert w == pytest.approx({"a": 0.3, "b": 0.05, "c": 0.3, "d": 0.3, "e": 0.05})
    f = _credit(rules.full_path(t))
    assert f == pytest.approx({"a": 0.225, "b": 0.1, "c": 0.225, "d": 0.225, "e": 0.225})
    assert _credit(rules.full_path(t), "value") == pytest.approx(
        {"a": 22.5, "b": 10.0, "c": 22.5, "d": 22.5, "e": 22.5})


def test_milestone_convention_for_short_journeys() -> None:
    t = touches_table([
        # 1 touch carrying every milestone: 100 %
        {"touches": [("a", 0, {"lc", "oc", "cw"})], "converted": True, "value": 10.0, "conv_day": 0},
        # 2 touches: FT on b; LC + OC (+ CW) on c: W -> .3/.9, .6/.9; full path -> .225/.9, .675/.9
        {"touches": [("b", 0, set()), ("c", 1, {"lc", "oc", "cw"})], "converted": True,
         "value": 90.0, "conv_day": 1},
    ])
    w = _credit(rules.w_shaped(t))
    assert w == pytest.approx({"a": 1.0, "b": 1 / 3, "c": 2 / 3})
    f = _credit(rules.full_path(t))
    assert f == pytest.approx({"a": 1.0, "b": 0.25, "c": 0.75})
    # a milestone missing from the journey (no lead flagged) is dropped and the rest renormalised
    t2 = touches_table([{"touches": [("a", 0, set()), ("b", 1, set()), ("c", 2, {"oc"})],
                         "converted": True, "value": 1.0, "conv_day": 2}])
    assert _credit(rules.w_shaped(t2)) == pytest.approx({"a": 0.3 / 0.7, "b": 0.1 / 0.7,
                                                         "c": 0.3 / 0.7})


def test_milestone_models_need_flags_and_valid_weights() -> None:
    t = touches_table([{"touches": [("a", 0, set())], "converted": True, "value": 1.0, "conv_day": 0}])
    with pytest.raises(ValueError, match="is_closed_won"):
        rules.full_path(t.drop(columns="is_closed_won"))
    with pytest.raises(ValueError, match="sum to 1"):
        rules.w_shaped(t, first_touch=0.5)
    with pytest.raises(ValueError, match="touches table"):
        rules.w_shaped(_paths())
    two = touches_table([{"touches": [("a", 0, set()), ("b", 1, set())], "converted": True,
                          "value": 1.0, "conv_day": 1}])
    two["is_lead_creation"] = True
    with pytest.raises(ValueError, match="more than one touch"):
        rules.w_shaped(two)


def test_path_models_on_touches_table_match_path_table() -> None:
    t = touches_table([
        {"touches": [("a", 0, set()), ("b", 1, set())], "converted": True, "value": 10.0, "conv_day": 1},
        {"touches": [("a", 0, set()), ("b", 1, set())], "converted": False, "value": 0.0, "conv_day": None},
        {"touches": [("c", 0, set())], "converted": True, "value": 5.0, "conv_day": 0},
    ])
    p = pd.DataFrame({"path": ["a > b", "c"], "total_conversions": [1.0, 1.0],
                      "total_conversion_value": [10.0, 5.0], "total_null": [1.0, 0.0]})
    for model in ("first_touch", "linear", "position_based"):
        pd.testing.assert_frame_equal(getattr(rules, model)(t), getattr(rules, model)(p))
    # touch rows in any order give the same journeys
    shuffled = t.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(rules.time_decay(shuffled), rules.time_decay(t))
    assert parse_paths(shuffled).paths.tolist() == ["a > b", "a > b", "c"]


def test_zero_conversions_is_a_clear_error() -> None:
    p = pd.DataFrame({"path": ["a", "b"], "total_conversions": [0.0, 0.0], "total_null": [3.0, 1.0]})
    with pytest.raises(ValueError, match="no conversion to attribute"):
        rules.linear(p)
