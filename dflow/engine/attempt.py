"""One attempt of one task, on a worker: build the flow object, run the step with its
output captured, then persist its artifacts and commit.

Commit order (the store guarantees it): every artifact object, then the DONE marker,
which holds the manifest and the attempt's record (one object). An attempt that fails or
is interrupted leaves no DONE marker, so nothing downstream (readers, resume, the next
step) ever trusts it.
"""

from __future__ import annotations

import contextvars
import ctypes
import os
import platform
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dflow.current import CurrentInfo, current
from dflow.engine.artifacts import (
    ArtifactTable,
    EngineTaskContext,
    Inputs,
    InputView,
    make_loader,
    reused_ref,
    set_artifacts,
)
from dflow.engine.capture import LogSink, capturing, original_stream
from dflow.engine.cards import CardCollector, save_cards, step_cards
from dflow.engine.dask_context import TaskSlot, slot_released, step_dask
from dflow.engine.envvars import step_environment
from dflow.engine.saving import save_artifact
from dflow.engine.tracebacks import map_snapshot_paths
from dflow.errors import DflowError, StepTimeoutError
from dflow.events import publish_card_event
from dflow.flowspec import LazyValue
from dflow.graph.model import StepNode, Transition
from dflow.plan import RunPlan, TaskResult, TaskSpec
from dflow.store import Store, TaskAddress
from dflow.store.attempts import AttemptInfo


class StepInterrupted(BaseException):
    """Raised inside a timed-out step's thread to stop it at its next Python instruction.

    A BaseException, so a step's own ``except Exception`` does not swallow it. Code running
    in C (a long numpy call, a blocking read) is only interrupted when it returns to Python.
    """


@dataclass
class AttemptOutcome:
    """What one attempt produced: a committed result, or the exception that ended it."""

    result: TaskResult | None
    error: BaseException | None
    sink: LogSink
    info: AttemptInfo
    flow: Any = None
    frames: tuple = ()


def publisher(plan: RunPlan, pathspec: str, attempt: int) -> Callable[[str, list[str]], None]:
    """Where a task's live output lines go: the console (in-process runs) or a Dask topic."""
    prefix = f"[{pathspec} (attempt {attempt})]" if attempt else f"[{pathspec}]"
    if plan.echo_logs:

        def echo(stream: str, lines: list[str]) -> None:
            out = original_stream(stream)
            out.write("".join(f"{prefix} {line}\n" for line in lines))
            out.flush()

        return echo
    if plan.log_topic:
        from distributed import get_worker

        worker = get_worker()

        def send(stream: str, lines: list[str]) -> None:
            worker.log_event(
                plan.log_topic,
                {"task": pathspec, "attempt": attempt, "stream": stream, "lines": lines},
            )

        return send
    return lambda stream, lines: None


def _snapshot_paths(plan: RunPlan) -> Callable[[str], str] | None:
    """Maps paths into the worker's extracted code snapshot back to the user's files."""
    code = plan.code
    if code.kind != "snapshot" or not code.source_root:
        return None
    return lambda text: map_snapshot_paths(text, code.key, code.source_root)


def _worker_address() -> tuple[str | None, str | None]:
    """The Dask worker's address and its name as the dashboard shows it (None, None off
    a worker)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None, None
    return worker.address, str(worker.name)


def run_attempt(
    plan: RunPlan,
    store: Store,
    flow_cls: type,
    spec: TaskSpec,
    parents: list[TaskResult],
    attempt: int,
) -> AttemptOutcome:
    """Run one attempt of a task and commit it if the step succeeds."""
    node = plan.graph[spec.step]
    addr = TaskAddress(plan.flow_name, plan.run_id, spec.step, spec.task_id)
    decos = plan.decorators(spec.step)
    address, worker_name = _worker_address()
    info = AttemptInfo(
        attempt=attempt,
        started_at=time.time(),
        host=platform.node(),
        pid=os.getpid(),
        worker=address,
        worker_name=worker_name,
        parents=tuple(f"{p.step}/{p.task_id}" for p in parents),
        foreach_stack=tuple(spec.stack),
        iteration=tuple(spec.iteration) or None,
    )
    sink = LogSink(publisher(plan, addr.pathspec, attempt), rewrite=_snapshot_paths(plan))
    flow = flow_cls(use_cli=False)
    params = ArtifactTable(store, plan.parameters, owner="parameters")
    inherited = {} if node.takes_inputs or not parents else dict(parents[0].artifacts)
    owner = (
        f"{plan.flow_name}/{plan.run_id}/{parents[0].step}/{parents[0].task_id}"
        if (parents and not node.takes_inputs)
        else addr.pathspec
    )
    frames = foreach_frames(plan, store, node, spec, parents)
    task = flow.__dict__["_dflow_task"] = EngineTaskContext(store=store, frames=frames)
    task.loader = make_loader(flow, ArtifactTable(store, inherited, owner=owner), params, task)
    if frames:  # as in Metaflow, every step inside a foreach sees its innermost item
        item, index = frames[-1]["item"], frames[-1]["index"]
        task.input = LazyValue(lambda: _load_item(store, item, index))
        task.index = index
    env = decos["environment"].get("vars") if "environment" in decos else None
    timeout = _timeout_seconds(decos)
    cards = step_cards(node)
    flow.__dict__["_dflow_cards"] = cards
    bind = CurrentInfo(
        flow_name=plan.flow_name,
        run_id=plan.run_id,
        step_name=spec.step,
        task_id=spec.task_id,
        retry_count=attempt,
        origin_run_id=plan.origin_run_id,
        namespace=plan.namespace,
        tags=tuple(plan.tags),
        username=plan.user or None,
        project=plan.project,
        card=CardCollector(
            cards,  # live cards go to a scheduler's /dflow page: none in this process
            spec.step,
            on_refresh=_live_cards(store, flow, addr, attempt) if address else None,
        ),
    )
    error: BaseException | None = None
    with capturing(sink), current._bind(bind), step_environment(env), step_dask() as dask_ctx:
        try:
            method = getattr(flow, spec.step)
            if node.takes_inputs:
                views = [
                    InputView(
                        p.step,
                        ArtifactTable(
                            store,
                            p.artifacts,
                            owner=f"{plan.flow_name}/{plan.run_id}/{p.step}/{p.task_id}",
                        ),
                        frame=p.frames[-1] if p.frames else None,
                    )
                    for p in parents
                ]
                call = lambda: method(Inputs(views))  # noqa: E731
            else:
                call = method
            _call_with_timeout(call, timeout, dask_ctx.slot) if timeout else call()
        except Exception as exc:  # the user's step failed: recorded, retried or caught
            error = exc
        info = replace(info, finished_at=time.time())
        if error is None:
            catch_var = decos["catch"].get("var") if "catch" in decos else None
            if catch_var:  # Metaflow: a step that did not fail has its @catch var set to None
                flow.__dict__[catch_var] = None
            try:  # under the step's Dask context: collections are written by the cluster
                result = _persist(
                    plan, store, flow, node, spec, addr, attempt, inherited, info, frames
                )
            except Exception as exc:  # a bad self.next, an unsaveable value, a storage failure
                error = exc
            else:
                return AttemptOutcome(result, None, sink, info, flow, frames)
    return AttemptOutcome(None, error, sink, info, flow, frames)


def _live_cards(store: Store, flow, addr: TaskAddress, attempt: int):
    """``current.card.refresh()``: render the cards with what the step has set so far,
    store the pages and tell the scheduler their keys (dflow.events, topic dflow-cards).

    The flow is held weakly: ``current``'s task info holds this function, and must not
    keep the task's values alive after the task.
    """
    flow_ref = weakref.ref(flow)

    def refresh(cards: list[dict]) -> None:
        flow = flow_ref()
        if flow is None:  # the task is over
            return
        values = {k: v for k, v in flow.__dict__.items() if not k.startswith("_")}
        saved = save_cards(store, cards, addr.pathspec, values)
        publish_card_event(addr.flow, addr.run_id, addr.step, addr.task_id, attempt, saved)

    return refresh


def foreach_frames(
    plan: RunPlan, store: Store, node: StepNode, spec: TaskSpec, parents: list[TaskResult]
) -> tuple:
    """The task's foreach stack: its parent's, less the foreach a join closes, plus the
    frame of the foreach this task is a child of."""
    frames = tuple(parents[0].frames) if parents else ()
    if node.takes_inputs and node.in_steps:
        enclosing = plan.graph[node.in_steps[0]].split_parents
        if enclosing and plan.graph[enclosing[-1]].transition == Transition.FOREACH and frames:
            frames = frames[:-1]
    if spec.foreach_item is not None:
        from dflow.engine.worker_cache import foreach_items

        items_ref, index = spec.foreach_item
        entries = foreach_items(store, items_ref)
        frames += ({"item": entries[index], "index": index, "count": len(entries)},)
    return frames


def _load_item(store: Store, entry: dict, index: int) -> Any:
    from dflow.store import ArtifactRef

    return store.load(ArtifactRef.from_dict(entry), name=f"foreach item {index}")


def _timeout_seconds(decos: dict) -> float:
    deco = decos.get("timeout")
    if deco is None:
        return 0.0
    return (
        float(deco.get("seconds", 0) or 0)
        + 60 * float(deco.get("minutes", 0) or 0)
        + (3600 * float(deco.get("hours", 0) or 0))
    )


def _call_with_timeout(call: Callable[[], Any], seconds: float, slot: TaskSlot) -> Any:
    """Run ``call`` in its own thread; past ``seconds`` fail the attempt and move on.

    The step's thread is sent an exception (it stops at its next Python instruction), and
    the worker thread is free at once either way, so the worker stays usable. On a Dask
    worker the task's thread only waits, so it leaves the thread pool meanwhile: Dask work
    made in the step's thread then runs on the cluster, even on a one-thread worker.
    """
    ctx = contextvars.copy_context()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = ctx.run(call)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="dflow-step", daemon=True)
    with slot_released(slot):
        thread.start()
        thread.join(seconds)
    if thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(StepInterrupted)
        )
        raise StepTimeoutError(f"step timed out after {seconds:g} s (@timeout)")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _check_next(flow, node: StepNode) -> Any:
    """The step's ``self.next`` call, when it is the one the graph says its source ends
    with (:attr:`StepNode.next_call`); DflowError otherwise."""
    call = flow.__dict__["_dflow_task"].next_call
    expected = node.next_call
    if expected is None:
        if call is not None:
            raise DflowError(f"step {node.name!r} is the end step and must not call self.next")
        return None
    if call is None:
        raise DflowError(
            f"step {node.name!r} finished without calling self.next",
            hint=f"end it with self.next(...) as written at line {node.next_line}",
        )
    if (call.targets, call.foreach) != (expected.targets, expected.foreach):
        raise DflowError(
            f"step {node.name!r} called self.next with {call.targets} but the flow's graph "
            f"says {node.out}: a step must always take the transition written at its end",
        )
    if call != expected:  # the same steps, another switch
        raise DflowError(
            f"step {node.name!r} called self.next with cases {dict(call.cases)} on "
            f"{call.condition!r} but the flow's graph says {dict(expected.cases)} on "
            f"{expected.condition!r}: a step must always take the transition written at its end",
        )
    return call


def _persist(
    plan: RunPlan,
    store: Store,
    flow,
    node: StepNode,
    spec: TaskSpec,
    addr: TaskAddress,
    attempt: int,
    inherited: dict,
    info: AttemptInfo,
    frames: tuple = (),
) -> TaskResult:
    _check_next(flow, node)
    if plan.code.kind == "snapshot":  # modules the step imported lazily, too
        from dflow.engine.worker_cache import register_snapshot_modules

        register_snapshot_modules()
    refs = dict(inherited)
    task = flow.__dict__["_dflow_task"]
    refs.update(task.merged)
    written = set_artifacts(flow)
    for name, value in written.items():
        ref = reused_ref(task, name, value)  # a lazy collection read and left unchanged
        refs[name] = ref if ref is not None else save_artifact(store, node.name, name, value)
    meta: dict[str, Any] = {"info": info.to_dict()}
    if frames:
        meta["frames"] = list(frames)
    foreach = switch_to = None
    if node.transition == Transition.FOREACH:
        items = list(getattr(flow, node.foreach_var))
        if not items:
            raise DflowError(
                f"step {node.name!r} has foreach={node.foreach_var!r} over an empty sequence",
                hint="a foreach needs at least one item",
            )
        if plan.max_num_splits and len(items) > plan.max_num_splits:
            raise DflowError(
                f"step {node.name!r}: foreach over {len(items)} items is more than "
                f"--max-num-splits {plan.max_num_splits}",
                hint="raise --max-num-splits (max_num_splits= from Python)",
            )
        items_ref = store.save([store.save(item).to_dict() for item in items])
        foreach = (items_ref, len(items))
        meta["foreach"] = {"items": items_ref.to_dict(), "count": len(items)}
    elif node.transition == Transition.SWITCH:
        value = getattr(flow, node.switch_var)
        cases = dict(node.switch_cases)
        if value not in cases:
            raise DflowError(
                f"switch in step {node.name!r}: {node.switch_var}={value!r} matches no case "
                f"(cases: {sorted(map(str, cases))})"
            )
        switch_to = cases[value]
        meta["switch_to"] = switch_to
    if flow.__dict__.get("_dflow_cards"):
        meta["cards"] = save_cards(store, flow.__dict__["_dflow_cards"], addr.pathspec, written)
    record = info.finished(info.finished_at or time.time()).to_dict()
    manifest = store.commit_attempt(addr, attempt, refs, meta, written=written, record=record)
    return TaskResult(
        step=spec.step,
        task_id=spec.task_id,
        attempt=attempt,
        artifacts=manifest.artifacts,
        foreach=foreach,
        switch_to=switch_to,
        frames=tuple(frames),
    )
