"""The store's file layer: fsspec's root-relative filesystem plus atomic local writes.

:class:`Files` wraps the store root in fsspec's ``DirFileSystem`` (paths relative to the
root, ``/``-separated) and adds what fsspec lacks for a local folder: atomic writes and an
atomic exclusive create. Everything else (reading, listing, removing, an object store's
PUT and conditional PUT) is fsspec's own; on a local folder reads, checks and listings
call ``os`` directly (2-5x less per call than through fsspec: the per-task hot path).

Local writes are atomic: a unique temp file in the target folder, written in full, then a
rename (``write``) or a hard link (``create``: ``os.link`` fails if the target exists, so
the create is exclusive too, and a reader or a crash never sees a partial file; a
``durable=False`` create skips the fsync, for files whose loss or damage in a crash costs
nothing). Inside :meth:`Files.commits_in_flight` a thread's durable creates overlap: each
is still fsynced before it appears, on a few threads of the layer, and the block's exit
waits for all of them. Folders are created as a write needs them; the layer remembers
the folders it made or found (a bounded set), so a task's writes cost one ``mkdir`` per
new folder, not one per file (a remembered folder removed meanwhile is made again). An
object store's PUT already is atomic; ``create`` is a conditional PUT (fsspec's
``pipe_file(mode="create")``: ``If-None-Match: *`` on s3fs, an exclusive open on memory://)
where the backend supports it, else a check then a PUT (see :meth:`Files.create`).

A layer opened with ``writable=False`` refuses every write with ReadOnlyStoreError.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fsspec.implementations.dirfs import DirFileSystem
from fsspec.implementations.local import LocalFileSystem

from dflow.errors import ReadOnlyStoreError, StoreError, StoreIOError

#: errno values of a filesystem that has no hard links (FAT, some FUSE and SMB mounts).
_NO_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS})
#: Names holding this are local temp files of a write in progress: never listed.
_TEMP = ".tmp-"
#: Threads of a file layer that fsync and link creates in flight (see commits_in_flight).
_SEALERS = 8
_SEALER_LOCK = threading.Lock()
#: How many local folders a file layer remembers as existing (see Files._make_folder).
_FOLDERS = 4096


def io_error(op: str, path: str, exc: BaseException) -> StoreError:
    """A storage failure as a StoreError that says what was being done, and why (see
    :mod:`dflow.store.failures`); a StoreError already said is passed on as it is."""
    if isinstance(exc, StoreError):
        return exc
    from dflow.store.failures import classify

    cause, hint = classify(exc)
    return StoreIOError(
        f"store {op} failed for {path}: {cause}", hint=hint, operation=op, cause=cause
    )


@dataclass(frozen=True)
class FileStat:
    """What a listing says of one file: size, modification time (seconds since the epoch,
    None if the backend gives none) and ETag (object stores; None elsewhere)."""

    size: int
    mtime: float | None = None
    etag: str | None = None


def _stat_of(info: dict) -> FileStat:
    when = next(
        (info[k] for k in ("LastModified", "mtime", "last_modified", "created") if k in info),
        None,
    )
    if isinstance(when, datetime):
        when = when.timestamp()
    etag = info.get("ETag") or info.get("etag")
    return FileStat(
        int(info.get("size") or 0),
        float(when) if isinstance(when, int | float) else None,
        str(etag).strip('"') if etag else None,
    )


class Files:
    """The files under one store root, by relative path (see the module docstring).

    ``fs`` is the fsspec filesystem of the root and ``root`` its path there (as
    ``fsspec.core.url_to_fs`` returns them).
    """

    def __init__(self, fs: Any, root: str, *, writable: bool = True) -> None:
        self.root = root.rstrip("/") or "/"
        self.writable = writable
        self.local = isinstance(fs, LocalFileSystem)
        self.fs = DirFileSystem(self.root, fs)
        #: Local folders known to exist (the root, and those made or found by a write).
        self._folders: set[str] = {self.root} if self.local else set()
        self._in_flight = threading.local()  # a thread's creates in flight (commits_in_flight)
        self._pool: ThreadPoolExecutor | None = None

    def check_writable(self, rel: str) -> None:
        """Raise ReadOnlyStoreError if this layer was opened read-only."""
        if not self.writable:
            raise ReadOnlyStoreError(
                f"cannot write {rel or self.root}: the store at {self.root} was opened read-only",
                hint="open it with open_store(url, writable=True) (needs write permission)",
            )

    def full(self, rel: str) -> str:
        """The path of ``rel`` on the root's own filesystem (for zarr and local os calls)."""
        if self.local:
            return os.path.join(self.root, *rel.split("/")) if rel else self.root
        return f"{self.root}/{rel}" if rel else self.root

    def read(self, rel: str) -> bytes:
        """Whole-file read; FileNotFoundError when absent."""
        if self.local:
            with open(self.full(rel), "rb") as f:
                return f.read()
        return self.fs.cat_file(rel)

    def write(self, rel: str, data: bytes) -> None:
        """Whole-file write, atomic (never seen partial); replaces an existing file."""
        self.check_writable(rel)
        if not self.local:
            self.fs.pipe_file(rel, data)
            return
        target = self.full(rel)
        tmp = _temp_beside(target)
        try:
            self._write_new(tmp, data, sync=False)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _write_new(self, path: str, data: bytes, *, sync: bool) -> None:
        """Write ``data`` to a new file ``path`` (exclusive; fsynced if ``sync``), its
        folder made first unless known to exist."""
        folder = os.path.dirname(path)
        self._make_folder(folder)
        try:
            f = open(path, "xb")
        except FileNotFoundError:  # a known folder removed since (a test, a cleanup)
            self._folders = {self.root}
            os.makedirs(folder, exist_ok=True)
            f = open(path, "xb")
        with f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())

    def _make_folder(self, folder: str) -> None:
        """Make ``folder`` unless known to exist: its unknown parents first, then one
        ``mkdir`` each (no checks beforehand)."""
        if folder in self._folders:
            return
        parent = os.path.dirname(folder)
        if parent != folder:  # the root is known: the walk up stops there
            self._make_folder(parent)
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
        except FileNotFoundError:  # a known parent was removed since
            self._folders = {self.root}
            os.makedirs(folder, exist_ok=True)
        if len(self._folders) >= _FOLDERS:  # bounded: a long-lived worker forgets
            self._folders = {self.root}
        self._folders.add(folder)

    def create(self, rel: str, data: bytes, *, durable: bool = True) -> bool:
        """Write only if absent, atomically and durably; False if it already existed.

        ``durable=False`` (local folders only) skips the fsync before the file appears:
        still exclusive and, short of a crash, atomic, for a file whose loss or damage in
        a machine crash costs nothing (a started attempt's stamp, a task index).

        On an object store this is one conditional PUT where the backend honours it (AWS
        S3 and moto do). A backend whose ``pipe_file`` takes no ``mode=`` gets a check then
        a PUT, and an S3-compatible server that ignores ``If-None-Match`` overwrites:
        there, two writers racing in the window between check and PUT may both succeed
        (the last PUT wins; each PUT is still whole).
        """
        self.check_writable(rel)
        if self.local:
            return self._create_local(self.full(rel), data, durable)
        try:
            self.fs.pipe_file(rel, data, mode="create")
        except FileExistsError:
            return False
        except (TypeError, NotImplementedError):  # a backend without exclusive writes
            if self.exists(rel):
                return False
            self.fs.pipe_file(rel, data)
        return True

    def _create_local(self, target: str, data: bytes, durable: bool) -> bool:
        """Atomic exclusive create of a local file: temp, fsync (if ``durable``), hard
        link (fails if present); sealed on the pool inside :meth:`commits_in_flight`."""
        pending = getattr(self._in_flight, "pending", None)
        tmp = _temp_beside(target)
        if durable and pending is not None:
            try:
                self._write_new(tmp, data, sync=False)
            except BaseException:
                _unlink(tmp)
                raise
            pending.append((target, self._sealer().submit(_seal, tmp, target, data)))
            return True
        try:
            self._write_new(tmp, data, sync=durable)
            return _link_in_place(tmp, target, data)
        finally:
            _unlink(tmp)

    @contextlib.contextmanager
    def commits_in_flight(self) -> Iterator[None]:
        """Let this thread's durable creates overlap: within the block a local
        :meth:`create` writes its temp file and returns True at once, and its fsync and
        link run on a few threads of this layer; the block's exit waits for all of them.

        Each file is still fsynced before it appears (atomic and durable, one by one),
        but fsyncs in flight together share the journal commits and disk flushes that
        make each of them slow, and the caller's work goes on meanwhile: a unit of tasks
        (:func:`dflow.engine.task.run_unit`) commits them all by the time it returns. A
        create refused because the file exists (a concurrent commit) or failed raises a
        StoreError at the exit, after every other one has ended; the block's own error
        wins. Object stores and nested blocks: no change (a PUT is durable already).
        """
        if not self.local or getattr(self._in_flight, "pending", None) is not None:
            yield
            return
        pending: list[tuple[str, Future]] = []
        self._in_flight.pending = pending
        failure: BaseException | None = None
        try:
            yield
        finally:
            self._in_flight.pending = None
            for target, future in pending:
                try:
                    created = future.result()
                except Exception as exc:  # noqa: BLE001 - the first one is raised below
                    failure = failure or io_error("create", target, exc)
                    continue
                if not created and failure is None:
                    failure = StoreError(
                        f"{target} was created concurrently: an exclusive create found it "
                        "already there",
                        hint="two writers committed the same attempt; start a new attempt",
                    )
        if failure is not None:
            raise failure

    def _sealer(self) -> ThreadPoolExecutor:
        with _SEALER_LOCK:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(_SEALERS, thread_name_prefix="dflow-fsync")
            return self._pool

    def put_once(self, rel: str, data: bytes) -> bool:
        """Write ``data`` unless a file is already there; False (nothing written) if so.

        One request on an object store (a conditional create). Locally a check, then an
        atomic write without the fsync of :meth:`create` (for blobs, whose digest is
        checked on every read, and manifests, which a DONE marker seals).
        """
        if self.local:
            if os.path.exists(self.full(rel)):
                return False
            self.write(rel, data)
            return True
        return self.create(rel, data)

    def exists(self, rel: str) -> bool:
        """True if a file (or folder) exists at ``rel``."""
        if self.local:
            return os.path.exists(self.full(rel))
        self.fs.invalidate_cache(rel)
        return self.fs.exists(rel)

    def ls(self, rel: str) -> list[str]:
        """Names (not paths) directly under folder ``rel``; [] when absent."""
        if self.local:
            try:
                names = os.listdir(self.full(rel))
            except (FileNotFoundError, NotADirectoryError):
                return []
            return sorted(n for n in names if _TEMP not in n)
        self.fs.invalidate_cache(rel)
        try:
            entries = self.fs.ls(rel, detail=False)
        except FileNotFoundError:
            return []
        names = {e.rstrip("/").rsplit("/", 1)[-1] for e in entries}
        names.discard("")
        return sorted(names)

    def find(self, rel: str) -> list[str]:
        """Every file under folder ``rel``, as paths relative to ``rel``; [] when absent."""
        if self.local:
            return _walk_local(self.full(rel))
        self.fs.invalidate_cache(rel)
        try:
            found = self._find_remote(rel.strip("/"))
        except FileNotFoundError:
            return []
        prefix = rel.strip("/") + "/" if rel.strip("/") else ""
        return sorted(p[len(prefix) :] for p in found if p.startswith(prefix))

    def find_detail(self, rel: str) -> dict[str, FileStat]:
        """Every file under folder ``rel`` (paths relative to it) with its size, time and
        ETag: ONE listing (a few requests per thousand files on an object store)."""
        if self.local:
            out = {}
            base = self.full(rel)
            for name in _walk_local(base):
                try:
                    st = os.stat(os.path.join(base, *name.split("/")))
                except FileNotFoundError:
                    continue
                out[name] = FileStat(st.st_size, st.st_mtime_ns / 1e9)
            return out
        self.fs.invalidate_cache(rel)
        try:
            found = self._find_remote(rel.strip("/"), detail=True)
        except FileNotFoundError:
            return {}
        prefix = rel.strip("/") + "/" if rel.strip("/") else ""
        return {
            p[len(prefix) :]: _stat_of(info)
            for p, info in found.items()
            if p.startswith(prefix) and info.get("type", "file") == "file"
        }

    def read_many(self, rels: list[str]) -> dict[str, bytes]:
        """Several whole files, concurrently on an object store; absent ones are left out."""
        if self.local or len(rels) < 2:
            out = {}
            for rel in rels:
                try:
                    out[rel] = self.read(rel)
                except FileNotFoundError:
                    continue
            return out
        found = self.fs.cat(list(rels), on_error="omit")
        return {k.lstrip("/"): v for k, v in found.items() if isinstance(v, bytes)}

    def _find_remote(self, rel: str, detail: bool = False) -> Any:
        # s3fs and gcsfs list ``parent`` with a key prefix in ONE request; their plain
        # find of a folder that does not exist costs two more (a HEAD and a listing).
        parent, _, name = rel.rpartition("/")
        if name and _takes_prefix(self.fs.fs):
            return self.fs.find(parent, prefix=f"{name}/", detail=detail)
        return self.fs.find(rel, detail=detail)

    def rm(self, rel: str) -> None:
        """Remove one file; absent is fine."""
        self.check_writable(rel)
        try:
            self.fs.rm_file(rel)
        except FileNotFoundError:
            pass

    def rmtree(self, path: str) -> None:
        """Remove a local folder tree (an absolute path); absent is fine."""
        self.check_writable(path)
        shutil.rmtree(path, ignore_errors=True)


@functools.cache
def _prefix_finders(cls: type) -> bool:
    try:
        return "prefix" in inspect.signature(cls.find).parameters
    except (TypeError, ValueError):
        return False


def _takes_prefix(fs: Any) -> bool:
    """True if ``fs.find`` takes ``prefix=`` (s3fs, gcsfs: a server-side key prefix)."""
    return _prefix_finders(type(fs))


def _walk_local(base: str) -> list[str]:
    out = []
    for folder, _dirs, files in os.walk(base):
        prefix = os.path.relpath(folder, base).replace(os.sep, "/")
        for name in files:
            if _TEMP not in name:
                out.append(name if prefix == "." else f"{prefix}/{name}")
    return sorted(out)


def _temp_beside(target: str) -> str:
    """A unique temp name beside ``target`` (same folder, so rename and link are atomic)."""
    folder, base = os.path.split(target)
    return os.path.join(folder, f".{base}{_TEMP}{uuid.uuid4().hex}")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _link_in_place(tmp: str, target: str, data: bytes) -> bool:
    """Give the written temp file ``tmp`` the name ``target``, unless taken (False)."""
    try:
        os.link(tmp, target)  # atomic, and fails if the target exists
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        return _create_without_links(target, data)
    return True


def _seal(tmp: str, target: str, data: bytes) -> bool:
    """fsync the temp file ``tmp``, then link it as ``target`` (a create in flight)."""
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return _link_in_place(tmp, target, data)
    finally:
        _unlink(tmp)


def _create_without_links(target: str, data: bytes) -> bool:
    """Exclusive create on a filesystem without hard links: O_EXCL, then write in place.

    Exclusive, but not atomic: a crash mid-write leaves a partial target (readers of DONE
    markers treat such an attempt as damaged and fall back to an earlier one).
    """
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return True
