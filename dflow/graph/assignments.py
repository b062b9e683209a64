"""Assignments in a step that shadow FlowSpec's own attributes (``self.next = 1``).

Such an assignment replaces the method or value dflow needs (``self.next`` then is not
callable, ``self.input`` loses the foreach item) and fails only when the step runs; the
static check finds it at its line instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dflow.graph.problems import Problem


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    if isinstance(node, ast.For | ast.AsyncFor):
        return [node.target]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [i.optional_vars for i in node.items if i.optional_vars is not None]
    return []


def _flatten(target: ast.expr) -> Iterator[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            yield from _flatten(elt)
    elif isinstance(target, ast.Starred):
        yield from _flatten(target.value)
    else:
        yield target


def reserved_assignments(step: str, file: str, func: ast.AST) -> list[Problem]:
    """A Problem for each ``self.<method of FlowSpec> = ...`` (``self.next = 1``) in the
    step's body (artifacts may take other reserved names dflow itself never calls)."""
    from dflow.flowspec import RESERVED_NAMES, FlowSpec

    methods = {n for n in RESERVED_NAMES if callable(getattr(FlowSpec, n, None))}

    found = []
    for node in ast.walk(func):
        for target in (t for raw in _targets(node) for t in _flatten(raw)):
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and target.attr in methods
            ):
                found.append(
                    Problem(
                        file,
                        target.lineno,
                        f"step {step!r} assigns self.{target.attr}, which replaces "
                        f"FlowSpec's own {target.attr}()",
                        f"give the artifact another name, e.g. self.{target.attr}_value",
                        check="reserved_assignment",
                    )
                )
    return found
