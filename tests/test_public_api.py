"""Every public function and class in smlib has a docstring and type hints (project standard)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import smlib

MODULES = sorted(m.name for m in pkgutil.walk_packages(smlib.__path__, "smlib."))


def _public_callables(module):
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


@pytest.mark.parametrize("module_name", MODULES)
def test_public_functions_have_docstrings_and_type_hints(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__, f"{module_name} has no module docstring"
    problems = []
    for name, obj in _public_callables(module):
        if not inspect.getdoc(obj):
            problems.append(f"{name}: no docstring")
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            untyped = [p for p, v in sig.parameters.items()
                       if v.annotation is inspect.Parameter.empty and p not in ("self", "cls")
                       and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
            if untyped:
                problems.append(f"{name}: parameters without type hints {untyped}")
            if sig.return_annotation is inspect.Signature.empty:
                problems.append(f"{name}: no return type hint")
    assert not problems, f"{module_name}: " + "; ".join(problems)
