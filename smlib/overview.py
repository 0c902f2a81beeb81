"""Data overview: quality summary, funnel counts, spend and journey composition, with figures.

Used by notebooks/00_data_overview.ipynb. Every function takes validated tables (``smlib.io``) and
returns a tidy DataFrame; the ``plot_*`` functions draw one seaborn figure each and return the Axes.
Text meant for the reader (headline, notes, figure titles and axes, stage and journey names) comes
in the report's ``language``, ``"en"`` (default) or ``"es"``; table and column names of the data
contract stay as they are (they are names in the data, not words of the report).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from statsmodels.stats.proportion import proportion_confint

from smlib import config
from smlib.presentation.settings import money_unit
from smlib.io import Dataset
from smlib.journeys import JOURNEY_TYPES, Journeys
from smlib.narrative import (channel_label, format_interval, format_money, format_month,
                             format_number, format_pct)
from smlib.schemas import spec

__all__ = [
    "FUNNEL_STAGES",
    "JOURNEY_TYPE_LABELS",
    "STAGE_LABELS",
    "column_summary",
    "data_quality_summary",
    "funnel_counts",
    "headline_items",
    "journey_type_label",
    "monthly_spend",
    "plot_funnel",
    "plot_journey_lengths",
    "plot_journey_mix",
    "plot_monthly_spend",
    "plot_spend",
    "referential_checks",
    "spend_by_channel",
    "stage_label",
    "team_label",
]

#: Stage -> how a lead is known to have reached it (contract columns of ``opportunities``).
FUNNEL_STAGES: dict[str, str] = {
    "lead": "lead_at", "mql": "mql_at", "sql": "sql_at", "opportunity": "opportunity_at",
    "won": "outcome",
}
#: The event-time column that dates each table (periods for spend and units).
TIME_COLUMN: dict[str, str | None] = {
    "touchpoints": "timestamp", "opportunities": "lead_at", "spend": "period", "units": "period",
    "accounts": None,
}
KEYS: dict[str, tuple[str, ...]] = {
    "touchpoints": ("account_id", "timestamp", "channel", "touch_type"),
    "opportunities": ("opportunity_id",),
    "spend": ("period", "channel", "team", "unit_id"),
    "units": ("unit_id", "period"),
    "accounts": ("account_id",),
}
TEAM_COLORS: dict[str, str] = {"marketing": "#1b9e77", "sales": "#d95f02", "shared": "#7570b3"}
TYPE_COLORS: dict[str, str] = {"marketing_only": "#1b9e77", "sales_only": "#d95f02",
                               "mixed": "#7570b3"}
#: How each funnel stage reads in a report (English: the stage name with spaces).
STAGE_LABELS: dict[str, dict[str, str]] = {
    "lead": {"en": "lead", "es": "lead"}, "mql": {"en": "mql", "es": "MQL"},
    "sql": {"en": "sql", "es": "SQL"}, "opportunity": {"en": "opportunity", "es": "oportunidad"},
    "won": {"en": "won", "es": "ganado"},
}
#: How each journey composition reads in a report.
JOURNEY_TYPE_LABELS: dict[str, dict[str, str]] = {
    "marketing_only": {"en": "marketing only", "es": "solo marketing"},
    "sales_only": {"en": "sales only", "es": "solo ventas"},
    "mixed": {"en": "mixed", "es": "mixto"},
}
_TEAM_LABELS: dict[str, dict[str, str]] = {
    "marketing": {"en": "marketing", "es": "marketing"}, "sales": {"en": "sales", "es": "ventas"},
    "shared": {"en": "shared", "es": "compartido"},
}


def _lang(language: str) -> str:
    from smlib.presentation.settings import validate_language

    return validate_language(language)


def _label(table: dict[str, dict[str, str]], value: object, language: str) -> str:
    return table.get(str(value), {}).get(_lang(language), str(value).replace("_", " "))


def stage_label(stage: str, language: str = "en") -> str:
    """A funnel stage as the report reads it: ``opportunity`` → ``opportunity`` / ``oportunidad``
    (other values with ``_`` as spaces)."""
    return _label(STAGE_LABELS, stage, language)


def journey_type_label(journey_type: str, language: str = "en") -> str:
    """A journey composition as the report reads it: ``sales_only`` → ``sales only`` /
    ``solo ventas``."""
    return _label(JOURNEY_TYPE_LABELS, journey_type, language)


def team_label(team: str, language: str = "en") -> str:
    """A team as the report reads it: ``sales`` → ``sales`` / ``ventas``."""
    return _label(_TEAM_LABELS, team, language)


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; found {list(df.columns)}")


def data_quality_summary(dataset: Dataset, language: str = "en") -> pd.DataFrame:
    """One row per table: rows, columns, extra columns, duplicate keys, date range, file, hash.

    ``duplicate_keys`` counts rows whose contract key (e.g. touchpoints' account_id, timestamp,
    channel, touch_type) repeats an earlier row — 0 for data that passed ``smlib.io`` validation,
    shown so the reader sees it was checked. ``missing_cells`` = missing values over all columns;
    ``first``/``last`` = range of the table's time column (timestamp, lead_at or period); an
    optional table the data do not have shows ``(not provided)`` (``(no aportada)`` with
    ``language="es"``) as its file.
    """
    not_provided = "(not provided)" if _lang(language) == "en" else "(no aportada)"
    rows = []
    for table in config.TABLES:
        df = dataset.table(table)
        contract = {c.name for c in spec(table).columns}
        key = [k for k in KEYS[table] if k in df.columns]
        tcol = TIME_COLUMN[table]
        times = df[tcol] if tcol else pd.Series([], dtype="datetime64[us]")
        file = dataset.files.get(table)
        rows.append({
            "table": table,
            "rows": len(df),
            "columns": df.shape[1],
            "extra_columns": ", ".join(c for c in df.columns if c not in contract),
            "missing_cells": int(df.isna().sum().sum()),
            "duplicate_keys": int(df.duplicated(key).sum()) if key else 0,
            "first": times.min() if len(times) else pd.NaT,
            "last": times.max() if len(times) else pd.NaT,
            "file": file.name if file is not None else (
                not_provided if table in getattr(dataset, "missing", ()) else ""),
            "sha256": dataset.hashes.get(table, "")[:12],
        })
    out = pd.DataFrame(rows)
    # one display type for mixed UTC timestamps and naive periods
    for col in ("first", "last"):
        out[col] = [("" if pd.isna(v) else v.strftime("%Y-%m-%d")) for v in out[col]]
    return out


def column_summary(dataset: Dataset) -> pd.DataFrame:
    """One row per (table, column): dtype, rows, missing, missing_share, distinct values, in_contract.

    ``missing_share`` = missing / rows (NaN for an empty table).
    """
    rows = []
    for table in config.TABLES:
        df = dataset.table(table)
        contract = {c.name for c in spec(table).columns}
        for col in df.columns:
            s = df[col]
            n_missing = int(s.isna().sum())
            rows.append({"table": table, "column": col, "dtype": str(s.dtype), "rows": len(s),
                         "missing": n_missing,
                         "missing_share": n_missing / len(s) if len(s) else np.nan,
                         "distinct": int(s.nunique(dropna=True)), "in_contract": col in contract})
    return pd.DataFrame(rows)


def _present(dataset: Dataset, table: str) -> bool:
    """True when the dataset holds ``table`` with at least one row."""
    has = getattr(dataset, "has", None)
    return bool(has(table)) if callable(has) else len(dataset.table(table)) > 0


def referential_checks(dataset: Dataset, show_ids: bool = False,
                       language: str = "en") -> pd.DataFrame:
    """Do the tables point at each other? One row per check: rows checked, rows failing, share.

    Checks: touchpoints and opportunities name accounts that exist in ``accounts``; accounts and
    spend (where unit_id is set) name units that exist in ``units``; every touch channel appears in
    ``spend`` (otherwise its cost is not in the budget). A check whose reference table is missing
    or empty is left out (there is nothing to check against). Failing rows are not errors of the
    contract, but they leave revenue or cost unattributable. ``examples`` lists up to three unknown
    names; account ids are shown only with ``show_ids=True`` (they identify customers, so
    leadership reports leave them out). ``language="es"`` words the check names and the hidden-ids
    note in Spanish (``touchpoints.account_id en accounts``).
    """
    es = _lang(language) == "es"
    spend_units = dataset.spend["unit_id"].dropna() if "unit_id" in dataset.spend else pd.Series(
        [], dtype="str")
    checks = []
    if _present(dataset, "accounts"):
        accounts = set(dataset.accounts["account_id"])
        checks += [("touchpoints.account_id in accounts", dataset.touchpoints["account_id"],
                    accounts, True),
                   ("opportunities.account_id in accounts", dataset.opportunities["account_id"],
                    accounts, True)]
    if _present(dataset, "units"):
        units = set(dataset.units["unit_id"])
        if _present(dataset, "accounts") and "unit_id" in dataset.accounts:
            checks.append(("accounts.unit_id in units", dataset.accounts["unit_id"], units, False))
        if _present(dataset, "spend"):
            checks.append(("spend.unit_id in units", spend_units, units, False))
    if _present(dataset, "spend"):
        checks.append(("touchpoints.channel in spend", dataset.touchpoints["channel"],
                       set(dataset.spend["channel"]), False))
    rows = []
    for name, values, allowed, is_account in checks:
        bad = ~values.isin(list(allowed))
        examples = ", ".join(map(str, pd.unique(values[bad])[:3]))
        if is_account and not show_ids and examples:
            examples = "(ids de cuenta ocultos)" if es else "(account ids hidden)"
        rows.append({"check": name.replace(" in ", " en ") if es else name, "rows": len(values),
                     "failing": int(bad.sum()),
                     "failing_share": float(bad.mean()) if len(values) else np.nan,
                     "examples": examples})
    return pd.DataFrame(rows, columns=["check", "rows", "failing", "failing_share", "examples"])


def funnel_counts(opportunities: pd.DataFrame, by: str | None = None,
                  level: float = 0.95) -> pd.DataFrame:
    """How many leads reached each funnel stage, and what share of all leads that is.

    A lead reached a stage when the stage's timestamp is set (``won``: ``outcome == "won"``);
    stages follow the SiriusDecisions demand waterfall (inquiry -> MQL -> SQL -> opportunity ->
    won; docs/sources.md §2, https://www.mv3marketing.com/glossary/demand-waterfall/).
    ``share_of_leads`` = reached / leads with a Wilson score interval (statsmodels
    ``proportion_confint``) at ``level``. Sales-sourced leads skip MQL by the contract, so the MQL
    share is below the SQL share when sales source many leads. ``by`` (e.g. ``"source_team"``)
    splits every count by that column. Stage-to-stage rates: ``smlib.metrics.stage_conversion``.
    """
    _require(opportunities, [c for c in FUNNEL_STAGES.values()], "opportunities")
    groups = [("all", opportunities)] if by is None else [
        (str(k), g) for k, g in opportunities.groupby(by, dropna=False, sort=True)]
    if by is not None:
        _require(opportunities, [by], "opportunities")
    rows = []
    for key, g in groups:
        n = len(g)
        for stage, col in FUNNEL_STAGES.items():
            k = int((g[col] == "won").sum()) if stage == "won" else int(g[col].notna().sum())
            lo, hi = proportion_confint(k, n, alpha=1 - level, method="wilson") if n else (np.nan,
                                                                                            np.nan)
            rows.append({"group": key, "stage": stage, "reached": k,
                         "share_of_leads": k / n if n else np.nan, "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    return out.rename(columns={"group": by}) if by else out.drop(columns="group")


def spend_by_channel(spend: pd.DataFrame) -> pd.DataFrame:
    """Total cost per (team, channel) with its share of all cost, largest first within team.

    Includes the non-touch channels ``sales_people`` and ``marketing_overhead`` (people and
    overhead that no single touch carries).
    """
    _require(spend, ["team", "channel", "cost"], "spend")
    out = spend.groupby(["team", "channel"], as_index=False, observed=True)["cost"].sum()
    total = out["cost"].sum()
    out["share"] = out["cost"] / total if total > 0 else np.nan
    return out.sort_values(["team", "cost"], ascending=[True, False], ignore_index=True)


def monthly_spend(spend: pd.DataFrame) -> pd.DataFrame:
    """Cost per month (period) and team, every month of the range present (0 when nothing spent)."""
    _require(spend, ["period", "team", "cost"], "spend")
    out = spend.groupby(["period", "team"], observed=True)["cost"].sum()
    if out.empty:
        return out.reset_index()
    months = pd.date_range(spend["period"].min(), spend["period"].max(), freq="MS")
    full = pd.MultiIndex.from_product([months, sorted(spend["team"].unique())],
                                      names=["period", "team"])
    return out.reindex(full, fill_value=0.0).reset_index()


def contract_note(dataset: Dataset, language: str = "en") -> str:
    """The note under the overview's headline: which contract checks the tables passed, and how
    many rows were left out for breaking them (``load_dataset(..., on_invalid="drop")``), in
    ``language``."""
    dropped = sum(int(d.get("count", 0)) for d in getattr(dataset, "dropped", None) or [])
    if _lang(language) == "es":
        text = ("Todas las tablas superaron las comprobaciones del contrato de datos (tipos, "
                "valores permitidos, costes no negativos, fechas del embudo en orden, sin "
                "duplicados)")
        if dropped:
            text += (f", tras dejar fuera {format_number(dropped, 0, 'es')} "
                     f"{'fila que lo incumplía' if dropped == 1 else 'filas que lo incumplían'} "
                     "(listadas más abajo)")
        return text + "."
    text = ("Every table passed the data contract's checks (types, allowed values, no negative "
            "costs, funnel dates in order, no duplicates).")
    if dropped:
        text = text[:-1] + (f", after leaving out {format_number(dropped)} "
                            f"{'row' if dropped == 1 else 'rows'} that broke them (listed below).")
    return text


def headline_items(dataset: Dataset, journeys: Journeys, level: float = 0.95,
                   language: str = "en") -> list[tuple[str, str]]:
    """The overview's headline as (label, text) pairs for ``smlib.report.show_headline``.

    Items: period covered by the touches, accounts with activity (a touch or a lead), touches and
    the marketing share of them, deals won and their revenue, the share of journeys that mix
    marketing and sales touches with a Wilson interval at ``level``, and the cross-table checks of
    :func:`referential_checks`. A dataset without touches (or without deals, e.g. a date range
    outside the data) says so in the items instead of failing. ``language="es"``: in Spanish.
    """
    if _lang(language) == "es":
        return _headline_items_es(dataset, journeys, level)
    tp, opp = dataset.touchpoints, dataset.opportunities
    jr = journeys.journeys
    n_j = len(jr)
    n_mixed = int((jr["journey_type"] == "mixed").sum()) if n_j else 0
    won = opp[opp["outcome"] == "won"]
    active = pd.concat([tp["account_id"], opp["account_id"]]).nunique()
    checks = referential_checks(dataset)
    failing = int(checks["failing"].sum())
    dropped = sum(int(d.get("count", 0)) for d in getattr(dataset, "dropped", None) or [])
    contract = ("all contract checks passed" if not dropped else
                f"{format_number(dropped)} rows broke the contract and were left out (see below)")
    if checks.empty:
        cross = "no cross-table check possible (only touchpoints and opportunities)"
    elif failing == 0:
        known = [w for w, t in (("account", "accounts"), ("unit", "units"),
                                ("budgeted channel", "spend")) if _present(dataset, t)]
        cross = "every row points at a known " + (
            ", ".join(known[:-1]) + " and " + known[-1] if len(known) > 1 else known[0])
    else:
        cross = f"{format_number(failing)} rows fail a cross-table check (see below)"
    dated = tp["timestamp"] if len(tp) else opp["lead_at"]
    period = (f"{format_month(dated.min())} to {format_month(dated.max())}" if len(dated) else
              "no dated records (check the start/end dates)")
    touches = (f"{format_number(len(tp))} "
               f"({format_pct((tp['team'] == 'marketing').mean())} by marketing)" if len(tp) else
               "none: no journey can be built (check the touchpoints table and the dates)")
    mixing = "no journeys"
    if n_j:
        lo, hi = proportion_confint(n_mixed, n_j, alpha=1 - level, method="wilson")
        mixing = (f"{format_pct(n_mixed / n_j)} of {format_number(n_j)} journeys "
                  f"({format_interval(lo, hi, format_pct, level=level)})")
    deals = (f"{format_number(len(won))} {'deal' if len(won) == 1 else 'deals'}, "
             f"{format_money(won['revenue'].sum())} revenue" if len(opp) else
             "none: the opportunities table has no rows")
    return [
        ("Period covered", period),
        ("Accounts with activity", format_number(active)),
        ("Touches recorded", touches),
        ("Deals won", deals),
        ("Journeys mixing marketing and sales", mixing),
        ("Data checks", f"{contract}; {cross}"),
    ]


def _headline_items_es(dataset: Dataset, journeys: Journeys, level: float) -> list[tuple[str, str]]:
    """:func:`headline_items` in Spanish (same items, same order)."""
    tp, opp = dataset.touchpoints, dataset.opportunities
    jr = journeys.journeys
    n_j = len(jr)
    n_mixed = int((jr["journey_type"] == "mixed").sum()) if n_j else 0
    won = opp[opp["outcome"] == "won"]
    active = pd.concat([tp["account_id"], opp["account_id"]]).nunique()
    checks = referential_checks(dataset)
    failing = int(checks["failing"].sum())
    dropped = sum(int(d.get("count", 0)) for d in getattr(dataset, "dropped", None) or [])

    def num(x: float) -> str:
        return format_number(x, 0, "es")

    contract = ("se superaron todas las comprobaciones del contrato" if not dropped else
                f"{num(dropped)} {'fila incumplía' if dropped == 1 else 'filas incumplían'} el "
                "contrato y se dejaron fuera (véase más abajo)")
    if checks.empty:
        cross = ("no es posible comprobar unas tablas con otras (solo hay touchpoints y "
                 "opportunities)")
    elif failing == 0:
        known = [w for w, t in (("cuentas", "accounts"), ("unidades", "units"),
                                ("canales presupuestados", "spend")) if _present(dataset, t)]
        known_text = ", ".join(known[:-1]) + " y " + known[-1] if len(known) > 1 else known[0]
        feminine = known in (["cuentas"], ["unidades"], ["cuentas", "unidades"])
        cross = f"todas las filas apuntan a {known_text} {'conocidas' if feminine else 'conocidos'}"
    else:
        cross = (f"{num(failing)} {'fila no supera' if failing == 1 else 'filas no superan'} una "
                 "comprobación entre tablas (véase más abajo)")
    dated = tp["timestamp"] if len(tp) else opp["lead_at"]
    period = (f"{format_month(dated.min(), 'es')} a {format_month(dated.max(), 'es')}" if len(dated)
              else "ningún registro con fecha (revise las fechas de inicio y fin)")
    touches = (f"{num(len(tp))} ({format_pct((tp['team'] == 'marketing').mean(), 'es')} de "
               "marketing)" if len(tp) else
               "ninguno: no se puede construir ningún recorrido (revise la tabla de contactos y "
               "las fechas)")
    mixing = "ningún recorrido"
    if n_j:
        lo, hi = proportion_confint(n_mixed, n_j, alpha=1 - level, method="wilson")
        mixing = (f"{format_pct(n_mixed / n_j, 'es')} de {num(n_j)} recorridos "
                  f"({format_interval(lo, hi, format_pct, 'es', level=level)})")
    deals = (f"{num(len(won))} {'acuerdo' if len(won) == 1 else 'acuerdos'}, "
             f"{format_money(won['revenue'].sum(), 'es')} de ingresos" if len(opp) else
             "ninguno: la tabla de oportunidades no tiene filas")
    return [
        ("Periodo cubierto", period),
        ("Cuentas con actividad", num(active)),
        ("Contactos registrados", touches),
        ("Acuerdos ganados", deals),
        ("Recorridos que combinan marketing y ventas", mixing),
        ("Comprobaciones de los datos", f"{contract}; {cross}"),
    ]


# --------------------------------------------------------------------------------------------
# Figures (seaborn); each returns its Axes with a title and units
# --------------------------------------------------------------------------------------------
def _axes(ax: Axes | None, size: tuple[float, float] = (8, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _relabel_legend(ax: Axes, name: Callable[[str], str], title: str | None = None) -> None:
    """Rename the entries (and title) of a seaborn legend for the report's language."""
    legend = ax.get_legend()
    if legend is None:
        return
    for text in legend.get_texts():
        text.set_text(name(text.get_text()))
    if title is not None:
        legend.set_title(title)


def plot_funnel(funnel: pd.DataFrame, ax: Axes | None = None, language: str = "en") -> Axes:
    """Bar chart of leads reaching each stage (from :func:`funnel_counts`, optionally by group);
    title, axes, stages and teams in ``language``."""
    es = _lang(language) == "es"
    ax = _axes(ax)
    group = next((c for c in funnel.columns if c not in {
        "stage", "reached", "share_of_leads", "ci_low", "ci_high"}), None)
    data, order = funnel, list(FUNNEL_STAGES)
    if es:
        data = funnel.assign(stage=funnel["stage"].map(lambda v: stage_label(v, "es")))
        order = [stage_label(v, "es") for v in order]
    sns.barplot(data=data, x="stage", y="reached", hue=group, ax=ax,
                order=order, palette=TEAM_COLORS if group == "source_team" else None)
    if es:
        _ = ax.set_title("Leads que llegan a cada etapa del embudo")
        _ = ax.set(xlabel="Etapa del embudo", ylabel="Leads (número)")
        _relabel_legend(ax, lambda t: team_label(t, "es"),
                        "Equipo de origen" if group == "source_team" else None)
        return ax
    _ = ax.set_title("Leads reaching each funnel stage")
    _ = ax.set(xlabel="Funnel stage", ylabel="Leads (count)")
    return ax


def plot_journey_mix(mix: pd.DataFrame, ax: Axes | None = None, language: str = "en") -> Axes:
    """Share of journeys per composition with conversion rate labels (from ``journey_mix``);
    title, axes and compositions in ``language``."""
    es = _lang(language) == "es"
    ax = _axes(ax, (7, 3.5))
    sns.barplot(data=mix, x="journey_type", y="share", hue="journey_type", order=list(JOURNEY_TYPES),
                palette=TYPE_COLORS, legend=False, ax=ax)
    for i, row in mix.set_index("journey_type").reindex(list(JOURNEY_TYPES)).reset_index().iterrows():
        if row["journeys"] > 0:
            text = (f"convierte el {format_pct(row['conversion_rate'], 'es', decimals=0)}" if es
                    else f"converts {row['conversion_rate']:.0%}")
            _ = ax.annotate(text, (i, row["share"]), ha="center", va="bottom", fontsize=9)
    if es:
        ax.set_xticks(range(len(JOURNEY_TYPES)),
                      [journey_type_label(t, "es") for t in JOURNEY_TYPES])
        _ = ax.set_title("Quién contactó al cliente: parte de los recorridos según los equipos")
        _ = ax.set(xlabel="Composición del recorrido", ylabel="Parte de los recorridos")
        ax.yaxis.set_major_formatter(lambda v, _: format_pct(v, "es", decimals=0))
        return ax
    _ = ax.set_title("Who touched the customer: share of journeys by team mix")
    _ = ax.set(xlabel="Journey composition", ylabel="Share of journeys")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    return ax


def plot_journey_lengths(journeys: pd.DataFrame, ax: Axes | None = None,
                         max_touches: int = 30, language: str = "en") -> Axes:
    """Histogram of touches per journey by composition, converted or not (from ``.journeys``);
    title, axes and compositions in ``language``."""
    _require(journeys, ["n_touches", "journey_type"], "journeys")
    es = _lang(language) == "es"
    ax = _axes(ax)
    data = journeys.assign(n_touches=journeys["n_touches"].clip(upper=max_touches))
    sns.histplot(data=data, x="n_touches", hue="journey_type", hue_order=list(JOURNEY_TYPES),
                 palette=TYPE_COLORS, multiple="stack", discrete=True, ax=ax)
    if es:
        _relabel_legend(ax, lambda t: journey_type_label(t, "es"), "Recorrido")
        _ = ax.set_title(f"Contactos por recorrido (los recorridos con más de {max_touches} se "
                         f"muestran en {max_touches})")
        _ = ax.set(xlabel="Contactos del recorrido (número)", ylabel="Recorridos (número)")
        return ax
    _ = ax.set_title(f"Touches per journey (journeys with more than {max_touches} shown at {max_touches})")
    _ = ax.set(xlabel="Touches in the journey (count)", ylabel="Journeys (count)")
    return ax


def plot_spend(by_channel: pd.DataFrame, ax: Axes | None = None, language: str = "en") -> Axes:
    """Horizontal bars of total cost per channel, coloured by team (from :func:`spend_by_channel`);
    title, axes, channels and teams in ``language``, money in the report's currency."""
    es = _lang(language) == "es"
    ax = _axes(ax, (8, 5))
    data = by_channel.assign(cost_k=by_channel["cost"] / 1e3)
    if es:
        data = data.assign(channel=data["channel"].map(lambda c: channel_label(c, "es")))
    sns.barplot(data=data, y="channel", x="cost_k", hue="team", palette=TEAM_COLORS, dodge=False,
                ax=ax)
    if es:
        _relabel_legend(ax, lambda t: team_label(t, "es"), "Equipo")
        _ = ax.set_title("Gasto total por canal y equipo")
        _ = ax.set(xlabel=f"Coste ({money_unit('thousand', language='es')})", ylabel="Canal")
        return ax
    _ = ax.set_title("Total spend by channel and team")
    # the rest of the figure is in English: the unit too, in the report's currency
    _ = ax.set(xlabel=f"Cost ({money_unit('thousand', language='en')})", ylabel="Channel")
    return ax


def plot_monthly_spend(monthly: pd.DataFrame, ax: Axes | None = None,
                       language: str = "en") -> Axes:
    """Line chart of monthly cost per team (from :func:`monthly_spend`); title, axes and teams in
    ``language``, money in the report's currency."""
    es = _lang(language) == "es"
    ax = _axes(ax)
    data = monthly.assign(cost_k=monthly["cost"] / 1e3)
    sns.lineplot(data=data, x="period", y="cost_k", hue="team", palette=TEAM_COLORS, ax=ax)
    if es:
        _relabel_legend(ax, lambda t: team_label(t, "es"), "Equipo")
        _ = ax.set_title("Gasto mensual por equipo")
        _ = ax.set(xlabel="Mes", ylabel=f"Coste ({money_unit('thousand', language='es')} al mes)")
        return ax
    _ = ax.set_title("Monthly spend by team")
    _ = ax.set(xlabel="Month", ylabel=f"Cost ({money_unit('thousand', language='en')} per month)")
    return ax
