"""Execute the report runs of ``reports.toml`` with papermill, render them, write provenance, publish.

``smlib report run`` (:mod:`smlib.cli`) calls :func:`run_batch`. A batch:

1. reads the config (:func:`load_config`; every run's notebook must be a notebook inside the
   notebooks folder), selects runs (``--only``), merges parameters (``[defaults].parameters`` <
   the run's ``parameters`` < ``-p key=value`` overrides) and checks them — names against each
   notebook's ``parameters`` cell, values with :func:`check_parameter_values` — for every run
   before any data is read; then loads each input dataset once and fingerprints what was read
   (SHA-256 of each loaded table's content and of the files holding the tables, the period it
   covers; the default simulated dataset is generated first if missing). Any problem is a
   :class:`ReportConfigError` (exit code 2) before anything runs;
2. creates ``reports/<run-id>/`` (holding ``<run-id>/.lock`` while it runs) and executes each
   notebook with papermill on the ``smarketing`` kernel into ``<run-id>/.partial/`` (one progress
   line per notebook, with elapsed time); kernel connection files go to a private temp folder;
3. for a successful notebook moves ``<name>.ipynb`` (executed) into place and writes
   ``<name>.html`` (offline, code hidden) and ``<name>.provenance.json``; for a failed one keeps
   the executed notebook with its error and its provenance in ``failed/``;
4. writes ``run.json``; if every report succeeded, publishes the batch (``latest`` — if no batch
   that started later is already published — and ``index.html``, together, under a lock); if any
   failed, publishes nothing — the successful reports of that batch stay in its folder for
   inspection, but ``latest`` and the index keep pointing at the last fully good batch — and
   prints a summary. The exit code is non-zero.

A batch stopped by SIGTERM, SIGHUP or Ctrl-C kills its kernels, removes its kernel files, writes
``incomplete.json`` instead of ``run.json`` and raises :class:`BatchInterrupted`; the folder of a
batch killed outright is marked incomplete by the next batch (see :mod:`smlib.report.publish`).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import errno
import io
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from smlib import config
from smlib.presentation import settings
from smlib.presentation.settings import validate_currency, validate_language
from smlib.engine.source import is_url
from smlib.report import provenance as prov
from smlib.report import publish as pub
from smlib.report.headline import extract_headlines
from smlib.report.notices import extract_warnings
from smlib.report.render import ReportRenderError, render_html

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_RUN_KEYS = {"name", "notebook", "title", "parameters"}
#: The language of a run's ``title``; every other report language may have a ``title_<language>``.
TITLE_LANGUAGE: str = "en"
_DEFAULT_KEYS = {"notebooks_dir", "timeout_seconds", "parameters", "require_headline"}
#: Parameter through which a notebook receives its dataset location (None = default dataset).
DATA_PARAM = "data_path"


class ReportConfigError(ValueError):
    """``reports.toml``, a ``-p`` override or a run's inputs are invalid (nothing was executed)."""


@dataclass(frozen=True)
class RunSpec:
    """One report run: which notebook, the report's name (file stem) and title, its parameters."""

    name: str
    notebook: Path
    title: str
    parameters: dict[str, Any] = field(default_factory=dict)
    #: The title in other report languages, ``{language: title}`` (``title_<language>`` keys):
    #: the title of a run whose ``language`` parameter is that language.
    titles: dict[str, str] = field(default_factory=dict)

    def title_in(self, language: str | None) -> str:
        """The report's title in ``language`` (``title`` when it has none of its own)."""
        return self.titles.get(language, self.title) if language else self.title


@dataclass(frozen=True)
class BatchConfig:
    """The parsed config file: runs in order plus batch-wide settings."""

    source: Path
    runs: tuple[RunSpec, ...]
    parameters: dict[str, Any] = field(default_factory=dict)  # [defaults].parameters
    timeout_seconds: int | None = None
    require_headline: bool = True


@dataclass
class ReportResult:
    """Outcome of one report in a batch."""

    name: str
    title: str
    status: str  # "ok" or "failed"
    duration_seconds: float
    html: Path | None
    notebook: Path | None
    provenance: Path | None
    headlines: list[dict[str, Any]]
    error: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)  # from show_warnings


@dataclass
class BatchResult:
    """Outcome of a batch: where it went, each report's result, whether it was published."""

    run_id: str
    run_dir: Path
    reports: list[ReportResult]
    published: bool
    latest: str | None
    #: Why a fully successful batch was not published: "partial" (--only) or "no-publish".
    not_published_because: str | None = None

    @property
    def ok(self) -> bool:
        """True when every report succeeded."""
        return all(r.status == "ok" for r in self.reports)

    @property
    def exit_code(self) -> int:
        """0 when every report succeeded (published or, for a partial batch, deliberately not), else 1."""
        return 0 if self.ok else 1


# --------------------------------------------------------------------------------------- config

def _plain(value: Any) -> Any:
    """TOML values papermill can inject: dates and times become ISO strings (recursively)."""
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_params(params: Any, where: str) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise ReportConfigError(f"{where}: 'parameters' must be a table of name = value, got {params!r}")
    for key in params:
        if not key.isidentifier():
            raise ReportConfigError(f"{where}: parameter name {key!r} is not a Python identifier")
    return _plain(params)


def load_config(path: Path | str | None = None) -> BatchConfig:
    """Read and validate a reports config file (default :data:`smlib.config.REPORTS_CONFIG`).

    Layout (TOML)::

        [defaults]                      # optional
        notebooks_dir = "notebooks"     # relative to this file; default config.NOTEBOOKS_DIR
        timeout_seconds = 900           # per cell; default: no limit
        require_headline = true         # a report without show_headline(...) fails
        parameters = {}                 # for every run whose notebook declares them

        [[run]]
        name = "02_integration_uplift"  # output file stem: letters, digits, _ . -
        notebook = "02_integration_uplift.ipynb"   # relative to notebooks_dir
        title = "Does integrating marketing and sales raise revenue?"
        parameters = { method = "dr" }

    A run's ``notebook`` must resolve (symlinks followed) to a Jupyter notebook inside the
    notebooks folder: ``notebooks_dir`` when the config names one, else
    :data:`smlib.config.NOTEBOOKS_DIR`. ``../`` paths, absolute paths elsewhere and symlinks
    pointing out of the folder are refused, and a file that is not notebook JSON is refused
    without showing its content.

    Raises :class:`ReportConfigError` naming the file, the run and the key for unknown keys,
    missing or duplicate names, missing, outside or invalid notebooks or bad values.
    """
    src = Path(path) if path is not None else Path(config.REPORTS_CONFIG)
    try:
        raw = tomllib.loads(src.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportConfigError(f"reports config {src} not found") from None
    except (OSError, UnicodeDecodeError) as e:  # a folder, unreadable, binary
        raise ReportConfigError(f"reports config {src} cannot be read: {_os_reason(e)}") from None
    except tomllib.TOMLDecodeError as e:
        raise ReportConfigError(f"{src}: not valid TOML: {e}") from None
    unknown = set(raw) - {"defaults", "run"}
    if unknown:
        raise ReportConfigError(f"{src}: unknown top-level key(s) {sorted(unknown)}; expected [defaults] and [[run]]")
    defaults = raw.get("defaults", {})
    bad = set(defaults) - _DEFAULT_KEYS
    if bad:
        raise ReportConfigError(f"{src}: unknown key(s) {sorted(bad)} in [defaults]; allowed {sorted(_DEFAULT_KEYS)}")
    if "notebooks_dir" in defaults and not isinstance(defaults["notebooks_dir"], str):
        raise ReportConfigError(f"{src}: [defaults] notebooks_dir must be a folder path (text)")
    nb_dir = _safe_resolve(src.parent / defaults["notebooks_dir"] if "notebooks_dir" in defaults
                           else Path(config.NOTEBOOKS_DIR), f"{src}: notebooks_dir")
    timeout = defaults.get("timeout_seconds")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0):
        raise ReportConfigError(f"{src}: [defaults] timeout_seconds must be a positive integer, got {timeout!r}")
    require_headline = defaults.get("require_headline", True)
    if not isinstance(require_headline, bool):
        raise ReportConfigError(f"{src}: [defaults] require_headline must be true or false")
    base_params = _check_params(defaults.get("parameters", {}), f"{src} [defaults]")
    runs_raw = raw.get("run", [])
    if not isinstance(runs_raw, list) or not runs_raw:
        raise ReportConfigError(f"{src}: no [[run]] entries; add one per report")
    runs: list[RunSpec] = []
    seen: set[str] = set()
    for i, r in enumerate(runs_raw, start=1):
        where = f"{src} [[run]] #{i}"
        title_keys = {f"title_{lang}": lang for lang in settings.LANGUAGES if lang != TITLE_LANGUAGE}
        allowed = _RUN_KEYS | set(title_keys)
        bad = set(r) - allowed
        if bad:
            raise ReportConfigError(f"{where}: unknown key(s) {sorted(bad)}; allowed {sorted(allowed)}")
        for key in ("name", "notebook"):
            if not isinstance(r.get(key), str) or not r[key].strip():
                raise ReportConfigError(f"{where}: '{key}' is required (a non-empty string)")
        name = r["name"]
        where = f"{src} [[run]] {name!r}"
        if not _NAME.match(name):
            raise ReportConfigError(f"{where}: name may use letters, digits, '_', '.', '-' only (it is a file name)")
        if name in seen:
            raise ReportConfigError(f"{where}: duplicate run name")
        seen.add(name)
        notebook = _notebook_path(nb_dir, r["notebook"], where)
        title = r.get("title", name)
        if not isinstance(title, str) or not title.strip():
            raise ReportConfigError(f"{where}: 'title' must be a non-empty string")
        titles: dict[str, str] = {}
        for key, lang in title_keys.items():
            if key in r:
                if not isinstance(r[key], str) or not r[key].strip():
                    raise ReportConfigError(f"{where}: {key!r} must be a non-empty string")
                titles[lang] = r[key]
        params = _resolve_data_path(_check_params(r.get("parameters", {}), where), src.parent)
        runs.append(RunSpec(name=name, notebook=notebook, title=title, parameters=params,
                            titles=titles))
    return BatchConfig(
        source=src.resolve(), runs=tuple(runs), parameters=_resolve_data_path(base_params, src.parent),
        timeout_seconds=timeout, require_headline=require_headline,
    )


def _os_reason(e: BaseException) -> str:
    """The reason of an OSError without its file name (the caller names the file)."""
    return getattr(e, "strerror", None) or type(e).__name__


def _safe_resolve(path: Path, what: str) -> Path:
    """``path.resolve()``, with a symlink loop or an unreadable path as :class:`ReportConfigError`."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as e:  # Python 3.11 raises RuntimeError for a symlink loop
        reason = "a symlink loop" if isinstance(e, RuntimeError) or getattr(e, "errno", None) == errno.ELOOP \
            else _os_reason(e)
        raise ReportConfigError(f"{what} {str(path)!r} cannot be used: {reason}") from None


def resolve_data_path(value: str, base: Path | None = None) -> str:
    """An absolute ``data_path``: relative to ``base`` (the config's folder) or to the current directory.

    A connection string (``scheme://...``: ``duckdb:///file.duckdb``, ``bigquery://project/dataset``,
    any Ibis URL; smlib.engine.source.connect reads it) is returned unchanged, never as a path.

    Raises :class:`ReportConfigError` (one line) for a symlink loop or a path that cannot be read.
    """
    if is_url(value):
        return value
    return str(_safe_resolve(Path(base or Path.cwd()) / value, DATA_PARAM))


def _read_notebook(path: Path, where: str) -> Any:
    """The notebook at ``path`` (nbformat v4), or a :class:`ReportConfigError` that does not quote it."""
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # NotJSONError quotes the file's first bytes: never show them
        raise ReportConfigError(f"{where}: {path} is not a Jupyter notebook (.ipynb JSON)") from None


def _notebook_path(nb_dir: Path, given: str, where: str) -> Path:
    """The resolved notebook of a run: must be a notebook file inside ``nb_dir``."""
    notebook = _safe_resolve(nb_dir / given, f"{where}: notebook")
    try:
        notebook.relative_to(nb_dir)
    except ValueError:
        raise ReportConfigError(
            f"{where}: notebook {given!r} is outside the notebooks folder {nb_dir}; a run's notebook "
            "must be inside it (set [defaults] notebooks_dir to use another folder)") from None
    if not notebook.is_file():
        raise ReportConfigError(f"{where}: notebook {notebook} does not exist")
    _read_notebook(notebook, where)
    return notebook


def _resolve_data_path(params: dict[str, Any], base: Path) -> dict[str, Any]:
    """A relative ``data_path`` in the config is relative to the config file, not to the cwd."""
    if isinstance(params.get(DATA_PARAM), str):
        return {**params, DATA_PARAM: resolve_data_path(params[DATA_PARAM], base)}
    return params


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a ``-p key=value`` override.

    The value is read as a TOML literal where possible (``3`` → int, ``0.2`` → float, ``true`` →
    bool, ``"a b"`` → str, ``[1, 2]`` → list, ``2024-01-01`` → the string ``"2024-01-01"``), then
    as JSON; ``none``/``null`` give None (the notebook's "use the default" value); anything else is
    kept as a plain string (``region=north`` → ``"north"``).
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise ReportConfigError(f"parameter override {text!r}: expected key=value with a Python identifier as key")
    value = value.strip()
    if value.lower() in {"none", "null"}:
        return key, None
    try:
        return key, _plain(tomllib.loads(f"v = {value}")["v"])
    except tomllib.TOMLDecodeError:
        pass
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def select_runs(cfg: BatchConfig, only: Sequence[str] = ()) -> list[RunSpec]:
    """The runs named in ``only`` (config order), or all runs; unknown names raise with the known ones."""
    if not only:
        return list(cfg.runs)
    known = {r.name for r in cfg.runs}
    unknown = [n for n in only if n not in known]
    if unknown:
        raise ReportConfigError(f"--only {', '.join(unknown)}: no such run in {cfg.source}; known runs: {', '.join(sorted(known))}")
    return [r for r in cfg.runs if r.name in set(only)]


def notebook_parameters(notebook: Path) -> dict[str, Any]:
    """Names and default values assigned in a notebook's first cell tagged ``parameters``.

    Parsed with :mod:`ast` (papermill's own line parser skips lines it cannot read, e.g. a comment
    containing ``;``): every top-level ``name = value`` / ``name: type = value``. Defaults that are
    not Python literals (e.g. ``config.DEFAULT_SEED``) are returned as their source text. A notebook
    without a parameters cell has none.

    Raises
    ------
    ReportConfigError
        If the file is not a notebook or its parameters cell is not valid Python.
    """
    nb = _read_notebook(Path(notebook), Path(notebook).name)
    out: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" not in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as e:
            raise ReportConfigError(f"{notebook.name}: the parameters cell is not valid Python: {e}") from None
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            else:
                continue
            for t in targets:
                if isinstance(t, ast.Name):
                    try:
                        out[t.id] = ast.literal_eval(node.value)
                    except ValueError:
                        out[t.id] = ast.get_source_segment(cell.source, node.value)
        break  # papermill injects after the first tagged cell only
    return out


# -------------------------------------------------------------------------------------- running

@dataclass
class _Planned:
    spec: RunSpec
    parameters: dict[str, Any]  # passed to papermill
    effective: dict[str, Any]  # notebook defaults updated with what is passed: what ran
    data: dict[str, Any] | None
    seed: Any
    seed_source: str | None


def _describe_data(path_value: Any, cache: dict[Any, dict[str, Any]], on_invalid: Any = "error") -> dict[str, Any]:
    """Load a run's dataset once and fingerprint it (:func:`smlib.report.provenance.describe_dataset`).

    ``None`` = the default dataset (generated here once if missing, not inside each kernel). The
    loaded tables are hashed (``data.tables``), and only the files that hold them (``data.files``).
    Any loader error (bad or missing tables, a symlink loop, a file that is not a dataset, an
    unreadable database) becomes a one-line :class:`ReportConfigError` before any notebook runs.
    """
    key = ("<default>" if path_value is None else str(path_value), on_invalid)
    if key in cache:
        return cache[key]
    shown = key[0]
    try:
        if path_value is not None and not is_url(str(path_value)):
            path = Path(path_value)
            if not os.path.lexists(path):
                raise ValueError("it does not exist; expected a dataset folder or a .duckdb file")
            try:
                path.stat()
            except OSError as e:
                raise ValueError("a symlink loop" if e.errno == errno.ELOOP else _os_reason(e)) from None
        info = prov.describe_dataset(path_value, on_invalid=on_invalid if on_invalid in ("error", "drop") else "error")
    except (ValueError, OSError) as e:  # smlib.io.DataValidationError is a ValueError
        raise ReportConfigError(f"{DATA_PARAM} {shown!r} cannot be used: {_data_error(e)}") from e
    except Exception as e:
        if type(e).__module__.split(".")[0] not in ("duckdb", "pyarrow", "_duckdb"):
            raise
        # a database or Parquet file the engines cannot open: bad input, not a bug
        raise ReportConfigError(f"{DATA_PARAM} {shown!r} cannot be used: {_data_error(e)}") from e
    cache[key] = info
    return info


def _data_error(e: BaseException) -> str:
    """The loader's message; for an OSError its reason and file, never a traceback."""
    if isinstance(e, OSError) and not isinstance(e, ValueError) and e.strerror:
        return f"{e.strerror}" + (f": {e.filename}" if e.filename else "")
    return str(e) or type(e).__name__


def check_parameter_values(params: Mapping[str, Any], where: str = "parameters") -> None:
    """Check the values of the parameters every report shares, before any notebook runs.

    ``language`` must be ``en`` or ``es``; ``currency`` an ISO 4217 code (``USD``, ``EUR``,
    ``BRL``); ``start``/``end`` dates (``2024-01-31``) or ``None`` with ``start`` before ``end``;
    ``lookback_days`` a positive number; ``n_boot`` 0 or an integer >= 2; ``claim`` a positive
    fraction and ``claim_form`` ``up_to`` or ``typical``; ``on_invalid`` ``error`` or ``drop``;
    ``labels`` a mapping of channel to a non-empty text. Raises
    :class:`ReportConfigError` naming the parameter, the value and what was expected.
    """
    def bad(name: str, expected: str) -> ReportConfigError:
        return ReportConfigError(f"{where}: parameter {name}={params[name]!r}: expected {expected}")

    expected = {"language": "'en' (English) or 'es' (Spanish)",
                "currency": "an ISO 4217 code such as USD, EUR, BRL"}
    for name, check in (("language", validate_language), ("currency", validate_currency)):
        if name in params:
            try:
                check(params[name])
            except (TypeError, ValueError):
                raise bad(name, expected[name]) from None
    dates = {}
    for name in ("start", "end"):
        value = params.get(name)
        if value is None:
            continue
        try:
            ts = pd.Timestamp(value) if isinstance(value, str) and value.strip() else None
        except (TypeError, ValueError):
            ts = None
        if ts is None or pd.isna(ts):
            raise bad(name, "a date such as 2024-01-31, or none")
        dates[name] = ts.tz_localize(None) if ts.tzinfo else ts
    if len(dates) == 2 and dates["start"] > dates["end"]:
        raise ReportConfigError(f"{where}: start {params['start']!r} is after end {params['end']!r}")
    if "lookback_days" in params:
        v = params["lookback_days"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise bad("lookback_days", "a positive number of days, e.g. 90")
    if "on_invalid" in params and params["on_invalid"] not in ("error", "drop"):
        raise bad("on_invalid", "'error' (stop at the first broken row) or 'drop' (leave broken "
                  "rows out and list them)")
    if "labels" in params:
        v = params["labels"]
        if not isinstance(v, Mapping) or not all(
                isinstance(x, str) and x.strip() and ">" not in x for x in v.values()):
            raise bad("labels", "a mapping {channel: label} of non-empty texts without '>'")
    if "n_boot" in params:
        v = params["n_boot"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v == 1:
            raise bad("n_boot", "0 (no intervals) or a whole number >= 2, e.g. 200")
    if "claim_form" in params and params["claim_form"] not in ("up_to", "typical"):
        raise bad("claim_form", "'up_to' (the claim is a ceiling, \"up to 20 %\") or 'typical' "
                  "(an expected value)")
    if "claim" in params:
        v = params["claim"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v:
            raise bad("claim", "a positive fraction, e.g. 0.20 for 20 %")


def plan_runs(
    runs: Sequence[RunSpec], overrides: Mapping[str, Any], defaults: Mapping[str, Any] | None = None,
    all_runs: Sequence[RunSpec] | None = None,
) -> list[_Planned]:
    """Merge parameters, check them against each notebook, describe the input data of each run.

    Precedence: the notebook's own defaults < ``defaults`` ([defaults].parameters) < the run's
    ``parameters`` < ``overrides`` (``-p``). Batch-wide values (``defaults``, ``overrides``) go to
    every selected notebook that declares them and must be declared by at least one; a run's own
    parameter must be declared by its notebook. ``[defaults]`` keys are checked against every run of
    the config (``all_runs``, default ``runs``), so that ``--only`` one report keeps the batch's
    shared settings. Typos thus fail here, before anything runs, instead of being ignored by
    papermill. The values of every run are checked
    (:func:`check_parameter_values`) before any dataset is read, so a bad ``-p`` value fails in a
    fraction of a second; then each distinct dataset is loaded and fingerprinted once.
    """
    defaults = dict(defaults or {})
    declared = {r.name: notebook_parameters(r.notebook) for r in runs}
    every = {**declared, **{r.name: notebook_parameters(r.notebook) for r in (all_runs or ())
                            if r.name not in declared}}
    for origin, values, among in (("[defaults] parameters", defaults, every),
                                  ("-p", overrides, declared)):
        for key in values:
            if not any(key in d for d in among.values()):
                raise ReportConfigError(
                    f"{origin} {key}=...: no selected notebook has a parameter {key!r} "
                    f"(parameters: {', '.join(sorted(set().union(*declared.values()))) or 'none'})"
                )
    merged = []
    for r in runs:  # every parameter of every run is checked before any data is read
        nb_params = declared[r.name]
        unknown = sorted(set(r.parameters) - set(nb_params))
        if unknown:
            raise ReportConfigError(
                f"run {r.name!r}: parameter(s) {unknown} are not in {r.notebook.name}'s parameters cell "
                f"(it declares: {', '.join(sorted(nb_params)) or 'nothing'})"
            )
        passed = {
            **{k: v for k, v in defaults.items() if k in nb_params},
            **r.parameters,
            **{k: v for k, v in overrides.items() if k in nb_params},
        }
        effective = {**nb_params, **passed}
        check_parameter_values(effective, where=f"run {r.name!r}")
        title = r.title_in(effective.get("language"))  # the report's title in its language
        if title != r.title:
            r = dataclasses.replace(r, title=title)
        merged.append((r, passed, effective, DATA_PARAM in nb_params))
    cache: dict[Any, dict[str, Any]] = {}
    planned = []
    for r, passed, effective, has_data in merged:
        data = (_describe_data(effective[DATA_PARAM], cache, effective.get("on_invalid", "error"))
                if has_data else None)
        seed, source = prov.resolve_seed(effective, bool(data and data["default"]))
        planned.append(_Planned(r, passed, effective, data, seed, source))
    return planned


def _fingerprint(planned: Sequence[_Planned], git: Mapping[str, Any]) -> str:
    """Hash of everything that determines a batch's numbers: code commit, notebooks, parameters, data."""
    parts = {
        "git": git.get("commit"),
        "runs": [
            [p.spec.name, prov.sha256_file(p.spec.notebook), p.effective, (p.data or {}).get("files"),
             (p.data or {}).get("tables")]
            for p in planned
        ],
    }
    return json.dumps(parts, sort_keys=True, default=str)


#: Environment of every report kernel: fixed hash seed, so set/dict-of-str order (and numbers) repeat.
KERNEL_ENV: dict[str, str] = {"PYTHONHASHSEED": "0"}


class BatchInterrupted(KeyboardInterrupt):
    """A batch was stopped by a signal (SIGTERM, SIGINT, SIGHUP): its folder is marked incomplete,
    its kernels are stopped and nothing is published. ``exit_code`` is ``128 + signal number``."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell convention for a process ended by a signal: 128 + its number (SIGTERM: 143)."""
        return 128 + self.signum


class _Signals:
    """In the main thread, turn SIGTERM/SIGHUP/SIGINT into :class:`BatchInterrupted`.

    Finally-blocks then run (kernels stopped, temp folders removed, the run folder marked
    incomplete). While :meth:`deferred` is active (publishing), a signal is held back and raised
    right after, so ``latest`` and the index are always written together.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

    def __init__(self) -> None:
        self._old: dict[int, Any] = {}
        self._defer = False
        self._pending: int | None = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self._defer:
            self._pending = signum
            return
        raise BatchInterrupted(signum)

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self._defer = True
        try:
            yield
        finally:
            self._defer = False
            if self._pending is not None:
                raise BatchInterrupted(self._pending)


def _kernel_manager_class(kernels_dir: Path | None, started: list[Any]) -> type:
    """A jupyter_client kernel manager for report kernels.

    * connection file ``kernel-<uuid>.json`` in ``kernels_dir`` (the batch's private runtime
      folder) instead of a stray temp file, and ``JUPYTER_RUNTIME_DIR`` pointing there;
    * :data:`KERNEL_ENV` added to the kernel's environment (not to this process's, which
      concurrent batches share);
    * no SIGINT at shutdown: jupyter_client interrupts a kernel before asking it to shut down,
      and an ipykernel that receives it while handling a message logs "KeyboardInterrupt caught
      in kernel" into the batch's output. A finished kernel is idle, so the shutdown request alone
      stops it (a busy one is killed after the usual wait);
    * every started manager is appended to ``started`` so an interrupted batch can kill its kernels.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        """Kernel manager of one report run (see :func:`_kernel_manager_class`)."""

        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            env = dict(kw.pop("env", None) or os.environ)
            env.update(KERNEL_ENV)
            if kernels_dir is not None:
                env["JUPYTER_RUNTIME_DIR"] = str(kernels_dir)
                if not self.connection_file:
                    self.connection_file = str(kernels_dir / f"kernel-{uuid.uuid4()}.json")
            kw["env"] = env
            started.append(self)
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return ReportKernelManager


def _kill_kernels(managers: Sequence[Any]) -> None:
    """SIGKILL the process groups of kernels that are still running (an interrupted batch)."""
    for km in managers:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        pid = getattr(proc, "pid", None)
        if not pid or (proc is not None and proc.poll() is not None):
            continue
        try:
            if os.getpgid(pid) == pid:  # jupyter_client starts kernels in their own session
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - best effort; the process is gone or a zombie
            pass


@contextmanager
def _quiet_papermill() -> Iterator[None]:
    """Hide papermill's parameter warnings: the runner checks parameters itself (plan_runs)."""
    logger = logging.getLogger("papermill")
    old = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(old)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def _first_line(text: str, limit: int = 160) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def execute_notebook(
    notebook: Path, output: Path, parameters: Mapping[str, Any] | None = None, timeout: int | None = None,
    *, kernels_dir: Path | None = None,
) -> dict[str, Any] | None:
    """Execute ``notebook`` with papermill into ``output`` the way scheduled runs do.

    Kernel :data:`smlib.config.KERNEL_NAME`, working directory = the notebook's folder (as in
    JupyterLab and nbval), ``PYTHONHASHSEED=0`` for the kernel (same set/dict order on every run),
    ``timeout`` seconds per cell (None: no limit), the kernel's connection file in ``kernels_dir``
    (default: a temp file), no interrupt signal at a normal shutdown. Returns None on success,
    otherwise ``{"ename", "evalue", "cell_execution_count"}``; papermill still writes the executed
    notebook (with the error) to ``output`` when a cell fails.

    papermill runs in a helper thread while this thread waits, so a signal (SIGTERM, Ctrl-C)
    reaches this thread's handlers: the kernel is then killed and the exception re-raised.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started: list[Any] = []
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            with _quiet_papermill():
                papermill.execute_notebook(
                    str(notebook),
                    str(Path(output).absolute()),
                    parameters=dict(parameters or {}),
                    kernel_name=config.KERNEL_NAME,
                    language="python",  # the smarketing kernel; also for notebooks without metadata
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=timeout,
                    # kernel start-up chatter (e.g. ipykernel's transport warning) is not for reports
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                    # the kernel's working directory; papermill's own cwd= would chdir this process
                    resources={"metadata": {"path": str(Path(notebook).parent)}},
                    kernel_manager_class=_kernel_manager_class(kernels_dir, started),
                )
            box["error"] = None
        except PapermillExecutionError as e:
            box["error"] = {"ename": e.ename, "evalue": e.evalue, "cell_execution_count": e.exec_count}
        except Exception as e:  # kernel missing or dead, cell timeout, unreadable notebook...
            box["error"] = {"ename": type(e).__name__, "evalue": str(e), "cell_execution_count": None}
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
            box["raise"] = e

    worker = threading.Thread(target=work, name=f"papermill:{Path(notebook).name}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)  # short waits: signal handlers run in between
    except BaseException:
        deadline = time.monotonic() + 30
        while worker.is_alive() and time.monotonic() < deadline:
            _kill_kernels(started)  # again and again: a kernel may still be starting
            worker.join(0.2)  # nbclient notices the dead kernel, cleans up and returns
        raise
    if "raise" in box:
        raise box["raise"]
    return box.get("error", {"ename": "MissingResult", "evalue": "papermill ended without a result",
                             "cell_execution_count": None})


def _run_one(
    p: _Planned, run_id: str, run_dir: Path, git: Mapping[str, Any], versions: Mapping[str, str],
    timeout: int | None, require_headline: bool, kernels_dir: Path | None = None,
) -> ReportResult:
    """Execute one report into ``run_dir/.partial/`` and move its files into place when complete."""
    import nbformat

    name = p.spec.name
    work = run_dir / pub.PARTIAL_DIR
    work.mkdir(exist_ok=True)
    partial_nb = work / f"{name}.ipynb"
    out_nb = run_dir / f"{name}.ipynb"
    started = _now()
    t0 = time.perf_counter()
    error = execute_notebook(p.spec.notebook, partial_nb, p.parameters, timeout, kernels_dir=kernels_dir)
    headlines: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    html: str | None = None
    nb = None
    if partial_nb.exists():
        nb = nbformat.read(partial_nb, as_version=4)
        headlines = extract_headlines(nb)
        warnings = extract_warnings(nb)
    if error is None and nb is None:
        error = {"ename": "MissingOutput", "evalue": "papermill wrote no executed notebook", "cell_execution_count": None}
    if error is None and require_headline and not headlines:
        error = {
            "ename": "NoHeadline",
            "evalue": "the notebook displayed no headline; call smlib.report.show_headline(title, items)",
            "cell_execution_count": None,
        }
    duration = time.perf_counter() - t0
    record = prov.build_provenance(
        report=name, title=p.spec.title, notebook=p.spec.notebook, run_id=run_id,
        status="ok" if error is None else "failed", started_at=_iso(started), finished_at=_iso(_now()),
        duration_seconds=duration, parameters=p.effective, data=p.data, seed=p.seed,
        seed_source=p.seed_source, headlines=headlines, error=error, git=git, versions=versions,
        warnings=warnings,
    )
    if error is None:
        try:
            html = render_html(nb, record, provenance_file=f"{name}.provenance.json", notebook_file=f"{name}.ipynb")
        except ReportRenderError as e:
            error = {"ename": "ReportRenderError", "evalue": str(e), "cell_execution_count": None}
            record.update(status="failed", error=error)
    if error is None:
        html_path, prov_path = run_dir / f"{name}.html", run_dir / f"{name}.provenance.json"
        os.replace(partial_nb, out_nb)  # complete: into place (same folder tree, atomic)
        prov.write_json_atomic(prov_path, record)
        pub.write_text_atomic(html_path, html or "")
        return ReportResult(name, p.spec.title, "ok", duration, html_path, out_nb, prov_path, headlines,
                            warnings=warnings)
    failed = run_dir / pub.FAILED_DIR
    failed.mkdir(exist_ok=True)
    kept = None
    if partial_nb.exists():
        kept = failed / out_nb.name
        os.replace(partial_nb, kept)
    prov_path = failed / f"{name}.provenance.json"
    prov.write_json_atomic(prov_path, record)
    message = f"{error['ename']}: {_first_line(str(error['evalue']))}"
    return ReportResult(name, p.spec.title, "failed", duration, None, kept, prov_path, headlines, message,
                        warnings)


def _manifest(
    run_id: str, status: str, started: dt.datetime, cfg: BatchConfig, overrides: Mapping[str, Any],
    git: Mapping[str, Any], results: Sequence[ReportResult], run_dir: Path,
) -> dict[str, Any]:
    def rel(path: Path | None) -> str | None:
        return path.relative_to(run_dir).as_posix() if path else None

    return {
        "schema": 1,
        "run_id": run_id,
        "status": status,
        "published": False,
        "started_at": _iso(started),
        "start_time": started.timestamp(),  # sub-second: 'latest' = newest batch by start time
        "finished_at": _iso(_now()),
        "config": str(cfg.source),
        "overrides": dict(overrides),
        "git": dict(git),
        "reports": [
            {
                "name": r.name, "title": r.title, "status": r.status,
                "duration_seconds": round(r.duration_seconds, 3), "html": rel(r.html),
                "notebook": rel(r.notebook), "provenance": rel(r.provenance),
                "headlines": r.headlines, "error": r.error, "warnings": r.warnings,
            }
            for r in results
        ],
    }


def run_batch(
    cfg: BatchConfig,
    *,
    only: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    reports_dir: Path | str | None = None,
    progress: TextIO | None = sys.stdout,
    publish: bool | None = None,
) -> BatchResult:
    """Execute, render and (if all succeed) publish a batch of report runs. See the module docstring.

    Parameters
    ----------
    cfg
        From :func:`load_config`.
    only
        Names of the runs to execute (default: all).
    overrides
        Parameters applied to every selected notebook that declares them (``-p key=value``).
    reports_dir
        Where run folders, ``latest`` and ``index.html`` live (default
        :data:`smlib.config.REPORTS_DIR`).
    progress
        Stream for the progress lines and the final summary (None: silent).
    publish
        Whether a fully successful batch is published (listed in the index; ``latest`` moves to
        it unless a batch that started later is already published). Default: yes for a full
        batch, no for a partial one (``only`` given), so ``latest`` always holds a complete set of
        reports whose cross-links work. A batch with a failed report is never published.

    Robustness: notebooks are executed into ``<run-id>/.partial/`` and moved into place only when
    complete; ``run.json`` is written only by a batch that finished. SIGTERM, SIGHUP or Ctrl-C
    (in the main thread) stop the kernels, remove the batch's kernel connection files, write
    ``incomplete.json`` and raise :class:`BatchInterrupted`. A batch killed outright (SIGKILL)
    leaves a folder without ``run.json`` that the next batch or ``smlib report index`` marks
    incomplete; it is never published.

    Raises
    ------
    ReportConfigError
        Before anything is executed, for unknown runs, undeclared or invalid parameters or invalid
        input data.
    BatchInterrupted
        When a signal stopped the batch (nothing published).
    """
    overrides = dict(overrides or {})
    out = progress if progress is not None else io.StringIO()
    root = pub.reports_root(reports_dir).absolute()
    planned = plan_runs(select_runs(cfg, only), overrides, cfg.parameters, all_runs=cfg.runs)
    git = prov.git_info()
    versions = prov.package_versions()
    previous = pub.current_latest(root)  # before creating anything: refuses a 'latest' that is not a link
    requested = publish
    with _Signals() as signals:
        started = _now()
        run_id, run_dir = pub.create_run_dir(root, pub.make_run_id(started, _fingerprint(planned, git)))
        kernels_dir = Path(tempfile.mkdtemp(prefix=f"{pub.KERNELS_PREFIX}{run_id}-"))
        try:
            with pub.hold_run_lock(run_dir, {"pid": os.getpid(), "kernels_dir": str(kernels_dir)}):
                for dead in pub.mark_incomplete_runs(root):
                    print(f"note: run folder {dead} was left by a batch that did not finish; marked "
                          f"incomplete (never published)", file=out, flush=True)
                print(f"smlib report: {len(planned)} report(s) from {cfg.source} -> {run_dir}", file=out, flush=True)
                results = _run_all(planned, run_id, run_dir, git, versions, cfg, kernels_dir, out)
                status = "ok" if all(r.status == "ok" for r in results) else "failed"
                manifest = _manifest(run_id, status, started, cfg, overrides, git, results, run_dir)
                with signals.deferred():
                    pub.write_text_atomic(run_dir / pub.MANIFEST,
                                          json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")
                    shutil.rmtree(run_dir / pub.PARTIAL_DIR, ignore_errors=True)
                    if publish is None:
                        publish = not only
                    published = False
                    if status == "ok" and publish:
                        pub.publish(root, run_id)
                        published = True
        except BaseException as e:
            if not (run_dir / pub.MANIFEST).exists():
                reason = str(e) if isinstance(e, BatchInterrupted) else f"stopped by {type(e).__name__}: {_first_line(str(e))}"
                pub.mark_incomplete(run_dir, reason + "; never published")
                print(f"\nINTERRUPTED ({reason}): {run_dir} marked incomplete; nothing published.", file=out, flush=True)
                print(f"  latest still -> {pub.current_latest(root) or '(none yet)'}.", file=out, flush=True)
            raise
        finally:
            shutil.rmtree(kernels_dir, ignore_errors=True)
    reason = None if published or status != "ok" else ("no-publish" if requested is False else "partial")
    result = BatchResult(run_id, run_dir, results, published, pub.current_latest(root), reason)
    print_summary(result, previous, out)
    return result


def _run_all(
    planned: Sequence[_Planned], run_id: str, run_dir: Path, git: Mapping[str, Any], versions: Mapping[str, str],
    cfg: BatchConfig, kernels_dir: Path, out: TextIO,
) -> list[ReportResult]:
    """Run the planned reports in order, printing one progress line each."""
    results: list[ReportResult] = []
    for i, p in enumerate(planned, start=1):
        print(f"[{i}/{len(planned)}] {p.spec.name:<32} ", end="", file=out, flush=True)
        res = _run_one(p, run_id, run_dir, git, versions, cfg.timeout_seconds, cfg.require_headline, kernels_dir)
        results.append(res)
        tail = "ok" if res.status == "ok" else f"FAILED  {res.error}"
        print(f"{res.duration_seconds:7.1f} s  {tail}", file=out, flush=True)
    return results


def print_summary(result: BatchResult, previous_latest: str | None, out: TextIO) -> None:
    """Print the end-of-batch table (report, status, time, headline or error) and what was published."""
    rows = []
    for r in result.reports:
        if r.status == "ok":
            items = [f"{it['label']}: {it['text']}" for h in r.headlines[:1] for it in h["items"][:3]]
            detail = "; ".join(items) or "(no headline)"
        else:
            detail = r.error or ""
        rows.append((r.name, r.status.upper() if r.status != "ok" else "ok", f"{r.duration_seconds:.1f} s", detail))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(("report", "status", "time"))]
    print("", file=out)
    print(f"{'report':<{widths[0]}}  {'status':<{widths[1]}}  {'time':>{widths[2]}}  headline / error", file=out)
    print(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * widths[2]}  {'-' * 16}", file=out)
    for name, status, secs, detail in rows:
        print(f"{name:<{widths[0]}}  {status:<{widths[1]}}  {secs:>{widths[2]}}  {_first_line(detail, 100)}", file=out)
    n_failed = sum(r.status != "ok" for r in result.reports)
    print("", file=out)
    if result.published:
        print(f"Published {len(result.reports)} report(s): {result.run_dir}", file=out)
        if result.latest == result.run_id:
            print(f"  latest -> {result.latest}; index: {result.run_dir.parent / pub.INDEX}", file=out)
        else:
            print(f"  listed in {result.run_dir.parent / pub.INDEX}; latest stays -> {result.latest}, a batch "
                  "that started later (newest by start time wins)", file=out)
    elif result.ok:
        print(f"All {len(result.reports)} report(s) succeeded: {result.run_dir}", file=out)
        if result.not_published_because == "partial":
            print("  NOT published (a partial batch, --only): pass --publish to publish it anyway.", file=out)
        else:
            print("  NOT published: --no-publish was given.", file=out)
        print(f"  latest still -> {previous_latest or '(none yet)'}; index.html unchanged.", file=out)
    else:
        print(f"NOT published: {n_failed} of {len(result.reports)} report(s) failed.", file=out)
        print(f"  Failed notebooks (with the error) are in {result.run_dir / pub.FAILED_DIR}", file=out)
        print(f"  latest still -> {previous_latest or '(none yet)'}; index.html unchanged.", file=out)
    out.flush()

