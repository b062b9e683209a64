"""Runs on a real Dask cluster: placement, keys, sessions, logs, batching, code shipping."""

from __future__ import annotations

import shutil
import uuid

import pytest
from dask.utils import key_split
from distributed import Client, LocalCluster, get_task_stream
from runkit import FLOWS, artifacts, flow_class, run

from dflow.errors import ResourceUnavailableError
from dflow.flowfile import load_flow
from dflow.store import TaskAddress, open_store

pytestmark = pytest.mark.cluster


def test_tasks_run_on_the_clusters_workers_under_readable_keys(scheduler, store_url):
    with Client(scheduler) as client:
        workers = set(client.scheduler_info()["workers"])
        with get_task_stream(client) as stream:
            result = run(flow_class("WhereFlow"), store_url, scheduler=scheduler)
    assert result.status == "succeeded", result.error
    used = artifacts(store_url, result, "join")["workers"]
    assert used and set(used) <= workers
    groups = {key_split(t["key"]) for t in stream.data}
    assert {"WhereFlow.start", "WhereFlow.work", "WhereFlow.join", "WhereFlow.end"} <= groups
    record = open_store(store_url).read_attempt_record(
        TaskAddress(result.flow_name, result.run_id, "work", "0"), 0
    )
    assert record["worker"] in workers


def test_a_users_client_session_is_used_and_left_open(scheduler, store_url):
    with Client(scheduler) as client:
        result = run(flow_class("WhereFlow"), store_url, scheduler=None)
        assert result.status == "succeeded", result.error
        record = open_store(store_url).read_run_record(result.flow_name, result.run_id)
        assert record["scheduler"]["source"] == "session"
        assert client.status == "running"
        assert client.submit(sum, [1, 2]).result() == 3


def test_each_tasks_logs_are_its_own_when_threads_share_a_worker(scheduler, store_url):
    result = run(
        flow_class("WideForeachFlow"),
        store_url,
        {"n": 12, "lines": 30},
        scheduler=scheduler,
        batch_size=1,
    )
    assert result.status == "succeeded", result.error
    store = open_store(store_url)
    for i in range(12):
        log = store.read_log(
            TaskAddress(result.flow_name, result.run_id, "work", str(i)), 0, "stdout"
        ).decode()
        lines = log.splitlines()
        assert len(lines) == 30
        assert all(line.startswith(f"item {i} line") for line in lines), log[:200]


def test_large_foreach_is_batched_but_keeps_per_task_records(scheduler, store_url):
    result = run(
        flow_class("WideForeachFlow"), store_url, {"n": 300, "lines": 1}, scheduler=scheduler
    )
    assert result.status == "succeeded", result.error
    assert artifacts(store_url, result, "join")["squares"] == [i * i for i in range(300)]
    store = open_store(store_url)
    tasks = store.list_tasks(result.flow_name, result.run_id, "work")
    assert len(tasks) == 300
    addr = TaskAddress(result.flow_name, result.run_id, "work", "299")
    assert store.read_log(addr, 0, "stdout") == b"item 299 line 0\n"
    assert store.read_attempt_record(addr, 0)["status"] == "succeeded"


def test_a_flow_file_the_workers_never_saw_runs_from_its_snapshot(scheduler, store_url, tmp_path):
    name = f"only_here_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(FLOWS / "behaviours.py", folder / f"{name}.py")
    cls = load_flow(f"{folder / name}.py:MergeFlow")
    result = run(cls, store_url, scheduler=scheduler)
    assert result.status == "succeeded", result.error
    record = open_store(store_url).read_run_record(result.flow_name, result.run_id)
    assert record["code_key"] and record["code_file"] == f"{name}.py"


def test_a_timed_out_step_leaves_the_worker_usable(scheduler, store_url):
    result = run(flow_class("TimeoutFlow"), store_url, {"seconds": 3.0}, scheduler=scheduler)
    assert result.status == "failed" and "timed out" in result.error.message
    again = run(flow_class("WideForeachFlow"), store_url, {"n": 8, "lines": 1}, scheduler=scheduler)
    assert again.status == "succeeded", again.error


def test_resources_no_worker_offers_fail_before_any_task(scheduler, store_url):
    with pytest.raises(ResourceUnavailableError, match="GPU"):
        run(flow_class("ResourcesFlow"), store_url, scheduler=scheduler)
    assert open_store(store_url).list_flows() == []


def test_environment_does_not_leak_into_tasks_beside_it(store_url):
    with LocalCluster(
        n_workers=1, threads_per_worker=4, processes=False, dashboard_address=":0"
    ) as cluster:
        result = run(
            flow_class("EnvBesideFlow", "threads.py"),
            store_url,
            scheduler=cluster.scheduler_address,
        )
    assert result.status == "succeeded", result.error
    join = artifacts(store_url, result, "join")
    assert join["left_saw"] == "secret"
    assert join["right_saw"] == [None]
    store = open_store(store_url)
    left, right = (
        store.read_attempt_record(TaskAddress(result.flow_name, result.run_id, name, "0"), 0)
        for name in ("left", "right")
    )
    # the test means something only when the two steps ran at the same time
    assert left["started_at"] < right["finished_at"] and right["started_at"] < left["finished_at"]


def test_every_good_zoo_flow_runs_inside_a_users_client_session(scheduler, store_url, monkeypatch):
    from zoo import GOOD_FLOWS, ZOO_DIR, load_zoo

    monkeypatch.chdir(ZOO_DIR)  # the parameters flow includes a file by relative path
    with Client(scheduler) as client:
        for name in sorted(GOOD_FLOWS):
            cls = load_zoo(name)
            params = {"seed": 1} if name == "good_parameters.py" else {}
            result = cls.run(store=store_url, quiet=True, **params)
            assert result.successful, (name, result.error)
            assert (
                open_store(store_url).read_run_record(result.flow_name, result.run_id)["scheduler"][
                    "source"
                ]
                == "session"
            )
        assert client.status == "running"


def test_loops_in_foreach_children_on_the_shared_cluster(scheduler, store_url):
    """Each foreach child loops on its own (a switch back to an earlier step), on real
    workers: every pass a task of its own, the join sees each child's last pass."""
    from zoo import load_zoo

    result = load_zoo("good_loop_back.py").run(store=store_url, scheduler=scheduler, quiet=True)
    assert result.successful, result.error
    run = result.run
    assert run["join"].task.data.values == [32, 20, 40]
    assert sorted(t.id for t in run["check"]) == sorted(
        ["0_0", "0_1", "0_2", "0_3", "0_4", "1_0", "1_1", "2_0"]
    )
    assert {t.data.rounds for t in run["grow"] if t.id.startswith("0_")} == {1, 2, 3, 4, 5}
