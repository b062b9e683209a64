"""One conformance suite, run against every backend: local folder, memory:// and S3 (moto)."""

from __future__ import annotations

import datetime as dt
import decimal
import pickle
import zoneinfo
from collections import OrderedDict

import numpy as np
import pytest

from dflow.errors import (
    ArtifactCorruptError,
    ArtifactNotFoundError,
    NotCommittedError,
    PickleRefusedError,
    RecordNotFoundError,
    StoreError,
)
from dflow.store import ArtifactRef, RunEntry, Store, TaskAddress, open_store
from dflow.store.keys import shard


class Model:
    """A user class: only pickle can store it."""

    def __init__(self, w):
        self.w = w

    def __eq__(self, other):
        return type(other) is Model and other.w == self.w


PARIS = zoneinfo.ZoneInfo("Europe/Paris")
VALUES = {
    "dict": {"a": 1, "b": [1.5, "x", None, True]},
    "list_floats": [0.1 * i for i in range(1000)],
    "tuple": (1, "two", 3.0),
    "nested_tuples": [(1, (2, (3,))), {"k": (4, 5)}],
    "set": {1, 2, 3},
    "frozenset": frozenset({"a", "b"}),
    "bytes": b"\x00\xffbinary",
    "datetime_naive": dt.datetime(2026, 11, 5, 12, 30, 1, 250),
    "datetime_utc": dt.datetime(2026, 11, 5, 12, 30, tzinfo=dt.UTC),
    "datetime_offset": dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")),
    "datetime_zone": dt.datetime(2026, 3, 29, 1, 30, tzinfo=PARIS),
    "date": dt.date(1999, 12, 31),
    "time": dt.time(23, 59, 59, 999999),
    "time_tz": dt.time(8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "timedelta": dt.timedelta(days=-3, seconds=5, microseconds=7),
    "decimal": decimal.Decimal("3.14159265358979323846264338327950288"),
    "complex": complex(1.5, -2),
    "np_bool": np.bool_(True),
    "np_int8": np.int8(-7),
    "np_uint64": np.uint64(2**64 - 1),
    "np_float16": np.float16(0.5),
    "np_float32": np.float32(1.25),
    "np_float64": np.float64(2.5),
    "np_complex128": np.complex128(1 + 2j),
    "np_datetime64": np.datetime64("2026-11-05T12:00:00", "ns"),
    "np_str": np.str_("héllo"),
    "small_array": np.arange(12, dtype=np.int32).reshape(3, 4),
    "small_fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "structured": np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    "bigint": 2**100,
    "neg_bigint": -(2**70),
    "non_str_keys": {1: "a", 2.5: "b", None: "c", (1, 2): "d", frozenset({3}): "e"},
    "nested": {"outer": [{(1, "a"): {dt.date(2020, 1, 1): decimal.Decimal("1")}}]},
    "empty": [[], {}, (), set(), ""],
    "user_class": Model([1, 2]),
    "ordered_dict": OrderedDict(a=1),
    "object_array": np.array([1, "x", None], dtype=object),
}


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dt.datetime | dt.time):
        return a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset()
    return a == b


def test_every_type_round_trips_to_the_same_type_and_value(store: Store) -> None:
    for name, value in VALUES.items():
        ref = store.save(value)
        loaded = store.load(ref, name=name)
        assert _same(value, loaded), (name, value, loaded)
        assert ref.type_name == f"{type(value).__module__}.{type(value).__qualname__}"
        expected = "pickle" if name in ("user_class", "ordered_dict", "object_array") else "msgpack"
        assert ref.encoding == expected, name


def test_same_value_is_stored_once_and_never_rewritten(store: Store) -> None:
    ref = store.save({"x": list(range(100))})
    assert store.save({"x": list(range(100))}) == ref
    path = f"objects/{shard(ref.key)}"
    good = store.io.read(path)
    store.io.write(path, good[:-3] + b"bad")
    # write-once: saving the value again does not repair (rewrite) the object
    assert store.save({"x": list(range(100))}) == ref
    with pytest.raises(ArtifactCorruptError, match="'payload'"):
        store.load(ref, name="payload")


@pytest.mark.parametrize("damage", ["flip", "truncate", "header"])
def test_corrupt_blob_fails_naming_the_artifact(store: Store, damage: str) -> None:
    ref = store.save(list(range(5000)))  # large enough to be compressed
    path = f"objects/{shard(ref.key)}"
    blob = bytearray(store.io.read(path))
    if damage == "flip":
        blob[len(blob) // 2] ^= 0xFF
    elif damage == "truncate":
        blob = blob[: len(blob) // 2]
    else:
        blob = blob[:5]
    store.io.write(path, bytes(blob))
    with pytest.raises(ArtifactCorruptError, match="'numbers'"):
        store.load(ref, name="numbers")


def test_corrupt_uncompressed_blob_is_detected(store: Store) -> None:
    data = np.random.default_rng(0).bytes(10_000)
    key = store.put_bytes(data)
    path = f"objects/{shard(key)}"
    blob = bytearray(store.io.read(path))
    assert blob[4] == 0  # incompressible: stored raw
    blob[-1] ^= 1
    store.io.write(path, bytes(blob))
    with pytest.raises(ArtifactCorruptError, match="'raw'"):
        store.get_bytes(key, name="raw")


def test_missing_object_names_the_artifact(store: Store) -> None:
    ref = ArtifactRef(key="0" * 32, encoding="msgpack", size=1, type_name="builtins.int")
    with pytest.raises(ArtifactNotFoundError, match="'ghost'"):
        store.load(ref, name="ghost")
    assert not store.has("0" * 32)


def test_pickle_refused_when_untrusted(backend_url) -> None:
    url, options = backend_url
    ref = open_store(url, options).save(Model(3))
    untrusted = open_store(url, options, trusted=False)
    with pytest.raises(PickleRefusedError, match="'model'.*untrusted"):
        untrusted.load(ref, name="model")
    assert untrusted.load(untrusted.save({"ok": (1,)})) == {"ok": (1,)}


def test_store_pickles_and_works_after(store: Store) -> None:
    ref = store.save((1, 2))
    clone = pickle.loads(pickle.dumps(store))
    assert clone.url == store.url and clone.options == store.options
    assert clone.load(ref) == (1, 2)


def test_bytes_api(store: Store) -> None:
    key = store.put_bytes(b"hello")
    assert store.has(key) and store.get_bytes(key) == b"hello"
    assert store.put_bytes(b"hello") == key


# --- arrays ------------------------------------------------------------------------------


def test_large_array_goes_to_zarr_and_reads_three_ways(store: Store, small_arrays) -> None:
    arr = np.random.default_rng(1).random((200, 100))  # 160 KB, 16 KiB chunks
    ref = store.save(arr)
    assert ref.encoding == "zarr" and ref.size == arr.nbytes
    assert store.has(ref.key)
    loaded = store.load(ref, name="x")
    assert loaded.dtype == arr.dtype and np.array_equal(loaded, arr)
    z = store.open_array(ref)
    assert z.shape == arr.shape and z.chunks[1] == 100 and np.array_equal(z[5:9], arr[5:9])
    lazy = store.load_dask_array(ref, name="x")
    assert lazy.chunks[0][0] == z.chunks[0]
    assert np.array_equal(lazy[10:50].compute(), arr[10:50])
    assert np.array_equal(pickle.loads(pickle.dumps(lazy)).sum().compute(), arr.sum())
    assert store.save(arr.copy()) == ref


def test_compressible_and_noncontiguous_arrays(store: Store, small_arrays) -> None:
    arr = np.arange(100_000, dtype=np.int64)
    ref = store.save(arr)
    assert ref.encoding == "zarr"
    assert np.array_equal(store.load(ref), arr)
    view = np.arange(200_000.0).reshape(400, 500)[:, ::2]
    ref2 = store.save(view)
    assert ref2.encoding == "zarr" and np.array_equal(store.load(ref2), view)
    assert store.save(np.ascontiguousarray(view)) == ref2


def _a_chunk(store: Store, key: str) -> str:
    chunks = [p for p in store.io.find(f"arrays/{shard(key)}") if p.startswith("c/")]
    return f"arrays/{shard(key)}/{sorted(chunks)[1]}"


def test_corrupt_zarr_chunk_fails_naming_the_artifact(store: Store, small_arrays) -> None:
    arr = np.random.default_rng(2).random((100, 100))
    ref = store.save(arr)
    path = _a_chunk(store, ref.key)
    data = bytearray(store.io.read(path))
    data[100] ^= 0xFF
    store.io.write(path, bytes(data))
    with pytest.raises(ArtifactCorruptError, match="'weights'"):
        store.load(ref, name="weights")
    with pytest.raises(ArtifactCorruptError, match="'weights'"):
        store.load_dask_array(ref, name="weights").sum().compute(scheduler="sync")


def test_missing_zarr_chunk_fails_a_full_load(store: Store, small_arrays) -> None:
    arr = np.random.default_rng(3).random((100, 100))
    ref = store.save(arr)
    store.io.rm(_a_chunk(store, ref.key))
    with pytest.raises(ArtifactCorruptError, match="'w'"):
        store.load(ref, name="w")


def test_array_without_marker_is_not_trusted(store: Store, small_arrays) -> None:
    ref = store.save(np.random.default_rng(4).random((100, 100)))
    store.io.rm(f"arrays/{shard(ref.key)}/dflow-complete.json")
    assert not store.has(ref.key)
    with pytest.raises(ArtifactNotFoundError, match="'w'"):
        store.load(ref, name="w")
    with pytest.raises(StoreError):
        store.open_array(ArtifactRef(ref.key, "msgpack", 1, "x"))


# --- attempts ----------------------------------------------------------------------------

T = TaskAddress("TrainFlow", "run-1", "fit", "3")


def test_attempts_are_numbered_and_never_overwritten(store: Store) -> None:
    assert store.list_attempts(T) == [] and store.latest_commit(T) is None
    assert [store.start_attempt(T) for _ in range(3)] == [0, 1, 2]
    ref = store.save({"score": 0.5})
    manifest = store.commit_attempt(T, 1, {"score": ref}, {"host": "w1"})
    assert manifest.attempt == 1 and manifest.artifacts == {"score": ref}
    with pytest.raises(StoreError, match="already committed"):
        store.commit_attempt(T, 1, {"score": store.save(1)})
    assert store.manifest(T, 1).artifacts["score"] == ref
    assert store.list_attempts(T) == [0, 1, 2]
    assert store.committed_attempts(T) == [1]
    assert store.start_attempt(T) == 3  # after a crash: a new number, old ones kept


def test_uncommitted_attempts_are_invisible(store: Store) -> None:
    n = store.start_attempt(T)
    store.write_attempt_record(T, n, {"status": "running"})
    assert store.committed_attempts(T) == [] and store.latest_commit(T) is None
    with pytest.raises(NotCommittedError):
        store.manifest(T, n)
    m = store.commit_attempt(T, n, {"a": store.save("x")}, {"k": [1]})
    latest = store.latest_commit(T)
    assert latest == m and store.load(latest.artifacts["a"]) == "x"
    assert latest.meta == {"k": [1]}


def test_commit_requires_every_object(store: Store) -> None:
    n = store.start_attempt(T)
    ghost = ArtifactRef("f" * 32, "msgpack", 3, "builtins.int")
    with pytest.raises(ArtifactNotFoundError, match="'ghost'"):
        store.commit_attempt(T, n, {"ghost": ghost})
    assert store.committed_attempts(T) == []


@pytest.mark.parametrize(("layout", "name"), [(2, "DONE"), (1, "manifest.json")])
def test_tampered_manifest_is_rejected(store: Store, layout: int, name: str) -> None:
    from layoutkit import downgrade_run

    n = store.start_attempt(T)
    store.commit_attempt(T, n, {"a": store.save(1)})
    if layout == 1:
        downgrade_run(store, T.flow, T.run_id)
    path = f"flows/TrainFlow/runs/run-1/steps/fit/3/{n}/{name}"
    store.io.write(path, store.io.read(path).replace(b'"a"', b'"b"'))
    with pytest.raises(ArtifactCorruptError):
        store.manifest(T, n)


def test_attempt_records_and_logs(store: Store) -> None:
    n = store.start_attempt(T)
    with pytest.raises(RecordNotFoundError):
        store.read_attempt_record(T, n)
    store.write_attempt_record(T, n, {"status": "running", "host": "h"})
    store.write_attempt_record(T, n, {"status": "failed", "error": "boom"})
    assert store.read_attempt_record(T, n) == {"status": "failed", "error": "boom", "layout": 2}
    assert store.read_log(T, n, "stdout") == b""
    store.write_log(T, n, "stdout", b"hello\n")
    store.write_log(T, n, "stderr", b"oops\n")
    assert store.read_log(T, n, "stdout") == b"hello\n"
    assert store.read_log(T, n, "stderr") == b"oops\n"
    with pytest.raises(StoreError):
        store.write_log(T, n, "../x", b"")
    with pytest.raises(StoreError, match="JSON"):
        store.write_attempt_record(T, n, {"bad": object()})


def test_unsafe_names_are_refused(store: Store) -> None:
    for bad in ("", "../up", "a/b", ".hidden"):
        with pytest.raises(StoreError, match="invalid"):
            store.start_attempt(TaskAddress("F", bad, "s", "1"))


# --- runs --------------------------------------------------------------------------------


def test_runs_index_and_listing(store: Store) -> None:
    assert store.list_flows() == [] and store.list_runs("F") == []
    store.write_run_record("F", "1", {"status": "running", "params": {"alpha": 0.5}})
    store.write_run_record("F", "2", {"params": {}})
    store.set_run_status("F", "2", "running")
    store.set_run_status("F", "1", "succeeded")
    store.set_run_status("F", "2", "failed")
    assert store.list_runs("F") == [RunEntry("1", "succeeded"), RunEntry("2", "failed")]
    assert sorted(store.io.ls("flows/F/index")) == ["1.succeeded", "2.failed"]
    assert store.read_run_record("F", "1")["status"] == "succeeded"
    assert store.read_run_record("F", "1")["params"] == {"alpha": 0.5}
    with pytest.raises(RecordNotFoundError):
        store.read_run_record("F", "404")
    store.start_attempt(TaskAddress("F", "1", "start", "0"))
    store.start_attempt(TaskAddress("F", "1", "fit", "0"))
    store.start_attempt(TaskAddress("F", "1", "fit", "1"))
    assert store.list_flows() == ["F"]
    assert store.list_steps("F", "1") == ["fit", "start"]
    assert store.list_tasks("F", "1", "fit") == ["0", "1"]


def test_list_runs_is_one_listing(store: Store, monkeypatch) -> None:
    for i in range(20):
        store.set_run_status("G", f"r{i:03d}", "succeeded" if i % 2 else "running")
    calls = []
    real_ls, real_read = store.io.ls, store.io.read
    monkeypatch.setattr(store.io, "ls", lambda rel: calls.append(rel) or real_ls(rel))
    monkeypatch.setattr(store.io, "read", lambda rel: calls.append(("read", rel)) or real_read(rel))
    runs = store.list_runs("G")
    assert len(runs) == 20 and runs[1] == RunEntry("r001", "succeeded")
    assert calls == ["flows/G/index"]


def test_a_thousand_runs_list_in_one_listing(store: Store, monkeypatch) -> None:
    n = 1000 if not store.url.startswith("s3://") else 150  # moto: ~180 PUTs/s
    for i in range(n):
        store.io.write(f"flows/H/index/{i:05d}.succeeded", b"")
    calls = []
    real_ls, real_read = store.io.ls, store.io.read
    monkeypatch.setattr(store.io, "ls", lambda rel: calls.append(rel) or real_ls(rel))
    monkeypatch.setattr(store.io, "read", lambda rel: calls.append(("read", rel)) or real_read(rel))
    runs = store.list_runs("H")
    assert len(runs) == n and runs[-1] == RunEntry(f"{n - 1:05d}", "succeeded")
    assert calls == ["flows/H/index"]  # however many runs: no read per run
