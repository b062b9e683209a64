"""Re-verify stored artifacts cheaply, and set damaged ones aside so they can be rewritten.

What resume checks before it reuses a task (see :func:`damage_of`):

- a blob (``msgpack``, ``pickle``, ``arrow``): it exists and its bytes match their key
  (one read: blobs are whole objects, their digest is the only proof);
- a zarr array (``zarr``, ``dask-zarr``): its completion marker is readable and every
  chunk it promises is present (one listing; chunks are not re-read: their crc32c is
  checked whenever they are read);
- other encodings: their completion (``Store.has``).

Content addressing makes a damaged object unrepairable in place by a plain rewrite (the
writer sees its key present and skips it). :func:`set_aside` therefore removes what is
damaged (the blob, or the array's completion marker) so that the task's rerun writes it
again, whole. Only damaged objects are touched: their content is already lost.
"""

from __future__ import annotations

import json
import math
from typing import Any

from dflow.errors import ArtifactCorruptError, ArtifactNotFoundError
from dflow.store.keys import shard
from dflow.store.refs import ArtifactRef

BLOB_ENCODINGS = frozenset({"msgpack", "pickle", "parquet", "arrow"})
ARRAY_ENCODINGS = frozenset({"zarr", "dask-zarr"})


def damage_of(store: Any, ref: ArtifactRef, name: str = "") -> str | None:
    """Why the artifact ``ref`` is damaged, or None when it is sound."""
    try:
        if ref.encoding in BLOB_ENCODINGS:
            store.get_bytes(ref.key, name=name)  # the digest is re-checked
        elif ref.encoding in ARRAY_ENCODINGS:
            _check_array(store, ref.key, name)
        elif not store.has(ref.key):
            return f"artifact {name!r} is missing"
    except (ArtifactCorruptError, ArtifactNotFoundError) as exc:
        return exc.message
    return None


def _check_array(store: Any, key: str, name: str) -> None:
    from dflow.store.array_files import ARRAY_MARKER, array_rel, data_rel, read_marker

    marker = read_marker(store, key, name)
    data = data_rel(key, marker)
    try:
        meta = json.loads(store.io.read(f"{data}/zarr.json"))
        shape, chunks = meta["shape"], meta["chunk_grid"]["configuration"]["chunk_shape"]
    except FileNotFoundError:
        raise ArtifactNotFoundError(f"array {name!r} ({key}) has no zarr.json") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactCorruptError(
            f"array {name!r} ({key}) has a damaged zarr.json: {exc}"
        ) from None
    expected = math.prod(math.ceil(s / c) for s, c in zip(shape, chunks, strict=True))
    if marker.get("all_chunks") is not True:
        return  # chunks that are all fill value may be absent: nothing cheap to check
    present = len(store.io.find(f"{data}/c")) if expected else 0
    if present < expected:
        raise ArtifactCorruptError(
            f"array {name!r} ({key}) is damaged: {expected - present} of its {expected} "
            f"chunk(s) are missing (see {array_rel(key)}/{ARRAY_MARKER})"
        )


def set_aside(store: Any, ref: ArtifactRef) -> None:
    """Remove a damaged artifact's object (blob) or completion marker (array), so that a
    rerun of the task that made it writes it again."""
    from dflow.store.array_files import ARRAY_MARKER, array_rel

    if ref.encoding in BLOB_ENCODINGS:
        store.io.rm(f"objects/{shard(ref.key)}")
    elif ref.encoding in ARRAY_ENCODINGS:
        store.io.rm(f"{array_rel(ref.key)}/{ARRAY_MARKER}")
