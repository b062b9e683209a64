"""Draw a :class:`~dflow.graph.model.FlowGraph`: as text, Graphviz ``dot`` or Mermaid.

The text view lists steps in source order, indented by how deeply they sit inside
splits and foreaches, each with its kind, where it goes and its decorators::

    TrainFlow  (train.py)
      parameters: alpha: float = 0.5
    start   foreach  -> fit  (foreach folds)
      fit     linear   -> join  @retry(times=2)
    join    join     -> end
    end     end
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from dflow.graph.model import FlowGraph, StepNode, Transition
from dflow.graph.problems import display_path

FORMATS = ("text", "dot", "mermaid")

#: Step states a run can give each step (``states=`` of the renderers), and their colours
#: (fill, line) in dot and Mermaid: Dask's dashboard colours for done and erred work.
STATE_COLOURS = {
    "succeeded": ("#d9f0e3", "#1b9e4b"),
    "running": ("#dde8fb", "#1f6fdb"),
    "failed": ("#fbe1df", "#c0392b"),
    "damaged": ("#fdebd0", "#d35400"),  # a success whose commit is missing or damaged
    "not reached": ("#f2f2f2", "#a0a0a0"),
}


def _targets(node: StepNode) -> str:
    if node.transition == Transition.END:
        return ""
    if node.transition == Transition.SWITCH:
        cases = ", ".join(
            f"{value!r}: {target}{' (again)' if target in node.loops else ''}"
            for value, target in node.switch_cases
        )
        return f"-> {{{cases}}}  (switch on {node.switch_var})"
    text = "-> " + ", ".join(node.out)
    if node.transition == Transition.FOREACH:
        text += f"  (foreach {node.foreach_var})"
    return text


def _decorators(node: StepNode) -> str:
    parts = []
    for deco in node.decorators:
        options = ", ".join(f"{k}={v!r}" for k, v in deco.options)
        parts.append(f"@{deco.name}({options})" if options else f"@{deco.name}")
    return " ".join(parts)


def render_text(graph: FlowGraph, states: Mapping[str, str] | None = None) -> str:
    """A readable listing: one line per step (kind, targets, decorators).

    With ``states`` (step name -> "succeeded", "failed", "running", "not reached"), as
    for a past run, each line ends with its step's state in brackets.
    """
    lines = [f"{graph.flow_name}  ({display_path(graph.file)})"]
    if graph.doc:
        lines.append(f"  {graph.doc.splitlines()[0]}")
    for param in graph.parameters:
        flag = " (required)" if param.required else ""
        kind = "file" if param.is_include_file else param.type_name
        lines.append(f"  parameter {param.name}: {kind} = {param.default!r}{flag}")
    width = max((len(s.name) + 2 * len(s.split_parents) for s in graph), default=0)
    for node in graph:
        depth = len(node.split_parents) - (1 if node.takes_inputs and node.split_parents else 0)
        indent = "  " * depth
        name = (indent + node.name).ljust(width)
        row = f"{name}  {node.kind.value:<7}  {_targets(node)}"
        extra = _decorators(node)
        if states is not None:
            extra = (extra + f"  [{states.get(node.name, 'not reached')}]").strip()
        lines.append((row + ("  " + extra if extra else "")).rstrip())
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return json.dumps(text)


def _dot_state(states: Mapping[str, str] | None, name: str) -> str:
    if states is None:
        return ""
    state = states.get(name, "not reached")
    fill, line = STATE_COLOURS.get(state, STATE_COLOURS["not reached"])
    grey = ', fontcolor="#808080"' if state == "not reached" else ""
    return f', style="rounded,filled", fillcolor="{fill}", color="{line}"{grey}'


def render_dot(graph: FlowGraph, states: Mapping[str, str] | None = None) -> str:
    """Graphviz source: ``dflow show flow.py --format dot | dot -Tpng > flow.png``.

    With ``states`` (see :func:`render_text`) each step is filled by its state and the
    steps a run never reached are grey.
    """
    lines = [
        f"digraph {_quote(graph.flow_name)} {{",
        "  rankdir=TB;",
        "  node [shape=box, style=rounded];",
    ]
    for node in graph:
        shape = {
            "split": "trapezium",
            "foreach": "trapezium",
            "join": "invtrapezium",
            "switch": "diamond",
        }.get(node.kind.value, "box")
        text = node.name + "\n" + node.kind.value
        if states is not None:
            text += "\n" + states.get(node.name, "not reached")
        label = _quote(text)
        extra = _dot_state(states, node.name)
        lines.append(f"  {_quote(node.name)} [label={label}, shape={shape}{extra}];")
    for node in graph:
        for target in node.out:
            attrs = []
            if node.transition == Transition.FOREACH:
                attrs = [f"label={_quote('foreach ' + str(node.foreach_var))}", "style=dashed"]
            elif node.transition == Transition.SWITCH:
                values = [repr(v) for v, t in node.switch_cases if t == target]
                attrs = [f"label={_quote(' | '.join(values))}"]
                if target in node.loops:  # a loop: the next iteration
                    attrs.append("style=bold")
            suffix = f" [{', '.join(attrs)}]" if attrs else ""
            lines.append(f"  {_quote(node.name)} -> {_quote(target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(graph: FlowGraph, states: Mapping[str, str] | None = None) -> str:
    """Mermaid ``flowchart`` source (paste into Markdown on GitHub).

    Node ids are ``step_<name>``: Mermaid reserves ``end``. With ``states`` (see
    :func:`render_text`) each step gets a class per state (unreached steps grey).
    """
    lines = ["flowchart TD"]
    for node in graph:
        label = _mermaid_label(f"{node.name} ({node.kind.value})")
        if node.kind.value == "switch":
            lines.append(f'  step_{node.name}{{"{label}"}}')
        else:
            lines.append(f'  step_{node.name}["{label}"]')
    for node in graph:
        src = f"step_{node.name}"
        for target in node.out:
            dst = f"step_{target}"
            if node.transition == Transition.FOREACH:
                lines.append(f'  {src} -. "foreach {node.foreach_var}" .-> {dst}')
            elif node.transition == Transition.SWITCH:
                values = " | ".join(repr(v) for v, t in node.switch_cases if t == target)
                line, arrow = ("==", "==>") if target in node.loops else ("--", "-->")
                # a thick link goes back: the loop's next iteration
                lines.append(f'  {src} {line} "{_mermaid_label(values)}" {arrow} {dst}')
            else:
                lines.append(f"  {src} --> {dst}")
    if states is not None:
        for state, (fill, line) in STATE_COLOURS.items():
            css = state.replace(" ", "_")
            lines.append(f"  classDef {css} fill:{fill},stroke:{line}")
        for node in graph:
            css = states.get(node.name, "not reached").replace(" ", "_")
            lines.append(f"  class step_{node.name} {css}")
    return "\n".join(lines) + "\n"


def render(graph: FlowGraph, fmt: str = "text", states: Mapping[str, str] | None = None) -> str:
    """Render in one of :data:`FORMATS` (``states``: a run's step states, see above)."""
    renderers = {"text": render_text, "dot": render_dot, "mermaid": render_mermaid}
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return renderers[fmt](graph, states)
