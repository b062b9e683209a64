"""Walk a flow's graph from ``start`` and work out its split structure.

Every edge carries a *stack* of ``(split step, branch)`` pairs: a split or foreach
pushes itself (with the branch the edge starts) for its targets; a step that takes
``inputs`` (a join) pops the innermost pair for what follows. A step's stack is the one
on the first edge that reaches it, so its ``split_parents`` are the split names of that
stack, as Metaflow computes them (a join still lists the split it closes).

:func:`analyze` is pure: lint reads the same :class:`Analysis` to check that every split
is joined, that no join mixes branches of different splits and that only joins take
``inputs``; the parser reads it to fill ``split_parents`` and ``matching_join``.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from dflow.graph.model import Transition

Stack = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class StepShape:
    """What the walk needs of a step: its targets, transition and whether it joins."""

    out: tuple[str, ...]
    transition: Transition
    takes_inputs: bool


@dataclass
class Analysis:
    """Result of :func:`analyze`: stacks per step, incoming edges, matching joins."""

    stacks: dict[str, Stack] = field(default_factory=dict)
    incoming: dict[str, list[tuple[str, Stack]]] = field(default_factory=dict)
    matching_join: dict[str, str] = field(default_factory=dict)

    def split_parents(self, name: str) -> tuple[str, ...]:
        """Names of the enclosing splits of a step, outermost first."""
        return tuple(split for split, _ in self.stacks.get(name, ()))

    @property
    def reached(self) -> set[str]:
        """Steps reachable from ``start``."""
        return set(self.stacks)


def _edge_stack(name: str, shape: StepShape, stack: Stack, target: str) -> Stack:
    base = stack[:-1] if shape.takes_inputs and stack else stack
    if shape.transition in (Transition.SPLIT, Transition.FOREACH):
        return base + ((name, target),)
    return base


def analyze(shapes: Mapping[str, StepShape], start: str = "start") -> Analysis:
    """Walk breadth-first from ``start`` (unknown targets are skipped)."""
    result = Analysis()
    if start not in shapes:
        return result
    incoming: dict[str, list[tuple[str, Stack]]] = defaultdict(list)
    result.stacks[start] = ()
    queue, expanded = deque([start]), set()
    while queue:
        name = queue.popleft()
        if name in expanded:
            continue
        expanded.add(name)
        shape = shapes[name]
        stack = result.stacks[name]
        if shape.takes_inputs and stack:
            result.matching_join.setdefault(stack[-1][0], name)
        for target in dict.fromkeys(shape.out):
            if target not in shapes:
                continue
            edge = _edge_stack(name, shape, stack, target)
            incoming[target].append((name, edge))
            if target not in result.stacks:
                result.stacks[target] = edge
                queue.append(target)
    result.incoming = dict(incoming)
    return result


def find_cycles(shapes: Mapping[str, StepShape]) -> list[list[str]]:
    """Each cycle found by a depth-first walk, as the list of its steps (closed).

    Iterative, so a flow of thousands of steps does not hit the recursion limit.
    """
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in shapes:
        if root in state:
            continue
        path: list[str] = [root]
        state[root] = 1
        iters = [iter(shapes[root].out)]
        while iters:
            target = next(iters[-1], None)
            if target is None:
                iters.pop()
                state[path.pop()] = 2
            elif target in shapes and state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target in shapes and target not in state:
                state[target] = 1
                path.append(target)
                iters.append(iter(shapes[target].out))
    return cycles
