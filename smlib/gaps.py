"""What a report section needs that the data may not have: one small record for every "not
available" box (:func:`smlib.report.show_unavailable`), shared by the attribution, metrics and
causal analyses so that every report words it the same way, in every report language (texts from
the catalogue; adding a language to it and to :data:`smlib.presentation.settings.LANGUAGES` adds it
here, no code change)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from smlib.data_warnings import FALLBACK_LANGUAGE, texts_by_language
from smlib.presentation import settings
from smlib.presentation.catalogue import entry, text
from smlib.presentation.numbers import format_month, format_number
from smlib.presentation.settings import validate_language

__all__ = ["MIN_ACCOUNTS_PER_GROUP", "ROLLOUT_REPORT", "DataGap", "GapText", "account_gap",
           "attribution_gap", "catalogue_gap", "contract_ref", "data_driven_gap", "panel_gap"]


def contract_ref(table: str, language: str = "en") -> str:
    """Where the data contract (``data/README.md``) describes ``table`` (``"units"``, ``"spend"``,
    ...), in ``language``: the catalogue's ``data_warnings.contract_ref.<table>`` (KeyError for a
    table it does not name)."""
    return text(f"data_warnings.contract_ref.{table}", language)


def _contract_table(ref: str) -> str | None:
    """The table whose :func:`contract_ref` in the fallback language is ``ref`` (None if none)."""
    refs = entry("data_warnings.contract_ref", FALLBACK_LANGUAGE)
    return next((table for table, value in refs.items() if value == ref), None)


class GapText(NamedTuple):
    """A gap's words in one language: ``missing`` (reads after "This section needs ..."),
    ``unlocks`` (what the report would show with it) and ``contract_ref`` (where the data contract
    describes it; empty: the :func:`contract_ref` of the gap's table in this language when its
    English ``contract_ref`` is one, else the English one)."""

    missing: str
    unlocks: str
    contract_ref: str = ""


def _gap_text(value: Any, what: str) -> GapText:
    if not isinstance(value, GapText):
        if not isinstance(value, (tuple, list)) or len(value) not in (2, 3):
            raise ValueError(f"{what} must be a GapText(missing, unlocks[, contract_ref]), "
                             f"got {value!r}")
        value = GapText(*value)
    for name, part in zip(GapText._fields, value):
        if not isinstance(part, str) or (name != "contract_ref" and not part.strip()):
            raise ValueError(f"{what}.{name} must be a non-empty text, got {part!r}")
    return value


@dataclass(frozen=True)
class DataGap:
    """Why one part of an analysis cannot run on this data, in words for the reader.

    ``missing``: what the data lack; ``unlocks``: what the report would show with it;
    ``contract_ref``: where ``data/README.md`` describes the data needed; ``code``: a short
    machine-readable key (``no_units``, ``no_adoption``, ``no_wins``, ...); all three texts in
    English, the fallback language. ``texts`` holds the same words per report language,
    ``{language: GapText(missing, unlocks, contract_ref)}`` (``missing`` reads after "This section
    needs ..." in that language). A gap built with only English (e.g. in a user's code) shows its
    English words in every language, except that a ``contract_ref`` from :func:`contract_ref` is
    shown in the report's language.
    """

    code: str
    missing: str
    unlocks: str
    contract_ref: str
    texts: Mapping[str, GapText] = field(default_factory=dict)

    def __post_init__(self) -> None:
        english = GapText(self.missing, self.unlocks, self.contract_ref)
        object.__setattr__(self, "texts", texts_by_language(self.texts, english, "DataGap.texts",
                                                            _gap_text))

    @classmethod
    def from_texts(cls, code: str, texts: Mapping[str, GapText]) -> DataGap:
        """A gap from its words per language, ``{language: GapText(...)}``, which must include
        the fallback language (English)."""
        if not isinstance(texts, Mapping) or FALLBACK_LANGUAGE not in texts:
            raise ValueError(f"DataGap texts need the {FALLBACK_LANGUAGE!r} words, got {texts!r}")
        missing, unlocks, ref = _gap_text(texts[FALLBACK_LANGUAGE], "DataGap.texts")
        return cls(code, missing, unlocks, ref, texts)

    def _words(self, language: str) -> GapText:
        return self.texts.get(validate_language(language), self.texts[FALLBACK_LANGUAGE])

    def missing_in(self, language: str = "en") -> str:
        """What the data lack, in ``language`` (any report language; English when the gap has no
        words in it)."""
        return self._words(language).missing

    def unlocks_in(self, language: str = "en") -> str:
        """What the report would show with the missing data, in ``language``."""
        return self._words(language).unlocks

    def contract_ref_in(self, language: str = "en") -> str:
        """Where the data contract describes the missing data, in ``language`` (a gap without
        words of its own there shows the :func:`contract_ref` of its English place, if it is one)."""
        words = self.texts.get(validate_language(language))
        if words is not None and words.contract_ref:
            return words.contract_ref
        table = _contract_table(self.contract_ref)
        return self.contract_ref if table is None else contract_ref(table, language)

    def text(self, language: str = "en") -> str:
        """One plain sentence: what is missing and what it would unlock."""
        lang = validate_language(language)
        return text("data_warnings.gap.sentence", lang, missing=self.missing_in(lang),
                    unlocks=self.unlocks_in(lang), ref=self.contract_ref_in(lang))


def catalogue_gap(code: str, missing: str, unlocks: str, table: str,
                  **values: object) -> DataGap:
    """A :class:`DataGap` whose texts are catalogue keys (``missing``: what the data lack,
    ``unlocks``: what the report would show; both filled from ``values``), in every report
    language; ``table`` names the contract table (:func:`contract_ref`)."""
    return DataGap.from_texts(code, {
        lang: GapText(text(missing, lang, **values), text(unlocks, lang, **values),
                      contract_ref(table, lang))
        for lang in settings.LANGUAGES})


def attribution_gap(paths: pd.DataFrame) -> DataGap | None:
    """Why no attribution model can run on a path table (journeys with ``total_conversions``), or
    None when it can: there must be at least one journey and at least one won deal in them."""
    if paths is None or len(paths) == 0:
        return catalogue_gap("no_journeys", "data_warnings.gap.no_journeys",
                             "data_warnings.gap.attribution_unlocks", "touchpoints")
    if float(paths["total_conversions"].sum()) <= 0:
        return catalogue_gap("no_wins", "data_warnings.gap.no_wins",
                             "data_warnings.gap.attribution_unlocks", "opportunities")
    return None


def data_driven_gap(paths: pd.DataFrame) -> DataGap | None:
    """Why the data-driven models (logistic, incremental) cannot be fitted, or None when they
    can: they learn from journeys that did and did not end in a purchase, so both must exist."""
    gap = attribution_gap(paths)
    if gap is not None:
        return gap
    if "total_null" in paths and float(paths["total_null"].sum()) <= 0:
        return catalogue_gap("only_converting", "data_warnings.gap.only_converting",
                             "data_warnings.gap.data_driven_unlocks", "touchpoints")
    return None


# --- the uplift analysis (report 02): unit panel and accounts ------------------------------------

#: Fewest accounts in each group (integrated, not) for the account-level estimators.
MIN_ACCOUNTS_PER_GROUP: int = 20
#: Report 04 (rollout plan) in the same run folder, linked like the executive summary's
#: ``REPORT_LINKS`` (a relative link) when report 02 has no adoption to estimate from.
ROLLOUT_REPORT: str = "04_rollout_plan.html"


def panel_gap(units: pd.DataFrame | None, outcome: str = "revenue") -> DataGap | None:
    """Why the unit-panel uplift (difference-in-differences) cannot be estimated, or None if it can.

    Needs: a ``units`` table with ``outcome``, at least two units, at least one unit that adopted
    integration inside the data with at least one month of data before it, and at least one unit
    to compare with (one that had not adopted by then).
    """
    rollout = "uplift.gap.panel_unlocks_rollout"
    link = ROLLOUT_REPORT
    if units is None or len(units) == 0:
        return catalogue_gap("no_units", "uplift.gap.no_units", rollout, "units", link=link)
    if outcome not in units.columns or "adoption_period" not in units.columns:
        col = outcome if outcome not in units.columns else "adoption_period"
        return catalogue_gap("no_units", "uplift.gap.no_column", "uplift.gap.panel_unlocks", "units",
                             column=col)
    if units["unit_id"].nunique() < 2:
        return catalogue_gap("no_units", "uplift.gap.one_unit", rollout, "units", link=link)
    first, last = units["period"].min(), units["period"].max()
    adoption = units.groupby("unit_id")["adoption_period"].first()
    dated = adoption.dropna()
    inside = dated[(dated > first) & (dated <= last)]
    if inside.empty:
        if dated.empty:
            why, month = "no_dates", None
        elif (dated > last).all():
            why, month = "all_after", last
        else:
            why, month = "all_before", first
        return DataGap.from_texts("no_adoption", {
            lang: GapText(text("uplift.gap.cannot_compare", lang, why=text(
                f"uplift.gap.{why}", lang,
                month="" if month is None else format_month(month, lang))),
                text(rollout, lang, link=link), contract_ref("units", lang))
            for lang in settings.LANGUAGES})
    not_yet = adoption.isna() | (adoption > inside.min())
    if not not_yet.any():
        return catalogue_gap("no_adoption", "uplift.gap.same_month", rollout, "units", link=link)
    return None


def account_gap(accounts: pd.DataFrame | None) -> DataGap | None:
    """Why the account-level check (doubly robust, double ML) cannot run, or None if it can.

    Needs an ``accounts`` table with ``integrated``, ``segment`` and ``size``, and at least
    :data:`MIN_ACCOUNTS_PER_GROUP` accounts in each group (integrated and not).
    """
    if accounts is None or len(accounts) == 0:
        return catalogue_gap("no_accounts", "uplift.gap.no_accounts", "uplift.gap.accounts_unlocks",
                             "accounts")
    if "integrated" not in accounts.columns:
        return catalogue_gap("no_accounts", "uplift.gap.no_flag", "uplift.gap.accounts_unlocks",
                             "accounts")
    flag = accounts["integrated"].dropna().astype(bool)
    n_int, n_not = int(flag.sum()), int((~flag).sum())
    if min(n_int, n_not) < MIN_ACCOUNTS_PER_GROUP:
        return DataGap.from_texts("no_adoption", {
            lang: GapText(text("uplift.gap.few_accounts", lang,
                               n_integrated=format_number(n_int, 0, lang),
                               n_not=format_number(n_not, 0, lang),
                               minimum=MIN_ACCOUNTS_PER_GROUP),
                          text("uplift.gap.accounts_unlocks", lang), contract_ref("accounts", lang))
            for lang in settings.LANGUAGES})
    return None
