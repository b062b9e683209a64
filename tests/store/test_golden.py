"""Golden files pin the on-disk format: a change to any of them must be a conscious one.

Regenerate after a deliberate format change (and bump the layout version) with
``DFLOW_UPDATE_GOLDEN=1 pytest tests/store/test_golden.py``. The layout-1 files
(``layout_v1.json``, ``run.json``, ``record.json``, ``manifest.json``) are what stores
written before layout 2 hold: they are never regenerated, only read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import uuid
from pathlib import Path

import dask.config
import fsspec
import numpy as np
import pytest
from layoutkit import downgrade_run

from dflow.store import TaskAddress, open_store

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "store"
UPDATE = os.environ.get("DFLOW_UPDATE_GOLDEN") == "1"

#: Values whose encoded bytes (hence keys) must not change by accident.
SAMPLES = {
    "plain": {"a": [1, 2.5, "x", None, True, b"\x00"]},
    "ext": {
        "tuple": (1, 2),
        "set": {3, 1, 2},
        "when": dt.datetime(2026, 11, 5, 12, 0, tzinfo=dt.UTC),
        "day": dt.date(2026, 11, 5),
        "dec": decimal.Decimal("1.10"),
        "cplx": 1 + 2j,
        "big": 2**70,
        "np": np.float32(1.5),
        "arr": np.arange(4, dtype=np.int16),
        (1, "k"): "tuple key",
    },
}


def _build(store) -> None:
    t = TaskAddress("GoldenFlow", "1", "start", "0")
    refs = {name: store.save(value) for name, value in SAMPLES.items()}
    with dask.config.set(
        {"dflow.store.array-threshold": 1024, "dflow.store.array-chunk-bytes": 4096}
    ):
        refs["array"] = store.save(np.arange(1024, dtype="<f8").reshape(32, 32))
    store.write_run_record("GoldenFlow", "1", {"status": "running", "params": {"alpha": 0.5}})
    with store.records.journal.capture() as written:
        n = store.start_attempt(t)
        store.write_log(t, n, "stdout", b"hello\n")
        record = {"status": "succeeded", "host": "h", "duration": 1.5}
        store.commit_attempt(t, n, refs, {"code_key": "0" * 32}, record=record)
    store.write_task_index("GoldenFlow", "1", "start.0", written)  # as a unit of tasks does
    store.set_run_status("GoldenFlow", "1", "succeeded")
    store.add_run_tags("GoldenFlow", "1", ["Team:vision", "best", "x" * 300])


def _snapshot(store) -> dict:
    files = {}
    for rel in store.io.find(""):
        if rel.endswith("started.json"):
            continue  # holds a timestamp
        if rel.startswith("arrays/") and "dflow-complete" not in rel:
            files[rel] = "<zarr>"  # zarr's own metadata and chunks: pinned by zarr's spec
            continue
        data = store.io.read(rel)
        try:
            files[rel] = data.decode()
            if rel.startswith("objects/"):
                files[rel] = "hex:" + data.hex()
        except UnicodeDecodeError:
            files[rel] = "hex:" + data.hex()
    return files


@pytest.fixture
def golden_store():
    url = f"memory://golden-{uuid.uuid4().hex[:8]}"
    yield open_store(url)
    fsspec.filesystem("memory").rm(url.split("://")[1], recursive=True)


def _compare(snapshot: dict, name: str, *, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    assert sorted(snapshot) == sorted(expected), f"the store's file layout changed ({name})"
    for rel, content in expected.items():
        assert snapshot[rel] == content, f"{rel} changed format ({name})"


def test_store_layout_matches_golden_files(golden_store) -> None:
    _build(golden_store)
    _compare(_snapshot(golden_store), "layout_v2.json", update=UPDATE)


def test_a_downgraded_run_is_the_layout_1_golden_files(golden_store) -> None:
    """tests/layoutkit.py makes layout-1 runs for the tests that keep them readable: its
    output is exactly what the layout-1 writer wrote (never regenerated)."""
    _build(golden_store)
    downgrade_run(golden_store, "GoldenFlow", "1")
    _compare(_snapshot(golden_store), "layout_v1.json", update=False)


def _check_reads(store) -> None:
    t = TaskAddress("GoldenFlow", "1", "start", "0")
    manifest = store.latest_commit(t)
    assert manifest.meta == {"code_key": "0" * 32}
    for name, value in SAMPLES.items():
        loaded = store.load(manifest.artifacts[name], name=name)
        assert loaded.keys() == value.keys()
    record = store.read_attempt_record(t, 0)
    assert {k: record[k] for k in ("status", "host", "duration")} == {
        "status": "succeeded",
        "host": "h",
        "duration": 1.5,
    }
    assert store.read_run_record("GoldenFlow", "1")["status"] == "succeeded"
    assert store.run_tags("GoldenFlow", "1") == ["Team:vision", "best", "x" * 300]
    assert [(e.run_id, e.status) for e in store.list_runs("GoldenFlow")] == [("1", "succeeded")]


def test_layout_1_golden_files_stay_readable(golden_store) -> None:
    """The bytes of a layout-1 store, as pinned, read as they always did."""
    for rel, content in json.loads((GOLDEN / "layout_v1.json").read_text()).items():
        if content == "<zarr>":
            continue
        data = bytes.fromhex(content[4:]) if content.startswith("hex:") else content.encode()
        golden_store.io.write(rel, data)
    t = TaskAddress("GoldenFlow", "1", "start", "0")
    manifest = golden_store.latest_commit(t)
    assert manifest.attempt == 0 and sorted(manifest.artifacts) == ["array", "ext", "plain"]
    for name, value in SAMPLES.items():
        assert golden_store.load(manifest.artifacts[name], name=name).keys() == value.keys()
    assert golden_store.read_attempt_record(t, 0)["status"] == "succeeded"
    snap = golden_store.run_snapshot("GoldenFlow", "1")
    assert snap.files.indexed == 3  # its task index still answers record, manifest, DONE
    assert snap.latest_commit(t) == manifest


def test_record_golden_files_are_readable_as_documented(golden_store) -> None:
    _build(golden_store)
    _check_reads(golden_store)
    done = golden_store.io.read("flows/GoldenFlow/runs/1/steps/start/0/0/DONE")
    if UPDATE:
        (GOLDEN / "commit_v2.json").write_bytes(done)
    assert json.loads((GOLDEN / "commit_v2.json").read_text())["layout"] == 2
    assert done == (GOLDEN / "commit_v2.json").read_bytes()
    downgrade_run(golden_store, "GoldenFlow", "1")  # the same run, as layout 1 holds it
    for name, rel in {
        "run.json": "flows/GoldenFlow/runs/1/run.json",
        "record.json": "flows/GoldenFlow/runs/1/steps/start/0/0/record.json",
        "manifest.json": "flows/GoldenFlow/runs/1/steps/start/0/0/manifest.json",
    }.items():
        golden = json.loads((GOLDEN / name).read_text())
        assert golden["layout"] == 1
        assert golden_store.io.read(rel) == (GOLDEN / name).read_bytes()
    _check_reads(golden_store)
