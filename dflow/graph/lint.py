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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dflow.graph.model import FlowGraph, StepNode
from dflow.graph.problems import Problem
from dflow.graph.traverse import Analysis, StepShape, analyze

STEP_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass
class LintContext:
    """What a check reads: the graph and the walk of its split structure."""

    graph: FlowGraph
    analysis: Analysis = field(init=False)

    def __post_init__(self) -> None:
        shapes = {s.name: StepShape(s.out, s.transition, s.takes_inputs) for s in self.graph}
        self.analysis = analyze(shapes)

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


# Importing the rules registers them; they live in their own module to keep this short.
from dflow.graph import lint_rules  # noqa: E402,F401
