"""One run of a flow, :class:`Run`: its record, tags, steps, end data, code and damage.

A run's ``run.json`` is read only when the run is touched (its namespace, tags, times...);
its steps and tasks are listed once and kept until :meth:`Run.refresh`. Its flow
(:attr:`Run.parent`) is built by kind (see :class:`~dflow.client.base.DflowObject`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dflow import config, renderers
from dflow.client.base import (
    DflowObject,
    UnknownKeyError,
    checked_name,
    split_pathspec,
    to_datetime,
)
from dflow.client.code import RunCode
from dflow.client.context import ClientContext, run_namespaces, system_tags
from dflow.client.tasks import Step, Task
from dflow.errors import (
    DflowError,
    ErrorRecord,
    NamespaceMismatchError,
    ObjectNotFoundError,
    RecordNotFoundError,
)
from dflow.graph.model import FlowGraph
from dflow.graph.record import graph_from_record
from dflow.store import ArtifactRef, RunEntry
from dflow.store.commit_state import run_damage, run_state, step_state

if TYPE_CHECKING:
    from dflow.client.flows import Flow

#: Runs of at most this many tasks show their report inline (folded) in a notebook.
MAX_INLINE_REPORT_TASKS = 500


class Run(DflowObject):
    """One run of a flow: status, parameters, tags, steps, data of its end step, code.

    Example, for a run in the store::

        run = Run("TrainFlow/1700000000000000")
        run.successful, run.data.best, run["fit"].tasks()
    """

    _kind = "run"
    _parent_kind = "flow"

    def __init__(
        self,
        pathspec: str,
        context: ClientContext | None = None,
        *,
        _namespace_check: bool = True,
        _entry: RunEntry | None = None,
        _flow: Flow | None = None,
    ) -> None:
        parts = split_pathspec(pathspec, 2, "run")
        super().__init__("/".join(parts), context)
        flow, run_id = parts
        self._flow = _flow
        self._entry = _entry
        self._record_doc: dict | None = None
        self._tags: frozenset[str] | None = None
        self._steps: list[str] | None = None
        self._params: dict[str, ArtifactRef] | None = None
        self._damaged: dict[str, str] | None = None
        self._snapshot: Any = None
        self._step_objs: list[Step] | None = None
        checked_name("flow", flow)
        checked_name("run id", run_id, where=f" for flow {flow!r}")
        if _entry is None:
            self._record()  # the run must exist
        if _namespace_check and not self.in_namespace():
            raise NamespaceMismatchError(
                f"run {self.pathspec} is not in the namespace {self._context.namespace!r} "
                f"(its namespaces: {', '.join(sorted(self.namespaces))})",
                hint="switch with dflow.client.namespace(None) (or the run's namespace); "
                "on the command line pass --all-namespaces",
            )

    # --- record ----------------------------------------------------------------------

    def _record(self) -> dict:
        if self._record_doc is None:
            flow, run_id = self.path_components
            try:
                self._record_doc = self.store.read_run_record(flow, run_id)
            except RecordNotFoundError:
                if self._flow is None and flow not in self.store.list_flows():
                    raise ObjectNotFoundError(
                        f"flow {flow!r} has no runs in the store at {self.store.url}",
                        hint="check the flow's class name and the store (--store / DFLOW_STORE)",
                    ) from None
                raise UnknownKeyError(
                    f"flow {flow!r} has no run {run_id!r} in the store at {self.store.url}",
                    hint=f"list its runs with: dflow runs {flow}",
                ) from None
        return self._record_doc

    def refresh(self) -> Run:
        """Forget what was read, so the next access reads the store again; return self."""
        self._record_doc, self._steps, self._entry, self._tags = None, None, None, None
        self._damaged = None
        self._snapshot, self._step_objs = None, None
        return self

    def _bulk_records(self) -> Any:
        """The run's task records as ONE listing and its task index show them (taken on
        first use, kept until :meth:`refresh`): what reading many tasks goes through."""
        if self._snapshot is None:
            self._snapshot = self.store.run_snapshot(*self.path_components)
        return self._snapshot

    def _listing_records(self) -> Any:
        """The snapshot if one was taken (listings then cost nothing), else the store."""
        return self._snapshot if self._snapshot is not None else self.store

    @property
    def namespaces(self) -> frozenset[str]:
        """The namespaces the run belongs to: ``user:<its user>`` and each of its tags."""
        return run_namespaces(self._record(), self.user_tags)

    def in_namespace(self) -> bool:
        """True if the client's current namespace sees this run.

        The run's user namespace comes from its record; its tags (one listing) are read
        only when that does not match.
        """
        current = self._context.namespace
        if current is None or current in run_namespaces(self._record(), ()):
            return True
        return current in self.tags

    @property
    def parent(self) -> Flow:
        """The run's flow."""
        if self._flow is None:
            self._flow = self._parent_from_pathspec(_checked=True)
        return self._flow

    @property
    def status(self) -> str:
        """``"running"``, ``"succeeded"``, ``"failed"``, or ``"stalled"``: a run recorded
        as running whose driver has not sent a heartbeat for ``dflow.heartbeat.timeout``
        seconds (its driver was killed or its machine lost: ``resume`` finishes it)."""
        record = self._record()
        status = str(record.get("status", "running"))
        if status == "running":
            flow, run_id = self.path_components
            last = self.store.read_heartbeat(flow, run_id) or record.get("created_at") or 0.0
            if time.time() - last > float(config.get("heartbeat.timeout")):
                return "stalled"
        return status

    @property
    def damaged_tasks(self) -> dict[str, str]:
        """The run's damaged tasks, ``{"step/task_id": why}``: their latest attempt
        succeeded but its commit (DONE marker, manifest) is missing or damaged, so their
        artifacts cannot be read (``resume`` reruns them). Reads every task's commit, once
        (:meth:`refresh` reads again), through one listing and the run's task index."""
        if self._damaged is None:
            self._damaged = run_damage(self._bulk_records(), *self.path_components)
        return dict(self._damaged)

    @property
    def state(self) -> str:
        """:attr:`status`, or ``"damaged"`` for a run recorded as succeeded that has a
        damaged task (:attr:`damaged_tasks`): what ``dflow runs``, ``dflow show`` and the
        report show. Only a succeeded run's tasks are read for it."""
        return run_state(self.status, lambda: self.damaged_tasks)

    @property
    def successful(self) -> bool:
        """True if the run succeeded: its end step ran to its end (Metaflow's meaning: the
        end task is :attr:`Task.successful`, so a run whose ``end`` was caught by
        ``@catch`` finished but is not successful). :attr:`state` also checks that the
        tasks' commits are still sound."""
        if self.status != "succeeded":
            return False
        end = self.end_task
        return end is not None and end.successful

    @property
    def finished(self) -> bool:
        """True if the run completed: its end step finished (Metaflow's meaning; a failed
        run is not finished). :attr:`status` tells failed from still running."""
        return self.status == "succeeded"

    @property
    def ended(self) -> bool:
        """True once the run stopped, succeeded or failed."""
        return self.status in ("succeeded", "failed")

    @property
    def created_at(self) -> datetime | None:
        """When the run started."""
        return to_datetime(self._record().get("created_at"))

    @property
    def finished_at(self) -> datetime | None:
        """When the run ended (None while running)."""
        return to_datetime(self._record().get("finished_at"))

    @property
    def duration(self) -> float | None:
        """Wall time in seconds (None while running)."""
        return self._record().get("duration")

    @property
    def user(self) -> str | None:
        """Who started the run."""
        return self._record().get("user")

    @property
    def tags(self) -> frozenset[str]:
        """Every tag of the run, user tags and system tags (as in Metaflow)."""
        return self.user_tags | self.system_tags

    @property
    def user_tags(self) -> frozenset[str]:
        """The tags users gave the run (read from the store once; :meth:`refresh` re-reads)."""
        if self._tags is None:
            flow, run_id = self.path_components
            self._tags = frozenset(self.store.run_tags(flow, run_id, record=self._record_doc))
        return self._tags

    @property
    def system_tags(self) -> frozenset[str]:
        """Tags dflow sets, Metaflow's kind: ``user:<name>``, ``runtime:dflow``,
        ``python_version:<x.y.z>``, ``dflow_version:<v>``."""
        return system_tags(self._record())

    @property
    def record(self) -> dict:
        """The run record (run.json) as stored."""
        return dict(self._record())

    @property
    def exception(self) -> ErrorRecord | None:
        """What failed the run (type, message, traceback; the failed task and attempt),
        or None."""
        return ErrorRecord.read(self._record().get("error"))

    @property
    def origin_pathspec(self) -> str | None:
        """The run this one resumed, as ``Flow/run_id``, or None."""
        origin = self._record().get("origin_run_id")
        return f"{self.path_components[0]}/{origin}" if origin else None

    # --- tags ------------------------------------------------------------------------

    def _retag(self, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> None:
        # Tags live in their own store objects: tagging never rewrites run.json, so it
        # cannot race with the driver's writes of the run's status.
        for tag in (*add, *remove):
            if not isinstance(tag, str) or not tag.strip() or len(tag) > 500:
                raise DflowError(f"invalid tag {tag!r}: a tag is a non-empty string")
        flow, run_id = self.path_components
        store = self._context.writable_store
        if add:
            store.add_run_tags(flow, run_id, add)
        drop = tuple(t for t in remove if t not in add)
        if drop:
            store.remove_run_tags(flow, run_id, drop)
        self._tags = None

    def add_tag(self, tag: str) -> None:
        """Add a user tag to the run (one object in the store; run.json is not touched)."""
        self._retag(add=(tag,))

    def add_tags(self, tags: list[str] | tuple[str, ...]) -> None:
        """Add several user tags at once."""
        self._retag(add=tuple(tags))

    def remove_tag(self, tag: str) -> None:
        """Remove a user tag (absent is fine)."""
        self._retag(remove=(tag,))

    def remove_tags(self, tags: list[str] | tuple[str, ...]) -> None:
        """Remove several user tags at once."""
        self._retag(remove=tuple(tags))

    def replace_tag(self, old: str, new: str) -> None:
        """Replace user tag ``old`` with ``new`` (``new`` is added before ``old`` goes)."""
        self._retag(add=(new,), remove=(old,))

    # --- steps -----------------------------------------------------------------------

    def _step_names(self) -> list[str]:
        if self._steps is None:
            self._steps = self._listing_records().list_steps(*self.path_components)
        return self._steps

    def steps(self) -> list[Step]:
        """The run's steps in the order they started (start first); the same objects
        (and so what their tasks read) until :meth:`refresh`."""
        if self._step_objs is None:
            names = self._step_names()
            steps = [Step(f"{self.pathspec}/{s}", self._context, _run=self) for s in names]

            def started(step: Step) -> tuple:
                when = step.created_at
                return (when is None, when.timestamp() if when else 0.0, step.id)

            self._step_objs = sorted(steps, key=started)
        return list(self._step_objs)

    def __iter__(self) -> Iterator[Step]:
        """The steps, newest first (end first), as Metaflow iterates them."""
        return iter(reversed(self.steps()))

    def __getitem__(self, step: str) -> Step:
        return Step(f"{self.pathspec}/{step}", self._context, _run=self)

    def __contains__(self, step: object) -> bool:
        return step in self._step_names()

    @property
    def end_task(self) -> Task | None:
        """The task of the ``end`` step, or None if the run did not get there."""
        return self["end"].task if "end" in self else None

    @property
    def data(self) -> Any:
        """The end step's artifacts (``run.data.x``), or None if it has no end task."""
        task = self.end_task
        return task.data if task is not None else None

    # --- parameters and code ---------------------------------------------------------

    def _parameter_refs(self) -> dict[str, ArtifactRef]:
        if self._params is None:
            refs = self._record().get("parameter_refs") or {}
            self._params = {name: ArtifactRef.from_dict(d) for name, d in refs.items()}
        return self._params

    @property
    def parameters(self) -> dict[str, Any]:
        """The run's parameter values, as the steps saw them."""
        refs = self._parameter_refs()
        if not refs:
            return dict(self._record().get("parameters") or {})
        return {
            n: self.store.load(r, name=f"{self.pathspec} parameter {n}")
            for n, r in sorted(refs.items())
        }

    @property
    def graph(self) -> FlowGraph | None:
        """The flow's graph as the run recorded it at start (every step, reached or not).

        None for a run recorded before dflow kept the graph in the run record.
        """
        return graph_from_record(self._record().get("graph"))

    def step_states(self) -> dict[str, str]:
        """Each step's state in this run: "succeeded", "failed", "running" or, for a step
        the run never reached, "not reached" ("waiting" while the run is running)."""
        states = {s.id: step_state(Counter(t.state for t in s.tasks())) for s in self.steps()}
        graph = self.graph
        missing = "waiting" if self.status == "running" else "not reached"
        for name in graph.names if graph is not None else ():
            states.setdefault(name, missing)
        return states

    @property
    def code(self) -> RunCode | None:
        """The code snapshot the run ran (``.path``, ``.flowspec``, ``.extract(dir)``)."""
        record = self._record()
        key = record.get("code_key")
        if not key:
            return None
        return RunCode(
            self.store,
            key,
            self.pathspec,
            record.get("code_file"),
            source_root=record.get("code_root"),
            source_host=record.get("host"),
        )

    def report(self) -> Any:
        """The run's HTML report (a :class:`dflow.report.Report`: ``.html``,
        ``.save(path)``, shown inline in Jupyter).

        The report layer sits above the client: it is reached through the
        ``"run-report"`` view of :mod:`dflow.renderers`, which ``import dflow`` registers.
        """
        build = renderers.lookup("run-report")
        if build is None:
            raise DflowError(
                f"cannot build the report of {self.pathspec}: no report renderer is registered",
                hint="import dflow (it registers dflow.report), or call "
                "dflow.report.build_report(flow, run_id, store=...)",
            )
        return build(self)

    def _summary(self) -> dict[str, Any]:
        return {
            "status": self.state,
            "user": self.user,
            "tags": ", ".join(sorted(self.user_tags)),
            "created_at": self.created_at,
            "duration": self.duration,
            "parameters": self._record().get("parameters") or {},
        }

    def _html_extra(self) -> str:
        """Steps (tasks, status, time) and where to see more: the report, the dashboard."""
        import html

        from dflow.client.htmlview import table_html, value_html

        rows = []
        for step in self.steps():
            records = [t.metadata_dict for t in step.tasks()]
            statuses = sorted({r.get("status", "running") for r in records})
            took = [r.get("duration") for r in records if r.get("duration") is not None]
            rows.append(
                [
                    html.escape(step.id),
                    str(len(records)),
                    html.escape(", ".join(statuses)),
                    value_html("duration", max(took) if took else None),
                ]
            )
        steps = table_html(["step", "tasks", "status", "longest task"], rows)
        flow, run_id = self.path_components
        more = (
            f"<p class='muted'><code>Run('{html.escape(self.pathspec)}').report()</code> "
            "shows the full report; <code>dflow report "
            f"{html.escape(self.pathspec)}</code> writes it to a file.</p>"
        )
        dashboard = (self._record().get("scheduler") or {}).get("dashboard")
        if dashboard and self.status == "running":
            page = dashboard.rsplit("/", 1)[0] + f"/dflow?run={flow}%2F{run_id}"
            more += f"<p><a href='{html.escape(page)}' target='_blank'>follow it live</a></p>"
        tasks = sum(int(row[1]) for row in rows)
        return steps + self._inline_report(tasks) + more

    def _inline_report(self, tasks: int) -> str:
        """The run's report, folded, for the notebook view (small runs only: the report
        is built now and embedded whole)."""
        import html

        build = renderers.lookup("run-report")
        if build is None:
            return ""
        if tasks > MAX_INLINE_REPORT_TASKS:
            return (
                f"<p class='muted'>The report of {tasks} tasks is not embedded here "
                f"(at most {MAX_INLINE_REPORT_TASKS}).</p>"
            )
        try:
            inline = build(self)._repr_html_()
        except DflowError as exc:  # a view never raises: it says what it could not show
            return f"<p class='muted'>no report: {html.escape(str(exc))}</p>"
        return (
            "<details class='dflow-report'><summary>report (graph, timeline, artifacts, "
            f"failures)</summary>{inline}</details>"
        )


def run_in_store(
    pathspec: str, store_url: str, store_options: dict | None = None, *, trusted: bool = False
) -> Run:
    """The run ``pathspec`` of the store at ``store_url``, in every namespace (what a
    finished run's ``RunResult.run`` gives; ``trusted``: pickles may be loaded)."""
    return Run(pathspec, ClientContext(store_url, store_options, namespace=None, trusted=trusted))
