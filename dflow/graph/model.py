"""The graph of a flow: small frozen dataclasses, no Dask and no I/O.

:func:`dflow.graph.parse.build_graph` makes a :class:`FlowGraph` from a flow class by
reading the AST of each step; :mod:`dflow.graph.lint` checks it; the planner and the
engine read it. Everything here is picklable and comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from dflow.decorators import DecoratorSpec
from dflow.nextform import NextCall
from dflow.parameters import ParameterSpec

__all__ = ["DecoratorSpec", "FlowGraph", "ParameterSpec", "StepKind", "StepNode", "Transition"]


class Transition(str, Enum):  # noqa: UP042 (str() stays the member name)
    """What a step's trailing ``self.next(...)`` does."""

    LINEAR = "linear"  # self.next(self.a)
    SPLIT = "split"  # self.next(self.a, self.b): static branches
    FOREACH = "foreach"  # self.next(self.a, foreach="items")
    SWITCH = "switch"  # self.next({"x": self.a, "y": self.b}, condition="attr")
    END = "end"  # no self.next: only the end step


class StepKind(str, Enum):  # noqa: UP042
    """The kind of a step, as shown by ``dflow show``.

    A step that takes ``inputs`` is a JOIN whatever its transition; otherwise the kind
    follows the transition (and ``start`` is START when it is linear).
    """

    START = "start"
    LINEAR = "linear"
    SPLIT = "split"
    FOREACH = "foreach"
    SWITCH = "switch"
    JOIN = "join"
    END = "end"


@dataclass(frozen=True)
class StepNode:
    """One step of a flow.

    ``out`` lists the targets of ``self.next`` in order (for a switch, the case targets in
    the order written, and ``switch_cases`` maps each case value to its step).
    ``in_steps`` lists the steps whose ``self.next`` names this one.
    ``split_parents`` is the stack of enclosing split and foreach steps, outermost
    first, as Metaflow computes it: a split or foreach pushes itself for its branches, the
    join that closes it pops it. ``matching_join`` is set on split and foreach steps.
    ``loops`` lists the heads of the loops the step is in, outermost first: a switch case
    that goes back to one of them (to the step itself, or to an earlier step every path
    into the loop passes through) starts that loop's next iteration.
    """

    name: str
    kind: StepKind
    transition: Transition
    out: tuple[str, ...] = ()
    in_steps: tuple[str, ...] = ()
    takes_inputs: bool = False
    foreach_var: str | None = None
    switch_var: str | None = None
    switch_cases: tuple[tuple[Any, str], ...] = ()
    split_parents: tuple[str, ...] = ()
    matching_join: str | None = None
    loops: tuple[str, ...] = ()
    decorators: tuple[DecoratorSpec, ...] = ()
    doc: str = ""
    file: str = ""
    line: int = 0  # line of the ``def``
    next_line: int = 0  # line of the trailing ``self.next`` (0 when there is none)

    @property
    def next_call(self) -> NextCall | None:
        """The ``self.next(...)`` call the step's source ends with, as a running step's
        call is recorded (:attr:`dflow.flowspec.TaskContext.next_call`); None for the end
        step. A run takes only this transition: the engine compares the two."""
        if self.transition == Transition.END:
            return None
        if self.transition == Transition.SWITCH:
            return NextCall(self.out, condition=self.switch_var, cases=self.switch_cases)
        return NextCall(self.out, foreach=self.foreach_var)

    def decorator(self, name: str) -> DecoratorSpec | None:
        """The decorator of that name on this step, or None."""
        for deco in self.decorators:
            if deco.name == name:
                return deco
        return None


@dataclass(frozen=True)
class FlowGraph:
    """The whole graph of a flow class, steps in source order."""

    flow_name: str
    file: str
    steps: tuple[StepNode, ...]
    parameters: tuple[ParameterSpec, ...] = ()
    doc: str = ""
    line: int = 0  # line of the ``class`` statement
    # problems met while parsing (dflow.graph.problems.Problem); lint reports them
    parse_problems: tuple[Any, ...] = field(default=(), compare=False)
    _index: dict[str, StepNode] = field(default=None, compare=False, repr=False)  # type: ignore

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s.name: s for s in self.steps})

    def __getitem__(self, name: str) -> StepNode:
        return self._index[name]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def names(self) -> tuple[str, ...]:
        """Step names in source order."""
        return tuple(s.name for s in self.steps)

    def loops_back(self, src: str, dst: str) -> bool:
        """True when the edge ``src -> dst`` goes back to the head of a loop ``src`` is in.

        >>> from dflow.graph.model import StepKind, StepNode, Transition
        >>> loop = StepNode("loop", StepKind.SWITCH, Transition.SWITCH, ("loop", "end"),
        ...                 loops=("loop",))
        >>> g = FlowGraph("F", "f.py", (loop,))
        >>> g.loops_back("loop", "loop"), g.loops_back("loop", "end")
        (True, False)
        """
        return src in self._index and dst in self._index[src].loops

    def forward(self, node: StepNode) -> tuple[str, ...]:
        """The targets of a step less those that loop back."""
        return tuple(t for t in node.out if t not in node.loops)

    def topological(self) -> list[StepNode]:
        """Steps in an order where every step comes after all its in-steps (from start);
        edges that loop back are left out."""
        order: list[StepNode] = []
        seen: set[str] = set()
        pending = {
            s.name: len([p for p in s.in_steps if p in self and not self.loops_back(p, s.name)])
            for s in self.steps
        }
        ready = [s for s in self.steps if pending[s.name] == 0]
        while ready:
            node = ready.pop(0)
            if node.name in seen:
                continue
            seen.add(node.name)
            order.append(node)
            for target in self.forward(node):
                if target in pending:
                    pending[target] -= 1
                    if pending[target] == 0:
                        ready.append(self[target])
        return order
