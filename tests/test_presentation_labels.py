"""How the reports name things (smlib.presentation.labels): models, channels, teams, stages,
confidence words and the glossary, in English and Spanish (moved from tests/test_narrative.py and
tests/test_overview.py)."""

from __future__ import annotations

import pytest

from smlib.presentation import labels


def test_glossary_both_languages_one_line() -> None:
    assert len(labels.glossary_terms()) == 41  # + roi_lifetime, roi_first_contract (issue 16)
    for term in labels.glossary_terms():
        for lang in ("en", "es"):
            name, text = labels.glossary_entry(term, lang)
            assert name and text and "\n" not in text and text.endswith("."), (term, lang)
    assert labels.explain("roi") == ("ROI (return on investment): gross profit earned minus the "
                                 "cost, as a percentage of the cost; 0 % means the money only "
                                 "came back.")
    assert labels.explain("cac", "es") == ("CAC (coste de adquisición de cliente): lo que cuesta "
                                       "ganar un cliente nuevo.")
    g = labels.glossary(["roi", "ltv"], language="es")
    assert list(g["Término"]) == ["ROI (retorno de la inversión)", "LTV (valor de vida del cliente)"]
    assert list(labels.glossary(["cac"]).columns) == ["Term", "Meaning"]
    with pytest.raises(ValueError, match="unknown glossary term"):
        labels.explain("ebitda")


def test_labels() -> None:
    assert labels.model_label("markov") == "Markov" and labels.model_label("position_based", "es") == "en U"
    assert labels.model_label("my_model") == "my model"
    assert labels.channel_label("sdr_call", "es") == "llamadas SDR"


def test_labels() -> None:
    assert labels.model_label("markov") == "Markov" and labels.model_label("position_based", "es") == "en U"
    assert labels.model_label("my_model") == "my model"
    assert labels.channel_label("sdr_call", "es") == "llamadas SDR"


def test_every_attribution_model_has_a_glossary_line_in_both_languages() -> None:
    from smlib.attribution.api import MODELS

    for model in MODELS:
        assert model in labels.glossary_terms(), f"no glossary line for attribution model {model!r}"
        assert labels.explain(model, "en") and labels.explain(model, "es")


def test_team_stage_and_journey_labels() -> None:
    assert labels.team_label("sales") == "sales" and labels.team_label("sales", "es") == "ventas"
    assert labels.team_label("shared", "es") == "compartido"
    assert labels.team_label("field_ops") == "field ops"
    assert labels.stage_label("opportunity", "es") == "oportunidad"
    assert labels.stage_label("mql") == "mql" and labels.stage_label("mql", "es") == "MQL"
    assert labels.journey_type_label("sales_only", "es") == "solo ventas"
    assert labels.journey_type_label("marketing_only") == "marketing only"
    assert set(labels.TEAM_COLORS) == {"marketing", "sales", "shared"}
    with pytest.raises(ValueError, match="language must be one of"):
        labels.team_label("sales", "fr")


def test_confidence_action_and_regime_words() -> None:
    assert labels.confidence_phrase("high") == "high confidence"
    assert labels.confidence_phrase("low", "es") == (
        "confianza baja: los modelos de atribución no coinciden")
    assert labels.confidence_label("medium", "es") == "media"
    assert labels.action_label("cut", "es") == "recortar"
    assert labels.regime_label("separate") == "separate teams"


def test_column_label() -> None:
    assert labels.column_label("share_of_leads") == "Share of leads"
    assert labels.column_label("cac_ci_low") == "CAC CI low"
    assert labels.column_label("did_estimate") == "DiD estimate"
