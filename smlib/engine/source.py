"""Where the data are: the contract's tables as Ibis expressions on one engine (``connect``).

Accepted targets (the table names are the contract's: ``touchpoints``, ``opportunities``,
``spend``, ``units``, ``accounts``; data/README.md):

* a **folder**: per table ``<table>.parquet`` (one file), or a sub-folder ``<table>/`` of Parquet
  files (read recursively; a hive-partitioned folder such as ``touchpoints/month=2024-01/part-0.parquet``
  works, its partition columns become columns). CSV files are not read here: CSV needs the
  contract's text rules (:func:`smlib.io.load_table`); convert them to Parquet first.
* ``tables={"touchpoints": "/exports/tp-*.parquet", ...}``: a glob (or file, or folder) per table.
* a **DuckDB file** (``.duckdb``/``.ddb``/``.db``): attached read-only; a table must be a stored
  base table (a view is refused: it is a saved query that would run with this connection's rights).
* an **Ibis URL** (``duckdb:///file.duckdb``, ``pyspark://``, ``bigquery://project/dataset``,
  ``snowflake://user:pass@account/database/schema``, ...): ``ibis.connect(url)``; the tables are
  read from the connection's current database by name.
* an **Ibis backend** (``ibis.duckdb.connect()``, ``ibis.pyspark.connect(session)``, ...) or a
  **Spark session**: tables from its current database, or (with a folder or ``tables=``) the
  Parquet files read by that engine (``engine="pyspark"`` starts a local Spark session).

Timestamps are computed in UTC: a DuckDB connection made here sets ``TimeZone = 'UTC'``, and a
Spark session's ``spark.sql.session.timeZone`` is set to ``UTC`` (naive Spark timestamps are then
UTC instants, as the contract says).
"""

from __future__ import annotations

import glob as _glob
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from smlib import config

__all__ = ["DUCKDB_SUFFIXES", "ENGINES", "Source", "connect", "is_connection_target"]

#: Engines ``connect`` can start itself for a folder of Parquet files.
ENGINES: tuple[str, ...] = ("duckdb", "pyspark")
#: File suffixes read as DuckDB databases (the same as :data:`smlib.io.DUCKDB_SUFFIXES`).
DUCKDB_SUFFIXES: tuple[str, ...] = (".duckdb", ".ddb", ".db")
#: Column holding a table's 0-based file row number when the engine can give it (one Parquet
#: file on DuckDB, or a DuckDB table): error messages then name rows like smlib.io does.
ROW_COLUMN: str = "_row"


@dataclass
class Source:
    """The contract tables of one dataset on one engine.

    Attributes:
        backend: the Ibis backend (``backend.name`` is ``"duckdb"``, ``"pyspark"``, ...).
        tables: contract table name → Ibis table expression (only the tables present).
        name: what the data are (a folder, a file, a URL), for messages.
        files: table → the local files read (empty for a remote connection).
        labels: table → how errors name the table (a file path, ``file.duckdb:table``, a URL).
    """

    backend: Any
    tables: dict[str, Any]
    name: str
    files: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def engine(self) -> str:
        """The Ibis backend's name (``duckdb``, ``pyspark``, ``bigquery``, ...)."""
        return str(self.backend.name)

    def has(self, table: str) -> bool:
        """True when ``table`` is present."""
        return table in self.tables

    def table(self, table: str) -> Any:
        """The Ibis expression of ``table``; ValueError naming the tables present if absent."""
        if table not in self.tables:
            raise ValueError(f"{self.name}: no table {table!r} (found: "
                             f"{', '.join(sorted(self.tables)) or 'none'}); expected the contract's "
                             "table names (data/README.md)")
        return self.tables[table]

    def label(self, table: str) -> str:
        """How messages name ``table`` (its file, ``file.duckdb:table`` or ``<name>:table``)."""
        return self.labels.get(table, f"{self.name}:{table}")

    def to_pandas(self, table: str) -> Any:
        """The whole table as a pandas DataFrame (rows in file order when numbered), no
        validation and without the internal row-number column."""
        t = self.table(table)
        if ROW_COLUMN in t.columns:
            t = t.order_by(ROW_COLUMN).drop(ROW_COLUMN)
        return t.to_pyarrow().to_pandas()


def is_url(target: Any) -> bool:
    """True for a connection string (``scheme://...``: ``duckdb:///file.duckdb``,
    ``bigquery://project/dataset``, any Ibis URL): read by an engine, never a path on disk."""
    return isinstance(target, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", target) is not None


def is_connection_target(target: Any) -> bool:
    """True for what only :func:`connect` reads: a :class:`Source`, an Ibis backend, a Spark
    session, an Ibis URL (``scheme://...``) or a folder with a table stored as a sub-folder of
    Parquet files. A plain folder or file (``touchpoints.parquet``/``.csv``) or a DuckDB file is
    not: :mod:`smlib.io` reads those itself."""
    if is_url(target):
        return True
    if isinstance(target, (str, os.PathLike)):  # no ibis import on the file route
        p = Path(target)
        return p.is_dir() and any((p / t).is_dir() for t in config.REQUIRED_TABLES)
    return isinstance(target, Source) or _is_spark_session(target) or _is_backend(target)


def connect(target: Any, *, engine: str | None = None, tables: Mapping[str, Any] | None = None,
            session: Any = None, threads: int | None = None, memory_limit: str | None = None,
            temp_directory: str | os.PathLike[str] | None = None) -> Source:
    """The contract tables of ``target`` as Ibis expressions (see the module docstring).

    Parameters
    ----------
    target : a folder, a DuckDB file, an Ibis URL, an Ibis backend, a Spark session, a
        :class:`Source` (returned as is), or ``None`` with ``tables=``.
    engine : for a folder / ``tables=``: ``"duckdb"`` (default) or ``"pyspark"`` (a local Spark
        session is started unless ``session`` is given).
    tables : table → Parquet file, folder or glob (overrides what the folder holds).
    session : a Spark session to read the files with (implies ``engine="pyspark"``).
    threads, memory_limit, temp_directory : DuckDB settings of a connection made here (default:
        DuckDB's; ``memory_limit`` such as ``"8GB"``: beyond it DuckDB spills to
        ``temp_directory``).

    Raises:
        ValueError: an unknown engine, a path that does not exist, a missing table file, a view in
            a DuckDB file, or a target of another kind.
    """
    if isinstance(target, Source):
        return target
    if session is not None:
        engine = "pyspark"
    if engine is not None and engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    duck = dict(threads=threads, memory_limit=memory_limit,
                temp_directory=None if temp_directory is None else str(temp_directory))
    if _is_spark_session(target):
        return _from_backend(_spark_backend(target), name="spark session", files=tables)
    if _is_backend(target):
        if target.name == "pyspark":
            _utc_session(target._session)
        return _from_backend(target, name=f"{target.name} connection", files=tables)
    if is_url(target):
        import ibis  # lazy: ibis is a heavy dependency only the engine paths need

        backend = ibis.connect(target)
        if backend.name == "pyspark":
            _utc_session(backend._session)
        elif backend.name == "duckdb":
            backend.raw_sql("SET TimeZone = 'UTC'")
        return _from_backend(backend, name=_redact(target), files=tables)
    if target is None and not tables:
        raise ValueError("connect: give a folder, a DuckDB file, an Ibis URL, a backend or a Spark "
                         "session (or tables={...})")
    if target is not None and not isinstance(target, (str, os.PathLike)):
        raise ValueError(f"connect: expected a folder, a DuckDB file, an Ibis URL, an Ibis backend "
                         f"or a Spark session, got {type(target).__name__}")
    root = Path(target) if target is not None else None
    if root is not None and not root.exists():
        raise ValueError(f"{root}: no such file or folder")
    if root is not None and root.is_file():
        if root.suffix.lower() not in DUCKDB_SUFFIXES:
            raise ValueError(f"{root}: expected a folder of Parquet files or a DuckDB file "
                             f"({', '.join(DUCKDB_SUFFIXES)})")
        if engine == "pyspark" or tables:
            raise ValueError(f"{root}: a DuckDB file is read with engine='duckdb' only")
        return _from_duckdb_file(root, duck)
    layout = _parquet_layout(root, tables)
    if engine == "pyspark":
        backend = _spark_backend(session if session is not None else _local_spark())
    else:
        backend = _duckdb_backend(duck)
    out = {}
    for table, (path, numbered) in layout.items():
        name = f"_sm_{table}_{uuid.uuid4().hex[:8]}"
        if backend.name == "duckdb":
            opts: dict[str, Any] = {"file_row_number": True} if numbered else {
                "hive_partitioning": True, "union_by_name": True}
            scan = str(Path(path) / "**" / "*.parquet") if Path(path).is_dir() else path
            t = backend.read_parquet(scan, table_name=name, **opts)
            if numbered:
                t = t.rename({ROW_COLUMN: "file_row_number"})
        else:
            t = backend.read_parquet(path, table_name=name)
        out[table] = t
    files = {t: tuple(sorted(Path(f) for f in _glob.glob(p, recursive=True))) if _has_magic(p)
             else ((Path(p),) if Path(p).is_file() else tuple(sorted(Path(p).rglob("*.parquet"))))
             for t, (p, _) in layout.items()}
    labels = {t: p for t, (p, _) in layout.items()}
    return Source(backend, out, str(root) if root is not None else "tables", files, labels)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _has_magic(p: str) -> bool:
    return _glob.has_magic(p)


def _parquet_layout(root: Path | None, tables: Mapping[str, Any] | None
                    ) -> dict[str, tuple[str, bool]]:
    """table → (path or glob, whether it is one file, so rows can be numbered)."""
    out: dict[str, tuple[str, bool]] = {}
    for table, given in (tables or {}).items():
        if table not in config.TABLES:
            raise ValueError(f"tables: unknown table {table!r}; expected one of {config.TABLES}")
        p = str(given)
        if _has_magic(p):
            if not _glob.glob(p, recursive=True):
                raise ValueError(f"{table}: no file matches {p}")
            out[table] = (p, False)
        else:
            out[table] = _table_path(Path(p), table)
    if root is not None:
        if not root.is_dir():
            raise ValueError(f"{root}: not a folder")
        for table in config.TABLES:
            if table in out:
                continue
            if (root / f"{table}.csv").is_file():
                raise ValueError(f"{root / (table + '.csv')}: CSV files are read by "
                                 "smlib.io.load_dataset; the engines read Parquet (convert the "
                                 "table, or pass tables={...})")
            for cand in (root / f"{table}.parquet", root / table):
                if cand.exists():
                    out[table] = _table_path(cand, table)
                    break
    missing = [t for t in config.REQUIRED_TABLES if t not in out]
    if missing:
        where = root if root is not None else "tables"
        raise ValueError(f"{where}: no {' or '.join(missing)} table (expected <table>.parquet or a "
                         "folder <table>/ of Parquet files; data/README.md)")
    return out


def _table_path(p: Path, table: str) -> tuple[str, bool]:
    if p.is_file():
        return str(p), True
    if p.is_dir():
        if not any(p.rglob("*.parquet")):
            raise ValueError(f"{p}: no Parquet files in this folder (table {table})")
        return str(p), False
    raise ValueError(f"{p}: no such file or folder (table {table})")


def _redact(url: str) -> str:
    """A URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _is_backend(obj: Any) -> bool:
    try:
        from ibis.backends import BaseBackend  # lazy: ibis is heavy, only for connection targets
    except ImportError:  # pragma: no cover - ibis is a dependency
        return False
    return isinstance(obj, BaseBackend)


def _is_spark_session(obj: Any) -> bool:
    return type(obj).__module__.startswith("pyspark.sql") and type(obj).__name__ == "SparkSession"


def _utc_session(session: Any) -> None:
    session.conf.set("spark.sql.session.timeZone", "UTC")


def _spark_backend(session: Any) -> Any:
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    _utc_session(session)
    return ibis.pyspark.connect(session)


def _local_spark() -> Any:
    """A local Spark session (all cores, few shuffle partitions, no UI), or the active one."""
    from pyspark.sql import SparkSession  # lazy: pyspark (and Java) only for the Spark engine

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    return (SparkSession.builder.master("local[*]").appName("smlib")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate())


def _duckdb_backend(settings: dict[str, Any]) -> Any:
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    kwargs = {k: v for k, v in settings.items() if v is not None}
    backend = ibis.duckdb.connect(**kwargs)
    backend.raw_sql("SET TimeZone = 'UTC'")
    return backend


def _from_backend(backend: Any, *, name: str, files: Mapping[str, Any] | None) -> Source:
    if files:
        raise ValueError("connect: tables={...} reads files; with a connection the tables are "
                         "read from its database by name")
    present = _list_tables(backend)
    tables = {t: backend.table(t) for t in config.TABLES if t in present}
    missing = [t for t in config.REQUIRED_TABLES if t not in tables]
    if missing:
        raise ValueError(f"{name}: no table {' or '.join(repr(m) for m in missing)} in its current "
                         f"database (found: {', '.join(sorted(present)) or 'none'}); the tables "
                         "need the contract's names (data/README.md)")
    return Source(backend, tables, name, {}, {t: f"{name}:{t}" for t in tables})


def _list_tables(backend: Any) -> set[str]:
    """Tables and views of the backend's current database."""
    if backend.name == "duckdb":  # ibis 12's list_tables calls a method DuckDB 2 removed
        rows = backend.raw_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
            "current_database() AND table_schema = current_schema()").fetchall()
        return {str(r[0]) for r in rows}
    return set(backend.list_tables())


def _from_duckdb_file(file: Path, settings: dict[str, Any]) -> Source:
    """A DuckDB file attached read-only to a fresh connection; base tables only."""
    with open(file, "rb") as f:
        if f.read(16)[8:12] != b"DUCK":
            raise ValueError(f"{file}: not a DuckDB database ('DUCK' is not at byte 8)")
    backend = _duckdb_backend(settings)
    alias = f"_sm_db_{uuid.uuid4().hex[:8]}"
    path = str(file).replace("'", "''")
    backend.raw_sql(f"ATTACH '{path}' AS {alias} (READ_ONLY)")
    rows = backend.raw_sql(
        "SELECT table_name, table_type FROM information_schema.tables "
        f"WHERE table_catalog = '{alias}' AND table_schema = 'main'").fetchall()
    kinds = {str(n): str(k) for n, k in rows}
    for table in config.REQUIRED_TABLES:
        if table not in kinds:
            raise ValueError(f"{file}: no table {table!r} (found: "
                             f"{', '.join(sorted(kinds)) or 'none'})")
    views = [t for t in config.TABLES if kinds.get(t) == "VIEW"]
    if views:
        raise ValueError(f"{file}:{views[0]}: a view (a saved query that would run when it is "
                         "read); store the data as a table (CREATE TABLE ... AS SELECT ...)")
    tables = {}
    for table in config.TABLES:
        if table in kinds:
            view = f"{alias}_{table}"
            backend.raw_sql(f'CREATE TEMP VIEW {view} AS SELECT *, rowid AS {ROW_COLUMN} '
                            f'FROM {alias}.main."{table}"')
            tables[table] = backend.table(view)
    return Source(backend, tables, str(file), {t: (file,) for t in tables},
                  {t: f"{file}:{t}" for t in tables})
