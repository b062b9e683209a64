"""The driver: expands a run's graph into units of tasks and submits them as they become
known.

Everything that can be known ahead is submitted ahead, with its parents as Dask
dependencies: linear steps, static branches and the joins that close them. A foreach
fans out the moment its split finishes (its cardinality is read from the split's small
result), nested foreach included; a switch continues on the branch its task chose. The
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
from dflow.plan import RunPlan, Stack, TaskSpec, dask_key, task_id_for


@dataclass(frozen=True)
class Group:
    """Tasks of one step that sit in one submitted unit: ``slots[i] = (stack, position)``."""

    step: str
    handle: object
    slots: tuple[tuple[Stack, int], ...]


def _branches(graph) -> dict[tuple[str, str], int]:
    """``(split, step) -> branch index`` for every step inside a static split's branches."""
    found: dict[tuple[str, str], int] = {}
    for split in graph:
        if split.transition != Transition.SPLIT or not split.matching_join:
            continue
        for index, first in enumerate(split.out):
            if first == split.matching_join:  # self.next(self.a, self.join): the split itself
                found[(split.name, split.name)] = index  # arrives on that branch
                continue
            todo = [first]
            while todo:
                name = todo.pop()
                if name == split.matching_join or (split.name, name) in found:
                    continue
                found[(split.name, name)] = index
                todo.extend(graph[name].out)
    return found


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
        self._branch_of = _branches(self.graph)
        self._cards: dict[tuple[str, Stack], int] = {}
        self._joins: dict[tuple[str, Stack], dict[int, tuple[object, int]]] = {}
        self._groups: dict[str, Group] = {}  # key -> group
        self._watch: set[str] = set()  # keys whose results the driver must read
        self.submitted: dict[str, int] = {}
        self.done: dict[str, int] = {}

    # -- submitting -------------------------------------------------------------------
    def _submit(self, step: str, tasks: list[tuple[Stack, tuple, tuple | None]], deps: list):
        """Submit one unit: ``tasks`` are (stack, parents, foreach_item) of one step."""
        node = self.graph[step]
        specs = tuple(TaskSpec(step, stack, parents, item) for stack, parents, item in tasks)
        key = dask_key(self.plan.flow_name, step, self.plan.run_id, task_id_for(tasks[0][0]))
        handle = self.executor.submit(
            run_unit, self.plan_ref, specs, *deps, key=key, resources=self._resources(node)
        )
        group = Group(step, handle, tuple((s.stack, i) for i, s in enumerate(specs)))
        self._groups[handle.key] = group
        self.submitted[step] = self.submitted.get(step, 0) + len(specs)
        self.on_progress(step, self.done.get(step, 0), self.submitted[step])
        if node.transition in (Transition.FOREACH, Transition.SWITCH):
            self._watch.add(handle.key)
        elif node.transition in (Transition.LINEAR, Transition.SPLIT):
            for target in node.out:
                self._arrive(target, group)

    def _resources(self, node: StepNode) -> dict | None:
        deco = self.plan.decorators(node.name).get("resources")
        if deco is None or self.executor.in_process:
            return None
        return requested(deco) or None

    def _arrive(self, target: str, group: Group) -> None:
        """The tasks of ``group`` lead to ``target``: submit it, or count it toward a join."""
        node = self.graph[target]
        if not node.takes_inputs:
            tasks = [(stack, ((0, pos),), None) for stack, pos in group.slots]
            self._submit(target, tasks, [group.handle])
            return
        split = self._closes[target]
        for stack, pos in group.slots:
            if split.transition == Transition.FOREACH:
                join_stack, index = stack[:-1], stack[-1]
                expected = self._cards[(split.name, join_stack)]
            else:  # a static split: one arrival per branch (a switch inside one counts once)
                join_stack, index = stack, self._branch_of[(split.name, group.step)]
                expected = len(split.out)
            arrived = self._joins.setdefault((target, join_stack), {})
            arrived[index] = (group.handle, pos)
            if len(arrived) == expected:
                del self._joins[(target, join_stack)]
                self._submit_join(target, join_stack, [arrived[i] for i in sorted(arrived)])

    def _submit_join(self, target: str, stack: Stack, inputs: list[tuple[object, int]]) -> None:
        deps: list = []
        parents = []
        for handle, pos in inputs:
            if handle not in deps:
                deps.append(handle)
            parents.append((deps.index(handle), pos))
        self._submit(target, [(stack, tuple(parents), None)], deps)

    def _fan_out(self, group: Group, results: list) -> None:
        node = self.graph[group.step]
        for (stack, pos), result in zip(group.slots, results, strict=True):
            if node.transition == Transition.SWITCH:
                self._arrive(result.switch_to, Group(group.step, group.handle, ((stack, pos),)))
                continue
            items_ref, count = result.foreach
            self._cards[(node.name, stack)] = count
            child = node.out[0]
            size = self._batch(count)
            for start in range(0, count, size):
                tasks = [
                    (stack + (i,), ((0, pos),), (items_ref, i))
                    for i in range(start, min(count, start + size))
                ]
                self._submit(child, tasks, [group.handle])

    def _batch(self, count: int) -> int:
        if self.batch_size:
            return self.batch_size
        # Enough units to keep every slot busy and balance the tail; at most 64 tasks each.
        return max(1, min(64, math.ceil(count / (self.slots * 8))))

    # -- following --------------------------------------------------------------------
    def run(self) -> None:
        """Submit the start step and follow the run to its end; RunFailed on a failure."""
        self._submit("start", [((), (), None)], [])
        while self._groups:
            for handle in self.executor.wait_any():
                group = self._groups.pop(handle.key)
                error = handle.exception()
                if error is not None:
                    self.executor.cancel_all()
                    self._groups.clear()
                    raise RunFailed(error)
                self.done[group.step] = self.done.get(group.step, 0) + len(group.slots)
                self.on_progress(group.step, self.done[group.step], self.submitted[group.step])
                if handle.key in self._watch:
                    self._watch.discard(handle.key)
                    self._fan_out(group, handle.result())
        if not self.done.get("end"):
            waiting = sorted({join for join, _ in self._joins})
            raise RunFailed(
                RunStalled(
                    f"the run stopped before its end step: joins still waiting for inputs: "
                    f"{waiting or 'none'} (tasks done per step: {self.done})"
                )
            )
