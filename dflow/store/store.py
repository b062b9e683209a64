"""The :class:`Store`: content-addressed values (blobs and zarr arrays) over one root URL.

Task attempts, run records and code snapshots are added by the mixins in
:mod:`dflow.store.records` and :mod:`dflow.store.snapshots`; this module holds the
filesystem plumbing and the values themselves. See :mod:`dflow.store` for the layout.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from typing import Any

import cloudpickle
import numpy as np
import zarr
from zarr.storage import FsspecStore, LocalStore

from dflow import config
from dflow.errors import (
    ArtifactCorruptError,
    ArtifactNotFoundError,
    ArtifactUnreadableError,
    PickleRefusedError,
    StoreError,
)
from dflow.store import plaindata
from dflow.store.arrays import (
    VerifiedChunks,
    fits_zarr,
    open_zarr,
    read_full,
    write_zarr,
)
from dflow.store.backends import FileIO, FsspecIO, LocalIO, io_error
from dflow.store.blobs import decode_blob, encode_blob
from dflow.store.keys import array_digest, check_key, digest, shard
from dflow.store.location import check_root, make_filesystem, protocol_of
from dflow.store.records import RecordsMixin
from dflow.store.refs import ArtifactRef
from dflow.store.snapshots import SnapshotsMixin
from dflow.store.tags import TagsMixin

LAYOUT_VERSION = 1
ARRAY_MARKER = "dflow-complete.json"


def type_name(value: Any) -> str:
    """``"module.QualName"`` of a value's type, e.g. ``"builtins.dict"``."""
    t = type(value)
    return f"{t.__module__}.{t.__qualname__}"


def _what(key: str, name: str) -> str:
    return f"artifact {name!r} (object {key})" if name else f"object {key}"


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
            backend = LocalIO if protocol_of(self.url) == "file" else FsspecIO
            self._io_obj = backend(fs, root, writable=self.writable)
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
        """True if a blob or a complete array is stored under ``key``."""
        check_key(key)
        try:
            return self.io.exists(f"objects/{shard(key)}") or self.io.exists(
                f"arrays/{shard(key)}/{ARRAY_MARKER}"
            )
        except OSError as exc:
            raise io_error("lookup", key, exc) from exc

    # --- values ------------------------------------------------------------------------

    def save(self, value: Any) -> ArtifactRef:
        """Serialize and store ``value``; return its reference (msgpack, zarr or pickle)."""
        threshold = int(config.get("store.array-threshold", 1 << 20))
        if fits_zarr(value, threshold):
            return self._save_array(value)
        data, encoding = None, "msgpack"
        try:
            kind = plaindata.classify(value)
            if kind is not None:
                data = plaindata.pack(value, kind)
        except (TypeError, ValueError, OverflowError, RecursionError):
            data = None
        if data is None:
            data, encoding = cloudpickle.dumps(value, protocol=5), "pickle"
        key = self.put_bytes(data)
        return ArtifactRef(key=key, encoding=encoding, size=len(data), type_name=type_name(value))

    def load(self, ref: ArtifactRef, *, name: str = "") -> Any:
        """Load a value; the digest is re-checked. Errors name the artifact ``name``."""
        if ref.encoding == "zarr":
            z = self._open_checked(ref.key, name)
            return read_full(z, ref.key, name)
        if ref.encoding == "pickle" and not self.trusted:
            raise PickleRefusedError(
                f"{_what(ref.key, name)} is a pickle ({ref.type_name}) and this store was "
                "opened as untrusted: unpickling could run arbitrary code",
                hint="open the store with trusted=True if you trust whoever wrote it",
            )
        if ref.encoding not in ("msgpack", "pickle"):
            raise StoreError(f"{_what(ref.key, name)} has an unknown encoding {ref.encoding!r}")
        data = self.get_bytes(ref.key, name=name)
        if ref.encoding == "msgpack":
            return plaindata.unpack(data)
        return _unpickle(data, ref, name)

    def open_array(self, ref: ArtifactRef, *, name: str = "") -> zarr.Array:
        """Open a zarr-encoded artifact read-only.

        Every chunk is checked as it is read (present, crc32c); a damaged one raises
        ArtifactCorruptError naming the artifact ``name``, on any kind of slice.
        """
        self._check_array_ref(ref, name)
        return self._open_checked(ref.key, name, check_crc=True)

    def load_dask_array(self, ref: ArtifactRef, *, name: str = "") -> Any:
        """A lazy ``dask.array`` over a zarr-encoded artifact (nothing is read yet)."""
        import dask.array as da

        self._check_array_ref(ref, name)
        z = self._open_checked(ref.key, name)
        opener = functools.partial(_reopen, self, ref.key, name)
        chunks = VerifiedChunks(opener, ref.key, name, z.shape, z.dtype)
        return da.from_array(
            chunks,
            chunks=z.chunks,
            name=f"dflow-array-{ref.key}",
            asarray=False,
            fancy=False,
            meta=np.empty((0,) * len(z.shape), dtype=z.dtype),
        )

    # --- arrays ------------------------------------------------------------------------

    def _check_array_ref(self, ref: ArtifactRef, name: str) -> None:
        if ref.encoding != "zarr":
            raise StoreError(
                f"{_what(ref.key, name)} is stored as {ref.encoding}, not as a zarr array",
                hint="use load() for values that are not large numpy arrays",
            )

    def _zarr_store(self, key: str, *, read_only: bool) -> Any:
        rel = f"arrays/{shard(key)}"
        if self.io.local:
            return LocalStore(self.io.full(rel), read_only=read_only)
        proto = protocol_of(self.url)
        return FsspecStore.from_url(
            f"{proto}://{self.io.full(rel)}", storage_options=self.options, read_only=read_only
        )

    def _open_checked(self, key: str, name: str, *, check_crc: bool = False) -> zarr.Array:
        rel = f"arrays/{shard(key)}/{ARRAY_MARKER}"
        try:
            marker = json.loads(self.io.read(rel))
        except FileNotFoundError:
            raise ArtifactNotFoundError(
                f"array {_what(key, name)} is missing from the store at {self.url} "
                "(or was never completely written)",
                hint="the store may be incomplete; rerun the step that produced it",
            ) from None
        except ValueError as exc:
            raise ArtifactCorruptError(
                f"array {_what(key, name)} is corrupt: its {ARRAY_MARKER} is not valid JSON "
                f"({exc})",
                hint="the store is damaged; rerun the step that produced it",
            ) from None
        except OSError as exc:
            raise io_error("read", rel, exc) from exc
        all_chunks = isinstance(marker, dict) and marker.get("all_chunks") is True
        zstore = self._zarr_store(key, read_only=True)
        return open_zarr(zstore, key, name, all_chunks=all_chunks, check_crc=check_crc)

    def _save_array(self, arr: np.ndarray) -> ArtifactRef:
        arr = np.ascontiguousarray(arr)
        key = array_digest(arr)
        ref = ArtifactRef(key=key, encoding="zarr", size=arr.nbytes, type_name="numpy.ndarray")
        rel = f"arrays/{shard(key)}"
        if self.io.exists(f"{rel}/{ARRAY_MARKER}"):
            return ref
        self.io.check_writable(rel)
        chunk_bytes = int(config.get("store.array-chunk-bytes", 1 << 24))
        try:
            if self.io.local:
                self._save_array_local(arr, key, rel, chunk_bytes)
            else:
                summary = write_zarr(self._zarr_store(key, read_only=False), arr, chunk_bytes)
                self.io.write(f"{rel}/{ARRAY_MARKER}", _marker(arr, key, summary))
        except (OSError, ValueError, RuntimeError) as exc:
            raise io_error("array write", rel, exc) from exc
        return ref

    def _save_array_local(self, arr: np.ndarray, key: str, rel: str, chunk_bytes: int) -> None:
        io = self.io
        assert isinstance(io, LocalIO)
        tmp = io.full(f"tmp/{uuid.uuid4().hex}")
        final = io.full(rel)
        try:
            summary = write_zarr(LocalStore(tmp), arr, chunk_bytes)
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


def _reopen(store: Store, key: str, name: str) -> zarr.Array:
    return store._open_checked(key, name)


def _unpickle(data: bytes, ref: ArtifactRef, name: str) -> Any:
    """Unpickle a stored value; a class or module that cannot be imported here is an
    ArtifactUnreadableError naming the artifact and what is missing."""
    try:
        return cloudpickle.loads(data)
    except ModuleNotFoundError as exc:
        missing = f"module {exc.name!r}" if exc.name else str(exc)
    except (AttributeError, ImportError) as exc:
        missing = str(exc)
    except Exception as exc:  # a user class's __setstate__/__reduce__ failed
        raise ArtifactUnreadableError(
            f"{_what(ref.key, name)} (a pickled {ref.type_name}) cannot be unpickled: "
            f"{type(exc).__name__}: {exc}",
            hint="load it with the same package versions and code that wrote it",
        ) from exc
    module = ref.type_name.rpartition(".")[0] or "?"
    raise ArtifactUnreadableError(
        f"{_what(ref.key, name)} is a pickled {ref.type_name} that cannot be loaded here: "
        f"{missing} is not importable",
        hint=f"make {module!r} importable in this Python (install the package that "
        "provides it, or add the folder that holds it to PYTHONPATH; a run's own code can "
        "be extracted with `dflow code FLOW/RUN`)",
    )
