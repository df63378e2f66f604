"""The package is a stack of layers, and no module imports one above it.

fields -> schema -> plans -> executors -> models/queries (docs/architecture.rst). Every import is
read with ``ast``, those inside functions included; only imports under ``if TYPE_CHECKING:``
(never run) are left out. A module missing from LAYERS fails the test, so a new module must be
placed in the stack.
"""

from __future__ import annotations

import ast
import pathlib
from typing import Dict, Iterator, List, Tuple

import IndexedRedis

ROOT = pathlib.Path(IndexedRedis.__file__).parent

BASE, FIELDS, SCHEMA, PLANS, EXECUTORS, MODELS = range(6)
NAMES = ["base", "fields", "schema", "plans", "executors", "models/queries"]

LAYERS: Dict[str, int] = {
    "bindings": BASE,
    "compat_str": BASE,
    "deprecated": BASE,
    "exceptions": BASE,
    "keys": BASE,
    "server": BASE,
    "timed": BASE,
    "fields": FIELDS,
    "sorting": FIELDS,
    "connection": SCHEMA,
    "schema": SCHEMA,
    "definition": SCHEMA,
    "scripts": SCHEMA,
    "collections.scripts": SCHEMA,
    "codec": PLANS,
    "plans": PLANS,
    "readplans": PLANS,
    "registry": PLANS,
    "jobs": PLANS,
    "executors": EXECUTORS,
    "executor": EXECUTORS,
}


def layerOf(module: str) -> int:
    """The layer of ``module`` (dotted, relative to the package): its own entry, else its
    package's, else the top (models, queries and the operations built on them)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return LAYERS[name]
    return MODELS


def moduleName(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _typeCheckingBlock(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imports(path: pathlib.Path) -> Iterator[Tuple[int, str]]:
    """(line, imported module relative to the package) for every import of the package in ``path``."""
    module = moduleName(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(), str(path))
    todo: List[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if _typeCheckingBlock(child):
                todo.extend(getattr(child, "orelse", []))
                continue
            todo.append(child)
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else list(package)
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x, y
                    for alias in node.names:
                        yield node.lineno, ".".join(base + [alias.name])
                    continue
                yield node.lineno, target
            elif node.module and node.module.split(".")[0] == "IndexedRedis":
                yield node.lineno, node.module.partition(".")[2]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "IndexedRedis":
                    yield node.lineno, alias.name.partition(".")[2]


def upwardImports() -> List[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        module = moduleName(path)
        own = layerOf(module)
        for line, target in imports(path):
            if not target:
                continue
            if layerOf(target) > own:
                found.append(
                    f"{path.relative_to(ROOT.parent)}:{line}: {module} ({NAMES[own]}) imports {target} ({NAMES[layerOf(target)]})"
                )
    return found


def test_no_module_imports_a_layer_above_it():
    assert upwardImports() == []


def test_the_check_sees_imports_inside_functions(tmp_path, monkeypatch):
    """A lazy import inside a function is found (the check cannot pass by not looking)."""
    pkg = tmp_path / "IndexedRedis"
    (pkg / "fields").mkdir(parents=True)
    (pkg / "fields" / "__init__.py").write_text("")
    (pkg / "fields" / "late.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..model import X\n"
        "def f():\n    from ..query import Q\n    return Q\n"
    )
    monkeypatch.setattr(__import__(__name__), "ROOT", pkg, raising=False)
    globals()["ROOT"] = pkg
    try:
        problems = upwardImports()
    finally:
        globals()["ROOT"] = pathlib.Path(IndexedRedis.__file__).parent
    assert problems == ["IndexedRedis/fields/late.py:5: fields.late (fields) imports query (models/queries)"]


def test_executors_sit_below_models_and_above_plans():
    assert layerOf("executors.sync") == layerOf("executors.async_") == EXECUTORS
    assert layerOf("plans") < EXECUTORS < layerOf("query") == layerOf("model") == MODELS
