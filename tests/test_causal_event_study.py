"""The shared event-study result (smlib.causal.results.EventStudyResult), its p-value helper and
its figure (smlib.causal.plots.event_time_plot), on a hand-built result."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from smlib.causal.plots import event_time_plot
from smlib.causal.results import EventStudyResult, two_sided_p_value

matplotlib.use("Agg")


def test_two_sided_p_value_normal_t_and_degenerate():
    assert two_sided_p_value(1.96, 1.0) == pytest.approx(2 * stats.norm.sf(1.96))
    assert two_sided_p_value(-2.0, 1.0, df=10) == pytest.approx(2 * stats.t.sf(2.0, 10))
    assert np.isnan(two_sided_p_value(1.0, 0.0))
    assert np.isnan(two_sided_p_value(1.0, float("nan")))


def _result(df_t: int | None = None) -> EventStudyResult:
    es = pd.DataFrame({"event_time": [0, 1], "estimate": [1.0, 2.0], "std_error": [0.5, 0.5],
                       "ci_low": [0.0, 1.0], "ci_high": [2.0, 3.0], "p_value": [0.05, 0.0001],
                       "n_obs": [30, 10]})
    return EventStudyResult.from_normal("toy", "ATT", 1.25, 0.5, n_obs=40, event_study=es,
                                        n_clusters=8, df_t=df_t)


def test_event_study_result_frame_summary_and_plot():
    r = _result()
    fr = r.to_frame()
    assert list(fr.term) == ["ATT", "0", "1"]
    assert list(fr.estimand) == ["ATT", "ATT(e)", "ATT(e)"]
    assert list(fr.n_obs) == [40, 30, 10]
    assert r.p_value == pytest.approx(2 * stats.norm.sf(2.5))
    assert _result(df_t=7).p_value == pytest.approx(2 * stats.t.sf(2.5, 7))
    text = r.summary()
    assert text.splitlines()[0].startswith("toy: ATT = 1.25")
    assert "horizon" in text and len(text.splitlines()) == 5
    ax = event_time_plot(r)
    assert ax.get_title() == "toy" and ax.get_xlabel() == "Periods since adoption"
    assert r.plot(title="mine").get_title() == "mine"
    empty = EventStudyResult.from_normal("toy", "ATT", 1.0, 0.5)
    assert len(empty.to_frame()) == 1 and empty.summary() == empty.summary().splitlines()[0]


def test_event_time_plot_in_spanish():
    r = _result()
    ax = r.plot(language="es")
    assert ax.get_xlabel() == "Periodos desde la integración" and ax.get_ylabel() == "Efecto"
    assert ax.get_title() == "toy"
    with pytest.raises(ValueError):
        r.plot(language="xx")
