"""The data contract (data/README.md) as code: column specs, parsing and pandera validation.

``validate(df, table, source)`` turns a raw frame (as read from CSV, Parquet or DuckDB) into a typed
frame or raises ONE :class:`DataValidationError` listing every problem found:

    data/x/touchpoints.csv: column 'cost', rows 17, 42 (and 3 more): expected cost >= 0, got -5.0, -1.0

Row numbers count data rows from 1 in the order of the file (the CSV header is not counted, so row N
is line N + 1 of a CSV file); for a DataFrame, row N is the N-th row (position, not index label).
With ``on_invalid="drop"`` the rows breaking a row-level rule are left out instead and recorded
(rule, count, first row numbers; never values); table-level problems still raise.

Before any check, surrounding whitespace is removed from the text values of every string column
(``"webinar "`` becomes ``"webinar"``; a value that is only whitespace is left as it is) and each
change is recorded in ``notes``. Every timestamp and period must lie in a plausible window
(``config.PLAUSIBLE_DATES``, see :func:`date_window_bounds`). Duplicate keys are looked for only
among rows whose key values were read. Error messages never show values of the id columns
``config.ID_COLUMNS`` (only row numbers): they identify customers.

``empty_frame(table)`` is a typed table with no rows (an optional table the data do not have).

Types after validation:
- timestamps: ``datetime64[us, UTC]`` (a naive timestamp is read as UTC; an offset is converted);
- periods: ``datetime64[us]`` month starts (``2024-03`` and ``2024-03-01`` are accepted; a mid-month
  date is an error, not silently floored);
- strings: pandas ``str``; floats: ``float64``; ``accounts.size``: ``int64``; ``accounts.integrated``:
  ``bool`` (``boolean`` when it has missing values).
Columns not in the contract are kept, in their original position (only their text values trimmed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from smlib import config

Kind = Literal["string", "timestamp", "period", "float", "int", "bool"]

#: Rows and values shown per problem in an error message.
MAX_SHOWN: int = 5
ROW_NOTE: str = (
    "(rows count data rows from 1 in file order; in a CSV file row N is line N + 1, after the header)"
)
STAGES: tuple[str, ...] = ("lead_at", "mql_at", "sql_at", "opportunity_at", "closed_at")
OUTCOMES: tuple[str, ...] = ("won", "lost", "open")
SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
NON_TOUCH_CHANNELS: tuple[str, ...] = ("sales_people", "marketing_overhead")
#: Shown instead of the values of an id column (``config.ID_COLUMNS``) in an error message.
IDS_HIDDEN: str = "(ids hidden)"
#: Examples of changed values kept per column in a load note.
MAX_NOTE_EXAMPLES: int = 3


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One violated rule: where (source, column, 1-based rows) and what was expected vs found."""

    source: str
    column: str | None
    rows: tuple[int, ...]
    n_rows: int
    expected: str
    got: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"column '{self.column}'" if self.column and "," not in self.column else (
            f"columns ({self.column})" if self.column else "table"
        )
        parts = [f"{self.source}: {where}"]
        if self.rows:
            label = "row" if self.n_rows == 1 else "rows"
            more = self.n_rows - len(self.rows)
            rows = ", ".join(str(r) for r in self.rows)
            parts.append(f", {label} {rows}" + (f" (and {more} more)" if more > 0 else ""))
        text = "".join(parts) + f": expected {self.expected}"
        if self.got:
            text += ", got " + ", ".join(self.got)
        return text


class DataValidationError(ValueError):
    """Input data break the contract in data/README.md; ``problems`` lists every violation.

    The message names the file, the column, the first offending rows (1-based data rows) and what
    was expected, one line per problem.
    """

    def __init__(self, problems: Sequence[Problem]):
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems]
        if any(p.rows for p in self.problems):
            lines.append(ROW_NOTE)
        super().__init__("\n".join(lines))


def format_value(value: Any) -> str:
    """Show a cell value the way a user would recognise it in the file."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def _hide_ids(column: str | None, got: Sequence[Any]) -> tuple[str, ...]:
    """``got`` as text, with the values of id columns (``config.ID_COLUMNS``) left out.

    ``column`` is one name or several joined by ``", "`` (a key); for a key, each value of ``got``
    is a tuple and only its id positions are hidden.
    """
    got = list(got)[:MAX_SHOWN]
    if not got or not column:
        return tuple(format_value(g) for g in got)
    names = [c.strip() for c in str(column).split(",")]
    ids = [i for i, c in enumerate(names) if c in config.ID_COLUMNS]
    if not ids:
        return tuple(format_value(g) for g in got)
    if len(names) == 1 or not all(isinstance(g, tuple) and len(g) == len(names) for g in got):
        return (IDS_HIDDEN,)
    return tuple("(" + ", ".join(f"{names[i]} hidden" if i in ids else format_value(v)
                                 for i, v in enumerate(g)) + ")" for g in got)


def make_problem(source: str, column: str | None, rows: Sequence[int], expected: str,
                 got: Sequence[Any] = ()) -> Problem:
    """Build a :class:`Problem` from 0-based row positions (shown 1-based, first MAX_SHOWN).

    Values of the id columns (``config.ID_COLUMNS``, also inside a key of several columns) are
    never shown: ``got`` then reads ``(ids hidden)``, or ``account_id hidden`` inside a key.
    """
    rows = sorted(int(r) for r in rows)
    shown = rows[:MAX_SHOWN]
    return Problem(source, column, tuple(r + 1 for r in shown), len(rows), expected,
                   _hide_ids(column, got))


# --------------------------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnSpec:
    """One contract column: its type, whether it must exist / may be missing, value checks."""

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    checks: tuple[pa.Check, ...] = ()
    unique: bool = False


@dataclass(frozen=True)
class RowRule:
    """A rule across columns, reported on ``column``; ``ok(df)`` is True for rows that pass.

    ``needs`` lists the columns the rule reads (it is skipped when one is absent); ``show`` the
    columns whose values are printed for failing rows.
    """

    column: str
    expected: str
    ok: Callable[[pd.DataFrame], pd.Series]
    needs: tuple[str, ...]
    show: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """A contract table: columns, unique keys (column tuples) and cross-column rules."""

    name: str
    columns: tuple[ColumnSpec, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    rules: tuple[RowRule, ...] = field(default=())

    @property
    def required(self) -> list[str]:
        """Names of the columns that must be present."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``."""
        return next(c for c in self.columns if c.name == name)


def _not_empty() -> pa.Check:
    return pa.Check(lambda s: s.str.strip().str.len() > 0, error="a non-empty string")


def _one_of(values: Sequence[str]) -> pa.Check:
    return pa.Check.isin(list(values), error="one of " + ", ".join(repr(v) for v in values))


def _non_negative(name: str) -> tuple[pa.Check, ...]:
    return (pa.Check(lambda s: np.isfinite(s), error="a finite number"),
            pa.Check.ge(0, error=f"{name} >= 0"))


def _no_separator() -> pa.Check:
    return pa.Check(lambda s: ~s.str.contains(">", regex=False),
                    error="a channel name without '>' (it separates channels in a path)")


def _stage_rule(k: int) -> RowRule:
    """``STAGES[k]`` is not before the latest earlier stage that is present."""
    col, earlier = STAGES[k], STAGES[:k]

    def ok(df: pd.DataFrame) -> pd.Series:
        present = [c for c in earlier if c in df.columns]
        prev = df[present].max(axis=1, skipna=True)
        return df[col].isna() | prev.isna() | (df[col] >= prev)

    order = " <= ".join(STAGES)
    return RowRule(col, f"{col} not before the earlier stages ({order})", ok,
                   needs=(col, "lead_at"), show=STAGES)


def _needs_rule(col: str, before: str) -> RowRule:
    return RowRule(col, f"{before} to be set when {col} is set (a later stage needs the one before)",
                   lambda d: d[col].isna() | d[before].notna(), needs=(col, before), show=(col, before))


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name``, or an all-missing column when the (optional) column is absent."""
    return df[name] if name in df.columns else pd.Series(pd.NaT, index=df.index)


def _adoption_constant(df: pd.DataFrame) -> pd.Series:
    # NaT counts as a value of its own: a unit is either never or always adopted at one period.
    filled = df["adoption_period"].fillna(pd.Timestamp("1677-09-22"))
    return df.assign(_a=filled).groupby("unit_id", dropna=False)["_a"].transform("nunique") <= 1


TABLES: dict[str, TableSpec] = {
    "touchpoints": TableSpec(
        "touchpoints",
        (
            ColumnSpec("account_id", "string", checks=(_not_empty(),)),
            ColumnSpec("timestamp", "timestamp"),
            ColumnSpec("channel", "string", checks=(_not_empty(), _no_separator())),
            ColumnSpec("team", "string", checks=(_one_of(config.TEAMS),)),
            ColumnSpec("touch_type", "string", checks=(_not_empty(),)),
            ColumnSpec("cost", "float", required=False, checks=_non_negative("cost")),
        ),
        unique=(("account_id", "timestamp", "channel", "touch_type"),),
    ),
    "opportunities": TableSpec(
        "opportunities",
        (
            ColumnSpec("opportunity_id", "string", checks=(_not_empty(),), unique=True),
            ColumnSpec("account_id", "string", checks=(_not_empty(),)),
            ColumnSpec("lead_at", "timestamp"),
            ColumnSpec("mql_at", "timestamp", required=False, nullable=True),
            ColumnSpec("sql_at", "timestamp", required=False, nullable=True),
            ColumnSpec("opportunity_at", "timestamp", required=False, nullable=True),
            ColumnSpec("closed_at", "timestamp", required=False, nullable=True),
            ColumnSpec("outcome", "string", checks=(_one_of(OUTCOMES),)),
            ColumnSpec("revenue", "float", checks=_non_negative("revenue")),
            ColumnSpec("gross_margin", "float", checks=(
                pa.Check.in_range(0.0, 1.0, error="a fraction in [0, 1]"),)),
            ColumnSpec("source_team", "string", required=False, nullable=True,
                       checks=(_one_of(config.TEAMS),)),
        ),
        rules=(
            *(_stage_rule(k) for k in range(1, len(STAGES))),
            _needs_rule("opportunity_at", "sql_at"),
            RowRule("closed_at", "closed_at to be set when outcome is 'won' or 'lost'",
                    lambda d: ~d["outcome"].isin(["won", "lost"]) | _col(d, "closed_at").notna(),
                    needs=("outcome",), show=("outcome", "closed_at")),
            RowRule("closed_at", "no closed_at when outcome is 'open'",
                    lambda d: (d["outcome"] != "open") | d["closed_at"].isna(),
                    needs=("outcome", "closed_at"), show=("outcome", "closed_at")),
            RowRule("opportunity_at", "opportunity_at to be set when outcome is 'won'",
                    lambda d: (d["outcome"] != "won") | _col(d, "opportunity_at").notna(),
                    needs=("outcome",), show=("outcome", "opportunity_at")),
            RowRule("revenue", "revenue == 0 when outcome is 'lost'",
                    lambda d: (d["outcome"] != "lost") | (d["revenue"] == 0) | d["revenue"].isna(),
                    needs=("outcome", "revenue"), show=("outcome", "revenue")),
        ),
    ),
    "spend": TableSpec(
        "spend",
        (
            ColumnSpec("period", "period"),
            ColumnSpec("channel", "string", checks=(_not_empty(), _no_separator())),
            ColumnSpec("team", "string", checks=(_one_of(config.TEAMS),)),
            ColumnSpec("cost", "float", checks=_non_negative("cost")),
            ColumnSpec("unit_id", "string", required=False, nullable=True, checks=(_not_empty(),)),
        ),
        unique=(("period", "channel", "team", "unit_id"),),
    ),
    "units": TableSpec(
        "units",
        (
            ColumnSpec("unit_id", "string", checks=(_not_empty(),)),
            ColumnSpec("period", "period"),
            ColumnSpec("revenue", "float", checks=_non_negative("revenue")),
            ColumnSpec("adoption_period", "period", required=False, nullable=True),
        ),
        unique=(("unit_id", "period"),),
        rules=(RowRule("adoption_period", "one adoption_period per unit_id (constant within a unit)",
                       _adoption_constant, needs=("unit_id", "adoption_period"),
                       show=("unit_id", "adoption_period")),),
    ),
    "accounts": TableSpec(
        "accounts",
        (
            ColumnSpec("account_id", "string", checks=(_not_empty(),), unique=True),
            ColumnSpec("unit_id", "string", checks=(_not_empty(),)),
            ColumnSpec("segment", "string", checks=(_one_of(SEGMENTS),)),
            ColumnSpec("size", "int", checks=(pa.Check.ge(1, error="size >= 1"),)),
            ColumnSpec("integrated", "bool", required=False, nullable=True),
        ),
    ),
    # optional calibration table (not one of config.TABLES: smlib.io.load_experiments reads it)
    "experiments": TableSpec(
        "experiments",
        (
            ColumnSpec("channel", "string", checks=(_not_empty(), _no_separator())),
            ColumnSpec("start", "timestamp"),
            ColumnSpec("end", "timestamp"),
            ColumnSpec("incremental_conversions", "float", checks=(
                pa.Check(lambda s: np.isfinite(s), error="a finite number"),)),
            ColumnSpec("standard_error", "float", required=False, nullable=True, checks=(
                pa.Check.gt(0, error="standard_error > 0"),)),
            ColumnSpec("ci_low", "float", required=False, nullable=True),
            ColumnSpec("ci_high", "float", required=False, nullable=True),
            ColumnSpec("level", "float", required=False, nullable=True, checks=(
                pa.Check.in_range(0.0, 1.0, include_min=False, include_max=False,
                                  error="a level in (0, 1)"),)),
        ),
        rules=(
            RowRule("end", "end not before start", lambda d: d["end"] >= d["start"],
                    needs=("start", "end"), show=("start", "end")),
            RowRule("standard_error", "standard_error, or both ci_low and ci_high",
                    lambda d: _col(d, "standard_error").notna()
                    | (_col(d, "ci_low").notna() & _col(d, "ci_high").notna()),
                    needs=("incremental_conversions",), show=("standard_error", "ci_low", "ci_high")),
        ),
    ),
}


def spec(table: str) -> TableSpec:
    """The :class:`TableSpec` of ``table`` (one of config.TABLES)."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    return TABLES[table]


# --------------------------------------------------------------------------------------------
# Parsing (raw values -> contract types); unparseable values become problems, not crashes
# --------------------------------------------------------------------------------------------
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
_EXAMPLE = {
    "timestamp": "an ISO 8601 timestamp (e.g. 2024-03-04T10:15:00Z)",
    "period": "a month-start date (e.g. 2024-03-01 or 2024-03)",
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
}


def _to_utc(s: pd.Series) -> pd.Series:
    """Any datetime-like or text series -> datetime64[us, UTC]; unparseable -> NaT."""
    if isinstance(s.dtype, pd.PeriodDtype):
        s = s.dt.to_timestamp()
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.as_unit("us")
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s.dt.tz_localize("UTC").dt.as_unit("us")
    if pd.api.types.is_numeric_dtype(s.dtype) and not s.isna().all():
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")  # numbers: ambiguous
    text = s.astype("str") if not s.isna().all() else s
    try:
        out = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    except (TypeError, ValueError):
        out = pd.to_datetime(text, format="mixed", utc=True, errors="coerce")
    return out.dt.as_unit("us")


def _parse(s: pd.Series, kind: Kind) -> pd.Series:
    """Convert one column to its contract type; values that cannot be read become missing."""
    if kind == "string":
        if isinstance(s.dtype, pd.StringDtype):
            return s
        if pd.api.types.is_float_dtype(s.dtype) and (s.dropna() % 1 == 0).all():
            s = s.astype("Int64")  # ids stored as floats (because of gaps): 7.0 -> "7", not "7.0"
        return s.astype("str")
    if kind == "timestamp":
        return _to_utc(s)
    if kind == "period":
        return _to_utc(s).dt.tz_localize(None)
    if kind == "float" or kind == "int":
        if pd.api.types.is_bool_dtype(s.dtype):
            s = s.astype("float64")
        out = pd.to_numeric(s, errors="coerce").astype("float64")
        return out
    if kind == "bool":
        if pd.api.types.is_bool_dtype(s.dtype):
            return s.astype("boolean")
        text = s.astype("str").str.strip().str.lower()
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[text.isin(_TRUE)] = True
        out[text.isin(_FALSE)] = False
        return out
    raise AssertionError(kind)


def _parse_problems(raw: pd.Series, parsed: pd.Series, col: ColumnSpec, source: str) -> tuple[
        Problem | None, np.ndarray]:
    """Rows whose raw value was present but could not be read (or is off the contract's grid)."""
    bad = raw.notna().to_numpy() & parsed.isna().to_numpy()
    expected = _EXAMPLE.get(col.kind, "")
    if col.kind == "int":
        frac = parsed.notna() & (parsed != np.floor(parsed))
        bad |= frac.to_numpy()
    if col.kind == "period":
        off = parsed.notna() & ((parsed.dt.day != 1) | (parsed != parsed.dt.normalize()))
        bad |= off.to_numpy()
    if not bad.any():
        return None, bad
    rows = np.flatnonzero(bad)
    return make_problem(source, col.name, rows, expected, raw.iloc[rows[:MAX_SHOWN]].tolist()), bad


DateLike = str | dt.date | pd.Timestamp | None
#: (earliest, latest) plausible dates; see :func:`date_window_bounds`.
DateWindow = tuple[DateLike, DateLike]


def date_window_bounds(date_window: DateWindow | None = None,
                       ) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    """The plausible window ``(earliest, latest)`` for timestamps and periods, as naive dates.

    ``date_window`` defaults to ``config.PLAUSIBLE_DATES`` (``("1990-01-01", None)``). Both ends are
    included (the whole latest day). ``None`` as the latest end means today (UTC) + 1 year; ``None``
    as the earliest means no lower limit. Raises ValueError naming the value when an end is not a
    date or the window is empty.
    """
    window = config.PLAUSIBLE_DATES if date_window is None else date_window
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise ValueError(f"date_window must be (earliest, latest), e.g. ('1990-01-01', None), "
                         f"got {window!r}")

    def day(value: DateLike, end: str) -> pd.Timestamp | None:
        if value is None:
            return None
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError):
            ts = pd.NaT
        if ts is pd.NaT:
            raise ValueError(f"date_window: the {end} date {value!r} is not a date "
                             "(expected e.g. '1990-01-01' or None)") from None
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.normalize()

    lo, hi = day(window[0], "earliest"), day(window[1], "latest")
    if hi is None:
        hi = (pd.Timestamp.now(tz="UTC").tz_localize(None) + pd.DateOffset(years=1)).normalize()
    if lo is not None and lo > hi:
        raise ValueError(f"date_window: the earliest date {lo:%Y-%m-%d} is after the latest "
                         f"{hi:%Y-%m-%d}")
    return lo, hi


def _window_problem(parsed: pd.Series, col: ColumnSpec, source: str,
                    window: tuple[pd.Timestamp | None, pd.Timestamp]) -> tuple[
        Problem | None, np.ndarray]:
    """Rows whose timestamp or period lies outside the plausible ``window``."""
    lo, hi = window
    naive = parsed.dt.tz_convert("UTC").dt.tz_localize(None) if col.kind == "timestamp" else parsed
    outside = naive >= hi + pd.Timedelta(days=1)
    if lo is not None:
        outside |= naive < lo
    bad = (naive.notna() & outside).to_numpy(dtype=bool)
    if not bad.any():
        return None, bad
    rows = np.flatnonzero(bad)
    span = f"from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}" if lo is not None else f"up to {hi:%Y-%m-%d}"
    expected = (f"a plausible date, {span} (config.PLAUSIBLE_DATES; "
                "load_dataset(..., date_window=(earliest, latest)) sets another window)")
    return make_problem(source, col.name, rows, expected, parsed.iloc[rows[:MAX_SHOWN]].tolist()), bad


# --------------------------------------------------------------------------------------------
# Surrounding whitespace in text values
# --------------------------------------------------------------------------------------------
def strip_text(df: pd.DataFrame, table: str, notes: list[dict[str, Any]] | None = None,
               ) -> pd.DataFrame:
    """Remove surrounding whitespace from the text values of every string column of ``df``.

    Every column holding text is treated the same way (contract columns and extra columns):
    ``"webinar "`` becomes ``"webinar"``; a value that is only whitespace is left as it is (a
    required text then fails its not-empty check, showing the value). Non-text values are
    untouched. For each column changed, ``notes`` receives ``{"table", "column", "count",
    "examples"}``: the number of values changed and up to ``MAX_NOTE_EXAMPLES`` distinct original
    values -- none for the id columns (``config.ID_COLUMNS``), which are counted only. Returns a
    new frame (``df`` itself when nothing changes).
    """
    out = df
    names = list(df.columns)
    for i, name in enumerate(names):
        if names.count(name) > 1:
            continue  # a repeated column name is a table-level error, reported by validate
        s = df.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if not (pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object):
                continue
            s = s.astype(object)  # kept categorical unless a value changes
        if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object) or s.empty:
            continue
        try:
            stripped = s.str.strip()
            nonempty = stripped.str.len() > 0
        except AttributeError:  # an object column without text values
            continue
        changed = (stripped.notna().to_numpy(dtype=bool)
                   & nonempty.to_numpy(dtype=bool, na_value=False)
                   & (stripped != s).to_numpy(dtype=bool, na_value=False))
        if not changed.any():
            continue
        if out is df:
            out = df.copy()
        new = s.copy()
        new[changed] = stripped[changed]
        out[name] = new
        if notes is not None:
            examples = [] if name in config.ID_COLUMNS else [
                str(v) for v in pd.unique(s[changed])[:MAX_NOTE_EXAMPLES]]
            notes.append({"table": table, "column": str(name), "count": int(changed.sum()),
                          "examples": examples})
    return out


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
_BUILTIN_EXPECTED = {
    "not_nullable": "a value",
    "field_uniqueness": "unique values (this value repeats an earlier row)",
}


def _schema(ts: TableSpec, present: Sequence[str]) -> pa.DataFrameSchema:
    # uniqueness (of a column or a key) is checked by _duplicates, among rows that were read
    cols = {
        c.name: pa.Column(None, checks=list(c.checks), nullable=c.nullable, required=False)
        for c in ts.columns if c.name in present
    }
    checks = [pa.Check(r.ok, error=f"rule:{i}") for i, r in enumerate(ts.rules)
              if all(n in present for n in r.needs)]
    return pa.DataFrameSchema(cols, checks=checks, strict=False, coerce=False)


def _duplicates(df: pd.DataFrame, ts: TableSpec, source: str,
                skip: dict[str, np.ndarray]) -> list[tuple[Problem, np.ndarray]]:
    """Repeated unique values and keys, among the rows whose key values were read.

    A row whose key column holds an unreadable value (or a missing one where a value is
    required) is left out: it is reported for that value, not also as a duplicate of another such
    row. The first row of a repeated key is kept, the later ones are reported.
    """
    keys: list[tuple[tuple[str, ...], str]] = [
        ((c.name,), "unique values (this value repeats an earlier row)")
        for c in ts.columns if c.unique and c.name in df.columns]
    for u in ts.unique:
        if all(k in df.columns for k in u[:-1]):
            # an optional last key column (spend.unit_id) that is absent is left out of the key
            keys.append((tuple(k for k in u if k in df.columns),
                         "unique rows (this key repeats an earlier row)"))
    found: list[tuple[Problem, np.ndarray]] = []
    for key, expected in keys:
        usable = np.ones(len(df), dtype=bool)
        for k in key:
            if k in skip:
                usable &= ~skip[k]
            if not ts.column(k).nullable:
                usable &= df[k].notna().to_numpy()
        sub = df.loc[usable, list(key)]
        dup = sub.duplicated(keep="first").to_numpy()
        if not dup.any():
            continue
        rows = np.flatnonzero(usable)[dup]
        if len(key) == 1:
            got: list[Any] = [df.iloc[r][key[0]] for r in rows[:MAX_SHOWN]]
        else:
            got = [tuple(df.iloc[r][k] for k in key) for r in rows[:MAX_SHOWN]]
        found.append((make_problem(source, ", ".join(key), rows, expected, got), rows))
    return found


def _translate(err: SchemaErrors, ts: TableSpec, df: pd.DataFrame, source: str,
               skip: dict[str, np.ndarray]) -> list[tuple[Problem, np.ndarray]]:
    """Group pandera's failure cases into one Problem per (column, check), with all its rows.

    Each Problem comes with the 0-based positions of every failing row (empty for a failure that
    has no row, which is a table-level problem).
    """
    fc = err.failure_cases
    found: list[tuple[Problem, np.ndarray]] = []
    no_rows = np.array([], dtype=int)
    # A failure without a row (e.g. a check that raised) must still fail loudly, never pass.
    for _, row in fc[fc["index"].isna()].iterrows():
        rule = str(row["check"])
        if rule.startswith("rule:"):
            rule = ts.rules[int(rule.split(":")[1])].expected
        column = None if pd.isna(row["column"]) else str(row["column"])
        found.append((Problem(source, column, (), 0, _BUILTIN_EXPECTED.get(rule, rule),
                              _hide_ids(column, [row["failure_case"]])), no_rows))
    fc = fc[fc["index"].notna()]
    for check, group in fc.groupby("check", sort=False):
        if str(check).startswith("rule:"):
            rule = ts.rules[int(str(check).split(":")[1])]
            rows = np.unique(group["index"].astype(int).to_numpy())
            # a row with an unreadable value in a column the rule reads is reported for that value
            # only (its value became missing, which would break the rule for no real reason)
            for c in {*rule.needs, *rule.show, rule.column}:
                if c in skip and len(rows):
                    rows = rows[~skip[c][rows]]
            if len(rows) == 0:
                continue
            shown = [c for c in rule.show if c in df.columns and c not in config.ID_COLUMNS]
            got = [", ".join(f"{c}={format_value(df.iloc[r][c])}" for c in shown)
                   for r in rows[:MAX_SHOWN]]
            p = make_problem(source, rule.column, rows, rule.expected)
            found.append((Problem(p.source, p.column, p.rows, p.n_rows, p.expected,
                                  tuple(f"[{g}]" for g in got)), rows))
            continue
        for column, cg in group.groupby("column", sort=False):
            rows = cg["index"].astype(int).to_numpy()
            if column in skip:  # already reported as unparseable
                rows = rows[~skip[column][rows]]
            if len(rows) == 0:
                continue
            order = np.argsort(rows, kind="stable")
            rows = rows[order]
            expected = _BUILTIN_EXPECTED.get(str(check), str(check))
            got = [df.iloc[r][column] for r in rows[:MAX_SHOWN]]
            found.append((make_problem(source, str(column), rows, expected, got), rows))
    return found


def _check(df: pd.DataFrame, ts: TableSpec, source: str,
           window: tuple[pd.Timestamp | None, pd.Timestamp] | None = None) -> tuple[
        pd.DataFrame, list[tuple[Problem, np.ndarray]]]:
    """Parse and check ``df`` (0..n-1 index); return the parsed frame and every problem found.

    ``window``: the plausible (earliest, latest) dates (:func:`date_window_bounds`); None: no
    date window.

    Each problem comes with the 0-based positions of all its rows; an empty array marks a
    table-level problem (a missing column, a repeated column name, a check that crashed).
    """
    no_rows = np.array([], dtype=int)
    missing = [c for c in ts.required if c not in df.columns]
    if missing:
        cols = ", ".join(map(str, df.columns)) or "none"
        return df, [(Problem(source, c, (), 0, f"a required column (found columns: {cols})"), no_rows)
                    for c in missing]
    dup_cols = df.columns[df.columns.duplicated()].unique().tolist()
    if dup_cols:
        return df, [(Problem(source, str(c), (), 0, "the column name only once"), no_rows)
                    for c in dup_cols]

    out = df
    found: list[tuple[Problem, np.ndarray]] = []
    skip: dict[str, np.ndarray] = {}
    parsed = {}
    for col in ts.columns:
        if col.name not in out.columns:
            continue
        raw = out[col.name]
        new = _parse(raw, col.kind)
        problem, bad = _parse_problems(raw, new, col, source)
        if problem is not None:
            found.append((problem, np.flatnonzero(bad)))
            new = new.mask(bad)
        if window is not None and col.kind in ("timestamp", "period"):
            far, outside = _window_problem(new, col, source, window)
            if far is not None:
                found.append((far, np.flatnonzero(outside)))
                bad = bad | outside
                new = new.mask(outside)
        if bad.any():
            skip[col.name] = bad
        parsed[col.name] = new
    out = out.assign(**parsed)

    try:
        _schema(ts, list(out.columns)).validate(out, lazy=True)
    except SchemaErrors as err:
        found.extend(_translate(err, ts, out, source, skip))
    found.extend(_duplicates(out, ts, source, skip))
    order = {c.name: i for i, c in enumerate(ts.columns)}
    found.sort(key=lambda f: (order.get(str(f[0].column), len(order)), f[0].rows[:1]))
    return out, found


#: What ``validate``/``load_dataset`` do with rows that break the contract.
OnInvalid = Literal["error", "drop"]
ON_INVALID: tuple[str, ...] = ("error", "drop")


def check_on_invalid(on_invalid: str) -> None:
    """Raise ValueError unless ``on_invalid`` is ``"error"`` or ``"drop"``."""
    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be 'error' or 'drop', got {on_invalid!r}")


def validate(df: pd.DataFrame, table: str, source: str | None = None, *,
             on_invalid: OnInvalid = "error", dropped: list[dict[str, Any]] | None = None,
             notes: list[dict[str, Any]] | None = None, date_window: DateWindow | None = None,
             ) -> pd.DataFrame:
    """Parse and validate one table against the contract; return the typed frame.

    Parameters
    ----------
    df : the raw table (any index; rows are numbered by position).
    table : one of ``config.TABLES``.
    source : how the error message names the input (a file path); default ``"<table> (DataFrame)"``.
    on_invalid : ``"error"`` (default) raises on any problem. ``"drop"`` leaves out the rows that
        break a row-level rule (unreadable or missing value, disallowed value, range, stage order,
        duplicate key -- the first row of a repeated key is kept) and returns the rest; table-level
        problems (a missing required column, a repeated column name) still raise.
    dropped : with ``on_invalid="drop"``, a list that receives one dict per broken rule:
        ``table``, ``column``, ``rule`` (what was expected), ``count`` (rows breaking it) and
        ``rows`` (the first 1-based row numbers, at most ``MAX_SHOWN``). Values are never recorded
        (they could be account ids). A row breaking two rules counts under both.
    notes : a list that receives one dict per column whose text values had surrounding
        whitespace removed (see :func:`strip_text`): ``table``, ``column``, ``count`` and
        ``examples`` (never for id columns).
    date_window : the plausible (earliest, latest) dates of every timestamp and period; default
        ``config.PLAUSIBLE_DATES`` (see :func:`date_window_bounds`).

    Raises
    ------
    DataValidationError
        listing every problem: missing required columns, unreadable values (timestamps, numbers),
        missing values, disallowed values, negative cost/revenue, '>' in channel names, duplicate
        keys, funnel stage order, dates outside the plausible window, etc. (see data/README.md).
        Values of id columns are never shown.
    """
    check_on_invalid(on_invalid)
    ts = spec(table)
    source = source or f"{table} (DataFrame)"
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{source}: expected a pandas DataFrame, got {type(df).__name__}")
    window = date_window_bounds(date_window)

    current = strip_text(df.reset_index(drop=True), table, notes)
    positions = np.arange(len(current))  # original 0-based row of each current row
    while True:
        out, found = _check(current, ts, source, window)
        if not found:
            break
        table_level = any(len(rows) == 0 for _, rows in found)
        if on_invalid == "error" or table_level:
            raise DataValidationError([_renumber(p, rows, positions) for p, rows in found])
        bad = np.zeros(len(current), dtype=bool)
        for problem, rows in found:
            bad[rows] = True
            if dropped is not None:
                shown = _renumber(problem, rows, positions)
                dropped.append({"table": table, "column": problem.column, "rule": problem.expected,
                                "count": int(len(rows)), "rows": list(shown.rows)})
        # Dropping rows can only remove duplicates and rule failures, so one more pass normally
        # finds nothing; it is repeated anyway so that what is returned is always valid.
        current = current.loc[~bad].reset_index(drop=True)
        positions = positions[~bad]

    # Narrow nullable dtypes once the data are known to be complete.
    for col in ts.columns:
        if col.name in out.columns and col.kind == "int":
            out[col.name] = out[col.name].astype("int64")
        if col.name in out.columns and col.kind == "bool" and not out[col.name].isna().any():
            out[col.name] = out[col.name].astype("bool")
    return out


def _renumber(problem: Problem, rows: np.ndarray, positions: np.ndarray) -> Problem:
    """``problem`` with its shown rows counted in the original input (1-based)."""
    if not len(rows):
        return problem
    original = np.sort(positions[rows])[:MAX_SHOWN]
    return replace(problem, rows=tuple(int(r) + 1 for r in original))


_EMPTY_DTYPES: dict[str, str] = {
    "string": "str", "timestamp": "datetime64[us, UTC]", "period": "datetime64[us]",
    "float": "float64", "int": "int64", "bool": "bool",
}


def empty_frame(table: str) -> pd.DataFrame:
    """A table with no rows but every contract column of ``table`` (optional ones too), typed.

    The dtypes are those :func:`validate` returns (``str``, ``datetime64[us, UTC]`` timestamps,
    ``datetime64[us]`` periods, ``float64``, ``int64``, ``bool``); ``load_dataset`` uses it for an
    optional table the data do not have.
    """
    ts = spec(table)
    return pd.DataFrame({c.name: pd.Series([], dtype=_EMPTY_DTYPES[c.kind]) for c in ts.columns})


# --------------------------------------------------------------------------------------------
# credit tables (output of smlib.attribution, input of smlib.metrics)
# --------------------------------------------------------------------------------------------
def require_columns(df: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise a ValueError naming the table and every missing column (and what was found).

    The check an analysis function makes on a frame it was handed (not a file: files are checked
    by :func:`validate`, which names rows too).
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{table}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{table}: missing required column(s) {missing}; "
                         f"found {list(df.columns)} (see data/README.md)")


def credit_table(credit: pd.DataFrame, name: str = "credit", *, require_value: bool = False,
                 nonnegative: bool = False, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Check a credit table (``model, channel, conversions, value, share``) and return a copy.

    A single-model frame (no ``model`` column) gets ``model = "model"``; a missing ``value``
    column becomes NaN unless ``require_value``. ``conversions`` (and ``value`` when required)
    must be finite numbers, and ``>= 0`` with ``nonnegative`` (then converted to float, tiny
    negative rounding errors clipped to 0). One row per ``model, channel`` and the extra ``keys``
    columns present (e.g. ``period``).

    Raises:
        ValueError: naming ``name``, the column and the first offending rows.
    """
    if not isinstance(credit, pd.DataFrame):
        raise ValueError(f"{name}: expected a DataFrame, got {type(credit).__name__}")
    needed = ("channel", "conversions", "value") if require_value else ("channel", "conversions")
    missing = [c for c in needed if c not in credit.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; expected the output of "
                         "attribute()/compare(): model, channel, conversions, value, share")
    out = credit.copy()
    if "model" not in out.columns:
        out["model"] = "model"
    if "value" not in out.columns:
        out["value"] = np.nan
    for col in ("conversions", "value") if require_value else ("conversions",):
        num = pd.to_numeric(out[col], errors="coerce")
        finite = np.isfinite(num.to_numpy(float))
        bad = ~finite | (num.to_numpy(float) < -1e-9) if nonnegative else ~finite
        if bad.any():
            rows = list(out.index[bad][:5])
            more = int(bad.sum()) - len(rows)
            tail = f" (and {more} more)" if more > 0 else ""
            got = f", got {list(out.loc[bad, col].head(5))}"
            raise ValueError(f"{name}: column {col!r}, rows {rows}{tail} (0-based): expected "
                             + ("a number >= 0" if nonnegative else "a finite number") + got)
        if nonnegative:
            out[col] = num.clip(lower=0.0).astype(float)
    dup = out.duplicated(["model", "channel", *[c for c in keys if c in out.columns]])
    if dup.any():
        raise ValueError(f"{name}: duplicate (model, channel) rows, e.g. "
                         f"{out.loc[dup, ['model', 'channel']].iloc[0].tolist()}; expected one row "
                         "per model and channel")
    return out
