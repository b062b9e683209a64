"""The function every Dask task of a run calls: run a unit of tasks of one step.

A unit is one task, or several foreach children of the same step (so that 10,000 tiny
tasks do not cost 10,000 scheduler round trips); each task in it keeps its own attempts,
records and logs. A task that already has a committed attempt in this run (Dask re-ran
it after losing a worker) returns that commit instead of running again; a task the plan
marks as reused (resume) commits a reference to its origin's artifacts.
"""

from __future__ import annotations

import time
from dataclasses import replace

from dflow.engine.artifacts import set_artifacts
from dflow.engine.attempt import AttemptOutcome, publisher, run_attempt
from dflow.engine.dask_context import slot_released
from dflow.engine.tracebacks import map_snapshot_paths, user_traceback
from dflow.engine.worker_cache import flow_class, store_for
from dflow.errors import CaughtException, ErrorRecord
from dflow.events import publish_task_event
from dflow.plan import RunPlan, TaskResult, TaskSpec
from dflow.store import ArtifactRef, Manifest, Store, TaskAddress
from dflow.store.attempts import AttemptInfo


class TaskFailure(Exception):
    """A task failed after its retries. Picklable; carries the user's traceback."""

    def __init__(self, pathspec: str, attempt: int, error: ErrorRecord) -> None:
        super().__init__(pathspec, attempt, error)
        self.pathspec = pathspec
        self.attempt = attempt
        self.error = error

    def __str__(self) -> str:
        return f"{self.pathspec} failed: {self.error}"


def run_unit(plan: RunPlan, specs: tuple[TaskSpec, ...], *deps: list[TaskResult]) -> list:
    """Run every task of a unit; raise the first failure after all have been tried.

    Each task's commit is fsynced while the next ones run, and every one is in place
    before the unit returns. A unit of several tasks then writes one task index of the
    record files they wrote (see :mod:`dflow.store.taskindex`), so a reader lists the run
    instead of reading every task.
    """
    store = store_for(plan)
    results: list[TaskResult | None] = []
    failure: TaskFailure | None = None
    # The tasks' commits are fsynced while the next tasks run; all are in place (durable)
    # before the index is written and the unit returns (see Files.commits_in_flight).
    with store.records.journal.capture() as written, store.io.commits_in_flight():
        for spec in specs:
            try:
                results.append(run_task(plan, store, spec, deps))
            except TaskFailure as exc:
                failure = failure or exc
                results.append(None)
    if len(specs) > 1 and written:
        name = f"{specs[0].step}.{specs[0].task_id}"
        store.write_task_index(plan.flow_name, plan.run_id, name, written)
    if failure is not None:
        raise failure
    return results


def result_from_manifest(manifest: Manifest) -> TaskResult:
    """The TaskResult of a committed attempt, rebuilt from its manifest."""
    meta = manifest.meta or {}
    foreach = None
    if meta.get("foreach"):
        foreach = (ArtifactRef.from_dict(meta["foreach"]["items"]), meta["foreach"]["count"])
    return TaskResult(
        step=manifest.address.step,
        task_id=manifest.address.task_id,
        attempt=manifest.attempt,
        artifacts=dict(manifest.artifacts),
        foreach=foreach,
        switch_to=meta.get("switch_to"),
        frames=tuple(meta.get("frames") or ()),
    )


def run_task(plan: RunPlan, store: Store, spec: TaskSpec, deps: tuple) -> TaskResult:
    """Run one task with its retries and @catch; commit it; return its small result."""
    addr = TaskAddress(plan.flow_name, plan.run_id, spec.step, spec.task_id)
    done = store.latest_commit(addr)
    if done is not None:
        return result_from_manifest(done)
    origin = plan.reuse.get(f"{spec.step}/{spec.task_id}")
    if origin is not None:
        return _reuse(plan, store, addr, origin)
    parents = [deps[d][p] for d, p in spec.parents]
    flow_cls = flow_class(plan, store)
    decos = plan.decorators(spec.step)
    retry = decos.get("retry")
    times = int(retry.get("times", 3)) if retry else 0
    wait = 60 * float(retry.get("minutes_between_retries", 2) or 0) if retry else 0.0
    for tried in range(times + 1):
        attempt = store.start_attempt(addr)
        outcome = run_attempt(plan, store, flow_cls, spec, parents, attempt)
        error = _record(store, addr, attempt, outcome, plan)
        if error is None:
            return outcome.result
        if tried < times:
            _say_retry(plan, addr, attempt, error, wait, tried + 1, times)
        if tried < times and wait:
            with slot_released():  # on a worker, other tasks use the slot meanwhile
                time.sleep(wait)
    catch = decos.get("catch")
    if catch is not None:
        return _caught(plan, store, spec, parents, catch, error, outcome)
    raise TaskFailure(addr.pathspec, attempt, error)


def _say_retry(
    plan: RunPlan,
    addr: TaskAddress,
    attempt: int,
    error: ErrorRecord,
    wait: float,
    n: int,
    times: int,
) -> None:
    """One console line for a failed attempt that will be retried (type, message, wait)."""
    from dask.utils import format_time

    line = (
        f"attempt {attempt} failed: {error.headline}"
        f"; retrying in {format_time(wait) if wait else 'no time'} (retry {n} of {times})"
    )
    publisher(plan, addr.pathspec, attempt)("stderr", [line[:500]])


def _record(
    store: Store, addr: TaskAddress, attempt: int, outcome: AttemptOutcome, plan: RunPlan
) -> ErrorRecord | None:
    """Store an attempt's logs and record; return its error, if it failed."""
    error = None
    if outcome.error is not None:
        error = user_traceback(outcome.error)
        if plan.code.kind == "snapshot":
            trace = map_snapshot_paths(error.traceback, plan.code.key, plan.code.source_root)
            error = replace(error, traceback=trace)
        outcome.sink.write("stderr", error.traceback)
    info = outcome.info.finished(outcome.info.finished_at or time.time(), error)
    for stream in ("stdout", "stderr"):
        text = outcome.sink.text(stream)
        if text:
            store.write_log(addr, attempt, stream, text.encode("utf-8", "replace"))
    if outcome.result is None:  # a commit holds its own record (dflow.store.commits)
        store.write_attempt_record(addr, attempt, info.to_dict())
    publish_task_event(
        addr.flow, addr.run_id, addr.step, addr.task_id, attempt, info.status, info.duration, error
    )
    return error


def _kept_artifacts(store: Store, flow) -> dict:
    """The artifacts a failed step had set before it raised (Metaflow keeps them)."""
    task = flow.__dict__.get("_dflow_task") if flow is not None else None
    refs = dict(task.merged) if task is not None else {}
    try:
        values = set_artifacts(flow) if flow is not None else {}
    except Exception:  # a reserved name: the failure already says so
        values = {}
    for name, value in values.items():
        try:
            refs[name] = store.save(value)
        except Exception:  # noqa: S112 - a value that cannot be stored is not kept
            continue
    return refs


def _caught_value(outcome: AttemptOutcome, error: ErrorRecord) -> CaughtException:
    exc = outcome.error
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}" if exc else None
    return CaughtException.from_record(error, type=kind)


def _caught(plan, store, spec, parents, catch, error, outcome) -> TaskResult:
    """Commit a task whose step failed under @catch: the flow goes on from it, with the
    artifacts the step set before it raised and ``var`` holding the caught exception."""
    addr = TaskAddress(plan.flow_name, plan.run_id, spec.step, spec.task_id)
    attempt = outcome.info.attempt
    node = plan.graph[addr.step]
    refs = {} if node.takes_inputs or not parents else dict(parents[0].artifacts)
    refs.update(_kept_artifacts(store, outcome.flow))
    var = catch.get("var")
    if var:
        refs[var] = store.save(_caught_value(outcome, error))
    if node.transition.value in ("foreach", "switch"):
        kind = node.transition.value
        why = f" (@catch cannot continue past a {kind}: its items or branch are unknown)"
        raise TaskFailure(addr.pathspec, attempt, replace(error, message=error.message + why))
    now = time.time()
    info = AttemptInfo(
        attempt=store.start_attempt(addr),
        started_at=now,
        parents=tuple(f"{p.step}/{p.task_id}" for p in parents),
        foreach_stack=tuple(spec.stack),
        iteration=tuple(spec.iteration) or None,
        caught=error,
    ).finished(now)
    meta = {"caught": True, "info": info.to_dict()}
    if outcome.frames:
        meta["frames"] = list(outcome.frames)
    manifest = store.commit_attempt(addr, info.attempt, refs, meta, record=info.to_dict())
    return result_from_manifest(manifest)


def _reuse(plan: RunPlan, store: Store, addr: TaskAddress, origin: str) -> TaskResult:
    """Commit, in the new run, a reference to an origin task's committed artifacts."""
    flow, run_id, step, task_id = origin.split("/")
    manifest = store.latest_commit(TaskAddress(flow, run_id, step, task_id))
    meta = dict(manifest.meta or {})
    meta["origin"] = origin
    origin_info = AttemptInfo.from_dict(meta.get("info") or {})
    now = time.time()
    info = AttemptInfo(
        attempt=store.start_attempt(addr),
        started_at=now,
        parents=origin_info.parents or (),
        foreach_stack=origin_info.foreach_stack,
        iteration=origin_info.iteration,
        origin=origin,
    ).finished(now)
    meta["info"] = info.to_dict()
    committed = store.commit_attempt(
        addr, info.attempt, manifest.artifacts, meta, record=info.to_dict()
    )
    return result_from_manifest(committed)
