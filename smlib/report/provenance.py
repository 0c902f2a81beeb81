"""Provenance of a report: git commit, input hashes, parameters, package versions, run time, seed.

One JSON record per report (``reports/<run-id>/<name>.provenance.json``), also shown in the report's
footer. It is what lets someone re-run a report and get the same numbers: same commit, same input
data, same parameters and seed, same package versions.

The input data are fingerprinted twice (:func:`describe_dataset`): ``data.files`` holds the SHA-256
of each file that holds a contract table (``<table>.csv``/``.parquet`` or the ``.duckdb`` file),
of ``mapping.toml`` and of the simulator's truth files when present — never of every file of a
folder — and ``data.tables`` holds, per table, its row count and the SHA-256 of its *loaded
content* (:func:`table_sha256`). The table hashes change whenever what the notebooks read changes,
even when no file listed in ``data.files`` does (e.g. a DuckDB file holding views over Parquet
files elsewhere).
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smlib import config
from smlib import io as smio
from smlib.engine.source import is_url
from smlib.io import MAPPING_FILE, load_dataset
from smlib.io import sha256_file  # one definition: the loader's (files are hashed the same way)
from smlib.report.publish import write_text_atomic

if TYPE_CHECKING:
    import pandas as pd

    from smlib.io import Dataset

#: Files beside the tables that notebooks also read: the simulator's truth (``smlib.simulate``).
TRUTH_FILES: tuple[str, ...] = ("truth.json",)
TRUTH_GLOB: str = "truth_*.parquet"

#: Schema version of the provenance JSON; bump when fields change meaning.
SCHEMA_VERSION: int = 1

#: Distributions whose versions are recorded (those that can change a report's numbers or look).
PACKAGES: tuple[str, ...] = (
    "smarketing-workbook", "numpy", "scipy", "pandas", "pyarrow", "duckdb", "pandera", "statsmodels",
    "scikit-learn", "matplotlib", "seaborn", "papermill", "nbconvert", "nbformat", "nbclient",
    "ipykernel",
)


def _extra_files(folder: Path, truth: bool = True) -> list[Path]:
    """``mapping.toml`` in ``folder`` and, with ``truth``, the simulator's truth files there
    (``smlib.simulate.load_truth`` reads them from a dataset folder; never beside a database)."""
    found = [folder / MAPPING_FILE] if (folder / MAPPING_FILE).is_file() else []
    if truth and (folder / TRUTH_FILES[0]).is_file():  # truth tables only come with a truth.json
        found += [folder / n for n in TRUTH_FILES if (folder / n).is_file()]
        found += sorted(f for f in folder.glob(TRUTH_GLOB) if f.is_file())
    return found


def hash_inputs(path: Path | str) -> dict[str, str]:
    """SHA-256 of the files of a dataset that notebooks read, keyed by file name.

    Only files that hold a contract table (``<table>.csv`` or ``<table>.parquet`` in a folder, or
    the ``.duckdb`` file itself), ``mapping.toml`` beside the data and the simulator's truth files
    (``truth.json``, ``truth_*.parquet``) are hashed — never every file of a folder — and only
    after the required tables (:data:`smlib.config.REQUIRED_TABLES`) were found.

    Raises
    ------
    ValueError
        If ``path`` does not exist, holds no required table (:class:`smlib.io.MissingTablesError`)
        or is not a dataset (e.g. a single CSV file).
    """
    p = Path(path)
    if not p.exists():
        raise ValueError(f"data path {str(p)!r} does not exist; expected a dataset folder or a .duckdb file")
    if p.is_dir():
        files: dict[str, Path] = {}
        for table in config.TABLES:
            try:
                files[table] = smio.find_table_file(p, table)
            except FileNotFoundError:
                continue
        missing = [t for t in config.REQUIRED_TABLES if t not in files]
        if missing:
            raise smio.MissingTablesError(str(p), missing)
        chosen = sorted(set(files.values())) + _extra_files(p)
    elif p.suffix.lower() in smio.DUCKDB_SUFFIXES:
        chosen = [p, *_extra_files(p.parent, truth=False)]
    else:
        raise ValueError(f"data path {str(p)!r}: expected a dataset folder or a .duckdb file")
    return {f.name: sha256_file(f) for f in chosen}


def table_sha256(df: pd.DataFrame) -> str:
    """A stable SHA-256 of a table's content: columns, types and values in row order.

    The frame is converted to Arrow (``pyarrow.Table.from_pandas(df, preserve_index=False)``,
    without the pandas schema metadata, which records library versions) and serialised with the
    Arrow IPC stream writer. The same frame gives the same digest in every process; any changed,
    added, removed or reordered row or column changes it. Columns Arrow cannot convert (mixed
    Python objects) are hashed as text.
    """

    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        obj = [c for c in df.columns if df[c].dtype == object]
        table = pa.Table.from_pandas(df.astype({c: str for c in obj}), preserve_index=False)
    table = table.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def table_hashes(ds: Dataset) -> dict[str, dict[str, Any]]:
    """``{table: {"rows": n, "sha256": table_sha256(...)}}`` for every table the dataset read
    (absent optional tables, listed in ``ds.missing``, are left out)."""
    return {
        t: {"rows": int(len(ds.table(t))), "sha256": table_sha256(ds.table(t))}
        for t in config.TABLES if t not in ds.missing
    }


def dataset_files(ds: Dataset) -> dict[str, str]:
    """SHA-256 of the files a loaded dataset came from, keyed by their path inside the dataset.

    The table files (``ds.files``/``ds.hashes``, hashed by :mod:`smlib.io` when it read them; a
    ``.duckdb`` file once; every part file of a table stored as several, ``ds.parts``), plus ``mapping.toml`` beside the data and, in a folder, the simulator's
    truth files when present. Nothing else in the folder is read or hashed.
    """
    root = Path(ds.path) if ds.path is not None else None
    base = root if root is not None and root.is_dir() else (root.parent if root is not None else None)

    def key(f: Path) -> str:
        # relative, not the bare name: tables stored as folders of part files
        # (touchpoints/part-0.parquet, opportunities/part-0.parquet) share file names
        try:
            return Path(f).relative_to(base).as_posix() if base is not None else Path(f).name
        except ValueError:
            return Path(f).name
    out = {key(ds.files[t]): digest for t, digest in ds.hashes.items()
           if t in ds.files and t not in ds.parts}
    # a table read from part files: each part with its own digest
    out.update({key(f): digest for parts in ds.parts.values() for f, digest in parts.items()})
    if root is not None:
        extra = _extra_files(root) if root.is_dir() else _extra_files(root.parent, truth=False)
        out.update({key(f): sha256_file(f) for f in extra if key(f) not in out})
    return dict(sorted(out.items()))


def dataset_period(data: Path | str | Dataset) -> dict[str, str] | None:
    """First and last date (UTC, ``YYYY-MM-DD``) covered by a dataset's touches and funnel events.

    ``data`` is a loaded :class:`smlib.io.Dataset` or a path, which is loaded with
    :func:`smlib.io.load_dataset` (which validates it). Takes the min/max over
    ``touchpoints.timestamp``, ``opportunities.lead_at`` and ``opportunities.closed_at``.
    Returns None when the dataset has no timestamps.
    """
    import pandas as pd

    ds = load_dataset(Path(data)) if isinstance(data, (str, Path)) else data
    stamps = [ds.touchpoints["timestamp"], ds.opportunities["lead_at"]]
    if "closed_at" in ds.opportunities:
        stamps.append(ds.opportunities["closed_at"])
    allts = pd.concat([pd.to_datetime(s, utc=True) for s in stamps]).dropna()
    if allts.empty:
        return None
    return {"start": allts.min().strftime("%Y-%m-%d"), "end": allts.max().strftime("%Y-%m-%d")}


def describe_dataset(path: Path | str | None, on_invalid: str = "error") -> dict[str, Any]:
    """Load a report's dataset once and fingerprint what was read.

    ``path`` None means the default simulated dataset (generated first if missing, as the
    notebooks would). The dataset is loaded with :func:`smlib.io.load_dataset` and ``on_invalid``
    (the report's own setting, so ``drop`` hashes the rows the notebooks keep). Returns
    ``{"path", "default", "files", "tables", "period"}``: ``files`` from :func:`dataset_files`,
    ``tables`` from :func:`table_hashes`, ``period`` from :func:`dataset_period`.

    Raises whatever the loader raises for bad data (``ValueError`` subclasses such as
    :class:`smlib.io.DataValidationError` and :class:`smlib.io.MissingTablesError`, or
    ``OSError``); nothing is hashed before the required tables were found.
    """
    # a connection string (``duckdb:///x``) stays a string: Path() would fold its "//"
    target = path if path is None or is_url(path) else Path(path)
    ds = load_dataset(target, on_invalid=on_invalid)  # type: ignore[arg-type]
    where = ds.path if ds.path is not None else (target if target is not None else config.DEFAULT_DATASET_DIR)
    return {
        "path": str(where),
        "default": path is None,
        "files": dataset_files(ds),
        "tables": table_hashes(ds),
        "period": dataset_period(ds),
    }


def git_info(root: Path | None = None) -> dict[str, Any]:
    """``{"commit": <sha or None>, "dirty": <bool or None>}`` of the project checkout.

    ``dirty`` is True when the working tree differs from the commit: modified or new, not ignored
    files (generated data and reports are git-ignored, so they do not count). Both are None outside a git checkout or without git.
    """
    root = Path(root or config.PROJECT_ROOT)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` when absent), plus ``python``.

    These are the runner's environment; the kernel (``smarketing``) runs in the same venv.
    """
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def resolve_seed(parameters: Mapping[str, Any], uses_default_dataset: bool) -> tuple[int | None, str | None]:
    """The seed behind a report's numbers and where it came from.

    The notebook's ``seed`` parameter if it has one; otherwise, for the default simulated dataset,
    :data:`smlib.config.DEFAULT_SEED` (the dataset is generated from it); otherwise None.
    """
    if parameters.get("seed") is not None:
        return parameters["seed"], "parameter"
    if uses_default_dataset:
        return config.DEFAULT_SEED, "default dataset (config.DEFAULT_SEED)"
    return None, None


def build_provenance(
    *,
    report: str,
    title: str,
    notebook: Path,
    run_id: str,
    status: str,
    started_at: str,
    finished_at: str,
    duration_seconds: float,
    parameters: Mapping[str, Any],
    data: Mapping[str, Any] | None,
    seed: int | None,
    seed_source: str | None,
    headlines: list[dict[str, Any]],
    error: Mapping[str, Any] | None = None,
    git: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
    warnings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Assemble the provenance record of one report (a JSON-serialisable dict).

    Fields: ``schema``, ``report``, ``title``, ``notebook`` (relative to the project root when
    inside it), ``notebook_sha256``, ``run_id``, ``status`` (``ok``/``failed``), ``error``,
    ``started_at``/``finished_at`` (ISO 8601 UTC), ``duration_seconds``, ``parameters`` (as
    executed), ``seed``/``seed_source``, ``data`` (``path``, ``default``, ``files``: SHA-256 per
    file holding a table, ``tables``: ``{table: {"rows", "sha256"}}`` of the loaded content,
    ``period``; see :func:`describe_dataset`), ``git`` (``commit``, ``dirty``), ``versions``, ``kernel``, ``platform``,
    ``headlines`` (payloads of :func:`smlib.report.show_headline`), ``warnings`` (the data
    warnings of :func:`smlib.report.show_warnings`, ``[{"code", "message"[, "details"]}]``; always
    present, ``[]`` when the report showed none, so a scheduled run can alert on them).
    """
    nb_path = Path(notebook).resolve()
    try:
        shown = nb_path.relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        shown = str(nb_path)
    return {
        "schema": SCHEMA_VERSION,
        "report": report,
        "title": title,
        "notebook": shown,
        "notebook_sha256": sha256_file(nb_path),
        "run_id": run_id,
        "status": status,
        "error": dict(error) if error else None,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_seconds": round(float(duration_seconds), 3),
        "parameters": dict(parameters),
        "seed": seed,
        "seed_source": seed_source,
        "data": dict(data) if data else None,
        "git": dict(git) if git is not None else git_info(),
        "versions": dict(versions) if versions is not None else package_versions(),
        "kernel": config.KERNEL_NAME,
        "platform": f"{platform.system()} {platform.machine()}, Python {sys.version.split()[0]}",
        "headlines": headlines,
        "warnings": [dict(w) for w in warnings or []],
    }


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON to ``path`` atomically (temp file + ``os.replace``).

    A reader never sees a half-written file; a crash leaves either the old file or none.
    """
    write_text_atomic(Path(path), json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
