"""Build a :class:`~dflow.graph.model.FlowGraph` from a flow class, statically.

The step functions come from the class (``@step`` marks them); what each step does
next, whether it takes ``inputs``, its lines and docstring come from its AST, so a
problem can be reported at its ``file:line`` without running anything. Problems met
while reading (a malformed ``self.next``, a method calling ``self.next`` without
``@step``...) are kept in ``FlowGraph.parse_problems``; :func:`dflow.graph.lint.lint`
reports them with the rest.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass

from dflow.decorators import DECORATORS_ATTR
from dflow.graph.assignments import reserved_assignments
from dflow.graph.model import FlowGraph, ParameterSpec, StepKind, StepNode, Transition
from dflow.graph.nextcall import NextInfo, next_calls, parse_next
from dflow.graph.problems import Problem
from dflow.graph.source import SourceIndex, require_source
from dflow.graph.traverse import Analysis, StepShape, analyze


@dataclass
class _Raw:
    """A step as read, before the walk fills in its split structure."""

    name: str
    file: str
    line: int
    doc: str
    takes_inputs: bool
    next: NextInfo
    decorators: tuple


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _decorators(func, node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple:
    lines = {}
    for deco in node.decorator_list:
        lines.setdefault(_decorator_name(deco), deco.lineno)
    specs = [
        dataclasses.replace(spec, line=lines.get(spec.name, spec.line or node.lineno))
        for spec in getattr(func, DECORATORS_ATTR, ())
    ]
    return tuple(sorted(specs, key=lambda s: s.line))


def _read_step(name: str, func, index: SourceIndex, problems: list[Problem]) -> _Raw | None:
    found = index.function_node(func)
    if found is None:
        return None
    file, node = found
    args = node.args.posonlyargs + node.args.args
    info = parse_next(name, file, node)
    problems.extend(info.problems)
    problems.extend(reserved_assignments(name, file, node))
    return _Raw(
        name=name,
        file=file,
        line=node.lineno,
        doc=ast.get_docstring(node) or "",
        takes_inputs=len(args) > 1,
        next=info,
        decorators=_decorators(func, node),
    )


def _kind(raw: _Raw) -> StepKind:
    if raw.takes_inputs:
        return StepKind.JOIN
    transition = raw.next.transition
    if transition == Transition.END:
        return StepKind.END
    if raw.name == "start" and transition == Transition.LINEAR:
        return StepKind.START
    return StepKind(transition.value)


def _node(raw: _Raw, in_steps: tuple[str, ...], analysis: Analysis) -> StepNode:
    nxt = raw.next
    return StepNode(
        name=raw.name,
        kind=_kind(raw),
        transition=nxt.transition,
        out=nxt.out,
        in_steps=in_steps,
        takes_inputs=raw.takes_inputs,
        foreach_var=nxt.foreach_var,
        switch_var=nxt.switch_var,
        switch_cases=nxt.switch_cases,
        split_parents=analysis.split_parents(raw.name),
        matching_join=analysis.matching_join.get(raw.name)
        if nxt.transition in (Transition.SPLIT, Transition.FOREACH)
        else None,
        loops=analysis.loops_of(raw.name),
        decorators=raw.decorators,
        doc=raw.doc,
        file=raw.file,
        line=raw.line,
        next_line=nxt.line,
    )


def _class_problems(flow_cls: type, index: SourceIndex, steps: dict) -> list[Problem]:
    """Methods that call self.next without @step, and steps defined twice."""
    problems: list[Problem] = []
    for klass in flow_cls.__mro__:
        if klass is object or "_dflow_steps" in vars(klass):
            continue
        found = index.class_node(klass)
        if found is None:
            continue
        file, cls_node = found
        seen: dict[str, int] = {}
        for node in cls_node.body:
            problems.extend(_attribute_clashes(file, node, cls_node, steps))
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.name in seen and node.name in steps:
                problems.append(
                    Problem(
                        file,
                        node.lineno,
                        f"step {node.name!r} is defined twice (first at line {seen[node.name]}); "
                        "the second definition replaces the first",
                        "give each step its own name",
                        check="duplicate_step",
                    )
                )
            seen[node.name] = node.lineno
            if (
                node.name not in steps
                and next_calls(node)
                and getattr(klass, node.name, None) is vars(klass).get(node.name)
            ):
                problems.append(
                    Problem(
                        file,
                        node.lineno,
                        f"method {node.name!r} calls self.next but is not marked @step",
                        f"add @step on the line above 'def {node.name}'",
                        check="missing_step",
                    )
                )
    return problems


def _attribute_clashes(
    file: str, node: ast.stmt, cls_node: ast.ClassDef, steps: dict
) -> list[Problem]:
    """A class attribute (e.g. a Parameter) silently replaced by a step of the same name."""
    if not isinstance(node, ast.Assign):
        return []
    is_param = isinstance(node.value, ast.Call) and _decorator_name(node.value).endswith(
        ("Parameter", "IncludeFile")
    )
    found = []
    for target in node.targets:
        if not isinstance(target, ast.Name) or target.id not in steps:
            continue
        later = [
            d.lineno
            for d in cls_node.body
            if isinstance(d, ast.FunctionDef) and d.name == target.id and d.lineno > node.lineno
        ]
        if later:
            what = "parameter" if is_param else "attribute"
            found.append(
                Problem(
                    file,
                    node.lineno,
                    f"{what} {target.id!r} is replaced by the step of the same name "
                    f"(line {later[0]})",
                    f"rename the {what} or the step",
                    check="parameter_names" if is_param else "duplicate_step",
                )
            )
    return found


def _parameters(flow_cls: type, index: SourceIndex) -> tuple[ParameterSpec, ...]:
    lines: dict[str, int] = {}
    for klass in reversed(flow_cls.__mro__):
        found = index.class_node(klass) if klass is not object else None
        for node in found[1].body if found else ():
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        lines[target.id] = node.lineno
    return tuple(
        ParameterSpec(
            name=p.name,
            attr=attr,
            type_name=p.type_name,
            default=None if callable(p.default) else p.default,  # called at run start
            required=p.required,
            help=p.help,
            is_include_file=p.is_include_file,
            line=lines.get(attr, 0),
        )
        for attr, p in flow_cls._dflow_parameters()
    )


def build_graph(flow_cls: type) -> FlowGraph:
    """Parse a FlowSpec subclass into its graph (no Dask, no I/O beyond reading source).

    Raises FlowDefinitionError only when the class's source cannot be read; every other
    problem is kept for :func:`~dflow.graph.lint.lint`.
    """
    index = SourceIndex()
    file, cls_node = require_source(flow_cls, index)
    steps = flow_cls._dflow_steps()
    problems: list[Problem] = _class_problems(flow_cls, index, steps)
    raws = [
        raw
        for name, func in steps.items()
        if (raw := _read_step(name, func, index, problems)) is not None
    ]
    raws.sort(key=lambda r: (r.file != file, r.file, r.line))
    shapes = {r.name: StepShape(r.next.out, r.next.transition, r.takes_inputs) for r in raws}
    analysis = analyze(shapes)
    in_steps: dict[str, list[str]] = {r.name: [] for r in raws}
    for raw in raws:
        for target in dict.fromkeys(raw.next.out):
            in_steps.get(target, []).append(raw.name)
    nodes = tuple(_node(r, tuple(in_steps[r.name]), analysis) for r in raws)
    return FlowGraph(
        flow_name=flow_cls.__name__,
        file=file,
        steps=nodes,
        parameters=_parameters(flow_cls, index),
        doc=ast.get_docstring(cls_node) or "",
        line=cls_node.lineno,
        parse_problems=tuple(problems),
    )
