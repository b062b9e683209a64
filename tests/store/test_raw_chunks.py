"""Raw arrays of a local store are read straight into the result (dflow.store.raw_chunks):
any shape, dtype and memory order round-trips, and every damage the zarr path detects
fails the same way, naming the artifact."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import zarr

from dflow.errors import ArtifactCorruptError
from dflow.store import Store, open_store
from dflow.store.array_files import open_checked
from dflow.store.keys import shard
from dflow.store.raw_chunks import raw_layout


@pytest.fixture
def local(tmp_path) -> Store:
    """A local store (the only kind the fast path reads)."""
    return open_store(str(tmp_path / "store"))


def _noise(shape, dtype="float64", seed=0) -> np.ndarray:
    """Incompressible data of ``dtype`` (stored raw: crc32c only)."""
    raw = np.random.default_rng(seed).integers(0, 256, size=int(np.prod(shape)) * 16, dtype="u1")
    return raw[: int(np.prod(shape)) * np.dtype(dtype).itemsize].view(dtype).reshape(shape)


def _fast(store: Store, key: str) -> bool:
    return raw_layout(open_checked(store, key, "x")) is not None


CASES = {
    "1-d float64": _noise((20_000,)),
    "odd rows, partial last chunk": _noise((997, 13)),
    "rows larger than a chunk (every row's last chunk padded)": _noise((3, 5, 2_999)),
    "leading ones": _noise((1, 1, 4_001, 3)),
    "int8": _noise((70_001,), "int8"),
    "uint16": _noise((333, 111), "uint16"),
    "complex128": _noise((4_099,), "complex128"),
    "fortran order": np.asfortranarray(_noise((300, 70))),
    "strided view": _noise((400, 500))[:, ::3],
    "transposed": _noise((90, 300)).T,
}


@pytest.mark.parametrize("case", list(CASES))
def test_raw_arrays_round_trip_through_the_fast_path(local: Store, small_arrays, case) -> None:
    arr = CASES[case]
    ref = local.save(arr)
    assert ref.encoding == "zarr" and _fast(local, ref.key)
    back = local.load(ref, name="x")
    assert back.dtype == arr.dtype and back.shape == arr.shape and back.flags.c_contiguous
    assert back.tobytes() == arr.tobytes()  # random bytes: NaNs among the floats
    assert zarr.open_array(local.io.full(f"arrays/{shard(ref.key)}"))[...].tobytes() == (
        arr.tobytes()
    )


def test_bool_and_compressed_arrays_still_load(local: Store, small_arrays) -> None:
    flags = np.random.default_rng(5).random(100_000) < 0.5
    ref = local.save(flags)
    assert np.array_equal(local.load(ref), flags)
    ramp = np.arange(100_000, dtype=np.int64)  # compresses: blosc, read by zarr
    ref = local.save(ramp)
    assert not _fast(local, ref.key) and np.array_equal(local.load(ref), ramp)


def test_zero_d_and_small_arrays_are_not_zarr(local: Store, small_arrays) -> None:
    for value in (np.float64(3.5), np.array(2.0), np.arange(10)):
        ref = local.save(value)
        assert ref.encoding != "zarr"
        assert np.array_equal(local.load(ref), value)


def _chunk_files(store: Store, key: str) -> list[str]:
    folder = store.io.full(f"arrays/{shard(key)}")
    found = [
        os.path.join(root, f)
        for root, _, files in os.walk(folder)
        for f in files
        if os.path.relpath(os.path.join(root, f), folder).startswith("c" + os.sep)
    ]
    return sorted(found)


def _damaged(local: Store, how: str) -> tuple:
    arr = _noise((3, 5, 2_999))  # 16 KiB chunks of 1 x 1 x 2,048: padded edge chunks
    ref = local.save(arr)
    files = _chunk_files(local, ref.key)
    edge = files[1]  # c/0/0/1: 951 values and the padding
    data = bytearray(open(edge, "rb").read())
    if how == "flipped byte":
        data[100] ^= 0xFF
    elif how == "flipped padding":
        data[-10] ^= 0xFF
    elif how == "flipped checksum":
        data[-1] ^= 0xFF
    elif how == "truncated":
        data = data[:-100]
    elif how == "longer":
        data += b"\0" * 8
    if how == "missing":
        os.remove(edge)
    elif how == "swapped":  # two valid chunks in each other's place: only the digest sees it
        a, b = files[0], files[2]
        da, db = open(a, "rb").read(), open(b, "rb").read()
        open(a, "wb").write(db)
        open(b, "wb").write(da)
    else:
        open(edge, "wb").write(bytes(data))
    return ref


@pytest.mark.parametrize(
    "how",
    ["flipped byte", "flipped padding", "flipped checksum", "truncated", "longer", "missing"],
)
def test_a_damaged_chunk_fails_the_fast_path_naming_the_artifact(
    local: Store, small_arrays, how
) -> None:
    ref = _damaged(local, how)
    with pytest.raises(ArtifactCorruptError, match=r"'weights'.*chunk c/0/0/1"):
        local.load(ref, name="weights")


def test_chunks_in_each_others_place_fail_the_digest(local: Store, small_arrays) -> None:
    ref = _damaged(local, "swapped")
    with pytest.raises(ArtifactCorruptError, match="'weights'.*does not match its key"):
        local.load(ref, name="weights")


def test_arrays_without_every_chunk_written_are_read_by_zarr(local: Store, small_arrays) -> None:
    arr = _noise((997, 13))
    ref = local.save(arr)
    marker = local.io.full(f"arrays/{shard(ref.key)}/dflow-complete.json")
    doc = json.loads(open(marker).read())
    doc.pop("all_chunks")
    open(marker, "w").write(json.dumps(doc))
    assert not _fast(local, ref.key)
    assert local.load(ref).tobytes() == arr.tobytes()


@pytest.mark.parametrize("case", ["odd rows, partial last chunk", "leading ones", "uint16"])
def test_the_fast_writer_writes_what_zarr_writes(local: Store, small_arrays, tmp_path, case):
    arr = np.ascontiguousarray(CASES[case])
    ref = local.save(arr)
    folder = local.io.full(f"arrays/{shard(ref.key)}")
    meta = json.loads(open(os.path.join(folder, "zarr.json")).read())
    by_zarr = zarr.create_array(
        zarr.storage.LocalStore(str(tmp_path / "by-zarr")),
        shape=arr.shape,
        dtype=arr.dtype,
        chunks=meta["chunk_grid"]["configuration"]["chunk_shape"],
        compressors=[zarr.codecs.Crc32cCodec()],
        filters=None,
        fill_value=0,
        zarr_format=3,
        config={"write_empty_chunks": True},
    )
    by_zarr[...] = arr
    ours = _chunk_files(local, ref.key)
    assert len(ours) > 1
    theirs = sorted(
        os.path.join(root, f)
        for root, _, files in os.walk(tmp_path / "by-zarr")
        for f in files
        if f != "zarr.json"
    )
    assert [os.path.relpath(p, folder) for p in ours] == [
        os.path.relpath(p, tmp_path / "by-zarr") for p in theirs
    ]
    for a, b in zip(ours, theirs, strict=True):
        assert open(a, "rb").read() == open(b, "rb").read()
