"""Provenance of a report: git commit, input file hashes, parameters, package versions, run time, seed.

One JSON record per report (``reports/<run-id>/<name>.provenance.json``), also shown in the report's
footer. It is what lets someone re-run a report and get the same numbers: same commit, same input
files (SHA-256), same parameters and seed, same package versions.
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
from typing import Any

from smlib import config

#: Schema version of the provenance JSON; bump when fields change meaning.
SCHEMA_VERSION: int = 1

#: Distributions whose versions are recorded (those that can change a report's numbers or look).
PACKAGES: tuple[str, ...] = (
    "smarketing-workbook", "numpy", "scipy", "pandas", "pyarrow", "duckdb", "pandera", "statsmodels",
    "scikit-learn", "matplotlib", "seaborn", "papermill", "nbconvert", "nbformat", "nbclient",
    "ipykernel",
)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes, read in 1 MiB chunks (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def hash_inputs(path: Path | str) -> dict[str, str]:
    """SHA-256 of every input file under ``path``, keyed by POSIX path relative to ``path``.

    ``path`` is a dataset folder (every regular, non-hidden file below it, recursively, in sorted
    order — the five tables and, for simulated data, the truth files notebooks compare against) or a
    single file (e.g. a ``.duckdb`` database), keyed by its name.

    Raises
    ------
    ValueError
        If ``path`` does not exist.
    """
    p = Path(path)
    if p.is_file():
        return {p.name: sha256_file(p)}
    if not p.is_dir():
        raise ValueError(f"data path {str(p)!r} does not exist; expected a dataset folder or a .duckdb file")
    out: dict[str, str] = {}
    for f in sorted(p.rglob("*")):
        rel = f.relative_to(p)
        if f.is_file() and not any(part.startswith(".") for part in rel.parts):
            out[rel.as_posix()] = sha256_file(f)
    return out


def dataset_period(path: Path | str) -> dict[str, str] | None:
    """First and last date (UTC, ``YYYY-MM-DD``) covered by a dataset's touches and funnel events.

    Loads the dataset with :func:`smlib.io.load_dataset` (which validates it) and takes the min/max
    over ``touchpoints.timestamp``, ``opportunities.lead_at`` and ``opportunities.closed_at``.
    Returns None when the dataset has no timestamps.
    """
    from smlib.io import load_dataset

    ds = load_dataset(Path(path))
    import pandas as pd

    stamps = [ds.touchpoints["timestamp"], ds.opportunities["lead_at"]]
    if "closed_at" in ds.opportunities:
        stamps.append(ds.opportunities["closed_at"])
    allts = pd.concat([pd.to_datetime(s, utc=True) for s in stamps]).dropna()
    if allts.empty:
        return None
    return {"start": allts.min().strftime("%Y-%m-%d"), "end": allts.max().strftime("%Y-%m-%d")}


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
    executed), ``seed``/``seed_source``, ``data`` (``path``, ``files``: SHA-256 per file,
    ``period``), ``git`` (``commit``, ``dirty``), ``versions``, ``kernel``, ``platform``,
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
    from smlib.report.publish import write_text_atomic

    write_text_atomic(Path(path), json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
