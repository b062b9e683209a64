"""The flow's graph of a run, laid out in layers and drawn as SVG, each step filled by
its progress.

The graph is the flow's one model, :class:`dflow.graph.model.FlowGraph`, as the run record
holds it (:func:`dflow.graph.record.graph_from_record`): every step of the flow, so the
steps a failed run never reached are drawn too (grey). What this module adds is only the
drawing: a :class:`DrawnStep` per step (its place and its tasks' progress) and the SVG.
Runs recorded before that field existed fall back to a drawing rebuilt from the task
records (:func:`graph_from_tasks`: each task's ``parents``; kinds inferred).

Each step is a box outlined in the colour Dask gives its tasks (``color_of`` of the key
prefix ``Flow.step``, as in the task stream), with a progress bar in the dashboard's
style: done in the step's colour, failed black, running grey. The dflow dashboard page
draws the same SVG and updates the bars live (``data-step`` on each ``g.node``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from distributed.utils import color_of

from dflow.graph.model import FlowGraph
from dflow.graph.record import graph_from_record
from dflow.store.commit_state import DAMAGED, step_state

if TYPE_CHECKING:  # the dashboard draws with this module and never reads runs itself
    from dflow.report.collect import RunData

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 160, 54, 64, 20, 16
LOOP_H = 26  # room above and below the nodes for the arcs of loops
BAR_X, BAR_H = 10, 6


def plural(n: int, word: str) -> str:
    """``plural(1, "task")`` -> ``"1 task"``; ``plural(3, "task")`` -> ``"3 tasks"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def step_colour(flow: str, step: str) -> str:
    """The colour Dask's dashboard gives the tasks of ``step`` (their key prefix)."""
    return color_of(f"{flow}.{step}")


@dataclass(frozen=True)
class DrawnStep:
    """A step as the drawing shows it (not the graph's ``StepNode``): its layer, row, kind,
    task counts and state.

    ``state`` is "succeeded", "failed", "damaged", "running", "waiting" or "unreached".
    """

    name: str
    layer: int
    row: int
    kind: str
    tasks: int
    state: str
    done: int = 0
    failed: int = 0
    running: int = 0
    damaged: int = 0
    colour: str = "#4a6fa5"


@dataclass(frozen=True)
class RunGraph:
    """Steps (nodes) and parent-to-child step edges of a run; ``loops`` are the edges
    that go back (a switch to itself or to an earlier step: a loop's next iteration)."""

    nodes: tuple[DrawnStep, ...]
    edges: tuple[tuple[str, str], ...]
    recorded: bool = False  # True: the flow's own graph; False: rebuilt from the tasks
    loops: tuple[tuple[str, str], ...] = ()


def _edges(run: RunData) -> list[tuple[str, str]]:
    edges: dict[tuple[str, str], None] = {}
    for task in run.tasks:
        for parent in task.parents:
            if parent.split("/")[0] != task.step:  # a step repeating itself: drawn as a loop
                edges[(parent.split("/")[0], task.step)] = None
    return list(edges)


def _layers(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering (``edges`` without those that loop back: a DAG)."""
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


def _counts(tasks) -> dict[str, int]:
    return {
        "tasks": len(tasks),
        "done": sum(t.status == "succeeded" for t in tasks),
        "failed": sum(t.status == "failed" for t in tasks),
        "running": sum(t.status == "running" for t in tasks),
        "damaged": sum(t.status == DAMAGED for t in tasks),
    }


def _state(counts: Mapping[str, int]) -> str:
    """The drawn state of a step that was reached (:func:`step_state` of its counts)."""
    done, failed = counts.get("done", 0), counts.get("failed", 0)
    running, damaged = counts.get("running", 0), counts.get("damaged", 0)
    other = max(0, counts.get("tasks", 0) - done - failed - running - damaged)
    return step_state(
        {"succeeded": done, "failed": failed, "running": running, DAMAGED: damaged, "?": other}
    )


def graph_from_tasks(run: RunData) -> RunGraph:
    """The graph rebuilt from the run's task records (for runs without a recorded graph):
    nodes in layers (rows ordered by first start) and the step edges seen."""
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
        counts = _counts(step.tasks)
        nodes.append(
            DrawnStep(
                name,
                layer[name],
                row,
                _kind(name, run, edges),
                state=_state(counts),
                colour=step_colour(run.flow, name),
                **counts,
            )
        )
    loops = {
        (t.step, t.step) for t in run.tasks if any(p.split("/")[0] == t.step for p in t.parents)
    }
    return RunGraph(tuple(nodes), tuple(edges), loops=tuple(sorted(loops)))


_COUNTED = ("tasks", "done", "failed", "running", "damaged")


def layout_flow_graph(
    graph: FlowGraph, counts: Mapping[str, Mapping[str, int]], *, finished: bool
) -> RunGraph:
    """Lay out a flow's own graph; ``counts`` maps a step to its ``tasks``, ``done``,
    ``failed``, ``running`` and ``damaged`` counts. A step without tasks is "unreached" once the run
    is ``finished``, else "waiting"."""
    edges = [(node.name, target) for node in graph for target in graph.forward(node)]
    loops = [(node.name, target) for node in graph for target in node.out if target in node.loops]
    layer = _layers(list(graph.names), edges)
    rows: dict[int, int] = {}
    nodes = []
    for node in sorted(graph, key=lambda n: layer[n.name]):
        c = {k: int(counts.get(node.name, {}).get(k, 0)) for k in _COUNTED}
        # a step reached: one of its tasks ended; while the run runs, one is known too
        ended = c["done"] or c["failed"] or c["damaged"]
        reached = bool(ended) or (not finished and bool(c["tasks"]))
        row = rows.get(layer[node.name], 0)
        rows[layer[node.name]] = row + 1
        nodes.append(
            DrawnStep(
                node.name,
                layer[node.name],
                row,
                node.kind.value,
                state=_state(c) if reached else ("unreached" if finished else "waiting"),
                colour=step_colour(graph.flow_name, node.name),
                **c,
            )
        )
    return RunGraph(tuple(nodes), tuple(edges), recorded=True, loops=tuple(loops))


def run_graph(run: RunData) -> RunGraph:
    """The graph a report draws: the recorded flow graph, else the one rebuilt from tasks."""
    graph = graph_from_record(run.record.get("graph"))
    if graph is None:
        return graph_from_tasks(run)
    counts = {s.name: _counts(s.tasks) for s in run.steps}
    return layout_flow_graph(graph, counts, finished=run.record.get("status") != "running")


def _first_start(run: RunData, name: str) -> float:
    step = next(s for s in run.steps if s.name == name)
    starts = [a.started_at for t in step.tasks for a in t.attempts if a.started_at]
    return min(starts, default=float("inf"))


def _count_label(n: DrawnStep) -> str:
    if n.state == "unreached":
        return "not reached"
    if n.state == "waiting" and not n.tasks:
        return "waiting"
    text = f"{n.done}/{plural(n.tasks, 'task')}" if n.done != n.tasks else plural(n.tasks, "task")
    if n.failed:
        text += f" · {n.failed} failed"
    return text


def _node_svg(n: DrawnStep, x: float, y: float, link: str | None) -> str:
    total = max(n.tasks, 1)
    bar_w = NODE_W - 2 * BAR_X
    done_w = bar_w * n.done / total
    failed_w = bar_w * n.failed / total
    running_w = bar_w * min(n.running, max(total - n.done - n.failed, 0)) / total
    by = y + NODE_H - BAR_H - 7
    bars = (
        f'<rect class="bar bg" x="{x + BAR_X}" y="{by:.0f}" width="{bar_w}" height="{BAR_H}"/>'
        f'<rect class="bar done" x="{x + BAR_X}" y="{by:.0f}" width="{done_w:.1f}" '
        f'height="{BAR_H}" style="fill:{n.colour}"/>'
        f'<rect class="bar failed" x="{x + BAR_X + done_w:.1f}" y="{by:.0f}" '
        f'width="{failed_w:.1f}" height="{BAR_H}"/>'
        f'<rect class="bar running" x="{x + BAR_X + done_w + failed_w:.1f}" y="{by:.0f}" '
        f'width="{running_w:.1f}" height="{BAR_H}"/>'
    )
    title = f"{n.name} ({n.kind}): {_count_label(n)}"
    body = (
        f'<rect class="box" x="{x}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="7" '
        f'style="stroke:{n.colour}"/>'
        f'<text x="{x + NODE_W / 2:.0f}" y="{y + 17:.0f}" class="name">{escape(n.name)}</text>'
        f'<text x="{x + NODE_W / 2:.0f}" y="{y + 32:.0f}" class="kind">'
        f'{escape(n.kind)} · <tspan class="count">{escape(_count_label(n))}</tspan></text>'
        f"{bars}<title>{escape(title)}</title>"
    )
    if link:
        body = f'<a href="{escape(link)}">{body}</a>'
    return (
        f'<g class="node {n.state}" data-step="{escape(n.name)}" data-kind="{escape(n.kind)}" '
        f'data-tasks="{n.tasks}" data-done="{n.done}" data-failed="{n.failed}">{body}</g>'
    )


def render_graph_svg(graph: RunGraph, links: Mapping[str, str] | None = None) -> str:
    """An inline SVG of ``graph``: layers left to right, edges as curves with arrows.

    ``links`` maps a step to a URL its box links to (the report: its section).
    """
    if not graph.nodes:
        return '<p class="muted">No steps ran.</p>'
    per_layer: dict[int, int] = {}
    for n in graph.nodes:
        per_layer[n.layer] = max(per_layer.get(n.layer, 0), n.row + 1)
    tallest = max(per_layer.values())
    margin = LOOP_H if graph.loops else 0
    width = PAD * 2 + (max(per_layer) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + 2 * margin + tallest * (NODE_H + GAP_Y) - GAP_Y
    pos = {}
    for n in graph.nodes:
        offset = (tallest - per_layer[n.layer]) * (NODE_H + GAP_Y) / 2
        top = PAD + margin + offset + n.row * (NODE_H + GAP_Y)
        pos[n.name] = (PAD + n.layer * (NODE_W + GAP_X), top)
    parts = [
        f'<svg class="graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="flow graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" '
        'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>'
    ]
    state = {n.name: n.state for n in graph.nodes}
    for a, b in graph.edges:
        if a not in pos or b not in pos:
            continue
        x1, y1 = pos[a][0] + NODE_W, pos[a][1] + NODE_H / 2
        x2, y2 = pos[b][0], pos[b][1] + NODE_H / 2
        mid = (x1 + x2) / 2
        grey = " unreached" if state[b] == "unreached" else ""
        parts.append(
            f'<path class="edge{grey}" data-from="{escape(a)}" data-to="{escape(b)}" '
            f'd="M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} '
            f'{x2:.0f},{y2:.0f}" marker-end="url(#arrow)"/>'
        )
    for a, b in graph.loops:
        if a in pos and b in pos:
            parts.append(_loop_svg(a, b, pos, state))
    for n in graph.nodes:
        x, y = pos[n.name]
        parts.append(_node_svg(n, x, y, (links or {}).get(n.name)))
    parts.append("</svg>")
    return "".join(parts)


def _loop_svg(a: str, b: str, pos: Mapping[str, tuple[float, float]], state) -> str:
    """The arc of a loop: over a step that repeats itself, or under the steps from a
    switch back to an earlier step."""
    (xa, ya), (xb, yb) = pos[a], pos[b]
    if a == b:
        x1, x2, y = xa + NODE_W * 0.65, xa + NODE_W * 0.35, ya
        d = f"M{x1:.0f},{y:.0f} C{x1 + 12:.0f},{y - LOOP_H:.0f} {x2 - 12:.0f},{y - LOOP_H:.0f} "
        d += f"{x2:.0f},{y:.0f}"
    else:
        x1, x2 = xa + NODE_W / 2, xb + NODE_W / 2
        y1, y2 = ya + NODE_H, yb + NODE_H
        low = max(y1, y2) + LOOP_H
        d = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{low:.0f} {x2:.0f},{low:.0f} {x2:.0f},{y2:.0f}"
    grey = " unreached" if state.get(a) == "unreached" else ""
    return (
        f'<path class="edge loop{grey}" data-from="{escape(a)}" data-to="{escape(b)}" '
        f'd="{d}" marker-end="url(#arrow)"><title>{escape(a)} goes back to {escape(b)}: '
        "the next iteration</title></path>"
    )


#: CSS of the graph SVG, shared by the report and the dashboard page.
GRAPH_CSS = """
svg.graph .edge{fill:none;stroke:#667;stroke-width:1.4}
svg.graph .edge.unreached{stroke:#bbb;stroke-dasharray:4 3}
svg.graph .edge.loop{stroke-width:1.8}
svg.graph rect.box{fill:#fff;stroke-width:2}
svg.graph .failed rect.box{fill:#fdf1f0}
svg.graph .damaged rect.box{fill:#fdebd0}
svg.graph .unreached rect.box{fill:#f3f3f3;stroke:#bbb !important;stroke-dasharray:4 3}
svg.graph .unreached text{fill:#999}
svg.graph rect.bar.bg{fill:#aaaaaa;fill-opacity:.1;stroke:#aaaaaa;stroke-opacity:.3}
svg.graph rect.bar.failed{fill:black;fill-opacity:.5}
svg.graph rect.bar.running{fill:gray;fill-opacity:.35}
svg.graph text{text-anchor:middle;font-size:12px}svg.graph text.name{font-weight:600}
svg.graph text.kind{fill:#556;font-size:11px}
svg.graph g.node{cursor:pointer}
"""
