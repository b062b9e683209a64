"""Start a run: validate, snapshot code and parameters, choose where to run, drive it,
and record how it went. Used by ``dflow run``, ``python flow.py run`` and
``FlowSpec.run()`` alike."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Mapping
from typing import Any

from dflow.config import user_name
from dflow.config_spec import prepare_configs
from dflow.decorators import parse_with_spec
from dflow.engine.credentials import provided_in_process, publish
from dflow.engine.driver import Driver, RunFailed
from dflow.engine.heartbeat import heartbeat
from dflow.engine.options import RunOptions, RunResult, split_keywords
from dflow.engine.packages import check_packages
from dflow.engine.progress import Progress, say
from dflow.engine.resources import check_resources
from dflow.engine.targets import open_target
from dflow.engine.task import TaskFailure
from dflow.errors import ErrorRecord
from dflow.events import publish_run_event
from dflow.flowfile import flow_source_file
from dflow.graph import validate
from dflow.graph.record import graph_to_record
from dflow.parameters import resolve_parameters
from dflow.plan import CodeRef, RunPlan
from dflow.project import project_info
from dflow.store import ArtifactRef, Store, open_store
from dflow.store.runids import claim_run_id
from dflow.store.tags import check_tag
from dflow.version import __version__


def _code_ref(flow_cls: type, store: Store, in_process: bool) -> tuple[CodeRef, str | None]:
    """How workers get the class, and the code snapshot key recorded with the run."""
    path = flow_source_file(flow_cls)
    snapshot = store.save_code(path.parent, path) if path is not None else None
    if in_process:  # the class itself runs; the snapshot (and where from) is recorded
        where = (path.name, str(path.parent)) if path is not None else ("", "")
        return CodeRef("local", "", where[0], flow_cls.__name__, where[1]), snapshot
    if snapshot is not None:
        return CodeRef(
            "snapshot", snapshot, path.name, flow_cls.__name__, str(path.parent)
        ), snapshot
    import cloudpickle  # a class defined in a notebook: shipped by value

    key = store.put_bytes(cloudpickle.dumps(flow_cls))
    return CodeRef("pickle", key, "", flow_cls.__name__), None


def _plain_value(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    return repr(value)


def run_flow(
    flow_cls: type, params: Mapping[str, Any] | None = None, options: RunOptions | None = None
) -> RunResult:
    """Run a flow class to its end and return how it went."""
    options = options or RunOptions()
    config_values = prepare_configs(flow_cls, options.configs)
    graph = validate(flow_cls)
    store = open_store(options.store, options.store_options)
    if options.origin_record is not None:
        origin = options.origin_record
        values = dict(origin.get("parameters") or {})
        param_refs = {k: ArtifactRef.from_dict(v) for k, v in origin["parameter_refs"].items()}
    else:
        values = resolve_parameters(
            flow_cls, dict(params or {}), from_cli=options.parameters_from_cli
        )
        values.update(config_values)  # self.<config> reads it like a parameter
        param_refs = {name: store.save(v) for name, v in values.items()}
    extra = tuple(parse_with_spec(text) for text in options.with_decorators)
    for tag in options.tags:  # refused before anything is written
        check_tag(tag)
    user = user_name()
    project = project_info(flow_cls, user, options.branch, options.production)
    attrs = dict(flow_cls._dflow_parameters())
    param_attrs = {p.name: attr for attr, p in attrs.items()}
    with open_target(options.scheduler, options.max_workers) as target:
        code, snapshot = _code_ref(flow_cls, store, target.executor.in_process)
        check_resources(graph, extra, target.executor.worker_resources)
        check_packages(graph, flow_cls, target.executor)
        # exclusive, so ids never collide; claimed once nothing can refuse the run
        run_id = claim_run_id(store, graph.flow_name)
        plan = RunPlan(
            flow_name=graph.flow_name,
            run_id=run_id,
            graph=graph,
            store_url=store.url,
            store_options={},  # never in the plan: see dflow.engine.credentials
            code=code,
            parameters=param_refs,
            param_attrs=param_attrs,
            tags=tuple(options.tags),
            user=user,
            namespace=f"user:{user}",
            origin_run_id=options.origin_run_id,
            extra_decorators=extra,
            echo_logs=target.executor.in_process and not options.quiet,
            log_topic="" if target.executor.in_process or options.quiet else f"dflow-logs-{run_id}",
            reuse=dict(options.reuse),
            max_num_splits=options.max_num_splits,
            project=project,
            local_class=flow_cls if target.executor.in_process else None,
        )
        record = {
            "flow": graph.flow_name,
            "run_id": run_id,
            "status": "running",
            "user": user,
            "tags": sorted(options.tags),
            "namespace": plan.namespace,
            "parameters": {k: _plain_value(v) for k, v in values.items()},
            "parameter_refs": {k: r.to_dict() for k, r in plan.parameters.items()},
            "created_at": time.time(),
            "finished_at": None,
            "code_key": snapshot,
            "code_file": code.module_path or None,
            # where the snapshot's files came from (the driver's folder and host)
            "code_root": code.source_root or None,
            "origin_run_id": options.origin_run_id,
            "scheduler": {
                "source": target.source,
                "address": target.address,
                "dashboard": target.dashboard_link,
            },
            "host": platform.node(),
            "versions": _versions(),
            "with": list(options.with_decorators),
            "project": project,
            "graph": graph_to_record(graph),
        }
        store.write_run_record(graph.flow_name, run_id, record)
        # Tags live in their own objects (tagging never rewrites run.json); run.json keeps
        # the tags the run started with.
        store.add_run_tags(graph.flow_name, run_id, options.tags)
        if options.attribute_file:
            _write_attributes(options.attribute_file, graph.flow_name, run_id, store)
        if not options.quiet:
            if target.executor.in_process:
                say(
                    f"Run {graph.flow_name}/{run_id} started in this process (sync: no Dask "
                    f"dashboard; follow it with 'dflow runs {graph.flow_name}' and "
                    f"'dflow report {graph.flow_name}/{run_id}'); store {store.url}"
                )
            else:
                say(
                    f"Run {graph.flow_name}/{run_id} started on {target.source} "
                    f"({target.address}); store {store.url}"
                )
            if target.dashboard_link:
                say(f"Dask dashboard: {target.dashboard_link}")
        return _drive(plan, target, store, record, options)


def _write_attributes(path: str, flow: str, run_id: str, store: Store) -> None:
    import json
    import os

    doc = {"flow_name": flow, "run_id": run_id, "store_url": store.url}
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(doc, out)
    os.replace(tmp, path)  # a reader sees the whole file or none


def _drive(plan: RunPlan, target, store: Store, record: dict, options: RunOptions) -> RunResult:
    executor = target.executor
    # In-process runs echo every line of output as it comes: that is their progress.
    quiet = options.quiet or executor.in_process
    progress = Progress(enabled=False if quiet else options.progress)
    if plan.log_topic:
        executor.client.subscribe_topic(
            plan.log_topic, lambda event: _print_log_event(event, progress)
        )
    client = getattr(executor, "client", None)
    steps = list(plan.graph.names)
    totals: dict[str, int] = {}

    def on_progress(step: str, done: int, total: int) -> None:
        progress.update(step, done, total)
        if totals.get(step) != total:  # a step's task count grew: tell the dashboard
            totals[step] = total
            publish_run_event(
                client, plan.flow_name, plan.run_id, "running", store.url, steps, totals=totals
            )

    driver = Driver(
        plan,
        executor,
        batch_size=options.batch_size,
        slots=target.slots,
        on_progress=on_progress,
    )
    publish_run_event(
        client, plan.flow_name, plan.run_id, "running", store.url, steps, record.get("graph")
    )
    error = None
    interrupted: BaseException | None = None
    try:
        with (
            heartbeat(store, plan.flow_name, plan.run_id),
            provided_in_process(store.url, store.options),
        ):
            if client is not None:
                publish(client, store.url, store.options)
            driver.run()
    except RunFailed as failed:
        error = _describe(failed.error)
    except BaseException as exc:  # Ctrl-C, a lost scheduler, a defect: record, then re-raise
        interrupted = exc
        error = _describe(exc)
        executor.cancel_all()
    finally:
        progress.clear()
        if plan.log_topic:
            executor.client.unsubscribe_topic(plan.log_topic)
    status = "failed" if error else "succeeded"
    record.update(
        status=status,
        finished_at=time.time(),
        error=error.to_dict() if error else None,
        tasks={s: driver.done.get(s, 0) for s in driver.submitted},
    )
    record["duration"] = record["finished_at"] - record["created_at"]
    store.write_run_record(plan.flow_name, plan.run_id, record)
    publish_run_event(client, plan.flow_name, plan.run_id, status, store.url, steps)
    if interrupted is not None:
        raise interrupted
    if not options.quiet:
        if error:
            say(f"Step {error.task or '?'} failed:\n{error.traceback.rstrip()}")
        say(f"Run {plan.flow_name}/{plan.run_id} {status} in {record['duration']:.1f} s")
    return RunResult(
        plan.flow_name, plan.run_id, status, store.url, error, dict(store.options) or None
    )


def _describe(error: BaseException) -> ErrorRecord:
    if isinstance(error, TaskFailure):
        return error.error.at(error.pathspec, error.attempt)
    import traceback

    # Not a step's failure: the scheduler gave up on a task (KilledWorker), a cancelled
    # run, or a defect in dflow itself. Show all of it.
    return ErrorRecord(
        type=type(error).__qualname__,
        message=str(error),
        traceback="".join(traceback.format_exception(error)),
        task=str(getattr(error, "task", None) or getattr(error, "key", None) or "?"),
    )


def _print_log_event(event: tuple, progress: Progress) -> None:
    _, msg = event
    progress.clear()
    stream = sys.stdout if msg.get("stream") == "stdout" else sys.stderr
    attempt = msg.get("attempt") or 0
    prefix = f"[{msg['task']} (attempt {attempt})]" if attempt else f"[{msg['task']}]"
    stream.write("".join(f"{prefix} {line}\n" for line in msg.get("lines", ())))
    stream.flush()


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {"dflow": __version__, "python": platform.python_version()}
    for package in ("dask", "distributed", "zarr", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def run_class(
    flow_cls: type, params: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
) -> RunResult:
    """``FlowSpec.run(params, **kwargs)``: keywords are parameters or run options."""
    given, opts = split_keywords(flow_cls, kwargs)
    given.update(params or {})
    return run_flow(flow_cls, given, RunOptions(**opts))
