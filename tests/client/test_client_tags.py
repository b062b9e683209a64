"""Tagging through the client: own store objects, never racing with the driver's run.json."""

from __future__ import annotations

import os

import pytest

from dflow.client import ClientContext, Flow, Run
from dflow.errors import NamespaceMismatchError, ReadOnlyStoreError, StoreError
from dflow.store import Store, open_store
from dflow.store import location as location_module
from dflow.store.records import RunRecords

FLOW = "TagFlow"
RUN = "1700000000000000"


def _running_run(url: str, tags: list[str]) -> Store:
    """A run as its driver leaves it while going: recorded running, its heartbeat fresh."""
    store = open_store(url)
    store.write_run_record(
        FLOW,
        RUN,
        {
            "flow": FLOW,
            "run_id": RUN,
            "status": "running",
            "user": "alice",
            "tags": tags,
            "created_at": 1.0,
        },
    )
    store.write_heartbeat(FLOW, RUN)
    return store


def _context(url: str) -> ClientContext:
    return ClientContext(url, namespace=None)


def test_a_tag_added_as_the_run_finishes_keeps_the_final_status(tmp_path, monkeypatch):
    url = str(tmp_path / "store")
    driver = _running_run(url, ["initial"])
    run = Run(f"{FLOW}/{RUN}", _context(url))
    assert run.status == "running"

    # The driver finishes right after anything in the client reads run.json for tagging.
    real_read = RunRecords.read_run_record  # the tags part reads run.json through it
    finished = []

    def read_then_driver_finishes(self, flow, run_id):
        record = real_read(self, flow, run_id)
        if not finished:
            finished.append(True)
            driver.write_run_record(flow, run_id, {**record, "status": "succeeded"})
        return record

    monkeypatch.setattr(RunRecords, "read_run_record", read_then_driver_finishes)
    run.add_tag("reviewed")
    monkeypatch.undo()
    assert driver.read_run_record(FLOW, RUN)["status"] == "succeeded"
    assert [e.status for e in driver.list_runs(FLOW)] == ["succeeded"]
    fresh = Run(f"{FLOW}/{RUN}", _context(url))
    assert fresh.status == "succeeded"
    assert fresh.user_tags == frozenset({"initial", "reviewed"})


def test_tags_go_to_their_own_objects_and_run_json_is_untouched(tmp_path):
    url = str(tmp_path / "store")
    store = _running_run(url, ["initial"])
    before = store.io.read(f"flows/{FLOW}/runs/{RUN}/run.json")
    run = Run(f"{FLOW}/{RUN}", _context(url))
    assert run.user_tags == frozenset({"initial"})  # a run from before: run.json's tags
    run.add_tags(["a", "B c"])
    run.remove_tag("initial")
    run.replace_tag("a", "a2")
    run.replace_tag("same", "same")
    assert run.user_tags == frozenset({"B c", "a2", "same"})
    assert store.run_tags(FLOW, RUN) == ["B c", "a2", "same"]
    assert store.io.read(f"flows/{FLOW}/runs/{RUN}/run.json") == before
    assert "B c" in run.namespaces and "initial" not in run.namespaces
    assert "user:alice" in run.system_tags and "a2" not in run.system_tags


def test_tags_added_elsewhere_are_seen_after_refresh(tmp_path):
    url = str(tmp_path / "store")
    store = _running_run(url, [])
    run = Run(f"{FLOW}/{RUN}", _context(url))
    assert run.user_tags == frozenset()
    store.add_run_tags(FLOW, RUN, ["later"])
    assert run.refresh().user_tags == frozenset({"later"})
    assert [r.id for r in Flow(FLOW, _context(url)).runs("later")] == [RUN]


def test_the_client_reads_a_store_it_cannot_write(tmp_path, monkeypatch):
    url = str(tmp_path / "store")
    _running_run(url, ["t"])
    real = os.access
    monkeypatch.setattr(
        location_module.os,
        "access",
        lambda path, mode, *a, **k: False if mode & os.W_OK else real(path, mode, *a, **k),
    )
    context = _context(url)
    run = Run(f"{FLOW}/{RUN}", context)
    assert run.status == "running" and run.user_tags == frozenset({"t"})
    assert context.store.writable is False
    with pytest.raises(StoreError, match="read/write permission"):
        run.add_tag("x")


def test_a_read_only_store_passed_in_is_reopened_for_tagging(tmp_path):
    url = str(tmp_path / "store")
    _running_run(url, [])
    context = ClientContext(open_store(url, writable=False), namespace=None)
    with pytest.raises(ReadOnlyStoreError):
        context.store.add_run_tags(FLOW, RUN, ["x"])
    Run(f"{FLOW}/{RUN}", context).add_tag("x")
    assert open_store(url).run_tags(FLOW, RUN) == ["x"]


def test_the_user_namespace_is_checked_without_listing_tags(tmp_path, monkeypatch):
    url = str(tmp_path / "store")
    store = _running_run(url, [])
    store.set_run_status(FLOW, RUN, "running")
    store.add_run_tags(FLOW, RUN, ["team"])
    listed = []
    real = Store.run_tags
    monkeypatch.setattr(
        Store, "run_tags", lambda self, *a, **k: listed.append(a) or real(self, *a, **k)
    )
    assert [r.id for r in Flow(FLOW, ClientContext(url, namespace="user:alice"))] == [RUN]
    assert listed == []
    assert [r.id for r in Flow(FLOW, ClientContext(url, namespace="team"))] == [RUN]
    assert listed == [(FLOW, RUN)]
    with pytest.raises(NamespaceMismatchError):  # Metaflow: no run of the flow in the namespace
        Flow(FLOW, ClientContext(url, namespace="other"))
