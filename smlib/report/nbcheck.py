"""Reference outputs for nbval's checked cells, in notebooks otherwise stored without outputs.

nbval compares a cell marked ``# NBVAL_CHECK_OUTPUT`` only if the stored notebook holds that cell's
output from a previous run (a cell with no ``execution_count`` is "unrun" and is not compared). Our
notebooks are committed without outputs, so a marked cell would check nothing. :func:`store_checked_outputs`
runs a notebook once (its default parameters, the project kernel, as scheduled runs do) and stores
the outputs of the marked cells only — every other cell stays output-free — so that
``pytest --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/`` compares the key
numbers on every test run. Re-run it when a number is meant to change (e.g. the simulator changed)
and review the diff.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from smlib.report.publish import write_text_atomic
from smlib.report.runner import execute_notebook

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def checked_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of code cells whose source contains the nbval marker ``# NBVAL_CHECK_OUTPUT``."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and CHECK_MARK in c.source]


def store_checked_outputs(notebook: Path | str, timeout: int | None = 600) -> int:
    """Execute ``notebook`` and store outputs in its ``# NBVAL_CHECK_OUTPUT`` cells only.

    Other code cells are cleared (no outputs, no execution count). The notebook is rewritten
    atomically. Returns the number of checked cells stored (0: nothing to do, file untouched).

    Raises
    ------
    ValueError
        If the notebook fails to run, or a checked cell cannot be matched to its executed copy
        (cells need nbformat 4.5 ids; papermill keeps them).
    """
    path = Path(notebook)
    nb = nbformat.read(path, as_version=4)
    targets = checked_cells(nb)
    if not targets:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        error = execute_notebook(path, out, timeout=timeout)
        if error is not None:
            raise ValueError(f"{path.name} failed to run ({error['ename']}: {error['evalue']}); nothing stored")
        executed = nbformat.read(out, as_version=4)
    by_id = {c.get("id"): c for c in executed.cells if c.get("id")}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if i in targets:
            ran = by_id.get(cell.get("id"))
            if ran is None:
                raise ValueError(f"{path.name}: checked cell {i} has no id matching the executed notebook")
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
        else:
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    write_text_atomic(path, nbformat.writes(nb) + "\n")
    return len(targets)
