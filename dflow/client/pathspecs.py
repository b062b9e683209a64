"""Turn a pathspec string into a client object, with ``latest`` allowed for the run id.

``Flow``, ``Flow/run_id``, ``Flow/run_id/step``, ``Flow/run_id/step/task_id`` and
``Flow/run_id/step/task_id/artifact``; ``Flow/latest`` is the newest run of the current
namespace.
"""

from __future__ import annotations

from dflow.client.base import DflowObject, split_pathspec
from dflow.client.context import ClientContext
from dflow.client.core import Run
from dflow.client.flows import Flow
from dflow.errors import ObjectNotFoundError

LATEST = "latest"


def resolve_run(pathspec: str, context: ClientContext | None = None) -> Run:
    """The run named by ``Flow/run_id`` or ``Flow/latest`` (the first two parts count)."""
    parts = split_pathspec(pathspec) if str(pathspec).strip("/") else [""]
    if len(parts) < 2:
        raise ObjectNotFoundError(
            f"{pathspec!r} does not name a run (expected Flow/run_id or Flow/latest)"
        )
    flow, run_id = parts[:2]
    if run_id == LATEST:
        run = Flow(flow, context).latest_run
        if run is None:
            where = context.namespace if context is not None else None
            raise ObjectNotFoundError(
                f"flow {flow!r} has no runs in the namespace {where!r}"
                if where
                else f"flow {flow!r} has no runs",
                hint="pass --all-namespaces to see every user's runs",
            )
        return run
    return Run(f"{flow}/{run_id}", context)


def resolve(pathspec: str, context: ClientContext | None = None) -> DflowObject:
    """The Flow, Run, Step, Task or DataArtifact a pathspec names."""
    parts = split_pathspec(pathspec)
    if len(parts) == 1:
        return Flow(parts[0], context)
    obj: DflowObject = resolve_run(pathspec, context)
    if len(parts) >= 3:
        obj = obj[parts[2]]  # type: ignore[index]
    if len(parts) >= 4:
        obj = obj[parts[3]]  # type: ignore[index]
    if len(parts) == 5:
        obj = obj[parts[4]]  # type: ignore[index]
    return obj
