"""Journeys, touches and the path table as Ibis expressions: one definition, any engine.

The conventions are exactly those of :mod:`smlib.journeys` (its module docstring; the outputs are
the same tables, checked row for row in tests/test_engine.py on DuckDB and on PySpark). Only
portable operations are used: window functions (``row_number``, cumulative sums, ``max``/``count``
over a partition), group-bys, equi-joins and ``CASE``. Two places differ from the DuckDB SQL of
:mod:`smlib.journeys`, because their SQL is not portable:

* **Touch → conversion without an ASOF join.** Touches and conversions are stacked into one event
  stream per account, ordered by time with a conversion after the touches of the same instant
  (a touch at the closing instant counts before the close); the running count of conversions
  before a touch is the index of its journey (``k``) and the earliest conversion at or after it
  (a ``min`` over the following rows) is the journey's end; ``k`` equal to the account's number
  of conversions marks the non-converting tail. That one window sort also ranks each touch in
  its account, and its position in its journey is that rank minus the journey's first kept rank
  (a group-by and an equi-join per journey, no second sort); see docs/scale.md.
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
    return _join_codes(_digit_matrix(words, len(channels)), channels, sep).to_pylist()


def _digit_matrix(words: np.ndarray, n_channels: int) -> np.ndarray:
    """(n, longest path) matrix of channel codes ``1..C`` in path order, then 0 (uint8 when the
    codes fit, else uint16/int32): the digits of ``words``."""
    words = np.asarray(words, dtype=np.int64)
    if words.ndim != 2:
        raise ValueError(f"decode_words: expected a 2-D array of words, got shape {words.shape}")
    base, per_word = word_layout(n_channels)
    dtype = np.uint8 if base <= 2**8 else np.uint16 if base <= 2**16 else np.int32
    n = len(words)
    digits = np.zeros((n, words.shape[1] * per_word), dtype=dtype)
    used = 0
    for i in range(words.shape[1]):
        w = words[:, i].copy()
        for d in range(per_word):
            if not w.any():
                break
            digits[:, i * per_word + d] = w % base
            w //= base
            used = i * per_word + d + 1
    return digits[:, :used]


def _join_codes(codes: np.ndarray, channels: list[str] | tuple[str, ...],
                sep: str = config.PATH_SEPARATOR) -> Any:
    """The rows of a code matrix (:func:`_digit_matrix`) as one arrow array of path strings."""
    import pyarrow as pa  # lazy: only the decoding needs arrow's string kernels
    import pyarrow.compute as pc

    present = codes > 0
    flat = codes[present].astype(np.int32) - 1  # row-major: each row's touches in order
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(present.sum(axis=1), out=offsets[1:])
    values = pa.DictionaryArray.from_arrays(pa.array(flat), pa.array(list(channels), pa.string()))
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values.cast(pa.large_string()))
    return pc.binary_join(lists, pa.scalar(sep, pa.large_string()))


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
    _converted: Any = field(default=None, repr=False)
    cached: bool = True
    _stats: dict[str, int] | None = field(default=None, repr=False)
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _exprs: dict[str, Any] = field(default_factory=dict, repr=False)
    _codes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8), repr=False)

    @property
    def engine(self) -> str:
        """The engine the journeys were built on (``duckdb``, ``pyspark``, ...)."""
        return self.source.engine

    def expr(self, name: str) -> Any:
        """The Ibis expression of ``touches`` (positions, milestones, journey key ``k``),
        ``converted_touches`` (the touches of converting journeys: what the rule models need),
        ``journeys`` (with the path words) or ``paths`` (aggregated words). With ``cached``, the
        two touch tables are materialised on the engine on first use."""
        if name == "converted_touches" and self._converted is not None:
            return self._converted
        if name in ("touches", "converted_touches"):
            if name not in self._exprs:
                t = self._touches
                if name == "converted_touches":
                    t = t.filter(t.converted)
                self._exprs[name] = t.cache() if self.cached else t
            return self._exprs[name]
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
        """path, total_conversions, total_conversion_value, total_null (one row per path,
        sorted by path)."""
        if "paths" not in self._cache:
            import pyarrow.compute as pc  # lazy: only the decoding needs arrow's kernels

            tbl = self.expr("paths").to_pyarrow()
            n = tbl.num_rows
            words = np.column_stack([tbl.column(w).to_numpy().astype(np.int64)
                                     for w in self.words]) if self.words and n else \
                np.zeros((n, 0), np.int64)
            codes = _digit_matrix(words, max(len(self.channels), 1))
            del words
            strings = _join_codes(codes, self.channels)
            order = np.asarray(pc.sort_indices(strings))
            strings = strings.take(order)  # (frees the unsorted copy)
            df = pd.DataFrame({
                "path": pd.Series(strings.to_pandas(), dtype="str"),
                "total_conversions": tbl.column("total_conversions").to_numpy()[order],
                "total_conversion_value": tbl.column("total_conversion_value").to_numpy()[order],
                "total_null": tbl.column("total_null").to_numpy()[order]})
            self._cache["paths"] = df.astype({"total_conversions": "int64", "total_null": "int64",
                                              "total_conversion_value": "float64"})
            self._codes = codes[order]
        return self._cache["paths"]

    def path_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows of :attr:`paths` as channel codes in CSR layout: ``indptr`` (int64, rows + 1)
        and ``indices`` (int32 code per touch in path order; code ``i`` is ``channels[i]``)."""
        self.paths  # noqa: B018 - fetches and decodes the path table once
        codes = self._codes
        present = codes > 0
        indptr = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(present.sum(axis=1), out=indptr[1:])
        return indptr, (codes[present].astype(np.int32) - 1)

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
    validate : run the contract's row checks first (:func:`~smlib.engine.checks.check_source`;
        the duplicate-touch rule is checked in the journey pass itself, which sorts the touches
        anyway, instead of a separate group-by over every touch).
    cache : materialise the kept touches, the per-journey counts and the journeys on the engine
        (a temp table on DuckDB, a cached DataFrame on Spark) so the later queries do not
        recompute them.

    Returns an :class:`EngineJourneys` with the same tables as :class:`smlib.journeys.Journeys`.

    The row-level work is one sort: a window over each account's touches and conversions ordered
    by ``(ts, conversion after touch, channel, touch_type, team)`` gives every touch its journey
    (``k``, the conversions before it), its rank ``rn`` in the account and the account's last
    touch; the touch's position in its journey is ``rn`` minus the journey's first kept ``rn``
    (kept touches of one journey are consecutive in that order: no conversion lies between them
    and the lookback cut removes a prefix). Everything else is group-bys and equi-joins.

    Raises:
        DataValidationError: the data break the contract (``validate``).
        ValueError: a bad ``lookback_days`` or ``source``.
    """
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    lookback_us = _check_lookback(lookback_days)
    src = connect(source)
    if src.engine != "duckdb":
        return _build(src, lookback_days, lookback_us, validate, cache)
    # the cached tables need no row order (every fetch orders): DuckDB may then write them in
    # parallel and stream them with less memory; the connection's setting is restored after
    con = src.backend.con
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    try:
        return _build(src, lookback_days, lookback_us, validate, cache)
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def _build(src: Source, lookback_days: float, lookback_us: int, validate: bool, cache: bool
           ) -> EngineJourneys:
    """The body of :func:`ibis_journeys` (same arguments, checked)."""
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    if validate:
        check_source(src, duplicates=False)
    tp, opp = _inputs(src)
    null_ts, null_s, null_f = ibis.null("timestamp"), ibis.null("string"), ibis.null("float64")

    # conversions: won deals per (account, instant), numbered k = 0.. in time order
    won = opp.filter(opp.outcome == "won")
    conv = won.group_by(["account_id", won.closed_at.name("conversion_at")]).aggregate(
        conversion_value=won.revenue.sum(), lead_at=won.lead_at.min(),
        opportunity_at=won.opportunity_at.min(), opportunity_id=won.opportunity_id.min())
    conv = conv.mutate(k=ibis.row_number().over(group_by="account_id", order_by="conversion_at"))
    per_account = conv.group_by("account_id").aggregate(last_conv=conv.conversion_at.max(),
                                                        n_conv=conv.count())

    # the journey after the last conversion (k = number of conversions) takes the earliest
    # non-won lead after that conversion
    open_ = opp.filter(opp.outcome != "won").left_join(per_account, "account_id")
    open_ = open_.filter(open_.last_conv.isnull() | (open_.lead_at > open_.last_conv))
    open_ = open_.mutate(rn=ibis.row_number().over(
        group_by="account_id", order_by=["lead_at", "opportunity_id"]))
    open_ = open_.filter(open_.rn == 0)
    cols = ("conversion_at", "conversion_value", "lead_at", "opportunity_at", "opportunity_id")
    tail = open_.select(account_id="account_id", k=open_.n_conv.fill_null(0).cast("int64"),
                        conversion_at=null_ts, conversion_value=null_f, lead_at="lead_at",
                        opportunity_at="opportunity_at", opportunity_id="opportunity_id")
    attrs = conv.select("account_id", k=conv.k.cast("int64"), *cols).union(tail)

    # one event stream per account, one sort: touches (is_conv 0) and conversions (1, after the
    # touches of the same instant); k of a touch = the number of conversions before it, its
    # journey ends at the next conversion (or, after the last one, at the account's last touch)
    ev = tp.mutate(is_conv=ibis.literal(0, "int64")).union(conv.select(
        account_id="account_id", ts="conversion_at", channel=null_s, team=null_s,
        touch_type=null_s, cost=null_f, is_conv=ibis.literal(1, "int64")))
    # the order is total on valid data: touches equal in (ts, channel, touch_type) are
    # duplicates (the contract's key), which are the sort's peers: rank < row_number
    order = ["ts", "is_conv", "channel", "touch_type"]
    w = ibis.window(group_by="account_id", order_by=order)
    is_touch = ev.is_conv == 0
    ev = ev.mutate(
        k=ev.ts.count(where=~is_touch).over(ibis.window(
            group_by="account_id", order_by=order, rows=(None, 0))).cast("int64"),
        conversion_at=(~is_touch).ifelse(ev.ts, null_ts).min().over(ibis.window(
            group_by="account_id", order_by=order, rows=(0, None))),
        last_ts=is_touch.ifelse(ev.ts, null_ts).max().over(ibis.window(
            group_by="account_id", order_by=order, rows=(None, None))),
        rn=ibis.row_number().over(w),
        dup=(ibis.rank().over(w) != ibis.row_number().over(w)) if validate
        else ibis.literal(False))
    a = ev.filter(ev.is_conv == 0)
    end = a.conversion_at.coalesce(a.last_ts)
    # duplicates (invalid data) stay, kept or not, to be counted
    a = a.filter((a.ts >= end - ibis.interval(microseconds=lookback_us)) | a.dup)
    a = a.select("account_id", "k", "rn", "ts", "channel", "team", "touch_type", "cost",
                 "conversion_at", *(["dup"] if validate else []))
    lazy = a.drop("dup") if validate else a  # recomputed when the touches table is asked for
    if cache:
        a = a.cache()
    if validate and int(a.dup.cast("int64").sum().to_pyarrow().as_py() or 0):
        check_source(src)  # raises, naming the duplicate rows (and any other problem)
    kept = a.drop("dup") if validate else a  # no duplicate: every row is a kept touch

    # per journey (account_id, k): counts, first kept rank, and the journey's conversion or open
    # opportunity (one equi-join on the journeys, not on the touches)
    part = ["account_id", "k"]
    g = kept.group_by(part).aggregate(
        start=kept.rn.min(), n_touches=kept.count(), first_at=kept.ts.min(),
        last_at=kept.ts.max(), conversion_at=kept.conversion_at.max(),
        all_marketing=(kept.team == "marketing").all(), all_sales=(kept.team == "sales").all())
    g = g.left_join(attrs.drop("conversion_at"), part)
    g = g.mutate(converted=g.conversion_at.notnull(),
                 conversion_value=g.conversion_value.fill_null(0.0))
    if cache:
        g = g.cache()
    per = g.select(*part, "start", "n_touches", "lead_at", "opportunity_at", "opportunity_id",
                   "conversion_value")
    p = _positioned(kept, per)

    # the path encoding needs the channel list and the longest journey (two small queries)
    channels = tuple(sorted(str(c) for c in kept.select("channel").distinct().to_pyarrow()
                            .column(0).to_pylist()))
    max_len = int(g.n_touches.max().to_pyarrow().as_py() or 0)
    words = _words(p, channels, max_len)
    wt = p.group_by(part).aggregate(**words)
    converted = _milestones(_positioned(kept.filter(kept.conversion_at.notnull()), per))
    j = g.join(wt, part).drop("start")
    j = j.mutate(
        journey_id=ibis.row_number().over(order_by=part),
        journey_type=j.all_marketing.ifelse("marketing_only",
                                            j.all_sales.ifelse("sales_only", "mixed")))
    j = j.drop("all_marketing", "all_sales")
    touches = _milestones(p)
    if cache:
        # the journeys and the converting journeys' touches (what the rule models read) stay on
        # the engine; the kept touches are released (memory), the touches table recomputes them
        j, converted = j.cache(), converted.cache()
        a.release()
        touches = _milestones(_positioned(lazy, per))
    return EngineJourneys(src, channels, tuple(words), float(lookback_days), touches, j,
                          converted, cached=cache)


def _positioned(kept: Any, per: Any) -> Any:
    """Kept touches with their journey's counts and columns, and their ``position``."""
    p = kept.join(per, ["account_id", "k"])
    return p.mutate(position=(p.rn - p.start).cast("int64"), converted=p.conversion_at.notnull())


def _milestones(p: Any) -> Any:
    """Positioned touches with the milestone flags (lead and opportunity creation touches are
    the last touch at or before the milestone, else the first touch)."""
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    part = ["account_id", "k"]
    ms = p.group_by(part).aggregate(n_to_lead=p.ts.count(where=p.ts <= p.lead_at),
                                    n_to_opp=p.ts.count(where=p.ts <= p.opportunity_at))
    q = p.join(ms, part)
    return q.mutate(
        is_first_touch=q.position == 0,
        is_lead_creation=q.lead_at.notnull()
        & (q.position == ibis.greatest(q.n_to_lead - 1, 0)),
        is_opp_creation=q.opportunity_at.notnull()
        & (q.position == ibis.greatest(q.n_to_opp - 1, 0)),
        is_closed_won=q.converted & (q.position == q.n_touches - 1)).drop(
            "start", "n_to_lead", "n_to_opp")


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
        "touches_kept": int(j.expr("journeys").n_touches.sum().to_pyarrow().as_py() or 0),
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
