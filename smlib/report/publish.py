"""Run folders, the ``latest`` link and the index page, all updated atomically.

Layout under :data:`smlib.config.REPORTS_DIR`::

    reports/
      <run-id>/                 one batch: <name>.html, <name>.ipynb, <name>.provenance.json, run.json
      <run-id>/failed/          executed notebooks (with the error) and provenance of failed reports
      <run-id>/.partial/        notebooks being executed (moved out when complete)
      <run-id>/incomplete.json  only for a batch that was interrupted or killed (it has no run.json)
      <run-id>/index.html       the batch's own page (its reports, executive summary first),
                                written when the batch is published: ``latest/index.html`` opens it
      latest -> <run-id>        symlink to the newest (by start time) published batch
      index.html                list of published batches with each report's headline numbers and
                                how each moved since the previous published batch

Readers never see a half-updated state: ``latest`` is replaced by renaming a new symlink over it and
``index.html`` by renaming a complete temp file over it (``os.replace`` is atomic on POSIX within a
file system). Publishing holds an exclusive lock (``reports/.publish.lock``) around the manifest,
``latest`` and the index, so two batches finishing at the same time cannot interleave, and ``latest``
is always the *newest published batch by start time*: a batch that started earlier but finished later
is listed in the index but does not take ``latest`` from the newer one. A batch with any failed
report is never published.

A running batch holds an exclusive lock on ``<run-id>/.lock``. A run folder without ``run.json``
whose lock nobody holds belonged to a batch that was killed (SIGKILL, power loss):
:func:`mark_incomplete_runs` writes ``incomplete.json`` into it. Such a folder is never published,
never listed in the index and never the target of ``latest``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from smlib import config
from smlib.presentation.catalogue import text
from smlib.presentation.numbers import figure_change
from smlib.presentation.settings import LANGUAGES
from smlib.report.headline import is_prose

LATEST = "latest"
INDEX = "index.html"
MANIFEST = "run.json"
FAILED_DIR = "failed"
#: Where a running batch's notebooks are executed before they are moved into place (or to failed/).
PARTIAL_DIR = ".partial"
#: Written into a run folder whose batch was interrupted or killed before it wrote run.json.
INCOMPLETE = "incomplete.json"
#: Held (flock) by the batch that owns a run folder, for as long as it runs.
RUN_LOCK = ".lock"
#: Prefix of a batch's private Jupyter runtime folder (kernel connection files) in the temp dir.
KERNELS_PREFIX = "smlib-kernels-"
#: A run folder without run.json and without a lock file is only declared abandoned after this
#: many seconds (a batch creates its lock file right after its folder; this covers the gap).
_NO_LOCK_GRACE_SECONDS = 60.0
_RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}(-\d+)?$")
#: Reports listed first in the index and in each batch's page, in this order (the README's reading
#: order: the executive summary first); the others follow in the order the batch ran them.
READ_FIRST: tuple[str, ...] = ("03_executive_summary",)


def reports_root(reports_dir: Path | str | None = None) -> Path:
    """The reports folder: ``reports_dir`` or :data:`smlib.config.REPORTS_DIR` (read at call time)."""
    return Path(reports_dir) if reports_dir is not None else Path(config.REPORTS_DIR)


def make_run_id(when: datetime, fingerprint: str) -> str:
    """Run id ``YYYYMMDDTHHMMSSZ-<8 hex>``: UTC start time + the first 8 hex digits of a fingerprint.

    The fingerprint is the SHA-256 of the batch's inputs (see the runner), so two runs of the same
    inputs share the suffix and differ only by time; ids sort chronologically as text.
    """
    if when.tzinfo is None:
        raise ValueError("run time must be timezone-aware (UTC)")
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:8]
    return f"{when.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{digest}"


def is_run_id(name: str) -> bool:
    """True if ``name`` has the shape of a run id (used to list run folders)."""
    return bool(_RUN_ID.match(name))


def create_run_dir(root: Path, run_id: str) -> tuple[str, Path]:
    """Create ``root/<run_id>`` exclusively; on a clash (same second, same inputs) append ``-2``, ``-3``…

    Returns the id actually used and the folder.
    """
    root.mkdir(parents=True, exist_ok=True)
    candidate, n = run_id, 1
    while True:
        path = root / candidate
        try:
            path.mkdir()
            return candidate, path
        except FileExistsError:
            n += 1
            candidate = f"{run_id}-{n}"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temp file in the same folder and ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; reports are read by others (web server, CI)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_latest(root: Path) -> str | None:
    """The run id ``latest`` points to, or None if there is no ``latest`` link yet."""
    link = root / LATEST
    if not link.is_symlink():
        if link.exists():
            raise ValueError(f"{link} exists but is not a symlink; move it away so reports can publish")
        return None
    return Path(os.readlink(link)).name


def point_latest(root: Path, run_id: str) -> None:
    """Atomically make ``root/latest`` a relative symlink to ``run_id`` (new symlink + os.replace)."""
    if not (root / run_id).is_dir():
        raise ValueError(f"run folder {root / run_id} does not exist")
    current_latest(root)  # refuses to replace a real file or folder named 'latest'
    tmp = root / f".{LATEST}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    os.symlink(run_id, tmp)  # relative target: the reports folder can be moved or served as is
    try:
        os.replace(tmp, root / LATEST)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def publish_lock(root: Path) -> Iterator[None]:
    """Exclusive advisory lock on ``root/.publish.lock`` for the duration of a publish."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".publish.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    """The ``run.json`` of a run folder, or None if it is missing or unreadable."""
    try:
        return json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def start_key(manifest: dict[str, Any]) -> tuple[float, str]:
    """Sort key of a batch by start time: ``start_time`` (Unix seconds, sub-second), else
    ``started_at`` (ISO 8601), then the run id (which also starts with the start time)."""
    t = manifest.get("start_time")
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        try:
            t = datetime.fromisoformat(str(manifest.get("started_at"))).timestamp()
        except (TypeError, ValueError):
            t = 0.0
    return float(t), str(manifest.get("run_id", ""))


def published_runs(root: Path) -> list[dict[str, Any]]:
    """Manifests of every published batch under ``root``, newest start time first."""
    runs = []
    for d in root.iterdir() if root.is_dir() else []:
        if d.is_dir() and not d.is_symlink() and is_run_id(d.name):
            m = read_manifest(d)
            if m and m.get("status") == "ok" and m.get("published"):
                runs.append(m)
    return sorted(runs, key=start_key, reverse=True)


def run_state(run_dir: Path) -> str:
    """What a run folder holds: ``"published"``, ``"ok"`` (succeeded, not published), ``"failed"``,
    ``"incomplete"`` (interrupted or killed: no ``run.json``; marked or not yet), or ``"running"``
    (no ``run.json`` and its batch still holds ``.lock``)."""
    m = read_manifest(run_dir)
    if m is not None:
        if m.get("status") == "ok":
            return "published" if m.get("published") else "ok"
        return "failed" if m.get("status") == "failed" else "incomplete"
    if (run_dir / INCOMPLETE).exists():
        return "incomplete"
    return "running" if _lock_held(run_dir) else "incomplete"


def _lock_held(run_dir: Path) -> bool:
    """True while a live batch holds ``run_dir/.lock``.

    A batch creates its folder, then locks ``.lock`` and writes its pid into it; a folder without a
    lock file, or with an empty one, counts as held while it is younger than a minute.
    """
    lock = run_dir / RUN_LOCK

    def young() -> bool:
        try:
            return time.time() - run_dir.stat().st_mtime < _NO_LOCK_GRACE_SECONDS
        except OSError:
            return False

    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return young()
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        return os.fstat(fd).st_size == 0 and young()
    finally:
        os.close(fd)  # also releases a lock taken above


@contextmanager
def hold_run_lock(run_dir: Path, info: dict[str, Any] | None = None) -> Iterator[None]:
    """Hold ``run_dir/.lock`` exclusively while a batch runs (``info`` is written into it as JSON).

    The lock dies with the process (also on SIGKILL), which is how :func:`mark_incomplete_runs`
    tells a killed batch from a running one. The file is removed when the batch ends normally.
    """
    lock = run_dir / RUN_LOCK
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info or {}, default=str).encode())
        yield
        lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def mark_incomplete(run_dir: Path, reason: str) -> None:
    """Write ``incomplete.json`` into a run folder that has no ``run.json`` (never overwrites one).

    Also removes the batch's private kernel runtime folder named in its ``.lock`` (kernel
    connection files of a killed batch), if it is still there.
    """
    if (run_dir / MANIFEST).exists():
        return
    try:
        info = json.loads((run_dir / RUN_LOCK).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    runtime = info.get("kernels_dir") if isinstance(info, dict) else None
    if isinstance(runtime, str):
        rt = Path(runtime)
        if rt.name.startswith(KERNELS_PREFIX) and rt.parent == Path(tempfile.gettempdir()):
            shutil.rmtree(rt, ignore_errors=True)
    record = {
        "run_id": run_dir.name, "status": "incomplete", "published": False, "reason": reason,
        "marked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "pid": info.get("pid") if isinstance(info, dict) else None,
    }
    write_text_atomic(run_dir / INCOMPLETE, json.dumps(record, indent=2) + "\n")
    (run_dir / RUN_LOCK).unlink(missing_ok=True)


def mark_incomplete_runs(root: Path) -> list[str]:
    """Mark every run folder under ``root`` whose batch died before writing ``run.json``.

    A folder counts as dead when it has no ``run.json``, no ``incomplete.json`` yet, and no live
    batch holds its ``.lock``. Returns the run ids marked now.
    """
    marked = []
    for d in sorted(root.iterdir()) if root.is_dir() else []:
        if not d.is_dir() or d.is_symlink() or not is_run_id(d.name):
            continue
        if (d / MANIFEST).exists() or (d / INCOMPLETE).exists() or _lock_held(d):
            continue
        mark_incomplete(d, "the batch ended before it finished (killed or crashed); never published")
        marked.append(d.name)
    return marked


def reading_order(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A batch's reports in reading order: :data:`READ_FIRST` first, then the others as run."""
    first = {name: k for k, name in enumerate(READ_FIRST)}
    return sorted(reports, key=lambda r: first.get(r.get("name"), len(first)))


def _report_language(run_dir: Path, report: dict[str, Any]) -> str:
    """The language a report was written in (its provenance ``parameters.language``; English when
    it has none or the file cannot be read)."""
    try:
        prov = json.loads((run_dir / str(report.get("provenance", ""))).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "en"
    lang = (prov.get("parameters") or {}).get("language", "en") if isinstance(prov, dict) else "en"
    return lang if lang in LANGUAGES else "en"


def previous_run(root: Path, manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The newest published batch that started before ``manifest``'s, or None."""
    here = start_key(manifest)
    older = [m for m in published_runs(root)
             if m.get("run_id") != manifest.get("run_id") and start_key(m) < here]
    return older[0] if older else None


def headline_changes(root: Path, manifest: dict[str, Any],
                     previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """Record in ``manifest`` the headlines of the ``previous`` batch and, on every headline item
    of this batch that the previous batch also showed (same report, headline title and label), the
    change of its figure (:func:`smlib.presentation.numbers.figure_change` in the report's
    language: ``"+2.1 pts since 2026-11-26"``). Returns the ``previous`` record kept in the
    manifest (``run_id``, ``started_at``, ``headlines`` by report name), None when there is no
    previous batch."""
    for rep in manifest.get("reports", []):
        for h in rep.get("headlines", []):
            for item in h.get("items", []):
                item.pop("change", None)
    if previous is None:
        manifest.pop("previous", None)
        return None
    before = {rep.get("name"): rep.get("headlines", []) for rep in previous.get("reports", [])}
    before_lang = {rep.get("name"): _report_language(root / str(previous.get("run_id")), rep)
                   for rep in previous.get("reports", [])}
    date = str(previous.get("started_at", ""))[:10]
    run_dir = root / str(manifest.get("run_id"))
    for rep in manifest.get("reports", []):
        lang = _report_language(run_dir, rep)
        if before_lang.get(rep.get("name"), lang) != lang:
            continue  # written in another language: its figures are not comparable as text
        old_items = {(h.get("title"), it.get("label")): it.get("text")
                     for h in before.get(rep.get("name"), []) for it in h.get("items", [])}
        for h in rep.get("headlines", []):
            for item in h.get("items", []):
                was = old_items.get((h.get("title"), item.get("label")))
                change = figure_change(item["text"], was, lang) if isinstance(was, str) else None
                if change is not None:
                    item["change"] = text("presentation.change.since", lang, change=change, date=date)
    kept = {"run_id": previous.get("run_id"), "started_at": previous.get("started_at"),
            "headlines": before}
    manifest["previous"] = kept
    return kept


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(config.TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render_index(runs: list[dict[str, Any]], latest: str | None, *, batch_page: bool = False) -> str:
    """HTML of the index page: every published batch, newest first, with headline numbers.

    Each batch lists its reports in reading order (:func:`reading_order`, the executive summary
    first) with each headline's change since the previous published batch when the batch recorded
    one (:func:`headline_changes`). ``batch_page=True`` renders one batch's own page
    (``<run-id>/index.html``, links relative to its folder). Rendered with Jinja2 autoescaping, so
    report titles, labels and values are always text. Offline: the stylesheet is inlined, no
    scripts.
    """
    from markupsafe import Markup

    css = (Path(config.TEMPLATES_DIR) / "smarketing" / "static" / "report.css").read_text(encoding="utf-8")
    return _environment().get_template("reports_index.html.j2").render(
        runs=runs,
        is_prose=is_prose,
        reading_order=reading_order,
        latest=latest,
        batch_page=batch_page,
        css=Markup(css),  # our own file, not user input
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_batch_page(root: Path, manifest: dict[str, Any]) -> Path:
    """Write ``<run-id>/index.html``, the batch's own page (atomic). Returns its path."""
    path = root / str(manifest["run_id"]) / INDEX
    write_text_atomic(path, render_index([manifest], None, batch_page=True))
    return path


def rebuild_index(root: Path) -> Path:
    """Rewrite ``root/index.html`` atomically from the run manifests (and write the page of any
    published batch that has none). Returns its path.

    Call it under :func:`publish_lock` (or use :func:`sync`, which also fixes ``latest``).
    """
    runs = published_runs(root)
    for manifest in runs:  # batches published before batch pages existed get theirs
        if not (root / str(manifest["run_id"]) / INDEX).exists():
            write_batch_page(root, manifest)
    html = render_index(runs, current_latest(root))
    write_text_atomic(root / INDEX, html)
    return root / INDEX


def sync(root: Path) -> str | None:
    """Point ``latest`` at the newest published batch (by start time) and rewrite the index.

    Call it under :func:`publish_lock`. Afterwards the index's first entry and ``latest`` agree;
    a ``latest`` left pointing at a deleted or unpublished folder is repaired. Returns the run id
    ``latest`` points to (None when nothing is published and there is no ``latest``).
    """
    runs = published_runs(root)
    if runs and current_latest(root) != runs[0]["run_id"]:
        point_latest(root, runs[0]["run_id"])
    rebuild_index(root)
    return current_latest(root)


def publish(root: Path, run_id: str) -> bool:
    """Mark a successful batch as published, move ``latest`` to it if it is the newest, rebuild the index.

    Under :func:`publish_lock`: the manifest is marked published (with the previous published
    batch's headlines and each headline's change since then, :func:`headline_changes`), the
    batch's own page ``<run-id>/index.html`` is written, then ``latest`` is pointed at the
    newest published batch by start time (this one, unless a batch that started later was already
    published while this one ran), then the index is rewritten — each step atomic, so an
    interruption leaves the previous ``latest``/index or the new ones, never a mix inside one file.
    Returns True when ``latest`` now points at ``run_id``.
    """
    run_dir = root / run_id
    with publish_lock(root):
        manifest = read_manifest(run_dir)
        if not manifest or manifest.get("status") != "ok":
            raise ValueError(f"run {run_id} did not succeed (status {manifest and manifest.get('status')!r}); not publishing")
        manifest["published"] = True
        headline_changes(root, manifest, previous_run(root, manifest))
        write_batch_page(root, manifest)
        write_text_atomic(run_dir / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")
        return sync(root) == run_id
