"""Customer journeys from the touch log, built with DuckDB (embedded, the default engine).

A journey is one account's ordered touches before a won conversion, within a lookback window;
touches are split at conversions and the touches after an account's last conversion form one
non-converting journey. Conventions (all stated here once, tested in tests/test_journeys.py):

- Conversion = a won opportunity, at its ``closed_at``. Won opportunities of one account that close
  at the same instant are one conversion (values summed; earliest ``lead_at``/``opportunity_at``).
- A touch belongs to the first conversion at or after it (a touch at the closing instant counts
  before the close). Touches more than ``lookback_days`` before their conversion are dropped.
- Non-converting journey (touches after the account's last conversion, or of an account that never
  converted): the window ends at its last touch, so touches more than ``lookback_days`` before the
  last touch are dropped.
- Order within a journey: timestamp, then channel, then touch_type (then team), so ties are
  deterministic and the result does not depend on row order.
- Milestones (Marketo Measure / HubSpot "key conversion points", see docs/sources.md §3:
  https://experienceleague.adobe.com/en/docs/marketo-measure/using/introduction-to-marketo-measure/overview-resources/marketo-measure-attribution-models):
  ``is_first_touch`` = position 0; ``is_lead_creation`` = the last touch at or before the
  opportunity's ``lead_at``; ``is_opp_creation`` = the last touch at or before ``opportunity_at``;
  ``is_closed_won`` = the last touch of a converting journey. When the stage time is before the
  journey's first (kept) touch, the milestone falls on the first touch. The opportunity of a
  converting journey is its won one; of a non-converting journey, the account's earliest non-won
  opportunity whose lead came after the account's last conversion (none: no lead/opp milestone).
  Milestones may coincide on one touch.

Outputs (pandas DataFrames, fetched from DuckDB on first access and cached):
``paths`` (ChannelAttribution layout: path, total_conversions, total_conversion_value, total_null),
``journeys`` (one row per journey) and ``touches`` (one row per kept touch).
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from statsmodels.stats.proportion import proportion_confint

from smlib import config
from smlib.io import check_duckdb_base_tables, find_table_file, load_table
from smlib.schemas import DataValidationError, Problem, make_problem, validate

__all__ = ["JOURNEY_TYPES", "Journeys", "build_journeys", "build_journeys_from_files",
           "channel_team_map", "journey_mix", "merge_channels"]

#: Journey types by the teams that touched the journey.
JOURNEY_TYPES: tuple[str, ...] = ("marketing_only", "sales_only", "mixed")


def _team_pairs(df: pd.DataFrame, name: str) -> dict[str, str]:
    """Channel → team pairs of a table with ``channel`` and ``team`` columns (one team each)."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in ("channel", "team") if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; expected a table with columns "
                         "channel and team (e.g. the touchpoints table)")
    pairs = df[["channel", "team"]].drop_duplicates()
    twice = pairs["channel"][pairs["channel"].duplicated()]
    if len(twice):
        ch = twice.iloc[0]
        raise ValueError(f"{name}: channel {ch!r} belongs to teams "
                         f"{sorted(pairs.loc[pairs['channel'] == ch, 'team'].astype(str))}; "
                         "each channel must belong to one team")
    return dict(zip(pairs["channel"].astype(str), pairs["team"].astype(str)))


def channel_team_map(source: Mapping[str, str] | pd.DataFrame | pd.Series | None = None, *,
                     touchpoints: pd.DataFrame | None = None, spend: pd.DataFrame | None = None,
                     extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Channel → team ("marketing" / "sales").

    ``source``: ``None`` (start from ``config.MARKETING_CHANNELS`` / ``config.SALES_CHANNELS``), or
    exactly this map: a mapping or Series channel → team, or a DataFrame with ``channel`` and
    ``team`` columns (the touchpoints table, ``truth.channel_effects``); its teams must be in
    ``config.TEAMS``. Then the (channel, team) pairs of ``touchpoints`` and of ``spend`` and the
    ``extra`` mapping are laid over it, in that order (later sources win).

    Raises:
        ValueError: a table without channel/team columns, a channel listed under two teams in
            one table, or a ``source`` team other than marketing/sales.
    """
    if source is None:
        mapping = {**{c: "marketing" for c in config.MARKETING_CHANNELS},
                   **{c: "sales" for c in config.SALES_CHANNELS}}
    else:
        if isinstance(source, pd.DataFrame):
            mapping = _team_pairs(source, "channel_teams")
        elif isinstance(source, (Mapping, pd.Series)):
            mapping = {str(k): str(v) for k, v in dict(source).items()}
        else:
            raise ValueError(f"channel_teams: expected None, a mapping or a DataFrame, got "
                             f"{type(source).__name__}")
        bad = {c: t for c, t in mapping.items() if t not in config.TEAMS}
        if bad:
            raise ValueError(f"channel_teams: team must be one of {config.TEAMS}; got {bad}")
    for name, df in (("touchpoints", touchpoints), ("spend", spend)):
        if df is not None:
            mapping |= _team_pairs(df, name)
    return mapping | dict(extra or {})
_ORDER = "ts, channel, touch_type, team"  # deterministic order of touches within a journey

_TOUCH_COLS = ("account_id", "timestamp", "channel", "team", "touch_type")
_OPP_COLS = ("opportunity_id", "account_id", "lead_at", "outcome", "revenue", "closed_at")


@dataclass
class Journeys:
    """Journeys built by :func:`build_journeys`; DataFrames are fetched lazily and cached.

    Attributes
    ----------
    paths : path table in ChannelAttribution's layout, one row per distinct path, sorted by path.
    journeys : one row per journey (journey_id, account_id, path, n_touches, first_at, last_at,
        converted, conversion_value, conversion_at, journey_type, opportunity_id, lead_at,
        opportunity_at), sorted by journey_id. journey_id numbers journeys 0.. in (account_id,
        conversion time, non-converting last) order.
    touches : one row per kept touch with position and milestone flags, sorted by
        (journey_id, position).
    stats : counts: touches_in, touches_kept, touches_outside_lookback, conversions (won, merged
        per account and instant), conversions_without_touches (won deals no kept touch leads to;
        they are absent from ``paths``), journeys, converting_journeys.
    lookback_days : the window used.
    """

    con: duckdb.DuckDBPyConnection
    tables: dict[str, str]
    stats: dict[str, int]
    lookback_days: float
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def relation(self, name: str) -> duckdb.DuckDBPyRelation:
        """The DuckDB relation behind ``paths``, ``journeys`` or ``touches`` (no pandas copy)."""
        if name not in self.tables:
            raise ValueError(f"unknown journey table {name!r}; expected one of {list(self.tables)}")
        order = {"paths": "path", "journeys": "journey_id", "touches": "journey_id, position"}
        return self.con.sql(f"SELECT * FROM {self.tables[name]} ORDER BY {order[name]}")

    def _fetch(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            df = self.relation(name).df()
            for col in ("first_at", "last_at", "conversion_at", "lead_at", "opportunity_at",
                        "timestamp"):
                if col in df.columns:  # DuckDB works in naive UTC; hand back aware UTC
                    df[col] = df[col].astype("datetime64[us]").dt.tz_localize("UTC")
            self._cache[name] = df
        return self._cache[name]

    @property
    def paths(self) -> pd.DataFrame:
        """path, total_conversions, total_conversion_value, total_null (one row per path)."""
        return self._fetch("paths")

    @property
    def journeys(self) -> pd.DataFrame:
        """One row per journey (see class docstring)."""
        return self._fetch("journeys")

    @property
    def touches(self) -> pd.DataFrame:
        """One row per kept touch with position and milestone flags (see module docstring)."""
        return self._fetch("touches")

    def write(self, folder: str | os.PathLike[str]) -> dict[str, Path]:
        """Write paths/journeys/touches as Parquet into ``folder`` straight from DuckDB."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        files = {}
        for name in self.tables:
            files[name] = out / f"{name}.parquet"
            self.relation(name).write_parquet(str(files[name]))
        return files


def _check_lookback(lookback_days: float) -> int:
    """Lookback in whole microseconds; a clear error for a non-positive or non-finite value."""
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, (int, float, np.number)):
        raise ValueError(f"lookback_days must be a number of days, got {lookback_days!r}")
    if not math.isfinite(lookback_days) or lookback_days <= 0:
        raise ValueError(f"lookback_days must be a positive, finite number of days, got {lookback_days}")
    return int(round(float(lookback_days) * 86_400_000_000))


def _ts_expr(con: duckdb.DuckDBPyConnection, rel: str, col: str, source: str) -> str:
    """SQL turning column ``col`` of ``rel`` into a naive UTC TIMESTAMP."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {rel})").fetchall())
    if col not in types:
        return "CAST(NULL AS TIMESTAMP)"
    typ = types[col].upper()
    if typ.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', \"{col}\")"
    if typ.startswith("TIMESTAMP") or typ == "DATE":
        return f"CAST(\"{col}\" AS TIMESTAMP)"
    raise DataValidationError([Problem(
        source, col, (), 0, f"a timestamp column (got DuckDB type {typ}); "
        "load CSV files with smlib.io.load_table, which parses timestamps")])


def _columns(con: duckdb.DuckDBPyConnection, rel: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {rel})").fetchall()]


def _create_inputs(con: duckdb.DuckDBPyConnection, tp_rel: str, opp_rel: str, names: dict[str, str],
                   sources: tuple[str, str]) -> None:
    """Normalised views: naive-UTC timestamps, typed columns, optional columns filled with NULL."""
    tcols, ocols = _columns(con, tp_rel), _columns(con, opp_rel)
    cost = "CAST(cost AS DOUBLE)" if "cost" in tcols else "CAST(NULL AS DOUBLE)"
    con.execute(f"""
        CREATE TEMP VIEW {names['tp']} AS
        SELECT CAST(account_id AS VARCHAR) AS account_id,
               {_ts_expr(con, tp_rel, 'timestamp', sources[0])} AS ts,
               CAST(channel AS VARCHAR) AS channel, CAST(team AS VARCHAR) AS team,
               CAST(touch_type AS VARCHAR) AS touch_type, {cost} AS cost
        FROM {tp_rel}""")
    opp_at = _ts_expr(con, opp_rel, "opportunity_at", sources[1]) if "opportunity_at" in ocols \
        else "CAST(NULL AS TIMESTAMP)"
    con.execute(f"""
        CREATE TEMP VIEW {names['opp']} AS
        SELECT CAST(opportunity_id AS VARCHAR) AS opportunity_id,
               CAST(account_id AS VARCHAR) AS account_id,
               {_ts_expr(con, opp_rel, 'lead_at', sources[1])} AS lead_at,
               {opp_at} AS opportunity_at,
               {_ts_expr(con, opp_rel, 'closed_at', sources[1])} AS closed_at,
               CAST(outcome AS VARCHAR) AS outcome, CAST(revenue AS DOUBLE) AS revenue
        FROM {opp_rel}""")


def _build(con: duckdb.DuckDBPyConnection, names: dict[str, str], lookback_us: int) -> dict[str, str]:
    """The journey SQL. Reads the views names['tp'] and names['opp']; creates three temp tables.

    Plan (one ASOF join, one window pass, one aggregate, one hash join over the touches):
    conv = won deals per (account, instant); lead = the open lead of each non-converting tail;
    kept = each touch + its next conversion (ASOF), cut to the lookback window; pos = position and
    milestone counts per journey (window); journeys = one row per journey with its id; touches =
    pos + journey id.
    """
    tp, opp, conv, kept = names["tp"], names["opp"], names["conv"], names["kept"]
    lead, pos = names["lead"], names["pos"]
    out = {k: names[k] for k in ("paths", "journeys", "touches")}
    con.execute(f"""
        CREATE TEMP TABLE {conv} AS
        SELECT account_id, closed_at AS conversion_at, sum(revenue) AS conversion_value,
               min(lead_at) AS lead_at, min(opportunity_at) AS opportunity_at,
               min(opportunity_id) AS opportunity_id
        FROM {opp} WHERE outcome = 'won' GROUP BY account_id, closed_at""")
    # The opportunity of a non-converting tail: earliest non-won lead after the last conversion.
    con.execute(f"""
        CREATE TEMP TABLE {lead} AS
        WITH last_conv AS (SELECT account_id, max(conversion_at) AS last_conv FROM {conv} GROUP BY 1)
        SELECT account_id, opportunity_id, lead_at, opportunity_at FROM (
            SELECT o.*, row_number() OVER (PARTITION BY o.account_id
                                           ORDER BY o.lead_at, o.opportunity_id) AS rn
            FROM {opp} o LEFT JOIN last_conv l USING (account_id)
            WHERE o.outcome <> 'won' AND (l.last_conv IS NULL OR o.lead_at > l.last_conv))
        WHERE rn = 1""")
    # Each touch -> the first conversion at or after it (ASOF join), then the lookback cut; a
    # non-converting tail's window ends at the account's last touch. ckey = conversion time, or
    # +infinity for the tail (a plain join key that also sorts the tail last).
    con.execute(f"""
        CREATE TEMP TABLE {kept} AS
        WITH assigned AS (
            SELECT t.account_id, t.ts, t.channel, t.team, t.touch_type, t.cost, c.conversion_at,
                   c.conversion_value, c.lead_at, c.opportunity_at, c.opportunity_id
            FROM {tp} t ASOF LEFT JOIN {conv} c
              ON t.account_id = c.account_id AND c.conversion_at >= t.ts),
        account_end AS (SELECT account_id, max(ts) AS last_ts FROM {tp} GROUP BY account_id)
        SELECT a.account_id, a.ts, a.channel, a.team, a.touch_type, a.cost, a.conversion_at,
               coalesce(a.conversion_at, 'infinity'::TIMESTAMP) AS ckey,
               a.conversion_at IS NOT NULL AS converted,
               coalesce(a.conversion_value, 0.0) AS conversion_value,
               CASE WHEN a.conversion_at IS NULL THEN l.lead_at ELSE a.lead_at END AS lead_at,
               CASE WHEN a.conversion_at IS NULL THEN l.opportunity_at ELSE a.opportunity_at END
                   AS opportunity_at,
               CASE WHEN a.conversion_at IS NULL THEN l.opportunity_id ELSE a.opportunity_id END
                   AS opportunity_id
        FROM assigned a
        JOIN account_end e ON a.account_id = e.account_id
        LEFT JOIN {lead} l ON a.conversion_at IS NULL AND a.account_id = l.account_id
        WHERE a.ts >= coalesce(a.conversion_at, e.last_ts) - to_microseconds({lookback_us})""")
    # Touches are ordered by time first, so those at or before a stage time form a prefix of the
    # journey: the milestone is touch (count - 1), or the first touch when the count is 0.
    con.execute(f"""
        CREATE TEMP TABLE {pos} AS
        SELECT *, row_number() OVER w - 1 AS position, count(*) OVER p AS n_touches,
               count(*) FILTER (WHERE ts <= lead_at) OVER p AS n_to_lead,
               count(*) FILTER (WHERE ts <= opportunity_at) OVER p AS n_to_opp
        FROM {kept}
        WINDOW p AS (PARTITION BY account_id, ckey), w AS (p ORDER BY {_ORDER})""")
    con.execute(f"DROP TABLE {kept}")
    con.execute(f"""
        CREATE TEMP TABLE {out['journeys']} AS
        SELECT row_number() OVER (ORDER BY account_id, ckey) - 1 AS journey_id, * FROM (
            SELECT account_id,
                   string_agg(channel, '{config.PATH_SEPARATOR}' ORDER BY position) AS path,
                   count(*) AS n_touches, min(ts) AS first_at, max(ts) AS last_at,
                   any_value(converted) AS converted,
                   any_value(conversion_value) AS conversion_value,
                   any_value(conversion_at) AS conversion_at,
                   CASE WHEN bool_and(team = 'marketing') THEN 'marketing_only'
                        WHEN bool_and(team = 'sales') THEN 'sales_only' ELSE 'mixed' END
                       AS journey_type,
                   any_value(opportunity_id) AS opportunity_id, any_value(lead_at) AS lead_at,
                   any_value(opportunity_at) AS opportunity_at, ckey
            FROM {pos} GROUP BY account_id, ckey)""")
    con.execute(f"""
        CREATE TEMP TABLE {out['touches']} AS
        SELECT j.journey_id, p.account_id, p.position, p.ts AS timestamp, p.channel, p.team,
               p.touch_type, p.cost, p.converted, p.conversion_value, p.conversion_at,
               p.position = 0 AS is_first_touch,
               p.lead_at IS NOT NULL AND p.position = greatest(p.n_to_lead - 1, 0)
                   AS is_lead_creation,
               p.opportunity_at IS NOT NULL AND p.position = greatest(p.n_to_opp - 1, 0)
                   AS is_opp_creation,
               p.converted AND p.position = p.n_touches - 1 AS is_closed_won
        FROM {pos} p JOIN {out['journeys']} j ON p.account_id = j.account_id AND p.ckey = j.ckey""")
    con.execute(f"DROP TABLE {pos}")
    con.execute(f"ALTER TABLE {out['journeys']} DROP COLUMN ckey")
    con.execute(f"""
        CREATE TEMP TABLE {out['paths']} AS
        SELECT path, CAST(sum(CAST(converted AS INTEGER)) AS BIGINT) AS total_conversions,
               sum(conversion_value) AS total_conversion_value,
               CAST(sum(CAST(NOT converted AS INTEGER)) AS BIGINT) AS total_null
        FROM {out['journeys']} GROUP BY path""")
    return out


def _stats(con: duckdb.DuckDBPyConnection, names: dict[str, str]) -> dict[str, int]:
    row = con.execute(f"""
        SELECT (SELECT count(*) FROM {names['tp']}),
               (SELECT count(*) FROM {names['touches']}),
               (SELECT count(*) FROM {names['conv']}),
               (SELECT count(*) FROM {names['conv']} c WHERE NOT EXISTS (
                    SELECT 1 FROM {names['journeys']} j
                    WHERE j.account_id = c.account_id AND j.conversion_at = c.conversion_at)),
               (SELECT count(*) FROM {names['journeys']}),
               (SELECT count(*) FROM {names['journeys']} WHERE converted)""").fetchone()
    keys = ("touches_in", "touches_kept", "conversions", "conversions_without_touches",
            "journeys", "converting_journeys")
    stats = dict(zip(keys, map(int, row), strict=True))
    stats["touches_outside_lookback"] = stats["touches_in"] - stats["touches_kept"]
    return stats


@contextmanager
def _names(con: duckdb.DuckDBPyConnection) -> Iterator[dict[str, str]]:
    """Unique object names for one build; helper objects are dropped afterwards."""
    tag = f"_smj_{uuid.uuid4().hex[:10]}"
    names = {k: f"{tag}_{k}" for k in ("tp", "opp", "conv", "lead", "kept", "pos", "paths",
                                       "journeys", "touches", "tp_src", "opp_src", "db")}
    try:
        yield names
    finally:
        for k in ("tp", "opp"):
            con.execute(f"DROP VIEW IF EXISTS {names[k]}")
        for k in ("conv", "lead", "kept", "pos"):
            con.execute(f"DROP TABLE IF EXISTS {names[k]}")
        for k in ("tp_src", "opp_src"):
            con.unregister(names[k])  # a no-op when it is a view (files route)
            con.execute(f"DROP VIEW IF EXISTS {names[k]}")
        attached = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        if names["db"] in attached:
            con.execute(f"DETACH {names['db']}")


def _finish(con: duckdb.DuckDBPyConnection, names: dict[str, str], lookback_days: float,
            lookback_us: int) -> Journeys:
    tables = _build(con, names, lookback_us)
    return Journeys(con=con, tables=tables, stats=_stats(con, names),
                    lookback_days=float(lookback_days))


def build_journeys(touchpoints: pd.DataFrame, opportunities: pd.DataFrame,
                   lookback_days: float = config.DEFAULT_LOOKBACK_DAYS, *,
                   con: duckdb.DuckDBPyConnection | None = None,
                   validate_input: bool = True) -> Journeys:
    """Build journeys, the path table and the touch table from the touch log and opportunities.

    Parameters
    ----------
    touchpoints, opportunities : contract tables (data/README.md), e.g. from ``smlib.io``.
    lookback_days : touches more than this many days before their conversion (or, for a
        non-converting journey, before its last touch) are dropped. Default 90.
    con : a DuckDB connection to compute in (default: a new in-memory one). Results stay in it as
        temp tables and are fetched into pandas on first access.
    validate_input : validate both frames against the contract first (default True; pass False only
        for frames that came from ``smlib.io``, which are validated already).

    See the module docstring for every convention (splitting, lookback, ties, milestones).
    """
    lookback_us = _check_lookback(lookback_days)
    for name, df in (("touchpoints", touchpoints), ("opportunities", opportunities)):
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}; "
                            "for files use build_journeys_from_files")
    if validate_input:
        touchpoints = validate(touchpoints, "touchpoints")
        opportunities = validate(opportunities, "opportunities")
    con = con if con is not None else duckdb.connect()
    with _names(con) as names:
        tp_cols = [c for c in (*_TOUCH_COLS, "cost") if c in touchpoints.columns]
        opp_cols = [c for c in (*_OPP_COLS, "opportunity_at") if c in opportunities.columns]
        # Arrow tables: DuckDB scans them natively (faster than pandas' object/str columns).
        con.register(names["tp_src"], pa.Table.from_pandas(touchpoints[tp_cols], preserve_index=False))
        con.register(names["opp_src"], pa.Table.from_pandas(opportunities[opp_cols],
                                                            preserve_index=False))
        _create_inputs(con, names["tp_src"], names["opp_src"], names,
                       ("touchpoints (DataFrame)", "opportunities (DataFrame)"))
        return _finish(con, names, lookback_days, lookback_us)


# --------------------------------------------------------------------------------------------
# Files route: Parquet or DuckDB, validated in SQL, never materialised in pandas
# --------------------------------------------------------------------------------------------
def _sql_checks(table: str) -> list[tuple[str, str, str]]:
    """(column, SQL condition for a BAD row, expected) — the contract rules journeys rely on."""
    if table == "touchpoints":
        teams = ", ".join(f"'{t}'" for t in config.TEAMS)
        return [
            ("account_id", "account_id IS NULL OR trim(CAST(account_id AS VARCHAR)) = ''",
             "a non-empty string"),
            ("timestamp", "timestamp IS NULL", "a value"),
            ("channel", "channel IS NULL OR trim(channel) = ''", "a non-empty string"),
            ("channel", "contains(channel, '>')",
             "a channel name without '>' (it separates channels in a path)"),
            ("team", f"team IS NULL OR team NOT IN ({teams})",
             "one of " + ", ".join(repr(t) for t in config.TEAMS)),
            ("touch_type", "touch_type IS NULL OR trim(touch_type) = ''", "a non-empty string"),
            ("cost", "cost IS NULL OR isnan(cost) OR isinf(cost) OR cost < 0",
             "cost >= 0 (a finite number)"),
        ]
    return [
        ("opportunity_id", "opportunity_id IS NULL", "a value"),
        ("account_id", "account_id IS NULL OR trim(CAST(account_id AS VARCHAR)) = ''",
         "a non-empty string"),
        ("lead_at", "lead_at IS NULL", "a value"),
        ("outcome", "outcome IS NULL OR outcome NOT IN ('won', 'lost', 'open')",
         "one of 'won', 'lost', 'open'"),
        ("revenue", "revenue IS NULL OR isnan(revenue) OR isinf(revenue) OR revenue < 0",
         "revenue >= 0 (a finite number)"),
        ("closed_at", "outcome = 'won' AND closed_at IS NULL",
         "closed_at to be set when outcome is 'won'"),
    ]


def _validate_sql(con: duckdb.DuckDBPyConnection, rel: str, table: str, source: str) -> None:
    """Contract checks in one scan (plus one window for duplicates); ``_row`` is 0-based."""
    cols = _columns(con, rel)
    needed = _TOUCH_COLS if table == "touchpoints" else _OPP_COLS
    missing = [c for c in needed if c not in cols]
    if missing:
        found = ", ".join(c for c in cols if c != "_row")
        raise DataValidationError([Problem(source, c, (), 0,
                                           f"a required column (found columns: {found})")
                                   for c in missing])
    checks = [(c, cond, exp) for c, cond, exp in _sql_checks(table) if c in cols]
    counts = con.execute("SELECT " + ", ".join(
        f"count(*) FILTER (WHERE {cond})" for _, cond, _ in checks) + f" FROM {rel}").fetchone()
    problems = []
    for (column, cond, expected), n in zip(checks, counts, strict=True):
        if n:
            rows = con.execute(f"SELECT _row, \"{column}\" FROM {rel} WHERE {cond} "
                               "ORDER BY _row LIMIT 5").fetchall()
            p = make_problem(source, column, [r[0] for r in rows], expected, [r[1] for r in rows])
            problems.append(Problem(p.source, p.column, p.rows, int(n), p.expected, p.got))
    if table == "touchpoints":
        dup = con.execute(f"""
            SELECT count(*), list(_row ORDER BY _row)[1:5] FROM (
                SELECT _row, row_number() OVER (PARTITION BY account_id, timestamp, channel, touch_type
                                                ORDER BY _row) AS k FROM {rel}) WHERE k > 1""").fetchone()
        if dup[0]:
            p = make_problem(source, "account_id, timestamp, channel, touch_type", dup[1],
                             "unique rows (this key repeats an earlier row)")
            problems.append(Problem(p.source, p.column, p.rows, int(dup[0]), p.expected))
    if table == "opportunities":
        dup = con.execute(f"""
            SELECT count(*), list(_row ORDER BY _row)[1:5] FROM (
                SELECT _row, row_number() OVER (PARTITION BY opportunity_id ORDER BY _row) AS k
                FROM {rel}) WHERE k > 1""").fetchone()
        if dup[0]:
            p = make_problem(source, "opportunity_id", dup[1],
                             "unique values (this value repeats an earlier row)")
            problems.append(Problem(p.source, p.column, p.rows, int(dup[0]), p.expected))
    if problems:
        raise DataValidationError(problems)


def build_journeys_from_files(path: str | os.PathLike[str],
                              lookback_days: float = config.DEFAULT_LOOKBACK_DAYS, *,
                              con: duckdb.DuckDBPyConnection | None = None) -> Journeys:
    """:func:`build_journeys` reading ``touchpoints`` and ``opportunities`` straight from disk.

    ``path`` is a dataset folder or a ``.duckdb`` file (see ``smlib.io.find_table_file``). Parquet
    files and DuckDB tables are scanned by DuckDB and never materialised in pandas, so 10M touch
    rows fit in modest memory (benchmarks/bench_journeys.py). The columns journeys use are checked
    in SQL (missing/empty values, teams, '>' in channel names, negative cost or revenue, won deals
    without closed_at, duplicate touches / opportunity ids) with 1-based file row numbers in the
    error. CSV folders go through ``smlib.io.load_table`` (full pandas validation) instead. A
    DuckDB file must hold both tables as stored base tables: a view is refused before the file is
    attached (:func:`smlib.io.check_duckdb_base_tables`).
    """
    lookback_us = _check_lookback(lookback_days)
    files = {t: find_table_file(path, t) for t in ("touchpoints", "opportunities")}
    if any(f.suffix.lower() == ".csv" for f in files.values()):
        return build_journeys(load_table(path, "touchpoints"), load_table(path, "opportunities"),
                              lookback_days, con=con, validate_input=False)
    con = con if con is not None else duckdb.connect()
    with _names(con) as names:
        srcs = {}
        for table, key in (("touchpoints", "tp_src"), ("opportunities", "opp_src")):
            f = files[table]
            if f.suffix.lower() == ".parquet":
                scan = f"read_parquet('{_sql_str(f)}', file_row_number = true)"
                select = f"SELECT * EXCLUDE (file_row_number), file_row_number AS _row FROM {scan}"
                srcs[table] = str(f)
            else:
                # a view in the user's file would run its query with this connection's rights
                check_duckdb_base_tables(f, [table])
                attached = {r[0] for r in con.execute(
                    "SELECT database_name FROM duckdb_databases()").fetchall()}
                if names["db"] not in attached:
                    con.execute(f"ATTACH '{_sql_str(f)}' AS {names['db']} (READ_ONLY)")
                select = f'SELECT *, rowid AS _row FROM {names["db"]}."{table}"'
                srcs[table] = f"{f}:{table}"
            con.execute(f"CREATE TEMP VIEW {names[key]} AS {select}")
            _validate_sql(con, names[key], table, srcs[table])
        _create_inputs(con, names["tp_src"], names["opp_src"], names,
                       (srcs["touchpoints"], srcs["opportunities"]))
        return _finish(con, names, lookback_days, lookback_us)


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------
def journey_mix(journeys: pd.DataFrame | Journeys, level: float = 0.95) -> pd.DataFrame:
    """Journeys by composition: marketing-only, sales-only, mixed.

    Returns one row per ``journey_type`` (all three, even when empty) with ``journeys`` (count),
    ``share`` of all journeys, ``conversions``, ``conversion_rate`` = conversions / journeys with a
    Wilson score interval ``ci_low``/``ci_high`` at ``level`` (statsmodels ``proportion_confint``;
    NaN for an empty type), ``revenue`` (sum of conversion_value) and ``mean_touches``.
    The journey-type split mirrors the MGL/TGL/SGL "who sourced it" view of the SiriusDecisions
    demand waterfall (docs/sources.md §2, https://www.marketone.com/articles/sirius-decisions-demand-waterfall-explained-pt-2).
    """
    df = journeys.journeys if isinstance(journeys, Journeys) else journeys
    need = {"journey_type", "converted", "conversion_value", "n_touches"}
    missing = sorted(need - set(df.columns))
    if missing:
        raise ValueError(f"journeys: missing column(s) {missing}; expected the .journeys table "
                         "of smlib.journeys.build_journeys")
    unknown = sorted(set(df["journey_type"].dropna()) - set(JOURNEY_TYPES))
    if unknown or df["journey_type"].isna().any():
        raise ValueError(f"journeys: column 'journey_type' has values {unknown or ['missing']}; "
                         f"expected one of {list(JOURNEY_TYPES)}")
    g = df.groupby("journey_type", observed=True).agg(
        journeys=("converted", "size"), conversions=("converted", "sum"),
        revenue=("conversion_value", "sum"), mean_touches=("n_touches", "mean"))
    g = g.reindex(list(JOURNEY_TYPES)).fillna({"journeys": 0, "conversions": 0, "revenue": 0.0})
    g = g.astype({"journeys": "int64", "conversions": "int64"})
    total = int(g["journeys"].sum())
    g["share"] = g["journeys"] / total if total else np.nan
    n, k = g["journeys"].to_numpy(), g["conversions"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    lo, hi = proportion_confint(k, np.maximum(n, 1), alpha=1 - level, method="wilson")
    g["conversion_rate"] = rate
    g["ci_low"] = np.where(n > 0, lo, np.nan)
    g["ci_high"] = np.where(n > 0, hi, np.nan)
    g = g.rename_axis("journey_type").reset_index()
    return g[["journey_type", "journeys", "share", "conversions", "conversion_rate", "ci_low",
              "ci_high", "revenue", "mean_touches"]]


def merge_channels(touchpoints: pd.DataFrame, groups: list[list[str]] | list[tuple[str, ...]]
                   ) -> pd.DataFrame:
    """A copy of ``touchpoints`` with each group of channels renamed to one channel ``"a + b"``.

    Used for channels that always occur together (the same journeys): no data can split the
    credit between them, so the reports credit them as one. Channels are joined in sorted order
    with ``" + "``; the merged channel takes the team that most of the group's touches have (ties:
    alphabetical), so a channel never carries two teams. Channels not in a group are unchanged;
    an empty ``groups`` returns the frame as it is.

    Raises:
        ValueError: a channel in two groups, or a group of fewer than two channels.
    """
    seen: dict[str, str] = {}
    names: dict[str, str] = {}
    for group in groups:
        members = sorted(set(group))
        if len(members) < 2:
            raise ValueError(f"merge_channels: a group needs two or more channels, got {group!r}")
        merged = " + ".join(members)
        for ch in members:
            if ch in seen:
                raise ValueError(f"merge_channels: channel {ch!r} is in two groups")
            seen[ch] = merged
        names[merged] = merged
    if not seen:
        return touchpoints
    out = touchpoints.copy()
    in_group = out["channel"].isin(list(seen))
    out.loc[in_group, "channel"] = out.loc[in_group, "channel"].map(seen)
    if "team" in out.columns:
        for merged in names:
            rows = out["channel"].eq(merged)
            counts = out.loc[rows, "team"].value_counts()
            if len(counts):
                top = sorted(counts[counts == counts.max()].index)[0]
                out.loc[rows, "team"] = top
    return out
