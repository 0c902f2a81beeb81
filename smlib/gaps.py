"""What a report section needs that the data may not have: one small record for every "not
available" box (:func:`smlib.report.show_unavailable`), shared by the attribution, metrics and
causal analyses so that every report words it the same way."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["CONTRACT_REF", "DataGap", "attribution_gap", "data_driven_gap"]

#: Where the data contract describes each table (shown in the "not available" boxes).
CONTRACT_REF: dict[str, str] = {
    "touchpoints": "data/README.md, table `touchpoints`",
    "opportunities": "data/README.md, table `opportunities` (won deals: `outcome` = won)",
    "units": "data/README.md, table `units` (business units by month, with `adoption_period`)",
    "accounts": "data/README.md, table `accounts` (column `integrated`)",
    "spend": "data/README.md, table `spend`",
}


@dataclass(frozen=True)
class DataGap:
    """Why one part of an analysis cannot run on this data, in words for the reader.

    ``missing``: what the data lack; ``unlocks``: what the report would show with it;
    ``contract_ref``: where ``data/README.md`` describes the data needed; ``code``: a short
    machine-readable key (``no_units``, ``no_adoption``, ``no_wins``, ...).
    """

    code: str
    missing: str
    unlocks: str
    contract_ref: str

    def text(self) -> str:
        """One plain sentence: what is missing and what it would unlock."""
        return (f"This data does not have {self.missing}. With it, the report would show "
                f"{self.unlocks} (see {self.contract_ref}).")


def attribution_gap(paths: pd.DataFrame) -> DataGap | None:
    """Why no attribution model can run on a path table (journeys with ``total_conversions``), or
    None when it can: there must be at least one journey and at least one won deal in them."""
    if paths is None or len(paths) == 0:
        return DataGap("no_journeys", "any touches to build customer journeys from",
                       "which marketing and sales touches earn the revenue",
                       CONTRACT_REF["touchpoints"])
    if float(paths["total_conversions"].sum()) <= 0:
        return DataGap("no_wins", "any won deal after a touch (attribution needs at least one "
                       "purchase to share the credit of)",
                       "which marketing and sales touches earn the revenue",
                       CONTRACT_REF["opportunities"])
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
                       "with and without a purchase", CONTRACT_REF["touchpoints"])
    return None
