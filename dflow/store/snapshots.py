"""Code snapshots: a flow's source tree packed deterministically and stored by content.

The pack is an uncompressed tar (GNU format) of the Python files and small text files
under a root, with sorted names, mtime 0, mode 0644, uid/gid 0 and empty owner names, plus
a ``.dflow-code.json`` member naming the entry file. Same content gives the same bytes,
hence the same key. It is stored as an ordinary blob (compressed by the blob layer).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path

from dflow import config
from dflow.errors import StoreError

#: Suffixes packed besides ``.py``; they must also be at most :data:`MAX_TEXT_BYTES`.
TEXT_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".txt", ".cfg", ".toml", ".ini"})
MAX_TEXT_BYTES = 1 << 20
SKIP_DIRS = frozenset(
    {".dflow", ".git", "__pycache__", "node_modules", "site-packages", "venv", "env"}
)
META_MEMBER = ".dflow-code.json"
#: A flow's folder holding more than this is not a project (say, a home folder): refused.
MAX_FILES = 5_000
MAX_TOTAL_BYTES = 64 << 20


def _skip_dir(path: Path) -> bool:
    name = path.name
    return (
        name in SKIP_DIRS
        or name.startswith(".")
        or (path / "pyvenv.cfg").exists()
        or name.endswith(".egg-info")
    )


def _too_big(root: Path, what: str) -> StoreError:
    return StoreError(
        f"cannot snapshot the code of {root}: it holds {what}, which is not one project's code",
        hint="keep the flow in a folder of its own (with its helper modules) and run it there",
    )


def code_files(root: Path, exclude: Collection[Path] = ()) -> list[Path]:
    """The files a snapshot of ``root`` holds, relative to it, sorted.

    Folders in ``exclude`` (absolute; a store kept inside the project) are left out.
    Stops with a StoreError past :data:`MAX_FILES` files or :data:`MAX_TOTAL_BYTES`.
    """
    out: list[Path] = []
    total = 0
    skipped = {Path(p).resolve() for p in exclude}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        dirs[:] = sorted(
            d for d in dirs if not _skip_dir(base / d) and (base / d).resolve() not in skipped
        )
        for name in files:
            path = base / name
            if name.startswith(".") or not path.is_file():
                continue
            suffix = path.suffix.lower()
            if suffix == ".py" or (
                suffix in TEXT_SUFFIXES and path.stat().st_size <= MAX_TEXT_BYTES
            ):
                out.append(path.relative_to(root))
                total += path.stat().st_size
                if len(out) > MAX_FILES:
                    raise _too_big(root, f"more than {MAX_FILES:,} code files")
                if total > MAX_TOTAL_BYTES:
                    raise _too_big(root, f"more than {MAX_TOTAL_BYTES >> 20} MiB of code")
    return sorted(out, key=lambda p: p.as_posix())


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def pack_code(root: Path, entry: Path | None = None, exclude: Collection[Path] = ()) -> bytes:
    """Deterministic tar bytes of the code under ``root`` (see the module docstring)."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise StoreError(f"cannot snapshot code: {root} is not a folder")
    entry_name = None
    if entry is not None:
        entry_path = Path(entry).resolve()
        try:
            entry_name = entry_path.relative_to(root).as_posix()
        except ValueError:
            raise StoreError(
                f"cannot snapshot code: the entry file {entry_path} is not under {root}"
            ) from None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        meta = {"layout": 1, "entry": entry_name}
        _add(tar, META_MEMBER, json.dumps(meta, sort_keys=True).encode())
        for rel in code_files(root, exclude):
            _add(tar, rel.as_posix(), (root / rel).read_bytes())
    return buf.getvalue()


def default_cache_dir() -> Path:
    """``dflow.config.get("code-cache")``, else a per-user folder in the temp dir."""
    value = config.get("code-cache")
    if value:
        return Path(value).expanduser()
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"dflow-code-{uid}"


def extract_into(data: bytes, cache_dir: Path, key: str) -> Path:
    """Extract tar ``data`` into ``cache_dir/key`` once, atomically (temp dir + rename)."""
    target = cache_dir / key
    if target.is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.tmp-", dir=cache_dir))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            tar.extractall(tmp, filter="data")
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.is_dir():  # not a concurrent extractor's win: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


class Snapshots:
    """Code snapshots stored as blobs of an object store.

    ``put_bytes``/``get_bytes`` are the object store's blob calls; ``own_folder`` is the
    store's local root (never packed as code when it sits inside a project), or None.
    """

    def __init__(
        self,
        put_bytes: Callable[[bytes], str],
        get_bytes: Callable[..., bytes],
        own_folder: Path | None = None,
    ) -> None:
        self.put_bytes, self.get_bytes, self.own_folder = put_bytes, get_bytes, own_folder

    def save_code(self, root: Path, entry: Path | None = None) -> str:
        """Pack the code under ``root`` deterministically, store it, return its key.

        A local store kept inside ``root`` is never packed as code.
        """
        own = [self.own_folder] if self.own_folder is not None else []
        return self.put_bytes(pack_code(Path(root), entry, exclude=own))

    def extract_code(self, key: str, cache_dir: Path | None = None) -> Path:
        """Extract snapshot ``key`` once into ``cache_dir/<key>`` (safe if concurrent)."""
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        target = folder / key
        if target.is_dir():
            return target
        return extract_into(self.get_bytes(key, name="code snapshot"), folder, key)
