"""Load and validate the five contract tables (data/README.md) from CSV, Parquet or DuckDB.

- ``load_table(path, table)``: one validated table. ``path`` is a folder holding ``<table>.csv`` or
  ``<table>.parquet``, a single ``.csv``/``.parquet`` file, or a ``.duckdb`` database holding a table
  named ``<table>``.
- ``load_dataset(path=None)``: all five tables as a :class:`Dataset`, with the input files and their
  sha256 hashes for provenance. ``path=None`` means the default simulated dataset, generated
  deterministically on first use by :func:`ensure_default_dataset`.

Every load validates (see :mod:`smlib.schemas`) and raises one :class:`DataValidationError` (a
``ValueError``) naming the file, column, first offending rows (1-based data rows) and what was
expected. Nothing here writes into a folder it reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from smlib import config
from smlib.schemas import DataValidationError, Problem, spec, validate

__all__ = [
    "DataValidationError",
    "Dataset",
    "ensure_default_dataset",
    "find_table_file",
    "load_dataset",
    "load_table",
    "read_raw",
    "sha256_file",
]

DUCKDB_SUFFIXES: tuple[str, ...] = (".duckdb", ".ddb", ".db")
FILE_SUFFIXES: tuple[str, ...] = (".parquet", ".csv")


@dataclass
class Dataset:
    """The five validated tables plus where they came from.

    ``files[table]`` is the file each table was read from (the same ``.duckdb`` file for all tables
    of a database) and ``hashes[table]`` its sha256 hex digest.
    """

    touchpoints: pd.DataFrame
    opportunities: pd.DataFrame
    spend: pd.DataFrame
    units: pd.DataFrame
    accounts: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def table(self, name: str) -> pd.DataFrame:
        """The table called ``name`` (one of config.TABLES)."""
        spec(name)
        return getattr(self, name)

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


def read_raw(path: str | os.PathLike[str], table: str) -> tuple[pd.DataFrame, Path]:
    """Read ``table`` without validation; return the raw frame and the file it came from.

    CSV: contract string and date columns are read as text (so ``007`` stays ``007``; dates are
    parsed by the validator), other columns are inferred by pandas. Parquet: read with pyarrow.
    DuckDB: ``SELECT * FROM <table>`` in stored order from a read-only connection.
    """
    file = find_table_file(path, table)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        text_cols = {c.name: "str" for c in spec(table).columns if c.kind != "float"}
        return pd.read_csv(file, dtype=text_cols, keep_default_na=True), file
    if suffix == ".parquet":
        return pd.read_parquet(file), file
    with duckdb.connect(str(file), read_only=True) as con:
        names = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        if table not in names:
            raise DataValidationError([Problem(
                str(file), None, (), 0,
                f"a table named {table!r} (found: {', '.join(sorted(names)) or 'none'})")])
        return con.sql(f'SELECT * FROM "{table}"').df(), file


def load_table(path: str | os.PathLike[str], table: str) -> pd.DataFrame:
    """Read and validate one contract table (see module docstring for the accepted ``path``).

    Returns the typed frame (timestamps UTC, periods month starts, extra columns kept). Raises
    :class:`DataValidationError` naming the file, column, first rows and the expectation.
    """
    raw, file = read_raw(path, table)
    source = f"{file}:{table}" if _is_duckdb(file) else str(file)
    return validate(raw, table, source)


def load_dataset(path: str | os.PathLike[str] | None = None) -> Dataset:
    """Load and validate all five tables from a folder or a DuckDB file into a :class:`Dataset`.

    ``path=None`` loads the default simulated dataset (``ensure_default_dataset()``); if another
    process regenerates it while this one reads, the read is repeated so that the five tables always
    come from one generation. Problems in several tables are reported together in one
    :class:`DataValidationError`.
    """
    if path is not None:
        return _load_folder(Path(path))
    for _ in range(3):
        root = ensure_default_dataset()
        before = _recorded(root)
        try:
            ds = _load_folder(root)
        except FileNotFoundError:  # swapped out under us: read the new one
            continue
        if _recorded(root) == before:
            return ds
    raise RuntimeError(f"{config.DEFAULT_DATASET_DIR}: the default dataset kept changing while it "
                       "was read (another process regenerating it?); try again")


def _load_folder(root: Path) -> Dataset:
    frames: dict[str, pd.DataFrame] = {}
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for table in config.TABLES:
        files[table] = find_table_file(root, table)
        try:
            frames[table] = load_table(root, table)
        except DataValidationError as err:
            problems.extend(err.problems)
    if problems:
        raise DataValidationError(problems)
    digests: dict[Path, str] = {}
    for f in files.values():
        if f not in digests:
            digests[f] = sha256_file(f)
    return Dataset(**frames, files=files, hashes={t: digests[f] for t, f in files.items()},
                   path=root)


def _complete(folder: Path) -> bool:
    return folder.is_dir() and all(
        any((folder / f"{t}{s}").is_file() for s in FILE_SUFFIXES) for t in config.TABLES)


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
    renamed in, old one deleted). A folder without truth.json is never replaced.
    """
    target = Path(path) if path is not None else config.DEFAULT_DATASET_DIR
    if _complete(target) and _is_current(target, seed):
        return target
    if target.exists() and not _complete(target) and any(target.iterdir()):
        raise FileExistsError(
            f"{target}: exists but does not hold all of {', '.join(config.TABLES)}; it was not "
            "written by ensure_default_dataset. Move or delete it to regenerate the default data.")
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
