"""The few file primitives the store needs, for a local folder and for any fsspec filesystem.

Like fsspec's own abstract base, :class:`FileIO` names a handful of primitives and each
backend implements them: whole-file read and write, exclusive create, existence, listing,
recursive listing and removal. Paths are relative to the store root, ``/``-separated.

Local writes are atomic: a unique temp file in the target folder, written in full, then a
rename (``write``) or a hard link (``create``: ``os.link`` fails if the target exists, so
the create is exclusive too, and a reader or a crash never sees a partial file). An object
store's PUT already is atomic; ``create`` is a conditional PUT (``If-None-Match: *``, s3fs's
``mode="create"``) where the backend supports it, else a check then a PUT (see
:meth:`FsspecIO.create` for the window that leaves).

A backend opened with ``writable=False`` refuses every write with ReadOnlyStoreError.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from typing import Any

from dflow.errors import ReadOnlyStoreError, StoreError, StoreIOError

#: errno values of a filesystem that has no hard links (FAT, some FUSE and SMB mounts).
_NO_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS})


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


class FileIO:
    """Contract of a store backend (see the module docstring). All paths are relative."""

    local: bool = False

    def __init__(self, fs: Any, root: str, *, writable: bool = True) -> None:
        self.fs, self.root, self.writable = fs, root.rstrip("/"), writable

    def check_writable(self, rel: str) -> None:
        """Raise ReadOnlyStoreError if this backend was opened read-only."""
        if not self.writable:
            raise ReadOnlyStoreError(
                f"cannot write {rel or self.root}: the store at {self.root} was opened read-only",
                hint="open it with open_store(url, writable=True) (needs write permission)",
            )

    def full(self, rel: str) -> str:
        """The backend path of ``rel``."""
        return f"{self.root}/{rel}" if rel else self.root

    def read(self, rel: str) -> bytes:
        """Whole-file read; FileNotFoundError when absent."""
        raise NotImplementedError

    def write(self, rel: str, data: bytes) -> None:
        """Whole-file write, atomic where the backend allows; replaces an existing file."""
        raise NotImplementedError

    def create(self, rel: str, data: bytes) -> bool:
        """Write only if absent, atomically (never seen partial); False if it already existed."""
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        """True if a file (or folder) exists at ``rel``."""
        raise NotImplementedError

    def ls(self, rel: str) -> list[str]:
        """Names (not paths) directly under folder ``rel``; [] when absent."""
        raise NotImplementedError

    def find(self, rel: str) -> list[str]:
        """Every file under folder ``rel``, as paths relative to ``rel``; [] when absent."""
        raise NotImplementedError

    def rm(self, rel: str) -> None:
        """Remove one file; absent is fine."""
        raise NotImplementedError


class LocalIO(FileIO):
    """A local folder, with os calls (atomic renames, exclusive creates)."""

    local = True

    def full(self, rel: str) -> str:  # noqa: D102
        return os.path.join(self.root, *rel.split("/")) if rel else self.root

    def read(self, rel: str) -> bytes:  # noqa: D102
        with open(self.full(rel), "rb") as f:
            return f.read()

    def temp_path(self, target: str) -> str:
        """A unique temp name beside ``target`` (same folder, so rename is atomic)."""
        folder, base = os.path.split(target)
        return os.path.join(folder, f".{base}.tmp-{uuid.uuid4().hex}")

    def write(self, rel: str, data: bytes) -> None:  # noqa: D102
        self.check_writable(rel)
        target = self.full(rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = self.temp_path(target)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def create(self, rel: str, data: bytes) -> bool:  # noqa: D102
        self.check_writable(rel)
        target = self.full(rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = self.temp_path(target)
        try:
            with open(tmp, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, target)  # atomic, and fails if the target exists
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                return _create_without_links(target, data)
            return True
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass

    def exists(self, rel: str) -> bool:  # noqa: D102
        return os.path.exists(self.full(rel))

    def ls(self, rel: str) -> list[str]:  # noqa: D102
        try:
            return sorted(n for n in os.listdir(self.full(rel)) if ".tmp-" not in n)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def find(self, rel: str) -> list[str]:  # noqa: D102
        base = self.full(rel)
        out = []
        for folder, _dirs, files in os.walk(base):
            prefix = os.path.relpath(folder, base).replace(os.sep, "/")
            for name in files:
                if ".tmp-" not in name:
                    out.append(name if prefix == "." else f"{prefix}/{name}")
        return sorted(out)

    def rm(self, rel: str) -> None:  # noqa: D102
        self.check_writable(rel)
        try:
            os.unlink(self.full(rel))
        except FileNotFoundError:
            pass

    def rmtree(self, path: str) -> None:
        """Remove a local folder tree (absolute path); absent is fine."""
        self.check_writable(path)
        shutil.rmtree(path, ignore_errors=True)


class FsspecIO(FileIO):
    """Any fsspec filesystem (object stores, memory://): PUTs are atomic, no renames."""

    def read(self, rel: str) -> bytes:  # noqa: D102
        return self.fs.cat_file(self.full(rel))

    def write(self, rel: str, data: bytes) -> None:  # noqa: D102
        self.check_writable(rel)
        self.fs.pipe_file(self.full(rel), data)

    def create(self, rel: str, data: bytes) -> bool:
        """Write only if absent; False if it already existed.

        A conditional PUT (fsspec's ``pipe_file(mode="create")``: ``If-None-Match: *`` on
        s3fs, an exclusive open on memory://) makes this exclusive where the backend honours
        it: AWS S3 and moto do. A backend that does not take ``mode=`` gets a check then a
        PUT, and an S3-compatible server that ignores ``If-None-Match`` overwrites: there,
        two writers racing in the window between check and PUT may both succeed (the last
        PUT wins; each PUT is still whole).
        """
        self.check_writable(rel)
        path = self.full(rel)
        try:
            self.fs.pipe_file(path, data, mode="create")
        except FileExistsError:
            return False
        except (TypeError, NotImplementedError):  # a backend without exclusive writes
            if self.exists(rel):
                return False
            self.fs.pipe_file(path, data)
        return True

    def exists(self, rel: str) -> bool:  # noqa: D102
        path = self.full(rel)
        self.fs.invalidate_cache(path)
        return self.fs.exists(path)

    def ls(self, rel: str) -> list[str]:  # noqa: D102
        path = self.full(rel)
        self.fs.invalidate_cache(path)
        try:
            entries = self.fs.ls(path, detail=False)
        except FileNotFoundError:
            return []
        names = {e.rstrip("/").rsplit("/", 1)[-1] for e in entries}
        names.discard("")
        return sorted(names)

    def find(self, rel: str) -> list[str]:  # noqa: D102
        path = self.full(rel)
        self.fs.invalidate_cache(path)
        try:
            found = self.fs.find(path)
        except FileNotFoundError:
            return []
        prefix = self.fs._strip_protocol(path).rstrip("/") + "/"
        return sorted(p[len(prefix) :] for p in found if p.startswith(prefix))

    def rm(self, rel: str) -> None:  # noqa: D102
        self.check_writable(rel)
        try:
            self.fs.rm_file(self.full(rel))
        except FileNotFoundError:
            pass


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
