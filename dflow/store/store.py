"""The :class:`Store`: content-addressed values (blobs, arrays, tables) over one root URL.

The Store is composed of parts that each get its file layer (:class:`~dflow.store.files.
Files`): the values (here: the value facade, every encoding a codec of
:mod:`dflow.store.codecs`), the run records (:class:`~dflow.store.records.RunRecords`:
attempts, manifests, run records, index, heartbeat), the run tags
(:class:`~dflow.store.tags.RunTags`) and the code snapshots
(:class:`~dflow.store.snapshots.Snapshots`). Their public methods are also the Store's,
as the one-line delegations listed in the class. See :mod:`dflow.store` for the layout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dflow.errors import ArtifactNotFoundError, StoreError
from dflow.store import codecs
from dflow.store.array_layout import ARRAY_MARKER, LAYOUT_VERSION
from dflow.store.blobs import CODEC_NONE, decode_blob, encode_blob
from dflow.store.failures import GuardedIO
from dflow.store.files import Files, io_error
from dflow.store.keys import check_key, digest, shard
from dflow.store.location import check_root, make_filesystem, protocol_of
from dflow.store.records import RunRecords
from dflow.store.refs import ArtifactRef, what
from dflow.store.snapshots import Snapshots
from dflow.store.tags import RunTags

if TYPE_CHECKING:
    import zarr

__all__ = ["ARRAY_MARKER", "LAYOUT_VERSION", "Store"]
type_name = codecs.type_name


def _part(part: str, method: Callable) -> Callable:
    """A Store method that calls ``method`` of the Store's part ``part`` (same signature
    and docstring, so ``help(Store)`` reads as before)."""
    name = method.__name__

    @functools.wraps(method)
    def delegate(self: Store, *args: Any, **kwargs: Any) -> Any:
        return getattr(getattr(self, part), name)(*args, **kwargs)

    return delegate


class Store:
    """A content-addressed artifact store rooted at ``url`` (any fsspec URL or local path).

    Picklable: only ``url``, ``options``, ``trusted`` and ``writable`` are pickled; the
    filesystem is created lazily on first use. Use :func:`dflow.store.open_store` to
    create one. A store opened with ``writable=False`` needs only read access and raises
    ReadOnlyStoreError on any write.

    >>> store = Store("memory://doctest-store")
    >>> ref = store.save({"a": (1, 2)})
    >>> store.load(ref)
    {'a': (1, 2)}
    """

    def __init__(
        self, url: str, options: dict | None = None, *, trusted: bool = True, writable: bool = True
    ) -> None:
        self.url = url
        self.options = dict(options or {})
        self.trusted = trusted
        self.writable = writable
        self._io_obj: Files | None = None
        #: Blobs this store wrote or found on writing: present for good (a blob is never
        #: removed), so committing them needs no request.
        self._present: set[str] = set()

    def __getstate__(self) -> dict:
        return {
            "url": self.url,
            "options": self.options,
            "trusted": self.trusted,
            "writable": self.writable,
        }

    def __setstate__(self, state: dict) -> None:
        self.__init__(
            state["url"],
            state["options"],
            trusted=state["trusted"],
            writable=state.get("writable", True),
        )

    def __repr__(self) -> str:
        return f"Store({self.url!r}, trusted={self.trusted}, writable={self.writable})"

    def reopened(self, *, writable: bool) -> Store:
        """This store (same URL, options and trust) opened writable or read-only."""
        if writable == self.writable:
            return self
        other = Store(self.url, self.options, trusted=self.trusted, writable=writable)
        other.io  # noqa: B018 - check the root now
        return other

    @property
    def io(self) -> Files:
        """The file layer (created, and the root checked, on first use)."""
        if self._io_obj is None:
            fs, root = make_filesystem(self.url, self.options)
            check_root(fs, root, self.url, writable=self.writable)
            files: Any = Files(fs, root, writable=self.writable)
            if not files.local:  # every backend failure becomes one StoreIOError sentence
                endpoint = str(self.options.get("endpoint_url", "") or "")
                files = GuardedIO(files, self.url, endpoint)
            self._records = RunRecords(files, self.url, self.has)
            self._tags = RunTags(files, self._records)
            own = Path(self.url) if protocol_of(self.url) == "file" else None
            self._snapshots = Snapshots(self.put_bytes, self.get_bytes, own)
            self._io_obj = files
        return self._io_obj

    @property
    def records(self) -> RunRecords:
        """Attempts, manifests, run records, the run index and heartbeats."""
        self.io  # noqa: B018 - the parts are made with the file layer
        return self._records

    @property
    def tags(self) -> RunTags:
        """Run tags."""
        self.io  # noqa: B018
        return self._tags

    @property
    def snapshots(self) -> Snapshots:
        """Code snapshots (stored as this store's blobs)."""
        self.io  # noqa: B018
        return self._snapshots

    # --- the composed parts (see the module docstring) ---------------------------------

    list_attempts = _part("records", RunRecords.list_attempts)
    start_attempt = _part("records", RunRecords.start_attempt)
    committed_attempts = _part("records", RunRecords.committed_attempts)
    latest_attempts = _part("records", RunRecords.latest_attempts)
    commit_attempt = _part("records", RunRecords.commit_attempt)
    manifest = _part("records", RunRecords.manifest)
    latest_commit = _part("records", RunRecords.latest_commit)
    write_attempt_record = _part("records", RunRecords.write_attempt_record)
    read_attempt_record = _part("records", RunRecords.read_attempt_record)
    write_log = _part("records", RunRecords.write_log)
    read_log = _part("records", RunRecords.read_log)
    write_run_record = _part("records", RunRecords.write_run_record)
    read_run_record = _part("records", RunRecords.read_run_record)
    set_run_status = _part("records", RunRecords.set_run_status)
    write_heartbeat = _part("records", RunRecords.write_heartbeat)
    read_heartbeat = _part("records", RunRecords.read_heartbeat)
    list_flows = _part("records", RunRecords.list_flows)
    list_runs = _part("records", RunRecords.list_runs)
    list_steps = _part("records", RunRecords.list_steps)
    list_tasks = _part("records", RunRecords.list_tasks)
    write_task_index = _part("records", RunRecords.write_task_index)
    run_snapshot = _part("records", RunRecords.snapshot)
    run_tags = _part("tags", RunTags.run_tags)
    add_run_tags = _part("tags", RunTags.add_run_tags)
    remove_run_tags = _part("tags", RunTags.remove_run_tags)
    save_code = _part("snapshots", Snapshots.save_code)
    extract_code = _part("snapshots", Snapshots.extract_code)

    # --- blobs -------------------------------------------------------------------------

    def put_bytes(self, data: bytes, *, compressed: bool = False) -> str:
        """Store raw bytes content-addressed (write-once); return their key.

        ``compressed``: the bytes are compressed already (a Parquet file), so the blob
        layer stores them as they are instead of trying zstd on them again.
        """
        key = digest(data)
        rel = f"objects/{shard(key)}"
        blob = encode_blob(data, CODEC_NONE if compressed else None)
        try:
            self.io.put_once(rel, blob)  # one request on an object store
        except (OSError, ValueError) as exc:
            raise io_error("write", rel, exc) from exc
        self._known(key)
        return key

    def get_bytes(self, key: str, *, name: str = "") -> bytes:
        """Return the bytes stored under ``key``, re-checking their digest."""
        rel = f"objects/{shard(key)}"
        try:
            blob = self.io.read(rel)
        except FileNotFoundError:
            raise ArtifactNotFoundError(
                f"{what(key, name)} is missing from the store at {self.url}",
                hint="the store may be incomplete or a different store was meant",
            ) from None
        except (OSError, ValueError) as exc:
            raise io_error("read", rel, exc) from exc
        return decode_blob(blob, key, name)

    def has(self, key: str) -> bool:
        """True if a blob, a complete array or a complete table is stored under ``key``."""
        check_key(key)
        if key in self._present:
            return True
        try:
            return any(
                self.io.exists(rel)
                for rel in (
                    f"objects/{shard(key)}",
                    f"arrays/{shard(key)}/{ARRAY_MARKER}",
                    f"tables/{shard(key)}/{ARRAY_MARKER}",
                )
            )
        except OSError as exc:
            raise io_error("lookup", key, exc) from exc

    def _known(self, key: str) -> None:
        if len(self._present) >= 100_000:  # bounded: a long-lived worker forgets
            self._present.clear()
        self._present.add(key)

    # --- values (each encoding is a codec: dflow.store.codecs) ---------------------------

    def save(self, value: Any) -> ArtifactRef:
        """Store ``value`` with the first codec that accepts it; return its reference.

        Dask arrays and dataframes are written chunk by chunk by the tasks that compute
        them (Dask's current scheduler), pandas/Arrow frames as Parquet, large numpy
        arrays as zarr, plain data as msgpack, everything else as a pickle.
        """
        return codecs.save_value(self, value)

    def load(self, ref: ArtifactRef, *, name: str = "") -> Any:
        """Load a value (checked against its key). Errors name the artifact ``name``.

        Dask-encoded artifacts come back as lazy Dask collections over the store.
        """
        return codecs.load_value(self, ref, name)

    def open_array(self, ref: ArtifactRef, *, name: str = "") -> zarr.Array:
        """Open a zarr-encoded artifact (numpy or dask array) read-only.

        Every chunk is checked as it is read (present, crc32c); a damaged one raises
        ArtifactCorruptError naming the artifact ``name``, on any kind of slice.
        """
        codec = codecs.codec_for(ref.encoding, key=ref.key, name=name)
        if not hasattr(codec, "open_array"):
            raise StoreError(
                f"{what(ref.key, name)} is stored as {ref.encoding}, not as a zarr array",
                hint="use load() for values that are not arrays",
            )
        return codec.open_array(self, ref, name)

    def load_dask_array(self, ref: ArtifactRef, *, name: str = "") -> Any:
        """A lazy ``dask.array`` over an array artifact (nothing is read yet)."""
        return codecs.codec_for(ref.encoding, key=ref.key, name=name).dask_array(self, ref, name)

    def load_dask_dataframe(self, ref: ArtifactRef, *, name: str = "") -> Any:
        """A lazy ``dask.dataframe`` over a frame artifact (nothing is read yet)."""
        codec = codecs.codec_for(ref.encoding, key=ref.key, name=name)
        return codec.dask_dataframe(self, ref, name)

    def load_delayed(self, ref: ArtifactRef, *, name: str = "") -> Any:
        """The chunks or partitions of a collection artifact as ``dask.delayed`` objects."""
        return codecs.codec_for(ref.encoding, key=ref.key, name=name).to_delayed(self, ref, name)
