"""nbval on checked cells: stored reference outputs + sanitised volatile text, and it can fail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from smlib.report.nbcheck import CHECK_MARK, checked_cells, store_checked_outputs

SANITIZE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"


def _sanitize(text: str) -> str:
    from nbval.plugin import get_sanitize_patterns

    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize(
    "volatile, stable",
    [
        ("run 20240501T060003Z-0123abcd ok", "run RUN-ID ok"),
        ("at 2024-05-01T06:00:03.123456+00:00.", "at TIMESTAMP."),
        ("Run date 2024-05-01 06:00 UTC", "Run date TIMESTAMP"),
        ("<object object at 0x7f3a2b1c9d40>", "<object object at 0xADDRESS>"),
        ("sha " + "ab12" * 16, "sha SHA256"),
        ("commit " + "0123456789abcdef0123" * 2, "commit GIT-SHA"),
        ("took 12.3 s", "took ELAPSED"),
        ("written to /tmp/pytest-of-x/run3/out.ipynb", "written to TMP-PATH"),
        ("reading /home/ci/work/smarketing/data/default/units.parquet", "reading PROJECT/data/default/units.parquet"),
    ],
)
def test_sanitizer_replaces_volatile_text(volatile, stable):
    assert _sanitize(volatile) == stable


@pytest.mark.parametrize(
    "text",
    ["Uplift 8.1 % (95 % CI 4.0-12.2 %)", "$1.2M revenue", "CAC payback 4.1 months", "period 2024-03-01",
     "ROI 3.2x in 2024", "12 s-shaped curves", "0x12"],
)
def test_sanitizer_keeps_key_numbers(text):
    assert _sanitize(text) == text


def _notebook(path: Path, revenue: int) -> Path:
    nb = new_notebook(cells=[
        new_code_cell("revenue = %d" % revenue),
        new_code_cell(
            f"{CHECK_MARK}\nimport datetime, hashlib, time\n"
            "print('won revenue', revenue)\n"
            "print('computed at', datetime.datetime.now(datetime.timezone.utc).isoformat())\n"
            "print('cache key', hashlib.sha256(str(time.time()).encode()).hexdigest())\n"
            "print(object())"
        ),
        new_code_cell("print('not checked', time.time())"),
        new_code_cell(f"{CHECK_MARK}\nfrom smlib.report import show_headline\n"
                      "show_headline('Key numbers', [('Won revenue', f'${revenue:,}')])"),
    ])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "smarketing", "display_name": "Python (smarketing)", "language": "python"}
    nbformat.write(nb, path)
    return path


def _nbval(tmp_path: Path, *notebooks: Path, sanitize: bool) -> str:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
           "--rootdir", str(tmp_path), "--nbval-lax", "--nbval-current-env", "-rA", "-q"]
    if sanitize:
        cmd += ["--nbval-sanitize-with", str(SANITIZE)]
    res = subprocess.run([*cmd, *map(str, notebooks)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    return res.stdout + res.stderr


@pytest.mark.slow
def test_checked_cells_compared_with_sanitised_references(tmp_path):
    same = _notebook(tmp_path / "same.ipynb", 12000)
    assert store_checked_outputs(same) == 2
    nb = nbformat.read(same, as_version=4)
    assert checked_cells(nb) == [1, 3]
    assert nb.cells[1].outputs and nb.cells[1].execution_count is not None
    assert nb.cells[2].outputs == [] and nb.cells[2].execution_count is None  # unchecked stays empty
    assert "won revenue 12000" in nb.cells[1].outputs[0]["text"]

    # the same stored references, but the code now computes a different number
    changed = tmp_path / "changed.ipynb"
    nb.cells[0].source = "revenue = 12001"
    nbformat.write(nb, changed)

    out = _nbval(tmp_path, same, changed, sanitize=True)
    assert re.search(r"PASSED same\.ipynb::Cell 1", out), out
    assert re.search(r"PASSED same\.ipynb::Cell 3", out), out
    assert re.search(r"FAILED changed\.ipynb::Cell 1", out), out
    assert re.search(r"FAILED changed\.ipynb::Cell 3", out), out  # the headline number too

    # without the sanitizer the volatile timestamp/hash/address make the unchanged notebook fail
    out = _nbval(tmp_path, same, sanitize=False)
    assert re.search(r"FAILED same\.ipynb::Cell 1", out), out


def test_store_checked_outputs_without_marked_cells_is_a_no_op(tmp_path):
    path = tmp_path / "plain.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 + 1")]), path)
    before = path.read_bytes()
    assert store_checked_outputs(path) == 0
    assert path.read_bytes() == before
