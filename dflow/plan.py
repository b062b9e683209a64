"""The plan of a run: run ids, task identities and Dask keys, as pure data.

A task is identified by its step and its *foreach stack*: the indices of the foreach
splits it runs under, outermost first. Its task id is those indices joined by dots
(``"3"``, ``"3.1"``), or ``"0"`` outside any foreach, so pathspecs read naturally
(``TrainFlow/1764203961123456/fit/3``). A step inside a loop (a switch that goes back)
runs once per iteration: its *iteration* (one count per enclosing loop, outermost first)
follows, each count after an underscore (``"0_2"``: the third pass; ``"3_0"``: the first
pass in foreach child 3).

Dask keys read as ``"<Flow>.<step>-<run_id>-<task_id>"`` so that
``dask.utils.key_split`` gives ``"<Flow>.<step>"``, which is what the dashboard groups
its task stream and progress bars by. Scheduling identity (the key) and storage identity
(the xxhash of an artifact's bytes) are different things: keys are never persisted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dflow.graph.model import DecoratorSpec, FlowGraph

Stack = tuple[int, ...]
_TASK_ID = re.compile(r"^\d+(\.\d+)*(_\d+)*$")
Iteration = tuple[int, ...]


def task_id_for(stack: Stack, iteration: Iteration = ()) -> str:
    """The task id of the task at a foreach stack and loop iteration.

    >>> task_id_for(()), task_id_for((3, 1)), task_id_for((), (2,)), task_id_for((3,), (0, 1))
    ('0', '3.1', '0_2', '3_0_1')
    """
    base = ".".join(str(i) for i in stack) if stack else "0"
    return base + "".join(f"_{i}" for i in iteration)


def next_iteration(graph: FlowGraph, src: str, dst: str, iteration: Iteration) -> Iteration:
    """The iteration of the task of ``dst`` that follows a task of ``src`` at ``iteration``.

    Going back to a loop's head counts one more pass of that loop; going forward keeps the
    counts of the loops both steps are in and starts each loop ``dst`` enters at 0.
    """
    outer, inner = graph[src].loops, graph[dst].loops
    if dst in outer:  # back to the head of one of src's loops
        level = outer.index(dst)
        return iteration[:level] + (iteration[level] + 1,)
    shared = 0
    while shared < min(len(outer), len(inner)) and outer[shared] == inner[shared]:
        shared += 1
    return iteration[:shared] + (0,) * (len(inner) - shared)


def dask_key(flow: str, step: str, run_id: str, task_id: str) -> str:
    """The Dask key of a task (or of a batch of tasks, named by its first task).

    ``dask.utils.key_split`` of it is ``"Flow.step"``, what the dashboard groups by;
    :func:`parse_dask_key` reads it back.
    """
    return f"{flow}.{step}-{run_id}-{task_id}"


def parse_dask_key(key: Any) -> tuple[str, str, str, str] | None:
    """:func:`dask_key` read back: ``(flow, step, run_id, task_id)``; None for other keys.

    >>> parse_dask_key(dask_key("TrainFlow", "fit", "1795739563832009", "3.1"))
    ('TrainFlow', 'fit', '1795739563832009', '3.1')
    >>> parse_dask_key("inc-5f1e2b") is None
    True
    >>> parse_dask_key("WhileFlow.loop-1795739563832009-0_4")[3]
    '0_4'
    """
    if not isinstance(key, str):
        return None
    flow, dot, rest = key.partition(".")
    step, run_id, task_id = (rest.split("-", 2) + ["", ""])[:3]
    if not (dot and flow.isidentifier() and step.isidentifier() and run_id.isdigit()):
        return None
    if not _TASK_ID.match(task_id):
        return None
    return flow, step, run_id, task_id


@dataclass(frozen=True)
class CodeRef:
    """How a worker gets the flow class.

    ``kind`` is ``"snapshot"`` (a code snapshot in the store: ``key``, the flow file's path
    inside it ``module_path``, and ``class_name``), ``"pickle"`` (a class defined in a
    notebook, cloudpickled by value into the store blob ``key``) or ``"local"`` (the
    driver's process runs the tasks itself, with the class it already has).
    ``source_root`` is the folder the snapshot was packed from, on the driver's machine:
    tracebacks of the worker's extracted copy are mapped back to it.
    """

    kind: str
    key: str = ""
    module_path: str = ""
    class_name: str = ""
    source_root: str = ""


@dataclass(frozen=True)
class RunPlan:
    """Everything a task needs to know about its run; sent to each worker once."""

    flow_name: str
    run_id: str
    graph: FlowGraph
    store_url: str
    store_options: dict
    code: CodeRef
    parameters: dict  # parameter name -> ArtifactRef of its value
    param_attrs: dict  # parameter name -> attribute name on the flow class
    tags: tuple[str, ...] = ()
    user: str = ""
    namespace: str = ""
    origin_run_id: str | None = None
    extra_decorators: tuple[DecoratorSpec, ...] = ()
    log_topic: str = ""  # Dask event topic that carries live log lines, "" for none
    echo_logs: bool = False  # print log lines directly (in-process runs)
    reuse: dict = field(default_factory=dict)  # "step/task_id" -> origin pathspec (resume)
    max_num_splits: int | None = None  # a foreach with more items fails (Metaflow's option)
    project: dict | None = None  # @project: name, branch, flow_name, is_production...
    #: the flow class itself, for in-process runs (CodeRef kind "local"); never shipped
    local_class: type | None = field(default=None, compare=False, repr=False)

    def decorators(self, step: str) -> dict[str, DecoratorSpec]:
        """The decorators of a step, those given with ``--with`` included (the step's own win)."""
        found = {d.name: d for d in self.extra_decorators}
        found.update({d.name: d for d in self.graph[step].decorators})
        return found


@dataclass(frozen=True)
class TaskSpec:
    """One task of a run: its step, foreach stack and where its inputs come from.

    ``parents`` lists, for each parent task, the position of the Dask dependency that holds
    it and the position of that parent's result in the dependency's result list (a batch
    returns one result per task). ``foreach_item`` is set in a foreach child: the key of the
    blob listing the split's item references, and this child's index. ``iteration`` is
    the task's pass through each loop it is in (see :func:`task_id_for`).
    """

    step: str
    stack: Stack
    parents: tuple[tuple[int, int], ...] = ()
    foreach_item: tuple[str, int] | None = None
    iteration: Iteration = ()

    @property
    def task_id(self) -> str:
        """The task id (see :func:`task_id_for`)."""
        return task_id_for(self.stack, self.iteration)


@dataclass(frozen=True)
class TaskResult:
    """What a finished task sends back through the scheduler: small references only.

    ``foreach`` is set by a foreach split: ``(items_key, cardinality)``. ``switch_to`` is
    the step a switch chose. ``frames`` is the task's foreach stack, outermost first: for
    each enclosing foreach ``{"item": <stored ref dict>, "index": i, "count": n}``, so
    ``foreach_stack()`` and a join's ``inp.input`` need no lookup.
    ``artifacts`` is the committed manifest's artifact table
    (name -> ArtifactRef), which children inherit by reference without loading anything.
    """

    step: str
    task_id: str
    attempt: int
    artifacts: dict
    foreach: tuple[str, int] | None = None
    switch_to: str | None = None
    frames: tuple = ()
