"""Steps and tasks of a run: :class:`Step` and :class:`Task` (Metaflow's names).

A task reads its attempt records, logs and committed manifest from the store, lazily and
once. ``Task(pathspec)`` is the latest attempt (its data from the latest committed one);
``Task(pathspec, attempt=n)`` is attempt ``n``: its logs, record and (if committed) data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dflow.client.artifacts import ArtifactSet, DataArtifact, TaskData
from dflow.client.base import (
    DflowObject,
    UnknownAttributeError,
    UnknownKeyError,
    checked_name,
    split_pathspec,
    task_id_key,
    to_datetime,
)
from dflow.client.context import ClientContext
from dflow.errors import ErrorRecord, NotCommittedError, ObjectNotFoundError, RecordNotFoundError
from dflow.store import ArtifactRef, Manifest, TaskAddress
from dflow.store.attempts import AttemptInfo
from dflow.store.commit_state import DAMAGED, commit_damage, state_from

if TYPE_CHECKING:
    from dflow.client.core import Run

_UNSET = object()


class Step(DflowObject):
    """One step of a run: its tasks (``step.task`` when there is one).

    Example, for a run in the store::

        Step("TrainFlow/1700000000000000/fit").tasks()
    """

    _kind = "step"
    _parent_kind = "run"

    def __init__(
        self,
        pathspec: str,
        context: ClientContext | None = None,
        *,
        _namespace_check: bool = True,
        _run: Run | None = None,
    ) -> None:
        flow, run_id, step = split_pathspec(pathspec, 3, "step")
        super().__init__(f"{flow}/{run_id}/{step}", context)
        if _run is None:
            _run = self._parent_from_pathspec(_namespace_check=_namespace_check)
        self._run: Run = _run
        self._context = self._run._context
        checked_name("step", step, where=f" in run {self._run.pathspec}")
        if step not in self._run._step_names():
            raise UnknownKeyError(
                f"run {self._run.pathspec} has no step {step!r} "
                f"(steps: {', '.join(self._run._step_names()) or 'none yet'})"
            )
        self._task_ids: list[str] | None = None
        self._bulk_tasks: list[Task] | None = None

    @property
    def parent(self) -> Run:
        """The run of this step."""
        return self._run

    def _ids(self) -> list[str]:
        if self._task_ids is None:
            flow, run_id, step = self.path_components
            ids = self._run._listing_records().list_tasks(flow, run_id, step)
            self._task_ids = sorted(ids, key=task_id_key)
        return self._task_ids

    @property
    def task_ids(self) -> list[str]:
        """Ids of the step's tasks, in foreach order (``"0"``, ``"1"``, ..., ``"10"``)."""
        return list(self._ids())

    def _task(self, task_id: str, bulk: bool = False) -> Task:
        return Task(f"{self.pathspec}/{task_id}", self._context, _step=self, _bulk=bulk)

    @property
    def task(self) -> Task | None:
        """The step's first task (the only one outside a foreach), or None."""
        ids = self._ids()
        return self._task(ids[0], self._run._snapshot is not None) if ids else None

    def tasks(self, *tags: str) -> list[Task]:
        """Every task of the step (only if the run has all of ``tags``).

        Their records come from one listing of the run and its task index (see
        :mod:`dflow.store.taskindex`), taken when the first of them is read.
        """
        if tags and not set(tags) <= set(self._run.tags):
            return []
        if self._bulk_tasks is None:  # kept: their reads are the run's snapshot's
            self._bulk_tasks = [self._task(t, bulk=True) for t in self._ids()]
        return list(self._bulk_tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks())

    def __len__(self) -> int:
        return len(self._ids())

    def __getitem__(self, task_id: str) -> Task:
        if str(task_id) not in self._ids():
            raise UnknownKeyError(
                f"step {self.pathspec} has no task {str(task_id)!r} ({len(self._ids())} tasks)"
            )
        return self._task(str(task_id))

    def __contains__(self, task_id: object) -> bool:
        return str(task_id) in self._ids()

    @property
    def created_at(self) -> datetime | None:
        """When the step's first task started."""
        task = self.task
        return task.created_at if task else None

    @property
    def finished_at(self) -> datetime | None:
        """When the step's last task finished (reads every task's record)."""
        ends = [t.finished_at for t in self.tasks()]
        return max(ends) if ends and all(ends) else None

    def _summary(self) -> dict[str, Any]:
        return {"tasks": len(self._ids()), "created_at": self.created_at}


class Task(DflowObject):
    """One task of a step: data, artifacts, logs, attempts, error.

    Example, for a run in the store::

        task = Task("TrainFlow/1700000000000000/fit/3")
        task.data.score, task.index, task.successful, task.stderr
    """

    _kind = "task"
    _parent_kind = "step"

    def __init__(
        self,
        pathspec: str,
        context: ClientContext | None = None,
        *,
        attempt: int | None = None,
        _namespace_check: bool = True,
        _step: Step | None = None,
        _bulk: bool = False,
    ) -> None:
        flow, run_id, step, task_id = split_pathspec(pathspec, 4, "task")
        super().__init__(f"{flow}/{run_id}/{step}/{task_id}", context)
        if _step is None:
            _step = self._parent_from_pathspec(_namespace_check=_namespace_check)
            if task_id not in _step:
                raise UnknownKeyError(
                    f"step {_step.pathspec} has no task {task_id!r} ({len(_step)} tasks)"
                )
        self._step = _step
        self._bulk = _bulk
        self._context = _step._context
        self.address = TaskAddress(flow, run_id, step, task_id)
        self._attempt = attempt
        self._cache: dict[str, Any] = {}
        if attempt is not None and attempt not in self.attempts:
            raise ObjectNotFoundError(
                f"task {self.pathspec} has no attempt {attempt} (attempts: {self.attempts})"
            )

    def _memo(self, name: str, compute) -> Any:
        if name not in self._cache:
            self._cache[name] = compute()
        return self._cache[name]

    @property
    def parent(self) -> Step:
        """The step of this task."""
        return self._step

    @property
    def _records(self) -> Any:
        """Where this task's records are read: the run's snapshot for a task listed with
        its step (:meth:`Step.tasks`), else the store."""
        return self._step._run._bulk_records() if self._bulk else self.store

    # --- attempts --------------------------------------------------------------------

    @property
    def attempts(self) -> list[int]:
        """Numbers of the attempts that started, ascending."""
        return self._memo("attempts", lambda: self._records.list_attempts(self.address))

    @property
    def current_attempt(self) -> int:
        """The attempt this object shows: the one asked for, else the latest started."""
        if self._attempt is not None:
            return self._attempt
        return max(self.attempts, default=0)

    def attempt(self, number: int) -> Task:
        """This task as of attempt ``number`` (its logs, record, error and data)."""
        return Task(
            self.pathspec, self._context, attempt=number, _step=self._step, _bulk=self._bulk
        )

    def _record(self, attempt: int | None = None) -> AttemptInfo | None:
        number = self.current_attempt if attempt is None else attempt

        def read() -> AttemptInfo | None:
            try:
                return AttemptInfo.from_dict(
                    self._records.read_attempt_record(self.address, number), number
                )
            except RecordNotFoundError:
                return None  # started but not finished: running, or interrupted

        return self._memo(f"record-{number}", read)

    def _manifest(self) -> Manifest | None:
        def read() -> Manifest | None:
            if self._attempt is None:
                return self._records.latest_commit(self.address)
            try:
                return self._records.manifest(self.address, self._attempt)
            except NotCommittedError:
                return None

        return self._memo("manifest", read)

    @property
    def metadata_dict(self) -> dict[str, Any]:
        """The attempt record: attempt, status, started_at, finished_at, host, pid, ..."""
        info = self._record()
        return info.to_dict() if info is not None else {}

    @property
    def state(self) -> str:
        """ "succeeded", "failed", "running", or "damaged": the attempt's record says it
        succeeded but its commit (DONE marker, manifest) is missing or damaged, so its
        artifacts cannot be read (see :mod:`dflow.store.commit_state`)."""
        return state_from(self._record(), self._commit_damage)

    @property
    def damage(self) -> str | None:
        """Why this attempt's commit is damaged (None unless :attr:`state` is "damaged")."""
        return self._commit_damage() if self.state == DAMAGED else None

    def _commit_damage(self) -> str | None:
        """What is wrong with this attempt's commit, read once (None: it is sound)."""
        return self._memo(
            "damage", lambda: commit_damage(self._records, self.address, self.current_attempt)
        )

    @property
    def successful(self) -> bool:
        """True if the step ran to its end and this attempt committed (Metaflow's
        ``_success``). False for a failed or running attempt, and for one ``@catch`` caught:
        that one committed, so the flow went on and it is :attr:`finished`, but its step
        did not succeed."""
        manifest = self._manifest()
        return manifest is not None and not (manifest.meta or {}).get("caught")

    @property
    def finished(self) -> bool:
        """True if this attempt completed (Metaflow's ``_task_ok``): it committed, its step
        having succeeded or been caught by ``@catch``. A failed or running attempt is not
        finished; :attr:`ended` is True once the attempt stopped either way."""
        return self._manifest() is not None

    @property
    def ended(self) -> bool:
        """True once this attempt stopped: it committed or its record says how it ended."""
        return self.finished or self._record() is not None

    @property
    def exception(self) -> ErrorRecord | None:
        """The error that failed the attempt, or the one ``@catch`` caught (``.caught``);
        else None."""
        info = self._record()
        return (info.caught or info.error) if info is not None else None

    @property
    def origin_pathspec(self) -> str | None:
        """The task of an earlier run this one reused (resume), if any."""
        info = self._record()
        return info.origin if info is not None else None

    # --- logs ------------------------------------------------------------------------

    def log(self, stream: str = "stdout", attempt: int | None = None) -> str:
        """The captured ``stream`` ("stdout" / "stderr") of an attempt (default: current)."""
        if stream not in ("stdout", "stderr"):
            raise ObjectNotFoundError(f"unknown log stream {stream!r}: use stdout or stderr")
        number = self.current_attempt if attempt is None else attempt
        if number not in self.attempts:
            raise ObjectNotFoundError(
                f"task {self.pathspec} has no attempt {number} (attempts: {self.attempts})"
            )
        address = self.address
        origin = self.origin_pathspec if attempt is None else None
        while origin:  # a task reused by resume: its output is its origin's (maybe a reuse too)
            address = TaskAddress(*origin.split("/"))
            number = max(self.store.committed_attempts(address), default=0)
            origin = AttemptInfo.from_dict(self.store.read_attempt_record(address, number)).origin
        return self.store.read_log(address, number, stream).decode("utf-8", "replace")

    @property
    def stdout(self) -> str:
        """What the step printed (current attempt)."""
        return self.log("stdout")

    @property
    def stderr(self) -> str:
        """What the step wrote to stderr, with its traceback if it failed (current attempt)."""
        return self.log("stderr")

    # --- timing, place in the flow ----------------------------------------------------

    @property
    def created_at(self) -> datetime | None:
        """When the attempt started."""
        info = self._record()
        return to_datetime(info.started_at if info is not None else None)

    @property
    def finished_at(self) -> datetime | None:
        """When the attempt finished (None while running)."""
        info = self._record()
        return to_datetime(info.finished_at if info is not None else None)

    @property
    def index(self) -> int | None:
        """The task's foreach index (its innermost foreach), or None outside a foreach."""
        info = self._record()
        stack = info.foreach_stack if info is not None else None
        if stack is not None:
            return stack[-1] if stack else None
        parts = self.id.split("_")[0].split(".")  # "3.1_2": foreach 3.1, third pass
        if len(parts) > 1 or len(self._step) > 1 or self.id != "0":
            return int(parts[-1])
        for parent in self.parent_tasks:  # a foreach over one item: id "0" as well
            manifest = parent._manifest()
            if manifest is not None and manifest.meta.get("foreach"):
                return 0
        return None

    @property
    def parent_tasks(self) -> list[Task]:
        """The tasks this one ran after (several for a join)."""
        info = self._record()
        parents = info.parents if info is not None else None
        if parents is None:
            manifest = self._manifest()
            parents = ((manifest.meta if manifest else {}).get("info") or {}).get("parents", [])
        run = self._step._run
        return [run[step][task_id] for step, task_id in (p.split("/") for p in parents)]

    # --- artifacts -------------------------------------------------------------------

    def _own_refs(self) -> dict[str, ArtifactRef]:
        manifest = self._manifest()
        return dict(manifest.artifacts) if manifest else {}

    def _artifact_names(self) -> list[str]:
        own = self._own_refs()
        params = self._step._run._parameter_refs()
        return sorted(own) + sorted(n for n in params if n not in own)

    def _artifact_ref(self, name: str, *, key_error: bool = False) -> ArtifactRef:
        ref = self._own_refs().get(name) or self._step._run._parameter_refs().get(name)
        if ref is not None:
            return ref
        cls = UnknownKeyError if key_error else UnknownAttributeError
        if self._manifest() is None:
            raise cls(
                f"task {self.pathspec} has no artifact {name!r}: it committed no "
                "artifacts (it failed, is running or was interrupted)"
            )
        raise cls(
            f"task {self.pathspec} has no artifact {name!r} "
            f"(artifacts: {', '.join(self._artifact_names()) or 'none'})"
        )

    def _artifact(self, name: str, *, key_error: bool = False) -> DataArtifact:
        ref = self._artifact_ref(name, key_error=key_error)
        return DataArtifact(f"{self.pathspec}/{name}", self._context, _ref=ref, _task=self)

    @property
    def data(self) -> TaskData:
        """Artifacts as attributes, loaded lazily: ``task.data.score``."""
        return self._memo("data", lambda: TaskData(self))

    @property
    def artifacts(self) -> ArtifactSet:
        """Artifacts as :class:`DataArtifact` objects: ``task.artifacts.score.size``."""
        return ArtifactSet(self)

    def __getitem__(self, name: str) -> DataArtifact:
        return self._artifact(name, key_error=True)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._artifact_names()

    def __iter__(self) -> Iterator[DataArtifact]:
        return iter(self.artifacts)

    @property
    def code(self):
        """The run's code snapshot (see :attr:`Run.code`)."""
        return self._step._run.code

    def _summary(self) -> dict[str, Any]:
        info = self._record() or AttemptInfo(attempt=self.current_attempt)
        return {
            "status": info.status,
            "attempt": self.current_attempt,
            "started": self.created_at,
            "duration": info.duration,
            "worker": f"worker {info.worker_name}" if info.worker_name else info.worker,
            "host": info.host,
        }

    def _html_extra(self) -> str:
        """The task's artifacts: name, type, size and encoding (parameters marked)."""
        import html

        from dflow.client.htmlview import table_html, value_html

        own = self._own_refs()
        params = self._step._run._parameter_refs()
        rows = []
        for name in self._artifact_names():
            ref = own.get(name) or params[name]
            rows.append(
                [
                    html.escape(name) + ("" if name in own else " <i>(parameter)</i>"),
                    html.escape(ref.type_name),
                    value_html("size", ref.size),
                    html.escape(ref.encoding),
                ]
            )
        run = html.escape(self._step._run.pathspec)
        report = (
            f"<p class='muted'>The run's report (graph, timeline, every task): "
            f"<code>Run('{run}').report()</code>, or <code>dflow report {run}</code>.</p>"
        )
        if not rows:
            return "<p class='muted'>No artifacts committed.</p>" + report
        return table_html(["artifact", "type", "size", "encoding"], rows) + report
