"""Data warnings: conditions of the data that limit what a report can claim, in plain words.

Each check is a pure function of contract tables (data/README.md) or of the journeys' path table and
returns a list of :class:`DataWarning` (empty when the data are fine). :func:`collect_warnings` runs
every check that applies to a :class:`smlib.io.Dataset`. Reports show the list near their top with
:func:`smlib.report.show_warnings`, and the report runner copies it into each report's provenance
JSON under ``warnings`` so that a scheduled run can alert on it.

Codes and thresholds (the module constants below; docs/data-warnings.md explains each one):

========================  ======================================================================
``separation``            a channel only in converting (or only in non-converting) journeys, or
                          channels that always occur together: data-driven credit not identifiable
``lookback_loss``         won deals with touches before the lookback window (> 1 % of won deals
                          or of won revenue)
``revenue_concentration`` top 1 % of won deals (at least one) or top 2 deals hold > 50 % of revenue
``zero_revenue_wins``     won deals with revenue 0 (any)
``no_spend`` ...          an optional table is missing or empty (``no_spend``, ``no_units``,
                          ``no_accounts``), or no unit adopted inside the data (``no_adoption``)
``degenerate_rate``       a funnel step at exactly 0 % or 100 % with at least 20 in the denominator
``data_start``            lead-to-won rate of the first or last 2 lead months > 2x or < 0.5x the
                          median of the months between (months with at least 30 leads)
========================  ======================================================================

Messages name no account or deal: counts, shares and channel names only. Every warning carries its
message in English (``message``) and Spanish (``message_es``); ``details`` holds the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from smlib import config
from smlib.narrative import channel_label, format_month, format_number, format_pct

if TYPE_CHECKING:
    from smlib.io import Dataset
    from smlib.journeys import Journeys

__all__ = [
    "CODES",
    "DataWarning",
    "SeparationReport",
    "collect_warnings",
    "data_start_warnings",
    "funnel_warnings",
    "lookback_warnings",
    "merge_always_together",
    "dropped_rows_warnings",
    "trimmed_space_warnings",
    "unbudgeted_channel_warnings",
    "missing_table_warnings",
    "revenue_warnings",
    "separated_channels",
    "separation_warnings",
]

#: Every code a check of this module can emit, in the order :func:`collect_warnings` runs them.
CODES: tuple[str, ...] = (
    "separation", "lookback_loss", "revenue_concentration", "zero_revenue_wins", "degenerate_rate",
    "data_start", "no_spend", "unbudgeted_channels", "no_units", "no_accounts", "no_adoption",
    "dropped_rows", "trimmed_spaces",
)

# --- thresholds (each one is stated in docs/data-warnings.md) -------------------------------------
#: ``lookback_loss`` fires when more than this share of won deals, or of won revenue, has touches
#: earlier than the lookback window.
LOOKBACK_MIN_SHARE: float = 0.01
#: ``revenue_concentration``: the top this-share of won deals (at least one deal) ...
CONCENTRATION_TOP_SHARE: float = 0.01
#: ... or the top this-many won deals ...
CONCENTRATION_TOP_N: int = 2
#: ... hold more than this share of won revenue.
CONCENTRATION_LIMIT: float = 0.5
#: ``zero_revenue_wins`` fires from this many won deals with revenue 0.
ZERO_REVENUE_MIN_DEALS: int = 1
#: ``degenerate_rate``: a step at exactly 0 % or 100 % counts only with at least this many in the
#: denominator (fewer records can give 0 % or 100 % by chance).
DEGENERATE_MIN_DENOMINATOR: int = 20
#: ``data_start``: how many lead months at each end of the data are compared ...
DATA_START_EDGE_MONTHS: int = 2
#: ... with the median lead-to-won rate of the months between; a ratio above this factor or below
#: its inverse fires ...
DATA_START_FACTOR: float = 2.0
#: ... for an edge month with at least this many leads (the middle months need as many to count).
DATA_START_MIN_LEADS: int = 30
#: ``data_start`` needs at least this many middle months (with enough leads) for a median.
DATA_START_MIN_MIDDLE_MONTHS: int = 3

_SEP = config.PATH_SEPARATOR
#: How channels that always occur together are named as one group.
GROUP_JOINER: str = " + "


# ------------------------------------------------------------------------------------ the record

def _json_safe(value: Any) -> Any:
    """Plain Python numbers, strings, lists and dicts (numpy scalars converted, NaN -> None)."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [_json_safe(v) for v in items]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass(frozen=True)
class DataWarning:
    """One warning about the data: a stable ``code``, a plain-English ``message`` for a business
    reader, the same in Spanish (``message_es``; empty = use the English one) and ``details``
    (numbers behind the message, JSON-safe)."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    message_es: str = ""

    def __post_init__(self) -> None:
        for name in ("code", "message"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"DataWarning.{name} must be a non-empty text, got {value!r}")
        if not isinstance(self.message_es, str):
            raise ValueError(f"DataWarning.message_es must be a text, got {self.message_es!r}")
        object.__setattr__(self, "details", _json_safe(dict(self.details or {})))

    def text(self, language: str = "en") -> str:
        """The message in ``language`` (``"en"`` or ``"es"``)."""
        if language not in ("en", "es"):
            raise ValueError(f"language must be 'en' or 'es', got {language!r}")
        return self.message_es if language == "es" and self.message_es else self.message

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        """``{"code", "message"}`` (message in ``language``) plus ``"details"`` when there are any."""
        out: dict[str, Any] = {"code": self.code, "message": self.text(language)}
        if self.details:
            out["details"] = dict(self.details)
        return out


def _w(code: str, en: str, es: str, **details: Any) -> DataWarning:
    return DataWarning(code, en, details, es)


def _n(x: float, lang: str) -> str:
    return format_number(x, 0, lang)


def _pct(x: float, lang: str) -> str:
    return format_pct(x, lang)


def _times(x: float, lang: str) -> str:
    return format_number(x, 1, lang) + "×"


def _join(items: Sequence[str], lang: str) -> str:
    word = " and " if lang == "en" else " y "
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + word + items[-1]


def _require(df: Any, columns: Iterable[str], what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing} (found {list(df.columns)})")
    return df


def _utc(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, utc=True).dt.as_unit("us")


# ------------------------------------------------------------------------------------ separation

@dataclass(frozen=True)
class SeparationReport:
    """Channels whose data-driven credit the data cannot identify (see :func:`separated_channels`).

    ``only_converting`` / ``only_non_converting``: channels that occur only in converting / only in
    non-converting journeys; ``always_together``: groups (sorted, two or more channels) that occur in
    exactly the same journeys; ``journeys``: per channel, ``(converting, non_converting)`` journeys it
    occurs in; ``converting`` / ``non_converting``: journeys in the path table.
    """

    only_converting: tuple[str, ...]
    only_non_converting: tuple[str, ...]
    always_together: tuple[tuple[str, ...], ...]
    journeys: dict[str, tuple[int, int]]
    converting: int
    non_converting: int

    @property
    def affected(self) -> tuple[str, ...]:
        """Every channel whose data-driven credit is not identifiable, sorted."""
        out = set(self.only_converting) | set(self.only_non_converting)
        for g in self.always_together:
            out |= set(g)
        if self.converting == 0 or self.non_converting == 0:
            out |= set(self.journeys)
        return tuple(sorted(out))

    @property
    def ok(self) -> bool:
        """True when every channel's data-driven credit can be estimated from these journeys."""
        return not self.affected

    def group_of(self) -> dict[str, str]:
        """Channel -> the name shown for its always-together group (``"a + b"``); others unchanged."""
        out = {c: c for c in self.journeys}
        for g in self.always_together:
            for c in g:
                out[c] = GROUP_JOINER.join(g)
        return out


def _check_paths(paths: pd.DataFrame) -> pd.DataFrame:
    _require(paths, ("path", "total_conversions", "total_null"), "paths")
    df = paths[["path", "total_conversions", "total_null"]].copy()
    df["total_conversions"] = pd.to_numeric(df["total_conversions"]).fillna(0)
    df["total_null"] = pd.to_numeric(df["total_null"]).fillna(0)
    if (df["total_conversions"] < 0).any() or (df["total_null"] < 0).any():
        raise ValueError("paths: total_conversions and total_null must be >= 0")
    df = df[(df["total_conversions"] + df["total_null"]) > 0]
    return df[df["path"].notna() & df["path"].astype(str).str.strip().ne("")]


def separated_channels(paths: pd.DataFrame) -> SeparationReport:
    """Which channels the journeys cannot tell apart from the outcome or from each other.

    ``paths`` is a path table (``journeys.paths``: ``path`` with channels joined by ``" > "``,
    ``total_conversions``, ``total_null``). A channel that occurs only in converting journeys (or
    only in non-converting ones) is perfectly separated: a data-driven model (logistic, Markov,
    Shapley, incremental) cannot estimate its effect, only the fact that it was there when the deal
    was won. Channels that always occur together — each occurs in exactly the same journeys — cannot
    be told apart at all: only their joint credit is identifiable. Repeats of a channel within a
    journey do not matter; a channel counts once per journey.
    """
    df = _check_paths(paths).reset_index(drop=True)
    conv_total, null_total = int(df["total_conversions"].sum()), int(df["total_null"].sum())
    if df.empty:
        return SeparationReport((), (), (), {}, conv_total, null_total)
    long = (df.assign(channel=df["path"].astype(str).str.split(_SEP, regex=False))
            .explode("channel").rename_axis("row").reset_index())
    long["channel"] = long["channel"].str.strip()
    long = long[long["channel"].ne("")].drop_duplicates(["row", "channel"])
    per = long.groupby("channel", sort=True).agg(conv=("total_conversions", "sum"),
                                                 null=("total_null", "sum"))
    only_conv = tuple(per.index[(per["conv"] > 0) & (per["null"] == 0)])
    only_null = tuple(per.index[(per["conv"] == 0) & (per["null"] > 0)])
    by_rows: dict[tuple[int, ...], list[str]] = {}
    for channel, rows in long.groupby("channel", sort=True)["row"]:
        by_rows.setdefault(tuple(sorted(rows)), []).append(str(channel))
    together = tuple(sorted(tuple(sorted(g)) for g in by_rows.values() if len(g) > 1))
    journeys = {str(c): (int(r["conv"]), int(r["null"])) for c, r in per.iterrows()}
    # With no converting (or no non-converting) journey at all, every channel is separated: the
    # per-channel lists say so through `affected`; they stay limited to the informative cases.
    if conv_total == 0 or null_total == 0:
        only_conv, only_null = (), ()
    return SeparationReport(only_conv, only_null, together, journeys, conv_total, null_total)


def merge_always_together(paths: pd.DataFrame, report: SeparationReport | None = None) -> pd.DataFrame:
    """The path table with every always-together group of channels renamed to one channel.

    Each channel of a group becomes ``"a + b"`` (the group's channels, sorted, joined by
    :data:`GROUP_JOINER`), so data-driven models give the group one joint credit instead of an
    arbitrary split. Rows that become the same path are summed (all numeric columns). ``report``
    defaults to :func:`separated_channels` of ``paths``. Returns a new frame sorted by path.
    """
    rep = report if report is not None else separated_channels(paths)
    _require(paths, ("path",), "paths")
    if not rep.always_together:
        return paths.copy()
    mapping = rep.group_of()

    def rename(path: Any) -> Any:
        if not isinstance(path, str):
            return path
        return _SEP.join(mapping.get(c.strip(), c) for c in path.split(_SEP))

    out = paths.copy()
    out["path"] = out["path"].map(rename)
    numeric = [c for c in out.columns if c != "path" and pd.api.types.is_numeric_dtype(out[c])]
    return out.groupby("path", sort=True, as_index=False)[numeric].sum()


def _labels(channels: Iterable[str], lang: str) -> list[str]:
    return [channel_label(c, lang) for c in channels]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _journeys_with(paths: pd.DataFrame, channels: Iterable[str]) -> int:
    """Journeys (converting + non-converting) in which any of ``channels`` occurs."""
    df = _check_paths(paths)
    want = set(channels)
    hit = df["path"].astype(str).map(lambda p: not want.isdisjoint(c.strip() for c in p.split(_SEP)))
    return int((df["total_conversions"] + df["total_null"])[hit].sum())


def separation_warnings(paths: pd.DataFrame) -> list[DataWarning]:
    """``separation`` warnings for a path table (see :func:`separated_channels`).

    One warning per kind: channels only in converting journeys, channels only in non-converting
    journeys, groups of channels that always occur together, and the extreme case of a path table
    with no converting (or no non-converting) journey at all. Fires on any such channel, however
    few journeys it occurs in.
    """
    rep = separated_channels(paths)
    out: list[DataWarning] = []
    if not rep.journeys:
        return out
    if rep.converting == 0 or rep.non_converting == 0:
        none_en = "converted" if rep.converting == 0 else "failed to convert"
        none_es = "convirtió" if rep.converting == 0 else "dejó de convertir"
        out.append(_w(
            "separation",
            f"No journey in this data {none_en}, so data-driven attribution cannot compare journeys "
            "that led to a sale with journeys that did not: its credit is not identifiable for any "
            "channel. The report shows rule-based models only and names no data-driven model to trust.",
            f"Ningún recorrido de estos datos {none_es}, así que la atribución basada en datos no puede "
            "comparar recorridos que acabaron en venta con otros que no: su crédito no es identificable "
            "para ningún canal. El informe muestra solo modelos de reglas y no recomienda ningún "
            "modelo basado en datos.",
            kind="no_converting" if rep.converting == 0 else "no_non_converting",
            converting_journeys=rep.converting, non_converting_journeys=rep.non_converting,
            channels=sorted(rep.journeys)))
        return out
    for kind, channels in (("only_converting", rep.only_converting),
                           ("only_non_converting", rep.only_non_converting)):
        if not channels:
            continue
        n = _journeys_with(paths, channels)
        many = len(channels) > 1
        if kind == "only_converting":
            en = (f"{_cap(_join(_labels(channels, 'en'), 'en'))} {'occur' if many else 'occurs'} "
                  f"only in journeys that ended in a won deal ({_n(n, 'en')} journey{'s' if n != 1 else ''}). "
                  "Data-driven models cannot tell how much of the sale "
                  f"{'they' if many else 'it'} caused: that credit is not identifiable, so the report "
                  "does not rely on it when it names a model to trust.")
            es = (f"{_cap(_join(_labels(channels, 'es'), 'es'))} solo "
                  f"{'aparecen' if many else 'aparece'} en recorridos que acabaron en un acuerdo ganado ({_n(n, 'es')} "
                  f"recorrido{'s' if n != 1 else ''}). Los modelos basados en datos no pueden saber "
                  "qué parte de la venta se les debe: ese crédito no es identificable, y el informe no "
                  "se apoya en él al recomendar un modelo.")
        else:
            en = (f"{_cap(_join(_labels(channels, 'en'), 'en'))} {'occur' if many else 'occurs'} "
                  f"only in journeys that did not end in a won deal ({_n(n, 'en')} "
                  f"journey{'s' if n != 1 else ''}). Data-driven credit for "
                  f"{'them' if many else 'it'} is pinned at zero by the data rather than measured, so "
                  "it is not identifiable and the report does not rely on it when it names a model "
                  "to trust.")
            es = (f"{_cap(_join(_labels(channels, 'es'), 'es'))} solo "
                  f"{'aparecen' if many else 'aparece'} en recorridos que no acabaron en un acuerdo "
                  f"ganado ({_n(n, 'es')} "
                  f"recorrido{'s' if n != 1 else ''}). Su crédito basado en datos queda fijado en cero "
                  "por los datos, no medido: no es identificable, y el informe no se apoya en él al "
                  "recomendar un modelo.")
        out.append(_w("separation", en, es, kind=kind, channels=list(channels),
                      journeys={c: sum(rep.journeys[c]) for c in channels}))
    if rep.always_together:
        groups_en = "; ".join(_join(_labels(g, "en"), "en") for g in rep.always_together)
        groups_es = "; ".join(_join(_labels(g, "es"), "es") for g in rep.always_together)
        many = len(rep.always_together) > 1
        en = (f"These channels always occur in the same journeys: {groups_en}. No model can split "
              f"credit between them, so the report treats {'each group' if many else 'them'} as one "
              "channel and names no model to trust on the strength of their separate credit.")
        es = (f"Estos canales aparecen siempre en los mismos recorridos: {groups_es}. Ningún modelo "
              f"puede repartir el crédito entre ellos, así que el informe trata "
              f"{'cada grupo' if many else 'el grupo'} como un solo canal y no recomienda ningún "
              "modelo por su crédito por separado.")
        out.append(_w("separation", en, es, kind="always_together",
                      groups=[list(g) for g in rep.always_together],
                      journeys={GROUP_JOINER.join(g): sum(rep.journeys[g[0]])
                                for g in rep.always_together}))
    return out


# ---------------------------------------------------------------------------------- lookback loss

def lookback_loss(touchpoints: pd.DataFrame, opportunities: pd.DataFrame,
                  lookback_days: float = config.DEFAULT_LOOKBACK_DAYS) -> pd.DataFrame:
    """Per conversion, the touches the lookback window keeps and drops, as :mod:`smlib.journeys` does.

    A conversion is an account's won deals closing at one instant (revenue summed). A touch belongs
    to the first conversion at or after it; it is dropped when more than ``lookback_days`` before
    that conversion. Touches after an account's last conversion form its non-converting tail, whose
    window ends at its last touch (one row with ``converted`` False and ``closed_at`` NaT).
    Columns: ``account_id, closed_at, converted, deals, revenue, touches_kept, touches_outside``.
    Won deals with no touch at all get a row with both counts 0. The sum of ``touches_outside``
    equals ``Journeys.stats["touches_outside_lookback"]``.
    """
    _require(touchpoints, ("account_id", "timestamp"), "touchpoints")
    _require(opportunities, ("account_id", "outcome", "revenue", "closed_at"), "opportunities")
    window = pd.Timedelta(microseconds=int(round(float(lookback_days) * 86_400_000_000)))
    tp = pd.DataFrame({"account_id": touchpoints["account_id"].astype(str).to_numpy(),
                       "ts": _utc(touchpoints["timestamp"]).to_numpy()})
    tp["ts"] = _utc(tp["ts"])
    won = opportunities.loc[opportunities["outcome"].eq("won")]
    conv = (pd.DataFrame({"account_id": won["account_id"].astype(str).to_numpy(),
                          "closed_at": _utc(won["closed_at"]).to_numpy(),
                          "revenue": pd.to_numeric(won["revenue"]).to_numpy()})
            .groupby(["account_id", "closed_at"], as_index=False)
            .agg(deals=("revenue", "size"), revenue=("revenue", "sum")))
    conv["closed_at"] = _utc(conv["closed_at"])
    cols = ["account_id", "closed_at", "converted", "deals", "revenue", "touches_kept",
            "touches_outside"]
    if tp.empty:
        out = conv.assign(converted=True, touches_kept=0, touches_outside=0)
        return out[cols]
    right = conv[["account_id", "closed_at"]].sort_values("closed_at")
    left = tp.sort_values("ts")
    left["account_id"] = left["account_id"].astype(object)  # same key dtype, also when empty
    right["account_id"] = right["account_id"].astype(object)
    m = pd.merge_asof(left, right, left_on="ts", right_on="closed_at", by="account_id",
                      direction="forward", allow_exact_matches=True)
    last = m.groupby("account_id")["ts"].transform("max")
    end = m["closed_at"].where(m["closed_at"].notna(), last)
    m["outside"] = (m["ts"] < end - window).astype(int)
    m["kept"] = 1 - m["outside"]
    m["converted"] = m["closed_at"].notna()
    conv_touch = (m[m["converted"]].groupby(["account_id", "closed_at"], as_index=False)
                  .agg(touches_kept=("kept", "sum"), touches_outside=("outside", "sum")))
    conv_out = conv.merge(conv_touch, on=["account_id", "closed_at"], how="left")
    conv_out[["touches_kept", "touches_outside"]] = (
        conv_out[["touches_kept", "touches_outside"]].fillna(0).astype(int))
    conv_out["converted"] = True
    tail = (m[~m["converted"]].groupby("account_id", as_index=False)
            .agg(touches_kept=("kept", "sum"), touches_outside=("outside", "sum")))
    tail = tail.assign(closed_at=pd.NaT, converted=False, deals=0, revenue=0.0)
    tail["closed_at"] = _utc(tail["closed_at"])
    parts = [p[cols] for p in (conv_out, tail) if len(p)]
    if not parts:
        return conv_out[cols]
    return pd.concat(parts, ignore_index=True)


def lookback_warnings(touchpoints: pd.DataFrame, opportunities: pd.DataFrame,
                      lookback_days: float = config.DEFAULT_LOOKBACK_DAYS,
                      journeys: Journeys | None = None) -> list[DataWarning]:
    """``lookback_loss``: won deals with touches of the same account before the lookback window.

    Fires when more than :data:`LOOKBACK_MIN_SHARE` of won deals, or of won revenue, belongs to a
    conversion that lost touches to the window (:func:`lookback_loss`). Those touches get no credit
    in any model; deals that lost every touch are left out of attribution altogether (they are
    ``Journeys.stats["conversions_without_touches"]``). The per-deal count needs the touch log:
    ``Journeys`` keeps only the touches inside the window. With ``journeys`` given (built with the
    same window), a journey set with no dropped touch returns early.
    """
    if journeys is not None and journeys.stats.get("touches_outside_lookback", 1) == 0:
        return []
    per = lookback_loss(touchpoints, opportunities, lookback_days)
    won = per[per["converted"]]
    n_won = int(won["deals"].sum())
    total_rev = float(won["revenue"].sum())
    hit = won[won["touches_outside"] > 0]
    if n_won == 0 or hit.empty:
        return []
    n_hit = int(hit["deals"].sum())
    share = n_hit / n_won
    rev_share = float(hit["revenue"].sum()) / total_rev if total_rev > 0 else 0.0
    if share <= LOOKBACK_MIN_SHARE and rev_share <= LOOKBACK_MIN_SHARE:
        return []
    n_all_lost = int(hit.loc[hit["touches_kept"] == 0, "deals"].sum())
    days = format_number(lookback_days, 0 if float(lookback_days).is_integer() else 1, "en")
    days_es = format_number(lookback_days, 0 if float(lookback_days).is_integer() else 1, "es")
    en = (f"{_n(n_hit, 'en')} of {_n(n_won, 'en')} won deals ({_pct(share, 'en')}), carrying "
          f"{_pct(rev_share, 'en')} of won revenue, had touches earlier than the {days}-day lookback "
          "window; those touches get no credit in any model.")
    es = (f"{_n(n_hit, 'es')} de {_n(n_won, 'es')} acuerdos ganados ({_pct(share, 'es')}), con el "
          f"{_pct(rev_share, 'es')} de los ingresos ganados, tuvieron contactos anteriores a la "
          f"ventana de {days_es} días; esos contactos no reciben crédito en ningún modelo.")
    if n_all_lost:
        en += (f" {_n(n_all_lost, 'en')} of them had no touch inside the window and are left out "
               "of attribution entirely.")
        es += (f" {_n(n_all_lost, 'es')} de ellos no tuvieron ningún contacto dentro de la ventana "
               "y quedan fuera de la atribución.")
    en += " A longer lookback window would keep them."
    es += " Una ventana más larga los conservaría."
    return [_w("lookback_loss", en, es, lookback_days=float(lookback_days), won_deals=n_won,
               affected_deals=n_hit, affected_share=share, revenue_share=rev_share,
               deals_without_kept_touches=n_all_lost,
               touches_outside=int(hit["touches_outside"].sum()),
               threshold=LOOKBACK_MIN_SHARE)]


# ---------------------------------------------------------------------------------------- revenue

def revenue_warnings(opportunities: pd.DataFrame) -> list[DataWarning]:
    """``revenue_concentration`` and ``zero_revenue_wins`` for the won deals.

    ``revenue_concentration``: the top :data:`CONCENTRATION_TOP_SHARE` of won deals by revenue (at
    least one deal) or the top :data:`CONCENTRATION_TOP_N` deals hold more than
    :data:`CONCENTRATION_LIMIT` of won revenue: revenue-based results then hinge on those few deals.
    ``zero_revenue_wins``: at least :data:`ZERO_REVENUE_MIN_DEALS` won deals with revenue 0 (they
    count as wins but add nothing to revenue-weighted credit, ROI or LTV).
    """
    _require(opportunities, ("outcome", "revenue"), "opportunities")
    rev = pd.to_numeric(opportunities.loc[opportunities["outcome"].eq("won"), "revenue"]).fillna(0.0)
    n = len(rev)
    out: list[DataWarning] = []
    if n == 0:
        return out
    total = float(rev.sum())
    if total > 0:
        top = np.sort(rev.to_numpy())[::-1]
        k = max(1, math.ceil(CONCENTRATION_TOP_SHARE * n))
        share_k = float(top[:k].sum()) / total
        n2 = min(CONCENTRATION_TOP_N, n)
        share_2 = float(top[:n2].sum()) / total
        if share_k > CONCENTRATION_LIMIT or share_2 > CONCENTRATION_LIMIT:
            # say the rule that fired with the smaller number of deals
            use_k = share_k > CONCENTRATION_LIMIT and (k <= n2 or share_2 <= CONCENTRATION_LIMIT)
            deals, share = (k, share_k) if use_k else (n2, share_2)
            one = deals == 1
            if deals >= n:  # every won deal is among the top ones: say how few there are
                few_en = "is only one won deal" if n == 1 else f"are only {_n(n, 'en')} won deals"
                few_es = "Solo hay un acuerdo ganado" if n == 1 else f"Solo hay {_n(n, 'es')} acuerdos ganados"
                en = (f"There {few_en}, so revenue-based figures (revenue credit per channel, ROI, LTV) rest on "
                      f"{'it' if n == 1 else 'them'} alone; read them as examples, not as a trend.")
                es = (f"{few_es}, así que las cifras basadas en ingresos (crédito en ingresos por canal, ROI, "
                      f"LTV) dependen solo de {'él' if n == 1 else 'ellos'}; son ejemplos, no una "
                      "tendencia.")
            else:
                en = (f"{'The largest' if one else 'The ' + _n(deals, 'en') + ' largest'} of "
                      f"{_n(n, 'en')} won deals {'holds' if one else 'hold'} {_pct(share, 'en')} of "
                      "won revenue. Revenue-based figures (revenue credit per channel, ROI, LTV) "
                      f"depend on {'that deal' if one else 'those deals'}; deal counts are the "
                      "steadier measure.")
                es = (f"{'El mayor' if one else 'Los ' + _n(deals, 'es') + ' mayores'} de los "
                      f"{_n(n, 'es')} acuerdos ganados {'concentra' if one else 'concentran'} el "
                      f"{_pct(share, 'es')} de los ingresos ganados. Las cifras basadas en ingresos "
                      "(crédito en ingresos por canal, ROI, LTV) dependen de "
                      f"{'ese acuerdo' if one else 'esos acuerdos'}; el número de acuerdos es la "
                      "medida más estable.")
            out.append(_w("revenue_concentration", en, es, won_deals=n, top_deals=deals,
                          top_share=share, top_1pct_deals=k, top_1pct_share=share_k,
                          top_2_share=share_2, limit=CONCENTRATION_LIMIT))
    zero = int((rev == 0).sum())
    if zero >= ZERO_REVENUE_MIN_DEALS:
        share = zero / n
        en = (f"{_n(zero, 'en')} of {_n(n, 'en')} won deals ({_pct(share, 'en')}) have revenue 0. "
              "They count as wins but add nothing to revenue, ROI or LTV; check whether their "
              "revenue is missing rather than truly zero.")
        es = (f"{_n(zero, 'es')} de {_n(n, 'es')} acuerdos ganados ({_pct(share, 'es')}) tienen "
              "ingresos 0. Cuentan como ganados pero no suman a los ingresos, el ROI ni el LTV; "
              "conviene comprobar si falta el importe en lugar de ser realmente cero.")
        out.append(_w("zero_revenue_wins", en, es, won_deals=n, zero_revenue_deals=zero,
                      share=share))
    return out


# ------------------------------------------------------------------------------- missing tables

def _absent(dataset: Any, table: str) -> bool:
    if table in tuple(getattr(dataset, "missing", ()) or ()):
        return True
    df = getattr(dataset, table, None)
    return df is None or len(df) == 0


_TABLE_TEXT = {
    "spend": (
        "no_spend",
        "This data has no spend table (cost by month, channel and team), so the cost-based figures "
        "are skipped: cost per customer (CAC), ROI, ROAS, payback and LTV:CAC by channel and team.",
        "Estos datos no tienen tabla de gasto (coste por mes, canal y equipo), así que se omiten las "
        "cifras basadas en costes: coste por cliente (CAC), ROI, ROAS, recuperación y LTV:CAC por "
        "canal y equipo."),
    "units": (
        "no_units",
        "This data has no business-unit table (revenue by unit and month with the month each unit "
        "integrated marketing and sales), so the estimate of the revenue uplift from integration "
        "is skipped.",
        "Estos datos no tienen tabla de unidades de negocio (ingresos por unidad y mes, con el mes en "
        "que cada unidad integró marketing y ventas), así que se omite la estimación del aumento de "
        "ingresos por la integración."),
    "accounts": (
        "no_accounts",
        "This data has no accounts table (segment, size and integrated flag per account), so the "
        "account-level checks of the integration uplift and the splits by segment are skipped.",
        "Estos datos no tienen tabla de cuentas (segmento, tamaño e indicador de integración por "
        "cuenta), así que se omiten las comprobaciones por cuenta del efecto de la integración y los "
        "desgloses por segmento."),
}


def _adoption_warning(units: pd.DataFrame) -> DataWarning | None:
    if not {"unit_id", "period"} <= set(units.columns):
        return None
    periods = pd.to_datetime(units["period"])
    first, last = periods.min(), periods.max()
    n_units = int(units["unit_id"].nunique())
    if "adoption_period" in units.columns:
        adoption = pd.to_datetime(units["adoption_period"]).groupby(units["unit_id"]).first()
    else:
        adoption = pd.Series(pd.NaT, index=pd.Index(units["unit_id"].unique()))
    never = int(adoption.isna().sum())
    after = int((adoption > last).sum())
    before = int((adoption <= first).sum())
    inside = n_units - never - after - before
    if inside > 0:
        return None
    start_en, end_en = format_month(first, "en"), format_month(last, "en")
    start_es, end_es = format_month(first, "es"), format_month(last, "es")
    if never == n_units:
        why_en = f"none of the {_n(n_units, 'en')} business units has an adoption date (none integrated)"
        why_es = (f"ninguna de las {_n(n_units, 'es')} unidades de negocio tiene fecha de adopción "
                  "(ninguna se integró)")
        reason = "never"
    elif after + never == n_units:
        why_en = (f"every adoption date is after the last month of data ({end_en}): "
                  f"{_n(after, 'en')} units adopt later, {_n(never, 'en')} never")
        why_es = (f"todas las fechas de adopción son posteriores al último mes de datos ({end_es}): "
                  f"{_n(after, 'es')} unidades adoptan después, {_n(never, 'es')} nunca")
        reason = "after_end"
    elif before + never == n_units:
        why_en = (f"every unit that integrated did so in or before the first month of data "
                  f"({start_en}), so there are no months before integration to compare with")
        why_es = (f"todas las unidades que se integraron lo hicieron en el primer mes de datos "
                  f"({start_es}) o antes, así que no hay meses previos con los que comparar")
        reason = "before_start"
    else:
        why_en = (f"no unit integrated between {start_en} and {end_en}: {_n(before, 'en')} did so at "
                  f"or before the start, {_n(after, 'en')} after the end, {_n(never, 'en')} never")
        why_es = (f"ninguna unidad se integró entre {start_es} y {end_es}: {_n(before, 'es')} lo hizo "
                  f"al principio o antes, {_n(after, 'es')} después del final, {_n(never, 'es')} nunca")
        reason = "outside"
    en = (f"The integration uplift cannot be estimated: {why_en}. Integrated and non-integrated "
          "revenue cannot be compared inside this data, so that analysis is skipped.")
    es = (f"No se puede estimar el efecto de la integración: {why_es}. Dentro de estos datos no se "
          "pueden comparar ingresos con y sin integración, así que ese análisis se omite.")
    return _w("no_adoption", en, es, reason=reason, units=n_units, never=never,
              after_end=after, at_or_before_start=before, first_period=first, last_period=last)


def missing_table_warnings(dataset: Dataset) -> list[DataWarning]:
    """``no_spend``, ``no_units``, ``no_accounts`` and ``no_adoption``: analyses this data cannot run.

    A table counts as missing when it is listed in ``dataset.missing`` (loaders that allow optional
    tables) or has no rows; a spend table whose costs are all 0 gives ``no_spend`` too. ``no_adoption`` fires when a units table exists but no unit adopted
    integration inside the data: every ``adoption_period`` is empty (never), after the last
    ``period``, or at or before the first one (no month before integration), the same rule as
    :func:`smlib.causal.claims.panel_gap`. The message says which of these holds.
    """
    out: list[DataWarning] = []
    for table in ("spend", "units", "accounts"):
        if _absent(dataset, table):
            code, en, es = _TABLE_TEXT[table]
            out.append(_w(code, en, es, table=table))
    spend = getattr(dataset, "spend", None)
    if not _absent(dataset, "spend") and "cost" in spend and not (spend["cost"] > 0).any():
        out.append(_w(
            "no_spend",
            f"The spend table has {_n(len(spend), 'en')} rows but every cost is 0, so the "
            "cost-based figures are skipped: cost per customer (CAC), ROI, ROAS, payback and "
            "LTV:CAC by channel and team.",
            f"La tabla de gasto tiene {_n(len(spend), 'es')} filas pero todos los costes son 0, así "
            "que se omiten las cifras basadas en costes: coste por cliente (CAC), ROI, ROAS, "
            "recuperación y LTV:CAC por canal y equipo.", table="spend", reason="all_zero"))
    if not _absent(dataset, "units"):
        w = _adoption_warning(dataset.units)
        if w is not None:
            out.append(w)
    return out


# ----------------------------------------------------------------------------------------- funnel

#: The funnel steps' names in Spanish (the English names are the warnings' ``step`` details).
_STEP_ES: dict[str, str] = {
    "lead → MQL": "lead → MQL", "MQL → SQL": "MQL → SQL", "SQL → opportunity": "SQL → oportunidad",
    "opportunity → won": "oportunidad → ganada", "closed → won": "cerrada → ganada",
}


def _funnel_steps(opp: pd.DataFrame) -> list[dict[str, Any]]:
    """(name, denominator mask, numerator mask, definition en/es, noun en/es) of each step."""
    has = {c: (opp[c].notna() if c in opp.columns else None)
           for c in ("mql_at", "sql_at", "opportunity_at")}
    won, lost = opp["outcome"].eq("won"), opp["outcome"].eq("lost")
    closed = won | lost
    steps = []
    if has["mql_at"] is not None:
        if "source_team" in opp.columns:
            pop = ~opp["source_team"].eq("sales")
            d_en = "leads with an MQL date / leads not sourced by sales (source_team ≠ sales)"
            d_es = "leads con fecha de MQL / leads no generados por ventas (source_team ≠ sales)"
            noun_en, noun_es = "marketing-sourced leads", "leads de marketing"
        else:
            pop = pd.Series(True, index=opp.index)
            d_en, d_es = "leads with an MQL date / all leads", "leads con fecha de MQL / todos los leads"
            noun_en, noun_es = "leads", "leads"
        steps.append(dict(step="lead → MQL", pop=pop, hit=has["mql_at"], d_en=d_en, d_es=d_es,
                          noun_en=noun_en, noun_es=noun_es))
        if has["sql_at"] is not None:
            steps.append(dict(step="MQL → SQL", pop=has["mql_at"], hit=has["sql_at"],
                              d_en="MQLs with an SQL date / MQLs (leads with an MQL date)",
                              d_es="MQL con fecha de SQL / MQL (leads con fecha de MQL)",
                              noun_en="MQLs", noun_es="MQL"))
    if has["sql_at"] is not None and has["opportunity_at"] is not None:
        steps.append(dict(step="SQL → opportunity", pop=has["sql_at"], hit=has["opportunity_at"],
                          d_en="SQLs with an opportunity date / SQLs (leads with an SQL date)",
                          d_es="SQL con fecha de oportunidad / SQL (leads con fecha de SQL)",
                          noun_en="SQLs", noun_es="SQL"))
    if has["opportunity_at"] is not None:
        steps.append(dict(step="opportunity → won", pop=(has["opportunity_at"] | won) & closed,
                          hit=won,
                          d_en="won / (won + lost) among deals that reached the opportunity stage; "
                               "open deals excluded",
                          d_es="ganadas / (ganadas + perdidas) entre los acuerdos que llegaron a "
                               "oportunidad; sin los abiertos",
                          noun_en="closed opportunities", noun_es="oportunidades cerradas"))
    steps.append(dict(step="closed → won", pop=closed, hit=won,
                      d_en="won / (won + lost) among all closed leads, at any stage",
                      d_es="ganados / (ganados + perdidos) entre todos los leads cerrados, en "
                           "cualquier etapa",
                      noun_en="closed leads", noun_es="leads cerrados"))
    return steps


def funnel_warnings(opportunities: pd.DataFrame) -> list[DataWarning]:
    """``degenerate_rate``: a funnel step at exactly 0 % or 100 %, with the definition used.

    Steps: lead → MQL (leads not sourced by sales, when ``source_team`` exists), MQL → SQL,
    SQL → opportunity, opportunity → won among closed deals that reached the opportunity stage
    (the win rate of :func:`smlib.metrics.win_rate`), and closed → won among all closed leads. A
    step needs at least :data:`DEGENERATE_MIN_DENOMINATOR` records in its denominator; steps whose
    columns are absent are skipped. A rate of exactly 0 % or 100 % usually reflects how the data
    were recorded (a stage filled in automatically, or lost deals closed before the opportunity
    stage), not performance.
    """
    _require(opportunities, ("outcome",), "opportunities")
    opp = opportunities
    out: list[DataWarning] = []
    for s in _funnel_steps(opp):
        pop, hit = s["pop"].fillna(False).astype(bool), s["hit"].fillna(False).astype(bool)
        den = int(pop.sum())
        num = int((pop & hit).sum())
        if den < DEGENERATE_MIN_DENOMINATOR or 0 < num < den:
            continue
        rate = num / den
        step_es = _STEP_ES.get(s["step"], s["step"])
        if rate == 1:
            en = (f"Funnel step {s['step']} is 100 %: all {_n(den, 'en')} {s['noun_en']} passed "
                  f"it. Definition used: {s['d_en']}.")
            es = (f"La etapa del embudo {step_es} es del 100 %: todos los casos "
                  f"({_n(den, 'es')} {s['noun_es']}) la pasaron. Definición usada: {s['d_es']}.")
        else:
            en = (f"Funnel step {s['step']} is 0 %: none of the {_n(den, 'en')} {s['noun_en']} "
                  f"passed it. Definition used: {s['d_en']}.")
            es = (f"La etapa del embudo {step_es} es del 0 %: ninguno de los casos "
                  f"({_n(den, 'es')} {s['noun_es']}) la pasó. Definición usada: {s['d_es']}.")
        extra_en = extra_es = ""
        if s["step"] == "opportunity → won" and rate == 1 and "opportunity_at" in opp.columns:
            lost_early = int((opp["outcome"].eq("lost") & opp["opportunity_at"].isna()).sum())
            if lost_early:
                extra_en = (f" The {_n(lost_early, 'en')} lost deals all closed before the "
                            "opportunity stage, so this win rate says nothing about selling; read "
                            "closed → won instead.")
                extra_es = (f" Los {_n(lost_early, 'es')} acuerdos perdidos se cerraron antes de la "
                            "etapa de oportunidad, así que esta tasa de cierre no dice nada sobre la "
                            "venta; mejor leer cerrada → ganada.")
        en += (extra_en or " A rate of exactly " + ("100 %" if rate == 1 else "0 %") +
               " usually reflects how the data were recorded, not performance; the report does not "
               "read this step as a result.")
        es += (extra_es or " Una tasa de exactamente el " + ("100 %" if rate == 1 else "0 %") +
               " suele deberse a cómo se registraron los datos, no al rendimiento; el informe no "
               "interpreta esta etapa como un resultado.")
        out.append(_w("degenerate_rate", en, es, step=s["step"], rate=rate, numerator=num,
                      denominator=den, definition=s["d_en"],
                      min_denominator=DEGENERATE_MIN_DENOMINATOR))
    return out


# ------------------------------------------------------------------------------------- data start

def _lead_months(opportunities: pd.DataFrame) -> pd.DataFrame:
    lead = _utc(opportunities["lead_at"])
    month = lead.dt.tz_localize(None).dt.to_period("M")
    df = pd.DataFrame({"month": month, "won": opportunities["outcome"].eq("won").to_numpy(),
                       "open": opportunities["outcome"].eq("open").to_numpy()}).dropna()
    g = df.groupby("month").agg(leads=("won", "size"), won=("won", "sum"), open=("open", "sum"))
    if g.empty:
        return g
    full = pd.period_range(g.index.min(), g.index.max(), freq="M")
    g = g.reindex(full, fill_value=0)
    g["rate"] = np.where(g["leads"] > 0, g["won"] / g["leads"].clip(lower=1), np.nan)
    return g


def data_start_warnings(opportunities: pd.DataFrame) -> list[DataWarning]:
    """``data_start``: the lead-to-won rate jumps in the first or last months of the data.

    Rule: the lead-to-won rate (leads of the month that are won by the end of the data / leads of
    the month, by the month of ``lead_at``) of each of the first and last
    :data:`DATA_START_EDGE_MONTHS` months with at least :data:`DATA_START_MIN_LEADS` leads is compared
    with the median rate of the months between (those with as many leads; at least
    :data:`DATA_START_MIN_MIDDLE_MONTHS` of them). A ratio above :data:`DATA_START_FACTOR` or below
    its inverse fires, once for the start and once for the end. A low rate in the last months is
    expected (recent leads have had less time to close: right truncation) and is worded as such,
    with the share of those leads still open; a jump at the start usually means the data begin in
    the middle of the funnel (left truncation).
    """
    _require(opportunities, ("lead_at", "outcome"), "opportunities")
    g = _lead_months(opportunities)
    edge = DATA_START_EDGE_MONTHS
    if len(g) < 2 * edge + DATA_START_MIN_MIDDLE_MONTHS:
        return []
    middle = g.iloc[edge:-edge]
    middle = middle[middle["leads"] >= DATA_START_MIN_LEADS]
    if len(middle) < DATA_START_MIN_MIDDLE_MONTHS:
        return []
    ref = float(middle["rate"].median())
    if not ref > 0:
        return []
    out: list[DataWarning] = []
    for where, months in (("start", g.iloc[:edge]), ("end", g.iloc[-edge:])):
        months = months[months["leads"] >= DATA_START_MIN_LEADS]
        ratio = months["rate"] / ref
        flagged = months[(ratio > DATA_START_FACTOR) | (ratio < 1 / DATA_START_FACTOR)]
        if flagged.empty:
            continue
        leads, won, open_ = (int(flagged[c].sum()) for c in ("leads", "won", "open"))
        rate = won / leads
        r = rate / ref
        high = r > 1
        names_en = _join([format_month(p.to_timestamp(), "en") for p in flagged.index], "en")
        names_es = _join([format_month(p.to_timestamp(), "es") for p in flagged.index], "es")
        base_en = (f"Leads from {names_en} turned into won deals at {_pct(rate, 'en')}, "
                   f"{_times(r, 'en')} the median of {_pct(ref, 'en')} in the months between "
                   f"(rule: first or last {edge} months with at least {DATA_START_MIN_LEADS} leads, "
                   f"more than {_times(DATA_START_FACTOR, 'en')} or less than "
                   f"{_times(1 / DATA_START_FACTOR, 'en')} the median).")
        base_es = (f"Los leads de {names_es} se convirtieron en acuerdos ganados al "
                   f"{_pct(rate, 'es')}, {_times(r, 'es')} la mediana del {_pct(ref, 'es')} de los "
                   f"meses intermedios (regla: primeros o últimos {edge} meses con al menos "
                   f"{DATA_START_MIN_LEADS} leads, más de {_times(DATA_START_FACTOR, 'es')} o menos de "
                   f"{_times(1 / DATA_START_FACTOR, 'es')} la mediana).")
        if where == "end" and not high:
            open_share = open_ / leads
            en = (base_en + f" Recent leads have had less time to close ({_pct(open_share, 'en')} "
                  "of them are still open), so a lower rate at the end of the data is expected "
                  "(right truncation), not a decline; the report's rates for those months are "
                  "provisional.")
            es = (base_es + f" Los leads recientes han tenido menos tiempo para cerrarse (el "
                  f"{_pct(open_share, 'es')} sigue abierto), así que una tasa menor al final de los "
                  "datos es de esperar (truncamiento por la derecha), no un descenso; las tasas de "
                  "esos meses son provisionales.")
        elif where == "end":
            en = (base_en + " Recent leads would normally convert less, not more: check whether the "
                  "extract kept only recent leads that had already closed.")
            es = (base_es + " Lo normal es que los leads recientes conviertan menos, no más: conviene "
                  "comprobar si el extracto solo incluyó leads recientes ya cerrados.")
        elif high:
            en = (base_en + " The data probably start in the middle of the funnel (e.g. only leads "
                  "still active, or already won, when the records begin are included: left "
                  "truncation); read rates for the first months with care.")
            es = (base_es + " Probablemente los datos empiezan a mitad del embudo (p. ej. solo se "
                  "incluyen leads que seguían activos, o ya ganados, cuando empiezan los registros: "
                  "truncamiento por la izquierda); las tasas de los primeros meses deben leerse con "
                  "cuidado.")
        else:
            en = (base_en + " Records from the first months may be incomplete (e.g. later stages not "
                  "yet tracked when the data begin); read rates for those months with care.")
            es = (base_es + " Los registros de los primeros meses pueden estar incompletos (p. ej. "
                  "etapas posteriores aún sin registrar al empezar los datos); las tasas de esos "
                  "meses deben leerse con cuidado.")
        out.append(_w("data_start", en, es, where=where, direction="high" if high else "low",
                      months=[str(p) for p in flagged.index], leads=leads, won=won, open=open_,
                      rate=rate, median_rate=ref, ratio=r, factor=DATA_START_FACTOR,
                      min_leads=DATA_START_MIN_LEADS))
    return out


# ---------------------------------------------------------------------------------------- all of it

def unbudgeted_channel_warnings(dataset: Any) -> list[DataWarning]:
    """``unbudgeted_channels``: touch channels with no row in a spend table that records costs.

    Their cost counts as 0 in channel figures (CAC, ROI, ROAS of those channels are undefined);
    the team and blended figures still include every cost the spend table has. Quiet when there is
    no spend table or it records no cost (``no_spend`` covers that).
    """
    spend, tp = getattr(dataset, "spend", None), getattr(dataset, "touchpoints", None)
    if (spend is None or tp is None or len(tp) == 0 or "cost" not in spend
            or not (spend["cost"] > 0).any()):
        return []
    missing = sorted(set(tp["channel"].dropna()) - set(spend["channel"].dropna()))
    if not missing:
        return []
    names_en, names_es = _join(_labels(missing, "en"), "en"), _join(_labels(missing, "es"), "es")
    touches = int(tp["channel"].isin(missing).sum())
    en = (f"{names_en} {'has' if len(missing) == 1 else 'have'} touches ({_n(touches, 'en')}) but no "
          "row in the spend table: their cost counts as 0, so their CAC, ROI and ROAS are not "
          "shown; team and total figures include every cost the spend table has.")
    es = (f"{names_es} {'tiene' if len(missing) == 1 else 'tienen'} contactos ({_n(touches, 'es')}) "
          "pero ninguna fila en la tabla de gasto: su coste cuenta como 0, así que no se muestran "
          "su CAC, ROI ni ROAS; las cifras por equipo y totales incluyen todo el coste de la tabla.")
    return [_w("unbudgeted_channels", en, es, channels=missing, touches=touches)]


def dropped_rows_warnings(dataset: Any) -> list[DataWarning]:
    """``dropped_rows``: rows left out because they broke the contract (``load_dataset(...,
    on_invalid="drop")``), one warning per table and rule with the count and the first row
    numbers (never the rows' ids or values)."""
    out: list[DataWarning] = []
    for d in getattr(dataset, "dropped", None) or []:
        n, rows = int(d.get("count", 0)), list(d.get("rows", []))
        shown = ", ".join(str(r) for r in rows) + (" …" if n > len(rows) else "")
        col = f", column {d['column']}" if d.get("column") else ""
        en = (f"{_n(n, 'en')} {'row' if n == 1 else 'rows'} of {d.get('table')}{col} broke the "
              f"rule “{d.get('rule')}” and {'was' if n == 1 else 'were'} left out (data rows "
              f"{shown}).")
        col_es = f" (columna {d['column']})" if d.get("column") else ""
        # the contract's rules are written in English (data/README.md): name the column instead
        es = (f"{_n(n, 'es')} {'fila' if n == 1 else 'filas'} de {d.get('table')}{col_es} "
              f"{'incumplía' if n == 1 else 'incumplían'} una regla del contrato de datos "
              f"(data/README.md) y se {'dejó' if n == 1 else 'dejaron'} fuera (filas de datos "
              f"{shown}).")
        out.append(_w("dropped_rows", en, es, table=d.get("table"), column=d.get("column"),
                      rule=d.get("rule"), count=n, rows=rows))
    return out


def trimmed_space_warnings(dataset: Any) -> list[DataWarning]:
    """``trimmed_spaces``: text values whose surrounding spaces the loader removed
    (``Dataset.notes``), one warning per table and column with the count and up to three of the
    values changed (never values of id columns)."""
    out: list[DataWarning] = []
    for note in getattr(dataset, "notes", None) or []:
        n = int(note.get("count", 0))
        if not n:
            continue
        examples = [str(x) for x in note.get("examples") or []]
        shown = (", ".join(f"“{x}”" for x in examples)) if examples else ""
        where = f"{note.get('table')}.{note.get('column')}"
        en = (f"{_n(n, 'en')} {'value' if n == 1 else 'values'} of {where} had spaces before or "
              f"after the text and {'was' if n == 1 else 'were'} trimmed"
              + (f" (e.g. {shown})" if shown else "") + ", so that, e.g., “email ” and “email” "
              "count as one channel.")
        es = (f"{_n(n, 'es')} {'valor' if n == 1 else 'valores'} de {where} "
              f"{'tenía' if n == 1 else 'tenían'} espacios antes o después del texto y se "
              f"{'recortó' if n == 1 else 'recortaron'}" + (f" (p. ej. {shown})" if shown else "")
              + ", para que, p. ej., «email » y «email» cuenten como un solo canal.")
        out.append(_w("trimmed_spaces", en, es, table=note.get("table"),
                      column=note.get("column"), count=n, examples=examples))
    return out


def collect_warnings(dataset: Dataset, journeys: Journeys | None = None,
                     lookback_days: float = config.DEFAULT_LOOKBACK_DAYS) -> list[DataWarning]:
    """Every data warning that applies to ``dataset``, in the order of :data:`CODES`.

    ``journeys`` (from :func:`smlib.journeys.build_journeys` on this dataset) is used for the path
    table and its lookback window; without it the journeys are built here with ``lookback_days``.
    Checks on touchpoints are skipped when there are no touches, checks on deals when there are no
    opportunities. Each warning carries English and Spanish text (``DataWarning.text(language)``).
    """
    tp, opp = dataset.touchpoints, dataset.opportunities
    out: list[DataWarning] = []
    if journeys is not None:
        lookback_days = journeys.lookback_days
    if len(tp) and len(opp):
        if journeys is None:
            from smlib.journeys import build_journeys

            journeys = build_journeys(tp, opp, lookback_days, validate_input=False)
        out += separation_warnings(journeys.paths)
        out += lookback_warnings(tp, opp, lookback_days, journeys=journeys)
    if len(opp):
        out += revenue_warnings(opp)
        out += funnel_warnings(opp)
        out += data_start_warnings(opp)
    out += missing_table_warnings(dataset)
    out += unbudgeted_channel_warnings(dataset)
    out += dropped_rows_warnings(dataset)
    out += trimmed_space_warnings(dataset)
    order = {c: i for i, c in enumerate(CODES)}
    return sorted(out, key=lambda w: order.get(w.code, len(order)))  # stable within a code
