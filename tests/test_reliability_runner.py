"""Reliability of `smlib report run` under concurrency, signals and kills (runs real kernels).

* two overlapping batches into one reports folder: `latest` is the newest by start time, and the
  index agrees with it, whichever batch finishes last;
* SIGTERM: kernels stopped, no partial notebook at the top of the run folder, no run.json, the
  folder marked incomplete and never published, no kernel connection file left behind;
* SIGKILL, then a next run: the killed folder is marked incomplete and never published;
* a successful run shuts its kernels down without interrupting them (the source of "KeyboardInterrupt
  caught in kernel" lines in the output), and `--no-publish` says so instead of "partial batch".

The notebook used here is written at test time: it records its kernel's pid, connection file and
environment into a marker file, can wait for a release file, and shows a headline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from smlib import config
from smlib.report import publish as pub

pytestmark = pytest.mark.slow  # starts kernels (a few seconds each)

PROBE_SOURCE = '''\
import json, os, time
import ipykernel
from smlib.report import show_headline
with open(marker, "w") as f:
    json.dump({"pid": os.getpid(), "connection_file": ipykernel.get_connection_file(),
               "runtime_dir": os.environ.get("JUPYTER_RUNTIME_DIR"),
               "hashseed": os.environ.get("PYTHONHASHSEED"), "cwd": os.getcwd()}, f)
deadline = time.time() + max_wait
while wait_for and not os.path.exists(wait_for) and time.time() < deadline:
    time.sleep(0.05)
show_headline("Probe", [("Waited for", wait_for or "nothing")])
'''


def _probe_notebooks(folder: Path) -> Path:
    """A notebooks folder holding probe.ipynb (parameters: data_path, marker, wait_for, max_wait)."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('data_path = None\nmarker = "marker.json"\nwait_for = ""\nmax_wait = 60.0'),
        nbformat.v4.new_code_cell(PROBE_SOURCE),
    ])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": config.KERNEL_NAME, "display_name": "smarketing", "language": "python"}
    nbformat.write(nb, folder / "probe.ipynb")
    return folder


def _config(path: Path, notebooks: Path, data: Path, runs: list[tuple[str, dict]]) -> Path:
    lines = ["[defaults]", f'notebooks_dir = "{notebooks.as_posix()}"', "timeout_seconds = 120",
             f'parameters = {{ data_path = "{data.as_posix()}" }}']
    for name, params in runs:
        inline = ", ".join(f'{k} = {json.dumps(v)}' for k, v in params.items())
        lines += ["", "[[run]]", f'name = "{name}"', 'notebook = "probe.ipynb"', f'title = "{name}"',
                  f"parameters = {{ {inline} }}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _wait_for(path: Path, proc: subprocess.Popen | None = None, timeout: float = 90) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.stat().st_size:
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"batch ended early: {proc.returncode}\n{proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.05)
    raise AssertionError(f"{path} not written within {timeout} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _run_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and pub.is_run_id(p.name)) if root.exists() else []


def _start_batch(cfg: Path, root: Path, tmpdir: Path) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "smlib.cli", "report", "run", "--config", str(cfg), "--reports-dir", str(root)],
        cwd=config.PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


# ------------------------------------------------------------------ one clean batch, --no-publish

@pytest.fixture(scope="module")
def clean_batch(tmp_path_factory, tiny_dataset):
    """A full batch with --no-publish, kernels' interrupts recorded, fd-level output captured."""
    from conftest import run_report_cli
    from jupyter_client.manager import KernelManager

    base = tmp_path_factory.mktemp("clean_batch")
    nbs = _probe_notebooks(base / "notebooks")
    marker = base / "marker.json"
    cfg = _config(base / "reports.toml", nbs, tiny_dataset, [("probe", {"marker": str(marker)})])
    interrupts: list[bool] = []
    original = KernelManager._async_interrupt_kernel

    async def spy(self):
        interrupts.append(bool(getattr(self, "shutting_down", False)))
        return await original(self)

    kernel_out = base / "kernel-output.txt"
    saved = os.dup(2)
    with pytest.MonkeyPatch.context() as mp, open(kernel_out, "w") as sink:
        mp.setattr(KernelManager, "_async_interrupt_kernel", spy)
        os.dup2(sink.fileno(), 2)  # kernels inherit fd 2: collect what they print
        try:
            run = run_report_cli(["--config", str(cfg), "--no-publish"], base / "reports")
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return run, json.loads(marker.read_text()), interrupts, kernel_out.read_text()


def test_no_publish_on_a_full_batch_says_so(clean_batch):
    run, *_ = clean_batch
    assert run.exit_code == 0, run.stdout
    assert "NOT published: --no-publish was given." in run.stdout
    assert "partial batch" not in run.stdout and "--only" not in run.stdout
    assert not (run.root / "latest").exists()


def test_kernels_are_shut_down_without_an_interrupt(clean_batch):
    """jupyter_client interrupts (SIGINT) a kernel before shutting it down; an ipykernel that gets it
    while handling a message prints "KeyboardInterrupt caught in kernel" into the batch's output.
    Report kernels are idle at the end and are shut down without that signal."""
    run, _, interrupts, kernel_out = clean_batch
    assert interrupts == []
    assert "KeyboardInterrupt" not in run.stdout + kernel_out


def test_kernel_connection_files_live_in_a_private_runtime_dir_removed_at_the_end(clean_batch):
    _, marker, _, _ = clean_batch
    conn = Path(marker["connection_file"])
    assert conn.name.startswith("kernel-") and conn.parent == Path(marker["runtime_dir"])
    assert conn.parent.name.startswith(pub.KERNELS_PREFIX)
    assert not conn.exists() and not conn.parent.exists()
    assert marker["hashseed"] == "0"
    assert Path(marker["cwd"]) == Path(clean_batch[0].root).parent / "notebooks"  # the notebook's folder


def test_clean_batch_leaves_no_work_files(clean_batch):
    run, *_ = clean_batch
    (run_dir,) = _run_dirs(run.root)
    assert sorted(p.name for p in run_dir.iterdir()) == ["probe.html", "probe.ipynb", "probe.provenance.json", "run.json"]


# ------------------------------------------------------------------------- overlapping batches

def test_overlapping_batches_latest_is_the_newest_by_start_time(tmp_path, tiny_dataset, capfd):
    """Batch A starts first and is held until batch B (started later) has published; A then
    finishes and publishes too. `latest` must stay on B, and the index must list B first, tagged
    latest."""
    from smlib.report import runner

    nbs = _probe_notebooks(tmp_path / "notebooks")
    root = tmp_path / "reports"
    release = tmp_path / "release"
    cfg_a = runner.load_config(_config(tmp_path / "a.toml", nbs, tiny_dataset, [
        ("probe", {"marker": str(tmp_path / "a.json"), "wait_for": str(release)})]))
    cfg_b = runner.load_config(_config(tmp_path / "b.toml", nbs, tiny_dataset, [
        ("probe", {"marker": str(tmp_path / "b.json")})]))
    results: dict[str, object] = {}

    def batch(key, cfg):
        try:
            results[key] = runner.run_batch(cfg, reports_dir=root, progress=None)
        except BaseException as e:  # noqa: BLE001 - reported below
            results[key] = e

    ta = threading.Thread(target=batch, args=("a", cfg_a))
    ta.start()
    try:
        _wait_for(tmp_path / "a.json")  # A is running (its folder exists, its start time is set)
        time.sleep(0.05)
        tb = threading.Thread(target=batch, args=("b", cfg_b))
        tb.start()
        tb.join(120)
    finally:
        release.touch()
        ta.join(120)
    a, b = results["a"], results["b"]
    assert isinstance(a, runner.BatchResult) and isinstance(b, runner.BatchResult), results
    assert a.ok and b.ok and a.published and b.published
    assert os.readlink(root / "latest") == b.run_id
    assert a.latest == b.run_id  # A knew it did not take latest
    index = (root / "index.html").read_text()
    order = re.findall(r'id="run-([^"]+)"', index)
    assert order == [b.run_id, a.run_id]
    tagged = re.findall(r'<section class="run" id="run-([^"]+)">\s*<h2>[^<]*<span class="latest-tag">', index)
    assert tagged == [b.run_id]
    assert pub.read_manifest(a.run_dir)["start_time"] < pub.read_manifest(b.run_dir)["start_time"]
    assert "KeyboardInterrupt" not in "".join(capfd.readouterr())


# ----------------------------------------------------------------------------- SIGTERM, SIGKILL

def _no_kernel_files(tmpdir: Path) -> list[str]:
    return [str(p) for p in tmpdir.rglob("*") if p.name.startswith(("kernel-", pub.KERNELS_PREFIX))]


def _start_blocked_probe(tmp_path: Path, dataset: Path) -> tuple[subprocess.Popen, Path, Path, Path]:
    """A batch in a child process whose one notebook blocks until killed: ``(process, marker
    written once its kernel runs, reports folder, kernels' temp folder)``."""
    nbs = _probe_notebooks(tmp_path / "notebooks")
    marker = tmp_path / "marker.json"
    cfg = _config(tmp_path / "reports.toml", nbs, dataset,
                  [("probe", {"marker": str(marker), "wait_for": str(tmp_path / "never"), "max_wait": 120.0})])
    root, tmpdir = tmp_path / "reports", tmp_path / "tmp"
    tmpdir.mkdir()
    return _start_batch(cfg, root, tmpdir), marker, root, tmpdir


def test_sigterm_stops_kernels_and_leaves_an_incomplete_unpublished_folder(tmp_path, tiny_dataset):
    proc, marker, root, tmpdir = _start_blocked_probe(tmp_path, tiny_dataset)
    kernel_pid = None
    try:
        info = _wait_for(marker, proc)
        kernel_pid = info["pid"]
        assert Path(info["connection_file"]).exists()  # the kernel is running
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        if kernel_pid and _alive(kernel_pid):
            os.kill(kernel_pid, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGTERM, out
    assert "Traceback" not in out and "KeyboardInterrupt caught" not in out
    assert "INTERRUPTED (interrupted by SIGTERM)" in out and "nothing published" in out
    (run_dir,) = _run_dirs(root)
    top = [p.name for p in run_dir.iterdir() if p.is_file()]
    assert not [n for n in top if n.endswith((".ipynb", ".html", ".provenance.json"))], top
    assert not (run_dir / pub.MANIFEST).exists()
    assert json.loads((run_dir / pub.INCOMPLETE).read_text())["reason"].startswith("interrupted by SIGTERM")
    assert pub.run_state(run_dir) == "incomplete"
    assert _wait_gone(kernel_pid, 10), "the kernel outlived the batch"
    assert not Path(info["connection_file"]).exists()
    assert _no_kernel_files(tmpdir) == []
    from smlib.cli import main

    assert main(["report", "index", "--reports-dir", str(root)]) == 0
    assert run_dir.name not in (root / "index.html").read_text()
    assert not (root / "latest").exists()


def test_sigkill_then_next_run_never_publishes_the_killed_folder(tmp_path, tiny_dataset, monkeypatch):
    from conftest import run_report_cli

    proc, marker, root, tmpdir = _start_blocked_probe(tmp_path, tiny_dataset)
    kernel_pid = None
    try:
        info = _wait_for(marker, proc)
        kernel_pid = info["pid"]
        proc.kill()
        proc.communicate(timeout=30)
        # the orphaned kernel notices its parent is gone (ipykernel's parent poller) and exits
        assert _wait_gone(kernel_pid, 20), "the kernel of the killed batch kept running"
        (killed,) = _run_dirs(root)
        assert not (killed / pub.MANIFEST).exists()
        assert not list(killed.glob("*.ipynb")), "a partial notebook at the top of the run folder"
        # the next batch (same reports folder) marks it incomplete and publishes only itself
        ok_cfg = _config(tmp_path / "ok.toml", tmp_path / "notebooks", tiny_dataset,
                         [("probe", {"marker": str(tmp_path / "m2.json")})])
        monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))  # where the killed batch kept its kernel files
        run = run_report_cli(["--config", str(ok_cfg)], root)
    finally:
        if proc.poll() is None:
            proc.kill()
        if kernel_pid and _alive(kernel_pid):
            os.kill(kernel_pid, signal.SIGKILL)
    assert run.exit_code == 0, run.stdout
    assert f"run folder {killed.name} was left by a batch that did not finish" in run.stdout
    assert pub.run_state(killed) == "incomplete" and (killed / pub.INCOMPLETE).exists()
    (new,) = [d for d in _run_dirs(root) if d != killed]
    assert os.readlink(root / "latest") == new.name
    index = (root / "index.html").read_text()
    assert killed.name not in index and new.name in index
    assert _no_kernel_files(tmpdir) == []  # the killed batch's connection files are gone too
