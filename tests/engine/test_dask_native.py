"""Steps that use the cluster they run on, runs inside Dask tasks, a run as a Dask
collection, and retries that wait without holding a worker slot (issues 10 and 11.10)."""

from __future__ import annotations

import threading
import time

import dask
import pytest
from dask.base import tokenize
from dask.utils import key_split
from runkit import FLOWS, artifacts, flow_class, run, wait_for

from dflow.errors import DflowError, ParameterError
from dflow.store import TaskAddress, open_store

FILE = "dask_native.py"


def test_on_sync_current_client_is_none_and_dask_work_runs_locally(store_url):
    result = run(flow_class("ComputeFlow", FILE), store_url)
    assert result.successful, result.error
    found = artifacts(store_url, result, "start")
    assert found["total"] == 400 * 400
    assert found["client_type"] is None and found["chunk_workers"] == []


def test_a_delayed_runs_token_follows_code_and_parameters(store_url):
    flow = flow_class("AlphaFlow", FILE)
    one = flow.delayed(alpha=1, store=store_url)
    assert tokenize(one) == tokenize(flow.delayed(alpha=1.0, store=store_url))
    assert tokenize(one) == tokenize(flow.delayed(store=store_url))  # alpha's default is 1.0
    assert one.key == flow.delayed(alpha=1, store=store_url).key
    assert tokenize(one) != tokenize(flow.delayed(alpha=2, store=store_url))
    assert tokenize(one) != tokenize(flow.delayed(alpha=1, store=store_url + "-other"))
    assert key_split(one.key) == "AlphaFlow.run"
    assert list(one.__dask_graph__()) == one.__dask_keys__() == [one.key]


def test_a_delayed_run_checks_its_keywords_at_once_and_draws_its_steps(store_url):
    flow = flow_class("AlphaFlow", FILE)
    with pytest.raises(ParameterError, match="no parameter or run option 'beta'"):
        flow.delayed(beta=1)
    with pytest.raises(ParameterError):
        flow.delayed(alpha="not a number")
    dot = flow.delayed(store=store_url).dot()
    assert dot.startswith('digraph "AlphaFlow"') and '"start" -> "end"' in dot
    try:
        import graphviz
    except ImportError:
        with pytest.raises(DflowError, match="needs the graphviz Python package"):
            flow.delayed(store=store_url).visualize()
    else:
        assert isinstance(flow.delayed(store=store_url).visualize(), graphviz.Source)


def test_a_delayed_run_computes_to_a_client_run_in_process(store_url):
    flow = flow_class("AlphaFlow", FILE)
    (one,) = dask.compute(flow.delayed(alpha=3, store=store_url, scheduler="sync"))
    assert one.successful and one["start"].task.data.double == 6.0


def test_a_stored_collection_read_and_left_unchanged_is_not_written_again(store_url):
    from dask.callbacks import Callback

    written: list[str] = []

    class Writes(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):
            if key_split(key).startswith("dflow-write-chunk"):
                written.append(key_split(key))

    with Writes():
        result = run(flow_class("KeptLazyFlow", FILE), store_url)
    assert result.successful, result.error
    store = open_store(store_url)
    start, use = (
        store.latest_commit(TaskAddress(result.flow_name, result.run_id, s, "0")).artifacts
        for s in ("start", "use")
    )
    assert use["x"] == start["x"] and use["y"].key != start["y"].key
    assert len(written) == 4 + 4 + 4  # x and y in start, the changed y in use: never x again
    assert artifacts(store_url, result, "end")["total"] == sum(range(400)) - 1


@pytest.mark.cluster
def test_a_steps_compute_uses_every_worker_and_current_client(scheduler, store_url):
    result = run(flow_class("ComputeFlow", FILE), store_url, scheduler=scheduler)
    assert result.successful, result.error
    found = artifacts(store_url, result, "start")
    from distributed import Client

    with Client(scheduler) as client:
        workers = set(client.scheduler_info()["workers"])
    assert len(workers) == 2 and set(found["chunk_workers"]) == workers
    assert found["total"] == 400 * 400 and found["submitted"] == 6
    assert found["client_type"] == "Client" and found["client_scheduler"] == scheduler


@pytest.mark.cluster
def test_issue_data_flow_on_the_cluster_stores_data_and_reads_it_lazily(scheduler, store_url):
    import dask.array as da
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client

    from dflow.client import ClientContext, Flow

    result = run(flow_class("IssueDataFlow", FILE), store_url, scheduler=scheduler)
    assert result.successful, result.error
    use = artifacts(store_url, result, "use")
    # the next step got lazy collections over the store: no task of the original graphs
    assert use["kinds"] == [
        "dask.array.core.Array",
        "pandas.DataFrame",
        "dask.dataframe.dask_expr._collection.DataFrame",
    ]
    assert not any("random" in t for t in use["x_tasks"]), use["x_tasks"]
    assert not any("from_pandas" in t or "frompandas" in t for t in use["ddf_tasks"])
    assert use["on_cluster"] is True
    assert use["sums"] == {k: float(sum(range(k, 20_000, 3))) for k in range(3)}
    assert use["qty"] == sum(i % 11 for i in range(20_000))
    # the client, on a store opened untrusted (a pickle would be refused), reads lazily
    task = Flow("IssueDataFlow", ClientContext(store_url, namespace=None))[result.run_id]
    arts = task["start"].task.artifacts
    assert {n: arts[n].encoding for n in ("x", "df", "ddf")} == {
        "x": "dask-zarr",
        "df": "parquet",
        "ddf": "dask-parquet",
    }
    x, ddf, df_lazy = arts["x"].data, arts["ddf"].data, arts["df"].dask_dataframe()
    assert isinstance(x, da.Array) and x.shape == (1000, 1000) and x.chunks[0] == (250,) * 4
    assert isinstance(ddf, dd.DataFrame) and ddf.npartitions == 4 and ddf.known_divisions
    assert isinstance(df_lazy, dd.DataFrame)
    with Client(scheduler):  # the cluster's workers read the stored chunks themselves
        assert float(x.sum().compute()) == use["x_sum"]
        assert 0.49 < float(x[:250].mean().compute()) < 0.51  # only the first chunk read
        assert float(ddf.y.sum().compute()) == float(sum(range(20_000)))
    df = arts["df"].data
    assert isinstance(df, pd.DataFrame) and str(df["when"].dt.tz) == "UTC"
    pd.testing.assert_frame_equal(df_lazy.compute(), df)


@pytest.fixture(scope="module")
def one_slot():
    """A cluster of one worker process with one thread: any held slot deadlocks it."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            silence_logs=50,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.mark.cluster
def test_one_slot_a_timeout_step_computes_and_waits_on_futures(one_slot, store_url):
    address = one_slot.scheduler.address
    result = run(flow_class("TimeoutComputeFlow", FILE), store_url, scheduler=address)
    assert result.successful, result.error
    found = artifacts(store_url, result, "start")
    assert found == {"total": 200 * 200, "has_client": True, "submitted": 9}


@pytest.mark.cluster
def test_one_slot_flowcls_run_inside_a_dask_task_finishes(one_slot, store_url):
    from dflow.flowfile import load_flow

    spec = f"{FLOWS / FILE}:AlphaFlow"
    future = one_slot.submit(
        lambda: load_flow(spec).run(alpha=4, store=store_url, quiet=True).run_id, pure=False
    )
    run_id = future.result(timeout=120)
    record = open_store(store_url).read_run_record("AlphaFlow", run_id)
    assert record["status"] == "succeeded"
    assert record["scheduler"]["source"] == "worker"


@pytest.mark.cluster
def test_one_slot_dask_compute_of_three_delayed_runs(one_slot, store_url):
    flow = flow_class("AlphaFlow", FILE)
    runs = dask.compute(*[flow.delayed(alpha=a, store=store_url) for a in (1, 2, 3)])
    assert [r.successful for r in runs] == [True, True, True]
    assert [r["start"].task.data.double for r in runs] == [2.0, 4.0, 6.0]
    assert len({r.id for r in runs}) == 3
    future = one_slot.compute(flow.delayed(alpha=5, store=store_url))
    assert future.result(timeout=120)["start"].task.data.double == 10.0


@pytest.mark.cluster
def test_one_slot_a_retry_waits_without_holding_the_slot(one_slot, store_url):
    """While the failed attempt waits its 6 s, another task runs on the only thread."""
    address = one_slot.scheduler.address
    box: dict = {}
    runner = threading.Thread(
        target=lambda: box.update(
            result=run(flow_class("RetryWaitFlow", FILE), store_url, scheduler=address)
        )
    )
    runner.start()
    store = open_store(store_url)

    def first_attempt_failed() -> bool:
        try:
            (entry,) = store.list_runs("RetryWaitFlow")
            addr = TaskAddress("RetryWaitFlow", entry.run_id, "start", "0")
            return store.read_attempt_record(addr, 0)["status"] == "failed"
        except Exception:  # noqa: BLE001 - not written yet
            return False

    wait_for(first_attempt_failed, timeout=120, what="the first attempt's failure")
    ran_at = one_slot.submit(time.time, pure=False).result(timeout=120)
    runner.join(120)
    assert box["result"].successful, box["result"].error
    addr = TaskAddress("RetryWaitFlow", box["result"].run_id, "start", "0")
    assert ran_at < store.read_attempt_record(addr, 1)["started_at"]


class WorkerWatch:
    """Polls the scheduler while a block runs: each worker's peak memory (RSS), bytes it
    spilled to disk, and whether it was ever paused."""

    def __init__(self, client) -> None:
        self.client = client
        self.peak: dict[str, int] = {}
        self.spilled = 0
        self.statuses: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            for addr, info in self.client.scheduler_info(n_workers=-1)["workers"].items():
                metrics = info["metrics"]
                self.peak[addr] = max(self.peak.get(addr, 0), metrics["memory"])
                self.spilled = max(self.spilled, metrics["spilled_bytes"]["disk"])
                self.statuses.add(info["status"])

    def __enter__(self) -> WorkerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.cluster
@pytest.mark.timeout(2400)  # 2 GiB written and read back: minutes on a busy machine
def test_an_array_four_times_a_workers_memory_goes_start_next_step_client(store_url):
    import dask.array as da
    from distributed import Client, LocalCluster

    limit = 512 * 2**20  # a worker with dflow, zarr and pandas imported idles near 200 MiB
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=limit,
            dashboard_address="127.0.0.1:0",
            silence_logs=50,
        ) as cluster,
        Client(cluster) as client,
    ):
        workers = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
        with WorkerWatch(client) as watch:
            result = run(
                flow_class("BigArrayFlow", FILE),
                store_url,
                {"mib": 4 * 512},
                scheduler=cluster.scheduler_address,
            )
            assert result.successful, result.error
            x = result.run["start"].task.data.x  # lazy, over the stored zarr
            assert isinstance(x, da.Array) and x.nbytes == 4 * limit
            head = x[:2, :3].compute()  # a corner: only its chunk is read
        same = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
    reduce = result.run["reduce"].task.data
    assert reduce.rows == x.shape[0] and abs(reduce.mean - 0.5) < 1e-3
    assert head.shape == (2, 3)
    assert same == workers, "a worker was restarted"
    assert watch.statuses == {"running"}, watch.statuses
    assert watch.spilled == 0
    assert watch.peak and max(watch.peak.values()) < 0.8 * limit, watch.peak  # pause: 80%
    print("peak worker memory (MiB):", {a: p // 2**20 for a, p in watch.peak.items()})


def test_a_failing_chunk_on_a_cluster_fails_the_save_and_leaves_nothing(tmp_path, scheduler):
    import dask.array as da
    import numpy as np
    from distributed import Client

    def boom(block, block_info=None):
        if block_info[0]["chunk-location"] == (3,):
            raise ZeroDivisionError("chunk 3 is bad")
        return block

    store = open_store(str(tmp_path / "s"))
    x = da.arange(800, chunks=100, dtype="f8").map_blocks(boom, dtype="f8")
    with Client(scheduler) as client:
        with pytest.raises(ZeroDivisionError, match="chunk 3 is bad"):
            store.save(x)
        wait_for(lambda: not client.who_has(), 30, "the failed save's keys to be released")
        ref = store.save(da.arange(800, chunks=100, dtype="f8"))
        assert ref.encoding == "dask-zarr"
    assert not list((tmp_path / "s").glob("tmp/*"))
    assert len(list((tmp_path / "s" / "arrays").glob("*/*"))) == 1
    np.testing.assert_array_equal(store.load(ref).compute(), np.arange(800, dtype="f8"))
