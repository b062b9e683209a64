"""Stores opened read-only: read access is enough, and every write is refused clearly."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from dflow.errors import ReadOnlyStoreError, StoreError
from dflow.store import TaskAddress, open_store
from dflow.store import location as location_module

T = TaskAddress("F", "1", "s", "0")


def _filled(url: str, options: dict) -> dict:
    store = open_store(url, options)
    refs = {"v": store.save({"a": 1}), "arr": store.save(np.arange(300_000.0))}
    store.write_run_record("F", "1", {"status": "succeeded", "tags": ["t"]})
    n = store.start_attempt(T)
    store.commit_attempt(T, n, refs)
    return refs


def _deny_write_permission(monkeypatch) -> None:
    """The store folder is readable but not writable (a read-only mount, another user's)."""
    real = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(location_module.os, "access", access)


def test_a_store_without_write_permission_can_be_inspected(tmp_path, monkeypatch) -> None:
    url = str(tmp_path / "store")
    refs = _filled(url, {})
    _deny_write_permission(monkeypatch)
    with pytest.raises(StoreError, match="read/write permission"):
        open_store(url)
    ro = open_store(url, writable=False)
    assert ro.load(refs["v"]) == {"a": 1}
    assert ro.read_run_record("F", "1")["status"] == "succeeded"


def test_read_only_store_reads_everything(backend_url) -> None:
    url, options = backend_url
    refs = _filled(url, options)
    ro = open_store(url, options, writable=False)
    assert ro.writable is False
    assert ro.load(refs["v"]) == {"a": 1}
    assert np.array_equal(ro.load(refs["arr"]), np.arange(300_000.0))
    assert ro.latest_commit(T).artifacts == refs
    assert ro.read_run_record("F", "1")["status"] == "succeeded"
    assert ro.run_tags("F", "1") == ["t"]
    assert [e.run_id for e in ro.list_runs("F")] == ["1"]


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.save({"new": 1}),
        lambda s: s.save(np.ones(300_000)),
        lambda s: s.put_bytes(b"x"),
        lambda s: s.write_run_record("F", "2", {"status": "running"}),
        lambda s: s.set_run_status("F", "1", "failed"),
        lambda s: s.start_attempt(T),
        lambda s: s.write_log(T, 0, "stdout", b"x"),
        lambda s: s.add_run_tags("F", "1", ["x"]),
        lambda s: s.remove_run_tags("F", "1", ["t"]),
    ],
    ids=[
        "save",
        "save-array",
        "put-bytes",
        "run-record",
        "status",
        "attempt",
        "log",
        "tag",
        "untag",
    ],
)
def test_every_write_is_refused(backend_url, write) -> None:
    url, options = backend_url
    _filled(url, options)
    ro = open_store(url, options, writable=False)
    before = sorted(ro.io.find(""))
    with pytest.raises(ReadOnlyStoreError, match="read-only"):
        write(ro)
    assert sorted(ro.io.find("")) == before


def test_read_only_local_store_is_never_created(tmp_path) -> None:
    url = str(tmp_path / "nothing-here")
    with pytest.raises(StoreError, match="no store folder"):
        open_store(url, writable=False)
    assert not os.path.exists(url)


def test_read_only_survives_pickling_and_can_be_reopened_writable(backend_url) -> None:
    url, options = backend_url
    _filled(url, options)
    ro = pickle.loads(pickle.dumps(open_store(url, options, writable=False)))
    assert ro.writable is False
    with pytest.raises(ReadOnlyStoreError):
        ro.put_bytes(b"x")
    rw = ro.reopened(writable=True)
    assert rw.writable and rw.url == ro.url and rw.trusted == ro.trusted
    assert rw.load(ro.latest_commit(T).artifacts["v"]) == {"a": 1}
    rw.add_run_tags("F", "1", ["new"])
    assert ro.run_tags("F", "1") == ["new", "t"]
