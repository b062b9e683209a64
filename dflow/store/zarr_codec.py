"""The ``zarr`` codec: large numpy arrays as zarr v3 arrays (see :mod:`dflow.store.arrays`).

A numpy array of a zarr-able dtype and at least ``store.array-threshold`` bytes is
written under ``arrays/<key>`` (key: digest of a canonical header + its C-order buffer);
locally into ``tmp/<uuid>`` first, then renamed. ``load`` reads it whole and re-checks the
digest (raw chunks of a local folder straight into the array, see
:mod:`dflow.store.raw_chunks`); :meth:`ZarrCodec.dask_array` opens it lazily.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from typing import Any

import numpy as np
import zarr

from dflow import config
from dflow.store.array_files import (
    ARRAY_MARKER,
    LAYOUT_VERSION,
    array_rel,
    is_complete,
    open_checked,
    zarr_store,
)
from dflow.store.arrays import VerifiedChunks, create_zarr, fits_zarr, read_full, write_zarr
from dflow.store.codecs import Codec
from dflow.store.files import io_error
from dflow.store.keys import array_digest
from dflow.store.raw_chunks import raw_layout, read_raw, write_raw
from dflow.store.refs import ArtifactRef


class ZarrCodec(Codec):
    """numpy arrays of at least ``store.array-threshold`` bytes, as zarr."""

    name = "zarr"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        return fits_zarr(value, int(config.get("store.array-threshold")))

    def save(self, store: Any, value: np.ndarray) -> ArtifactRef:  # noqa: D102
        arr = np.ascontiguousarray(value)
        key = array_digest(arr)
        ref = ArtifactRef(key=key, encoding="zarr", size=arr.nbytes, type_name="numpy.ndarray")
        rel = array_rel(key)
        if is_complete(store, key):
            return ref
        store.io.check_writable(rel)
        chunk_bytes = int(config.get("store.array-chunk-bytes"))
        try:
            if store.io.local:
                _save_local(store, arr, key, rel, chunk_bytes)
            else:
                summary = write_zarr(zarr_store(store, rel, read_only=False), arr, chunk_bytes)
                store.io.write(f"{rel}/{ARRAY_MARKER}", _marker(arr, key, summary))
        except (OSError, ValueError, RuntimeError) as exc:
            raise io_error("array write", rel, exc) from exc
        return ref

    def load(self, store: Any, ref: ArtifactRef, name: str) -> np.ndarray:  # noqa: D102
        z = open_checked(store, ref.key, name)
        layout = raw_layout(z)  # raw chunks on a local folder: read in place
        if layout is not None:
            return read_raw(layout, ref.key, name)
        return read_full(z, ref.key, name)

    def open_array(self, store: Any, ref: ArtifactRef, name: str) -> zarr.Array:
        """The zarr array, read-only; every chunk is checked (present, crc32c) as read."""
        return open_checked(store, ref.key, name, check_crc=True)

    def dask_array(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return lazy_array(store, ref.key, name)

    def to_delayed(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        return self.dask_array(store, ref, name).to_delayed()


def lazy_array(store: Any, key: str, name: str) -> Any:
    """A lazy ``dask.array`` over the completed zarr array ``key`` (nothing read yet)."""
    import dask.array as da

    z = open_checked(store, key, name)
    opener = functools.partial(open_checked, store, key, name)
    chunks = VerifiedChunks(opener, key, name, z.shape, z.dtype)
    return da.from_array(
        chunks,
        chunks=z.chunks,
        name=f"dflow-array-{key}",
        asarray=False,
        fancy=False,
        meta=np.empty((0,) * len(z.shape), dtype=z.dtype),
    )


def _save_local(store: Any, arr: np.ndarray, key: str, rel: str, chunk_bytes: int) -> None:
    io = store.io
    tmp = io.full(f"tmp/{uuid.uuid4().hex}")
    final = io.full(rel)
    try:
        z, summary = create_zarr(zarr.storage.LocalStore(tmp), arr, chunk_bytes)
        layout = raw_layout(z)  # raw chunks: written from the array's own memory
        if layout is not None:
            write_raw(layout, arr)
        else:
            z[...] = arr
        with open(os.path.join(tmp, ARRAY_MARKER), "wb") as f:
            f.write(_marker(arr, key, summary))
        os.makedirs(os.path.dirname(final), exist_ok=True)
        try:
            os.rename(tmp, final)
        except OSError:
            if not os.path.exists(os.path.join(final, ARRAY_MARKER)):
                io.rmtree(final)  # a leftover without its marker is not trusted
                os.rename(tmp, final)
    finally:
        io.rmtree(tmp)


def _marker(arr: np.ndarray, key: str, summary: dict) -> bytes:
    doc = {
        "layout": LAYOUT_VERSION,
        "key": key,
        "dtype": np.lib.format.dtype_to_descr(arr.dtype),
        "shape": list(arr.shape),
        **summary,
    }
    return json.dumps(doc, sort_keys=True).encode()
