"""Large numpy arrays as zarr v3 arrays: chunked by whole rows, checksummed per chunk.

Every chunk ends with a crc32c checksum (zarr's ``crc32c`` codec), so a partial read
(``open_array``, ``load_dask_array``) is verified chunk by chunk; a full ``load`` also
re-checks the whole-array digest (canonical header + buffer, see :mod:`dflow.store.keys`),
which catches missing chunks too. Compression (blosc lz4 with byte shuffle) is used only
when a sampled chunk shows it pays; random floats are stored raw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import zarr
from numcodecs import Blosc
from zarr.codecs import BloscCodec, Crc32cCodec

from dflow.errors import ArtifactCorruptError, ArtifactNotFoundError
from dflow.store.keys import array_digest

#: dtype kinds stored as zarr (bool, int, uint, float, complex); others use msgpack/pickle.
ZARR_KINDS = frozenset("biufc")
_SAMPLE_BYTES = 1 << 20


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
    )
    z[...] = arr
    return {
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


def open_zarr(zstore: Any, key: str, name: str) -> zarr.Array:
    """Open a stored array read-only (its chunks are verified as they are read)."""
    try:
        return zarr.open_array(zstore, mode="r", zarr_format=3)
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

    def __init__(self, opener: Callable[[], zarr.Array], key: str, name: str,
                 shape: tuple[int, ...], dtype: np.dtype) -> None:
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
