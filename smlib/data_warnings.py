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
message in every report language (``texts``, from the text catalogue ``[data_warnings.*]``; adding a
language to the catalogue and :data:`smlib.presentation.settings.LANGUAGES` adds it here, no code
change); ``message`` is the English one, the fallback; ``details`` holds the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from smlib import config
from smlib.journeys import Journeys, build_journeys
from smlib.presentation import settings
from smlib.presentation.catalogue import text as catalogue_text
from smlib.presentation.labels import channel_label
from smlib.presentation.numbers import format_month, format_number, format_pct
from smlib.presentation.settings import validate_language

if TYPE_CHECKING:
    from smlib.io import Dataset

__all__ = [
    "CODES",
    "FALLBACK_LANGUAGE",
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
    "texts_by_language",
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
#: The language the data contract's rules are written in (data/README.md): a message quotes a
#: broken rule only in this language and names the table and column in the others.
CONTRACT_LANGUAGE: str = "en"
#: The language every warning and gap has a text in (``DataWarning.message``, ``DataGap.missing``):
#: a record built without a text in the report's language shows this one.
FALLBACK_LANGUAGE: str = "en"


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
    reader, ``details`` (numbers behind the message, JSON-safe) and ``texts``: the message in each
    report language, ``{language: message}``.

    ``texts`` always holds :data:`FALLBACK_LANGUAGE` (English, equal to ``message``); the warnings
    of this module have every report language. A warning built with only English (e.g.
    ``DataWarning("mine", "Some text.")`` in a user's code) shows its English message in every
    language.
    """

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("code", "message"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"DataWarning.{name} must be a non-empty text, got {value!r}")
        object.__setattr__(self, "texts", texts_by_language(
            self.texts, self.message, "DataWarning.texts", _nonempty_text))
        object.__setattr__(self, "details", _json_safe(dict(self.details or {})))

    def text(self, language: str = "en") -> str:
        """The message in ``language`` (any report language; English when the warning has no text
        in it)."""
        lang = validate_language(language)
        return self.texts.get(lang, self.message)

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        """``{"code", "message"}`` (message in ``language``) plus ``"details"`` when there are any."""
        out: dict[str, Any] = {"code": self.code, "message": self.text(language)}
        if self.details:
            out["details"] = dict(self.details)
        return out


def _nonempty_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty text, got {value!r}")
    return value


def texts_by_language(texts: Any, fallback: Any, what: str,
                      check: Callable[[Any, str], Any]) -> dict[str, Any]:
    """The per-language texts of a record (:class:`DataWarning`, :class:`smlib.gaps.DataGap`):
    ``texts`` (``{language: value}``) with each value passed through ``check(value, name)`` (which
    returns it or raises ValueError) and ``fallback`` under :data:`FALLBACK_LANGUAGE`.

    ValueError when ``texts`` is not a mapping, a key is not a report language
    (:func:`smlib.presentation.settings.validate_language`) or its fallback-language value differs
    from ``fallback``; ``what`` names the field in the messages."""
    if not isinstance(texts, Mapping):
        raise ValueError(f"{what} must be a mapping {{language: text}}, got {texts!r}")
    out: dict[str, Any] = {FALLBACK_LANGUAGE: fallback}
    for lang, value in texts.items():
        value = check(value, f"{what}[{validate_language(lang)!r}]")
        if lang == FALLBACK_LANGUAGE and value != fallback:
            raise ValueError(f"{what}[{lang!r}] must equal the {FALLBACK_LANGUAGE!r} text given "
                             f"first ({fallback!r}), got {value!r}")
        out[lang] = value
    return out


def _say(key: str, lang: str, **values: Any) -> str:
    """The catalogue text ``data_warnings.<key>`` in ``lang``."""
    return catalogue_text(f"data_warnings.{key}", lang, **values)


def _warning(code: str, message: Callable[[str], str], **details: Any) -> DataWarning:
    """A warning whose message, in every report language, is ``message(language)``."""
    texts = {lang: message(lang) for lang in settings.LANGUAGES}
    return DataWarning(code, texts[FALLBACK_LANGUAGE], details, texts)


def _one_many(n: int) -> str:
    return "one" if n == 1 else "many"


def _n(x: float, lang: str) -> str:
    return format_number(x, 0, lang)


def _pct(x: float, lang: str) -> str:
    return format_pct(x, lang)


def _times(x: float, lang: str) -> str:
    return format_number(x, 1, lang) + "×"


def _join(items: Sequence[str], lang: str) -> str:
    word = f" {_say('word.and', lang)} "
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
        none = "word.converted" if rep.converting == 0 else "word.failed"
        out.append(_warning(
            "separation", lambda lang: _say("separation.none", lang, none=_say(none, lang)),
            kind="no_converting" if rep.converting == 0 else "no_non_converting",
            converting_journeys=rep.converting, non_converting_journeys=rep.non_converting,
            channels=sorted(rep.journeys)))
        return out
    for kind, channels in (("only_converting", rep.only_converting),
                           ("only_non_converting", rep.only_non_converting)):
        if not channels:
            continue
        n = _journeys_with(paths, channels)

        def message(lang: str, kind: str = kind, channels: tuple[str, ...] = channels,
                    n: int = n) -> str:
            return _say(f"separation.{kind}_{_one_many(len(channels))}", lang,
                        channels=_cap(_join(_labels(channels, lang), lang)),
                        journeys=_say(f"separation.journeys_{_one_many(n)}", lang, n=_n(n, lang)))

        out.append(_warning("separation", message, kind=kind, channels=list(channels),
                            journeys={c: sum(rep.journeys[c]) for c in channels}))
    if rep.always_together:
        many = _one_many(len(rep.always_together))
        out.append(_warning(
            "separation", lambda lang: _say(
                f"separation.together_{many}", lang,
                groups="; ".join(_join(_labels(g, lang), lang) for g in rep.always_together)),
            kind="always_together", groups=[list(g) for g in rep.always_together],
            journeys={GROUP_JOINER.join(g): sum(rep.journeys[g[0]]) for g in rep.always_together}))
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
    decimals = 0 if float(lookback_days).is_integer() else 1

    def message(lang: str) -> str:
        out = _say("lookback.loss", lang, hit=_n(n_hit, lang), won=_n(n_won, lang),
                   share=_pct(share, lang), revenue_share=_pct(rev_share, lang),
                   days=format_number(lookback_days, decimals, lang))
        if n_all_lost:
            out += _say("lookback.all_lost", lang, n=_n(n_all_lost, lang))
        return out + _say("lookback.longer", lang)

    return [_warning("lookback_loss", message, lookback_days=float(lookback_days), won_deals=n_won,
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

            def message(lang: str, deals: int = deals, share: float = share) -> str:
                if deals >= n:  # every won deal is among the top ones: say how few there are
                    return _say(f"revenue.few_{_one_many(n)}", lang, n=_n(n, lang))
                return _say(f"revenue.top_{_one_many(deals)}", lang, deals=_n(deals, lang),
                            n=_n(n, lang), share=_pct(share, lang))

            out.append(_warning("revenue_concentration", message, won_deals=n, top_deals=deals,
                          top_share=share, top_1pct_deals=k, top_1pct_share=share_k,
                          top_2_share=share_2, limit=CONCENTRATION_LIMIT))
    zero = int((rev == 0).sum())
    if zero >= ZERO_REVENUE_MIN_DEALS:
        share = zero / n
        out.append(_warning("zero_revenue_wins", lambda lang: _say(
            "revenue.zero", lang, zero=_n(zero, lang), n=_n(n, lang), share=_pct(share, lang)),
            won_deals=n, zero_revenue_deals=zero,
                      share=share))
    return out


# ------------------------------------------------------------------------------- missing tables

def _absent(dataset: Any, table: str) -> bool:
    if table in tuple(getattr(dataset, "missing", ()) or ()):
        return True
    df = getattr(dataset, table, None)
    return df is None or len(df) == 0


#: The warning code of each optional table that is missing (its text: ``data_warnings.table.<table>``).
_TABLE_CODE: dict[str, str] = {"spend": "no_spend", "units": "no_units", "accounts": "no_accounts"}


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
    if never == n_units:
        reason = "never"
    elif after + never == n_units:
        reason = "after_end"
    elif before + never == n_units:
        reason = "before_start"
    else:
        reason = "outside"

    def message(lang: str) -> str:
        why = _say(f"adoption.{reason}", lang, units=_n(n_units, lang),
                   start=format_month(first, lang), end=format_month(last, lang),
                   before=_n(before, lang), after=_n(after, lang), never=_n(never, lang))
        return _say("adoption.warning", lang, why=why)

    return _warning("no_adoption", message, reason=reason, units=n_units, never=never,
              after_end=after, at_or_before_start=before, first_period=first, last_period=last)


def missing_table_warnings(dataset: Dataset) -> list[DataWarning]:
    """``no_spend``, ``no_units``, ``no_accounts`` and ``no_adoption``: analyses this data cannot run.

    A table counts as missing when it is listed in ``dataset.missing`` (loaders that allow optional
    tables) or has no rows; a spend table whose costs are all 0 gives ``no_spend`` too. ``no_adoption`` fires when a units table exists but no unit adopted
    integration inside the data: every ``adoption_period`` is empty (never), after the last
    ``period``, or at or before the first one (no month before integration), the same rule as
    :func:`smlib.gaps.panel_gap`. The message says which of these holds.
    """
    out: list[DataWarning] = []
    for table in ("spend", "units", "accounts"):
        if _absent(dataset, table):
            out.append(_warning(_TABLE_CODE[table],
                                lambda lang, table=table: _say(f"table.{table}", lang),
                                table=table))
    spend = getattr(dataset, "spend", None)
    if not _absent(dataset, "spend") and "cost" in spend and not (spend["cost"] > 0).any():
        out.append(_warning("no_spend", lambda lang: _say("table.spend_all_zero", lang,
                                                           n=_n(len(spend), lang)),
                            table="spend", reason="all_zero"))
    if not _absent(dataset, "units"):
        w = _adoption_warning(dataset.units)
        if w is not None:
            out.append(w)
    return out


# ----------------------------------------------------------------------------------------- funnel

def _funnel_steps(opp: pd.DataFrame) -> list[dict[str, Any]]:
    """Each step: its key (``data_warnings.funnel.step.<key>``), denominator and numerator masks,
    and the key of its definition and noun (``lead_mql_marketing`` with ``source_team``)."""
    has = {c: (opp[c].notna() if c in opp.columns else None)
           for c in ("mql_at", "sql_at", "opportunity_at")}
    won, lost = opp["outcome"].eq("won"), opp["outcome"].eq("lost")
    closed = won | lost
    steps = []
    if has["mql_at"] is not None:
        if "source_team" in opp.columns:
            pop, words = ~opp["source_team"].eq("sales"), "lead_mql_marketing"
        else:
            pop, words = pd.Series(True, index=opp.index), "lead_mql"
        steps.append(dict(step="lead_mql", pop=pop, hit=has["mql_at"], words=words))
        if has["sql_at"] is not None:
            steps.append(dict(step="mql_sql", pop=has["mql_at"], hit=has["sql_at"],
                              words="mql_sql"))
    if has["sql_at"] is not None and has["opportunity_at"] is not None:
        steps.append(dict(step="sql_opportunity", pop=has["sql_at"], hit=has["opportunity_at"],
                          words="sql_opportunity"))
    if has["opportunity_at"] is not None:
        steps.append(dict(step="opportunity_won", pop=(has["opportunity_at"] | won) & closed,
                          hit=won, words="opportunity_won"))
    steps.append(dict(step="closed_won", pop=closed, hit=won, words="closed_won"))
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
        lost_early = 0
        if s["step"] == "opportunity_won" and rate == 1 and "opportunity_at" in opp.columns:
            lost_early = int((opp["outcome"].eq("lost") & opp["opportunity_at"].isna()).sum())

        def message(lang: str, s: dict[str, Any] = s, rate: float = rate, den: int = den,
                    lost_early: int = lost_early) -> str:
            out = _say("funnel.all" if rate == 1 else "funnel.none", lang,
                       step=_say(f"funnel.step.{s['step']}", lang), n=_n(den, lang),
                       noun=_say(f"funnel.noun.{s['words']}", lang),
                       definition=_say(f"funnel.definition.{s['words']}", lang))
            if lost_early:
                return out + _say("funnel.lost_early", lang, n=_n(lost_early, lang))
            return out + _say("funnel.recorded", lang, rate="100 %" if rate == 1 else "0 %")

        out.append(_warning("degenerate_rate", message,
                            step=_say(f"funnel.step.{s['step']}", "en"), rate=rate,
                            numerator=num, denominator=den,
                            definition=_say(f"funnel.definition.{s['words']}", "en"),
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
        if where == "end":
            tail = "end_high" if high else "end_low"
        else:
            tail = "start_high" if high else "start_low"

        def message(lang: str, flagged: pd.DataFrame = flagged, rate: float = rate,
                    r: float = r, tail: str = tail, open_share: float = open_ / leads) -> str:
            months = _join([format_month(p.to_timestamp(), lang) for p in flagged.index], lang)
            return (_say("data_start.rule", lang, months=months, rate=_pct(rate, lang),
                         ratio=_times(r, lang), median=_pct(ref, lang), edge=edge,
                         min_leads=DATA_START_MIN_LEADS,
                         factor=_times(DATA_START_FACTOR, lang),
                         inverse=_times(1 / DATA_START_FACTOR, lang))
                    + _say(f"data_start.{tail}", lang, open=_pct(open_share, lang)))

        out.append(_warning("data_start", message, where=where, direction="high" if high else "low",
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
    touches = int(tp["channel"].isin(missing).sum())
    return [_warning("unbudgeted_channels", lambda lang: _say(
        f"unbudgeted.{_one_many(len(missing))}", lang, channels=_join(_labels(missing, lang), lang),
        n=_n(touches, lang)), channels=missing, touches=touches)]


def dropped_rows_warnings(dataset: Any) -> list[DataWarning]:
    """``dropped_rows``: rows left out because they broke the contract (``load_dataset(...,
    on_invalid="drop")``), one warning per table and rule with the count and the first row
    numbers (never the rows' ids or values)."""
    out: list[DataWarning] = []
    for d in getattr(dataset, "dropped", None) or []:
        n, rows = int(d.get("count", 0)), list(d.get("rows", []))
        shown = ", ".join(str(r) for r in rows) + (" …" if n > len(rows) else "")

        def message(lang: str, d: Mapping[str, Any] = d, n: int = n, shown: str = shown) -> str:
            # the contract's rules are written in one language (data/README.md): other languages
            # name the table and column instead of quoting the rule
            rule = "rule_named" if lang == CONTRACT_LANGUAGE else "rule_unnamed"
            return _say(f"dropped.{_one_many(n)}", lang, n=_n(n, lang), table=d.get("table"),
                        column=_say("dropped.column", lang, column=d["column"])
                        if d.get("column") else "",
                        broke=_say(f"dropped.{rule}_{_one_many(n)}", lang, rule=d.get("rule")),
                        rows=shown)

        out.append(_warning("dropped_rows", message, table=d.get("table"), column=d.get("column"),
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

        def message(lang: str, n: int = n, where: str = where, shown: str = shown) -> str:
            examples = _say("trimmed.examples", lang, values=shown) if shown else ""
            return _say(f"trimmed.{_one_many(n)}", lang, n=_n(n, lang), where=where,
                        examples=examples)

        out.append(_warning("trimmed_spaces", message, table=note.get("table"),
                            column=note.get("column"), count=n, examples=examples))
    return out


def collect_warnings(dataset: Dataset, journeys: Journeys | None = None,
                     lookback_days: float = config.DEFAULT_LOOKBACK_DAYS) -> list[DataWarning]:
    """Every data warning that applies to ``dataset``, in the order of :data:`CODES`.

    ``journeys`` (from :func:`smlib.journeys.build_journeys` on this dataset) is used for the path
    table and its lookback window; without it the journeys are built here with ``lookback_days``.
    Checks on touchpoints are skipped when there are no touches, checks on deals when there are no
    opportunities. Each warning carries its text in every report language
    (``DataWarning.text(language)``).
    """
    tp, opp = dataset.touchpoints, dataset.opportunities
    out: list[DataWarning] = []
    if journeys is not None:
        lookback_days = journeys.lookback_days
    if len(tp) and len(opp):
        if journeys is None:
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
