"""environment.yml (for conda users) and pyproject.toml (what pip installs) must list the same
dependencies with the same floors; the kernel every notebook names must be the project's."""

from __future__ import annotations

import json
import re
import tomllib

import yaml
from packaging.requirements import Requirement

from smlib import config

# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
NOT_A_DEPENDENCY = {"python", "pip"}


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + list(meta["optional-dependencies"]["test"])
    out = {}
    for line in reqs:
        req = Requirement(line)
        out[req.name.lower()] = str(req.specifier)
    return out


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((config.PROJECT_ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            if entry.startswith("-e"):
                continue
            match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", entry)
            assert match, f"environment.yml: cannot parse dependency {entry!r}"
            name, spec = match.group(1).lower(), match.group(2).replace(" ", "")
            if name in NOT_A_DEPENDENCY:
                continue
            out[CONDA_TO_PYPI.get(name, name)] = str(Requirement(f"x{spec}").specifier)
    return out


def test_environment_yml_agrees_with_pyproject() -> None:
    pip_side, conda_side = _pyproject_requirements(), _environment_requirements()
    assert set(pip_side) == set(conda_side), (
        f"only in pyproject.toml: {sorted(set(pip_side) - set(conda_side))}; "
        f"only in environment.yml: {sorted(set(conda_side) - set(pip_side))}")
    differing = {n: (pip_side[n], conda_side[n]) for n in pip_side if pip_side[n] != conda_side[n]}
    assert not differing, f"floors differ (pyproject, environment.yml): {differing}"


def test_every_dependency_has_a_floor() -> None:
    for name, spec in _pyproject_requirements().items():
        assert ">=" in spec, f"pyproject.toml: {name} has no floor version ({spec!r})"


def test_notebooks_kernel_parameters_and_stored_outputs() -> None:
    notebooks = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    for path in notebooks:
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == config.KERNEL_NAME, path.name
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert "parameters" in code[0].get("metadata", {}).get("tags", []), (
            f"{path.name}: the first code cell must be tagged 'parameters' for papermill")
        checked = [c for c in code if "# NBVAL_CHECK_OUTPUT" in "".join(c["source"])]
        assert checked, f"{path.name}: no '# NBVAL_CHECK_OUTPUT' cell checks its key numbers"
        for cell in checked:
            assert cell.get("outputs"), f"{path.name}: a checked cell has no stored output to compare"
            assert "report-hide" in cell.get("metadata", {}).get("tags", []), (
                f"{path.name}: checked cells are for nbval only; tag them 'report-hide'")
        # only the checked cells carry a stored output: the reports hold everything else
        assert all(not c.get("outputs") for c in code if c not in checked), (
            f"{path.name} is stored with outputs outside its checked cells")
