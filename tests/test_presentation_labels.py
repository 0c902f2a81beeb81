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


# --------------------------------------------------------------------------------------------
# one colour per team in every chart (issue 12 item 9)
# --------------------------------------------------------------------------------------------

def _legend_colours(ax) -> dict[str, str]:
    """Legend entry text -> the hex colour of its handle (bars, lines or markers)."""
    from matplotlib.colors import to_hex, to_rgba_array

    out = {}
    handles, names = ax.get_legend_handles_labels()
    for handle, name in zip(handles, names):
        artist = handle.patches[0] if hasattr(handle, "patches") and handle.patches else handle
        getter = getattr(artist, "get_facecolor", None) or getattr(artist, "get_color")
        out[name] = to_hex(to_rgba_array(getter())[0])
    return out


def test_every_team_chart_uses_the_team_colours() -> None:
    """Marketing is the same green, sales the same orange, in every chart that shows teams."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from smlib.analyses import figures, overview
    from smlib.attribution.plots import plot_team_credit

    teams = pd.DataFrame({"model": ["linear", "linear", "markov", "markov"],
                          "team": ["marketing", "sales"] * 2, "roi": [0.5, 1.2, 0.4, 1.1],
                          "share": [0.4, 0.6, 0.3, 0.7]})
    stages = pd.DataFrame({"source_team": ["marketing", "sales"], "from_stage": ["sql", "sql"],
                           "to_stage": ["opportunity", "opportunity"], "n_from": [10, 20],
                           "n_to": [5, 8]})
    stages = stages.assign(rate=stages.n_to / stages.n_from, ci_low=0.2, ci_high=0.6)
    spend = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01"]),
                          "team": ["marketing", "sales"] * 2, "channel": ["email", "demo"] * 2,
                          "cost": [1200.0, 5400.0, 800.0, 100.0]})
    funnel = pd.DataFrame([{"source_team": t, "stage": s, "reached": n, "share_of_leads": 0.5,
                            "ci_low": 0.4, "ci_high": 0.6}
                           for t in ("marketing", "sales")
                           for s, n in zip(("lead", "mql", "sql", "opportunity", "won"),
                                           (10, 8 if t == "marketing" else 0, 6, 4, 2))])
    charts = {
        "team ROI": figures.plot_team_roi(teams),
        "funnel": figures.plot_funnel(stages, by="source_team"),
        "funnel counts": figures.plot_funnel_counts(funnel),
        "spend": figures.plot_spend(overview.spend_by_channel(spend)),
        "monthly spend": figures.plot_monthly_spend(overview.monthly_spend(spend)),
        "team credit": plot_team_credit(teams[["model", "team", "share"]]),
        "CAC by team": figures.plot_cac_by_period(pd.DataFrame({
            "quarter": ["2024Q1", "2024Q1"], "team": ["marketing", "sales"], "cac": [9e3, 8e3],
            "cac_ci_low": [8e3, 7e3], "cac_ci_high": [1e4, 9e3]}), hue="team"),
    }
    expected = {labels.team_label(t): labels.TEAM_COLORS[t] for t in ("marketing", "sales")}
    for name, ax in charts.items():
        colours = _legend_colours(ax)
        shown = {k: v for k, v in colours.items() if k in expected}
        assert shown == expected, (name, colours)
    plt.close("all")
    assert np.unique(list(labels.TEAM_COLORS.values())).size == len(labels.TEAM_COLORS)
