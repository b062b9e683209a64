"""The content-addressed artifact store.

A library of its own: it imports nothing from dflow but :mod:`dflow.errors` and
:mod:`dflow.config`. Open one with :func:`open_store`; it is picklable and travels to
Dask workers as its URL, options and trust flag.

>>> from dflow.store import open_store
>>> store = open_store("memory://doctest-init")
>>> ref = store.save([1, 2.5, "x"])
>>> ref.encoding, store.load(ref)
('msgpack', [1, 2.5, 'x'])

LAYOUT (version 1)
------------------
Everything lives under one root URL (a local folder, ``s3://bucket/prefix``,
``memory://name`` or any fsspec URL)::

    objects/<k[:2]>/<k[2:]>        blob: 16-byte header (b"DFB1", codec byte 0 none /
                                   1 zstd / 2 lz4, 3 zero bytes, uint64 LE raw size),
                                   then the payload. k = xxh3-128 hex of the raw bytes.
    arrays/<k[:2]>/<k[2:]>/        zarr v3 array (chunks of whole rows, crc32c per chunk,
                                   blosc-lz4 only when it pays) and, written last,
        dflow-complete.json        {"layout": 1, "key", "dtype", "shape", "chunks", "codecs",
                                   "all_chunks": true}; all_chunks: every chunk is stored
                                   (even all-fill ones), so a missing chunk is corruption.
                                   k = xxh3-128 of a canonical header + the C-order buffer.
                                   A dask array (encoding "dask-zarr") has the same form,
                                   chunked as the dask array was (irregular chunks made
                                   regular), blosc-lz4 for integer/bool dtypes only, and
                                   k = a Merkle key: xxh3-128 of a canonical header (dtype,
                                   shape, chunks) + every chunk's xxh3-128 in C order. On an
                                   object store its zarr data stays where it was written and
                                   the marker's "data" field names it (staging/<uuid>).
    tables/<k[:2]>/<k[2:]>/        a dask dataframe or series (encoding "dask-parquet"):
        part.<n:06d>.parquet       one Parquet file (pyarrow, zstd) per partition, and last
        dflow-complete.json        {"layout": 1, "key", "npartitions", "parts": [[file,
                                   xxh3-128 of the file, rows], ...], "meta": <blob key of
                                   the empty frame as Arrow IPC>, "divisions": <blob key of
                                   the divisions as Arrow IPC, or null>} (and "data" on an
                                   object store, as for arrays). k = Merkle key of a header
                                   (type, partitions, divisions known) + the file digests.
    staging/<uuid>/                object stores only: dask arrays and dataframes being
                                   written; visible only once a marker names them.
    flows/<flow>/index/<run_id>.<status>          empty: the cheap run index
    flows/<flow>/runs/<run_id>/run.json           run record ({"layout": 2, ...})
    flows/<flow>/runs/<run_id>/heartbeat.json     {"layout": 2, "time": ...}: the driver is
                                   alive (rewritten every few seconds while the run goes)
    flows/<flow>/runs/<run_id>/tags/<encoded tag> empty, one per tag; tags/@seeded marks
                                   the folder complete (before it: run.json's "tags").
                                   Encoding: see dflow.store.tags (a-z 0-9 _ - kept,
                                   upper case as ^ + lower, others as %xx UTF-8 bytes;
                                   too long: ~<xxh3 of the tag> holding the tag)
    flows/<flow>/runs/<run_id>/steps/<step>/<task_id>/<attempt>/
        started.json, DONE, stdout.log, stderr.log; record.json if it did not commit
        (started.json and DONE are created atomically and exclusively; DONE is the
        commit: manifest and attempt record in one object sealed by its digest, see
        dflow.store.commits; layout-1 runs also hold manifest.json and record.json)
    flows/<flow>/runs/<run_id>/taskindex/<step>.<task_id>[.<n>].json
                                   {"layout": 1, "files": {<path under the run>: <text>}}:
                                   the DONE and record.json (layout 1: and manifest.json)
                                   files a unit of several
                                   tasks wrote, byte for byte (never overwritten; readers
                                   use an entry only while one listing shows the file
                                   unchanged, see dflow.store.taskindex)
    tmp/                           local stores only: arrays being written

Values are encoded by the codecs of :mod:`dflow.store.codecs` (one registry; the
encoding is recorded in the manifest): ``dask-zarr`` (dask arrays, written chunk by chunk
by the tasks that compute them; read back as lazy dask arrays), ``dask-parquet`` (dask
dataframes and series, one Parquet file per partition, written by the partitions' own
tasks; read back lazily with their divisions), ``parquet`` (pandas DataFrame/Series
and pyarrow Table as one Parquet blob, checked exact before storing; ``arrow``, one Arrow
IPC blob with zstd buffers, for those Parquet would not give back exactly; see
:mod:`dflow.store.frames`), ``zarr`` (numpy arrays of at least ``store.array-threshold``
bytes), ``msgpack`` (plain data with extension types, see :mod:`dflow.store.plaindata`)
or ``pickle`` (cloudpickle, everything else; refused by stores opened with
``trusted=False``; a pickle whose class cannot be imported is an ArtifactUnreadableError).
And ``xarray`` (Datasets and DataArrays when xarray is installed: a msgpack blob of dims,
attrs and the variables' references, each variable's array saved through the store, see
:mod:`dflow.store.xarrays`). Other dask collections (delayed, bags, 0-d arrays) are
computed and their result stored.
A manifest entry is ``{"key", "encoding", "size", "type"}`` plus, when the codec recorded
one, ``"meta"`` (shape, dtype, chunks, columns, rows, partitions, divisions known; for a
frame pickled as a fallback the ``"reason"``), so listings describe values unread.
Code snapshots are blobs holding a deterministic
tar (:mod:`dflow.store.snapshots`). Records and commits carry ``"layout": 2``; runs written
with layout 1 (separate manifest.json and record.json) are read as before. The golden
files in ``tests/golden/store/`` pin both (``layout_v1.json``, ``layout_v2.json``; entries
without ``meta`` are unchanged, so older manifests read as before).
"""

from __future__ import annotations

from dflow.store.location import resolve_options, resolve_store_url
from dflow.store.records import RECORD_LAYOUT
from dflow.store.refs import ArtifactRef, Manifest, RunEntry, TaskAddress
from dflow.store.store import LAYOUT_VERSION, Store

__all__ = [
    "LAYOUT_VERSION",
    "RECORD_LAYOUT",
    "ArtifactRef",
    "Manifest",
    "RunEntry",
    "Store",
    "TaskAddress",
    "open_store",
    "resolve_store_url",
]


def open_store(
    url: str | None = None,
    options: dict | None = None,
    *,
    trusted: bool = True,
    writable: bool = True,
) -> Store:
    """Open the store at ``url`` (resolved by :func:`resolve_store_url`).

    ``options`` are fsspec storage options (default: ``DFLOW_STORE_OPTIONS`` /
    ``dflow.store.options``). A writable store's local root is created if absent; with
    ``writable=False`` the root must exist and only read access is needed (a read-only
    mount, another user's store), and every write raises ReadOnlyStoreError. Raises
    BackendMissingError when the URL's fsspec backend is not installed and StoreError
    when the root cannot be used.
    """
    store = Store(
        resolve_store_url(url), resolve_options(options), trusted=trusted, writable=writable
    )
    store.io  # noqa: B018 - create the filesystem and check the root now
    return store
