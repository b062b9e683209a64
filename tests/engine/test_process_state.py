"""What a run leaves behind in a process: nothing, unless a dflow worker owns the process.

A ``--scheduler sync`` run puts ``sys.stdout``, ``sys.stderr`` and ``os.environ`` back
exactly as they were; on a Dask cluster the dflow worker plugin installs the capture and
the ``@environment`` overlay on each worker and undoes them on teardown; the worker's
caches are one bounded :class:`WorkerCache` owned by that plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from distributed import Client, LocalCluster
from runkit import artifacts, flow_class, run

from dflow.engine.capture import _Dispatcher
from dflow.engine.launch import RunOptions, run_flow
from dflow.engine.worker_cache import WorkerCache
from dflow.engine.worker_plugin import PLUGIN_NAME


def _process_state():
    return sys.stdout, sys.stderr, os.environ, dict(os.environ)


def _same_objects(after, before) -> bool:
    return all(a is b for a, b in zip(after[:3], before[:3], strict=True))


def test_a_sync_run_leaves_streams_and_environment_exactly_as_they_were(store_url):
    before = _process_state()
    options = RunOptions(store=store_url, scheduler="sync")  # not quiet: logs echoed too
    result = run_flow(flow_class("EnvironmentFlow"), {}, options)
    assert result.status == "succeeded", result.error
    assert artifacts(store_url, result, "start")["inside"] == "on"  # the overlay did work
    after = _process_state()
    assert after[0] is before[0] and after[1] is before[1] and after[2] is before[2]
    assert after[3] == before[3]
    assert type(os.environ).__module__ == "os"


def test_a_failing_sync_run_restores_them_too(store_url):
    before = _process_state()
    result = run(flow_class("FailFlow"), store_url)
    assert result.status == "failed"
    after = _process_state()
    assert _same_objects(after, before)


RELEASE = """
import gc, sys
gc.disable()  # only reference counting frees a finished task's values, as it should
from runkit import artifacts, flow_class, run
if sys.argv[2] == "sync":
    result = run(flow_class("ReleaseFlow"), sys.argv[1])
else:  # a worker in this process (its tasks have a worker address: live cards)
    from distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:
        result = run(flow_class("ReleaseFlow"), sys.argv[1], scheduler=cluster.scheduler_address)
assert result.status == "succeeded", result.error
seen = artifacts(sys.argv[1], result, "check")
print(seen["array_alive"], seen["flow_alive"])
"""


@pytest.mark.parametrize("where", ["sync", "cluster"])
def test_a_finished_tasks_flow_and_values_are_freed_before_the_next_task(store_url, where):
    # A fresh interpreter, so that zarr's I/O loop is first made inside a task (the loop
    # would keep that task's context, and through current.card its flow and values, for
    # the process's life), and the cyclic collector is off (a cycle through the flow
    # would keep them until it ran: the first task's 512 MiB array beside the next one's).
    tests = str(Path(__file__).parent.parent)  # runkit
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-c", RELEASE, store_url, where],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2:] == ["False", "False"]


@pytest.mark.cluster
def test_the_worker_plugin_patches_in_process_workers_and_undoes_it_on_teardown(store_url):
    before = _process_state()
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        result = run(flow_class("EnvironmentFlow"), store_url, scheduler=cluster.scheduler_address)
        assert result.status == "succeeded", result.error
        assert isinstance(sys.stdout, _Dispatcher) and isinstance(sys.stderr, _Dispatcher)
        with Client(cluster) as client:
            plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
        assert all(PLUGIN_NAME in names for names in plugins.values())
    after = _process_state()
    assert _same_objects(after, before)
    assert after[3] == before[3]


@pytest.mark.cluster
def test_each_worker_has_one_cache_owned_by_the_plugin(scheduler, store_url):
    result = run(flow_class("EnvironmentFlow"), store_url, scheduler=scheduler)
    assert result.status == "succeeded", result.error

    def cache_of(dask_worker):
        return type(dask_worker.plugins["dflow"].cache).__name__

    with Client(scheduler) as client:
        assert set(client.run(cache_of).values()) == {"WorkerCache"}


def test_the_worker_cache_keeps_only_its_most_recent_entries(tmp_path):
    from dflow.store import open_store

    store = open_store(str(tmp_path / "store"))
    cache = WorkerCache(items=2)
    refs = [store.save([i, i + 1]) for i in range(3)]
    for ref in refs:
        assert cache.foreach_items(store, ref) == [refs.index(ref), refs.index(ref) + 1]
    assert list(cache._items) == [refs[1].key, refs[2].key]
    cache.close()
    assert not cache._items
