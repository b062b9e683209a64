"""A run's task index (dflow.store.taskindex): one listing and a few objects answer every
task's records, and anything changed, damaged or written since is read from the store."""

from __future__ import annotations

import json

import pytest
from layoutkit import commit_v1

from dflow.store import TaskAddress, open_store
from dflow.store.attempts import AttemptInfo
from dflow.store.commit_state import attempt_state, commit_damage, run_damage

FLOW, RUN = "IndexFlow", "1700000000000001"


#: Record files an indexed committed task has, by layout (layout 2: all in its DONE).
PER_TASK = {1: 3, 2: 1}


def _task(store, task_id: str, status: str = "succeeded") -> TaskAddress:
    t = TaskAddress(FLOW, RUN, "work", task_id)
    n = store.start_attempt(t)
    record = {"status": status, "started_at": 1.0 + int(task_id)}
    if status != "succeeded":
        store.write_attempt_record(t, n, record)
        return t
    artifacts, meta = {"x": store.save(int(task_id))}, {"i": int(task_id)}
    if store.layout == 1:
        commit_v1(store, t, n, artifacts, meta, record)
    else:
        store.commit_attempt(t, n, artifacts, meta, record=record)
    return t


def _indexed_run(store, n: int = 5) -> list[TaskAddress]:
    with store.records.journal.capture() as written:
        tasks = [_task(store, str(i)) for i in range(n)]
    store.write_task_index(FLOW, RUN, "work.0", written)
    return tasks


def _info(records, t: TaskAddress) -> AttemptInfo:
    return AttemptInfo.from_dict(records.read_attempt_record(t, 0), 0)


def _attempt_dir(t: TaskAddress) -> str:
    return f"flows/{FLOW}/runs/{RUN}/steps/{t.step}/{t.task_id}/0"


def _same_as_store(store, snap, t: TaskAddress) -> None:
    assert snap.list_attempts(t) == store.list_attempts(t)
    assert snap.read_attempt_record(t, 0) == store.read_attempt_record(t, 0)
    assert snap.latest_commit(t) == store.latest_commit(t)


@pytest.fixture(params=["file", "memory"])
def backend(request, tmp_path):
    if request.param == "file":
        yield str(tmp_path / "store")
        return
    import uuid

    import fsspec

    url = f"memory://taskindex-{uuid.uuid4().hex[:8]}"
    yield url
    if fsspec.filesystem("memory").exists(url.split("://")[1]):
        fsspec.filesystem("memory").rm(url.split("://")[1], recursive=True)


@pytest.fixture(params=[2, 1], ids=["layout2", "layout1"])
def store(request, backend):
    """A store on each backend whose tasks are committed in each layout (``.layout``)."""
    store = open_store(backend)
    store.layout = request.param
    return store


def test_the_index_answers_every_indexed_record_file(store):
    tasks = _indexed_run(store)
    snap = store.run_snapshot(FLOW, RUN)
    assert snap.files.indexed == PER_TASK[store.layout] * len(tasks)
    for t in tasks:
        _same_as_store(store, snap, t)
        assert attempt_state(snap, t, 0, _info(snap, t)) == "succeeded"
    assert snap.list_steps(FLOW, RUN) == ["work"]
    assert snap.list_tasks(FLOW, RUN, "work") == [str(i) for i in range(len(tasks))]


def test_a_unit_of_several_tasks_writes_one_index_and_never_overwrites_one(store):
    _indexed_run(store, 3)
    with store.records.journal.capture() as written:
        _task(store, "7")
    store.write_task_index(FLOW, RUN, "work.0", written)  # the same name: a second object
    names = store.io.ls(f"flows/{FLOW}/runs/{RUN}/taskindex")
    assert names == ["work.0.1.json", "work.0.json"]
    doc = json.loads(store.io.read(f"flows/{FLOW}/runs/{RUN}/taskindex/work.0.json"))
    assert doc["layout"] == 1
    names = ("DONE", "manifest.json", "record.json") if store.layout == 1 else ("DONE",)
    assert sorted(doc["files"]) == sorted(
        f"steps/work/{i}/0/{name}" for i in range(3) for name in names
    )


def test_tasks_written_after_the_index_are_read_from_the_store(store):
    _indexed_run(store, 2)
    late = _task(store, "2", status="running")  # running: not indexed yet
    failed = _task(store, "3", status="failed")
    snap = store.run_snapshot(FLOW, RUN)
    assert snap.files.indexed == 2 * PER_TASK[store.layout]
    assert snap.list_tasks(FLOW, RUN, "work") == ["0", "1", "2", "3"]
    for t in (late, failed):
        _same_as_store(store, snap, t)
    assert snap.read_attempt_record(failed, 0)["status"] == "failed"


def _damage(store, rel: str, how: str) -> None:
    if how == "DONE deleted":
        store.io.rm(f"{rel}/DONE")
    elif how == "DONE garbled":
        store.io.write(f"{rel}/DONE", b"{not json")
    elif how == "DONE changed, same size":
        data = store.io.read(f"{rel}/DONE")
        store.io.write(f"{rel}/DONE", data.replace(b'"i": 1', b'"i": 9'))
    elif how == "manifest deleted":
        store.io.rm(f"{rel}/manifest.json")
    else:
        data = store.io.read(f"{rel}/manifest.json")
        store.io.write(f"{rel}/manifest.json", data.replace(b'"i": 1', b'"i": 9'))


#: What can be damaged, by layout (a layout-2 commit is its DONE: deleting it leaves an
#: attempt that never committed, see README "Store layout 2").
DAMAGE = {
    1: ["DONE deleted", "DONE garbled", "manifest deleted", "manifest garbled, same size"],
    2: ["DONE garbled", "DONE changed, same size"],
}


@pytest.mark.parametrize(
    ("layout", "how"), [(layout, how) for layout, hows in DAMAGE.items() for how in hows]
)
def test_damage_after_indexing_is_seen_through_the_index(backend, layout, how):
    store = open_store(backend)
    store.layout = layout
    tasks = _indexed_run(store, 3)
    t = tasks[1]
    _damage(store, _attempt_dir(t), how)
    snap = store.run_snapshot(FLOW, RUN)
    expected = commit_damage(store, t, 0)
    assert expected is not None
    assert commit_damage(snap, t, 0) == expected
    assert attempt_state(snap, t, 0, _info(snap, t)) == "damaged"
    assert attempt_state(store, t, 0, _info(store, t)) == "damaged"
    for other in (tasks[0], tasks[2]):  # the others still come from the index, intact
        assert commit_damage(snap, other, 0) is None
    assert run_damage(snap, FLOW, RUN) == run_damage(store, FLOW, RUN) == {"work/1": expected}


def test_a_rewritten_record_is_read_again(store):
    tasks = _indexed_run(store, 2)
    store.write_attempt_record(tasks[0], 0, {"status": "failed", "started_at": 1.0})
    snap = store.run_snapshot(FLOW, RUN)
    assert snap.read_attempt_record(tasks[0], 0)["status"] == "failed"


def test_a_damaged_index_only_costs_reads(store):
    tasks = _indexed_run(store, 2)
    store.io.write(f"flows/{FLOW}/runs/{RUN}/taskindex/work.0.json", b"{garbage")
    snap = store.run_snapshot(FLOW, RUN)
    assert snap.files.indexed == 0
    for t in tasks:
        _same_as_store(store, snap, t)


def test_a_snapshot_is_read_only(store):
    _indexed_run(store, 1)
    from dflow.errors import ReadOnlyStoreError

    snap = store.run_snapshot(FLOW, RUN)
    with pytest.raises(ReadOnlyStoreError):
        snap.start_attempt(TaskAddress(FLOW, RUN, "work", "9"))


@pytest.mark.s3
def test_on_s3_the_index_is_checked_by_etag(s3_store_url):
    url, options = s3_store_url
    store = open_store(url, options=options)
    store.layout = 2
    tasks = _indexed_run(store, 3)
    rel = _attempt_dir(tasks[0])
    data = store.io.read(f"{rel}/DONE")
    store.io.write(f"{rel}/DONE", data.replace(b'"i": 0', b'"i": 7'))  # same size
    snap = store.run_snapshot(FLOW, RUN)
    assert snap.files.indexed == 3 - 1
    assert commit_damage(snap, tasks[0], 0) == commit_damage(store, tasks[0], 0) is not None
    for t in tasks[1:]:
        _same_as_store(store, snap, t)
