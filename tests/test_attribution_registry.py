"""The model registry's contract, checked for every registered model (like scikit-learn's
check_estimator): output columns, conservation of conversions and value, shares summing to 1,
bootstrap draws (shape, consistency, determinism with a seed), errors on bad input and a tiny
hand case. A model added to ``smlib.attribution.registry.MODELS`` is checked here without
touching this file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib.attribution.api import OUTPUT_COLUMNS, attribute
from smlib.attribution.registry import (DATA_DRIVEN_MODELS, DEFAULT_MODELS, FITTED_MODELS,
                                        JOURNEY_MODELS, MODELS, RULE_MODELS, ModelSpec, get_model)
from smlib.attribution.resample import BootstrapDraws
from test_attribution_rules import touches_table

#: Journeys of several shapes, converting and not, every milestone flag somewhere.
SPECS = [
    {"touches": [("paid_search", 0, set()), ("sdr_call", 3, {"lc"}), ("demo", 9, {"oc", "cw"})],
     "converted": True, "value": 100.0, "conv_day": 10},
    {"touches": [("email", 0, {"lc", "oc"}), ("demo", 2, {"cw"})], "converted": True,
     "value": 50.0, "conv_day": 2},
    {"touches": [("email", 0, {"lc"}), ("sdr_call", 1, {"oc"}), ("demo", 4, {"cw"})],
     "converted": True, "value": 80.0, "conv_day": 5},
    {"touches": [("paid_search", 0, {"lc"}), ("email", 5, {"oc", "cw"})], "converted": True,
     "value": 30.0, "conv_day": 6},
    {"touches": [("sdr_call", 0, set())], "converted": False, "value": 0.0, "conv_day": None},
    {"touches": [("email", 0, set()), ("paid_search", 2, set())], "converted": False,
     "value": 0.0, "conv_day": None},
    {"touches": [("demo", 0, set())], "converted": False, "value": 0.0, "conv_day": None},
    {"touches": [("paid_search", 0, set()), ("demo", 1, set())], "converted": False,
     "value": 0.0, "conv_day": None},
] * 6
TOUCHES = touches_table(SPECS)
N_CONV = sum(s["converted"] for s in SPECS)
VALUE = sum(s["value"] for s in SPECS if s["converted"])
#: Keep the cross-validated model quick on this small table.
PARAMS = {"incremental": {"candidates": ["logit_C=1"], "cv": 2}}
NAMES = list(MODELS)


def _params(name: str) -> dict:
    return dict(PARAMS.get(name, {}))


def test_registry_lists_and_flags() -> None:
    assert DEFAULT_MODELS == tuple(MODELS)
    assert all(isinstance(s, ModelSpec) and s.name == n for n, s in MODELS.items())
    assert set(RULE_MODELS) == {n for n, s in MODELS.items() if s.rule}
    assert JOURNEY_MODELS == {"time_decay", "w_shaped", "full_path"}
    assert set(DATA_DRIVEN_MODELS) == set(FITTED_MODELS) == {"logistic", "incremental"}
    assert not set(RULE_MODELS) & set(DATA_DRIVEN_MODELS)
    with pytest.raises(ValueError, match="unknown attribution model 'magic'"):
        get_model("magic")
    with pytest.raises(ValueError, match="not fitted as an estimator"):
        MODELS["linear"].fit(TOUCHES)


@pytest.mark.parametrize("name", NAMES)
def test_credit_columns_conservation_and_shares(name: str) -> None:
    out = MODELS[name].credit(TOUCHES, **_params(name))
    assert list(out.columns[:4]) == OUTPUT_COLUMNS
    assert out["channel"].is_unique
    assert out["conversions"].sum() == pytest.approx(N_CONV)
    assert out["value"].sum() == pytest.approx(VALUE)
    assert out["share"].sum() == pytest.approx(1.0)
    assert set(out["channel"]) <= {"paid_search", "sdr_call", "demo", "email"}
    # attribute() finds the same model in the registry
    pd.testing.assert_frame_equal(attribute(TOUCHES, name, **_params(name)), out)


@pytest.mark.parametrize("name", NAMES)
def test_bootstrap_draws_shape_consistency_and_seed(name: str) -> None:
    spec = MODELS[name]
    d = spec.bootstrap_draws(TOUCHES, n_boot=8, seed=4, **_params(name))
    assert isinstance(d, BootstrapDraws)
    assert d.conversions.shape == d.value.shape == (8, len(d.channels))
    assert np.isfinite(d.conversions).all() and np.isfinite(d.value).all()
    assert d.n_journeys == len(SPECS)
    assert set(d.channels) == set(d.estimate["channel"])
    est = spec.credit(TOUCHES, **_params(name)).set_index("channel")
    np.testing.assert_allclose(d.estimate.set_index("channel").loc[list(d.channels), "conversions"],
                               est.loc[list(d.channels), "conversions"])
    # each resample's credit adds up to a plausible number of conversions around the estimate
    totals = d.conversions.sum(axis=1)
    assert (totals > 0).all() and abs(np.median(totals) - N_CONV) < 0.5 * N_CONV
    again = spec.bootstrap_draws(TOUCHES, n_boot=8, seed=4, **_params(name))
    np.testing.assert_array_equal(again.conversions, d.conversions)
    np.testing.assert_array_equal(again.value, d.value)
    other = spec.bootstrap_draws(TOUCHES, n_boot=8, seed=5, **_params(name))
    assert not np.array_equal(other.conversions, d.conversions)


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises(name: str) -> None:
    spec = MODELS[name]
    with pytest.raises(ValueError):
        spec.credit(TOUCHES.drop(columns="channel"), **_params(name))
    with pytest.raises(ValueError):
        spec.credit(TOUCHES.assign(converted=False, conversion_value=0.0), **_params(name))
    with pytest.raises(ValueError):
        spec.credit(pd.DataFrame({"path": ["email"], "total_conversions": [-1.0],
                                  "total_conversion_value": [0.0], "total_null": [1.0]}),
                    **_params(name))


@pytest.mark.parametrize("name", NAMES)
def test_one_channel_gets_all_the_credit(name: str) -> None:
    """Tiny hand case: journeys through one channel only; every model gives it everything."""
    tiny = touches_table([
        {"touches": [("email", 0, {"lc"}), ("email", 2, {"oc", "cw"})], "converted": True,
         "value": 40.0, "conv_day": 3},
        {"touches": [("email", 0, {"lc", "oc", "cw"})], "converted": True, "value": 60.0,
         "conv_day": 1},
        {"touches": [("email", 0, set())], "converted": False, "value": 0.0, "conv_day": None},
    ] * 10)
    out = MODELS[name].credit(tiny, **_params(name))
    assert out["channel"].tolist() == ["email"]
    assert out["conversions"].item() == pytest.approx(20.0)
    assert out["value"].item() == pytest.approx(1000.0)
    assert out["share"].item() == pytest.approx(1.0)
