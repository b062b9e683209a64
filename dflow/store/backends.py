"""The few file primitives the store needs, for a local folder and for any fsspec filesystem.

Like fsspec's own abstract base, :class:`FileIO` names a handful of primitives and each
backend implements them: whole-file read and write, exclusive create, existence, listing,
recursive listing and removal. Paths are relative to the store root, ``/``-separated.
Local writes are atomic (a unique temp file in the target folder, then a rename); an object
store's PUT already is.
"""

from __future__ import annotations

import os
import shutil
import uuid
from typing import Any

from dflow.errors import StoreError


def io_error(op: str, path: str, exc: BaseException) -> StoreError:
    """A storage failure as a StoreError that says what was being done."""
    return StoreError(
        f"store {op} failed for {path}: {type(exc).__name__}: {exc}",
        hint="check that the store is reachable and writable",
    )


class FileIO:
    """Contract of a store backend (see the module docstring). All paths are relative."""

    local: bool = False

    def __init__(self, fs: Any, root: str) -> None:
        self.fs, self.root = fs, root.rstrip("/")

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
        """Write only if absent; False if the file already existed."""
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
        target = self.full(rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            with open(target, "xb") as f:
                f.write(data)
        except FileExistsError:
            return False
        return True

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
        try:
            os.unlink(self.full(rel))
        except FileNotFoundError:
            pass

    def rmtree(self, path: str) -> None:
        """Remove a local folder tree (absolute path); absent is fine."""
        shutil.rmtree(path, ignore_errors=True)


class FsspecIO(FileIO):
    """Any fsspec filesystem (object stores, memory://): PUTs are atomic, no renames."""

    def read(self, rel: str) -> bytes:  # noqa: D102
        return self.fs.cat_file(self.full(rel))

    def write(self, rel: str, data: bytes) -> None:  # noqa: D102
        self.fs.pipe_file(self.full(rel), data)

    def create(self, rel: str, data: bytes) -> bool:  # noqa: D102
        if self.exists(rel):
            return False
        self.write(rel, data)
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
        return sorted(p[len(prefix):] for p in found if p.startswith(prefix))

    def rm(self, rel: str) -> None:  # noqa: D102
        try:
            self.fs.rm_file(self.full(rel))
        except FileNotFoundError:
            pass
