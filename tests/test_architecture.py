"""ARCHITECTURE.md names every module of smlib (CausalPy keeps its inventory in step the same way)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[str]:
    """Every module and package of smlib as written in the module map (`report/text`, `io`)."""
    out = []
    for f in sorted((ROOT / "smlib").rglob("*.py")):
        rel = f.relative_to(ROOT / "smlib").with_suffix("").as_posix()
        out.append(rel.removesuffix("/__init__") if rel.endswith("__init__") else rel)
    return [m for m in out if m != "__init__"]


def test_every_module_is_in_the_architecture_map():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Za-z_/]+)/?`", text))
    missing = []
    for module in _modules():
        parent, _, leaf = module.rpartition("/")
        # `report/` lists its modules as `runner`, `render`, ... in its row
        if module in named or leaf in named or f"{module}/" in text or f"`{module}/`" in text:
            continue
        missing.append(module)
    assert not missing, f"ARCHITECTURE.md does not mention: {missing}"
