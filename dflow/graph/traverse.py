"""Walk a flow's graph from ``start`` and work out its split structure.

Every edge carries a *stack* of ``(split step, branch)`` pairs: a split or foreach
pushes itself (with the branch the edge starts) for its targets; a step that takes
``inputs`` (a join) pops the innermost pair for what follows. A step's stack is the one
on the first edge that reaches it, so its ``split_parents`` are the split names of that
stack, as Metaflow computes them (a join still lists the split it closes).

:func:`analyze` is pure: lint reads the same :class:`Analysis` to check that every split
is joined, that no join mixes branches of different splits and that only joins take
``inputs``; the parser reads it to fill ``split_parents`` and ``matching_join``.

Loops (Metaflow 2.18's recursive switch, generalised): an edge ``u -> v`` where every
path from ``start`` to ``u`` passes through ``v`` (``v`` dominates ``u``; ``v == u`` for
a step that goes back to itself) is a *back edge*, and ``v`` is the head of a loop whose
body is ``v`` and every step that reaches ``u`` without passing ``v``. The walk above
leaves back edges out, so a loop's body gets the split structure of one pass through it;
lint accepts a back edge only from a switch (:func:`find_loops`).

The engine reads a parsed :class:`~dflow.graph.model.FlowGraph` through the same walk
(:func:`shapes_of`): :func:`descendants` for what a resume reruns, :func:`branches` for
which branch of a static split a step is on.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dflow.graph.model import FlowGraph, Transition

Stack = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class StepShape:
    """What the walk needs of a step: its targets, transition and whether it joins."""

    out: tuple[str, ...]
    transition: Transition
    takes_inputs: bool


def shapes_of(graph: FlowGraph) -> dict[str, StepShape]:
    """The :class:`StepShape` of every step of a parsed graph, by name."""
    return {s.name: StepShape(s.out, s.transition, s.takes_inputs) for s in graph}


@dataclass
class Analysis:
    """Result of :func:`analyze`: stacks per step, incoming edges, matching joins."""

    stacks: dict[str, Stack] = field(default_factory=dict)
    incoming: dict[str, list[tuple[str, Stack]]] = field(default_factory=dict)
    matching_join: dict[str, str] = field(default_factory=dict)
    loops: Loops = field(default_factory=lambda: Loops({}, ()))

    def loops_of(self, name: str) -> tuple[str, ...]:
        """Heads of the loops a step is in, outermost first (see :class:`Loops`)."""
        return self.loops.of(name)

    def split_parents(self, name: str) -> tuple[str, ...]:
        """Names of the enclosing splits of a step, outermost first."""
        return tuple(split for split, _ in self.stacks.get(name, ()))

    @property
    def reached(self) -> set[str]:
        """Steps reachable from ``start``."""
        return set(self.stacks)


@dataclass(frozen=True)
class Loops:
    """The loops of a graph: ``bodies`` maps each head to the steps of its loop (the head
    included; loops sharing a head are one loop), ``back_edges`` lists ``(u, v)`` edges
    that go back to a head ``v`` (``u == v`` for a step that repeats itself)."""

    bodies: dict[str, frozenset[str]]
    back_edges: tuple[tuple[str, str], ...]

    def of(self, name: str) -> tuple[str, ...]:
        """Heads of the loops ``name`` is in, outermost (largest) first."""
        heads = [h for h, body in self.bodies.items() if name in body]
        return tuple(sorted(heads, key=lambda h: (-len(self.bodies[h]), h)))

    def path(self, src: str, head: str, shapes: Mapping[str, StepShape]) -> list[str]:
        """A path ``head -> ... -> src -> head`` inside the loop (for messages)."""
        body = self.bodies.get(head, frozenset({head}))
        before: dict[str, str | None] = {head: None}
        queue = deque([head])
        while queue and src not in before:
            name = queue.popleft()
            for target in shapes[name].out:
                if target in body and target not in before and (name, target) != (src, head):
                    before[target] = name
                    queue.append(target)
        path, name = [], src
        while name is not None and name in before:
            path.append(name)
            name = before[name]
        return list(reversed(path)) + [head] if path else [src, head]


def _reachable(shapes: Mapping[str, StepShape], start: str) -> list[str]:
    """Steps reachable from ``start``, in reverse postorder (iterative)."""
    order: list[str] = []
    seen = {start}
    stack = [(start, iter(shapes[start].out))]
    while stack:
        name, targets = stack[-1]
        target = next(targets, None)
        if target is None:
            stack.pop()
            order.append(name)
        elif target in shapes and target not in seen:
            seen.add(target)
            stack.append((target, iter(shapes[target].out)))
    return order[::-1]


def find_loops(shapes: Mapping[str, StepShape], start: str = "start") -> Loops:
    """Back edges (``u -> v`` with ``v`` dominating ``u``) and the loop of each head.

    Every edge is looked at, whatever its transition: lint then refuses a back edge that
    is not a switch's case, and any cycle left once back edges are removed.
    """
    if start not in shapes:
        return Loops({}, ())
    order = _reachable(shapes, start)
    preds: dict[str, list[str]] = {n: [] for n in order}
    for name in order:
        for target in dict.fromkeys(shapes[name].out):
            if target in preds:
                preds[target].append(name)
    everything = frozenset(order)
    dom: dict[str, frozenset[str]] = {n: everything for n in order}
    dom[start] = frozenset({start})
    changed = True
    while changed:
        changed = False
        for name in order[1:]:
            known = [dom[p] for p in preds[name]]
            new = frozenset({name}) | (frozenset.intersection(*known) if known else frozenset())
            if new != dom[name]:
                dom[name], changed = new, True
    back = tuple(
        (name, target)
        for name in order
        for target in dict.fromkeys(shapes[name].out)
        if target in dom[name]
    )
    bodies: dict[str, set[str]] = {}
    for src, head in back:
        body = bodies.setdefault(head, {head})
        todo = [src]
        while todo:
            name = todo.pop()
            if name not in body:
                body.add(name)
                todo.extend(preds[name])
    return Loops({h: frozenset(b) for h, b in bodies.items()}, back)


def _edge_stack(name: str, shape: StepShape, stack: Stack, target: str) -> Stack:
    base = stack[:-1] if shape.takes_inputs and stack else stack
    if shape.transition in (Transition.SPLIT, Transition.FOREACH):
        return base + ((name, target),)
    return base


def analyze(shapes: Mapping[str, StepShape], start: str = "start") -> Analysis:
    """Walk breadth-first from ``start`` (unknown targets and back edges are skipped)."""
    result = Analysis()
    if start not in shapes:
        return result
    result.loops = find_loops(shapes, start)
    back = set(result.loops.back_edges)
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
            if target not in shapes or (name, target) in back:
                continue
            edge = _edge_stack(name, shape, stack, target)
            incoming[target].append((name, edge))
            if target not in result.stacks:
                result.stacks[target] = edge
                queue.append(target)
    result.incoming = dict(incoming)
    return result


def find_cycles(
    shapes: Mapping[str, StepShape], skip: Iterable[tuple[str, str]] = ()
) -> list[list[str]]:
    """Each cycle found by a depth-first walk, as the list of its steps (closed), with the
    edges in ``skip`` (a graph's back edges) left out.

    Iterative, so a flow of thousands of steps does not hit the recursion limit.
    """
    skipped = set(skip)
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
            elif (path[-1], target) in skipped:
                continue
            elif target in shapes and state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target in shapes and target not in state:
                state[target] = 1
                path.append(target)
                iters.append(iter(shapes[target].out))
    return cycles


def descendants(shapes: Mapping[str, StepShape], step: str) -> set[str]:
    """``step`` and every step reachable from it, the edges back into loops left out
    (so the walk ends on any graph, cycles included).

    A resume from ``step`` reruns these: the passes of a loop that ran before ``step`` in
    it stay reusable, those after it rerun because their parents do.

    >>> L, S = Transition.LINEAR, Transition.SWITCH
    >>> shapes = {
    ...     "start": StepShape(("a",), L, False),
    ...     "a": StepShape(("b",), L, False),
    ...     "b": StepShape(("a", "end"), S, False),  # goes back to a, or on
    ...     "end": StepShape((), Transition.END, False),
    ... }
    >>> sorted(descendants(shapes, "b")), sorted(descendants(shapes, "a"))
    (['b', 'end'], ['a', 'b', 'end'])
    """
    back = set(find_loops(shapes).back_edges)
    seen: set[str] = set()
    todo = [step]
    while todo:
        name = todo.pop()
        if name in seen or name not in shapes:
            continue
        seen.add(name)
        todo.extend(t for t in shapes[name].out if (name, t) not in back)
    return seen


def branches(shapes: Mapping[str, StepShape], start: str = "start") -> dict[tuple[str, str], int]:
    """``(split, step) -> index`` of the branch of a static split (``Transition.SPLIT``)
    that ``step`` is on, for every step between the split and its join (the join
    excluded), read from :func:`analyze`'s stacks. A split whose target is its own join
    (``self.next(self.a, self.join)``) arrives there itself: ``(split, split)`` maps to
    that branch.

    >>> L = Transition.LINEAR
    >>> shapes = {
    ...     "start": StepShape(("a", "b", "join"), Transition.SPLIT, False),
    ...     "a": StepShape(("a2",), L, False),
    ...     "a2": StepShape(("join",), L, False),
    ...     "b": StepShape(("join",), L, False),
    ...     "join": StepShape(("end",), L, True),
    ...     "end": StepShape((), Transition.END, False),
    ... }
    >>> sorted(branches(shapes).items())
    [(('start', 'a'), 0), (('start', 'a2'), 0), (('start', 'b'), 1), (('start', 'start'), 2)]
    """
    analysis = analyze(shapes, start)
    found: dict[tuple[str, str], int] = {}
    for name, stack in analysis.stacks.items():
        for split, first in stack:
            join = analysis.matching_join.get(split)
            if shapes[split].transition != Transition.SPLIT or join is None or name == join:
                continue
            found.setdefault((split, name), shapes[split].out.index(first))
    for split, join in analysis.matching_join.items():
        if shapes[split].transition == Transition.SPLIT and join in shapes[split].out:
            found[(split, split)] = shapes[split].out.index(join)
    return found
