"""Journeys, touches and the path table as Ibis expressions: one definition, any engine.

The conventions are exactly those of :mod:`smlib.journeys` (its module docstring; the outputs are
the same tables, checked row for row in tests/test_engine.py on DuckDB and on PySpark). Only
portable operations are used: window functions (``row_number``, cumulative sums, ``max``/``count``
over a partition), group-bys, equi-joins and ``CASE``. Two places differ from the DuckDB SQL of
:mod:`smlib.journeys`, because their SQL is not portable:

* **Touch → conversion without an ASOF join.** Touches and conversions are stacked into one event
  stream per account, ordered by time with a conversion after the touches of the same instant
  (a touch at the closing instant counts before the close); the running count of conversions
  before a touch is the index of its conversion (``k``), then an equi-join on
  ``(account_id, k)`` fetches that conversion. ``k`` equal to the account's number of
  conversions marks the non-converting tail.
* **Paths without ordered string aggregation.** ``string_agg``/``collect_list`` with an order is
  not reliable on every backend, so each journey's channel sequence is encoded exactly as
  integers: channel codes ``1..C`` (sorted names) are digits in base ``B = C + 1``; a word holds
  ``P`` positions (the largest ``P`` with ``B**P <= 2**63 - 1``: 17 positions for 12 channels),
  and word ``i`` of a journey is ``sum(code * B**(position - i*P))`` over its touches ``i*P <=
  position < (i+1)*P`` — a plain ``SUM`` of a ``CASE``. The path table is a group-by on the words;
  the strings are decoded in Python from the aggregated words only. Limits: none on path length
  (the number of word columns grows as ``ceil(max_touches / P)``), channels must fit a base that
  leaves one position per word (any realistic count).

Timestamps are naive UTC inside the engine (the source sets the session time zone to UTC); the
pandas tables carry aware UTC timestamps like :class:`smlib.journeys.Journeys`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from smlib import config
from smlib.engine.checks import check_source
from smlib.engine.source import Source, connect
from smlib.schemas import DataValidationError, Problem

__all__ = ["EngineJourneys", "decode_words", "ibis_journeys", "path_table", "word_layout"]

_TIMESTAMPS = ("first_at", "last_at", "conversion_at", "lead_at", "opportunity_at", "timestamp")
#: Columns of the three output tables, as smlib.journeys gives them.
JOURNEY_COLUMNS: tuple[str, ...] = (
    "journey_id", "account_id", "path", "n_touches", "first_at", "last_at", "converted",
    "conversion_value", "conversion_at", "journey_type", "opportunity_id", "lead_at",
    "opportunity_at")
TOUCH_COLUMNS: tuple[str, ...] = (
    "journey_id", "account_id", "position", "timestamp", "channel", "team", "touch_type", "cost",
    "converted", "conversion_value", "conversion_at", "is_first_touch", "is_lead_creation",
    "is_opp_creation", "is_closed_won")
PATH_COLUMNS: tuple[str, ...] = ("path", "total_conversions", "total_conversion_value",
                                 "total_null")


def word_layout(n_channels: int) -> tuple[int, int]:
    """``(base, positions per int64 word)`` of the exact path encoding for ``n_channels``."""
    if n_channels < 1:
        raise ValueError(f"word_layout: need at least one channel, got {n_channels}")
    base = n_channels + 1
    per_word = 0
    while base ** (per_word + 1) <= 2**63 - 1:
        per_word += 1
    if per_word < 1:
        raise ValueError(f"word_layout: {n_channels} channels do not fit an int64 digit")
    return base, per_word


def decode_words(words: np.ndarray, channels: list[str] | tuple[str, ...],
                 sep: str = config.PATH_SEPARATOR) -> list[str]:
    """Path strings of encoded journeys: ``words`` is (n, n_words) int64, channels sorted."""
    words = np.asarray(words, dtype=np.int64)
    if words.ndim != 2:
        raise ValueError(f"decode_words: expected a 2-D array of words, got shape {words.shape}")
    import pyarrow as pa  # lazy: only the decoding needs arrow's string kernels
    import pyarrow.compute as pc

    base, per_word = word_layout(len(channels))
    digits = []
    for i in range(words.shape[1]):
        w = words[:, i].copy()
        for _ in range(per_word):
            digits.append(w % base)
            w //= base
    codes = np.stack(digits, axis=1) if digits else np.zeros((len(words), 0), np.int64)
    # codes are 1..C up to the journey's length, then 0: a list<string> per row, joined by arrow
    present = codes > 0
    flat = (codes[present] - 1).astype(np.int32)  # row-major: each row's touches in order
    offsets = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(present.sum(axis=1), out=offsets[1:])
    values = pa.DictionaryArray.from_arrays(pa.array(flat), pa.array(list(channels), pa.string()))
    lists = pa.ListArray.from_arrays(pa.array(offsets), values.cast(pa.string()))
    return pc.binary_join(lists, sep).to_pylist()


def _check_lookback(lookback_days: float) -> int:
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, (int, float, np.number)):
        raise ValueError(f"lookback_days must be a number of days, got {lookback_days!r}")
    if not math.isfinite(lookback_days) or lookback_days <= 0:
        raise ValueError(f"lookback_days must be a positive, finite number of days, got {lookback_days}")
    return int(round(float(lookback_days) * 86_400_000_000))


def _ts(t: Any, col: str, source: str) -> Any:
    """Column ``col`` as a naive UTC timestamp (a clear error for a text or number column)."""
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    if col not in t.columns:
        return ibis.null("timestamp")
    typ = t[col].type()
    if typ.is_timestamp() or typ.is_date():
        return t[col].cast("timestamp")
    raise DataValidationError([Problem(
        source, col, (), 0, f"a timestamp column (got {typ}); load CSV files with "
        "smlib.io.load_table, which parses timestamps")])


def _inputs(src: Source) -> tuple[Any, Any]:
    """Normalised touchpoints and opportunities: typed columns, naive UTC timestamps."""
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    tp, opp = src.table("touchpoints"), src.table("opportunities")
    cost = tp.cost.cast("float64") if "cost" in tp.columns else ibis.null("float64")
    tp = tp.select(account_id=tp.account_id.cast("string"),
                   ts=_ts(tp, "timestamp", src.label("touchpoints")),
                   channel=tp.channel.cast("string"), team=tp.team.cast("string"),
                   touch_type=tp.touch_type.cast("string"), cost=cost)
    label = src.label("opportunities")
    opp = opp.select(opportunity_id=opp.opportunity_id.cast("string"),
                     account_id=opp.account_id.cast("string"),
                     lead_at=_ts(opp, "lead_at", label),
                     opportunity_at=_ts(opp, "opportunity_at", label),
                     closed_at=_ts(opp, "closed_at", label),
                     outcome=opp.outcome.cast("string"), revenue=opp.revenue.cast("float64"))
    return tp, opp


@dataclass
class EngineJourneys:
    """Journeys built on an Ibis engine by :func:`ibis_journeys`; the same tables as
    :class:`smlib.journeys.Journeys` (``paths``, ``journeys``, ``touches``: pandas, fetched on
    first access and cached; ``stats``; ``lookback_days``), plus the Ibis expressions behind them
    (``expr(name)``) and the path encoding (``channels``, ``words``)."""

    source: Source
    channels: tuple[str, ...]
    words: tuple[str, ...]
    lookback_days: float
    _touches: Any = field(repr=False)
    _journeys: Any = field(repr=False)
    _stats: dict[str, int] | None = field(default=None, repr=False)
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def engine(self) -> str:
        """The engine the journeys were built on (``duckdb``, ``pyspark``, ...)."""
        return self.source.engine

    def expr(self, name: str) -> Any:
        """The Ibis expression of ``touches`` (positions, milestones, journey key ``k``),
        ``journeys`` (with the path words) or ``paths`` (aggregated words)."""
        if name == "touches":
            return self._touches
        if name == "journeys":
            return self._journeys
        if name == "paths":
            j = self._journeys
            return j.group_by(list(self.words)).aggregate(
                total_conversions=j.converted.cast("int64").sum(),
                total_conversion_value=j.conversion_value.sum(),
                total_null=(~j.converted).cast("int64").sum())
        raise ValueError(f"unknown journey table {name!r}; expected paths, journeys or touches")

    def _decode(self, df: pd.DataFrame) -> pd.Series:
        words = df[list(self.words)].to_numpy(dtype=np.int64) if self.words else \
            np.zeros((len(df), 0), np.int64)
        return pd.Series(decode_words(words, self.channels), index=df.index, dtype="str")

    @property
    def paths(self) -> pd.DataFrame:
        """path, total_conversions, total_conversion_value, total_null (one row per path)."""
        if "paths" not in self._cache:
            df = self.expr("paths").to_pyarrow().to_pandas()
            df["path"] = self._decode(df)
            df = df.sort_values("path", kind="stable").reset_index(drop=True)
            df = df[list(PATH_COLUMNS)].astype({"total_conversions": "int64", "total_null": "int64",
                                                "total_conversion_value": "float64"})
            self._cache["paths"] = df
        return self._cache["paths"]

    @property
    def journeys(self) -> pd.DataFrame:
        """One row per journey (columns of :class:`smlib.journeys.Journeys`)."""
        if "journeys" not in self._cache:
            df = self._journeys.order_by("journey_id").to_pyarrow().to_pandas()
            df["path"] = self._decode(df)
            self._cache["journeys"] = _utc(df[list(JOURNEY_COLUMNS)])
        return self._cache["journeys"]

    @property
    def touches(self) -> pd.DataFrame:
        """One row per kept touch with position and milestone flags."""
        if "touches" not in self._cache:
            t, j = self._touches, self._journeys
            out = t.join(j.select("account_id", "k", "journey_id"), ["account_id", "k"])
            out = out.select(*[c if c != "timestamp" else out.ts.name("timestamp")
                               for c in TOUCH_COLUMNS]).order_by(["journey_id", "position"])
            self._cache["touches"] = _utc(out.to_pyarrow().to_pandas())
        return self._cache["touches"]

    @property
    def stats(self) -> dict[str, int]:
        """touches_in, touches_kept, touches_outside_lookback, conversions,
        conversions_without_touches, journeys, converting_journeys (as smlib.journeys)."""
        if self._stats is None:
            self._stats = _stats(self)
        return self._stats


def _utc(df: pd.DataFrame) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    for col in _TIMESTAMPS:
        if col in df.columns:
            s = df[col]
            if getattr(s.dt, "tz", None) is None:
                df[col] = s.astype("datetime64[us]").dt.tz_localize("UTC")
            else:
                df[col] = s.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    for col in ("journey_id", "n_touches", "position"):
        if col in df.columns:
            df[col] = df[col].astype("int64")
    return df


def ibis_journeys(source: Any, lookback_days: float = config.DEFAULT_LOOKBACK_DAYS, *,
                  validate: bool = True, cache: bool = True) -> EngineJourneys:
    """Build journeys, touches and the path table on the engine of ``source``.

    Parameters
    ----------
    source : a :class:`~smlib.engine.source.Source` or anything :func:`connect` accepts.
    lookback_days : as :func:`smlib.journeys.build_journeys` (default 90).
    validate : run the contract's row checks first (:func:`~smlib.engine.checks.check_source`).
    cache : materialise the positioned touches and the journeys on the engine (a temp table on
        DuckDB, a cached DataFrame on Spark) so the later queries do not recompute them.

    Returns an :class:`EngineJourneys` with the same tables as :class:`smlib.journeys.Journeys`.
    """
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    lookback_us = _check_lookback(lookback_days)
    src = connect(source)
    if validate:
        check_source(src)
    tp, opp = _inputs(src)

    # conversions: won deals per (account, instant), numbered k = 0.. in time order
    won = opp.filter(opp.outcome == "won")
    conv = won.group_by(["account_id", won.closed_at.name("conversion_at")]).aggregate(
        conversion_value=won.revenue.sum(), c_lead_at=won.lead_at.min(),
        c_opportunity_at=won.opportunity_at.min(), c_opportunity_id=won.opportunity_id.min())
    conv = conv.mutate(k=ibis.row_number().over(group_by="account_id", order_by="conversion_at"))
    last_conv = conv.group_by("account_id").aggregate(last_conv=conv.conversion_at.max())

    # the opportunity of a non-converting tail: earliest non-won lead after the last conversion
    open_ = opp.filter(opp.outcome != "won")
    open_ = open_.left_join(last_conv, "account_id")
    open_ = open_.filter(open_.last_conv.isnull() | (open_.lead_at > open_.last_conv))
    open_ = open_.mutate(rn=ibis.row_number().over(
        group_by="account_id", order_by=["lead_at", "opportunity_id"]))
    lead = open_.filter(open_.rn == 0).select(
        "account_id", t_lead_at="lead_at", t_opportunity_at="opportunity_at",
        t_opportunity_id="opportunity_id")

    # one event stream per account: touches (is_conv 0) and conversions (1, after same-instant
    # touches); k of a touch = the number of conversions before it
    null_s = ibis.null("string")
    ev = tp.mutate(is_conv=ibis.literal(0, "int64")).union(conv.select(
        account_id="account_id", ts="conversion_at", channel=null_s, team=null_s,
        touch_type=null_s, cost=ibis.null("float64"), is_conv=ibis.literal(1, "int64")))
    # one sort serves both windows: the running count of conversions (k) and, over the whole
    # partition, the account's last touch (the tail's window end)
    order = ["ts", "is_conv"]
    ev = ev.mutate(
        k=ev.ts.count(where=ev.is_conv == 1).over(ibis.window(
            group_by="account_id", order_by=order, rows=(None, 0))),
        last_ts=(ev.is_conv == 0).ifelse(ev.ts, ibis.null("timestamp")).max().over(
            ibis.window(group_by="account_id", order_by=order, rows=(None, None))))
    touches = ev.filter(ev.is_conv == 0).drop("is_conv")
    touches = touches.mutate(k=touches.k.cast("int64"))
    a = touches.left_join(conv, ["account_id", "k"]).left_join(lead, "account_id")
    converted = a.conversion_at.notnull()
    a = a.select(
        "account_id", "k", "ts", "channel", "team", "touch_type", "cost", "conversion_at",
        "last_ts", converted=converted,
        conversion_value=a.conversion_value.fill_null(0.0),
        lead_at=converted.ifelse(a.c_lead_at, a.t_lead_at),
        opportunity_at=converted.ifelse(a.c_opportunity_at, a.t_opportunity_at),
        opportunity_id=converted.ifelse(a.c_opportunity_id, a.t_opportunity_id))
    end = a.conversion_at.coalesce(a.last_ts)
    kept = a.filter(a.ts >= end - ibis.interval(microseconds=lookback_us)).drop("last_ts")

    # positions and milestone counts per journey (account_id, k)
    part = ["account_id", "k"]
    order = ["ts", "channel", "touch_type", "team"]
    w = ibis.window(group_by=part, order_by=order)
    whole = ibis.window(group_by=part, order_by=order, rows=(None, None))  # same sort as w
    kept = kept.mutate(
        position=ibis.row_number().over(w),
        n_touches=kept.ts.count().over(whole),
        n_to_lead=kept.ts.count(where=kept.ts <= kept.lead_at).over(whole),
        n_to_opp=kept.ts.count(where=kept.ts <= kept.opportunity_at).over(whole))
    pos = kept.mutate(
        is_first_touch=kept.position == 0,
        is_lead_creation=kept.lead_at.notnull()
        & (kept.position == ibis.greatest(kept.n_to_lead - 1, 0)),
        is_opp_creation=kept.opportunity_at.notnull()
        & (kept.position == ibis.greatest(kept.n_to_opp - 1, 0)),
        is_closed_won=kept.converted & (kept.position == kept.n_touches - 1))
    if cache:
        pos = pos.cache()

    # the path encoding needs the channel list and the longest journey (two small queries)
    channels = tuple(sorted(str(c) for c in pos.select("channel").distinct().to_pyarrow().column(0)
                            .to_pylist()))
    max_len = int(pos.n_touches.max().to_pyarrow().as_py() or 0)
    words = _words(pos, channels, max_len)

    agg = dict(
        n_touches=pos.ts.count(), first_at=pos.ts.min(), last_at=pos.ts.max(),
        converted=pos.converted.any(), conversion_value=pos.conversion_value.max(),
        conversion_at=pos.conversion_at.max(),
        all_marketing=(pos.team == "marketing").all(), all_sales=(pos.team == "sales").all(),
        opportunity_id=pos.opportunity_id.max(), lead_at=pos.lead_at.max(),
        opportunity_at=pos.opportunity_at.max(), **words)
    j = pos.group_by(part).aggregate(**agg)
    j = j.mutate(
        journey_id=ibis.row_number().over(order_by=part),
        journey_type=j.all_marketing.ifelse("marketing_only",
                                            j.all_sales.ifelse("sales_only", "mixed")))
    j = j.drop("all_marketing", "all_sales")
    if cache:
        j = j.cache()
    return EngineJourneys(src, channels, tuple(words), float(lookback_days), pos, j)


def _words(pos: Any, channels: tuple[str, ...], max_len: int) -> dict[str, Any]:
    """``word_i`` aggregate expressions (exact integer encoding of each journey's sequence)."""
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    if not channels:
        return {}
    base, per_word = word_layout(len(channels))
    code = pos.channel.cases(*[(c, i + 1) for i, c in enumerate(channels)], else_=0)
    digit = pos.position % per_word
    power = digit.cases(*[(d, base ** d) for d in range(per_word)], else_=0)
    value = code.cast("int64") * power.cast("int64")
    which = pos.position // per_word
    n_words = max(1, -(-max_len // per_word))
    return {f"word_{i}": (which == i).ifelse(value, ibis.literal(0, "int64")).sum()
            for i in range(n_words)}


def _stats(j: EngineJourneys) -> dict[str, int]:
    src = j.source
    tp = src.table("touchpoints")
    opp = src.table("opportunities")
    won = opp.filter(opp.outcome == "won")
    conv = won.select(account_id=won.account_id.cast("string"),
                      conversion_at=_ts(won, "closed_at", src.label("opportunities"))).distinct()
    jc = j.expr("journeys")
    jc = jc.filter(jc.converted).select("account_id", "conversion_at")
    stats = {
        "touches_in": int(tp.count().to_pyarrow().as_py()),
        "touches_kept": int(j.expr("touches").count().to_pyarrow().as_py()),
        "conversions": int(conv.count().to_pyarrow().as_py()),
        "conversions_without_touches": int(
            conv.anti_join(jc, ["account_id", "conversion_at"]).count().to_pyarrow().as_py()),
        "journeys": int(j.expr("journeys").count().to_pyarrow().as_py()),
        "converting_journeys": int(jc.count().to_pyarrow().as_py()),
    }
    stats["touches_outside_lookback"] = stats["touches_in"] - stats["touches_kept"]
    return stats


def path_table(source: Any, lookback_days: float = config.DEFAULT_LOOKBACK_DAYS, *,
               validate: bool = True) -> pd.DataFrame:
    """The path table (ChannelAttribution layout, sorted by path) built on ``source``'s engine."""
    return ibis_journeys(source, lookback_days, validate=validate).paths
