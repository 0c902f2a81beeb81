"""Load and validate the contract tables (data/README.md) from CSV, Parquet or DuckDB.

- ``load_table(path, table)``: one validated table. ``path`` is a folder holding ``<table>.csv`` or
  ``<table>.parquet``, a single ``.csv``/``.parquet`` file, or a ``.duckdb`` database holding a table
  named ``<table>``.
- ``load_dataset(path=None, *, on_invalid="error", mapping=None, allow_views=False, encoding=None,
  date_window=None)``: the tables as a :class:`Dataset`,
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

Reading is defensive (docs/reliability.md lists every class of bad input and what the user sees):

- a bad ``path`` (missing, a symbolic link loop, a single file, a SQLite or other non-DuckDB file
  named ``*.duckdb``) raises :class:`DataPathError` (a ``ValueError``) with a one-line message;
- a DuckDB file is opened read-only with file, network and extension access switched off
  (``config.DUCKDB_READ_CONFIG``), and only its base tables are read: a view (a stored query that
  would run on this computer) is refused unless ``allow_views=True``;
- CSV files: the header line is checked first (a repeated column name or one with surrounding
  spaces is an error), text is UTF-8 (a byte-order mark is fine; ``encoding=`` or ``encoding`` in
  mapping.toml for another), an empty field is missing, and in number/date/true-false columns also
  ``config.CSV_MISSING_MARKERS``; ``NA`` in an id or text column stays the text ``NA``;
- surrounding whitespace in text values is removed and recorded in ``Dataset.notes``; dates outside
  ``config.PLAUSIBLE_DATES`` are errors; error messages never show account or opportunity ids.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import tempfile
import tomllib
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from smlib import config
from smlib.schemas import (
    DataValidationError,
    DateWindow,
    OnInvalid,
    Problem,
    check_on_invalid,
    date_window_bounds,
    empty_frame,
    make_problem,
    spec,
    validate,
)

__all__ = [
    "DataMapping",
    "DataPathError",
    "DataPathNotFoundError",
    "DataValidationError",
    "check_duckdb_base_tables",
    "Dataset",
    "MappingError",
    "MissingTablesError",
    "TableMapping",
    "apply_mapping",
    "check_encoding",
    "connect",
    "ensure_default_dataset",
    "files_digest",
    "find_table_file",
    "load_dataset",
    "load_experiments",
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
#: Top-level keys of mapping.toml that are settings, not tables.
MAPPING_SETTINGS: tuple[str, ...] = ("encoding",)
#: Text read as true/false in a CSV column that is not in the contract (as pandas reads it).
_CSV_BOOLS: dict[str, bool] = {"True": True, "TRUE": True, "true": True,
                               "False": False, "FALSE": False, "false": False}


@dataclass
class Dataset:
    """The five validated tables plus where they came from.

    ``files[table]`` is the file each table was read from (the same ``.duckdb`` file for all tables
    of a database) and ``hashes[table]`` its sha256 hex digest; both list only the tables actually
    read. ``missing`` names the optional tables the data do not have (each is an empty frame with
    the contract's columns and types); ``dropped`` lists the rows left out by
    ``load_dataset(..., on_invalid="drop")``: one dict per broken rule with ``table``, ``column``,
    ``rule``, ``count`` and ``rows`` (first 1-based row numbers), never values. ``notes`` lists
    what the loader changed without dropping anything: one dict per column whose text values had
    surrounding whitespace removed (``"webinar "`` -> ``"webinar"``), with ``table``, ``column``,
    ``count`` (values changed) and ``examples`` (up to three original values; always empty for
    ``account_id`` and ``opportunity_id``, whose values identify customers). ``parts`` holds,
    for each table read from several files (a folder of part files, a glob), every file and its
    sha256: ``files`` then names the folder that holds them and ``hashes`` a digest over all of
    them (:func:`files_digest`), so a changed, added or removed part changes it.
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
    notes: list[dict[str, Any]] = field(default_factory=list)
    parts: dict[str, dict[Path, str]] = field(default_factory=dict)

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


def files_digest(files: Sequence[str | os.PathLike[str]]) -> str:
    """sha256 hex digest of one table's files: the file's own digest for one file; for several
    (part files) the digest of a manifest listing each file's path relative to their common
    folder and its own digest, in path order."""
    if not files:
        raise ValueError("files_digest: no files")
    return _manifest_digest({Path(f): sha256_file(f) for f in files})


def _manifest_digest(digests: Mapping[Path, str]) -> str:
    """:func:`files_digest` from the files' own digests (each file hashed once)."""
    if len(digests) == 1:
        return next(iter(digests.values()))
    base = Path(os.path.commonpath(list(digests)))
    manifest = "".join(f"{p.relative_to(base).as_posix()} {digests[p]}\n" for p in sorted(digests))
    return hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def _is_duckdb(path: Path) -> bool:
    return path.suffix.lower() in DUCKDB_SUFFIXES


class DataPathError(ValueError):
    """The data ``path`` (or a table file in it) is not something the workbook can read.

    A missing path, a symbolic link loop or a broken link, a single file where a folder is
    expected, a file named ``*.duckdb`` that is not a DuckDB database (a SQLite file, say), a folder
    holding both ``<table>.csv`` and ``<table>.parquet``. A ``ValueError`` with a one-line message
    naming the path, so the command line reports it without a traceback.
    """


class DataPathNotFoundError(DataPathError, FileNotFoundError):
    """The data path, or a table file expected in a folder, does not exist.

    Both a :class:`DataPathError` (``ValueError``) and a ``FileNotFoundError``.
    """


def _check_path(p: Path) -> None:
    """Raise :class:`DataPathError` unless ``p`` exists and can be looked at."""
    try:
        os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            raise DataPathError(f"{p}: a symbolic link to {os.readlink(p)}, which does not exist; "
                                "point it at the data or give the data's own path") from None
        raise DataPathNotFoundError(f"{p}: no such file or folder") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise DataPathError(f"{p}: a symbolic link loop (the link leads back to itself); give "
                                "the path of the data folder itself") from None
        raise DataPathError(f"{p}: cannot be read ({e.strerror or e})") from None


def _sniff(p: Path) -> str | None:
    """What the first bytes of a file say it is (``None``: nothing recognised)."""
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if not head:
        return "an empty file"
    if head[8:12] == b"DUCK":
        return "a DuckDB database"
    if head.startswith(b"SQLite format 3\0"):
        return "a SQLite database"
    if head.startswith(b"PAR1"):
        return "a Parquet file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (an Excel .xlsx workbook?)"
    return None


def _check_duckdb_file(p: Path) -> None:
    """Raise :class:`DataPathError` unless ``p`` starts like a DuckDB database ("DUCK" at byte 8).

    Checked before DuckDB opens the file, so that a SQLite or other file is never handed to it.
    """
    kind = _sniff(p)
    if kind != "a DuckDB database":
        raise DataPathError(
            f"{p}: not a DuckDB database, the file is {kind or 'something else'} (a DuckDB file has "
            "'DUCK' at byte 8); export the tables to a DuckDB file, or as CSV or Parquet files in "
            "a folder")


def _not_a_folder(p: Path) -> DataPathError:
    kind = _sniff(p)
    what = f" ({kind})" if kind else ""
    return DataPathError(
        f"expected a folder of tables (touchpoints.csv, opportunities.csv, ...), got the file "
        f"{p}{what}; give the folder that holds the tables, or a .duckdb database")


def find_table_file(path: str | os.PathLike[str], table: str) -> Path:
    """The file holding ``table`` under ``path`` (folder, table file or DuckDB database).

    Raises :class:`DataPathNotFoundError` (a ``FileNotFoundError`` and a ``ValueError``) when
    nothing matches, and :class:`DataPathError` when a folder holds both a CSV and a Parquet file
    for the table (which one is meant would be a guess), when the path or the table file is a
    broken symbolic link or a link loop, or when a ``.duckdb`` file is not a DuckDB database.
    """
    spec(table)
    p = Path(path)
    _check_path(p)
    if p.is_dir():
        found = []
        for suffix in FILE_SUFFIXES:
            f = p / f"{table}{suffix}"
            if f.is_symlink() or f.exists():
                _check_path(f)
                if f.is_file():
                    found.append(f)
        if not found:
            raise DataPathNotFoundError(
                f"{p}: no {table}.parquet or {table}.csv in this folder (see data/README.md)")
        if len(found) > 1:
            raise DataPathError(f"{p}: both {found[0].name} and {found[1].name} exist; keep one "
                                "of them")
        return found[0]
    if p.suffix.lower() in FILE_SUFFIXES:
        return p
    if _is_duckdb(p):
        _check_duckdb_file(p)
        return p
    kind = _sniff(p)
    raise DataPathError(f"{p}: expected a folder, a .csv or .parquet file, or a .duckdb database"
                        + (f", got {kind}" if kind else ""))


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
    """A checked mapping: ``tables[table]`` is its :class:`TableMapping`; ``source`` names it.

    ``encoding``: the text encoding of the CSV files (mapping.toml's top-level ``encoding``).
    """

    source: str
    tables: dict[str, TableMapping] = field(default_factory=dict)
    #: Text encoding of the export's CSV files (top-level ``encoding = "latin-1"``); None: UTF-8.
    encoding: str | None = None

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

    A top-level ``encoding = "latin-1"`` (before any ``[table]`` section) says the CSV files are
    not UTF-8.

    Raises :class:`MappingError` listing every problem (unknown table or section, a value that is
    not text, two source columns mapped to one column, an unknown encoding), each naming the file
    and the entry.
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
    encoding: str | None = None
    for table, sections in data.items():
        if table == "encoding":
            try:
                encoding = check_encoding(sections)
            except ValueError as e:
                errors.append(f"{source}: encoding = {json.dumps(sections, default=str)}: {e}")
            continue
        if table not in config.TABLES:
            errors.append(f"{source}: [{_toml_key(str(table))}]: unknown table; expected one of "
                          f"{', '.join(config.TABLES)} (or the setting encoding)")
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
    return DataMapping(source, tables, encoding)


def check_encoding(encoding: Any) -> str:
    """``encoding`` checked against Python's codecs and returned as given (``"latin-1"``).

    Raises ValueError when it is not a text naming an encoding Python knows.
    """
    if not isinstance(encoding, str) or not encoding.strip():
        raise ValueError(f"expected the name of a text encoding such as 'utf-8' or 'latin-1', got "
                         f"{encoding!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}; expected e.g. 'utf-8', 'latin-1' or "
                         "'cp1252'") from None
    return encoding


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
def read_raw(path: str | os.PathLike[str], table: str, *, allow_views: bool = False,
             encoding: str | None = None) -> tuple[pd.DataFrame, Path]:
    """Read ``table`` without validation; return the raw frame and the file it came from.

    CSV: the header line is checked first (:class:`DataValidationError` for a repeated column name
    or a name with surrounding spaces); contract text, id, date and true/false columns are read as
    text (so ``007`` stays ``007`` and ``NA`` stays ``NA``; dates are parsed by the validator),
    number columns by pandas; columns not in the contract are numbers when every value is one,
    else text. An empty field is missing; in number, date and true/false columns (and numeric
    extra columns) also ``config.CSV_MISSING_MARKERS``. ``encoding``: the files' text encoding
    (default UTF-8, a byte-order mark is skipped). Parquet: read with pyarrow. DuckDB: ``SELECT *
    FROM <table>`` from a read-only connection without file, network or extension access; a view
    is refused unless ``allow_views=True``. No mapping is applied (see :func:`apply_mapping`).
    """
    file = find_table_file(path, table)
    enc = _csv_encoding(check_encoding(encoding) if encoding is not None else None)
    return _read(file, table, None, allow_views=allow_views, encoding=enc), file


def _csv_encoding(encoding: str | None) -> str:
    """The codec to read CSV files with: UTF-8 (also when declared) skips a byte-order mark."""
    if encoding is None or codecs.lookup(encoding).name == "utf-8":
        return "utf-8-sig"
    return encoding


def _read(file: Path, table: str, tm: TableMapping | None, *, allow_views: bool = False,
          encoding: str = "utf-8-sig") -> pd.DataFrame:
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return _read_csv(file, table, tm or TableMapping(), encoding)
    if suffix == ".parquet":
        return _read_parquet(file)
    return _read_duckdb(file, table, allow_views)


def _problem(source: str | Path, expected: str) -> DataValidationError:
    """A table-level :class:`DataValidationError` (no column, no rows) on ``source``."""
    return DataValidationError([Problem(str(source), None, (), 0, expected)])


def _read_parquet(file: Path) -> pd.DataFrame:
    try:
        import pyarrow as pa
        arrow_error: tuple[type[BaseException], ...] = (pa.ArrowException,)
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        arrow_error = ()
    try:
        return pd.read_parquet(file)
    except (OSError, ValueError, *arrow_error) as e:
        kind = _sniff(file)
        found = f"the file is {kind}" if kind and kind != "a Parquet file" else (
            f"it cannot be read: {_first_line(e)}")
        raise _problem(file, f"a Parquet file ({found}); export the table again as Parquet, or "
                             "as CSV") from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------
def _encoding_error(file: Path, encoding: str) -> DataValidationError:
    """The problem for a CSV file that is not text in ``encoding``: where, and what to do."""
    line, byte = None, None
    try:
        with open(file, "rb") as f:
            for i, raw in enumerate(f, start=1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError as e:
                    line, byte = i, raw[e.start]
                    break
    except OSError:
        pass
    where = f"line {line} holds the byte 0x{byte:02x}, which" if line is not None else "it"
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return _problem(file, f"UTF-8 text, but {where} is not UTF-8 (the file is probably latin-1 "
                              "or Windows-1252): save it as UTF-8, or pass encoding='latin-1' "
                              "(load_dataset(path, encoding='latin-1'), or encoding = \"latin-1\" "
                              "at the top of mapping.toml)")
    return _problem(file, f"text in the encoding {encoding!r}, but {where} does not fit it: save the "
                          "file as UTF-8 and leave encoding out, or pass the encoding it was "
                          "saved in")


def _csv_header(file: Path, encoding: str) -> list[str]:
    """The column names of a CSV file's header line, checked: raises DataValidationError when the
    file is empty or not text in ``encoding``, or the header repeats a name or has a name with
    surrounding spaces (pandas would rename or keep them silently)."""
    try:
        with open(file, newline="", encoding=encoding) as f:
            header = next((row for row in csv.reader(f) if any(c.strip() for c in row)), None)
    except UnicodeDecodeError:
        raise _encoding_error(file, encoding) from None
    except csv.Error as e:
        raise _problem(file, f"a CSV header line with the column names (it cannot be read: {e})") \
            from None
    if header is None:
        raise _problem(file, "a header line with the column names (the file is empty): export the "
                             "table again with its header line, or leave the file out if the "
                             "table is optional")
    problems = []
    for name, n in Counter(header).items():
        if n > 1:
            where = ", ".join(str(i + 1) for i, h in enumerate(header) if h == name)
            problems.append(Problem(str(file), name, (), 0,
                                    f"each column name once in the header line, but {name!r} is "
                                    f"the name of columns {where}; rename or remove the repeats"))
    for name in dict.fromkeys(header):
        if name != name.strip():
            problems.append(Problem(str(file), name, (), 0,
                                    f"a column name without surrounding spaces in the header line, "
                                    f"got {name!r}; write it as {name.strip()!r}"))
    if problems:
        raise DataValidationError(problems)
    return header


def _too_many_fields(file: Path, encoding: str, width: int) -> list[int]:
    """0-based data rows of a CSV file with more (non-empty) fields than its header has."""
    rows: list[int] = []
    try:
        with open(file, newline="", encoding=encoding) as f:
            reader = csv.reader(f)
            next(reader, None)
            for i, row in enumerate(reader):
                if len(row) > width and any(c.strip() for c in row[width:]):
                    rows.append(i)
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    return rows


def _fields_error(file: Path, width: int, rows: Sequence[int], detail: str = "") -> DataValidationError:
    expected = (f"at most {width} fields per line, as many as the header has (a value holding a "
                "comma must be in double quotes)") + (f"; {detail}" if detail else "")
    if not rows:
        return _problem(file, expected)
    return DataValidationError([make_problem(str(file), None, rows, expected)])


def _read_csv(file: Path, table: str, tm: TableMapping, encoding: str) -> pd.DataFrame:
    header = _csv_header(file, encoding)
    kinds = {c.name: c.kind for c in spec(table).columns}
    markers = list(config.CSV_MISSING_MARKERS)
    dtype: dict[str, str] = {}
    na: dict[str, list[str]] = {}
    extra: list[str] = []
    for name in header:
        targets = tm.columns.get(name, (name,))
        contract = [kinds[t] for t in targets if t in kinds]
        mapped = {k for t in targets for k in tm.values.get(t, {})}  # values the mapping maps
        if not contract:
            dtype[name], na[name] = "str", [""]
            if not mapped:
                extra.append(name)
        elif "string" in contract:
            dtype[name], na[name] = "str", [""]
        else:
            na[name] = [m for m in markers if m not in mapped]
            if mapped or any(k != "float" for k in contract):
                dtype[name] = "str"  # parsed by the validator (dates, true/false, whole numbers)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            df = pd.read_csv(file, dtype=dtype, keep_default_na=False, na_values=na,
                             encoding=encoding, index_col=False)
    except UnicodeDecodeError:
        raise _encoding_error(file, encoding) from None
    except pd.errors.EmptyDataError:
        raise _problem(file, "a header line with the column names (the file is empty)") from None
    except pd.errors.ParserError as e:
        rows = _too_many_fields(file, encoding, len(header))
        raise _fields_error(file, len(header), rows, "" if rows else _first_line(e)) from None
    if any("Length of header" in str(w.message) for w in caught):
        # pandas drops fields beyond the header: fine when they are empty (a trailing comma)
        rows = _too_many_fields(file, encoding, len(header))
        if rows:
            raise _fields_error(file, len(header), rows)
    for name in extra:
        df[name] = _infer_extra(df[name], markers)
    return df


def _infer_extra(s: pd.Series, markers: Sequence[str]) -> pd.Series:
    """A CSV column outside the contract, read as text: numbers when every value is a number
    (or a missing marker), true/false when every value is ``True``/``False``, else text in which
    only an empty field is missing (``NA`` stays ``NA``)."""
    if s.empty:
        return s.astype(object)  # as pandas reads a column of a header-only file
    if s.isna().all():
        return pd.Series(np.nan, index=s.index, dtype="float64")
    present = s.mask(s.isin(list(markers)))
    try:
        return pd.to_numeric(present)
    except (TypeError, ValueError):
        pass
    if s.notna().all() and s.isin(list(_CSV_BOOLS)).all():
        return s.map(_CSV_BOOLS).astype(bool)
    return s


# --------------------------------------------------------------------------------------------
# DuckDB
# --------------------------------------------------------------------------------------------
def _open_duckdb(file: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a user's DuckDB file with file, network and extension access
    off (``config.DUCKDB_READ_CONFIG``), after checking that the file is a DuckDB database."""
    _check_duckdb_file(file)
    try:
        return duckdb.connect(str(file), read_only=True, config=dict(config.DUCKDB_READ_CONFIG))
    except duckdb.Error as e:
        raise DataPathError(f"{file}: DuckDB cannot open this database read-only ({_first_line(e)}); "
                            "close other programs or connections that have it open, or export "
                            "the tables again") from None


def _duckdb_tables(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Tables and views of the database's main schema: name -> ``BASE TABLE`` or ``VIEW``."""
    rows = con.execute("SELECT table_name, table_type FROM information_schema.tables "
                       "WHERE table_catalog = current_database() AND table_schema = 'main'"
                       ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def check_duckdb_base_tables(file: str | os.PathLike[str], tables: Sequence[str]) -> None:
    """Check that a DuckDB file holds ``tables`` as stored base tables, with the safe reader.

    For code that attaches the file to a connection of its own (e.g. the out-of-core journey
    builder): a view there would run its stored query with that connection's rights, so it is
    refused here first. Raises :class:`DataValidationError` (missing table, or a view) or
    :class:`DataPathError` (not a DuckDB file).
    """
    f = Path(file)
    with _open_duckdb(f) as con:
        names = _duckdb_tables(con)
    for table in tables:
        if table not in names:
            raise _problem(f, f"a table named {table!r} (found: "
                              f"{', '.join(sorted(names)) or 'none'})")
        if names[table] != "BASE TABLE":
            raise _problem(f"{f}:{table}", f"a stored table named {table!r}, but it is a view (a "
                                           "saved query that would run when it is read); store "
                                           "the data as a table (CREATE TABLE ... AS SELECT ...)")


def _read_duckdb(file: Path, table: str, allow_views: bool) -> pd.DataFrame:
    source = f"{file}:{table}"
    with _open_duckdb(file) as con:
        names = _duckdb_tables(con)
        if table not in names:
            raise _problem(file, f"a table named {table!r} (found: "
                                 f"{', '.join(sorted(names)) or 'none'})")
        is_view = names[table] != "BASE TABLE"
        if is_view and not allow_views:
            raise _problem(source, f"a stored table named {table!r}, but it is a view (a saved query "
                                   "that runs when it is read and could read other files on this "
                                   "computer); store the data as a table (CREATE TABLE ... AS "
                                   "SELECT ...), or pass allow_views=True if you trust this file")
        try:
            return con.sql(f'SELECT * FROM "{table}"').df()
        except duckdb.Error as e:
            what = "a view" if is_view else "a table"
            raise _problem(source, f"{what} that DuckDB can read without access to files, the "
                                   f"network or extensions; reading it failed: {_first_line(e)}"
                           ) from None


def _load(file: Path, table: str, mapping: DataMapping | None, on_invalid: OnInvalid,
          dropped: list[dict[str, Any]] | None, *, notes: list[dict[str, Any]] | None = None,
          allow_views: bool = False, encoding: str | None = None,
          date_window: DateWindow | None = None) -> pd.DataFrame:
    tm = mapping.for_table(table) if mapping is not None else None
    declared = encoding if encoding is not None else (mapping.encoding if mapping else None)
    raw = _read(file, table, tm, allow_views=allow_views, encoding=_csv_encoding(declared))
    source = f"{file}:{table}" if _is_duckdb(file) else str(file)
    if mapping is not None:
        raw = apply_mapping(raw, table, mapping, source)
    return validate(raw, table, source, on_invalid=on_invalid, dropped=dropped, notes=notes,
                    date_window=date_window)


def load_table(path: str | os.PathLike[str], table: str, *,
               mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping | None = None,
               allow_views: bool = False, encoding: str | None = None,
               date_window: DateWindow | None = None) -> pd.DataFrame:
    """Read and validate one contract table (see module docstring for the accepted ``path``).

    ``mapping``: a mapping.toml path, a dict or a :class:`DataMapping`; default: the
    ``mapping.toml`` beside the data, if there is one. ``allow_views``, ``encoding`` and
    ``date_window`` as in :func:`load_dataset`. Returns the typed frame (timestamps UTC, periods
    month starts, extra columns kept, surrounding whitespace of text values removed). Raises
    :class:`DataValidationError` naming the file, column, first rows and the expectation,
    :class:`DataPathError` for a path it cannot read, or :class:`MappingError`.
    """
    enc = check_encoding(encoding) if encoding is not None else None
    file = find_table_file(path, table)
    return _load(file, table, _resolve_mapping(Path(path), mapping), "error", None,
                 allow_views=allow_views, encoding=enc, date_window=date_window)


def load_experiments(path: str | os.PathLike[str] | None, *, encoding: str | None = None
                     ) -> pd.DataFrame | None:
    """The optional ``experiments`` table of a dataset folder, validated, or None when absent.

    Lift tests and holdouts per channel (``channel, start, end, incremental_conversions`` and
    ``standard_error`` or ``ci_low``/``ci_high``, optional ``level``; data/README.md), used by
    :mod:`smlib.attribution.experiments`. ``path``: a dataset folder (``experiments.csv`` or
    ``.parquet``); None, a database file or a connection target give None (the table is read
    from folders only). Raises :class:`DataValidationError` naming file, column and rows.
    """
    if path is None or not isinstance(path, (str, os.PathLike)) or not Path(path).is_dir():
        return None
    try:
        file = find_table_file(path, config.EXPERIMENTS_TABLE)
    except DataPathNotFoundError:
        return None
    enc = check_encoding(encoding) if encoding is not None else None
    return _load(file, config.EXPERIMENTS_TABLE, None, "error", None, allow_views=False,
                 encoding=enc, date_window=None)


def connect(target: Any, **options: Any) -> Any:
    """The contract tables of ``target`` on an Ibis engine: a folder of Parquet files (also one
    folder per table, a glob via ``tables=`` or a hive-partitioned folder), a DuckDB file, an Ibis
    URL (``bigquery://...``, ``snowflake://...``), an Ibis backend or a Spark session.

    A :class:`smlib.engine.source.Source`; ``options`` as :func:`smlib.engine.source.connect`
    (``engine="pyspark"``, ``session=``, ``tables=``, DuckDB ``threads``/``memory_limit``).
    :func:`load_dataset` accepts the same targets (and a Source) as its ``path``.
    """
    from smlib.engine.source import connect as engine_connect  # lazy: ibis is a heavy dependency

    return engine_connect(target, **options)


def _load_source(target: Any, *, on_invalid: OnInvalid, mapping: Any, encoding: str | None,
                 date_window: DateWindow | None, **_: Any) -> Dataset:
    """:func:`load_dataset` of a connection target: each table read by its engine into pandas,
    then mapped and validated exactly as a file is."""
    from smlib.engine.source import connect as engine_connect, is_url  # lazy: ibis is a heavy dependency

    del encoding  # text encodings are the engine's business (Parquet, warehouse tables)
    src = engine_connect(target)
    folder = Path(target) if isinstance(target, (str, os.PathLike)) and not is_url(str(target)) \
        else None
    resolved = read_mapping(mapping) if mapping is not None else (
        read_mapping(folder / MAPPING_FILE) if folder is not None
        and (folder / MAPPING_FILE).is_file() else None)
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    dropped: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for table in config.TABLES:
        if not src.has(table):
            frames[table] = empty_frame(table)
            continue
        raw = src.to_pandas(table)
        if resolved is not None:
            raw = apply_mapping(raw, table, resolved, src.label(table))
        try:
            frames[table] = validate(raw, table, src.label(table), on_invalid=on_invalid,
                                     dropped=dropped, notes=notes, date_window=date_window)
        except DataValidationError as err:
            problems.extend(err.problems)
    if problems:
        raise DataValidationError(problems)
    read = {t: {Path(f): sha256_file(f) for f in fs} for t, fs in src.files.items() if fs}
    parts = {t: digests for t, digests in read.items() if len(digests) > 1}
    return Dataset(**frames,
                   files={t: next(iter(d)) if len(d) == 1 else Path(os.path.commonpath(list(d)))
                          for t, d in read.items()},
                   hashes={t: _manifest_digest(d) for t, d in read.items()},
                   path=folder, missing=tuple(t for t in config.OPTIONAL_TABLES if not src.has(t)),
                   dropped=dropped, notes=notes, parts=parts)


def _is_connection(path: Any) -> bool:
    from smlib.engine.source import is_connection_target  # lazy: keeps ibis off the file route

    return is_connection_target(path)


def load_dataset(path: str | os.PathLike[str] | None = None, *, on_invalid: OnInvalid = "error",
                 mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping | None = None,
                 allow_views: bool = False, encoding: str | None = None,
                 date_window: DateWindow | None = None) -> Dataset:
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

    ``allow_views``: read a DuckDB view named like a table (default False: a view is refused,
    since it is a stored query that runs on this computer). Even then the connection has no
    file, network or extension access, so a view can only read tables of its own database.
    ``encoding``: text encoding of the CSV files (default UTF-8; also ``encoding`` at the top of
    mapping.toml; this argument wins). ``date_window``: the plausible (earliest, latest) dates,
    default ``config.PLAUSIBLE_DATES`` (1990-01-01 to today + 1 year); a timestamp or period
    outside it is an error.

    Surrounding whitespace in text values is removed and listed in ``Dataset.notes``. A path that
    cannot be read (missing, a link loop, a single file, a non-DuckDB ``.duckdb`` file) raises
    :class:`DataPathError`, a ``ValueError`` with a one-line message.

    ``path=None`` loads the default simulated dataset (``ensure_default_dataset()``); if another
    process regenerates it while this one reads, the read is repeated so that the tables always
    come from one generation.

    ``path`` may also be what :func:`connect` reads (an Ibis URL such as ``bigquery://...``, an
    Ibis backend, a Spark session, a :class:`smlib.engine.source.Source`, or a folder holding a
    table as a sub-folder of Parquet files, e.g. hive-partitioned): each table is read by that
    engine, then mapped and validated as a file is (docs/scale.md).
    """
    check_on_invalid(on_invalid)
    enc = check_encoding(encoding) if encoding is not None else None
    date_window_bounds(date_window)  # a bad window is an error before anything is read
    options: dict[str, Any] = dict(on_invalid=on_invalid, mapping=mapping,
                                   allow_views=allow_views, encoding=enc, date_window=date_window)
    if path is not None and _is_connection(path):
        return _load_source(path, **options)
    if path is not None:
        return _load_folder(Path(path), **options)
    for _ in range(3):
        root = ensure_default_dataset()
        before = _recorded(root)
        try:
            ds = _load_folder(root, **options)
        except FileNotFoundError:  # swapped out under us: read the new one
            continue
        if _recorded(root) == before:
            return ds
    raise RuntimeError(f"{config.DEFAULT_DATASET_DIR}: the default dataset kept changing while it "
                       "was read (another process regenerating it?); try again")


def _list_folder(root: Path) -> list[Path]:
    try:
        return list(root.iterdir())
    except OSError as e:
        raise DataPathError(f"{root}: cannot list this folder ({e.strerror or e})") from None


def _available(root: Path) -> dict[str, Path]:
    """The contract tables present under ``root`` (a folder or a database) and their files."""
    _check_path(root)
    if root.is_dir():
        _list_folder(root)
        out = {}
        for table in config.TABLES:
            try:
                out[table] = find_table_file(root, table)
            except DataPathNotFoundError:
                pass
        return out
    if not _is_duckdb(root):
        raise _not_a_folder(root)
    with _open_duckdb(root) as con:
        names = _duckdb_tables(con)
    return {t: root for t in config.TABLES if t in names}


def _found_names(root: Path) -> list[str]:
    if root.is_dir():
        return sorted(p.name for p in _list_folder(root) if not p.name.startswith("."))
    with _open_duckdb(root) as con:
        return sorted(_duckdb_tables(con))


def _load_folder(root: Path, *, on_invalid: OnInvalid = "error",
                 mapping: str | os.PathLike[str] | Mapping[str, Any] | DataMapping | None = None,
                 allow_views: bool = False, encoding: str | None = None,
                 date_window: DateWindow | None = None) -> Dataset:
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
    notes: list[dict[str, Any]] = []
    for table in config.TABLES:
        if table not in available:
            frames[table] = empty_frame(table)
            continue
        try:
            frames[table] = _load(available[table], table, resolved, on_invalid, dropped,
                                  notes=notes, allow_views=allow_views, encoding=encoding,
                                  date_window=date_window)
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
                   missing=absent_optional, dropped=dropped, notes=notes)


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
        from smlib.simulate.truth import simulator_version  # lazy: simulator optional for real data
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
    from smlib.simulate.core import simulate  # lazy: the simulator is heavy and optional here

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
