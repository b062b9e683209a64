"""The driver: expands a run's graph into units of tasks and submits them as they become
known.

Everything that can be known ahead is submitted ahead, with its parents as Dask
dependencies: linear steps, static branches and the joins that close them. A foreach
fans out the moment its split finishes (its cardinality is read from the split's small
result), nested foreach included; a switch continues on the branch its task chose, and a
switch case that goes back (a loop) starts the next iteration: one more task of the step
it goes back to, whose parent is the task that chose it. The
children of a large foreach are batched into units of several tasks so that 10,000 tiny
tasks cost a few hundred Dask tasks, each task still with its own records and logs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from dflow.engine.resources import requested
from dflow.engine.task import run_unit
from dflow.graph.model import StepNode, Transition
from dflow.graph.traverse import branches, shapes_of
from dflow.plan import Iteration, RunPlan, Stack, TaskSpec, dask_key, next_iteration, task_id_for


@dataclass(frozen=True)
class Unit:
    """A submitted unit (tasks of one step in one Dask task), as the driver follows it:
    its ``future`` and ``slots[i] = (stack, iteration, position)`` of its tasks."""

    step: str
    future: object
    slots: tuple[tuple[Stack, Iteration, int], ...]


class RunStalled(Exception):
    """The driver ran out of work before the end step ran: a defect, never a success."""


class RunFailed(Exception):
    """The run stopped at a failed unit; ``error`` is what the unit raised."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Driver:
    """Submits a run's units to an executor and follows them until the run ends."""

    def __init__(
        self,
        plan: RunPlan,
        executor,
        *,
        batch_size: int | None = None,
        slots: int = 2,
        on_progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.plan = plan
        self.graph = plan.graph
        self.executor = executor
        self.batch_size = batch_size
        self.slots = max(1, slots)
        self.on_progress = on_progress or (lambda step, done, total: None)
        self.plan_ref = executor.constant(plan, key=f"dflow-plan-{plan.run_id}")
        self._closes = {n.matching_join: n for n in self.graph if n.matching_join}
        self._branch_of = branches(shapes_of(self.graph))
        self._cards: dict[tuple[str, Stack, Iteration], int] = {}
        self._joins: dict[tuple[str, Stack, Iteration], dict[int, tuple[object, int]]] = {}
        self._units: dict[str, Unit] = {}  # key -> unit
        self._watch: set[str] = set()  # keys whose results the driver must read
        self.submitted: dict[str, int] = {}
        self.done: dict[str, int] = {}

    # -- submitting -------------------------------------------------------------------
    def _submit(
        self, step: str, tasks: list[tuple[Stack, Iteration, tuple, tuple | None]], deps: list
    ):
        """Submit one unit: ``tasks`` are (stack, iteration, parents, foreach_item) of one
        step."""
        node = self.graph[step]
        specs = tuple(TaskSpec(step, st, parents, item, it) for st, it, parents, item in tasks)
        key = dask_key(
            self.plan.flow_name, step, self.plan.run_id, task_id_for(tasks[0][0], tasks[0][1])
        )
        future = self.executor.submit(
            run_unit, self.plan_ref, specs, *deps, key=key, resources=self._resources(node)
        )
        unit = Unit(step, future, tuple((s.stack, s.iteration, i) for i, s in enumerate(specs)))
        self._units[future.key] = unit
        self.submitted[step] = self.submitted.get(step, 0) + len(specs)
        self.on_progress(step, self.done.get(step, 0), self.submitted[step])
        if node.transition in (Transition.FOREACH, Transition.SWITCH):
            self._watch.add(future.key)
        elif node.transition in (Transition.LINEAR, Transition.SPLIT):
            for target in node.out:
                self._arrive(target, unit)

    def _resources(self, node: StepNode) -> dict | None:
        deco = self.plan.decorators(node.name).get("resources")
        if deco is None or self.executor.in_process:
            return None
        return requested(deco) or None

    def _arrive(self, target: str, unit: Unit) -> None:
        """The tasks of ``unit`` lead to ``target``: submit it, or count it toward a join."""
        node = self.graph[target]
        if not node.takes_inputs:
            tasks = [
                (stack, next_iteration(self.graph, unit.step, target, it), ((0, pos),), None)
                for stack, it, pos in unit.slots
            ]
            self._submit(target, tasks, [unit.future])
            return
        split = self._closes[target]
        for stack, it, pos in unit.slots:
            it = next_iteration(self.graph, unit.step, target, it)  # the split's, too
            if split.transition == Transition.FOREACH:
                join_stack, index = stack[:-1], stack[-1]
                expected = self._cards[(split.name, join_stack, it)]
            else:  # a static split: one arrival per branch (a switch inside one counts once)
                join_stack, index = stack, self._branch_of[(split.name, unit.step)]
                expected = len(split.out)
            arrived = self._joins.setdefault((target, join_stack, it), {})
            arrived[index] = (unit.future, pos)
            if len(arrived) == expected:
                del self._joins[(target, join_stack, it)]
                self._submit_join(target, join_stack, it, [arrived[i] for i in sorted(arrived)])

    def _submit_join(
        self, target: str, stack: Stack, it: Iteration, inputs: list[tuple[object, int]]
    ) -> None:
        deps: list = []
        parents = []
        for future, pos in inputs:
            if future not in deps:
                deps.append(future)
            parents.append((deps.index(future), pos))
        self._submit(target, [(stack, it, tuple(parents), None)], deps)

    def _fan_out(self, unit: Unit, results: list) -> None:
        node = self.graph[unit.step]
        for (stack, it, pos), result in zip(unit.slots, results, strict=True):
            if node.transition == Transition.SWITCH:
                one = Unit(unit.step, unit.future, ((stack, it, pos),))
                self._arrive(result.switch_to, one)
                continue
            items_ref, count = result.foreach
            self._cards[(node.name, stack, it)] = count
            child = node.out[0]
            child_it = next_iteration(self.graph, node.name, child, it)
            size = self._unit_size(count)
            for start in range(0, count, size):
                tasks = [
                    (stack + (i,), child_it, ((0, pos),), (items_ref, i))
                    for i in range(start, min(count, start + size))
                ]
                self._submit(child, tasks, [unit.future])

    def _unit_size(self, count: int) -> int:
        if self.batch_size:
            return self.batch_size
        # Enough units to keep every slot busy and balance the tail; at most 64 tasks each.
        return max(1, min(64, math.ceil(count / (self.slots * 8))))

    # -- following --------------------------------------------------------------------
    def run(self) -> None:
        """Submit the start step and follow the run to its end; RunFailed on a failure."""
        first = (0,) * len(self.graph["start"].loops)  # start may repeat itself, too
        self._submit("start", [((), first, (), None)], [])
        while self._units:
            for future in self.executor.wait_any():
                unit = self._units.pop(future.key)
                error = future.exception()
                if error is not None:
                    self.executor.cancel_all()
                    self._units.clear()
                    raise RunFailed(error)
                self.done[unit.step] = self.done.get(unit.step, 0) + len(unit.slots)
                self.on_progress(unit.step, self.done[unit.step], self.submitted[unit.step])
                if future.key in self._watch:
                    self._watch.discard(future.key)
                    self._fan_out(unit, future.result())
        if not self.done.get("end"):
            waiting = sorted({join for join, _, _ in self._joins})
            raise RunFailed(
                RunStalled(
                    f"the run stopped before its end step: joins still waiting for inputs: "
                    f"{waiting or 'none'} (tasks done per step: {self.done})"
                )
            )
