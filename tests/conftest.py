"""Shared test set-up. Keep it small and generic; module-specific fixtures live in their test files."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
TEST_NOTEBOOKS = TESTS_DIR / "notebooks"

# tests/notebooks/ holds fixtures for the report runner (one fails on purpose): never collect them
# as nbval tests, whatever flags pytest is given.
collect_ignore_glob = ["notebooks/*.ipynb"]

# A tiny dataset that satisfies the data contract (data/README.md): 2 accounts, 4 touches, 2 deals.
TINY_DATASET = {
    "touchpoints.csv": """account_id,timestamp,channel,team,touch_type,cost
A1,2024-01-03T10:00:00Z,paid_search,marketing,ad_click,3.5
A1,2024-01-05T10:00:00Z,sdr_call,sales,call,20
A2,2024-02-01T09:00:00Z,email,marketing,open,0.1
A2,2024-02-10T09:00:00Z,demo,sales,meeting,50
""",
    "opportunities.csv": """opportunity_id,account_id,lead_at,mql_at,sql_at,opportunity_at,closed_at,outcome,revenue,gross_margin,source_team
O1,A1,2024-01-03T10:05:00Z,2024-01-04T10:00:00Z,2024-01-05T11:00:00Z,2024-01-06T10:00:00Z,2024-02-20T10:00:00Z,won,12000,0.8,marketing
O2,A2,2024-02-01T09:05:00Z,,2024-02-02T09:00:00Z,2024-02-03T09:00:00Z,2024-03-01T09:00:00Z,lost,0,0.7,sales
""",
    "spend.csv": """period,channel,team,cost,unit_id
2024-01-01,paid_search,marketing,1000,north
2024-02-01,email,marketing,200,north
""",
    "units.csv": """unit_id,period,revenue,adoption_period
north,2024-01-01,10000,2024-02-01
north,2024-02-01,12000,2024-02-01
south,2024-01-01,9000,
south,2024-02-01,9500,
""",
    "accounts.csv": """account_id,unit_id,segment,size,integrated
A1,north,smb,20,false
A2,south,mid_market,300,false
""",
}


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder with the five contract tables as small CSV files (read-only use)."""
    folder = tmp_path_factory.mktemp("tiny_dataset")
    for name, text in TINY_DATASET.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_reports_config(path: Path, data_path: Path, runs: list[tuple[str, str, str, dict]]) -> Path:
    """Write a reports.toml for tests: notebooks from tests/notebooks, one data_path for all runs.

    ``runs`` are (name, notebook file, title, parameters) with string/number parameter values.
    """
    def toml_value(v: object) -> str:
        return f'"{v}"' if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)

    lines = [
        "[defaults]",
        f'notebooks_dir = "{TEST_NOTEBOOKS.as_posix()}"',
        "timeout_seconds = 120",
        f'parameters = {{ data_path = "{data_path.as_posix()}" }}',
    ]
    for name, notebook, title, params in runs:
        inline = ", ".join(f"{k} = {toml_value(v)}" for k, v in params.items())
        lines += ["", "[[run]]", f'name = "{name}"', f'notebook = "{notebook}"', f"title = {toml_value(title)}",
                  f"parameters = {{ {inline} }}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class CliRun:
    """What one ``smlib report run`` invocation left behind."""

    exit_code: int
    stdout: str
    root: Path


def run_report_cli(args: list[str], root: Path) -> CliRun:
    """Call ``smlib report run <args> --reports-dir root`` in-process, capturing its output."""
    from smlib.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["report", "run", *args, "--reports-dir", str(root)])
    return CliRun(code, buf.getvalue(), root)


def run_report_processes(batches: Mapping[Any, tuple[list[str], Path]], workers: int = 2
                         ) -> dict[Any, CliRun]:
    """``smlib report run <args> --reports-dir root`` for each ``key: (args, root)``, each in a
    process of its own, ``workers`` at a time (a batch runs its notebooks one after another,
    mostly on one core, so two batches share a two-core machine)."""
    def one(job: tuple[list[str], Path]) -> CliRun:
        args, root = job
        proc = subprocess.run([sys.executable, "-m", "smlib.cli", "report", "run", *args,
                               "--reports-dir", str(root)],
                              capture_output=True, text=True, timeout=1800)
        return CliRun(proc.returncode, proc.stdout + proc.stderr, root)

    with ThreadPoolExecutor(workers) as pool:
        return dict(zip(batches, pool.map(one, batches.values())))


def run_folder(run: CliRun) -> Path:
    """The one run folder (``<run-id>/``) a batch wrote under its root (the root when none)."""
    folders = [p for p in run.root.iterdir() if p.is_dir() and p.name[:1].isdigit()] \
        if run.root.is_dir() else []
    return folders[0] if len(folders) == 1 else run.root


@pytest.fixture(scope="session")
def report_batch(tmp_path_factory: pytest.TempPathFactory, tiny_dataset: Path) -> CliRun:
    """One good batch (a plain report and the escaping report) run through the CLI on tiny data.

    Shared by the end-to-end, offline, publishing and browser tests; treat its folder as read-only
    (copy it to change it).
    """
    base = tmp_path_factory.mktemp("report_batch")
    cfg = write_reports_config(
        base / "reports.toml",
        tiny_dataset,
        [
            ("ok", "report_ok.ipynb", "Test report", {"region": "north"}),
            ("xss", "report_xss.ipynb", "Escaping <script>alert(1)</script>", {}),
        ],
    )
    return run_report_cli(["--config", str(cfg)], base / "reports")
