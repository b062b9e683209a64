"""Resume: a new run that reuses, by reference, what an origin run committed.

A committed task of the origin run is reused when it is not at or after the step the
user asked to rerun from, and every one of its parents is reused too; everything else
(failed, missing, interrupted tasks and all that follows them) runs again. Reusing a task
commits, in the new run, a manifest pointing at the origin's artifacts and naming the
origin task: no data is copied. Resuming a resumed run works the same way.
"""

from __future__ import annotations

from dflow.errors import ObjectNotFoundError
from dflow.graph.model import FlowGraph
from dflow.store import Store, TaskAddress


def descendants(graph: FlowGraph, step: str) -> set[str]:
    """``step`` and every step reachable from it."""
    seen, todo = set(), [step]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(graph[name].out)
    return seen


def latest_run_id(store: Store, flow: str, user: str | None = None) -> str:
    """The newest run of ``flow`` (of ``user``, when given)."""
    entries = sorted(store.list_runs(flow), key=lambda e: int(e.run_id), reverse=True)
    for entry in entries:
        if user is None or store.read_run_record(flow, entry.run_id).get("user") == user:
            return entry.run_id
    raise ObjectNotFoundError(
        f"flow {flow} has no run to resume in store {store.url}"
        + (f" for user {user}" if user else ""),
        hint="run it first, or pass --origin-run-id",
    )


def plan_reuse(
    store: Store, graph: FlowGraph, origin_run_id: str, rerun_from: str | None = None
) -> dict[str, str]:
    """Map ``"step/task_id"`` to the origin task pathspec for every reusable task."""
    flow = graph.flow_name
    if rerun_from is not None and rerun_from not in graph:
        raise ObjectNotFoundError(
            f"flow {flow} has no step {rerun_from!r} to resume from",
            hint=f"steps: {', '.join(graph.names)}",
        )
    rerun = descendants(graph, rerun_from) if rerun_from else set()
    reuse: dict[str, str] = {}
    for node in graph.topological():
        if node.name in rerun:
            continue
        for task_id in store.list_tasks(flow, origin_run_id, node.name):
            manifest = store.latest_commit(TaskAddress(flow, origin_run_id, node.name, task_id))
            if manifest is None:
                continue
            parents = ((manifest.meta or {}).get("info") or {}).get("parents", [])
            if all(p in reuse for p in parents):
                reuse[f"{node.name}/{task_id}"] = f"{flow}/{origin_run_id}/{node.name}/{task_id}"
    return reuse
