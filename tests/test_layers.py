"""The one-way layering of dflow, kept by reading every module's imports.

The architecture is README.md's "Working on dflow" section (the project's own copy of the
design): base (errors, config) <- store; base <- flow definition (FlowSpec, @step and
the decorator and parameter specs) <- graph <- plan <- engine; the engine also uses the
store and the cluster record; the client reads the store and the graph; reports and the
dashboard read the client; the CLI and the package façade sit on top. Every module of
dflow/ belongs to exactly one layer and imports only its own layer and those below it
(imports inside functions count too). The few exceptions are listed with their reason,
and an exception that is no longer needed fails the test, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dflow"

#: layer -> module prefixes in it (the longest matching prefix decides)
LAYERS: dict[str, tuple[str, ...]] = {
    "base": (
        "dflow.errors",
        "dflow.config",
        "dflow.version",
        "dflow.events",
        "dflow.renderers",
    ),
    "store": ("dflow.store",),
    "definition": (
        "dflow.flowspec",
        "dflow.decorators",
        "dflow.parameters",
        "dflow.current",
        "dflow.exception",
        "dflow.project",
        "dflow.cloud_decorators",
        "dflow.config_spec",
    ),
    "graph": ("dflow.graph", "dflow.flowfile"),
    "plan": ("dflow.plan",),
    "cluster": ("dflow.cluster",),
    "engine": ("dflow.engine",),
    "client": ("dflow.client",),
    "presentation": ("dflow.report", "dflow.dashboard"),
    "entry": (
        "dflow",
        "dflow.__main__",
        "dflow.entry",
        "dflow.cli",
        "dflow.runner",
        "dflow.cards",
    ),
}
#: layer -> the layers below it, which it may import
BELOW: dict[str, set[str]] = {
    "base": set(),
    "store": {"base"},
    "definition": {"base"},
    "graph": {"base", "definition"},
    "plan": {"base", "definition", "graph"},
    "cluster": {"base"},
    "engine": {"base", "store", "definition", "graph", "plan", "cluster"},
    "client": {"base", "store", "graph"},
    "presentation": {"base", "store", "graph", "plan", "client"},
    "entry": set(LAYERS) - {"entry"},
}
#: (importing module, imported prefix) -> why it is allowed for now
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("dflow.flowspec", "dflow.entry"): "MyFlow() starts the CLI, MyFlow.run() the engine: "
    "FlowSpec's one lazy way up (Metaflow has the same one for its CLI)",
    ("dflow.engine.options", "dflow.client"): "the run façade hands back a client Run",
}
#: third-party packages a layer must never import
FORBIDDEN_PACKAGES: dict[str, tuple[str, ...]] = {
    "store": ("distributed",),
    "definition": ("dask", "distributed", "zarr", "fsspec"),
    "graph": ("dask", "distributed", "zarr", "fsspec"),
    "plan": ("dask", "distributed"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(name: str) -> str | None:
    best: tuple[int, str] | None = None
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), layer)
    return best[1] if best else None


def imports_of(path: Path) -> set[str]:
    """Absolute module names imported anywhere in ``path`` (``from dflow import x``: dflow.x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "dflow":
                found.update(f"dflow.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))
USED_EXCEPTIONS: set[tuple[str, str]] = set()


def _exception_for(name: str, imported: str) -> tuple[str, str] | None:
    for key in EXCEPTIONS:
        module, prefix = key
        if name == module and (imported == prefix or imported.startswith(prefix + ".")):
            return key
    return None


def upward_imports(path: Path, name: str | None = None) -> tuple[list[str], set[tuple[str, str]]]:
    """Imports of ``path`` (module ``name``) above its layer, and the exceptions it uses."""
    name = name or module_name(path)
    mine = layer_of(name)
    bad, excused = [], set()
    for imported in sorted(imports_of(path)):
        top = imported.split(".")[0]
        if top != "dflow":
            if top in FORBIDDEN_PACKAGES.get(mine, ()):
                bad.append(f"{imported} (third-party, forbidden in the {mine} layer)")
            continue
        theirs = layer_of(imported)
        if theirs == mine or theirs in BELOW[mine]:
            continue
        key = _exception_for(name, imported)
        if key is not None:
            excused.add(key)
        else:
            bad.append(f"{imported} ({theirs} layer, above {mine})")
    return bad, excused


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    assert layer_of(module_name(path)) is not None, f"{module_name(path)} is in no layer"
    bad, _ = upward_imports(path)
    assert not bad, f"{module_name(path)} imports {bad}"


def test_every_module_of_dflow_has_a_layer():
    names = [module_name(p) for p in MODULES]
    assert "dflow.config" in names and "dflow.flowspec" in names  # top-level ones too
    assert [n for n in names if layer_of(n) is None] == []


def test_every_exception_is_still_needed():
    used = set().union(*(upward_imports(p)[1] for p in MODULES))
    assert set(EXCEPTIONS) - used == set(), "remove the exceptions no module needs any more"


def test_the_layer_test_catches_an_upward_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import dask\n\ndef f():\n    from dflow.engine.launch import run_flow\n")
    bad, _ = upward_imports(probe, "dflow.graph.probe")
    assert bad == [
        "dask (third-party, forbidden in the graph layer)",
        "dflow.engine.launch (engine layer, above graph)",
    ]
    assert upward_imports(probe, "dflow.cli.probe")[0] == []


def test_readme_holds_the_architecture_this_test_enforces():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Working on dflow", 1)[1].split("\n## ", 1)[0]
    assert "tests/test_layers.py" in section
    for word in ("store", "graph", "plan", "engine", "client", "CLI"):
        assert word in section
