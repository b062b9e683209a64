"""Large numpy arrays as zarr v3 arrays: chunked by whole rows, checksummed per chunk.

Every chunk is written, even one equal to the fill value (``write_empty_chunks``), and
ends with a crc32c checksum (zarr's ``crc32c`` codec). Reads go through
:class:`CheckedChunkStore`, which checks each chunk as it is fetched: a chunk that is
absent (for arrays whose marker says ``"all_chunks": true``) or fails its checksum is an
ArtifactCorruptError naming the artifact, on every read path (a full ``load``,
``open_array`` slices, ``load_dask_array``), instead of zarr's silent fill value. A full
``load`` also re-checks the whole-array digest (canonical header + buffer, see
:mod:`dflow.store.keys`). Compression (blosc lz4 with byte shuffle) is used only when a
sampled chunk shows it pays; random floats are stored raw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import google_crc32c
import numpy as np
import zarr
from numcodecs import Blosc
from zarr.codecs import BloscCodec, Crc32cCodec
from zarr.storage import WrapperStore

from dflow.errors import ArtifactCorruptError, ArtifactNotFoundError, StoreError
from dflow.store.ioloops import start_zarr_loop
from dflow.store.keys import array_digest

#: dtype kinds stored as zarr (bool, int, uint, float, complex); others use msgpack/pickle.
ZARR_KINDS = frozenset("biufc")
_SAMPLE_BYTES = 1 << 20

start_zarr_loop()  # before any zarr call of a task could make it in the task's context


def fits_zarr(arr: Any, threshold: int) -> bool:
    """True if ``arr`` is a plain numpy array of at least ``threshold`` bytes zarr can hold."""
    return (
        type(arr) is np.ndarray
        and arr.nbytes >= threshold
        and arr.dtype.kind in ZARR_KINDS
        and arr.dtype.isnative
        and arr.ndim > 0
    )


def chunk_shape(shape: tuple[int, ...], itemsize: int, target: int) -> tuple[int, ...]:
    """Chunks of about ``target`` bytes made of whole rows (whole blocks of trailing axes).

    >>> chunk_shape((1000, 100), 8, 80_000)
    (100, 100)
    """
    chunks = list(shape)
    for axis in range(len(shape)):
        inner = itemsize * math.prod(shape[axis + 1 :])
        if inner * shape[axis] <= target or inner <= target:
            chunks[axis] = max(1, min(shape[axis], target // max(inner, 1)))
            break
        chunks[axis] = 1
    return tuple(max(1, c) for c in chunks)


def choose_compressors(arr: np.ndarray) -> list:
    """Blosc-lz4 + crc32c when a sample compresses to < 80 %, else crc32c only."""
    flat = arr.reshape(-1).view(np.uint8)
    n = min(flat.size, _SAMPLE_BYTES)
    start = (flat.size // 2 // max(arr.itemsize, 1)) * arr.itemsize
    sample = flat[start : start + n] if start + n <= flat.size else flat[:n]
    probe = Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE, typesize=arr.itemsize)
    if sample.size and len(probe.encode(sample)) < 0.8 * sample.size:
        codec = BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=arr.itemsize)
        return [codec, Crc32cCodec()]
    return [Crc32cCodec()]


def write_zarr(zstore: Any, arr: np.ndarray, chunk_bytes: int) -> dict:
    """Write ``arr`` (C-contiguous) as a zarr v3 array into ``zstore``; return its summary."""
    z, summary = create_zarr(zstore, arr, chunk_bytes)
    z[...] = arr
    return summary


def create_zarr(zstore: Any, arr: np.ndarray, chunk_bytes: int) -> tuple[zarr.Array, dict]:
    """Create the zarr v3 array ``arr`` will be written to (its metadata, no chunks yet);
    return it and the summary for its completion marker."""
    chunks = chunk_shape(arr.shape, arr.itemsize, chunk_bytes)
    compressors = choose_compressors(arr)
    z = zarr.create_array(
        zstore,
        shape=arr.shape,
        dtype=arr.dtype,
        chunks=chunks,
        compressors=compressors,
        filters=None,
        fill_value=0,
        overwrite=True,
        zarr_format=3,
        config={"write_empty_chunks": True},
    )
    return z, {
        "all_chunks": True,
        "chunks": list(chunks),
        "codecs": [type(c).__name__ for c in compressors],
    }


def _what(key: str, name: str) -> str:
    return f"array artifact {name!r} (object {key})" if name else f"array object {key}"


def corrupt(key: str, name: str, exc: BaseException) -> ArtifactCorruptError:
    """The error for a chunk that failed its checksum or could not be decoded."""
    return ArtifactCorruptError(
        f"{_what(key, name)} is corrupt: {type(exc).__name__}: {exc}",
        hint="the store is damaged; rerun the step that produced it",
    )


def is_chunk_key(key: str) -> bool:
    """True for a chunk's key in a zarr v3 array (default key encoding: ``c/0/1``)."""
    return key == "c" or key.startswith("c/")


class CheckedChunkStore(WrapperStore):
    """A read-only zarr store wrapper that checks every chunk as it is fetched.

    A chunk that is absent when ``all_chunks`` is set (arrays written with every chunk
    present), or that fails its crc32c (the last 4 bytes of every stored chunk) when
    ``check_crc`` is set, raises ArtifactCorruptError naming the artifact; a backend
    failure raises StoreError naming it. Without the wrapper zarr would read an absent
    chunk as the fill value. ``check_crc`` is for arrays handed to users as they are
    (``open_array``), whose reads would otherwise raise zarr's own unnamed checksum error;
    dflow's own read paths name that error themselves, so they skip the second crc pass.
    """

    def __init__(
        self,
        store: Any,
        key: str = "",
        name: str = "",
        all_chunks: bool = False,
        check_crc: bool = False,
    ) -> None:
        super().__init__(store)
        self.key, self.name = key, name
        self.all_chunks, self.check_crc = all_chunks, check_crc

    def _with_store(self, store: Any) -> CheckedChunkStore:
        return type(self)(store, self.key, self.name, self.all_chunks, self.check_crc)

    async def get(self, key: str, prototype: Any, byte_range: Any = None) -> Any:
        """Fetch ``key``; a chunk is checked (present, crc32c) before zarr decodes it."""
        try:
            buf = await self._store.get(key, prototype, byte_range)
        except OSError as exc:
            raise StoreError(
                f"reading {_what(self.key, self.name)} failed at {key}: "
                f"{type(exc).__name__}: {exc}",
                hint="check that the store is reachable",
            ) from exc
        if not is_chunk_key(key):
            return buf
        if buf is None:
            if self.all_chunks:
                raise ArtifactCorruptError(
                    f"{_what(self.key, self.name)} is corrupt: its chunk {key} is missing",
                    hint="the store is damaged; rerun the step that produced it",
                )
            return None
        if self.check_crc and byte_range is None:
            self._check_crc(key, buf.as_numpy_array())
        return buf

    def _check_crc(self, key: str, data: np.ndarray) -> None:
        ok = len(data) >= 4 and np.uint32(
            google_crc32c.value(np.ascontiguousarray(data[:-4]))
        ).tobytes() == bytes(data[-4:])
        if not ok:
            raise ArtifactCorruptError(
                f"{_what(self.key, self.name)} is corrupt: its chunk {key} fails its "
                "crc32c checksum",
                hint="the store is damaged; rerun the step that produced it",
            )


def open_zarr(
    zstore: Any, key: str, name: str, *, all_chunks: bool = False, check_crc: bool = False
) -> zarr.Array:
    """Open a stored array read-only; its chunks are checked as they are read.

    ``all_chunks``: every chunk was written, so an absent one is corruption.
    ``check_crc``: check each chunk's crc32c before zarr does (errors name the artifact).
    """
    checked = CheckedChunkStore(zstore, key, name, all_chunks, check_crc)
    try:
        return zarr.open_array(checked, mode="r", zarr_format=3)
    except FileNotFoundError as exc:
        raise ArtifactNotFoundError(f"{_what(key, name)} is missing: {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise corrupt(key, name, exc) from None


def read_full(z: zarr.Array, key: str, name: str) -> np.ndarray:
    """Read a whole array and check its digest against ``key``."""
    try:
        arr = np.ascontiguousarray(z[...])
    except (ValueError, RuntimeError, TypeError) as exc:
        raise corrupt(key, name, exc) from None
    if array_digest(arr) != key:
        raise ArtifactCorruptError(
            f"{_what(key, name)} is corrupt: its content does not match its key "
            "(a chunk is missing or was replaced)",
            hint="the store is damaged; rerun the step that produced it",
        )
    return arr


class VerifiedChunks:
    """Array-like view for ``dask.array.from_array`` that opens the zarr array lazily.

    Picklable (it holds a function that reopens the array, not the array), so dask
    graphs built from it can run on remote workers. Errors name the artifact.
    """

    def __init__(
        self,
        opener: Callable[[], zarr.Array],
        key: str,
        name: str,
        shape: tuple[int, ...],
        dtype: np.dtype,
    ) -> None:
        self.opener, self.key, self.name = opener, key, name
        self.shape, self.dtype, self.ndim = tuple(shape), np.dtype(dtype), len(shape)
        self._z: zarr.Array | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_z"] = None
        return state

    def __getitem__(self, index: Any) -> np.ndarray:
        """Read ``index`` from the stored array (chunks checked by crc32c)."""
        if self._z is None:
            self._z = self.opener()
        try:
            return self._z[index]
        except (ValueError, RuntimeError, TypeError) as exc:
            raise corrupt(self.key, self.name, exc) from None
