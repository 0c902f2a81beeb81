"""The house rules of smlib, checked: ARCHITECTURE.md names every module (as CausalPy checks its
inventory), the layers written there hold (a lower layer never imports a higher one), there is no
import cycle, modules import from the defining module rather than a package facade, no private name
crosses a module boundary, and a function-local import of smlib says why it is lazy."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMLIB = ROOT / "smlib"

#: The layers of ARCHITECTURE.md, lowest first: a module may import its own layer or lower ones.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("smlib", "smlib.config", "smlib._lazy")),
    ("presentation", ("smlib.presentation",)),
    ("data", ("smlib.schemas", "smlib.io", "smlib.journeys", "smlib.engine", "smlib.simulate")),
    ("science", ("smlib.attribution", "smlib.causal", "smlib.metrics", "smlib.design",
                 "smlib.pipeline", "smlib.budget")),
    ("diagnostics", ("smlib.data_warnings", "smlib.gaps")),
    ("analyses", ("smlib.analyses",)),
    ("report", ("smlib.report",)),
    ("cli", ("smlib.cli",)),
)
#: Areas of one layer that must not import each other (the science stays in separate boxes:
#: metrics takes credit tables, it does not run attribution; causal knows nothing of journeys).
SEPARATE: tuple[str, ...] = ("smlib.attribution", "smlib.causal", "smlib.metrics")


@dataclass(frozen=True)
class Import:
    module: str      # importing module
    target: str      # imported smlib module (resolved to a module file when possible)
    names: tuple[str, ...]
    line: int
    local: bool      # inside a function or class body
    lazy_reason: bool


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SMLIB.rglob("*.py"))}


MODULES = _modules()


def _resolve(current: str, node: ast.ImportFrom | ast.Import) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(node, ast.Import):
        return [(a.name, ()) for a in node.names if a.name.split(".")[0] == "smlib"]
    if node.level:
        package = current.split(".")
        if not MODULES[current].name == "__init__.py":
            package = package[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if base.split(".")[0] != "smlib":
        return []
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append((sub, ()) if sub in MODULES else (base, (alias.name,)))
    return out


def _imports() -> list[Import]:
    out = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        top = set()
        for node in tree.body:  # module level, including `if TYPE_CHECKING:` / try blocks
            top.update(id(n) for n in ast.walk(node)
                       if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            text = "\n".join(lines[node.lineno - 1:(node.end_lineno or node.lineno)])
            for target, names in _resolve(name, node):
                out.append(Import(name, target, names, node.lineno, id(node) not in top,
                                  "# lazy:" in text))
    return out


IMPORTS = _imports()


def _layer(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    return rank


def _area(module: str) -> str | None:
    return next((a for a in SEPARATE if module == a or module.startswith(a + ".")), None)


def _where(imp: Import) -> str:
    return f"{MODULES[imp.module].relative_to(ROOT)}:{imp.line} ({imp.module} -> {imp.target})"


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if _layer(m) < 0] == []


def test_no_module_imports_a_higher_layer() -> None:
    upward = [f"{_where(i)}: {LAYERS[_layer(i.module)][0]} imports {LAYERS[_layer(i.target)][0]}"
              for i in IMPORTS if _layer(i.target) > _layer(i.module)]
    assert upward == []


def test_science_areas_do_not_import_each_other() -> None:
    crossing = [_where(i) for i in IMPORTS
                if _area(i.module) and _area(i.target) and _area(i.module) != _area(i.target)]
    assert crossing == []


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        if i.target in MODULES and i.target != i.module:
            # a package facade's lazy table is not an import; a facade import is flagged below
            graph[i.module].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def test_modules_import_the_defining_module_not_a_package_facade() -> None:
    facades = {m for m, p in MODULES.items() if p.name == "__init__.py" and m != "smlib"}
    through = [f"{_where(i)} imports {i.names}" for i in IMPORTS
               if i.target in facades and i.names and not i.module.startswith(i.target + ".")
               and i.module != i.target]
    assert through == []


def test_no_private_name_crosses_a_module_boundary() -> None:
    private = [f"{_where(i)} imports {n}" for i in IMPORTS for n in i.names
               if n.startswith("_") and n != "__version__"]
    assert private == []


def test_function_local_smlib_imports_say_why() -> None:
    """A function-local import is for a heavy or optional dependency (papermill, the simulator
    when the default data must be generated), written `# lazy: <reason>`; never to dodge a cycle."""
    unexplained = [_where(i) for i in IMPORTS if i.local and not i.lazy_reason]
    assert unexplained == []


def test_every_module_is_in_the_architecture_map() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Za-z_/]+)/?`", text))
    missing = []
    for module in MODULES:
        if module == "smlib":
            continue
        rel = module.removeprefix("smlib.").replace(".", "/")
        leaf = rel.rpartition("/")[2]
        # a package row lists its modules as `runner`, `render`, ...
        if rel in named or leaf in named or f"{rel}/" in text:
            continue
        missing.append(rel)
    assert missing == [], f"ARCHITECTURE.md does not mention: {missing}"


@pytest.mark.parametrize("layer", [name for name, _ in LAYERS])
def test_architecture_md_lists_the_layers_in_order(layer: str) -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    order = [name for name, _ in LAYERS]
    found = [m.group(1) for m in re.finditer(r"^\d+\. \*\*(\w+)\*\*", section, re.M)]
    assert found == order
    assert layer in found
