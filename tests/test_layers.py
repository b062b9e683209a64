"""The one-way data flow of DESIGN.md, kept by reading every module's imports.

flow class -> graph -> plan -> engine -> store -> client -> CLI/reports/dashboard: lower
layers never import higher ones. Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dflow"

#: module prefix -> prefixes it must not import (dflow.* and third-party alike)
FORBIDDEN = {
    "dflow.store": (
        "dflow.graph",
        "dflow.plan",
        "dflow.engine",
        "dflow.client",
        "dflow.cli",
        "dflow.cluster",
        "dflow.dashboard",
        "dflow.report",
        "dflow.flowspec",
        "dflow.parameters",
        "dflow.decorators",
        "dflow.current",
        "distributed",
    ),
    "dflow.graph": (
        "dflow.plan",
        "dflow.engine",
        "dflow.store",
        "dflow.client",
        "dflow.cli",
        "dflow.cluster",
        "dflow.dashboard",
        "dflow.report",
        "dask",
        "distributed",
        "zarr",
        "fsspec",
    ),
    "dflow.plan": (
        "dflow.engine",
        "dflow.store",
        "dflow.client",
        "dflow.cli",
        "dask",
        "distributed",
    ),
    "dflow.engine": ("dflow.cli", "dflow.dashboard", "dflow.report"),
    "dflow.client": ("dflow.engine", "dflow.cli", "dflow.cluster", "dflow.dashboard"),
    "dflow.dashboard": ("dflow.engine", "dflow.cli", "dflow.client"),
    "dflow.report": ("dflow.engine", "dflow.cli", "dflow.dashboard"),
    "dflow.cluster": ("dflow.engine", "dflow.client", "dflow.cli", "dflow.report"),
}
#: the one allowed exception: the façade that starts runs hands back a client Run
ALLOWED = {("dflow.engine.launch", "dflow.client")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    name = module_name(path)
    rules = [
        bad for prefix, bad in FORBIDDEN.items() if name == prefix or name.startswith(prefix + ".")
    ]
    offending = sorted(
        imported
        for imported in imports_of(path)
        for bad in rules
        for forbidden in bad
        if (imported == forbidden or imported.startswith(forbidden + "."))
        and (name, forbidden) not in ALLOWED
    )
    assert not offending, f"{name} imports {offending}"


def test_the_rules_cover_every_subpackage():
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert subpackages - {"cli"} <= {prefix.split(".")[1] for prefix in FORBIDDEN}
