"""Reading and writing a raw zarr array of a local store straight from its numpy array.

An array that did not compress is stored as zarr v3 chunks of whole rows with only a
crc32c after each (codecs ``bytes`` + ``crc32c``): every chunk is a contiguous range of
the array's C-order buffer, as it is in memory, then 4 checksum bytes. zarr reads such a
chunk into a buffer of its own, checks it, and copies it into the result. On a local
folder :func:`read_raw` instead reads each chunk file with ``readinto`` into its place in
a preallocated array, one piece of :data:`PIECE` bytes at a time, and checks each piece
(crc32c of its chunk, xxh3 of the whole array) while it is still in the CPU's cache: one
pass over the memory instead of three, and no buffer beside the result.

The checks are the ones of the zarr path: a chunk that is absent, of the wrong size or
that fails its crc32c, and an array whose digest does not match its key, raise
ArtifactCorruptError naming the artifact. :func:`write_raw` writes such chunks the same
way, from the array's own memory (zarr would encode each into a new buffer, several at a
time), after zarr has created the array's metadata. Arrays of another layout (compressed, other
chunk grids or key encodings, chunks that do not span whole trailing axes) are read by
zarr (:func:`raw_layout` says None).
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import sys
from dataclasses import dataclass
from typing import Any

import google_crc32c
import numpy as np
import xxhash

from dflow.errors import ArtifactCorruptError, StoreError
from dflow.store.arrays import _what
from dflow.store.keys import array_header

#: Bytes read and checked at a time (small enough to stay in the CPU's cache).
PIECE = 1 << 20
#: Threads that write one array's chunk files at most.
WRITERS = 2


@dataclass(frozen=True)
class RawLayout:
    """Where the chunks of a raw array are: ``folder``/``keys[i]``, in the order of the
    C-order buffer, each ``chunk_bytes`` long on disk (edge chunks are padded to the full
    chunk) plus a crc32c, of which ``valid[i]`` bytes are the array's."""

    folder: str
    shape: tuple[int, ...]
    dtype: np.dtype
    chunks: tuple[int, ...]
    keys: tuple[str, ...]
    valid: tuple[int, ...]

    @property
    def chunk_bytes(self) -> int:
        """Bytes of one stored chunk, without its checksum."""
        return math.prod(self.chunks) * self.dtype.itemsize


def raw_layout(z: Any) -> RawLayout | None:
    """The raw layout of the zarr array ``z`` when it is on a local folder and its chunks
    can be read or written in place, else None. ``z`` is opened for reading (see
    :func:`dflow.store.arrays.open_zarr`: only an array with every chunk written
    qualifies) or just created, on a ``LocalStore``, for writing."""
    store, meta = z.store_path.store, z.metadata
    if hasattr(store, "all_chunks"):  # opened for reading, through CheckedChunkStore
        if not store.all_chunks:
            return None
        store = store._store
    if type(store).__name__ != "LocalStore":
        return None
    local = store
    codecs = meta.codecs
    names = [type(c).__name__ for c in codecs]
    if names != ["BytesCodec", "Crc32cCodec"] or type(meta.chunk_grid).__name__ != (
        "RegularChunkGrid"
    ):
        return None
    dtype = np.dtype(z.dtype)
    endian = getattr(codecs[0].endian, "value", codecs[0].endian)
    if not dtype.isnative or (dtype.itemsize > 1 and endian != sys.byteorder):
        return None
    shape, chunks = tuple(z.shape), tuple(z.chunks)
    if not _contiguous(shape, chunks) or z.store_path.path:
        return None
    grid = [math.ceil(n / c) for n, c in zip(shape, chunks, strict=True)]
    encode = meta.chunk_key_encoding.encode_chunk_key
    keys, valid = [], []
    for idx in np.ndindex(*grid):
        keys.append(encode(tuple(int(i) for i in idx)))
        sizes = (min(c, n - i * c) for i, c, n in zip(idx, chunks, shape, strict=True))
        valid.append(math.prod(sizes) * dtype.itemsize)
    return RawLayout(str(local.root), shape, dtype, chunks, tuple(keys), tuple(valid))


def _contiguous(shape: tuple[int, ...], chunks: tuple[int, ...]) -> bool:
    """True when every chunk is one contiguous range of the C-order buffer: chunks of one
    along the first axes, then one axis chunked anyhow, then whole axes (what
    :func:`dflow.store.arrays.chunk_shape` writes)."""
    return any(
        all(c == 1 for c in chunks[:p]) and chunks[p + 1 :] == shape[p + 1 :]
        for p in range(len(shape))
    )


def read_raw(layout: RawLayout, key: str, name: str) -> np.ndarray:
    """Read the array of ``layout`` into a new numpy array, checking every chunk's crc32c
    and the whole array's digest against ``key``; errors name the artifact ``name``."""
    what = _what(key, name)
    out = np.empty(layout.shape, dtype=layout.dtype)
    flat = out.reshape(-1).view(np.uint8)
    h = xxhash.xxh3_128(array_header(layout.dtype, layout.shape))
    chunk_bytes, offset = layout.chunk_bytes, 0
    scratch = None
    for chunk_key, valid in zip(layout.keys, layout.valid, strict=True):
        path = os.path.join(layout.folder, *chunk_key.split("/"))
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise _corrupt(what, f"its chunk {chunk_key} is missing") from None
        except OSError as exc:
            raise StoreError(
                f"reading {what} failed at {chunk_key}: {type(exc).__name__}: {exc}",
                hint="check that the store is reachable",
            ) from exc
        try:
            with os.fdopen(fd, "rb", buffering=0) as f:
                if os.fstat(f.fileno()).st_size != chunk_bytes + 4:
                    raise _corrupt(what, f"its chunk {chunk_key} has the wrong size")
                crc = 0
                for start in range(offset, offset + valid, PIECE):
                    piece = flat[start : min(start + PIECE, offset + valid)]
                    _read_exactly(f, piece, what, chunk_key)
                    crc = google_crc32c.extend(crc, piece)
                    h.update(piece)
                if valid < chunk_bytes:  # an edge chunk: zarr pads it to the full chunk
                    if scratch is None:
                        scratch = np.empty(min(PIECE, chunk_bytes), dtype=np.uint8)
                    left = chunk_bytes - valid
                    while left:
                        piece = scratch[: min(left, scratch.size)]
                        _read_exactly(f, piece, what, chunk_key)
                        crc = google_crc32c.extend(crc, piece)
                        left -= piece.size
                stored = f.read(4)
        except OSError as exc:
            raise StoreError(
                f"reading {what} failed at {chunk_key}: {type(exc).__name__}: {exc}",
                hint="check that the store is reachable",
            ) from exc
        if crc.to_bytes(4, "little") != stored:
            raise _corrupt(what, f"its chunk {chunk_key} fails its crc32c checksum")
        offset += valid
    if h.hexdigest() != key:
        raise _corrupt(
            what, "its content does not match its key (a chunk is missing or was replaced)"
        )
    return out


def write_raw(layout: RawLayout, arr: np.ndarray) -> None:
    """Write the chunk files of the C-contiguous ``arr`` (its array created by zarr at
    ``layout``) straight from its memory: each chunk's bytes, zeros to pad an edge chunk,
    then its crc32c, as zarr's ``bytes`` + ``crc32c`` codecs would write them.

    Chunks are written by up to :data:`WRITERS` threads (the writes release the GIL): a
    file's new page-cache pages cost the kernel more than the copy into them, and two
    cores fill them nearly twice as fast as one. All have finished when this returns,
    also when one failed.
    """
    flat = arr.reshape(-1).view(np.uint8)
    starts = np.cumsum((0, *layout.valid[:-1])).tolist()
    for folder in sorted({os.path.dirname(k) for k in layout.keys}):
        os.makedirs(os.path.join(layout.folder, *folder.split("/")), exist_ok=True)

    def write(i: int) -> None:
        path = os.path.join(layout.folder, *layout.keys[i].split("/"))
        _write_chunk(path, flat[starts[i] : starts[i] + layout.valid[i]], layout.chunk_bytes)

    writers = min(WRITERS, os.cpu_count() or 1, len(layout.keys))
    if writers < 2:
        for i in range(len(layout.keys)):
            write(i)
        return
    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(len(layout.keys))))


def _write_chunk(path: str, data: np.ndarray, chunk_bytes: int) -> None:
    with open(path, "wb", buffering=0) as f:
        crc = 0
        for start in range(0, data.size, PIECE):
            piece = data[start : start + PIECE]
            crc = google_crc32c.extend(crc, piece)
            _write_all(f, piece)
        if data.size < chunk_bytes:  # an edge chunk: zarr pads it to the full chunk
            padding = np.zeros(chunk_bytes - data.size, dtype=np.uint8)
            crc = google_crc32c.extend(crc, padding)
            _write_all(f, padding)
        _write_all(f, crc.to_bytes(4, "little"))


def _write_all(f: Any, data: Any) -> None:
    view, done = memoryview(data).cast("B"), 0
    while done < len(view):
        done += f.write(view[done:])


def _read_exactly(f: Any, piece: np.ndarray, what: str, chunk_key: str) -> None:
    view, done = memoryview(piece), 0
    while done < piece.size:
        n = f.readinto(view[done:])
        if not n:
            raise _corrupt(what, f"its chunk {chunk_key} is shorter than it should be")
        done += n


def _corrupt(what: str, detail: str) -> ArtifactCorruptError:
    return ArtifactCorruptError(
        f"{what} is corrupt: {detail}",
        hint="the store is damaged; rerun the step that produced it",
    )
