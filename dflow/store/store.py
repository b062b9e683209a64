"""The :class:`Store`: content-addressed values (blobs, arrays, tables) over one root URL.

Task attempts, run records and code snapshots are added by the mixins in
:mod:`dflow.store.records` and :mod:`dflow.store.snapshots`; this module holds the
filesystem plumbing and the value facade: every encoding is a codec of
:mod:`dflow.store.codecs`. See :mod:`dflow.store` for the layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dflow.errors import ArtifactNotFoundError, StoreError
from dflow.store import codecs
from dflow.store.array_files import ARRAY_MARKER, LAYOUT_VERSION
from dflow.store.backends import FileIO, FsspecIO, LocalIO, io_error
from dflow.store.blobs import decode_blob, encode_blob
from dflow.store.failures import GuardedIO
from dflow.store.keys import check_key, digest, shard
from dflow.store.location import check_root, make_filesystem, protocol_of
from dflow.store.records import RecordsMixin
from dflow.store.refs import ArtifactRef
from dflow.store.snapshots import SnapshotsMixin
from dflow.store.tags import TagsMixin

if TYPE_CHECKING:
    import zarr

__all__ = ["ARRAY_MARKER", "LAYOUT_VERSION", "Store"]
type_name = codecs.type_name
_what = codecs.what


class Store(RecordsMixin, TagsMixin, SnapshotsMixin):
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
        self._io_obj: FileIO | None = None

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
    def io(self) -> FileIO:
        """The backend (created, and the root checked, on first use)."""
        if self._io_obj is None:
            fs, root = make_filesystem(self.url, self.options)
            check_root(fs, root, self.url, writable=self.writable)
            if protocol_of(self.url) == "file":
                self._io_obj = LocalIO(fs, root, writable=self.writable)
            else:  # every backend failure becomes one StoreIOError sentence
                endpoint = str(self.options.get("endpoint_url", "") or "")
                inner = FsspecIO(fs, root, writable=self.writable)
                self._io_obj = GuardedIO(inner, self.url, endpoint)
        return self._io_obj

    # --- blobs -------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> str:
        """Store raw bytes content-addressed (write-once); return their key."""
        key = digest(data)
        rel = f"objects/{shard(key)}"
        try:
            if not self.io.exists(rel):
                self.io.write(rel, encode_blob(data))
        except (OSError, ValueError) as exc:
            raise io_error("write", rel, exc) from exc
        return key

    def get_bytes(self, key: str, *, name: str = "") -> bytes:
        """Return the bytes stored under ``key``, re-checking their digest."""
        rel = f"objects/{shard(key)}"
        try:
            blob = self.io.read(rel)
        except FileNotFoundError:
            raise ArtifactNotFoundError(
                f"{_what(key, name)} is missing from the store at {self.url}",
                hint="the store may be incomplete or a different store was meant",
            ) from None
        except (OSError, ValueError) as exc:
            raise io_error("read", rel, exc) from exc
        return decode_blob(blob, key, name)

    def has(self, key: str) -> bool:
        """True if a blob, a complete array or a complete table is stored under ``key``."""
        check_key(key)
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

    # --- values (each encoding is a codec: dflow.store.codecs) ---------------------------

    def save(self, value: Any) -> ArtifactRef:
        """Store ``value`` with the first codec that accepts it; return its reference.

        Dask arrays and dataframes are written chunk by chunk by the tasks that compute
        them (Dask's current scheduler), pandas/Arrow frames as Arrow IPC, large numpy
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
                f"{codecs.what(ref.key, name)} is stored as {ref.encoding}, not as a zarr array",
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
