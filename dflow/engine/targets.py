"""Where a run executes, chosen at the edge, in this order:

1. an explicit scheduler (``--scheduler``, ``scheduler=``): an address, or ``sync`` to run
   every task in this process;
2. ``DFLOW_SCHEDULER`` / ``dask.config`` ``dflow.scheduler``;
   inside a task on a Dask worker (``client.submit(lambda: F.run())``, a step that runs a
   flow, ``F.delayed()``), a run with no scheduler or that worker's own scheduler is
   driven through ``distributed.worker_client``: the task leaves the worker's thread
   pool while it waits, so it never deadlocks, even on one worker with one thread;
3. the client of the current Dask session, which is used and never closed;
4. the cluster that ``dflow cluster up`` recorded;
5. else a ``LocalCluster`` started for the run (worker processes, one per core) and
   closed after it. The run starts on it as soon as its scheduler is up; the workers
   join while it writes its records and submits its first tasks (see
   :func:`_local_cluster`). The command line starts it even earlier, before it loads
   the engine (:func:`local_cluster_started_early`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from dflow import config
from dflow.errors import SchedulerError


@dataclass(frozen=True)
class Target:
    """The executor chosen for a run and how it was found (for the run record)."""

    executor: object
    source: str  # "sync", "address", "worker", "session", "cluster", "local"
    address: str
    dashboard_link: str | None
    slots: int  # task slots (worker threads), to size the units of a foreach


def _slots(client) -> int:
    info = client.scheduler_info(n_workers=-1)
    return max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))


def _current_client():
    from distributed import Client

    try:
        return Client.current(allow_global=True)
    except ValueError:
        return None


def _worker_scheduler() -> str | None:
    """The scheduler's address when called inside a task on a Dask worker, else None."""
    try:
        from distributed import get_worker

        return get_worker().scheduler.address
    except (ImportError, ValueError):
        return None


def _dashboard(client) -> str | None:
    try:
        return client.dashboard_link
    except Exception:  # noqa: BLE001 - no dashboard is not an error
        return None


def _connect(address: str):
    from distributed import Client

    security = None
    with contextlib.suppress(ImportError):
        from dflow.cluster.record import load_record

        record = load_record()
        if record is not None and record.address == address:
            security = record.to_security()
    try:
        return Client(address, timeout="10s", security=security)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address}: {exc}",
            hint="check the address, or start one with `dflow cluster up`",
        ) from None


def _machine_memory_mb() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 4096
    return int(total / 2**20)


@contextlib.contextmanager
def open_target(scheduler: str | None = None, max_workers: int | None = None) -> Iterator[Target]:
    """Choose and open the executor of a run; close what this call started."""
    from dflow.engine.executors import DaskExecutor, SyncExecutor

    scheduler = config.get("scheduler", override=scheduler)
    if scheduler == "sync":
        yield Target(SyncExecutor(), "sync", "sync", None, 1)
        return
    worker_scheduler = _worker_scheduler()
    if worker_scheduler is not None and scheduler in (None, "", worker_scheduler):
        from distributed import worker_client

        with worker_client() as client:
            yield Target(
                DaskExecutor(client), "worker", worker_scheduler, _dashboard(client), _slots(client)
            )
        return
    if scheduler:
        client = _connect(scheduler)
        try:
            yield Target(
                DaskExecutor(client), "address", scheduler, client.dashboard_link, _slots(client)
            )
        finally:
            client.close()
        return
    if "cluster" in _EARLY:  # the run's own, started early (its client is the current one)
        yield _local_target(_EARLY["cluster"])
        return
    client = _current_client()
    if client is not None:
        yield Target(
            DaskExecutor(client),
            "session",
            client.scheduler.address,
            client.dashboard_link,
            _slots(client),
        )
        return
    record = None
    with contextlib.suppress(ImportError):
        from dflow.cluster.record import active_cluster, connect

        record = active_cluster()
    if record is not None:
        client = connect(record)
        try:
            yield Target(
                DaskExecutor(client),
                "cluster",
                record.address,
                client.dashboard_link,
                _slots(client),
            )
        finally:
            client.close()
        return
    with _local_cluster(max_workers) as own:
        yield _local_target(own)


def _local_target(own: tuple) -> Target:
    from dflow.engine.executors import DaskExecutor

    client, started, workers = own
    return Target(
        DaskExecutor(client, starting=started),
        "local",
        client.scheduler.address,
        client.dashboard_link,
        workers,  # one thread each
    )


#: The run's own cluster when the command line started it before the run (``cluster``).
_EARLY: dict[str, tuple] = {}


@contextlib.contextmanager
def local_cluster_started_early(max_workers: int | None) -> Iterator[None]:
    """Start the run's own cluster now, for the run started inside this block, which
    uses it when it would start one (the embedded default); closed on leaving.

    The command line starts it before it imports the engine and validates the flow, so
    the workers join meanwhile.
    """
    with _local_cluster(max_workers) as own:
        _EARLY["cluster"] = own
        try:
            yield
        finally:
            _EARLY.pop("cluster", None)


#: What the run's own scheduler preloads: the /dflow page.
_PRELOAD = ("dflow.dashboard",)


@contextlib.contextmanager
def _local_cluster(max_workers: int | None) -> Iterator[tuple[Any, Future, int]]:
    """The run's own cluster: yields its client at once, while its workers still start.

    The scheduler starts first (its web server listens, so the dashboard link works
    from the start; Dask's Bokeh pages connect on their first visit,
    :mod:`dflow.dashboard.deferred`), then the worker processes, in the background:
    the run registers its plugin, writes its records and submits its first tasks
    meanwhile, and the first task starts when the first worker has joined. Yields
    ``(client, started, workers)``: ``started`` is done once every worker has started,
    and raises what stopped one from starting.
    """
    from distributed import Client, LocalCluster

    workers = int(config.get("max-workers", override=max_workers) or os.cpu_count() or 1)
    # On one machine @resources is a gate: a step runs if this machine could run it. Each
    # worker (one thread, so one task at a time) offers the machine's cores and memory (MB).
    resources = {"CPU": os.cpu_count() or 1, "MEMORY": _machine_memory_mb()}
    scheduler_kwargs: dict[str, Any] = {"preload": [*_PRELOAD]}
    if importlib.util.find_spec("bokeh") is not None:
        scheduler_kwargs = {"dashboard": False, "preload": [*_PRELOAD, "dflow.dashboard.deferred"]}
    cluster = LocalCluster(
        n_workers=0,
        threads_per_worker=1,
        processes=True,
        resources=resources,
        host="127.0.0.1",  # scheduler, workers and nannies: this machine only
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.CRITICAL,
        scheduler_kwargs=scheduler_kwargs,
    )
    try:
        started = asyncio.run_coroutine_threadsafe(
            _start_workers(cluster, workers), cluster.loop.asyncio_loop
        )
        # by address: a Client of the cluster object would wait for its workers
        with Client(cluster.scheduler_address, loop=cluster.loop) as client:
            yield client, started, workers
    finally:
        cluster.close()


async def _start_workers(cluster: Any, count: int) -> None:
    """Start ``count`` workers of ``cluster``; raise what stops one from starting."""
    from dflow.engine.forkserver import worker_start_method

    with worker_start_method():  # forked from the forkserver if the CLI started it
        cluster.scale(count)  # queues the cluster's own _correct_state ...
        await cluster._correct_state()  # ... started here first: this awaits that task
