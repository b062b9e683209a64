"""The ``dask-zarr`` codec: dask arrays written chunk by chunk as zarr v3, read back lazily.

Saving never gathers the array: a writer is fused onto every chunk's own task
(``map_blocks``), so the process that computes a chunk writes it into a zarr array at a
staging prefix and returns only that chunk's xxh3-128 digest. The graph is computed with
Dask's current scheduler (``dask.compute`` without a scheduler argument: the run's
cluster inside a step, the threaded scheduler under ``--scheduler sync``), so no process
holds more than the chunks it is computing. Irregular chunks are first rechunked to a
regular grid (zarr needs one: equal chunks along each axis, the last one possibly
smaller); a 0-d array is stored as its value.

The key is a Merkle key: the xxh3-128 digest of a canonical header (dtype, shape,
chunks) followed by the chunk digests in C order, so equal data with equal chunking is
stored once. When every chunk is written the staging copy is committed
(:func:`dflow.store.array_files.commit_staged`: renamed locally, pointed at by the
marker on an object store, dropped if the key is already stored) and the completion
marker is written last; a failing chunk fails the save with the user's own exception and
the staging copy is removed, so nothing is visible.

Loading returns a lazy ``dask.array`` over the stored zarr array with the stored shape,
dtype and chunks; only the chunks a computation touches are read, each checked by its
crc32c (errors name the artifact).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import numpy as np
import xxhash

from dflow.store.array_files import (
    commit_staged,
    compute_settled,
    open_checked,
    remove_tree,
    zarr_store,
)
from dflow.store.arrays import ZARR_KINDS
from dflow.store.codecs import Codec, Declined, type_name
from dflow.store.refs import ArtifactRef
from dflow.store.zarr_codec import lazy_array


class DaskArrayCodec(Codec):
    """dask.array.Array -> zarr v3, written by the tasks that compute the chunks."""

    name = "dask-zarr"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        import dask.array as da

        return isinstance(value, da.Array)

    def save(self, store: Any, value: Any) -> ArtifactRef:  # noqa: D102
        dtype = np.dtype(value.dtype)
        if dtype.kind not in ZARR_KINDS or not dtype.isnative:
            raise Declined(f"a dask array of dtype {dtype} cannot be stored as zarr")
        x = regular(value)
        staging = f"{'tmp' if store.io.local else 'staging'}/{uuid.uuid4().hex}"
        store.io.check_writable(staging)
        chunks = tuple(max(1, c[0]) if c else 1 for c in x.chunks)
        try:
            _create(store, staging, x, chunks)
            digests = _write_chunks(store, staging, x, chunks)
        except BaseException:
            remove_tree(store, staging)
            raise
        key = merkle_key(dtype, x.shape, chunks, digests)
        meta = {
            "shape": list(x.shape),
            "dtype": str(dtype),
            "chunks": list(chunks),
            "nchunks": len(digests),
        }
        doc = {
            "dtype": np.lib.format.dtype_to_descr(dtype),
            "shape": list(x.shape),
            "chunks": list(chunks),
            "codecs": ["BloscCodec", "Crc32cCodec"] if compressed(dtype) else ["Crc32cCodec"],
            "all_chunks": True,
        }
        commit_staged(store, key, staging, doc)
        return ArtifactRef(key, self.name, int(x.nbytes), type_name(value), meta)

    def load(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return lazy_array(store, ref.key, name)

    def dask_array(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return lazy_array(store, ref.key, name)

    def open_array(self, store: Any, ref: ArtifactRef, name: str) -> Any:
        """The stored zarr array, read-only; chunks checked (present, crc32c) as read."""
        return open_checked(store, ref.key, name, check_crc=True)

    def to_delayed(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return lazy_array(store, ref.key, name).to_delayed()


def regular(x: Any) -> Any:
    """``x`` itself if its chunks form a regular grid, else ``x`` rechunked to one."""
    target = {}
    for axis, cs in enumerate(x.chunks):
        if len(cs) > 1 and (len(set(cs[:-1])) > 1 or cs[-1] > cs[0]):
            target[axis] = max(cs)
    return x.rechunk(target) if target else x


def merkle_key(dtype: np.dtype, shape: tuple, chunks: tuple, digests: list[str]) -> str:
    """The key of a chunked array: digest of a canonical header + its chunk digests."""
    header = {
        "dtype": np.lib.format.dtype_to_descr(np.dtype(dtype)),
        "shape": [int(n) for n in shape],
        "chunks": [int(c) for c in chunks],
        "order": "C",
    }
    h = xxhash.xxh3_128(b"dflow-chunked-array\x00")
    h.update(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    for d in digests:
        h.update(bytes.fromhex(d))
    return h.hexdigest()


def compressed(dtype: np.dtype) -> bool:
    """Whether chunks of ``dtype`` are blosc-lz4 compressed: integers and booleans are
    (they usually compress); floats and complex numbers are not (measured data rarely
    compresses, and blosc costs 5x the write on it). A chunk cannot be sampled first: its
    graph would be computed twice."""
    return np.dtype(dtype).kind in "biu"


def _create(store: Any, staging: str, x: Any, chunks: tuple) -> None:
    import zarr
    from zarr.codecs import BloscCodec, Crc32cCodec

    itemsize = np.dtype(x.dtype).itemsize
    compressors = [Crc32cCodec()]
    if compressed(x.dtype):
        codec = BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=itemsize)
        compressors.insert(0, codec)
    zarr.create_array(
        zarr_store(store, staging, read_only=False),
        shape=x.shape,
        dtype=x.dtype,
        chunks=chunks,
        compressors=compressors,
        filters=None,
        fill_value=0,
        zarr_format=3,
        config={"write_empty_chunks": True},
    )


def _write_chunks(store: Any, staging: str, x: Any, chunks: tuple) -> list[str]:
    """Compute every chunk and write it where it was computed; its digests in C order."""

    written = x.map_blocks(
        write_block,
        store,
        staging,
        chunks,
        name=f"dflow-write-chunk-{x.name}",
        dtype=object,
        chunks=(1,) * x.ndim,
        meta=np.empty((0,) * x.ndim, dtype=object),
    )
    digests = compute_settled(written)
    return [str(d) for d in np.asarray(digests).ravel(order="C")]


def write_block(
    block: np.ndarray, store: Any, staging: str, chunks: tuple, block_info: Any = None
) -> np.ndarray:
    """Write one chunk into the staging zarr array; return its digest (as a 1-cell array)."""
    import zarr

    location = block_info[0]["chunk-location"]
    region = tuple(
        slice(i * c, i * c + n) for i, c, n in zip(location, chunks, block.shape, strict=True)
    )
    data = np.ascontiguousarray(block)
    z = zarr.open_array(zarr_store(store, staging, read_only=False), mode="r+", zarr_format=3)
    z[region] = data
    h = xxhash.xxh3_128(json.dumps(list(data.shape)).encode())
    if data.size:
        h.update(data.reshape(-1).view(np.uint8))
    out = np.empty((1,) * block.ndim, dtype=object)
    out[(0,) * block.ndim] = h.hexdigest()
    return out
