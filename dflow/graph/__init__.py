"""A flow's graph: parse a FlowSpec class statically, lint it, validate it.

Example::

    from dflow.graph import validate
    graph = validate(TrainFlow)        # raises FlowDefinitionError listing every problem
    print([step.name for step in graph])
"""

from __future__ import annotations

from dflow.errors import FlowDefinitionError

# ``lint`` is imported eagerly so that the name is the function, not the submodule.
from dflow.graph.lint import lint
from dflow.graph.model import (
    DecoratorSpec,
    FlowGraph,
    ParameterSpec,
    StepKind,
    StepNode,
    Transition,
)
from dflow.graph.problems import Problem

__all__ = [
    "DecoratorSpec",
    "FlowGraph",
    "ParameterSpec",
    "Problem",
    "StepKind",
    "StepNode",
    "Transition",
    "build_graph",
    "lint",
    "validate",
]


def build_graph(flow_cls: type) -> FlowGraph:
    """Parse a FlowSpec subclass into its :class:`FlowGraph` (see :mod:`dflow.graph.parse`)."""
    from dflow.graph.parse import build_graph as _build

    return _build(flow_cls)


def validate(flow_cls: type) -> FlowGraph:
    """Build and lint a flow's graph; raise FlowDefinitionError listing all problems."""
    graph = build_graph(flow_cls)
    problems = lint(graph)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise FlowDefinitionError(
            f"flow {graph.flow_name!r} cannot run: {count}",
            problems,
            hint=f"run 'dflow check {graph.file}' after fixing",
        )
    return graph
