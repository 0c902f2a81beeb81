"""Report 03's analysis (smlib.analyses.executive) on the shapes real exports have."""

from __future__ import annotations

import pytest

from smlib import io
from smlib.analyses.executive import FALLBACK_MODEL, executive_summary
from smlib.simulate import export_case, write_export


def _summary(tmp_path, case: str, **kw):
    folder = write_export(export_case(case, seed=5, n_accounts=1200), tmp_path / case)
    return executive_summary(io.load_dataset(folder), n_boot=0, **kw)


def test_minimum_export_shows_revenue_funnel_and_credit_but_no_costs(tmp_path):
    s = _summary(tmp_path, "minimum")
    items = {label: text for label, text, _ in s.items()}
    assert items["Revenue"].endswith("new customers")
    assert items["Cost of a new customer"].startswith("not available: needs a spend table")
    # sales touches are logged on won deals only: the credit split is a range, not one figure
    assert s.unidentified and "depending on the model" in items["Return by team"]
    assert items["Effect of integrating the teams"].startswith("cannot be estimated")
    assert items["Closing deals"].endswith("to close")
    assert s.missing_for("cost").code == "no_spend" and s.missing_for("uplift") is not None
    assert s.missing_for("funnel") is None
    assert set(s.team_shares["team"]) == {"marketing", "sales"}
    assert s.team_shares.groupby("model")["share"].sum().round(9).eq(1).all()
    with pytest.raises(ValueError, match="unknown section"):
        s.missing_for("nope")


def test_only_converting_journeys_fall_back_to_a_stated_model(tmp_path):
    s = _summary(tmp_path, "only_converting")
    assert s.requested_model == "incremental" and s.model == FALLBACK_MODEL
    assert "needs journeys that did not end in a purchase" in s.note()
    assert "incremental" not in set(s.credit["model"])


def test_no_wins_credits_nothing_and_names_no_model(tmp_path):
    s = _summary(tmp_path, "no_wins", language="es")
    assert s.credit is None and "attribution" in s.gaps and s.customers is None
    assert "Ninguna venta se pudo atribuir" in s.note()
    texts = [t for _, t, _ in s.items()]
    assert texts[3].startswith("no disponible")  # return by team
    assert s.missing_for("teams") is not None
