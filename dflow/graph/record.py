"""The graph of a flow as the run record holds it: a stable, versioned JSON form.

The engine writes :func:`graph_to_record` of the run's :class:`FlowGraph` into the run
record at run start (``run.json`` field ``graph``), so every reader (report, dashboard,
``dflow show FLOW/RUN``) draws the flow's own graph, steps a failed run never reached
included, without importing the flow's code. :func:`graph_from_record` reads it back.

The form (version 1; a reader refuses a newer version with ``None``)::

    {"version": 1, "flow": "TrainFlow", "file": "/abs/train.py", "line": 4, "doc": "",
     "parameters": [{"name", "attr", "type", "default", "required", "help",
                     "include_file", "line"}],
     "steps": [{"name", "kind", "transition", "out", "in", "inputs", "foreach",
                "switch", "cases": [[value, step], ...], "split_parents",
                "matching_join", "decorators": [{"name", "options": {...}, "line"}],
                "doc", "file", "line", "next_line", "loops"}]}

``loops`` (the heads of the loops a step is in) is written only for a step in a loop,
so the record of a flow without loops is what it was before loops existed.

Values that are not plain JSON (a decorator option holding an object) are kept as their
``repr``. Steps are in source order, as in the graph.
"""

from __future__ import annotations

from typing import Any

from dflow.graph.model import (
    DecoratorSpec,
    FlowGraph,
    ParameterSpec,
    StepKind,
    StepNode,
    Transition,
)

#: The version of the JSON form written by :func:`graph_to_record`.
GRAPH_RECORD_VERSION = 1


def _plain(value: Any) -> Any:
    """A JSON-able copy of ``value`` (tuples become lists; anything else its repr)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def _tupled(value: Any) -> Any:
    """Lists back to tuples, so option values compare and hash as the parser made them."""
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


def _step(node: StepNode) -> dict[str, Any]:
    loops = {"loops": list(node.loops)} if node.loops else {}
    return loops | {
        "name": node.name,
        "kind": node.kind.value,
        "transition": node.transition.value,
        "out": list(node.out),
        "in": list(node.in_steps),
        "inputs": node.takes_inputs,
        "foreach": node.foreach_var,
        "switch": node.switch_var,
        "cases": [[_plain(v), t] for v, t in node.switch_cases],
        "split_parents": list(node.split_parents),
        "matching_join": node.matching_join,
        "decorators": [
            {"name": d.name, "options": {k: _plain(v) for k, v in d.options}, "line": d.line}
            for d in node.decorators
        ],
        "doc": node.doc,
        "file": node.file,
        "line": node.line,
        "next_line": node.next_line,
    }


def _parameter(p: ParameterSpec) -> dict[str, Any]:
    return {
        "name": p.name,
        "attr": p.attr,
        "type": p.type_name,
        "default": _plain(p.default),
        "required": p.required,
        "help": p.help,
        "include_file": p.is_include_file,
        "line": p.line,
    }


def graph_to_record(graph: FlowGraph) -> dict[str, Any]:
    """The JSON form of ``graph`` (see the module docstring)."""
    return {
        "version": GRAPH_RECORD_VERSION,
        "flow": graph.flow_name,
        "file": graph.file,
        "line": graph.line,
        "doc": graph.doc,
        "parameters": [_parameter(p) for p in graph.parameters],
        "steps": [_step(s) for s in graph.steps],
    }


def _node(d: dict[str, Any]) -> StepNode:
    return StepNode(
        name=d["name"],
        kind=StepKind(d["kind"]),
        transition=Transition(d["transition"]),
        out=tuple(d.get("out") or ()),
        in_steps=tuple(d.get("in") or ()),
        takes_inputs=bool(d.get("inputs")),
        foreach_var=d.get("foreach"),
        switch_var=d.get("switch"),
        switch_cases=tuple((_tupled(v), t) for v, t in d.get("cases") or ()),
        split_parents=tuple(d.get("split_parents") or ()),
        matching_join=d.get("matching_join"),
        loops=tuple(d.get("loops") or ()),
        decorators=tuple(
            DecoratorSpec(
                x["name"],
                tuple(sorted((k, _tupled(v)) for k, v in (x.get("options") or {}).items())),
                int(x.get("line") or 0),
            )
            for x in d.get("decorators") or ()
        ),
        doc=d.get("doc") or "",
        file=d.get("file") or "",
        line=int(d.get("line") or 0),
        next_line=int(d.get("next_line") or 0),
    )


def graph_from_record(doc: Any) -> FlowGraph | None:
    """The :class:`FlowGraph` of a run record's ``graph`` field.

    None when there is none (runs recorded before the field existed), or when it is of a
    version this dflow does not know: callers then fall back to what the tasks show.
    """
    if not isinstance(doc, dict) or doc.get("version") != GRAPH_RECORD_VERSION:
        return None
    try:
        return FlowGraph(
            flow_name=doc["flow"],
            file=doc.get("file") or "",
            steps=tuple(_node(s) for s in doc["steps"]),
            parameters=tuple(
                ParameterSpec(
                    name=p["name"],
                    attr=p.get("attr") or p["name"],
                    type_name=p.get("type") or "str",
                    default=_tupled(p.get("default")),
                    required=bool(p.get("required")),
                    help=p.get("help"),
                    is_include_file=bool(p.get("include_file")),
                    line=int(p.get("line") or 0),
                )
                for p in doc.get("parameters") or ()
            ),
            doc=doc.get("doc") or "",
            line=int(doc.get("line") or 0),
        )
    except (KeyError, TypeError, ValueError):
        return None
