"""docs/reliability.md is generated from tests/reliability_catalog.py and names only real tests."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_catalog import BEGIN, CATALOG, DOC, END, Entry, rendered_section, render_table

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = f"{Path(sys.executable).name} tests/reliability_catalog.py --write"


def test_doc_holds_exactly_the_rendered_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = rendered_section(text)
    assert section is not None, f"{DOC}: the markers {BEGIN!r} and {END!r} are missing"
    assert section == render_table(), (
        f"{DOC} is out of date with tests/reliability_catalog.py; regenerate it from the project "
        f"root with: {REGENERATE}")
    assert text.index(BEGIN) > text.index("# Reliability")  # an intro comes first


def test_catalog_entries_are_well_formed() -> None:
    ids = [e[0] for e in CATALOG]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(CATALOG) >= 60  # the project tests at least 60 classes of bad input
    for entry in CATALOG:
        assert len(entry) == 4 and all(isinstance(x, str) and x.strip() for x in entry), entry
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry[0]), entry[0]
        assert re.fullmatch(r"tests/[\w/]+\.py::[\w:]+(\[[^\]]+\])?", entry[3]), entry[3]
    assert Entry("a", "b", "c", "tests/x.py::t") == ("a", "b", "c", "tests/x.py::t")  # plain tuple


def _defined(path: Path, names: list[str]) -> bool:
    """True when ``path`` defines ``names`` (a function, or a class then its method)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    for i, name in enumerate(names):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)) and n.name == name), None)
        if node is None or (i < len(names) - 1 and not isinstance(node, ast.ClassDef)):
            return False
        body = getattr(node, "body", [])
    return True


def test_every_named_test_exists() -> None:
    missing = []
    for entry in CATALOG:
        path, *names = entry[3].split("::")
        names[-1] = names[-1].split("[", 1)[0]
        file = ROOT / path
        if not file.is_file() or not _defined(file, names):
            missing.append(f"{entry[0]}: {entry[3]}")
    assert not missing, "tests named in tests/reliability_catalog.py that do not exist: " + "; ".join(
        missing)


@pytest.mark.slow
def test_parametrized_ids_are_collected() -> None:
    """A node id with a parameter (``test_x[id]``) must be one pytest collects."""
    wanted = {e[3] for e in CATALOG if "[" in e[3]}
    if not wanted:
        pytest.skip("no parametrized node ids in the catalogue")
    files = sorted({w.split("::", 1)[0] for w in wanted})
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", *files],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = set(out.stdout.split())
    assert not wanted - collected, (f"not collected: {sorted(wanted - collected)}\n"
                                    f"{out.stdout[-2000:]}{out.stderr[-2000:]}")
