"""Every chunk of a stored array is written, and a missing one is corruption on every read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dflow.errors import ArtifactCorruptError
from dflow.store import Store
from dflow.store.keys import shard


def _chunks(store: Store, key: str) -> list[str]:
    return sorted(p for p in store.io.find(f"arrays/{shard(key)}") if p.startswith("c/"))


def test_chunks_equal_to_the_fill_value_are_written(store: Store, small_arrays) -> None:
    arr = np.zeros((100, 100))  # 80 KB in 16 KiB chunks of 20 rows: 5 chunks, all zero
    ref = store.save(arr)
    assert len(_chunks(store, ref.key)) == 5
    marker = json.loads(store.io.read(f"arrays/{shard(ref.key)}/dflow-complete.json"))
    assert marker["all_chunks"] is True
    assert np.array_equal(store.load(ref), arr)


def test_a_missing_chunk_fails_partial_and_lazy_reads(store: Store, small_arrays) -> None:
    arr = np.random.default_rng(5).random((100, 100))
    ref = store.save(arr)
    chunk = _chunks(store, ref.key)[1]  # rows 20..39
    store.io.rm(f"arrays/{shard(ref.key)}/{chunk}")
    z = store.open_array(ref, name="weights")
    assert np.array_equal(z[:20], arr[:20])  # untouched chunks still read
    with pytest.raises(ArtifactCorruptError, match=r"'weights'.*chunk c/1/0 is missing"):
        z[25:30]
    lazy = store.load_dask_array(ref, name="weights")
    with pytest.raises(ArtifactCorruptError, match="'weights'"):
        lazy[20:40].compute(scheduler="sync")
    with pytest.raises(ArtifactCorruptError, match="'weights'"):
        store.load(ref, name="weights")


def test_a_corrupt_chunk_read_through_open_array_names_the_artifact(
    store: Store, small_arrays
) -> None:
    arr = np.random.default_rng(6).random((100, 100))
    ref = store.save(arr)
    path = f"arrays/{shard(ref.key)}/{_chunks(store, ref.key)[2]}"
    data = bytearray(store.io.read(path))
    data[7] ^= 0xFF
    store.io.write(path, bytes(data))
    z = store.open_array(ref, name="weights")
    with pytest.raises(ArtifactCorruptError, match=r"'weights'.*crc32c"):
        z[40:60]
    with pytest.raises(ArtifactCorruptError, match=r"'weights'.*crc32c"):
        z.oindex[[41, 42], :]
    assert np.array_equal(z[60:], arr[60:])


def test_open_array_errors_name_the_artifact(store: Store, small_arrays) -> None:
    ref = store.save(np.random.default_rng(7).random((100, 100)))
    base = f"arrays/{shard(ref.key)}"
    store.io.write(f"{base}/zarr.json", b"{broken")
    with pytest.raises(ArtifactCorruptError, match="'w'"):
        store.open_array(ref, name="w")
    store.io.write(f"{base}/dflow-complete.json", b"{broken")
    with pytest.raises(ArtifactCorruptError, match="'w'.*dflow-complete.json"):
        store.open_array(ref, name="w")


def test_arrays_written_before_all_chunks_keep_zarr_semantics(store: Store, small_arrays) -> None:
    """An older array (marker without all_chunks) may lack fill-value chunks: still readable."""
    arr = np.zeros((100, 100))
    arr[:20] = 1.0
    ref = store.save(arr)
    base = f"arrays/{shard(ref.key)}"
    marker = json.loads(store.io.read(f"{base}/dflow-complete.json"))
    del marker["all_chunks"]
    store.io.write(f"{base}/dflow-complete.json", json.dumps(marker).encode())
    for chunk in _chunks(store, ref.key)[1:]:  # the all-zero chunks, as zarr used to skip them
        store.io.rm(f"{base}/{chunk}")
    assert np.array_equal(store.load(ref), arr)
    assert np.array_equal(store.open_array(ref)[50:60], arr[50:60])
