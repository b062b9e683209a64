"""Task attempts, run records, logs and the run-status index (JSON, ``"layout": 2``).

Folder layout under ``flows/<flow>/`` (see :mod:`dflow.store` for the whole store)::

    index/<run_id>.<status>                 empty files: list_runs is ONE listing
    runs/<run_id>/run.json                  run record
    runs/<run_id>/steps/<step>/<task_id>/<attempt>/
        started.json    written (exclusively) by start_attempt
        DONE            the commit, last: manifest + attempt record in one object
                        (layout 2, see :mod:`dflow.store.commits`)
        record.json     the attempt record of an attempt that did not commit (failed),
                        overwritable (:class:`~dflow.store.attempts.AttemptInfo`)
        <stream>.log    captured stdout / stderr
    runs/<run_id>/taskindex/<step>.<task_id>.json  many tasks' record files in one object
                                            (see :mod:`dflow.store.taskindex`)
    runs/<run_id>/tags/                     one object per tag (see :mod:`dflow.store.tags`)

Runs written with layout 1 are read as before: their attempts hold ``record.json``,
``manifest.json`` and a DONE of ``{"layout": 1, "manifest": <xxh3 of manifest.json>}``.

An attempt is committed once its DONE exists; readers trust nothing else. started.json and
DONE are created atomically and exclusively (see :mod:`dflow.store.files`). An attempt
whose DONE (or, layout 1, manifest) is damaged is skipped by :meth:`RunRecords.latest_commit`
(which falls back to the previous committed attempt), while :meth:`RunRecords.manifest` of
that attempt raises ArtifactCorruptError.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from dflow.errors import (
    ArtifactCorruptError,
    ArtifactNotFoundError,
    NotCommittedError,
    RecordNotFoundError,
    StoreError,
)
from dflow.store.commits import (
    COMMIT_LAYOUT,
    check_commit,
    commit_bytes,
    dump_json,
    layout_of,
    manifest_from,
    parse_done,
)
from dflow.store.files import Files, io_error
from dflow.store.keys import digest
from dflow.store.refs import ArtifactRef, Manifest, RunEntry, TaskAddress, check_name
from dflow.store.taskindex import INDEX_DIR, Journal, RunSnapshot, index_doc

RECORD_LAYOUT = 2
_STATUS_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
#: When a crash left two index entries for one run, the first listed here wins.
STATUS_PRECEDENCE = ("failed", "succeeded", "running")
#: How many listed tasks' next attempt numbers are remembered (one per running task).
_HINTS = 256


def _check_status(status: str) -> str:
    if not isinstance(status, str) or not _STATUS_RE.match(status):
        raise StoreError(f"invalid run status {status!r}: use letters, digits, _ and -")
    return status


def write_checked(files: Files, rel: str, data: bytes) -> None:
    """``files.write`` with a storage failure raised as a StoreError naming ``rel``."""
    try:
        files.write(rel, data)
    except OSError as exc:
        raise io_error("write", rel, exc) from exc


class RunRecords:
    """Attempts, manifests, logs, run records and the run index of one store.

    ``files`` is the store's file layer; ``url`` names the store in messages;
    ``has_object(key)`` says whether the object store holds a value (checked before a
    commit names it).
    """

    def __init__(self, files: Files, url: str, has_object: Callable[[str], bool]) -> None:
        self.files, self.url, self.has_object = files, url, has_object
        #: The next free attempt number of recently listed tasks (see start_attempt).
        self._next_attempt: dict[TaskAddress, int] = {}
        #: The record files this thread wrote, while a task index is being gathered.
        self.journal = Journal()

    # --- paths ---------------------------------------------------------------------------

    def run_dir(self, flow: str, run_id: str) -> str:
        """The folder of a run, relative to the store root (names checked)."""
        return f"flows/{check_name('flow', flow)}/runs/{check_name('run id', run_id)}"

    def _task_dir(self, t: TaskAddress) -> str:
        t.check()
        return f"{self.run_dir(t.flow, t.run_id)}/steps/{t.step}/{t.task_id}"

    def _attempt_dir(self, t: TaskAddress, attempt: int) -> str:
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 0:
            raise StoreError(f"invalid attempt number {attempt!r}: expected an int >= 0")
        return f"{self._task_dir(t)}/{attempt}"

    def _read_json(self, rel: str) -> dict:
        data = self.files.read(rel)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ArtifactCorruptError(f"record {rel} is not valid JSON: {exc}") from None

    def _read_record(self, rel: str, what: str) -> dict:
        try:
            return self._read_json(rel)
        except FileNotFoundError:
            raise RecordNotFoundError(f"{what} does not exist in the store at {self.url}") from None
        except OSError as exc:
            raise io_error("read", rel, exc) from exc

    # --- attempts ------------------------------------------------------------------------

    def list_attempts(self, t: TaskAddress) -> list[int]:
        """Attempt numbers that were started (committed or not), ascending."""
        return sorted(int(n) for n in self.files.ls(self._task_dir(t)) if n.isdigit())

    def start_attempt(self, t: TaskAddress) -> int:
        """Allocate the next attempt number (max existing + 1) and record that it started.

        Right after :meth:`latest_commit` (or :meth:`committed_attempts`) of the same task,
        that call's listing is reused instead of listing again: a number it suggests that
        was taken since is skipped by the exclusive create, as a concurrent start is.
        """
        hint = self._next_attempt.pop(t, None)
        n = hint if hint is not None else max(self.list_attempts(t), default=-1) + 1
        stamp = dump_json({"layout": RECORD_LAYOUT, "started_at": time.time()}, "start")
        # Not fsynced: the stamp only claims the number (exclusively; nothing reads it). A
        # machine crash can lose it only with an attempt that had not committed yet: the
        # commit's DONE is fsynced, which makes the folder's earlier entries durable too.
        while not self.files.create(
            f"{self._attempt_dir(t, n)}/started.json", stamp, durable=False
        ):
            n += 1
        return n

    def committed_attempts(self, t: TaskAddress) -> list[int]:
        """Attempt numbers with a DONE marker (one recursive listing), ascending."""
        found = self.files.find(self._task_dir(t))
        if len(self._next_attempt) >= _HINTS:
            self._next_attempt.clear()
        started = [int(p.split("/")[0]) for p in found if p.split("/")[0].isdigit()]
        self._next_attempt[t] = max(started, default=-1) + 1
        return sorted(
            int(p.split("/")[0]) for p in found if p.endswith("/DONE") and p.split("/")[0].isdigit()
        )

    def commit_attempt(
        self,
        t: TaskAddress,
        attempt: int,
        artifacts: Mapping[str, ArtifactRef],
        meta: Mapping[str, Any] | None = None,
        *,
        written: Collection[str] | None = None,
        record: Mapping[str, Any] | None = None,
    ) -> Manifest:
        """Commit an attempt: check its objects exist, then create its DONE marker, which
        holds the manifest and the attempt ``record`` (layout 2: :mod:`dflow.store.commits`).

        On an object store that is ONE conditional PUT when the objects were saved through
        this store (it knows they exist without asking). With ``record`` given, the attempt
        needs no record.json (:meth:`read_attempt_record` reads the commit's).

        ``written`` names the artifacts this attempt stored itself; only their objects are
        checked (the others come from committed manifests, checked when those committed).
        None checks every artifact.
        """
        base = self._attempt_dir(t, attempt)
        for name, ref in artifacts.items():
            if written is not None and name not in written:
                continue
            if not self.has_object(ref.key):
                raise ArtifactNotFoundError(
                    f"cannot commit {t.pathspec} attempt {attempt}: artifact {name!r} "
                    f"(object {ref.key}) is not in the store",
                    hint="save every artifact before committing",
                )
        done = commit_bytes(t, attempt, artifacts, meta, record)
        try:
            created = self.files.create(f"{base}/DONE", done)
        except OSError as exc:
            raise io_error("commit", base, exc) from exc
        if not created:
            raise StoreError(
                f"attempt {attempt} of task {t.pathspec} is already committed; "
                "committed attempts are never overwritten",
                hint="start a new attempt with start_attempt()",
            )
        self.journal.note(f"{base}/DONE", done)
        return Manifest(t, attempt, dict(artifacts), dict(meta or {}))

    def _read_done(self, t: TaskAddress, attempt: int) -> dict:
        """The parsed DONE marker of an attempt (NotCommittedError without one)."""
        rel = f"{self._attempt_dir(t, attempt)}/DONE"
        try:
            data = self.files.read(rel)
        except FileNotFoundError:
            raise NotCommittedError(
                f"attempt {attempt} of task {t.pathspec} is not committed (no DONE marker)",
                hint="only committed attempts can be read; see committed_attempts()",
            ) from None
        except OSError as exc:
            raise io_error("read", rel, exc) from exc
        return parse_done(data, f"{t.pathspec} attempt {attempt}")

    def manifest(self, t: TaskAddress, attempt: int) -> Manifest:
        """The manifest of a committed attempt (either layout); NotCommittedError without
        DONE, ArtifactCorruptError when the commit is damaged."""
        base = self._attempt_dir(t, attempt)
        what = f"{t.pathspec} attempt {attempt}"
        done = self._read_done(t, attempt)
        if layout_of(done) == COMMIT_LAYOUT:
            check_commit(done, t, attempt, what)
            return manifest_from(done, t, attempt, what)
        try:  # layout 1: DONE names the digest of manifest.json
            data = self.files.read(f"{base}/manifest.json")
        except FileNotFoundError:
            raise ArtifactCorruptError(
                f"manifest of {what} is missing", hint="the store is damaged; rerun the task"
            ) from None
        except OSError as exc:
            raise io_error("read", f"{base}/manifest.json", exc) from exc
        if digest(data) != done.get("manifest"):
            raise ArtifactCorruptError(
                f"manifest of {what} does not match its DONE marker",
                hint="the store is damaged; rerun the task",
            )
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise ArtifactCorruptError(
                f"manifest of {what} is malformed: {exc}",
                hint="the store is damaged; rerun the task",
            ) from None
        return manifest_from(doc, t, attempt, what)

    def latest_commit(self, t: TaskAddress) -> Manifest | None:
        """The manifest of the highest committed attempt that is intact, or None.

        An attempt whose DONE or manifest is damaged is skipped (the previous committed
        one is used); :meth:`manifest` of that attempt still raises ArtifactCorruptError.
        Storage failures are raised, never skipped.
        """
        for attempt in reversed(self.committed_attempts(t)):
            try:
                return self.manifest(t, attempt)
            except ArtifactCorruptError:
                continue
        return None

    def write_attempt_record(self, t: TaskAddress, attempt: int, record: Mapping) -> None:
        """Write (or overwrite) an attempt's JSON record (status, timings, host, error...)."""
        doc = {**record, "layout": RECORD_LAYOUT}
        rel = f"{self._attempt_dir(t, attempt)}/record.json"
        data = dump_json(doc, f"record of {t.pathspec}")
        write_checked(self.files, rel, data)
        self.journal.note(rel, data)

    def read_attempt_record(self, t: TaskAddress, attempt: int) -> dict:
        """An attempt's JSON record: its record.json, else the record its commit holds
        (layout 2); RecordNotFoundError if it has neither.

        An attempt whose DONE marker is damaged has committed, so it reads as
        ``{"attempt": n, "status": "succeeded"}`` (what the marker's writer recorded)
        when no record.json says otherwise: every reader then shows it as damaged (see
        :mod:`dflow.store.commit_state`)."""
        rel = f"{self._attempt_dir(t, attempt)}/record.json"
        try:
            return self._read_json(rel)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise io_error("read", rel, exc) from exc
        missing = RecordNotFoundError(
            f"the record of {t.pathspec} attempt {attempt} does not exist in the store "
            f"at {self.url}"
        )
        try:
            done = self._read_done(t, attempt)
        except NotCommittedError:
            raise missing from None
        except ArtifactCorruptError:
            return {"attempt": attempt, "status": "succeeded"}
        if layout_of(done) != COMMIT_LAYOUT:
            raise missing  # layout 1, stopped between its DONE and its record.json
        try:
            check_commit(done, t, attempt, f"{t.pathspec} attempt {attempt}")
        except ArtifactCorruptError:
            return {"attempt": attempt, "status": "succeeded"}
        if not isinstance(done.get("record"), dict):
            raise missing
        return {**done["record"], "layout": COMMIT_LAYOUT}

    def write_log(self, t: TaskAddress, attempt: int, stream: str, data: bytes) -> None:
        """Store (replace) the captured ``stream`` ("stdout" / "stderr") of an attempt."""
        rel = f"{self._attempt_dir(t, attempt)}/{check_name('log stream', stream)}.log"
        write_checked(self.files, rel, bytes(data))

    def read_log(self, t: TaskAddress, attempt: int, stream: str) -> bytes:
        """The captured ``stream`` of an attempt; b"" when none was written."""
        rel = f"{self._attempt_dir(t, attempt)}/{check_name('log stream', stream)}.log"
        try:
            return self.files.read(rel)
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise io_error("read", rel, exc) from exc

    # --- the task index (see dflow.store.taskindex) ------------------------------------

    def write_task_index(self, flow: str, run_id: str, name: str, written: Mapping) -> None:
        """Write one task index object of the record files ``written`` (rel -> bytes, as
        :meth:`Journal.capture` gathers them) under the run, named ``name`` (+ a number
        if taken: never overwritten)."""
        run_dir = self.run_dir(flow, run_id)
        data = index_doc(run_dir, dict(written))
        base = f"{run_dir}/{INDEX_DIR}/{check_name('index name', name)}"
        n = 0
        try:  # not fsynced: an index lost or torn in a crash only costs reads
            while not self.files.create(f"{base}{f'.{n}' if n else ''}.json", data, durable=False):
                n += 1
        except OSError as exc:
            raise io_error("write", base, exc) from exc

    def snapshot(self, flow: str, run_id: str) -> RunRecords:
        """These records as one listing of the run and its task index show them (read-only):
        reading every task of a run costs a few requests, not a few per task."""
        view = RunSnapshot(self.files, self.run_dir(flow, run_id))
        return RunRecords(view, self.url, self.has_object)  # type: ignore[arg-type]

    # --- runs ----------------------------------------------------------------------------

    def write_run_record(self, flow: str, run_id: str, record: Mapping) -> None:
        """Write (or overwrite) a run's JSON record; a "status" in it updates the index."""
        doc = {**record, "layout": RECORD_LAYOUT}
        rel = f"{self.run_dir(flow, run_id)}/run.json"
        write_checked(self.files, rel, dump_json(doc, f"run record of {flow}/{run_id}"))
        if "status" in record:
            self._set_index(flow, run_id, _check_status(record["status"]))

    def write_heartbeat(self, flow: str, run_id: str) -> None:
        """Record that the run's driver is alive now (``runs/<run_id>/heartbeat.json``)."""
        rel = f"{self.run_dir(flow, run_id)}/heartbeat.json"
        write_checked(
            self.files,
            rel,
            dump_json(
                {"layout": RECORD_LAYOUT, "time": time.time()}, f"heartbeat of {flow}/{run_id}"
            ),
        )

    def read_heartbeat(self, flow: str, run_id: str) -> float | None:
        """When the run's driver last said it was alive (None if it never did)."""
        try:
            return float(self._read_json(f"{self.run_dir(flow, run_id)}/heartbeat.json")["time"])
        except FileNotFoundError:
            return None

    def read_run_record(self, flow: str, run_id: str) -> dict:
        """A run's JSON record; RecordNotFoundError (a StoreError) if there is none."""
        rel = f"{self.run_dir(flow, run_id)}/run.json"
        return self._read_record(rel, f"run {flow}/{run_id}")

    def set_run_status(self, flow: str, run_id: str, status: str) -> None:
        """Move a run to ``status`` in the index (and in its run record, if written)."""
        _check_status(status)
        rel = f"{self.run_dir(flow, run_id)}/run.json"
        try:
            record = self._read_json(rel)
        except FileNotFoundError:
            record = None
        if record is not None:
            record["status"] = status
            write_checked(self.files, rel, dump_json(record, f"run record of {flow}/{run_id}"))
        self._set_index(flow, run_id, status)

    def _set_index(self, flow: str, run_id: str, status: str) -> None:
        # Constant cost however long the history: the new marker first, then the markers
        # of the other known statuses removed by name (removing an absent one is fine).
        index = f"flows/{flow}/index"
        write_checked(self.files, f"{index}/{run_id}.{status}", b"")
        for old in STATUS_PRECEDENCE:
            if old != status:
                self.files.rm(f"{index}/{run_id}.{old}")

    def list_flows(self) -> list[str]:
        """Names of the flows with anything in the store."""
        return self.files.ls("flows")

    def list_runs(self, flow: str) -> list[RunEntry]:
        """Every run of ``flow`` with its status, from one listing of the index."""
        statuses: dict[str, list[str]] = {}
        for name in self.files.ls(f"flows/{check_name('flow', flow)}/index"):
            run_id, _, status = name.rpartition(".")
            if run_id:
                statuses.setdefault(run_id, []).append(status)
        return [RunEntry(rid, _pick_status(s)) for rid, s in sorted(statuses.items())]

    def list_steps(self, flow: str, run_id: str) -> list[str]:
        """Steps of a run that have at least one task folder."""
        return self.files.ls(f"{self.run_dir(flow, run_id)}/steps")

    def latest_attempts(self, flow: str, run_id: str) -> dict[TaskAddress, tuple[int, set[str]]]:
        """Every task of a run that started an attempt: its latest attempt number and the
        names of that attempt's files (ONE recursive listing of the run's steps)."""
        latest: dict[TaskAddress, tuple[int, set[str]]] = {}
        for path in self.files.find(f"{self.run_dir(flow, run_id)}/steps"):
            parts = path.split("/")
            if len(parts) != 4 or not parts[2].isdigit():
                continue
            step, task_id, number, name = parts
            t, attempt = TaskAddress(flow, run_id, step, task_id), int(number)
            known = latest.get(t)
            if known is None or attempt > known[0]:
                latest[t] = (attempt, {name})
            elif attempt == known[0]:
                known[1].add(name)
        return latest

    def list_tasks(self, flow: str, run_id: str, step: str) -> list[str]:
        """Task ids of a step of a run."""
        return self.files.ls(f"{self.run_dir(flow, run_id)}/steps/{check_name('step', step)}")


def _pick_status(statuses: list[str]) -> str:
    for status in STATUS_PRECEDENCE:
        if status in statuses:
            return status
    return sorted(statuses)[-1]
