"""Resume reuses what the origin run committed and reruns only what is missing."""

from __future__ import annotations

import pytest
from runkit import artifacts, flow_class, run

from dflow.engine.launch import RunOptions
from dflow.engine.resume import resume_flow
from dflow.errors import ObjectNotFoundError
from dflow.store import TaskAddress, open_store


def resume(cls, store_url, **kwargs):
    origin = kwargs.pop("origin", None)
    step = kwargs.pop("step", None)
    return resume_flow(
        cls, origin, step, RunOptions(store=store_url, quiet=True, scheduler="sync", **kwargs)
    )


@pytest.mark.parametrize("layout", [2, 1])
def test_resume_after_a_failed_foreach_child_reruns_only_it_and_what_follows(
    store_url, tmp_path, layout
):
    marker = tmp_path / "fail"
    marker.write_text("x")
    cls = flow_class("FlakyForeachFlow")
    failed = run(cls, store_url, {"marker": str(marker)})
    assert failed.status == "failed"
    if layout == 1:  # an origin run written before store layout 2 resumes as well
        from layoutkit import downgrade_run

        downgrade_run(open_store(store_url), failed.flow_name, failed.run_id)
    marker.unlink()
    resumed = resume(cls, store_url)
    assert resumed.status == "succeeded", resumed.error
    store = open_store(store_url)
    record = store.read_run_record(resumed.flow_name, resumed.run_id)
    assert record["origin_run_id"] == failed.run_id
    assert record["parameters"]["marker"] == str(marker)
    for task_id, reused in [("0", True), ("1", True), ("2", False), ("3", True)]:
        meta = store.latest_commit(
            TaskAddress(resumed.flow_name, resumed.run_id, "work", task_id)
        ).meta
        origin = f"{failed.flow_name}/{failed.run_id}/work/{task_id}"
        assert (meta.get("origin") == origin) is reused, (task_id, meta)
    assert (
        store.latest_commit(TaskAddress(resumed.flow_name, resumed.run_id, "start", "0"))
        .meta["origin"]
        .endswith("/start/0")
    )
    assert (
        "origin"
        not in store.latest_commit(TaskAddress(resumed.flow_name, resumed.run_id, "join", "0")).meta
    )
    # a reused task points at the origin's objects: same keys, nothing copied
    first = store.latest_commit(TaskAddress(failed.flow_name, failed.run_id, "work", "0"))
    again = store.latest_commit(TaskAddress(resumed.flow_name, resumed.run_id, "work", "0"))
    assert first.artifacts == again.artifacts
    # the same artifacts as a run that never failed
    clean = run(cls, store_url, {"marker": str(marker)})
    assert artifacts(store_url, resumed, "end") == artifacts(store_url, clean, "end")


def test_resume_from_a_step_reruns_it_and_everything_after(store_url):
    cls = flow_class("FlakyForeachFlow")
    origin = run(cls, store_url)
    resumed = resume(cls, store_url, origin=origin.run_id, step="work")
    assert resumed.status == "succeeded"
    store = open_store(store_url)
    assert (
        "origin"
        in store.latest_commit(TaskAddress(resumed.flow_name, resumed.run_id, "start", "0")).meta
    )
    assert (
        "origin"
        not in store.latest_commit(TaskAddress(resumed.flow_name, resumed.run_id, "work", "0")).meta
    )


def test_resuming_a_resumed_run_works(store_url, tmp_path):
    marker = tmp_path / "fail"
    marker.write_text("x")
    cls = flow_class("FlakyForeachFlow")
    run(cls, store_url, {"marker": str(marker)})
    second = resume(cls, store_url)
    assert second.status == "failed"  # still failing: the marker is there
    marker.unlink()
    third = resume(cls, store_url)
    assert third.status == "succeeded"
    assert artifacts(store_url, third, "end")["total"] == 1000


def test_resume_with_nothing_to_resume_says_so(store_url):
    with pytest.raises(ObjectNotFoundError, match="no run to resume"):
        resume(flow_class("FlakyForeachFlow"), store_url)
    run(flow_class("FlakyForeachFlow"), store_url)
    with pytest.raises(ObjectNotFoundError, match="no step 'nope'"):
        resume(flow_class("FlakyForeachFlow"), store_url, step="nope")


def test_the_client_shows_the_failed_run_and_the_run_that_finished_it(store_url, tmp_path):
    from dflow.client import ClientContext, Flow

    marker = tmp_path / "fail"
    marker.write_text("x")
    cls = flow_class("FlakyForeachFlow")
    failed = run(cls, store_url, {"marker": str(marker)})
    marker.unlink()
    resumed = resume(cls, store_url)
    context = ClientContext(store_url, namespace=None)  # no global client state touched
    runs = list(Flow("FlakyForeachFlow", context).runs())
    assert [r.id for r in runs] == [resumed.run_id, failed.run_id]
    new, old = runs
    assert new.successful and new.finished and not old.successful
    assert new.data.total == 1000
    assert old["work"]["2"].successful is False
    assert "child 3 fails" in old["work"]["2"].stderr
    assert old["work"]["2"].exception.type.endswith("RuntimeError")
    assert new["work"]["2"].stdout == "computed 300\n"  # rerun here
    assert new["work"]["0"].stdout == "computed 100\n"  # reused: its origin's output
    assert new["work"]["0"].data.value == 100
    assert new["work"]["0"].origin_pathspec == f"FlakyForeachFlow/{failed.run_id}/work/0"
    assert Flow("FlakyForeachFlow", context).latest_successful_run.id == resumed.run_id


def test_a_run_whose_driver_died_shows_as_stalled_and_a_live_one_as_running(store_url):
    import dask

    from dflow.client import ClientContext, Run
    from dflow.store import open_store

    store = open_store(store_url)
    store.write_run_record(
        "F", "1", {"flow": "F", "run_id": "1", "status": "running", "user": "u", "created_at": 1.0}
    )
    run = Run("F/1", ClientContext(store_url, namespace=None))
    assert run.status == "stalled" and not run.finished and not run.successful
    store.write_heartbeat("F", "1")
    assert Run("F/1", ClientContext(store_url, namespace=None)).status == "running"
    with dask.config.set({"dflow.heartbeat.timeout": -1}):
        assert Run("F/1", ClientContext(store_url, namespace=None)).status == "stalled"


def test_the_driver_beats_while_the_run_goes(store_url):
    import dask

    from dflow.store import open_store

    with dask.config.set({"dflow.heartbeat.interval": 0.05}):
        result = run(flow_class("TimeoutFlow"), store_url, {"seconds": 0.5})
    store = open_store(store_url)
    record = store.read_run_record(result.flow_name, result.run_id)
    beat = store.read_heartbeat(result.flow_name, result.run_id)
    assert record["created_at"] + 0.3 < beat <= record["finished_at"]
