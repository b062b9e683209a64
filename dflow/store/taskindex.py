"""A run's task index: many tasks' small record files in one object (``"layout": 1``).

Reading a 1,000-task run back one task at a time costs a few requests per task (its
attempts, its record, its DONE marker): seconds on an object store. The
task runner therefore also writes, after each unit of several tasks, one index object
holding the record files it wrote for them, byte for byte::

    runs/<run_id>/taskindex/<step>.<first task id>[.<n>].json
        {"layout": 1, "files": {"steps/<step>/<task_id>/<attempt>/DONE": "<text>",
                                ".../record.json": "..."}}

(A committed attempt's record and manifest are inside its DONE; runs of layout 1 have
them in record.json and manifest.json, indexed alike.)

Paths are relative to the run's folder. A reader (:class:`RunSnapshot`) lists the run's
folder ONCE (names, sizes, modification times, ETags) and reads the index objects; an
indexed file is used in place of a read only when that listing shows it unchanged since
the index was written: the same size, and either the same MD5 as its ETag (on a store
whose ETags are MD5s, which the index object's own ETag tells) or, elsewhere, a
modification time before the index object's. Everything else is read from the store
itself: tasks not yet indexed (the run is running, a unit of one task, an index lost),
files rewritten, deleted or damaged since. So the index is only a cache of bytes that are
still in the store: it never hides damage (see :mod:`dflow.store.commit_state`), and a
store without any index (older runs) reads as before, with one listing instead of one per
task.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from dflow.errors import ReadOnlyStoreError
from dflow.store.files import FileStat

INDEX_LAYOUT = 1
INDEX_DIR = "taskindex"
#: The record files a task index holds (a task's logs and values are never indexed).
INDEXED = ("record.json", "manifest.json", "DONE")


class Journal:
    """The record files written by the current thread while :meth:`capture` is active
    (what :func:`index_doc` puts in a task index). One per :class:`RunRecords`."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextlib.contextmanager
    def capture(self) -> Iterator[dict[str, bytes]]:
        """Collect ``rel -> bytes`` of the record files this thread writes meanwhile."""
        written: dict[str, bytes] = {}
        outer = getattr(self._local, "written", None)
        self._local.written = written
        try:
            yield written
        finally:
            self._local.written = outer

    def note(self, rel: str, data: bytes) -> None:
        """Remember a record file just written (when a capture is active)."""
        written = getattr(self._local, "written", None)
        if written is not None and rel.rsplit("/", 1)[-1] in INDEXED:
            written[rel] = bytes(data)


def index_doc(run_dir: str, written: dict[str, bytes]) -> bytes:
    """The bytes of a task index of ``written`` (paths under ``run_dir``)."""
    files = {}
    for rel, data in sorted(written.items()):
        if rel.startswith(run_dir + "/"):
            try:
                files[rel[len(run_dir) + 1 :]] = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
    return json.dumps({"layout": INDEX_LAYOUT, "files": files}, sort_keys=True).encode()


def _stamp(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class RunSnapshot:
    """A read-only view of one run's folder from one listing and its task index.

    It offers what :class:`~dflow.store.records.RunRecords` reads with (``read``, ``ls``,
    ``find``, ``exists``), so a RunRecords over it answers attempts, records and commits
    as the store would at the moment of the listing. Paths outside the run's folder go to
    ``files`` itself. Reads not answered by the index are read once and kept.
    """

    local = False
    writable = False

    def __init__(self, files: Any, run_dir: str) -> None:
        self._files, self._dir = files, run_dir
        self.root = getattr(files, "root", "")
        self.stats: dict[str, FileStat] = files.find_detail(run_dir)
        self._names = sorted(self.stats)
        self._known: dict[str, bytes] = {}
        self._prefetched: set[str] = set()
        self._lock = threading.Lock()
        self._load_index()
        #: How many of the run's files the index answered (the others cost a read).
        self.indexed = len(self._known)

    def _load_index(self) -> None:
        segments = [r for r in self._names if r.startswith(f"{INDEX_DIR}/")]
        if not segments:
            return
        blobs = self._files.read_many([f"{self._dir}/{r}" for r in segments])
        for rel in segments:
            data = blobs.get(f"{self._dir}/{rel}")
            if data is None:
                continue
            try:
                doc = json.loads(data)
                files = doc["files"] if doc.get("layout") == INDEX_LAYOUT else {}
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a damaged index only costs reads
            seg = self.stats[rel]
            by_etag = seg.etag is not None and seg.etag == _md5(data)
            for path, text in files.items() if isinstance(files, dict) else ():
                if isinstance(path, str) and isinstance(text, str):
                    content = text.encode("utf-8")
                    if self._unchanged(path, content, seg, by_etag):
                        self._known[path] = content

    def _unchanged(self, path: str, content: bytes, seg: FileStat, by_etag: bool) -> bool:
        stat = self.stats.get(path)
        if stat is None or stat.size != len(content):
            return False
        if by_etag:
            return stat.etag == _md5(content)
        return stat.mtime is not None and seg.mtime is not None and stat.mtime < seg.mtime

    def _inside(self, rel: str) -> str | None:
        rel = rel.strip("/")
        if rel == self._dir:
            return ""
        return rel[len(self._dir) + 1 :] if rel.startswith(self._dir + "/") else None

    # --- what RunRecords reads with --------------------------------------------------

    def read(self, rel: str) -> bytes:
        """The file's bytes: from the index when unchanged, else read (once)."""
        inner = self._inside(rel)
        if inner is None:
            return self._files.read(rel)
        if inner not in self._known:
            if inner not in self.stats:
                raise FileNotFoundError(rel)
            with self._lock:  # readers in threads (run_damage) prefetch once
                self._prefetch(inner)
            if inner not in self._known:
                self._known[inner] = self._files.read(rel)
        return self._known[inner]

    def _prefetch(self, inner: str) -> None:
        """Before the first read of a step's record file the index did not answer: read
        every such file of that step's latest attempts at once (concurrently on an object
        store), as a reader of one task of a listing reads the others next."""
        parts = inner.split("/")
        if len(parts) != 5 or parts[0] != "steps" or parts[4] not in INDEXED:
            return
        step = f"steps/{parts[1]}/"
        if step in self._prefetched:
            return
        self._prefetched.add(step)
        latest: dict[str, int] = {}
        for name in self._names_under(step):
            bits = name[len(step) :].split("/")
            if len(bits) == 3 and bits[1].isdigit():
                latest[bits[0]] = max(latest.get(bits[0], -1), int(bits[1]))
        wanted = [f"{step}{t}/{n}/{file}" for t, n in latest.items() for file in INDEXED]
        wanted = [w for w in wanted if w in self.stats and w not in self._known]
        found = self._files.read_many([f"{self._dir}/{w}" for w in wanted])
        for w in wanted:
            data = found.get(f"{self._dir}/{w}")
            if data is not None:
                self._known[w] = data

    def ls(self, rel: str) -> list[str]:
        """Names directly under folder ``rel``, as listed."""
        inner = self._inside(rel)
        if inner is None:
            return self._files.ls(rel)
        prefix = f"{inner}/" if inner else ""
        return sorted({n[len(prefix) :].split("/", 1)[0] for n in self._names_under(prefix)})

    def find(self, rel: str) -> list[str]:
        """Every file under folder ``rel`` (relative to it), as listed."""
        inner = self._inside(rel)
        if inner is None:
            return self._files.find(rel)
        prefix = f"{inner}/" if inner else ""
        return [n[len(prefix) :] for n in self._names_under(prefix)]

    def exists(self, rel: str) -> bool:
        """True if the listing holds the file or folder ``rel``."""
        inner = self._inside(rel)
        if inner is None:
            return self._files.exists(rel)
        return inner in self.stats or bool(self._names_under(f"{inner}/"))

    def _names_under(self, prefix: str) -> list[str]:
        import bisect

        start = bisect.bisect_left(self._names, prefix)
        out = []
        for name in self._names[start:]:
            if not name.startswith(prefix):
                break
            out.append(name)
        return out

    def _refuse(self, rel: str, *_args: Any, **_kwargs: Any) -> Any:
        raise ReadOnlyStoreError(f"cannot write {rel}: a run snapshot is read-only")

    write = create = put_once = rm = _refuse

    def check_writable(self, rel: str) -> None:
        """Always refuses: a snapshot is read-only."""
        self._refuse(rel)
