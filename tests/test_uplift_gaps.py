"""What the uplift analysis can support on a given dataset: gaps, fallbacks, never a crash."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from smlib.analyses.uplift import estimate_uplift, uplift_analysis
from smlib.gaps import DataGap, account_gap, panel_gap
from smlib.schemas import empty_frame
from smlib.simulate import simulate_panel


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    panel, _ = simulate_panel(seed=11, n_units=16, n_periods=24)
    return panel


def test_panel_gap_names_what_is_missing(units):
    assert panel_gap(units) is None
    assert panel_gap(None).code == "no_units"
    assert panel_gap(empty_frame("units")).code == "no_units"
    one = units[units["unit_id"] == units["unit_id"].iloc[0]]
    assert "more than one business unit" in panel_gap(one).missing
    never = units.assign(adoption_period=pd.NaT)
    gap = panel_gap(never)
    assert gap.code == "no_adoption" and "no unit has an adoption date" in gap.missing
    late = units.assign(adoption_period=units["period"].max() + pd.offsets.MonthBegin(3))
    assert "after the last month of data" in panel_gap(late).missing
    early = units.assign(adoption_period=units["period"].min())
    assert "months before integration" in panel_gap(early).missing
    same = units.assign(adoption_period=units["period"].min() + pd.offsets.MonthBegin(6))
    assert "same month" in panel_gap(same).missing
    assert "revenue" in panel_gap(units.drop(columns="revenue")).missing
    assert isinstance(gap, DataGap) and "data/README.md" in gap.text()


def test_account_gap():
    acc = pd.DataFrame({"account_id": [f"A{i}" for i in range(60)], "unit_id": "u",
                        "segment": "smb", "size": 10, "integrated": [True] * 30 + [False] * 30})
    assert account_gap(acc) is None
    assert account_gap(None).code == "no_accounts"
    assert "integrated" in account_gap(acc.drop(columns="integrated")).missing
    few = acc.assign(integrated=[True] * 5 + [False] * 55)
    assert "it has 5 and 55" in account_gap(few).missing


def test_estimate_uplift_matches_the_panel_or_says_why_not(units):
    did, uplift, gap = estimate_uplift(units)
    assert gap is None and uplift.ci_low <= uplift.estimate <= uplift.ci_high
    did, uplift, gap = estimate_uplift(units.assign(adoption_period=pd.NaT))
    assert did is None and uplift is None and gap.code == "no_adoption"


def test_every_unit_adopting_uses_the_not_yet_integrated_units(units):
    adoption = units.groupby("unit_id")["adoption_period"].first()
    fill = units["period"].min() + pd.offsets.MonthBegin(18)
    staggered = units.assign(adoption_period=units["unit_id"].map(adoption.fillna(fill)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        did, uplift, gap = estimate_uplift(staggered)
    assert gap is None and did.details["control_group"] == "not_yet_treated"
    assert np.isfinite(uplift.estimate)


def test_analysis_without_a_panel_is_not_estimable_and_says_so(units):
    opp = pd.DataFrame({"account_id": ["A1"], "outcome": ["won"], "revenue": [10.0]})
    ds = SimpleNamespace(units=empty_frame("units"), accounts=empty_frame("accounts"),
                         opportunities=opp)
    a = uplift_analysis(ds)
    assert not a.estimable and a.uplift is None and a.staggered is None and a.naive is None
    assert set(a.gaps) == {"panel", "accounts"} and a.table.empty and a.robustness == {}
    items = dict(a.headline_items("en"))
    assert items["Estimated revenue uplift from integration"] == "cannot be estimated from this data"
    assert "planned" in items["What would make it estimable"]
    assert "no se puede estimar" in dict(a.headline_items("es"))[
        "Aumento de ingresos estimado por la integración"]
    assert "panel of business units" in a.effect_sentence("en")
    assert "despliegue planificado" in a.not_estimable_text("es")


def test_gaps_say_what_is_missing_in_spanish_too(units):
    from smlib.gaps import attribution_gap, contract_ref, data_driven_gap

    gap = panel_gap(None)
    assert gap.missing_in("es").startswith("un panel de unidades de negocio por mes")
    assert "despliegue escalonado" in gap.unlocks_in("es")
    assert gap.contract_ref_in("es") == contract_ref("units", "es")
    assert gap.missing_in("en") == gap.missing and gap.contract_ref_in("en") == gap.contract_ref
    assert gap.text("es").startswith("Estos datos no tienen un panel de unidades de negocio")
    late = units.assign(adoption_period=units["period"].max() + pd.offsets.MonthBegin(3))
    assert "posteriores al último mes de datos" in panel_gap(late).missing_in("es")
    few = pd.DataFrame({"account_id": [f"A{i}" for i in range(60)], "integrated":
                        [True] * 5 + [False] * 55})
    assert "tiene 5 y 55" in account_gap(few).missing_in("es")
    paths = pd.DataFrame({"path": ["a > b"], "total_conversions": [0.0], "total_null": [3.0],
                          "total_conversion_value": [0.0]})
    assert attribution_gap(paths).missing_in("es").startswith("al menos un acuerdo ganado")
    won_only = paths.assign(total_conversions=2.0, total_null=0.0)
    assert data_driven_gap(won_only).missing_in("es").startswith("recorridos que no acabaron")
    with pytest.raises(ValueError, match="language"):
        gap.missing_in("fr")
    for g in (panel_gap(None), account_gap(None), panel_gap(late)):  # nothing English left
        text = g.text("es")
        assert " the " not in text and " table " not in text and " of " not in text, text


def test_gap_record_holds_its_words_per_language():
    from smlib.gaps import GapText, contract_ref

    gap = DataGap.from_texts("x", {"en": GapText("a panel", "the uplift", contract_ref("units")),
                                   "es": GapText("un panel", "el aumento")})
    assert (gap.missing, gap.unlocks, gap.contract_ref) == ("a panel", "the uplift",
                                                            contract_ref("units"))
    assert gap.texts["en"] == GapText("a panel", "the uplift", contract_ref("units"))
    assert gap.missing_in("es") == "un panel" and gap.unlocks_in("es") == "el aumento"
    assert gap.contract_ref_in("es") == contract_ref("units", "es")  # empty: the contract's place
    english = DataGap("x", "a panel", "the uplift", "my notes")  # English only: shown as is
    assert english.missing_in("es") == "a panel" and english.contract_ref_in("es") == "my notes"
    assert english.texts == {"en": GapText("a panel", "the uplift", "my notes")}
    with pytest.raises(ValueError, match="'en'"):
        DataGap.from_texts("x", {"es": GapText("un panel", "el aumento")})
    with pytest.raises(ValueError, match="language"):
        DataGap("x", "a", "b", "c", {"sp": GapText("un", "el")})
    with pytest.raises(ValueError, match="missing must be a non-empty text"):
        DataGap("x", "a", "b", "c", {"es": GapText(" ", "el")})
    with pytest.raises(ValueError, match="GapText"):
        DataGap("x", "a", "b", "c", {"es": "un panel"})
    with pytest.raises(ValueError, match="must equal"):
        DataGap("x", "a", "b", "c", {"en": GapText("other", "b", "c")})


def test_not_estimable_text_names_what_is_missing_in_each_language():
    from smlib.analyses.uplift import uplift_analysis

    a = uplift_analysis(SimpleNamespace(units=None, accounts=None, opportunities=None))
    assert "no tienen un panel de unidades de negocio" in a.not_estimable_text("es")
    assert "it does not have a panel of business units" in a.not_estimable_text("en")
    assert a.effect_sentence("es") == a.not_estimable_text("es")
