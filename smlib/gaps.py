"""What a report section needs that the data may not have: one small record for every "not
available" box (:func:`smlib.report.show_unavailable`), shared by the attribution, metrics and
causal analyses so that every report words it the same way, in English and Spanish."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["CONTRACT_REF", "CONTRACT_REF_ES", "DataGap", "attribution_gap", "data_driven_gap"]

#: Where the data contract describes each table (shown in the "not available" boxes).
CONTRACT_REF: dict[str, str] = {
    "touchpoints": "data/README.md, table `touchpoints`",
    "opportunities": "data/README.md, table `opportunities` (won deals: `outcome` = won)",
    "units": "data/README.md, table `units` (business units by month, with `adoption_period`)",
    "accounts": "data/README.md, table `accounts` (column `integrated`)",
    "spend": "data/README.md, table `spend`",
}
#: The same places, in Spanish (a gap whose ``contract_ref`` is one of :data:`CONTRACT_REF` shows
#: the Spanish one in a Spanish report).
CONTRACT_REF_ES: dict[str, str] = {
    "touchpoints": "data/README.md, tabla `touchpoints`",
    "opportunities": "data/README.md, tabla `opportunities` (acuerdos ganados: `outcome` = `won`)",
    "units": "data/README.md, tabla `units` (unidades de negocio por mes, con `adoption_period`)",
    "accounts": "data/README.md, tabla `accounts` (columna `integrated`)",
    "spend": "data/README.md, tabla `spend`",
}
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
        if _lang(language) == "es":
            return (f"Estos datos no tienen {self.missing_in('es')}. Con ello, el informe "
                    f"mostraría {self.unlocks_in('es')} (véase {self.contract_ref_in('es')}).")
        return (f"This data does not have {self.missing}. With it, the report would show "
                f"{self.unlocks} (see {self.contract_ref}).")


def _lang(language: str) -> str:
    from smlib.presentation.settings import validate_language

    return validate_language(language)


_ATTRIBUTION_UNLOCKS_ES = "qué contactos de marketing y ventas generan los ingresos"


def attribution_gap(paths: pd.DataFrame) -> DataGap | None:
    """Why no attribution model can run on a path table (journeys with ``total_conversions``), or
    None when it can: there must be at least one journey and at least one won deal in them."""
    if paths is None or len(paths) == 0:
        return DataGap("no_journeys", "any touches to build customer journeys from",
                       "which marketing and sales touches earn the revenue",
                       CONTRACT_REF["touchpoints"],
                       missing_es="contactos con los que construir los recorridos de los clientes",
                       unlocks_es=_ATTRIBUTION_UNLOCKS_ES)
    if float(paths["total_conversions"].sum()) <= 0:
        return DataGap("no_wins", "any won deal after a touch (attribution needs at least one "
                       "purchase to share the credit of)",
                       "which marketing and sales touches earn the revenue",
                       CONTRACT_REF["opportunities"],
                       missing_es="al menos un acuerdo ganado después de un contacto (la "
                                  "atribución necesita al menos una compra cuyo mérito repartir)",
                       unlocks_es=_ATTRIBUTION_UNLOCKS_ES)
    return None


def data_driven_gap(paths: pd.DataFrame) -> DataGap | None:
    """Why the data-driven models (logistic, incremental) cannot be fitted, or None when they
    can: they learn from journeys that did and did not end in a purchase, so both must exist."""
    gap = attribution_gap(paths)
    if gap is not None:
        return gap
    if "total_null" in paths and float(paths["total_null"].sum()) <= 0:
        return DataGap("only_converting", "journeys that did not end in a purchase (every journey "
                       "here ended in a won deal, e.g. because only won deals were exported)",
                       "data-driven credit: what each channel adds, learned by comparing journeys "
                       "with and without a purchase", CONTRACT_REF["touchpoints"],
                       missing_es="recorridos que no acabaron en compra (aquí todos acabaron en "
                                  "un acuerdo ganado, p. ej. porque solo se exportaron los "
                                  "acuerdos ganados)",
                       unlocks_es="el mérito basado en datos: lo que aporta cada canal, aprendido "
                                  "al comparar recorridos con y sin compra")
    return None
