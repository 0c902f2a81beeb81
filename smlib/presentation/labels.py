"""How the reports name things: models, channels, teams, funnel stages, journey types, column
headers, confidence words, and the glossary of technical words.

The names live in the catalogue (``locales/<language>.toml``): ``[presentation.model]``,
``[presentation.channel]``, ``[presentation.team]``, ``[presentation.stage]``,
``[presentation.journey_type]``, ``[presentation.confidence]``, ``[presentation.cell.*]`` and
``[presentation.glossary.<term>]`` (``name`` and ``text``). A value the catalogue does not know
reads as itself with ``_`` as spaces (``my_channel`` → ``my channel``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from smlib.presentation.catalogue import entry, text
from smlib.presentation.settings import validate_language

__all__ = ["ACRONYMS", "TEAM_COLORS", "TYPE_COLORS", "action_label", "channel_label",
           "column_label", "confidence_label", "confidence_phrase", "explain", "glossary",
           "glossary_entry", "glossary_terms", "journey_type_label", "model_label", "regime_label",
           "section_anchor", "stage_label", "team_label"]

#: Colour of each team in every chart.
TEAM_COLORS: dict[str, str] = {"marketing": "#1b9e77", "sales": "#d95f02", "shared": "#7570b3"}
#: Colour of each journey composition in every chart.
TYPE_COLORS: dict[str, str] = {"marketing_only": "#1b9e77", "sales_only": "#d95f02",
                               "mixed": "#7570b3"}
#: Words written in capitals in automatic headers (:func:`column_label`).
ACRONYMS: dict[str, str] = {
    "id": "ID", "ci": "CI", "cac": "CAC", "roi": "ROI", "roas": "ROAS", "ltv": "LTV", "mql": "MQL",
    "sql": "SQL", "sdr": "SDR", "ae": "AE", "att": "ATT", "utc": "UTC", "usd": "USD",
    "sha256": "SHA-256", "arpa": "ARPA", "crm": "CRM", "seo": "SEO", "se": "SE", "did": "DiD",
    "twfe": "TWFE", "dr": "DR", "dml": "DML"}


def _named(table: str, value: Any, language: str) -> str | None:
    """The catalogue name of ``value`` in ``presentation.<table>``, or None."""
    names = entry(f"presentation.{table}", validate_language(language))
    return names.get(str(value))


def model_label(model: str, language: str = "en") -> str:
    """Display name of an attribution model (``markov`` → ``Markov`` / ``de Markov``)."""
    name = _named("model", model, language)
    return model.replace("_", " ") if name is None else name


def channel_label(channel: str, language: str = "en") -> str:
    """Display name of a channel (``sdr_call`` → ``SDR calls`` / ``llamadas SDR``)."""
    name = _named("channel", channel, language)
    return str(channel).replace("_", " ") if name is None else name


def team_label(team: str, language: str = "en") -> str:
    """A team as the report reads it: ``sales`` → ``sales`` / ``ventas`` (other values with ``_``
    as spaces)."""
    name = _named("team", team, language)
    return str(team).replace("_", " ") if name is None else name


def stage_label(stage: str, language: str = "en") -> str:
    """A funnel stage as the report reads it: ``opportunity`` → ``opportunity`` / ``oportunidad``
    (other values with ``_`` as spaces)."""
    name = _named("stage", stage, language)
    return str(stage).replace("_", " ") if name is None else name


def journey_type_label(journey_type: str, language: str = "en") -> str:
    """A journey composition as the report reads it: ``sales_only`` → ``sales only`` /
    ``solo ventas``."""
    name = _named("journey_type", journey_type, language)
    return str(journey_type).replace("_", " ") if name is None else name


def confidence_phrase(level: str, language: str = "en") -> str:
    """How sure a recommendation is, for prose: ``high`` → ``high confidence`` /
    ``confianza alta``; ``low`` says why (the attribution models disagree). KeyError for other
    levels."""
    return text(f"presentation.confidence.{level}", validate_language(language))


def confidence_label(level: str, language: str = "en") -> str:
    """A confidence level in a table cell: ``high`` → ``high`` / ``alta``; ``none`` → ``–``;
    other values as they are."""
    name = _named("cell.confidence", level, language)
    return str(level) if name is None else name


def action_label(action: str, language: str = "en") -> str:
    """A channel recommendation in a table cell: ``grow`` → ``grow`` / ``aumentar``;
    ``not_assessed`` → ``not judged`` / ``sin evaluar``; other values as they are."""
    name = _named("cell.action", action, language)
    return str(action) if name is None else name


def regime_label(regime: str, language: str = "en") -> str:
    """How a unit's teams worked in a table cell: ``integrated`` → ``integrated teams`` /
    ``equipos integrados``; other values as they are."""
    name = _named("cell.regime", regime, language)
    return str(regime) if name is None else name


def section_anchor(key: str) -> str:
    """The HTML ``id`` of the report section a catalogue text heads, derived from its key, so a
    link to it does not depend on the report's language or wording: ``"overview.nb.funnel"`` →
    ``"overview-funnel"``, ``"attribution.nb.teams.intro"`` → ``"attribution-teams-intro"``
    (``.nb.`` dropped, dots and underscores as hyphens). A notebook's ``say(key, ...)`` of a text
    that starts with a Markdown heading opens the section with this id
    (:func:`smlib.report.text.say`, :func:`smlib.report.render.render_html`); links to a number
    of another report point at ``<report>.html#<section_anchor(key)>``. ValueError for a key that
    is not a dotted lowercase name."""
    if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", key):
        raise ValueError(f"expected a catalogue key such as 'overview.nb.funnel', got {key!r}")
    parts = [p for p in key.split(".") if p != "nb"]
    return "-".join(parts).replace("_", "-")


def column_label(name: Any) -> str:
    """Automatic header: snake_case → sentence case, acronyms in capitals
    (``share_of_leads`` → ``Share of leads``, ``cac_ci_low`` → ``CAC CI low``)."""
    words = [w for w in re.split(r"_+", str(name)) if w]
    if not words:
        return str(name)
    out = [ACRONYMS.get(w.lower(), w) for w in words]
    first = out[0]
    out[0] = first if first.lower() in ACRONYMS else first[:1].upper() + first[1:]
    return " ".join(out)


# --------------------------------------------------------------------------------------------
# glossary
# --------------------------------------------------------------------------------------------

def glossary_terms() -> tuple[str, ...]:
    """Every term of the glossary, in the order the catalogue lists them."""
    return tuple(entry("presentation.glossary", "en"))


def glossary_entry(term: str, language: str = "en") -> tuple[str, str]:
    """``(name, explanation)`` of a glossary term: ``("ROI (return on investment)", "gross
    profit earned minus …")``. ValueError for an unknown term."""
    lang = validate_language(language)
    terms = entry("presentation.glossary", lang)
    if term not in terms:
        raise ValueError(f"unknown glossary term {term!r}; known: {sorted(terms)}")
    return terms[term]["name"], terms[term]["text"]


def explain(term: str, language: str = "en") -> str:
    """One line: ``"ROI (return on investment): gross profit earned minus …"``."""
    name, meaning = glossary_entry(term, language)
    return f"{name}: {meaning}"


def glossary(terms: Iterable[str] | None = None, language: str = "en") -> pd.DataFrame:
    """The glossary as a two-column table for the given terms (default: all); headers in the
    language: ``Term, Meaning`` / ``Término, Significado``."""
    lang = validate_language(language)
    keys = list(glossary_terms()) if terms is None else list(terms)
    rows = [glossary_entry(k, lang) for k in keys]
    return pd.DataFrame(rows, columns=list(entry("presentation.table.glossary_columns", lang)))
