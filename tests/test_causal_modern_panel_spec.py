"""The modern DiD estimators (Goodman-Bacon, Sun & Abraham, imputation / two-stage, synthetic DiD)
take the panel described once (smlib.causal._panel.PanelSpec) and give the same estimates as with
the column keywords it replaces; a column passed explicitly wins over the spec."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smlib.causal import (PanelSpec, bacon_decomposition, imputation_did, sun_abraham,
                          synthetic_did, two_stage_did)
from smlib.simulate import simulate_panel

SPEC = PanelSpec(unit="region", time="month", cohort="start", outcome="sales")
COLUMNS = {"unit_id": "region", "period": "month", "adoption_period": "start", "revenue": "sales"}


@pytest.fixture(scope="module")
def renamed() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same panel with the contract's column names and with other names (and a 0/1
    treatment column ``D`` for the Bacon decomposition)."""
    units, _ = simulate_panel(seed=3, n_units=20, n_periods=18)
    units["D"] = (units.adoption_period.notna()
                  & (units.period >= units.adoption_period)).astype(int)
    return units, units.rename(columns=COLUMNS)


def _same(a, b) -> None:
    for attr in ("estimate", "std_error", "ci_low", "ci_high"):
        assert getattr(a, attr) == pytest.approx(getattr(b, attr), rel=1e-12, abs=1e-9,
                                                 nan_ok=True), attr
    if hasattr(a, "event_study"):
        pd.testing.assert_frame_equal(a.event_study, b.event_study)


@pytest.mark.parametrize("estimator", [sun_abraham, imputation_did, two_stage_did])
def test_event_study_estimators_take_a_panel_spec(renamed, estimator):
    units, other = renamed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_spec = estimator(other, panel=SPEC)
        _same(by_spec, estimator(units, "revenue", "unit_id", "period", "adoption_period"))
        _same(estimator(units), by_spec)  # the contract's names by default
        # an explicit column wins over the spec
        _same(estimator(other.assign(y=other.sales), outcome="y", panel=SPEC), by_spec)


def test_bacon_and_synthetic_did_take_a_panel_spec(renamed):
    units, other = renamed
    _same(bacon_decomposition(other, treated="D", panel=SPEC),
          bacon_decomposition(units, "revenue", "unit_id", "period", "D"))
    _same(bacon_decomposition(units, treated="D"),
          bacon_decomposition(other, "sales", "region", "month", "D"))
    with pytest.raises(TypeError, match="treated"):
        bacon_decomposition(other, panel=SPEC)
    first = units.groupby("unit_id").adoption_period.first()
    g = first.dropna().value_counts().index[0]
    keep = first.index[first.isna() | (first == g)]
    treated = first.index[first == g].tolist()
    kw = dict(n_placebo=20, random_state=1)
    a = synthetic_did(other[other.region.isin(keep)], treated_unit=treated, treatment_time=g,
                      panel=SPEC, **kw)
    b = synthetic_did(units[units.unit_id.isin(keep)], "revenue", "unit_id", "period", treated, g,
                      **kw)
    _same(a, b)
    np.testing.assert_allclose(a.unit_weights.to_numpy(), b.unit_weights.to_numpy())
    with pytest.raises(TypeError, match="treated_unit"):
        synthetic_did(other, panel=SPEC)
