"""The flow's graph, rebuilt from the run's tasks, laid out in layers and drawn as SVG.

The graph comes from the run itself (each task's ``parents`` in its attempt record), so a
report needs no import of the flow's code. Step kinds are inferred: ``start``, ``end``,
``join`` (a task with several parents), ``foreach`` (a step whose child has more tasks
than it), ``foreach body`` (that child), ``split`` (several child steps) and ``linear``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from dflow.report.collect import RunData

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 150, 46, 70, 22, 16


@dataclass(frozen=True)
class StepNode:
    """A step in the drawn graph: its layer, row, kind, task count and state."""

    name: str
    layer: int
    row: int
    kind: str
    tasks: int
    state: str


@dataclass(frozen=True)
class RunGraph:
    """Steps (nodes) and parent-to-child step edges of a run."""

    nodes: tuple[StepNode, ...]
    edges: tuple[tuple[str, str], ...]


def _edges(run: RunData) -> list[tuple[str, str]]:
    edges: dict[tuple[str, str], None] = {}
    for task in run.tasks:
        for parent in task.parents:
            edges[(parent.split("/")[0], task.step)] = None
    return list(edges)


def _layers(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering (the graph is a DAG: steps never loop back)."""
    layer = {n: 0 for n in names}
    for _ in range(len(names)):
        changed = False
        for a, b in edges:
            if a in layer and b in layer and layer[b] < layer[a] + 1:
                layer[b] = layer[a] + 1
                changed = True
        if not changed:
            break
    return layer


def _kind(name: str, run: RunData, edges: list[tuple[str, str]]) -> str:
    step = next(s for s in run.steps if s.name == name)
    children = [b for a, b in edges if a == name]
    counts = {s.name: len(s.tasks) for s in run.steps}
    kinds = []
    if name in ("start", "end"):
        kinds.append(name)
    if any(len(t.parents) > 1 for t in step.tasks):
        kinds.append("join")
    if _fans_out(name, children, counts):
        kinds.append("foreach")
    elif len(children) > 1:
        kinds.append("split")
    parents = [a for a, b in edges if b == name]
    if not kinds and len(parents) == 1 and _fans_out(parents[0], [name], counts):
        kinds.append("foreach body")
    return " + ".join(kinds) or "linear"


def _fans_out(name: str, children: list[str], counts: dict[str, int]) -> bool:
    return len(children) == 1 and counts.get(children[0], 0) > counts.get(name, 0)


def _state(tasks) -> str:
    states = {t.status for t in tasks}
    for s in ("failed", "running"):
        if s in states:
            return s
    return "succeeded" if states else "waiting"


def build_graph(run: RunData) -> RunGraph:
    """Nodes in layers (rows ordered by first appearance) and the step edges of ``run``."""
    names = [s.name for s in run.steps]
    names.sort(key=lambda n: (n != "start", n == "end"))
    edges = _edges(run)
    layer = _layers(names, edges)
    ordered = sorted(names, key=lambda n: (layer[n], _first_start(run, n), n))
    rows: dict[int, int] = {}
    nodes = []
    for name in ordered:
        row = rows.get(layer[name], 0)
        rows[layer[name]] = row + 1
        step = next(s for s in run.steps if s.name == name)
        nodes.append(
            StepNode(
                name, layer[name], row, _kind(name, run, edges), len(step.tasks), _state(step.tasks)
            )
        )
    return RunGraph(tuple(nodes), tuple(edges))


def _first_start(run: RunData, name: str) -> float:
    step = next(s for s in run.steps if s.name == name)
    starts = [a.started_at for t in step.tasks for a in t.attempts if a.started_at]
    return min(starts, default=float("inf"))


def render_graph_svg(graph: RunGraph) -> str:
    """An inline SVG of ``graph``: layers left to right, edges as curves with arrows."""
    if not graph.nodes:
        return '<p class="muted">No steps ran.</p>'
    per_layer: dict[int, int] = {}
    for n in graph.nodes:
        per_layer[n.layer] = max(per_layer.get(n.layer, 0), n.row + 1)
    tallest = max(per_layer.values())
    width = PAD * 2 + (max(per_layer) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + tallest * (NODE_H + GAP_Y) - GAP_Y
    pos = {}
    for n in graph.nodes:
        offset = (tallest - per_layer[n.layer]) * (NODE_H + GAP_Y) / 2
        pos[n.name] = (PAD + n.layer * (NODE_W + GAP_X), PAD + offset + n.row * (NODE_H + GAP_Y))
    parts = [
        f'<svg class="graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="flow graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" '
        'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>'
    ]
    for a, b in graph.edges:
        if a not in pos or b not in pos:
            continue
        x1, y1 = pos[a][0] + NODE_W, pos[a][1] + NODE_H / 2
        x2, y2 = pos[b][0], pos[b][1] + NODE_H / 2
        mid = (x1 + x2) / 2
        parts.append(
            f'<path class="edge" data-from="{escape(a)}" data-to="{escape(b)}" '
            f'd="M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} '
            f'{x2:.0f},{y2:.0f}" marker-end="url(#arrow)"/>'
        )
    for n in graph.nodes:
        x, y = pos[n.name]
        label = f"{n.kind} · {n.tasks} task{'s' if n.tasks != 1 else ''}"
        parts.append(
            f'<g class="node {n.state}" data-step="{escape(n.name)}" data-kind="{n.kind}">'
            f'<rect x="{x}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="7"/>'
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + 19:.0f}" class="name">{escape(n.name)}</text>'
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + 36:.0f}" class="kind">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
