"""Load and validate the contract tables (data/README.md) from CSV, Parquet or DuckDB.

- ``load_table(path, table)``: one validated table. ``path`` is a folder holding ``<table>.csv`` or
  ``<table>.parquet``, a single ``.csv``/``.parquet`` file, or a ``.duckdb`` database holding a table
  named ``<table>``.
- ``load_dataset(path=None, *, on_invalid="error", mapping=None)``: the tables as a :class:`Dataset`,
  with the input files and their sha256 hashes for provenance. ``touchpoints`` and ``opportunities``
  are required (``config.REQUIRED_TABLES``); ``spend``, ``units`` and ``accounts`` are optional
  (``config.OPTIONAL_TABLES``): an absent one is an empty typed table and is listed in
  ``Dataset.missing``. ``path=None`` means the default simulated dataset, generated
  deterministically on first use by :func:`ensure_default_dataset`.
- A ``mapping.toml`` beside the data (or ``mapping=`` a path or dict) renames an export's columns to
  the contract's names, maps its values (``"Closed Won" = "won"``) and fills columns it lacks with a
  constant (see :func:`read_mapping` and data/README.md). It is applied after reading and before
  validation.

Every load validates (see :mod:`smlib.schemas`) and raises one :class:`DataValidationError` (a
``ValueError``) naming the file, column, first offending rows (1-based data rows) and what was
expected; with ``on_invalid="drop"`` rows that break a row-level rule are left out instead and
listed in ``Dataset.dropped`` (rule, count and row numbers, never values). Nothing here writes into
a folder it reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from smlib import config
from smlib.schemas import (
    DataValidationError,
    OnInvalid,
    Problem,
    check_on_invalid,
    empty_frame,
    spec,
    validate,
)

__all__ = [
    "DataMapping",
    "DataValidationError",
    "Dataset",
    "MappingError",
    "MissingTablesError",
    "TableMapping",
    "apply_mapping",
    "ensure_default_dataset",
    "find_table_file",
    "load_dataset",
    "load_table",
    "read_mapping",
    "read_raw",
    "sha256_file",
]

DUCKDB_SUFFIXES: tuple[str, ...] = (".duckdb", ".ddb", ".db")
FILE_SUFFIXES: tuple[str, ...] = (".parquet", ".csv")
#: Name of the mapping file looked for beside the data (in the folder, or beside a database file).
MAPPING_FILE: str = "mapping.toml"
MAPPING_SECTIONS: tuple[str, ...] = ("columns", "values", "defaults")


@dataclass
class Dataset:
    """The five validated tables plus where they came from.

    ``files[table]`` is the file each table was read from (the same ``.duckdb`` file for all tables
    of a database) and ``hashes[table]`` its sha256 hex digest; both list only the tables actually
    read. ``missing`` names the optional tables the data do not have (each is an empty frame with
    the contract's columns and types); ``dropped`` lists the rows left out by
    ``load_dataset(..., on_invalid="drop")``: one dict per broken rule with ``table``, ``column``,
    ``rule``, ``count`` and ``rows`` (first 1-based row numbers), never values.
    """

    touchpoints: pd.DataFrame
    opportunities: pd.DataFrame
    spend: pd.DataFrame
    units: pd.DataFrame
    accounts: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    missing: tuple[str, ...] = ()
    dropped: list[dict[str, Any]] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame:
        """The table called ``name`` (one of config.TABLES)."""
        spec(name)
        return getattr(self, name)

    def has(self, table: str) -> bool:
        """True when ``table`` was in the data and holds at least one row (after any drops)."""
        return table not in self.missing and len(self.table(table)) > 0

    def with_channel_labels(self, labels: Mapping[str, str] | None) -> Dataset:
        """The dataset with channels renamed by ``labels`` (``{"sdr_call": "SDR call"}``) in
        ``touchpoints`` and ``spend``, so every report shows the company's own names.

        Channels not in ``labels`` keep their name; two channels may be given the same label
        (they are then one channel). Raises ValueError naming the entry when a label is not a
        non-empty text or contains ``>`` (the path separator).
        """
        if not labels:
            return self
        if not isinstance(labels, Mapping):
            raise ValueError(f"labels must be a mapping {{channel: label}}, got {labels!r}")
        for key, value in labels.items():
            if not isinstance(value, str) or not value.strip() or ">" in value:
                raise ValueError(f"labels[{key!r}] = {value!r}: expected a non-empty text "
                                 "without '>' (the path separator)")
        rename = {str(k): v.strip() for k, v in labels.items()}

        def relabel(df: pd.DataFrame) -> pd.DataFrame:
            if "channel" not in df.columns or df.empty:
                return df
            return df.assign(channel=df["channel"].map(lambda c: rename.get(c, c)).astype(
                df["channel"].dtype))

        return replace(self, touchpoints=relabel(self.touchpoints), spend=relabel(self.spend))

    def between(self, start: str | pd.Timestamp | None = None,
                end: str | pd.Timestamp | None = None) -> Dataset:
        """The dataset restricted to a date range (both ends included, at day resolution).

        Touchpoints are kept by ``timestamp``, opportunities by ``lead_at`` (when the lead entered the
        funnel), spend and units by the month ``period`` overlapping the range; accounts are kept
        whole (they are attributes, not events). A date without time as ``end`` includes that whole
        day. Naive dates are UTC.
        """
        lo = _utc(start) if start is not None else None
        hi = _utc(end) if end is not None else None
        if hi is not None and hi == hi.normalize():
            hi = hi + pd.Timedelta(days=1)  # whole end day included
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"start {start!r} must be before end {end!r}")

        def events(df: pd.DataFrame, col: str) -> pd.DataFrame:
            keep = pd.Series(True, index=df.index)
            if lo is not None:
                keep &= df[col] >= lo
            if hi is not None:
                keep &= df[col] < hi
            return df.loc[keep].reset_index(drop=True)

        def periods(df: pd.DataFrame) -> pd.DataFrame:
            p = df["period"].dt.tz_localize("UTC")
            keep = pd.Series(True, index=df.index)
            if lo is not None:
                keep &= (p + pd.offsets.MonthBegin(1)) > lo
            if hi is not None:
                keep &= p < hi
            return df.loc[keep].reset_index(drop=True)

        return replace(
            self,
            touchpoints=events(self.touchpoints, "timestamp"),
            opportunities=events(self.opportunities, "lead_at"),
            spend=periods(self.spend),
            units=periods(self.units),
        )


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """sha256 hex digest of a file's bytes (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _is_duckdb(path: Path) -> bool:
    return path.suffix.lower() in DUCKDB_SUFFIXES


def find_table_file(path: str | os.PathLike[str], table: str) -> Path:
    """The file holding ``table`` under ``path`` (folder, table file or DuckDB database).

    Raises FileNotFoundError when nothing matches and ValueError when a folder holds both a CSV and
    a Parquet file for the table (which one is meant would be a guess).
    """
    spec(table)
    p = Path(path)
    if p.is_dir():
        found = [p / f"{table}{suffix}" for suffix in FILE_SUFFIXES if (p / f"{table}{suffix}").is_file()]
        if not found:
            raise FileNotFoundError(
                f"{p}: no {table}.parquet or {table}.csv in this folder (see data/README.md)")
        if len(found) > 1:
            raise ValueError(f"{p}: both {found[0].name} and {found[1].name} exist; keep one of them")
        return found[0]
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    if p.suffix.lower() in FILE_SUFFIXES or _is_duckdb(p):
        return p
    raise ValueError(f"{p}: expected a folder, a .csv or .parquet file, or a .duckdb database")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
class MissingTablesError(DataValidationError, FileNotFoundError):
    """Required tables are absent: lists every one at once, with the file names expected.

    A :class:`DataValidationError` (so a ``ValueError``, which the command line reports as a clear
    message) and a ``FileNotFoundError``. ``missing`` names the absent required tables,
    ``absent_optional`` the absent optional ones (the message says what each would unlock).
    """

    def __init__(self, source: str, missing: Sequence[str], absent_optional: Sequence[str] = (),
                 found: Sequence[str] = (), database: bool = False):
        self.missing: tuple[str, ...] = tuple(missing)
        self.absent_optional: tuple[str, ...] = tuple(absent_optional)

        def expected(t: str) -> str:
            return f"a table named {t!r}" if database else f"{t}.csv or {t}.parquet in this folder"

        super().__init__([Problem(source, None, (), 0, f"the required {t} table: {expected(t)}")
                          for t in self.missing])
        where = "database" if database else "folder"
        shown = ", ".join(list(found)[:12]) + (f" (and {len(found) - 12} more)" if len(found) > 12
                                               else "")
        lines = [f"{source}: missing required table{'s' if len(self.missing) > 1 else ''} "
                 f"{', '.join(self.missing)} (the minimum is "
                 f"{' and '.join(config.REQUIRED_TABLES)})"]
        lines += [f"  {t}: expected {expected(t)}" for t in self.missing]
        lines.append(f"  found in this {where}: {shown or 'nothing'}")
        if self.absent_optional:
            lines.append("Optional tables, also absent (the workbook runs without them):")
            lines += [f"  {t}: would unlock {config.OPTIONAL_TABLES[t]}"
                      for t in self.absent_optional]
        lines.append(f"See data/README.md (\"Bring your own export in 5 minutes\"); a {MAPPING_FILE} "
                     f"beside the data renames an export's columns.")
        self.args = ("\n".join(lines),)


class MappingError(ValueError):
    """A mapping (``mapping.toml`` or a dict) is malformed or does not fit the data.

    One line per problem, each naming the mapping file and the entry (``[table.section] "key"``);
    ``lines`` holds them.
    """

    def __init__(self, lines: Sequence[str]):
        self.lines: list[str] = list(lines)
        super().__init__("\n".join(self.lines))


# --------------------------------------------------------------------------------------------
# Mapping: an export's column names and values -> the contract's
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TableMapping:
    """How one table of an export becomes a contract table.

    ``columns``: source column name -> the contract names it becomes (usually one; several copy
    it, e.g. a deal's create date as ``lead_at``, ``sql_at`` and ``opportunity_at``); ``values``:
    contract column -> {source value (its text, surrounding spaces ignored) -> contract value};
    ``defaults``: contract column -> a constant used where the export has no value (the whole column
    when it lacks it, else its empty cells).
    """

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DataMapping:
    """A checked mapping: ``tables[table]`` is its :class:`TableMapping`; ``source`` names it."""

    source: str
    tables: dict[str, TableMapping] = field(default_factory=dict)

    def for_table(self, table: str) -> TableMapping:
        """The mapping of ``table`` (an empty one when the mapping does not mention it)."""
        return self.tables.get(table, TableMapping())


_SCALARS = (str, int, float, bool, dt.date, dt.datetime, dt.time)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else json.dumps(key)


def read_mapping(mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping,
                 ) -> DataMapping:
    """Read and check a mapping: a ``mapping.toml`` path, a dict of the same shape, or a DataMapping.

    Shape, per contract table (every section optional)::

        [opportunities.columns]          # source column = contract column (or a list of them)
        "Deal Stage" = "outcome"
        "Create Date" = ["lead_at", "sql_at", "opportunity_at"]
        [opportunities.values.outcome]   # source value = contract value (after renaming)
        "Closed Won" = "won"
        [opportunities.defaults]         # contract column = constant, where the export has none
        gross_margin = 0.8

    Raises :class:`MappingError` listing every problem (unknown table or section, a value that is
    not text, two source columns mapped to one column), each naming the file and the entry.
    """
    if isinstance(mapping, DataMapping):
        return mapping
    if isinstance(mapping, Mapping):
        source, data = "mapping (dict)", mapping
    else:
        path = Path(mapping)
        source = str(path)
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError:
            raise MappingError([f"{source}: no such mapping file"]) from None
        except tomllib.TOMLDecodeError as e:
            raise MappingError([f"{source}: not valid TOML: {e}"]) from None
    errors: list[str] = []
    tables: dict[str, TableMapping] = {}
    for table, sections in data.items():
        if table not in config.TABLES:
            errors.append(f"{source}: [{_toml_key(str(table))}]: unknown table; expected one of "
                          f"{', '.join(config.TABLES)}")
            continue
        if not isinstance(sections, Mapping):
            errors.append(f"{source}: {_toml_key(table)}: expected a table with sections "
                          f"{', '.join(MAPPING_SECTIONS)}")
            continue
        for name in sections:
            if name not in MAPPING_SECTIONS:
                errors.append(f"{source}: [{table}.{_toml_key(str(name))}]: unknown section; expected "
                              f"{', '.join(MAPPING_SECTIONS)}")
        tables[table] = TableMapping(
            columns=_check_columns(source, table, sections.get("columns", {}), errors),
            values=_check_values(source, table, sections.get("values", {}), errors),
            defaults=_check_defaults(source, table, sections.get("defaults", {}), errors),
        )
    if errors:
        raise MappingError(errors)
    return DataMapping(source, tables)


def _check_columns(source: str, table: str, cols: Any, errors: list[str]
                   ) -> dict[str, tuple[str, ...]]:
    where = f"{source}: [{table}.columns]"
    if not isinstance(cols, Mapping):
        errors.append(f"{where}: expected \"source column\" = \"contract column\" pairs")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    by_target: dict[str, str] = {}
    for src, target in cols.items():
        entry = f"{where} {json.dumps(src)} = {json.dumps(target, default=str)}"
        targets = tuple(target) if isinstance(target, list) else (target,)
        if not targets or not all(isinstance(t, str) and t.strip() for t in targets):
            errors.append(f"{entry}: expected a column name (non-empty text) or a list of them")
            continue
        for t in targets:
            if t in by_target:
                errors.append(f"{where} {json.dumps(by_target[t])} = {json.dumps(t)} and "
                              f"{json.dumps(src)} = {json.dumps(t)}: two source columns map to one "
                              f"column {t!r}; keep one")
            by_target.setdefault(t, str(src))
        out[str(src)] = targets
    return out


def _check_values(source: str, table: str, values: Any, errors: list[str]
                  ) -> dict[str, dict[str, Any]]:
    if not isinstance(values, Mapping):
        errors.append(f"{source}: [{table}.values]: expected one sub-table per column, e.g. "
                      f"[{table}.values.<column>] with \"source value\" = \"contract value\" pairs")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for column, pairs in values.items():
        where = f"{source}: [{table}.values.{_toml_key(str(column))}]"
        if not isinstance(pairs, Mapping):
            errors.append(f"{where}: expected \"source value\" = \"contract value\" pairs, got "
                          f"{pairs!r}")
            continue
        bad = [k for k, v in pairs.items() if not isinstance(v, _SCALARS)]
        for k in bad:
            errors.append(f"{where} {json.dumps(k)}: expected a single value, got {pairs[k]!r}")
        out[str(column)] = {str(k).strip(): v for k, v in pairs.items() if k not in bad}
    return out


def _check_defaults(source: str, table: str, defaults: Any, errors: list[str]) -> dict[str, Any]:
    where = f"{source}: [{table}.defaults]"
    if not isinstance(defaults, Mapping):
        errors.append(f"{where}: expected column = constant pairs")
        return {}
    out: dict[str, Any] = {}
    for column, value in defaults.items():
        if not isinstance(value, _SCALARS):
            errors.append(f"{where} {_toml_key(str(column))}: expected a single value (text, number, "
                          f"true/false or a date), got {value!r}")
            continue
        out[str(column)] = value
    return out


def apply_mapping(raw: pd.DataFrame, table: str, mapping: DataMapping | TableMapping | None,
                  source: str | None = None) -> pd.DataFrame:
    """Rename columns, map values and fill defaults of one raw table (before validation).

    Renames first (``[table.columns]``), then maps values of the renamed columns
    (``[table.values.<column>]``; values not listed are kept), then fills defaults
    (``[table.defaults]``). ``source`` names the data file in errors. Raises :class:`MappingError`
    when a renamed column is not in the data or a new name collides with a column it already has,
    or when a value map names a column the table does not have. Returns a new frame (``raw``
    itself when ``mapping`` is None).
    """
    spec(table)
    if mapping is None:
        return raw
    msource = mapping.source if isinstance(mapping, DataMapping) else "mapping"
    tm = mapping.for_table(table) if isinstance(mapping, DataMapping) else mapping
    source = source or f"{table} (DataFrame)"
    found = ", ".join(map(str, raw.columns)) or "none"
    errors: list[str] = []
    for src, targets in tm.columns.items():
        entry = (f"{msource}: [{table}.columns] {json.dumps(src)} = "
                 f"{json.dumps(targets[0] if len(targets) == 1 else list(targets))}")
        if src not in raw.columns:
            errors.append(f"{entry}: {source} has no column {src!r} (found columns: {found})")
        for t in targets:
            if t in raw.columns and t not in tm.columns and t != src:
                errors.append(f"{entry}: {source} already has a column {t!r}; rename only one "
                              "column to it")
    after = ({c for c in raw.columns if c not in tm.columns}
             | {t for targets in tm.columns.values() for t in targets} | set(tm.defaults))
    for column in tm.values:
        if column not in after:
            hint = ""
            if column in tm.columns:
                new = ", ".join(repr(t) for t in tm.columns[column])
                hint = f"; values apply after renaming: use the new name {new}"
            errors.append(f"{msource}: [{table}.values.{_toml_key(column)}]: {source} has no column "
                          f"{column!r} (found columns: {found}){hint}")
    if errors:
        raise MappingError(errors)
    out = raw.rename(columns={src: t[0] for src, t in tm.columns.items()})
    for src, targets in tm.columns.items():
        for i, t in enumerate(targets[1:], start=1):  # copies go right after the first name
            out.insert(out.columns.get_loc(targets[0]) + i, t, out[targets[0]])
    out = out.copy()
    for column, pairs in tm.values.items():
        if column not in out.columns or not pairs:
            continue
        s = out[column]
        text = s.astype("string").str.strip()
        hit = text.isin(list(pairs)).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            s = s.astype(object)
            s[hit] = text[hit].map(pairs).astype(object)
            out[column] = s
    for column, value in tm.defaults.items():
        if column not in out.columns:
            out[column] = [value] * len(out) if len(out) else pd.Series([], dtype=object)
        elif out[column].isna().any():
            out[column] = out[column].astype(object).where(out[column].notna(), value)
    return out


def _resolve_mapping(path: Path, mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping
                     | None) -> DataMapping | None:
    """The mapping given, else ``mapping.toml`` beside the data (folder, or a file's folder)."""
    if mapping is not None:
        return read_mapping(mapping)
    folder = path if path.is_dir() else path.parent
    candidate = folder / MAPPING_FILE
    return read_mapping(candidate) if candidate.is_file() else None


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def read_raw(path: str | os.PathLike[str], table: str) -> tuple[pd.DataFrame, Path]:
    """Read ``table`` without validation; return the raw frame and the file it came from.

    CSV: contract string and date columns are read as text (so ``007`` stays ``007``; dates are
    parsed by the validator), other columns are inferred by pandas. Parquet: read with pyarrow.
    DuckDB: ``SELECT * FROM <table>`` in stored order from a read-only connection. No mapping is
    applied (see :func:`apply_mapping`).
    """
    file = find_table_file(path, table)
    return _read(file, table, None), file


def _read(file: Path, table: str, tm: TableMapping | None) -> pd.DataFrame:
    suffix = file.suffix.lower()
    if suffix == ".csv":
        tm = tm or TableMapping()
        text = {c.name for c in spec(table).columns if c.kind != "float"} | set(tm.values)
        source_of = {t: src for src, targets in tm.columns.items() for t in targets}
        try:
            return pd.read_csv(file, dtype={source_of.get(c, c): "str" for c in text},
                               keep_default_na=True)
        except pd.errors.EmptyDataError:
            raise DataValidationError([Problem(
                str(file), None, (), 0,
                "a header line with the column names (the file is empty)")]) from None
    if suffix == ".parquet":
        return pd.read_parquet(file)
    with duckdb.connect(str(file), read_only=True) as con:
        names = _duckdb_tables(con)
        if table not in names:
            raise DataValidationError([Problem(
                str(file), None, (), 0,
                f"a table named {table!r} (found: {', '.join(sorted(names)) or 'none'})")])
        return con.sql(f'SELECT * FROM "{table}"').df()


def _duckdb_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _load(file: Path, table: str, mapping: DataMapping | None, on_invalid: OnInvalid,
          dropped: list[dict[str, Any]] | None) -> pd.DataFrame:
    tm = mapping.for_table(table) if mapping is not None else None
    raw = _read(file, table, tm)
    source = f"{file}:{table}" if _is_duckdb(file) else str(file)
    if mapping is not None:
        raw = apply_mapping(raw, table, mapping, source)
    return validate(raw, table, source, on_invalid=on_invalid, dropped=dropped)


def load_table(path: str | os.PathLike[str], table: str, *,
               mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping | None = None,
               ) -> pd.DataFrame:
    """Read and validate one contract table (see module docstring for the accepted ``path``).

    ``mapping``: a mapping.toml path, a dict or a :class:`DataMapping`; default: the
    ``mapping.toml`` beside the data, if there is one. Returns the typed frame (timestamps UTC,
    periods month starts, extra columns kept). Raises :class:`DataValidationError` naming the file,
    column, first rows and the expectation, or :class:`MappingError`.
    """
    file = find_table_file(path, table)
    return _load(file, table, _resolve_mapping(Path(path), mapping), "error", None)


def load_dataset(path: str | os.PathLike[str] | None = None, *, on_invalid: OnInvalid = "error",
                 mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping | None = None,
                 ) -> Dataset:
    """Load and validate the tables of a folder or a DuckDB file into a :class:`Dataset`.

    ``touchpoints`` and ``opportunities`` must be there: when one is absent, one
    :class:`MissingTablesError` lists every missing table with the file names expected and what
    each absent optional table would unlock. An absent optional table (``spend``, ``units``,
    ``accounts``) becomes an empty typed frame and is listed in ``Dataset.missing``.

    ``on_invalid="error"`` (default): problems in several tables are reported together in one
    :class:`DataValidationError`. ``"drop"``: rows breaking a row-level rule are left out and listed
    in ``Dataset.dropped``; table-level problems (a missing required column) still raise.

    ``mapping``: a mapping.toml path, a dict or a :class:`DataMapping` (see :func:`read_mapping`);
    default: ``mapping.toml`` beside the data (in the folder, or in the folder of a database file).

    ``path=None`` loads the default simulated dataset (``ensure_default_dataset()``); if another
    process regenerates it while this one reads, the read is repeated so that the tables always
    come from one generation.
    """
    check_on_invalid(on_invalid)
    if path is not None:
        return _load_folder(Path(path), on_invalid=on_invalid, mapping=mapping)
    for _ in range(3):
        root = ensure_default_dataset()
        before = _recorded(root)
        try:
            ds = _load_folder(root, on_invalid=on_invalid, mapping=mapping)
        except FileNotFoundError:  # swapped out under us: read the new one
            continue
        if _recorded(root) == before:
            return ds
    raise RuntimeError(f"{config.DEFAULT_DATASET_DIR}: the default dataset kept changing while it "
                       "was read (another process regenerating it?); try again")


def _available(root: Path) -> dict[str, Path]:
    """The contract tables present under ``root`` (a folder or a database) and their files."""
    if root.is_dir():
        out = {}
        for table in config.TABLES:
            try:
                out[table] = find_table_file(root, table)
            except FileNotFoundError:
                pass
        return out
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such file or folder")
    if not _is_duckdb(root):
        raise ValueError(f"{root}: expected a folder holding <table>.csv or <table>.parquet files, "
                         "or a .duckdb database")
    with duckdb.connect(str(root), read_only=True) as con:
        names = _duckdb_tables(con)
    return {t: root for t in config.TABLES if t in names}


def _found_names(root: Path) -> list[str]:
    if root.is_dir():
        return sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
    with duckdb.connect(str(root), read_only=True) as con:
        return sorted(_duckdb_tables(con))


def _load_folder(root: Path, *, on_invalid: OnInvalid = "error",
                 mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping | None = None,
                 ) -> Dataset:
    available = _available(root)
    absent_optional = tuple(t for t in config.OPTIONAL_TABLES if t not in available)
    missing = [t for t in config.REQUIRED_TABLES if t not in available]
    if missing:
        raise MissingTablesError(str(root), missing, absent_optional, _found_names(root),
                                 database=not root.is_dir())
    resolved = _resolve_mapping(root, mapping)
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    mapping_errors: list[str] = []
    dropped: list[dict[str, Any]] = []
    for table in config.TABLES:
        if table not in available:
            frames[table] = empty_frame(table)
            continue
        try:
            frames[table] = _load(available[table], table, resolved, on_invalid, dropped)
        except MappingError as err:
            mapping_errors.extend(err.lines)
        except DataValidationError as err:
            problems.extend(err.problems)
    if mapping_errors:
        raise MappingError(mapping_errors)
    if problems:
        raise DataValidationError(problems)
    digests: dict[Path, str] = {}
    for f in available.values():
        if f not in digests:
            digests[f] = sha256_file(f)
    return Dataset(**frames, files=dict(available),
                   hashes={t: digests[f] for t, f in available.items()}, path=root,
                   missing=absent_optional, dropped=dropped)


def _complete(folder: Path, tables: Sequence[str] = config.TABLES) -> bool:
    """True when ``folder`` holds a file for each of ``tables`` (default: all five)."""
    return folder.is_dir() and all(
        any((folder / f"{t}{s}").is_file() for s in FILE_SUFFIXES) for t in tables)


def _recorded(folder: Path) -> tuple[object, object] | None:
    """(seed, simulator_version) recorded in the folder's truth.json; None without a truth."""
    f = folder / "truth.json"
    try:
        params = json.loads(f.read_text()).get("params", {})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError):
        return (None, None)  # unreadable truth: treat as stale
    return params.get("seed"), params.get("simulator_version")


def _simulator_version() -> str | None:
    """Version (source hash) of the installed simulator; None when it cannot be imported."""
    try:
        from smlib.simulate import simulator_version
    except ImportError:
        return None
    return simulator_version()


def _is_current(folder: Path, seed: int) -> bool:
    """True unless the folder holds a simulator truth from another seed or simulator version.

    A complete folder without truth.json is someone's own data and is used as it is.
    """
    recorded = _recorded(folder)
    return recorded is None or recorded == (seed, _simulator_version())


def _generate(folder: Path, seed: int) -> None:
    """Write the simulated dataset of ``seed`` into ``folder`` (a fresh, empty temp folder)."""
    from smlib.simulate import simulate  # imported late: the simulator is heavy and optional here

    simulate(seed=seed).write(folder)


def ensure_default_dataset(path: str | os.PathLike[str] | None = None,
                           seed: int = config.DEFAULT_SEED) -> Path:
    """Return the default dataset folder, generating it first if it is missing or stale.

    Generation runs ``smlib.simulate.simulate(seed=seed).write(...)`` into a temporary folder beside
    ``path`` (default ``config.DEFAULT_DATASET_DIR``) and then renames it into place, so a failed or
    concurrent run never leaves half a dataset: either the complete folder appears or nothing does.
    If another process wins the race, its (identical, deterministic) dataset is used.

    *Stale* = the folder's truth.json records another seed or another simulator version
    (``smlib.simulate.simulator_version``, a hash of the simulator's source): the data were made by
    different code, so they are regenerated and swapped in (old folder renamed aside, new one
    renamed in, old one deleted). A folder without truth.json is never replaced: it is someone's
    own data and is used as it is when it holds at least ``config.REQUIRED_TABLES``. A generated
    dataset always holds all five tables.
    """
    target = Path(path) if path is not None else config.DEFAULT_DATASET_DIR
    if _complete(target) and _is_current(target, seed):
        return target
    if _recorded(target) is None and _complete(target, config.REQUIRED_TABLES):
        return target  # someone's own data (no truth.json) with at least the required tables
    if target.exists() and not _complete(target) and any(target.iterdir()):
        raise FileExistsError(
            f"{target}: exists but does not hold all of {', '.join(config.TABLES)} (nor, without "
            f"a truth.json, your own data with at least {' and '.join(config.REQUIRED_TABLES)}); "
            "it was not written by ensure_default_dataset. Move or delete it to regenerate the "
            "default data.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    stale = target.parent / f".{target.name}.stale-{tmp.name.rsplit('-', 1)[-1]}"
    try:
        _generate(tmp, seed)
        if not _complete(tmp):
            raise RuntimeError(f"the simulator did not write all of {', '.join(config.TABLES)}")
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the dataset is ordinary data
        if _complete(target):  # stale: move it aside (readers retry, see load_dataset)
            try:
                os.rename(target, stale)
            except FileNotFoundError:
                pass  # another process moved it first
        try:
            os.rename(tmp, target)  # atomic; replaces only a missing or empty folder
        except OSError:
            if not (_complete(target) and _is_current(target, seed)):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(stale, ignore_errors=True)
    return target
