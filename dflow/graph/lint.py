"""Lint: small registered checks over a :class:`~dflow.graph.model.FlowGraph`.

As in Metaflow's ``lint.py``, each rule is a function registered with :func:`check`;
unlike Metaflow, :func:`lint` runs *all* of them and returns every problem at once, each
at its ``file:line`` with a hint. Rules read only the graph (pure data), so they run the
same for a file, a notebook class or a graph built in a test.

Example::

    from dflow.graph import build_graph, lint
    for problem in lint(build_graph(MyFlow)):
        print(problem)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dflow.graph.model import FlowGraph, StepNode, Transition
from dflow.graph.problems import Problem
from dflow.graph.traverse import Analysis, analyze, find_cycles, shapes_of

STEP_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass
class LintContext:
    """What a check reads: the graph and the walk of its split structure."""

    graph: FlowGraph
    analysis: Analysis = field(init=False)

    def __post_init__(self) -> None:
        self.analysis = analyze(shapes_of(self.graph))

    def problem(
        self, line: int, message: str, hint: str | None = None, file: str | None = None
    ) -> Problem:
        """A problem in this flow's file (or ``file``)."""
        return Problem(file or self.graph.file, line, message, hint)

    def at_step(
        self, node: StepNode, message: str, hint: str | None = None, next_line: bool = False
    ) -> Problem:
        """A problem at a step's ``def`` line (or its ``self.next`` line)."""
        line = node.next_line if next_line and node.next_line else node.line
        return Problem(node.file or self.graph.file, line, message, hint)


Check = Callable[[LintContext], Iterable[Problem]]
CHECKS: dict[str, Check] = {}


def check(func: Check) -> Check:
    """Register a lint check (a function of a LintContext yielding Problems)."""
    CHECKS[func.__name__] = func
    return func


def lint(graph: FlowGraph) -> list[Problem]:
    """Run every registered check; all problems, sorted by file and line."""
    ctx = LintContext(graph)
    problems: list[Problem] = []
    for name, func in CHECKS.items():
        for found in func(ctx):
            problems.append(
                found
                if found.check
                else Problem(found.file, found.line, found.message, found.hint, check=name)
            )
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file != graph.file, p.file, p.line))


def _close(name: str, names: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


# The rules; each registers itself with @check.

JOIN_HINT = "a step that joins branches takes them as an argument: def {0}(self, inputs):"


@check
def parse_problems(ctx: LintContext) -> Iterator[Problem]:
    """Malformed ``self.next`` calls and methods found while parsing."""
    yield from ctx.graph.parse_problems


@check
def start_and_end(ctx: LintContext) -> Iterator[Problem]:
    """A flow has exactly one ``start`` and one ``end`` step."""
    for name, role in (("start", "first"), ("end", "last")):
        if name not in ctx.graph:
            yield ctx.problem(
                ctx.graph.line,
                f"flow {ctx.graph.flow_name!r} has no {name!r} step",
                f"add the {role} step: @step def {name}(self): ...",
            )


@check
def end_has_no_next(ctx: LintContext) -> Iterator[Problem]:
    """The ``end`` step is the last one: it calls no ``self.next``."""
    if "end" in ctx.graph and ctx.graph["end"].transition != Transition.END:
        yield ctx.at_step(
            ctx.graph["end"],
            "step 'end' must not call self.next: it is the last step",
            "remove the self.next call from 'end'",
            next_line=True,
        )


@check
def steps_end_in_next(ctx: LintContext) -> Iterator[Problem]:
    """Every step but ``end`` ends with ``self.next(...)``."""
    for node in ctx.graph:
        if node.name != "end" and node.transition == Transition.END:
            yield ctx.at_step(
                node,
                f"step {node.name!r} does not end with self.next(...)",
                "make self.next(self.some_step) the step's last statement",
            )


@check
def unknown_targets(ctx: LintContext) -> Iterator[Problem]:
    """``self.next`` names only steps of this flow."""
    for node in ctx.graph:
        for target in node.out:
            if target not in ctx.graph:
                yield ctx.at_step(
                    node,
                    f"step {node.name!r} goes to {target!r}, which is not a step of "
                    f"{ctx.graph.flow_name}{_close(target, ctx.graph.names)}",
                    f"define @step def {target}(self) or fix the name",
                    next_line=True,
                )


@check
def unreachable_steps(ctx: LintContext) -> Iterator[Problem]:
    """Every step can be reached from ``start``."""
    if "start" not in ctx.graph:
        return
    reached = ctx.analysis.reached
    for node in ctx.graph:
        if node.name not in reached:
            yield ctx.at_step(
                node,
                f"step {node.name!r} is never reached from 'start'",
                "name it in some step's self.next(...), or delete it",
            )


@check
def no_cycles(ctx: LintContext) -> Iterator[Problem]:
    """The graph has no cycles, except loops that go back through a switch.

    A switch case may go back to the step itself or to an earlier step that every path
    into the loop passes through (Metaflow 2.18 runs a step that switches to itself);
    any other way back is a cycle.
    """
    shapes = {s.name: s for s in ctx.graph}
    loops = ctx.analysis.loops
    for src, head in loops.back_edges:
        node = ctx.graph[src]
        if node.transition == Transition.SWITCH:
            continue
        path = loops.path(src, head, shapes)
        yield ctx.at_step(
            node,
            "steps form a cycle: " + " -> ".join(path),
            f"only a switch can go back: self.next({{True: self.{head}, False: self.<next>}}, "
            f"condition='<attr>') in {src!r}, or make {src!r} go forward",
            next_line=True,
        )
    for cycle in find_cycles(shapes, skip=loops.back_edges):
        closing = ctx.graph[cycle[-2]]
        yield ctx.at_step(
            closing,
            "steps form a cycle: " + " -> ".join(cycle) + f" (it can be entered other than "
            f"through {cycle[0]!r})",
            f"a loop must go back to a step every way into it passes through; make "
            f"{closing.name!r} go forward",
            next_line=True,
        )


def _inside(node: StepNode) -> tuple[str, ...]:
    """The splits a step's tasks run inside (a join is outside the split it closes)."""
    return node.split_parents[:-1] if node.takes_inputs else node.split_parents


@check
def loop_shapes(ctx: LintContext) -> Iterator[Problem]:
    """A loop starts at a step that is not a join, and goes back inside the split or
    foreach branch it started in."""
    for src, head in ctx.analysis.loops.back_edges:
        node, target = ctx.graph[src], ctx.graph[head]
        if node.transition != Transition.SWITCH:
            continue
        if target.takes_inputs:
            yield ctx.at_step(
                node,
                f"switch in step {src!r} goes back to join {head!r}: a loop cannot start at a join",
                f"add a step after {head!r} and go back to that one",
                next_line=True,
            )
        elif _inside(node) != _inside(target):
            yield ctx.at_step(
                node,
                f"switch in step {src!r} goes back to {head!r} across a split or foreach "
                f"({src!r} is inside {list(_inside(node))}, {head!r} inside "
                f"{list(_inside(target))})",
                "loop inside one branch, or join the branches before going back",
                next_line=True,
            )


@check
def inputs_only_in_joins(ctx: LintContext) -> Iterator[Problem]:
    """A step takes ``inputs`` if and only if it joins branches of a split or foreach."""
    for node in ctx.graph:
        edges = ctx.analysis.incoming.get(node.name, [])
        stacks = {stack for _, stack in edges}
        if node.takes_inputs and edges and not any(stacks):
            yield ctx.at_step(
                node,
                f"step {node.name!r} takes inputs but closes no split or foreach",
                f"write def {node.name}(self): without inputs",
            )
        elif not node.takes_inputs and len(stacks) > 1:
            parents = ", ".join(repr(p) for p, _ in edges)
            yield ctx.at_step(
                node,
                f"step {node.name!r} is reached from several branches "
                f"({parents}) and so must join them",
                JOIN_HINT.format(node.name),
            )


@check
def joins_match_splits(ctx: LintContext) -> Iterator[Problem]:
    """A join closes one split: all its branches, and only branches of that split."""
    for node in ctx.graph:
        edges = [(p, s) for p, s in ctx.analysis.incoming.get(node.name, []) if s]
        if not node.takes_inputs or not edges:
            continue
        opened = {p: s[-1] for p, s in edges}
        if len({s[-1][0] for _, s in edges}) > 1 or len({s[:-1] for _, s in edges}) > 1:
            parts = ", ".join(f"{p!r} from split {split!r}" for p, (split, _) in opened.items())
            yield ctx.at_step(
                node,
                f"join {node.name!r} mixes branches of different splits: {parts}",
                "join each split's branches in a join of its own",
            )
            continue
        split = ctx.graph[edges[0][1][-1][0]]
        if split.transition == Transition.SPLIT:
            missing = [b for b in split.out if b not in {s[-1][1] for _, s in edges}]
            if missing:
                yield ctx.at_step(
                    node,
                    f"join {node.name!r} does not join branch(es) "
                    f"{', '.join(map(repr, missing))} of split {split.name!r}",
                    f"make every branch of {split.name!r} end in self.next(self.{node.name})",
                )


@check
def splits_are_joined(ctx: LintContext) -> Iterator[Problem]:
    """Every split and foreach is closed by a join before ``end``."""
    if "end" not in ctx.graph:
        return
    stacks = {s for _, s in ctx.analysis.incoming.get("end", [])}
    if len(stacks) != 1:
        return
    reported = set()  # splits whose branches meet at a step already reported as a non-join
    for node in ctx.graph:
        seen = {s for _, s in ctx.analysis.incoming.get(node.name, [])}
        if not node.takes_inputs and len(seen) > 1:
            reported |= {split for stack in seen for split, _ in stack}
    for split_name, _ in next(iter(stacks)):
        if split_name in reported:
            continue
        split = ctx.graph[split_name]
        what = "foreach" if split.transition == Transition.FOREACH else "split"
        yield ctx.at_step(
            split,
            f"{what} at step {split.name!r} is never closed by a join before 'end'",
            "add a join step: @step def join(self, inputs): ...",
            next_line=True,
        )


@check
def flow_name(ctx: LintContext) -> Iterator[Problem]:
    """The flow's class name names folders of the store: ASCII only (every command)."""
    name = ctx.graph.flow_name
    if not name.isascii():
        yield ctx.problem(
            ctx.graph.line or 1,
            f"flow class name {name!r} is not ASCII: the store names folders after it",
            "rename the class with ASCII letters, digits and _ only",
        )


@check
def step_names(ctx: LintContext) -> Iterator[Problem]:
    """Step names are lowercase identifiers and not FlowSpec's own attributes."""
    from dflow.flowspec import RESERVED_NAMES

    for node in ctx.graph:
        if node.name in RESERVED_NAMES:
            yield ctx.at_step(
                node, f"step name {node.name!r} is reserved: FlowSpec uses it", "rename the step"
            )
        elif not STEP_NAME.match(node.name):
            yield ctx.at_step(
                node,
                f"step name {node.name!r} must be a lowercase identifier",
                f"rename it to {node.name.lower()!r}",
            )


@check
def parameter_names(ctx: LintContext) -> Iterator[Problem]:
    """A parameter shadows no FlowSpec attribute, step or other parameter."""
    from dflow.flowspec import RESERVED_NAMES

    seen: dict[str, str] = {}
    for param in ctx.graph.parameters:
        for label in dict.fromkeys((param.name, param.attr)):
            if label in RESERVED_NAMES:
                yield ctx.problem(
                    param.line,
                    f"parameter {label!r} shadows FlowSpec's own attribute {label!r}",
                    "rename the parameter",
                )
            elif label in ctx.graph:
                yield ctx.problem(
                    param.line,
                    f"parameter {label!r} has the name of a step",
                    "rename the parameter or the step",
                )
            elif label in seen and seen[label] != param.attr:
                yield ctx.problem(
                    param.line,
                    f"parameter name {label!r} is used twice",
                    "give each parameter its own name",
                )
            seen.setdefault(label, param.attr)


@check
def parameter_defaults(ctx: LintContext) -> Iterator[Problem]:
    """A parameter's type is supported and its default fits it."""
    from dflow.parameters import check_value

    for param in ctx.graph.parameters:
        _, problem = check_value(param.type_name, param.default)
        if param.default is None and "unsupported" not in (problem or ""):
            continue
        if problem:
            yield ctx.problem(
                param.line,
                f"parameter {param.name!r} {problem}"
                + ("" if "unsupported" in problem else " as its default"),
                "make the default fit the type, or change type=",
            )


@check
def switch_cases(ctx: LintContext) -> Iterator[Problem]:
    """A switch's cases are distinct values."""
    for node in ctx.graph:
        values = [value for value, _ in node.switch_cases]
        for value in {v for v in values if values.count(v) > 1}:
            yield ctx.at_step(
                node,
                f"switch in step {node.name!r} lists case {value!r} twice",
                "give each case its own value",
                next_line=True,
            )


@check
def decorator_options(ctx: LintContext) -> Iterator[Problem]:
    """Step decorators are known, used once per step, with valid options."""
    from dflow.decorators import check_spec

    for node in ctx.graph:
        names = [d.name for d in node.decorators]
        for deco in node.decorators:
            line = deco.line or node.line
            if names.count(deco.name) > 1:
                yield ctx.problem(
                    line,
                    f"step {node.name!r} has @{deco.name} more than once",
                    "keep one",
                    file=node.file,
                )
            for message, hint in check_spec(deco):
                yield ctx.problem(line, f"step {node.name!r}: {message}", hint, file=node.file)
