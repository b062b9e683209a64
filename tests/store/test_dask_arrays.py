"""Dask arrays are stored as zarr chunk by chunk, by the tasks that compute them."""

from __future__ import annotations

import threading
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import pytest

from dflow.errors import ArtifactCorruptError
from dflow.store import Store, open_store
from dflow.store.keys import shard


def _data() -> np.ndarray:
    return np.arange(100 * 30, dtype="<f8").reshape(100, 30) / 7


def test_a_dask_array_round_trips_lazily_on_every_backend(store: Store) -> None:
    x = da.from_array(_data(), chunks=(25, 20))
    ref = store.save(x)
    assert ref.encoding == "dask-zarr"
    assert ref.meta == {"shape": [100, 30], "dtype": "float64", "chunks": [25, 20], "nchunks": 8}
    y = store.load(ref, name="x")
    assert isinstance(y, da.Array)
    assert y.shape == x.shape and y.dtype == x.dtype and y.chunks == x.chunks
    np.testing.assert_array_equal(y.compute(), _data())
    np.testing.assert_array_equal(store.load_dask_array(ref)[3:60:7].compute(), _data()[3:60:7])
    np.testing.assert_array_equal(store.open_array(ref)[10:20], _data()[10:20])


def test_equal_arrays_are_stored_once_and_untrusted_stores_read_them(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    r1 = store.save(da.from_array(_data(), chunks=(25, 30)))
    r2 = store.save(da.from_array(_data().copy(), chunks=(25, 30)) + 0)
    assert r1.key == r2.key
    assert len(list((tmp_path / "s" / "arrays").glob("*/*"))) == 1
    assert not list((tmp_path / "s").glob("tmp/*"))
    other = store.save(da.from_array(_data(), chunks=(50, 30)))
    assert other.key != r1.key  # the key covers the chunking
    reader = open_store(str(tmp_path / "s"), trusted=False)
    assert float(reader.load(r1).sum().compute()) == pytest.approx(_data().sum())


def test_irregular_chunks_are_stored_on_a_regular_grid(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    x = da.from_array(_data(), chunks=((10, 40, 50), (30,)))
    y = store.load(store.save(x))
    assert y.chunks == ((50, 50), (30,))
    np.testing.assert_array_equal(y.compute(), _data())


def test_a_dask_graph_is_computed_once_at_save(tmp_path: Path) -> None:
    calls = []
    lock = threading.Lock()

    def expensive(block):
        with lock:
            calls.append(1)
        return block * 2

    store = open_store(str(tmp_path / "s"))
    x = da.from_array(_data(), chunks=(25, 30)).map_blocks(expensive, dtype="f8")
    calls.clear()  # map_blocks may call it once on an empty block to learn its meta
    ref = store.save(x)
    assert len(calls) == 4
    for _ in range(2):
        np.testing.assert_array_equal(store.load(ref).compute(), _data() * 2)
    assert len(calls) == 4


def test_a_failing_chunk_fails_the_save_with_its_own_error_and_leaves_nothing(tmp_path):
    def boom(block, block_info=None):
        if block_info[0]["chunk-location"] == (2, 0):
            raise ZeroDivisionError("chunk 2 is bad")
        return block

    store = open_store(str(tmp_path / "s"))
    x = da.from_array(_data(), chunks=(25, 30)).map_blocks(boom, dtype="f8")
    with pytest.raises(ZeroDivisionError, match="chunk 2 is bad"):
        store.save(x)
    assert not (tmp_path / "s" / "arrays").exists()
    assert not list((tmp_path / "s").glob("tmp/*"))


def test_no_chunk_writer_outlives_a_failed_save(tmp_path):
    # One writer is still running when another chunk fails: it waits (up to 1 s) for the
    # failure to reach the caller, then writes. The save must wait for it before removing
    # its staging copy, else the straggler puts a chunk back after the cleanup.
    failed, finished = threading.Event(), threading.Event()

    def slow_or_bad(block, block_info=None):
        row = block_info[0]["chunk-location"][0]
        if row == 0:
            failed.wait(1.0)
            finished.set()
        elif row == 1:
            raise ZeroDivisionError("chunk 1 is bad")
        return block

    store = open_store(str(tmp_path / "s"))
    x = da.from_array(_data(), chunks=(50, 30)).map_blocks(slow_or_bad, dtype="f8")
    with dask.config.set(scheduler="threads", num_workers=2):
        with pytest.raises(ZeroDivisionError, match="chunk 1 is bad"):
            store.save(x)
    assert finished.is_set()  # the save waited for the straggler before it cleaned up
    failed.set()
    assert not (tmp_path / "s" / "arrays").exists()
    assert not list((tmp_path / "s").glob("tmp/*"))


def test_reads_touch_only_their_chunks_and_a_damaged_chunk_names_the_artifact(tmp_path):
    store = open_store(str(tmp_path / "s"))
    ref = store.save(da.from_array(_data(), chunks=(25, 30)))
    chunk = tmp_path / "s" / "arrays" / shard(ref.key) / "c" / "3" / "0"
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    y = store.load(ref, name="run/step/x")
    np.testing.assert_array_equal(y[:75].compute(), _data()[:75])  # chunk 3 is not read
    with pytest.raises(ArtifactCorruptError, match="run/step/x"):
        y[80:].compute()


def test_zero_d_and_delayed_collections_are_stored_as_their_values(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    assert store.load(store.save(da.from_array(_data()).sum())) == pytest.approx(_data().sum())
    ref = store.save(dask.delayed(sum)([1, 2, 3]))
    assert ref.encoding == "msgpack" and store.load(ref) == 6


def test_saving_an_array_twice_keeps_one_copy_on_every_backend(store: Store) -> None:
    x = da.from_array(_data(), chunks=(50, 30))
    r1, r2 = store.save(x), store.save(x + 0)
    assert r1.key == r2.key
    markers = [p for p in store.io.find("arrays") if p.endswith("dflow-complete.json")]
    assert len(markers) == 1
    staged = {p.split("/")[0] for p in store.io.find("staging")}
    assert len(staged) == (0 if store.io.local else 1)  # the copy the marker points at
    np.testing.assert_array_equal(store.load(r2).compute(), _data())
