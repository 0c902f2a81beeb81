"""What a report section needs that the data may not have: one small record for every "not
available" box (:func:`smlib.report.show_unavailable`), shared by the attribution, metrics and
causal analyses so that every report words it the same way, in English and Spanish."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from smlib.presentation.catalogue import entry, text
from smlib.presentation.numbers import format_month, format_number
from smlib.presentation.settings import validate_language

__all__ = ["CONTRACT_REF", "CONTRACT_REF_ES", "MIN_ACCOUNTS_PER_GROUP", "DataGap", "account_gap",
           "attribution_gap", "catalogue_gap", "data_driven_gap", "panel_gap"]

#: Where the data contract describes each table (shown in the "not available" boxes; the texts are
#: the catalogue's ``data_warnings.contract_ref.<table>``).
CONTRACT_REF: dict[str, str] = dict(entry("data_warnings.contract_ref", "en"))
#: The same places, in Spanish (a gap whose ``contract_ref`` is one of :data:`CONTRACT_REF` shows
#: the Spanish one in a Spanish report).
CONTRACT_REF_ES: dict[str, str] = dict(entry("data_warnings.contract_ref", "es"))
_REF_ES = {CONTRACT_REF[k]: CONTRACT_REF_ES[k] for k in CONTRACT_REF}


@dataclass(frozen=True)
class DataGap:
    """Why one part of an analysis cannot run on this data, in words for the reader.

    ``missing``: what the data lack; ``unlocks``: what the report would show with it;
    ``contract_ref``: where ``data/README.md`` describes the data needed; ``code``: a short
    machine-readable key (``no_units``, ``no_adoption``, ``no_wins``, ...). ``missing_es``,
    ``unlocks_es`` and ``contract_ref_es`` say the same in Spanish (``missing_es`` reads after
    "Esta sección necesita ..."); left empty, the English text is used, except that a
    ``contract_ref`` from :data:`CONTRACT_REF` has its Spanish twin in :data:`CONTRACT_REF_ES`.
    """

    code: str
    missing: str
    unlocks: str
    contract_ref: str
    missing_es: str = ""
    unlocks_es: str = ""
    contract_ref_es: str = ""

    def missing_in(self, language: str = "en") -> str:
        """What the data lack, in ``language`` (``"en"`` or ``"es"``)."""
        return (self.missing_es or self.missing) if _lang(language) == "es" else self.missing

    def unlocks_in(self, language: str = "en") -> str:
        """What the report would show with the missing data, in ``language``."""
        return (self.unlocks_es or self.unlocks) if _lang(language) == "es" else self.unlocks

    def contract_ref_in(self, language: str = "en") -> str:
        """Where the data contract describes the missing data, in ``language``."""
        if _lang(language) == "es":
            return self.contract_ref_es or _REF_ES.get(self.contract_ref, self.contract_ref)
        return self.contract_ref

    def text(self, language: str = "en") -> str:
        """One plain sentence: what is missing and what it would unlock."""
        lang = _lang(language)
        return text("data_warnings.gap.sentence", lang, missing=self.missing_in(lang),
                    unlocks=self.unlocks_in(lang), ref=self.contract_ref_in(lang))


def _lang(language: str) -> str:
    return validate_language(language)


def catalogue_gap(code: str, missing: str, unlocks: str, table: str,
                  **values: object) -> DataGap:
    """A :class:`DataGap` whose texts are catalogue keys (``missing``: what the data lack,
    ``unlocks``: what the report would show; both filled from ``values``), in every report
    language; ``table`` names the contract table in :data:`CONTRACT_REF`."""
    return DataGap(code, text(missing, "en", **values), text(unlocks, "en", **values),
                   CONTRACT_REF[table], missing_es=text(missing, "es", **values),
                   unlocks_es=text(unlocks, "es", **values))


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


def panel_gap(units: pd.DataFrame | None, outcome: str = "revenue") -> DataGap | None:
    """Why the unit-panel uplift (difference-in-differences) cannot be estimated, or None if it can.

    Needs: a ``units`` table with ``outcome``, at least two units, at least one unit that adopted
    integration inside the data with at least one month of data before it, and at least one unit
    to compare with (one that had not adopted by then).
    """
    rollout = "uplift.gap.panel_unlocks_rollout"
    if units is None or len(units) == 0:
        return catalogue_gap("no_units", "uplift.gap.no_units", rollout, "units")
    if outcome not in units.columns or "adoption_period" not in units.columns:
        col = outcome if outcome not in units.columns else "adoption_period"
        return catalogue_gap("no_units", "uplift.gap.no_column", "uplift.gap.panel_unlocks", "units",
                             column=col)
    if units["unit_id"].nunique() < 2:
        return catalogue_gap("no_units", "uplift.gap.one_unit", rollout, "units")
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
        texts = {lang: text("uplift.gap.cannot_compare", lang, why=text(
                     f"uplift.gap.{why}", lang,
                     month="" if month is None else format_month(month, lang)))
                 for lang in ("en", "es")}
        return DataGap("no_adoption", texts["en"], text(rollout, "en"), CONTRACT_REF["units"],
                       missing_es=texts["es"], unlocks_es=text(rollout, "es"))
    not_yet = adoption.isna() | (adoption > inside.min())
    if not not_yet.any():
        return catalogue_gap("no_adoption", "uplift.gap.same_month", rollout, "units")
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
        texts = {lang: text("uplift.gap.few_accounts", lang,
                            n_integrated=format_number(n_int, 0, lang),
                            n_not=format_number(n_not, 0, lang), minimum=MIN_ACCOUNTS_PER_GROUP)
                 for lang in ("en", "es")}
        return DataGap("no_adoption", texts["en"], text("uplift.gap.accounts_unlocks", "en"),
                       CONTRACT_REF["accounts"], missing_es=texts["es"],
                       unlocks_es=text("uplift.gap.accounts_unlocks", "es"))
    return None
