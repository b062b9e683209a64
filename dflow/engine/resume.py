"""Resume: a new run that reuses, by reference, what an origin run committed.

A committed task of the origin run is reused when it is not at or after the step the
user asked to rerun from, and every one of its parents is reused too; everything else
(failed, missing, interrupted tasks and all that follows them) runs again. Reusing a task
commits, in the new run, a manifest pointing at the origin's artifacts and naming the
origin task: no data is copied. Resuming a resumed run works the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dflow.config import user_name
from dflow.config_spec import prepare_configs
from dflow.engine.launch import run_flow
from dflow.engine.options import RunOptions, RunResult, split_keywords
from dflow.engine.progress import say
from dflow.errors import ObjectNotFoundError, ParameterError
from dflow.graph import validate
from dflow.graph.model import FlowGraph
from dflow.graph.traverse import descendants, shapes_of
from dflow.store import Store, TaskAddress, open_store
from dflow.store.verify import damage_of, set_aside


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
    store: Store,
    graph: FlowGraph,
    origin_run_id: str,
    rerun_from: str | None = None,
    on_damaged: Callable[[str, str], None] | None = None,
) -> dict[str, str]:
    """Map ``"step/task_id"`` to the origin task pathspec for every reusable task.

    Every artifact of a task is re-verified first (:func:`dflow.store.verify.damage_of`:
    blobs exist and match their key, arrays have their marker and every chunk); a task
    with a damaged artifact is not reused: its damaged objects are set aside (so its
    rerun writes them again) and ``on_damaged("step/task_id", why)`` is told.
    """
    flow = graph.flow_name
    if rerun_from is not None and rerun_from not in graph:
        raise ObjectNotFoundError(
            f"flow {flow} has no step {rerun_from!r} to resume from",
            hint=f"steps: {', '.join(graph.names)}",
        )
    rerun = descendants(shapes_of(graph), rerun_from) if rerun_from else set()
    pending: list[tuple[str, object]] = []  # (step/task_id, manifest)
    for node in graph.topological():
        if node.name in rerun:
            continue
        for task_id in store.list_tasks(flow, origin_run_id, node.name):
            manifest = store.latest_commit(TaskAddress(flow, origin_run_id, node.name, task_id))
            if manifest is not None:
                pending.append((f"{node.name}/{task_id}", manifest))
    reuse: dict[str, str] = {}
    refused: set[str] = set()
    while True:  # a loop's pass follows the pass of a later step: go on until no change
        before = len(reuse) + len(refused)
        for name, manifest in pending:
            if name in reuse or name in refused:
                continue
            parents = ((manifest.meta or {}).get("info") or {}).get("parents", [])
            if not all(p in reuse for p in parents):
                continue
            damage = _damage(store, manifest)
            if damage:
                refused.add(name)
                if on_damaged is not None:
                    on_damaged(name, damage)
                continue
            reuse[name] = f"{flow}/{origin_run_id}/{name}"
        if len(reuse) + len(refused) == before:
            return reuse


def _damage(store: Store, manifest) -> str:
    """Why a committed task cannot be reused ("" when every artifact is sound)."""
    problems = []
    for name, ref in sorted(manifest.artifacts.items()):
        why = damage_of(store, ref, name)
        if why:
            problems.append(why)
            set_aside(store, ref)
    return "; ".join(problems)


def resume_flow(
    flow_cls: type,
    origin_run_id: str | None = None,
    step: str | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """Resume a run of ``flow_cls``: reuse what ``origin_run_id`` (default: the latest run
    of this user) committed, and run the rest, or everything from ``step`` on."""
    from dataclasses import replace

    options = options or RunOptions()
    prepare_configs(flow_cls, options.configs)
    graph = validate(flow_cls)
    store = open_store(options.store, options.store_options)
    origin = origin_run_id or latest_run_id(store, graph.flow_name, user_name())
    record = store.read_run_record(graph.flow_name, origin)

    def damaged(task: str, why: str) -> None:
        if not options.quiet:
            say(f"rerunning {graph.flow_name}/{origin}/{task}: it is damaged ({why})")

    reuse = plan_reuse(store, graph, origin, step, on_damaged=damaged)
    if not options.quiet:
        say(
            f"Resuming {graph.flow_name}/{origin}: reusing {len(reuse)} committed task(s)"
            + (f", rerunning from step {step}" if step else "")
        )
    tags = options.tags or tuple(store.run_tags(graph.flow_name, origin, record=record))
    return run_flow(
        flow_cls,
        None,
        replace(options, origin_run_id=origin, reuse=reuse, origin_record=record, tags=tags),
    )


def resume_class(
    flow_cls: type, origin_run_id: str | None, step: str | None, kwargs: Mapping[str, Any]
) -> RunResult:
    """``FlowSpec.resume(origin_run_id, step, **options)``."""
    given, opts = split_keywords(flow_cls, kwargs)
    if given:
        raise ParameterError("resume keeps the origin run's parameters; pass run options only")
    return resume_flow(flow_cls, origin_run_id, step, RunOptions(**opts))
