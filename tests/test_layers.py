"""The one-way layering of dflow, kept by reading every module's imports.

The architecture is README.md's "Working on dflow" section (the project's own copy of the
design): base (errors, config) <- store; base <- flow definition (FlowSpec, @step and
the decorator and parameter specs) <- graph <- plan <- engine; the engine also uses the
store and the cluster record; the client reads the store and the graph; reports and the
dashboard read the client; the CLI and the package façade sit on top. Every module of
dflow/ belongs to exactly one layer and imports only its own layer and those below it
(imports inside functions count too). The few exceptions are listed with their reason,
and an exception that is no longer needed fails the test, so the list only shrinks.

The import graph (every import that runs, lazy ones inside functions too; annotations
under ``if TYPE_CHECKING:`` never run and do not count) has one cycle: FlowSpec's lazy way
up to the CLI and the engine (``dflow.flowspec`` -> ``dflow.entry``), which import
FlowSpec. Any other cycle fails the test.
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
        "dflow.nextform",
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


def _is_module(name: str) -> bool:
    rel = PACKAGE.parent.joinpath(*name.split("."))
    return rel.with_suffix(".py").exists() or (rel / "__init__.py").exists()


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks of ``tree``."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                found.update(id(n) for n in ast.walk(stmt))
    return found


def imports_of(path: Path, *, typing: bool = True) -> set[str]:
    """Absolute module names imported anywhere in ``path`` (``from dflow.store import
    codecs``: dflow.store.codecs); ``typing=False`` leaves out ``if TYPE_CHECKING:`` ones."""
    tree = ast.parse(path.read_text(), str(path))
    skip = set() if typing else _type_checking_only(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            in_dflow = node.module.split(".")[0] == "dflow"
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if in_dflow and _is_module(full) else node.module)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))
#: The one cycle of the import graph, as the edge that closes it (see the docstring).
CYCLE_EDGE = ("dflow.flowspec", "dflow.entry")
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


def import_graph() -> dict[str, set[str]]:
    """Module -> the dflow modules it imports when it runs (lazily or not)."""
    names = {module_name(p): p for p in MODULES}

    def resolve(name: str) -> str | None:
        while name and name not in names:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets = {resolve(i) for i in imports_of(path, typing=False) if i.startswith("dflow")}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one module, each
    sorted (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in sorted(graph):
        if root in index:
            continue
        enter(root)
        work = [(root, iter(sorted(graph[root])))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    enter(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = [stack.pop()]
                while component[-1] != node:
                    component.append(stack.pop())
                on_stack.difference_update(component)
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def test_the_import_graph_has_one_cycle_flowspecs_way_up():
    graph = import_graph()
    source, target = CYCLE_EDGE
    assert target in graph[source], "FlowSpec no longer reaches up: drop CYCLE_EDGE"
    assert any({source, target} <= set(c) for c in cycles(graph))
    graph[source].discard(target)
    assert cycles(graph) == [], "break these import cycles at their cause"


def test_the_cycle_test_finds_cycles_and_leaves_out_type_checking_imports(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": {"f"}}
    assert cycles(graph) == [["a", "b", "c"], ["d", "e"]]
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from dflow.store.store import Store\n\n\n"
        "def f():\n    from dflow.store import codecs\n"
    )
    assert imports_of(probe, typing=False) == {"typing", "dflow.store.codecs"}
    assert imports_of(probe) == {"typing", "dflow.store.store", "dflow.store.codecs"}
