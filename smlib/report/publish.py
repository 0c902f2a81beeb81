"""Run folders, the ``latest`` link and the index page, all updated atomically.

Layout under :data:`smlib.config.REPORTS_DIR`::

    reports/
      <run-id>/                 one batch: <name>.html, <name>.ipynb, <name>.provenance.json, run.json
      <run-id>/failed/          executed notebooks (with the error) and provenance of failed reports
      latest -> <run-id>        symlink to the last batch where every report succeeded
      index.html                list of published batches with each report's headline numbers

Readers never see a half-updated state: ``latest`` is replaced by renaming a new symlink over it and
``index.html`` by renaming a complete temp file over it (``os.replace`` is atomic on POSIX within a
file system). Publishing holds an exclusive lock (``reports/.publish.lock``) so two batches finishing
at the same time cannot interleave. A batch with any failed report is never published.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from smlib import config

LATEST = "latest"
INDEX = "index.html"
MANIFEST = "run.json"
FAILED_DIR = "failed"
_RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}(-\d+)?$")


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


def published_runs(root: Path) -> list[dict[str, Any]]:
    """Manifests of every published batch under ``root``, newest first."""
    runs = []
    for d in root.iterdir() if root.is_dir() else []:
        if d.is_dir() and not d.is_symlink() and is_run_id(d.name):
            m = read_manifest(d)
            if m and m.get("status") == "ok" and m.get("published"):
                runs.append(m)
    return sorted(runs, key=lambda m: m["run_id"], reverse=True)


def render_index(runs: list[dict[str, Any]], latest: str | None) -> str:
    """HTML of the index page: every published batch, newest first, with headline numbers.

    Rendered with Jinja2 autoescaping, so report titles, labels and values are always text.
    Offline: the stylesheet is inlined, no scripts.
    """
    import jinja2
    from markupsafe import Markup

    from smlib.report.headline import is_prose

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(config.TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    css = (Path(config.TEMPLATES_DIR) / "smarketing" / "static" / "report.css").read_text(encoding="utf-8")
    return env.get_template("reports_index.html.j2").render(
        runs=runs,
        is_prose=is_prose,
        latest=latest,
        css=Markup(css),  # our own file, not user input
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def rebuild_index(root: Path) -> Path:
    """Rewrite ``root/index.html`` atomically from the run manifests. Returns its path."""
    html = render_index(published_runs(root), current_latest(root))
    write_text_atomic(root / INDEX, html)
    return root / INDEX


def publish(root: Path, run_id: str) -> None:
    """Mark a successful batch as published, point ``latest`` at it and rebuild the index.

    Order matters for readers: the manifest is updated first, then ``latest``, then the index, each
    step atomic; an interruption leaves the previous ``latest``/index or the new ones, never a mix
    inside one file.
    """
    run_dir = root / run_id
    manifest = read_manifest(run_dir)
    if not manifest or manifest.get("status") != "ok":
        raise ValueError(f"run {run_id} did not succeed (status {manifest and manifest.get('status')!r}); not publishing")
    with publish_lock(root):
        manifest["published"] = True
        write_text_atomic(run_dir / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")
        point_latest(root, run_id)
        rebuild_index(root)
